"""The live inbox: posts arrive one at a time; each arrival updates only its conversation.

`Inbox` keeps the open conversations of a helpdesk and, on each post, threads it exactly as
`build_conversations` would (the same helpers do the work), triages the conversation it
lands in and runs its SLA clocks. Resolved conversations leave memory: they are handed back
to the caller to store.

The invariant the tests check: at any moment the open conversations are those
`build_conversations` makes from the posts the inbox holds (the posts of its open
conversations, first version kept on an edit), labelled as `triage_conversations` labels
them, with `Triager.decide` decisions and `SLAPolicy.evaluate` clocks.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from socialcare._conversation import (
    Conversation,
    RowError,
    StatusChange,
    _brand_keys,
    _chain_key,
    _edit_conflict,
    _platform_scoped,
    _post_order,
    _row_id,
    _trusted_conversation,
)
from socialcare._errors import InvalidInputError, ModelError, SocialcareError, TimezoneError
from socialcare._models import Platform, Post, Survey
from socialcare._sla._policy import METRICS, SLAPolicy, SLAReport, SLAResult, SLAState
from socialcare._time import resolve_timezone
from socialcare._triage._decision import Decision, plain_decision
from socialcare._triage._queue import queue_key

if TYPE_CHECKING:
    from socialcare._triage._triager import Triager

__all__ = ["DueClock", "Inbox", "InboxItem", "InboxUpdate"]

_FORMAT = "socialcare.inbox"
_VERSION = 1
_RUNNING = (SLAState.PENDING, SLAState.AT_RISK, SLAState.BREACHED)
# queue_key needs a decision; without triage every conversation ranks the same on priority.
_UNTRIAGED = plain_decision("agent", "no triage: every conversation ranks the same")

_GroupKey = tuple[Platform, str]


@dataclass(frozen=True, slots=True)
class InboxItem:
    """One open conversation as it stands: its triage decision and its SLA clocks.

    ``decision`` is ``None`` when the inbox has no triager; ``sla`` is ``None`` when it has
    no SLA policy. ``sla`` is evaluated at the ``now`` of the call that returned the item.
    """

    conversation: Conversation
    decision: Decision | None
    sla: SLAReport | None

    @property
    def id(self) -> str:
        """The conversation's id."""
        return self.conversation.id


@dataclass(frozen=True, slots=True)
class DueClock:
    """A running SLA clock due soon (or overdue), with its conversation (`Inbox.due`)."""

    conversation: Conversation
    decision: Decision | None
    clock: SLAResult

    @property
    def due_at(self) -> datetime:
        """When the clock is (or was) due."""
        assert self.clock.due_at is not None  # due() keeps clocks with a due time only
        return self.clock.due_at

    @property
    def metric(self) -> str:
        """``first_response``, ``next_response`` or ``resolution``."""
        return self.clock.metric


@dataclass(frozen=True, slots=True)
class InboxUpdate:
    """What one call to an `Inbox` changed, for the caller to mirror in its own store.

    Attributes:
        conversation: the conversation the post (or status change) landed in, after any
            merge: open, or just closed (then also in ``closed``); ``None`` for calls about
            many conversations (`Inbox.add_many`, `Inbox.evict`) and for a duplicate post
            whose conversation is no longer open.
        decision: its triage decision (``None`` without a triager).
        sla: its SLA clocks at the call's ``now`` (``None`` without a policy).
        changed: every open conversation the call created or changed (the one above
            included while it stays open), each with its decision and clocks: upsert them.
        removed: ids that no longer name an open conversation: merged into another,
            renamed (a thread key that came to be used on a second platform, or stopped
            being) or closed: delete them.
        closed: conversations resolved (or evicted) by the call; the inbox forgot them:
            store them.
        duplicates: posts dropped because the inbox already held them exactly.
        errors: rows of `Inbox.add_many` that could not be added (bad rows, edits).
    """

    conversation: Conversation | None
    decision: Decision | None
    sla: SLAReport | None
    changed: tuple[InboxItem, ...] = ()
    removed: tuple[str, ...] = ()
    closed: tuple[Conversation, ...] = ()
    duplicates: int = 0
    errors: tuple[RowError, ...] = ()

    @property
    def duplicate(self) -> bool:
        """Whether the (one) post was a duplicate of one the inbox holds."""
        return self.duplicates > 0


class _Group:
    """The posts of one conversation (a platform and a thread key) and what was attached."""

    __slots__ = ("conv_id", "key", "members", "platform", "status_changes", "surveys", "tags")

    def __init__(self, platform: Platform, key: str) -> None:
        self.platform = platform
        self.key = key
        self.members: dict[str, Post] = {}
        self.surveys: tuple[Survey, ...] = ()
        self.status_changes: tuple[StatusChange, ...] = ()
        self.tags: frozenset[str] = frozenset()
        self.conv_id: str | None = None

    def absorb(self, other: _Group) -> None:
        """Take the attachments of a conversation merged into this one."""
        self.surveys = (*self.surveys, *other.surveys)
        self.status_changes = (*self.status_changes, *other.status_changes)
        self.tags = self.tags | other.tags


_MISSING: Any = object()
_WHOLE: Any = object()


class _Pending:
    """What a call has done so far: conversations to rebuild, ids that may be gone, and an
    undo journal of every change to the inbox's state, so that a call that fails part way
    (a triager or a policy raising) leaves the inbox as it found it (`undo`).

    Every change to the inbox's tables and groups during a call goes through ``put``,
    ``remove``, ``keep`` (a small table about to lose entries) and ``save`` (a group about
    to change). The journal costs what the call changes, not the size of the inbox.
    """

    __slots__ = (
        "clock",
        "closed",
        "duplicates",
        "gone",
        "journal",
        "kept",
        "popped",
        "saved",
        "touched",
    )

    def __init__(self, clock: datetime | None = None) -> None:
        self.touched: dict[_GroupKey, None] = {}
        self.gone: list[str] = []
        self.closed: list[Conversation] = []
        self.duplicates = 0
        self.clock = clock
        self.journal: list[tuple[dict[Any, Any], Any, Any]] = []
        self.kept: set[int] = set()
        self.saved: dict[int, tuple[_Group, dict[str, Post], Any, Any, Any, str | None]] = {}
        self.popped: list[tuple[datetime, int, _GroupKey]] = []  # idle-heap entries taken

    def put(self, table: dict[Any, Any], key: Any, value: Any) -> None:
        self.journal.append((table, key, table.get(key, _MISSING)))
        table[key] = value

    def remove(self, table: dict[Any, Any], key: Any) -> Any:
        """Delete ``key`` (present or not); its value, or ``_MISSING``."""
        old = table.pop(key, _MISSING)
        if old is not _MISSING:
            self.journal.append((table, key, old))
        return old

    def default(self, table: dict[Any, Any], key: Any) -> dict[Any, Any]:
        """``table.setdefault(key, {})``, journaled."""
        inner = table.get(key)
        if inner is None:
            inner = {}
            self.put(table, key, inner)
        return inner

    def keep(self, table: dict[Any, Any]) -> None:
        """Record a small table whole (its order too) before it loses entries."""
        if id(table) not in self.kept:
            self.kept.add(id(table))
            self.journal.append((table, _WHOLE, dict(table)))

    def save(self, group: _Group) -> None:
        """Record a group before it changes (its members are one conversation's posts)."""
        if id(group) not in self.saved:
            self.saved[id(group)] = (
                group,
                dict(group.members),
                group.surveys,
                group.status_changes,
                group.tags,
                group.conv_id,
            )

    def undo(self) -> None:
        """Put every table and group back as it was when the call began."""
        for table, key, old in reversed(self.journal):
            if key is _WHOLE:
                table.clear()
                table.update(old)
            elif old is _MISSING:
                table.pop(key, None)
            else:
                table[key] = old
        for group, members, surveys, status_changes, tags, conv_id in self.saved.values():
            group.members = members
            group.surveys = surveys
            group.status_changes = status_changes
            group.tags = tags
            group.conv_id = conv_id
        self.journal.clear()
        self.saved.clear()
        self.kept.clear()


def _aware(value: Any, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise InvalidInputError(
            f"{name} must be an aware datetime, got {type(value).__name__}; e.g. "
            "datetime.now(timezone.utc)"
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise TimezoneError(
            f"{name} {value!r} is naive: attach a zone, e.g. datetime.now(timezone.utc)"
        )
    return value


class Inbox:
    """Open conversations kept up to date one post at a time, with decisions and SLA clocks.

    Each `add` threads the post as `build_conversations` does (conversation id, reply chain,
    duplicates dropped, an edit refused and the first version kept), merging conversations
    when a parent arrives after its replies, then triages the conversation it lands in
    (`Triager.decide`; with a socialcare [`Triager`][socialcare.Triager] the conversation
    also carries the labels of [`triage_conversations`][socialcare.triage_conversations],
    which SLA conditions read) and runs its clocks (`SLAPolicy.evaluate`). The work is that
    of the conversation, not of the inbox.

    A conversation whose ``resolved_at`` is set (a status change through `attach`) leaves
    the inbox and is handed back in `InboxUpdate.closed`. The inbox then forgets its posts:
    a later post naming its thread id opens a new conversation with that id, and a reply to
    one of its posts starts a conversation of its own (its parent is unknown), as
    `build_conversations` would do over the posts the inbox holds.

    Args:
        triager: a [`Triager`][socialcare.Triager], or any object whose
            ``decide(conversation)`` returns a `Decision` (such as
            `socialcare.testing.StubTriager`: decisions only, no labels); ``None`` (the
            default) triages nothing: decisions are ``None``.
        policy: the [`SLAPolicy`][socialcare.SLAPolicy] whose clocks run; ``None``: no
            clocks.
        brand: the author ids or handles that speak for the brand, as in
            `build_conversations`.
        assume_tz: the zone of naive timestamps in mapping rows; without it they are
            refused (`TimezoneError`).
        idle: evict idle conversations as part of every `add` and `add_many`: before the
            new posts go in, the call does what ``evict(before=newest - idle)`` does, where
            ``newest`` is the later of the inbox's `clock` and the call's newest post, and
            the evicted conversations come back in ``closed``. A ``timedelta`` or a duration
            such as ``"7d"``; ``None`` (the default): only `evict` and resolutions close
            conversations. The cost follows the conversations evicted, not the size of the
            inbox.

    Every call is all or nothing: if the triager or the policy raises (or ``decide``
    returns something other than a `Decision`: `ModelError`), the exception propagates and
    the inbox is as it was before the call; the same post can be sent again.

    Memory holds the posts of the open conversations, and most threads are never resolved:
    call `evict` periodically to close the idle ones, or memory grows with every thread.

    ``conversations`` and ``decisions`` are read-only live views keyed by conversation id
    (in no particular order).

    >>> from datetime import datetime, timezone
    >>> inbox = Inbox(brand="acme")
    >>> update = inbox.add({"id": "2", "platform": "x", "author": {"id": "acme"},
    ...                     "text": "DM us", "created_at": "2024-05-01T09:05:00Z",
    ...                     "in_reply_to": "1"})
    >>> sorted(inbox.conversations)
    ['2']
    >>> update = inbox.add({"id": "1", "platform": "x", "author": {"id": "ana"},
    ...                     "text": "help!", "created_at": "2024-05-01T09:00:00Z"})
    >>> [p.id for p in update.conversation.posts], update.removed
    (['1', '2'], ('2',))
    """

    def __init__(
        self,
        triager: Any = None,
        policy: SLAPolicy | None = None,
        brand: Iterable[str] | str | None = None,
        *,
        assume_tz: str | None = None,
        idle: timedelta | str | None = None,
    ) -> None:
        self._triager, self._threads = _check_triager(triager)
        self._idle = _check_idle(idle)
        # (last activity, tiebreak, group) of every conversation built, when idle is set;
        # stale entries (the conversation changed or left) are skipped when popped.
        self._idle_heap: list[tuple[datetime, int, _GroupKey]] = []
        self._idle_seq = itertools.count()
        if policy is not None and not isinstance(policy, SLAPolicy):
            raise InvalidInputError(
                f"policy must be an SLAPolicy (see SLAPolicy.from_dict) or None, got "
                f"{type(policy).__name__}"
            )
        self._policy = policy
        self._brand = _brand_keys(brand)
        if assume_tz is not None:
            resolve_timezone(assume_tz)  # refuse an unknown zone now, not on the first row
        self._assume_tz = assume_tz
        self._clock: datetime | None = None
        self._posts: dict[Platform, dict[str, Post]] = {}
        self._children: dict[Platform, dict[str, dict[str, None]]] = {}
        self._keys: dict[Platform, dict[str, str]] = {}
        self._groups: dict[_GroupKey, _Group] = {}
        self._platforms_of: dict[str, dict[Platform, None]] = {}
        self._owner: dict[str, _GroupKey] = {}
        self._conversations: dict[str, Conversation] = {}
        self._decisions: dict[str, Decision] = {}
        self.conversations: Mapping[str, Conversation] = MappingProxyType(self._conversations)
        self.decisions: Mapping[str, Decision] = MappingProxyType(self._decisions)

    # ------------------------------------------------------------------ reading
    @property
    def clock(self) -> datetime | None:
        """The latest instant the inbox has seen (posts and status changes): the default
        ``now`` of its calls; ``None`` while empty."""
        return self._clock

    @property
    def idle(self) -> timedelta | None:
        """The idle time after which `add` evicts a conversation (``None``: never)."""
        return self._idle

    @property
    def policy(self) -> SLAPolicy | None:
        """The SLA policy (``None``: no clocks)."""
        return self._policy

    @property
    def brand(self) -> frozenset[str]:
        """The brand's author ids or handles."""
        return self._brand

    def __len__(self) -> int:
        return len(self._conversations)

    def __contains__(self, conversation_id: object) -> bool:
        return isinstance(conversation_id, str) and conversation_id in self._conversations

    def __iter__(self) -> Iterator[str]:
        return iter(self._conversations)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Inbox):
            return NotImplemented
        return (
            self._brand == other._brand
            and self._clock == other._clock
            and self._conversations == other._conversations
            and self._decisions == other._decisions
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Inbox({len(self)} open conversations, clock={self._clock!r})"

    def item(self, conversation_id: str, now: datetime | None = None) -> InboxItem:
        """The open conversation ``conversation_id`` with its decision and clocks at ``now``.

        Raises:
            InvalidInputError: no open conversation has that id (or it is not text).
        """
        if not isinstance(conversation_id, str):
            raise InvalidInputError(
                f"a conversation id is text, got {type(conversation_id).__name__} "
                f"{conversation_id!r}; see inbox.conversations for the open ids"
            )
        conversation = self._conversations.get(conversation_id)
        if conversation is None:
            raise InvalidInputError(
                f"no open conversation {conversation_id!r} in the inbox (closed ones leave it; "
                "see inbox.conversations for the open ids)"
            )
        return self._item(conversation, self._now(now))

    # ------------------------------------------------------------------ adding
    def add(self, post: Post | Mapping[str, Any], *, now: datetime | None = None) -> InboxUpdate:
        """Add one post; return its conversation, decision and clocks, and what else changed.

        A post the inbox holds exactly is dropped (``duplicates == 1``); nothing changes.

        Args:
            post: a [`Post`][socialcare.Post] or a mapping validated into one.
            now: the instant the clocks are read at (aware); default: the inbox's `clock`.

        Raises:
            InvalidInputError: the row is not a valid post, or the inbox holds another post
                with the same platform and id (an edit: the first version is kept, as
                `build_conversations` keeps it).
            TimezoneError: a naive timestamp without ``assume_tz``, or a naive ``now``.
        """
        if now is not None:
            _aware(now, "now")
        item = self._parse(post)
        pending = _Pending(self._clock)
        try:
            self._evict_idle(pending, item.created_at)
            group = self._ingest(item, pending)
            self._advance(item.created_at)
            moment = self._now(now)
            if group is None and (pending.closed or pending.touched):
                # a duplicate, but idle conversations were evicted first: report them
                return self._finish(pending, moment, focus=None, post=item)
            if group is None:  # a duplicate: nothing changed
                conversation = self._conversation_of(item)
                shown = None if conversation is None else self._item(conversation, moment)
                return InboxUpdate(
                    conversation,
                    None if shown is None else shown.decision,
                    None if shown is None else shown.sla,
                    duplicates=1,
                )
            return self._finish(pending, moment, focus=self._groups.get(group), post=item)
        except BaseException:
            self._undo(pending)
            raise

    def add_many(
        self, posts: Iterable[Post | Mapping[str, Any]], *, now: datetime | None = None
    ) -> InboxUpdate:
        """Add many posts; each touched conversation is triaged once, at the end.

        A bad row or an edit becomes a [`RowError`][socialcare.RowError] in ``errors`` (its
        ``index`` is the row's position) and the rest go on. ``conversation`` is ``None``:
        read ``changed``.
        """
        if isinstance(posts, (str, bytes, Mapping, Post)) or not isinstance(posts, Iterable):
            raise InvalidInputError(
                "add_many takes an iterable of Post objects or mappings (such as a list), got "
                f"{type(posts).__name__}; use add() for one"
            )
        if now is not None:
            _aware(now, "now")
        pending = _Pending(self._clock)
        try:
            return self._add_many(posts, now, pending)
        except BaseException:
            self._undo(pending)
            raise

    def _add_many(
        self, posts: Iterable[Post | Mapping[str, Any]], now: datetime | None, pending: _Pending
    ) -> InboxUpdate:
        errors: list[RowError] = []
        parsed: list[tuple[int, Any, Post]] = []
        for index, row in enumerate(posts):
            try:
                parsed.append((index, row, self._parse(row)))
            except SocialcareError as exc:
                errors.append(RowError(index, exc, _row_id(row)))
        self._evict_idle(pending, max((item.created_at for _, _, item in parsed), default=None))
        for index, row, item in parsed:
            try:
                self._ingest(item, pending)
            except SocialcareError as exc:
                errors.append(RowError(index, exc, _row_id(row)))
                continue
            self._advance(item.created_at)
        errors.sort(key=lambda error: error.index)
        update = self._finish(pending, self._now(now), focus=None, post=None)
        return InboxUpdate(
            None,
            None,
            None,
            update.changed,
            update.removed,
            update.closed,
            update.duplicates,
            tuple(errors),
        )

    def attach(
        self,
        conversation_id: str,
        *,
        surveys: Iterable[Survey | Mapping[str, Any]] = (),
        status_changes: Iterable[StatusChange | Mapping[str, Any]] = (),
        tags: Iterable[str] = (),
        now: datetime | None = None,
    ) -> InboxUpdate:
        """Attach surveys, status changes or tags to an open conversation.

        A status change that resolves the conversation (``resolved_at`` set, see
        [`Conversation`][socialcare.Conversation]) closes it: it leaves the inbox and comes
        back in ``closed``. Attachments stay with the conversation when a late parent merges
        it into another (the union of both is kept).

        Raises:
            InvalidInputError: no open conversation has that id, or an attachment is invalid.
        """
        key = self._owner.get(conversation_id) if isinstance(conversation_id, str) else None
        if key is None:
            raise InvalidInputError(
                f"no open conversation {conversation_id!r} in the inbox (closed ones leave it; "
                "see inbox.conversations for the open ids)"
            )
        if now is not None:
            _aware(now, "now")
        if isinstance(tags, str) or not isinstance(tags, Iterable):
            raise InvalidInputError(f"tags must be a list of text, got {tags!r}")
        new_tags = list(tags)
        if not all(isinstance(tag, str) and tag for tag in new_tags):
            raise InvalidInputError(f"tags must be non-empty text, got {new_tags!r}")
        # Validate everything first: a bad attachment changes nothing.
        new_surveys = [Survey.model_validate(s) for s in _rows(surveys, "surveys")]
        added = [StatusChange.model_validate(c) for c in _rows(status_changes, "status_changes")]
        group = self._groups[key]
        pending = _Pending(self._clock)
        try:
            pending.save(group)
            group.surveys = (*group.surveys, *new_surveys)
            group.status_changes = (*group.status_changes, *added)
            group.tags = group.tags | frozenset(new_tags)
            for change in added:
                self._advance(change.at)
            pending.touched[key] = None
            return self._finish(pending, self._now(now), focus=group, post=None)
        except BaseException:
            self._undo(pending)
            raise

    def evict(self, before: datetime, *, now: datetime | None = None) -> InboxUpdate:
        """Close the open conversations idle since before ``before`` (no post or status
        change at or after it); they come back in ``closed`` (by id), as resolved ones do."""
        cutoff = _aware(before, "before")
        if now is not None:
            _aware(now, "now")
        # (read them all first: closing one may rename another of its thread key)
        idle = [
            (key, self._conversations[conversation_id])
            for key, conversation_id in sorted(self._group_ids(), key=lambda pair: pair[1])
            if _last_activity(self._conversations[conversation_id]) < cutoff
        ]
        pending = _Pending(self._clock)
        try:
            for key, conversation in idle:
                pending.closed.append(conversation)
                self._drop(key, pending)
            update = self._finish(pending, self._now(now), focus=None, post=None)
        except BaseException:
            self._undo(pending)
            raise
        return InboxUpdate(None, None, None, update.changed, update.removed, update.closed, 0, ())

    # ------------------------------------------------------------------ views
    def queue(self, now: datetime) -> tuple[InboxItem, ...]:
        """The open conversations awaiting a reply, most urgent first (`queue_key`).

        A conversation awaits a reply when its latest customer turn has no brand reply by a
        person (by anyone, automation included, when the decision routes it ``auto``) and
        its decision does not route it ``none``. Ties break on the conversation id. The cost
        is that of evaluating every open conversation's clocks at ``now``.
        """
        moment = _aware(now, "now")
        rows: list[tuple[tuple[float, ...], str, InboxItem]] = []
        for conversation_id, conversation in self._conversations.items():
            decision = self._decisions.get(conversation_id)
            if decision is not None and decision.route == "none":
                continue
            automated = decision is not None and decision.route == "auto"
            turns = conversation.exchanges(include_automated=automated)
            if not turns or turns[-1].reply_at is not None:
                continue
            item = self._item(conversation, moment)
            key = queue_key(
                decision or _UNTRIAGED,
                item.sla,
                now=moment,
                waiting_since=turns[-1].customer_at,
            )
            rows.append((key, conversation_id, item))
        rows.sort(key=lambda row: (row[0], row[1]))
        return tuple(row[2] for row in rows)

    def due(
        self, now: datetime, within: timedelta | str | float = timedelta(0)
    ) -> tuple[DueClock, ...]:
        """Running SLA clocks due by ``now + within``, overdue ones included, soonest first.

        Stopped clocks (met, or breached by a late reply) and paused ones are left out.
        ``within`` is a ``timedelta`` or a duration such as ``"15m"`` (`parse_duration`).

        Raises:
            InvalidInputError: the inbox has no SLA policy, or ``within`` is negative.
        """
        from socialcare._sla._policy import parse_duration

        moment = _aware(now, "now")
        if self._policy is None:
            raise InvalidInputError("this inbox has no SLA policy: pass policy= to run clocks")
        span = parse_duration(within)
        if span < timedelta(0):
            raise InvalidInputError(f"within must not be negative, got {within!r}")
        limit = moment + span
        out: list[tuple[datetime, str, int, DueClock]] = []
        for conversation_id, conversation in self._conversations.items():
            report = self._policy.evaluate(conversation, moment)
            for clock in report.results:
                if (
                    clock.state in _RUNNING
                    and clock.stopped_at is None
                    and clock.due_at is not None
                    and clock.due_at <= limit
                ):
                    entry = DueClock(conversation, self._decisions.get(conversation_id), clock)
                    out.append((clock.due_at, conversation_id, METRICS.index(clock.metric), entry))
        out.sort(key=lambda row: row[:3])
        return tuple(row[3] for row in out)

    # ------------------------------------------------------------------ persistence
    def snapshot(self) -> dict[str, Any]:
        """The inbox as JSON-friendly data (text, numbers, booleans, None, lists, dicts).

        It holds the open conversations' posts and attachments (ordered by platform and
        thread key: the same inbox always gives the same snapshot), the brand,
        ``assume_tz`` and the clock; not the triager nor the policy (pass them to `restore`).
        """
        conversations: list[dict[str, Any]] = []
        for key, _ in sorted(self._group_ids(), key=lambda pair: (str(pair[0][0]), pair[0][1])):
            group = self._groups[key]
            posts = sorted(group.members.values(), key=_post_order)
            conversations.append(
                {
                    "platform": str(group.platform),
                    "key": group.key,
                    "posts": [post.model_dump(mode="json") for post in posts],
                    "surveys": [survey.model_dump(mode="json") for survey in group.surveys],
                    "status_changes": [
                        change.model_dump(mode="json") for change in group.status_changes
                    ],
                    "tags": sorted(group.tags),
                }
            )
        return {
            "format": _FORMAT,
            "version": _VERSION,
            "brand": sorted(self._brand),
            "assume_tz": self._assume_tz,
            "clock": None if self._clock is None else self._clock.isoformat(),
            "conversations": conversations,
        }

    @classmethod
    def restore(
        cls,
        data: Mapping[str, Any],
        *,
        triager: Any = None,
        policy: SLAPolicy | None = None,
        idle: timedelta | str | None = None,
    ) -> Inbox:
        """The inbox a `snapshot` describes, with this triager and policy.

        Decisions are made again (one batch), so a snapshot outlives a model update; pass
        ``idle`` again too (see `Inbox`: a snapshot does not hold it). The clock is the
        saved ``clock`` (ISO 8601 text with an offset, as `snapshot` writes it), moved
        forward to the latest post or status change of the snapshot if one is later (the
        inbox's clock is never earlier than what it holds).

        Raises:
            InvalidInputError: ``data`` is not a snapshot of this version, or is inconsistent
                (``clock`` not ISO 8601 text, for example).
            TimezoneError: the saved ``clock`` has no offset.
        """
        if not isinstance(data, Mapping) or data.get("format") != _FORMAT:
            raise InvalidInputError(
                "not an inbox snapshot: expected the mapping Inbox.snapshot() returns "
                f"(with format {_FORMAT!r})"
            )
        if data.get("version") != _VERSION:
            raise InvalidInputError(
                f"inbox snapshot version {data.get('version')!r} is not supported "
                f"(this socialcare reads version {_VERSION})"
            )
        rows = data.get("conversations")
        brand = data.get("brand")
        if not isinstance(rows, list) or not isinstance(brand, list):
            raise InvalidInputError("inbox snapshot: 'conversations' and 'brand' must be lists")
        inbox = cls(triager, policy, brand, assume_tz=data.get("assume_tz"), idle=idle)
        pending = _Pending()
        attachments: list[tuple[int, Mapping[str, Any]]] = []
        for index, row in enumerate(rows):
            if not isinstance(row, Mapping) or not isinstance(row.get("posts"), list):
                raise InvalidInputError(
                    f"inbox snapshot: conversation {index} must be a mapping with a 'posts' list"
                )
            for entry in row["posts"]:
                post = Post.model_validate(entry)
                if inbox._ingest(post, pending) is None:
                    raise InvalidInputError(
                        f"inbox snapshot: post {post.id!r} on {post.platform} appears twice"
                    )
            attachments.append((index, row))
        for index, row in attachments:
            key = (Platform(str(row.get("platform"))), str(row.get("key")))
            group = inbox._groups.get(key)
            if group is None:
                raise InvalidInputError(
                    f"inbox snapshot: conversation {index} ({key[1]!r} on {key[0]}) does not "
                    "thread as saved; the snapshot was altered"
                )
            group.surveys = tuple(Survey.model_validate(s) for s in row.get("surveys") or ())
            group.status_changes = tuple(
                StatusChange.model_validate(c) for c in row.get("status_changes") or ()
            )
            tags = row.get("tags") or []
            if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
                raise InvalidInputError(f"inbox snapshot: conversation {index} tags must be text")
            group.tags = frozenset(tags)
        clock = _saved_clock(data.get("clock"))
        for group in inbox._groups.values():
            for post in group.members.values():
                inbox._advance(post.created_at)
            for change in group.status_changes:
                inbox._advance(change.at)
        if clock is not None:
            inbox._advance(clock)
        update = inbox._finish(pending, inbox._clock, focus=None, post=None, evaluate=False)
        if update.closed:
            raise InvalidInputError(
                "inbox snapshot: it holds resolved conversations "
                f"{[c.id for c in update.closed]}; an inbox keeps open ones only"
            )
        return inbox

    # ------------------------------------------------------------------ internals
    def _parse(self, row: Any) -> Post:
        if isinstance(row, Post):
            return row
        if not isinstance(row, Mapping):
            raise InvalidInputError(f"a post must be a Post or a mapping, got {type(row).__name__}")
        return Post.parse(row, assume_tz=self._assume_tz)

    def _undo(self, pending: _Pending) -> None:
        """Undo a failed call: the inbox is as it was when the call began."""
        pending.undo()
        self._clock = pending.clock
        for entry in pending.popped:
            heapq.heappush(self._idle_heap, entry)
        pending.popped.clear()

    def _evict_idle(self, pending: _Pending, latest: datetime | None) -> None:
        """What ``evict(before=max(clock, latest) - idle)`` does, from the heap: the
        conversations whose last activity is before the cutoff, closed into ``pending``
        (by id). ``latest``: the newest post of the call."""
        newest = self._clock
        if latest is not None and (newest is None or latest > newest):
            newest = latest
        if self._idle is None or newest is None:
            return
        cutoff = newest - self._idle
        heap = self._idle_heap
        idle: dict[_GroupKey, Conversation] = {}
        while heap and heap[0][0] < cutoff:
            entry = heapq.heappop(heap)
            pending.popped.append(entry)
            group = self._groups.get(entry[2])
            conversation = None if group is None else self._conversations.get(group.conv_id or "")
            if conversation is not None and _last_activity(conversation) < cutoff:
                idle[entry[2]] = conversation
        for key, conversation in sorted(idle.items(), key=lambda pair: pair[1].id):
            pending.closed.append(conversation)
            self._drop(key, pending)

    def _advance(self, moment: datetime) -> None:
        if self._clock is None or moment > self._clock:
            self._clock = moment

    def _now(self, now: datetime | None) -> datetime | None:
        return self._clock if now is None else _aware(now, "now")

    def _group_ids(self) -> list[tuple[_GroupKey, str]]:
        return [(key, cid) for cid, key in self._owner.items()]

    def _conversation_of(self, post: Post) -> Conversation | None:
        key = self._keys.get(post.platform, {}).get(post.id)
        if key is None:
            return None
        group = self._groups[(post.platform, key)]
        return self._conversations.get(group.conv_id or "")

    def _item(self, conversation: Conversation, now: datetime | None) -> InboxItem:
        sla = None
        if self._policy is not None and now is not None:
            sla = self._policy.evaluate(conversation, now)
        return InboxItem(conversation, self._decisions.get(conversation.id), sla)

    def _ingest(self, post: Post, pending: _Pending) -> _GroupKey | None:
        """Thread one post (no triage): the key of its group, or None for a duplicate.

        Plans every change first and refuses the post (nothing changed) on an edit or when
        its conversation would take the id of another open conversation.
        """
        platform = post.platform
        seen = self._posts.get(platform, {}).get(post.id)
        if seen is not None:
            if seen == post:
                pending.duplicates += 1
                return None
            raise _edit_conflict(post)
        by_id = pending.default(self._posts, platform)
        keys = pending.default(self._keys, platform)
        children = pending.default(self._children, platform)
        pending.put(by_id, post.id, post)
        try:
            key = _chain_key(post, by_id, {})[0]
            # The posts whose key changes: replies (and their replies) that waited for this
            # post. A reply with its own thread id keeps it, and so do its replies.
            moves: list[tuple[str, str]] = []
            stack = list(children.get(post.id, ()))
            seen_ids = {post.id}
            while stack:
                child_id = stack.pop()
                if child_id in seen_ids:
                    continue
                seen_ids.add(child_id)
                if by_id[child_id].conversation_id is not None:
                    continue
                old = keys[child_id]
                if old == key:
                    continue  # (and so are its replies)
                moves.append((child_id, old))
                stack.extend(children.get(child_id, ()))
            moved: dict[str, int] = {}
            for _, old in moves:
                moved[old] = moved.get(old, 0) + 1
            emptied = [
                old for old, n in moved.items() if n == len(self._groups[(platform, old)].members)
            ]
            self._check_ids(platform, key, emptied)
        except BaseException:
            pending.remove(by_id, post.id)
            raise
        # Commit (journaled: a failure later in the call undoes it).
        if post.in_reply_to is not None:
            pending.put(pending.default(children, post.in_reply_to), post.id, None)
        target_key = (platform, key)
        target = self._groups.get(target_key)
        if target is None:
            target = _Group(platform, key)
            pending.put(self._groups, target_key, target)
            pending.put(pending.default(self._platforms_of, key), platform, None)
        pending.save(target)
        pending.put(keys, post.id, key)
        target.members[post.id] = post
        for member, old in moves:
            pending.put(keys, member, key)
            source = self._groups[(platform, old)]
            pending.save(source)
            target.members[member] = source.members.pop(member)
            pending.touched[(platform, old)] = None
        for old in emptied:
            gone = pending.remove(self._groups, (platform, old))
            target.absorb(gone)
            self._forget_id(gone, pending)
            pending.touched.pop((platform, old), None)
            platforms = self._platforms_of[old]
            pending.keep(platforms)
            del platforms[platform]
            if not platforms:
                pending.remove(self._platforms_of, old)
        pending.touched[target_key] = None
        for changed in (key, *emptied):
            self._assign_ids(changed, pending)
        return target_key

    def _ids_for(self, key: str, platforms: Iterable[Platform]) -> dict[_GroupKey, str]:
        names = list(platforms)
        if len(names) == 1:
            return {(names[0], key): key}
        return {(p, key): _platform_scoped(p, key) for p in names}

    def _check_ids(self, platform: Platform, key: str, emptied: list[str]) -> None:
        """Refuse a post whose conversations would take ids other open ones hold."""
        after: dict[_GroupKey, str] = {}
        platforms = dict(self._platforms_of.get(key, {}))
        platforms[platform] = None
        after.update(self._ids_for(key, platforms))
        for old in emptied:
            rest = [p for p in self._platforms_of.get(old, {}) if p != platform]
            if rest:
                after.update(self._ids_for(old, rest))
        leaving = {(platform, old) for old in emptied}
        taken: dict[str, _GroupKey] = {}
        for group_key, conversation_id in after.items():
            owner = self._owner.get(conversation_id)
            clash = taken.get(conversation_id)
            if (
                owner is not None
                and owner != group_key
                and owner not in after
                and owner not in leaving
            ) or (clash is not None and clash != group_key):
                raise InvalidInputError(
                    f"post on {platform} would make a conversation with id "
                    f"{conversation_id!r}, which another open conversation already has (a "
                    "thread id spelled '<platform>:<id>'); the post was not added"
                )
            taken[conversation_id] = group_key

    def _assign_ids(self, key: str, pending: _Pending) -> None:
        """Give the conversations of thread ``key`` their ids (scoped when on several
        platforms); a conversation whose id changes is rebuilt, its old id is gone."""
        platforms = self._platforms_of.get(key)
        if not platforms:
            return
        for group_key, conversation_id in self._ids_for(key, platforms).items():
            group = self._groups[group_key]
            if group.conv_id == conversation_id:
                continue
            owner = self._owner.get(conversation_id)
            if owner is not None and owner != group_key:
                continue  # (only on eviction, when a rename back would clash: keep the id)
            self._forget_id(group, pending)
            pending.save(group)
            group.conv_id = conversation_id
            pending.put(self._owner, conversation_id, group_key)
            pending.touched[group_key] = None

    def _forget_id(self, group: _Group, pending: _Pending) -> None:
        if group.conv_id is None:
            return
        pending.save(group)
        if self._owner.get(group.conv_id) == (group.platform, group.key):
            pending.remove(self._owner, group.conv_id)
            pending.remove(self._conversations, group.conv_id)
            pending.remove(self._decisions, group.conv_id)
        pending.gone.append(group.conv_id)
        group.conv_id = None

    def _drop(self, key: _GroupKey, pending: _Pending) -> None:
        """Forget a conversation: its posts, its id; the others of its thread key may
        take their plain id back."""
        group: _Group = pending.remove(self._groups, key)
        platform = group.platform
        by_id, keys = self._posts[platform], self._keys[platform]
        children = self._children[platform]
        for post_id, post in group.members.items():
            pending.remove(by_id, post_id)
            pending.remove(keys, post_id)
            if post.in_reply_to is not None:
                siblings = children.get(post.in_reply_to)
                if siblings is not None:
                    pending.keep(siblings)
                    siblings.pop(post_id, None)
                    if not siblings:
                        pending.remove(children, post.in_reply_to)
        self._forget_id(group, pending)
        pending.touched.pop(key, None)
        platforms = self._platforms_of[group.key]
        pending.keep(platforms)
        del platforms[platform]
        if platforms:
            self._assign_ids(group.key, pending)
        else:
            pending.remove(self._platforms_of, group.key)

    def _finish(
        self,
        pending: _Pending,
        now: datetime | None,
        *,
        focus: _Group | None,
        post: Post | None,
        evaluate: bool = True,
    ) -> InboxUpdate:
        """Rebuild and triage the touched conversations, close the resolved ones."""
        items: dict[_GroupKey, tuple[Conversation, Decision | None]] = {}
        while pending.touched:
            keys = list(pending.touched)
            pending.touched.clear()
            groups = [self._groups[key] for key in keys]
            built = self._build(groups)
            for key, group, (conversation, decision) in zip(keys, groups, built, strict=True):
                if self._groups.get(key) is not group or conversation.id != group.conv_id:
                    continue  # dropped or renamed meanwhile: rebuilt (or gone) in the next round
                if conversation.resolved_at is not None:
                    pending.closed.append(conversation)
                    items[key] = (conversation, decision)  # reported (as the focus), not kept
                    self._drop(key, pending)
                    continue
                pending.put(self._conversations, conversation.id, conversation)
                if decision is not None:
                    pending.put(self._decisions, conversation.id, decision)
                if self._idle is not None:
                    pushed = (_last_activity(conversation), next(self._idle_seq), key)
                    heapq.heappush(self._idle_heap, pushed)
                items[key] = (conversation, decision)
        if post is not None and focus is None:
            found = self._conversation_of(post)
            focus = None if found is None else self._groups[self._owner[found.id]]
        focus_item: InboxItem | None = None
        changed: list[InboxItem] = []
        for key, (conversation, decision) in items.items():
            sla = None
            if evaluate and self._policy is not None and now is not None:
                sla = self._policy.evaluate(conversation, now)
            entry = InboxItem(conversation, decision, sla)
            if focus is not None and key == (focus.platform, focus.key):
                focus_item = entry
            if key in self._groups:
                changed.append(entry)
        if focus_item is None and focus is not None and focus.conv_id in self._conversations:
            focus_item = self._item(self._conversations[focus.conv_id], now)
        changed.sort(key=lambda entry: entry.conversation.id)
        gone = tuple(dict.fromkeys(i for i in pending.gone if i not in self._owner))
        return InboxUpdate(
            None if focus_item is None else focus_item.conversation,
            None if focus_item is None else focus_item.decision,
            None if focus_item is None else focus_item.sla,
            tuple(changed),
            gone,
            tuple(pending.closed),
            pending.duplicates,
        )

    def _build(self, groups: list[_Group]) -> list[tuple[Conversation, Decision | None]]:
        """The conversations of ``groups``, labelled and decided (one triage batch)."""
        plain = [
            _trusted_conversation(
                group.conv_id or group.key,
                tuple(sorted(group.members.values(), key=_post_order)),
                self._brand,
            )
            for group in groups
        ]
        labels: list[dict[str, Any]]
        decisions: list[Decision | None]
        if self._triager is None:
            labels, decisions = [{} for _ in plain], [None] * len(plain)
        elif self._threads:
            labels, decisions = _thread_triage(self._triager, plain)
        else:
            labels, decisions = [], []
            for conversation in plain:
                decision = self._triager.decide(conversation)
                if not isinstance(decision, Decision):
                    raise ModelError(
                        f"the triager {type(self._triager).__name__} is broken: its decide() "
                        f"returned a {type(decision).__name__}, not a Decision (the post is "
                        "fine; nothing was changed: fix the triager and send it again)"
                    )
                labels.append({})
                decisions.append(decision)
        out: list[tuple[Conversation, Decision | None]] = []
        for group, conversation, label, decision in zip(
            groups, plain, labels, decisions, strict=True
        ):
            update = dict(label)
            if group.surveys:
                update["surveys"] = group.surveys
            if group.status_changes:
                update["status_changes"] = group.status_changes
            if group.tags:
                update["tags"] = group.tags
            built: Conversation = conversation.model_copy(update=update) if update else conversation
            out.append((built, decision))
        return out


def _check_idle(idle: Any) -> timedelta | None:
    if idle is None:
        return None
    from socialcare._sla._policy import parse_duration

    span = parse_duration(idle)
    if span <= timedelta(0):
        raise InvalidInputError(
            f"idle must be a positive duration (such as '7d' or timedelta(days=7)) or None, "
            f"got {idle!r}"
        )
    return span


def _saved_clock(value: Any) -> datetime | None:
    """The ``clock`` of a snapshot: ``None`` or ISO 8601 text with an offset, in UTC."""
    if value is None:
        return None
    problem = (
        f"inbox snapshot: clock must be ISO 8601 text with an offset (as snapshot() "
        f"writes it, e.g. '2026-03-02T09:00:00+00:00'), got {value!r}"
    )
    if not isinstance(value, str):
        raise InvalidInputError(problem)
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(problem) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise TimezoneError(f"{problem}: it has no offset")
    return parsed.astimezone(timezone.utc)


def _rows(items: Any, name: str) -> list[Any]:
    if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Iterable):
        raise InvalidInputError(f"{name} must be a list, got {type(items).__name__}")
    return list(items)


def _last_activity(conversation: Conversation) -> datetime:
    last = conversation.posts[-1].created_at
    if conversation.status_changes:
        last = max(last, conversation.status_changes[-1].at)
    return last


def _check_triager(triager: Any) -> tuple[Any, bool]:
    """The triager and whether it is a socialcare Triager (decisions with thread labels)."""
    if triager is None:
        return None, False
    from socialcare._triage._triager import Triager

    if isinstance(triager, Triager):
        return triager, True
    if not callable(getattr(triager, "decide", None)):
        raise InvalidInputError(
            "triager must be a Triager (e.g. Triager.default()), an object with "
            f"decide(conversation) -> Decision, or None; got {type(triager).__name__}"
        )
    return triager, False


def _thread_triage(
    triager: Triager, conversations: list[Conversation]
) -> tuple[list[dict[str, Any]], list[Decision | None]]:
    """Labels and decisions as `triage_conversations` and `Triager.decide` make them."""
    from socialcare._triage._threads import (
        _NO_CUSTOMER_LABELS,
        _decide_turns,
        _no_customer,
        thread_labels,
        thread_rules,
    )

    rules = triager.rules
    labels: list[dict[str, Any]] = []
    decisions: list[Decision | None] = []
    for thread in _decide_turns(triager, conversations):
        if thread is None:
            labels.append(dict(_NO_CUSTOMER_LABELS))
            decisions.append(_no_customer(rules))
            continue
        latest = thread_rules(
            thread.turns[-1],
            thread.turns[:-1],
            rules,
            brand_asked=thread.asked,
            is_open=thread.is_open,
        )
        labels.append(thread_labels(thread.turns, latest))
        decisions.append(latest)
    return labels, decisions
