"""Conversations: the posts of one thread, who the customer is, and when the brand answered."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, Literal, NamedTuple

from pydantic import Field, ValidationInfo, field_validator, model_validator

from socialcare._base import Frozen as _Frozen
from socialcare._errors import InvalidInputError, SocialcareError
from socialcare._models import Author, Channel, Platform, Post, Survey, Timestamp, _to_utc

__all__ = [
    "BuildResult",
    "Conversation",
    "Exchange",
    "RowError",
    "StatusChange",
    "Timeline",
    "build_conversations",
]

Role = Literal["customer", "agent", "bot"]


def _post_order(post: Post) -> tuple[datetime, int, str]:
    # Same instant: numeric-looking ids (Twitter snowflakes) sort by length first, then text.
    return (post.created_at, len(post.id), post.id)


def _brand_keys(brand: Iterable[str] | str | None) -> frozenset[str]:
    """The brand's ids or handles: one string is one brand (not its letters)."""
    if brand is None:
        return frozenset()
    if isinstance(brand, str):
        brand = (brand,)
    elif isinstance(brand, (bytes, Mapping)) or not isinstance(brand, Iterable):
        raise InvalidInputError(
            "brand is an author id or handle, or a list of them (e.g. ['acme', '@AcmeHelp']), "
            f"got {type(brand).__name__}"
        )
    keys: set[str] = set()
    for entry in brand:
        if not isinstance(entry, str) or not entry.strip():
            raise InvalidInputError(
                f"brand entries are author ids or handles (non-empty text), got {entry!r}"
            )
        keys.add(entry.strip())
    return frozenset(keys)


class StatusChange(_Frozen):
    """A known change of a conversation's state: resolved, or reopened after resolution."""

    at: Timestamp
    status: Literal["resolved", "reopened"]
    by: str | None = Field(default=None, description="Author id of who changed it, if known.")

    @field_validator("at", mode="before")
    @classmethod
    def _at(cls, value: Any, info: ValidationInfo) -> datetime:
        return _to_utc(value, info)


class Exchange(NamedTuple):
    """A customer turn and the brand's answer to it.

    ``customer_at`` is the first customer post after the previous brand reply (or the first
    customer post); ``reply_at`` the next brand post after it, or ``None`` while unanswered.
    """

    customer_at: datetime
    customer_post_id: str
    reply_at: datetime | None
    reply_post_id: str | None
    reply_author_id: str | None
    reply_automated: bool


@dataclass(frozen=True, slots=True)
class Timeline:
    """The derived facts of a conversation, computed in one pass over its posts."""

    roles: tuple[Role, ...]
    customer: Author | None
    first_customer_at: datetime | None
    first_response_at: datetime | None
    first_human_response_at: datetime | None
    first_automated_response_at: datetime | None
    exchanges: tuple[Exchange, ...]
    human_exchanges: tuple[Exchange, ...]
    agent_id: str | None
    brand_touches: int
    human_touches: int
    first_resolved_at: datetime | None
    resolved_at: datetime | None
    reopened_at: tuple[datetime, ...]


def _exchanges(
    posts: tuple[Post, ...], roles: tuple[Role, ...], *, include_automated: bool
) -> tuple[Exchange, ...]:
    out: list[Exchange] = []
    open_post: Post | None = None
    for post, role in zip(posts, roles, strict=True):
        if role == "customer":
            if open_post is None:
                open_post = post
        elif open_post is not None and (include_automated or role == "agent"):
            out.append(
                Exchange(
                    open_post.created_at,
                    open_post.id,
                    post.created_at,
                    post.id,
                    post.author.id,
                    role == "bot",
                )
            )
            open_post = None
    if open_post is not None:
        out.append(
            Exchange(open_post.created_at, open_post.id, None, None, None, reply_automated=False)
        )
    return tuple(out)


class Conversation(_Frozen):
    """The posts of one thread in time order, with the facts later computations need.

    Posts are sorted by ``created_at`` (ties by id) whatever order they come in. A post is the
    brand's when its author has ``is_brand=True``, or ``is_brand`` is unset and the author's id
    or handle is in ``brand``; the brand's posts are automated (``bot``) when the post or its
    author says so, otherwise human (``agent``). Everyone else is the customer side.

    Status changes before the first customer post are ignored: a resolution recorded before
    the customer wrote (a stale status from an earlier ticket, or a clock error) resolves
    nothing the customer asked, so the conversation counts as unresolved. The SLA engine and
    the metrics read the same rule from here.

    Derived values are computed once, on first use; read `timeline` for all of them.

    >>> from datetime import datetime, timezone
    >>> t = lambda m: datetime(2024, 5, 1, 9, m, tzinfo=timezone.utc)
    >>> ana, acme = Author(id="1"), Author(id="2", is_brand=True)
    >>> c = Conversation(id="c1", posts=[
    ...     Post(id="a", platform="x", author=ana, text="my order?", created_at=t(0)),
    ...     Post(id="b", platform="x", author=acme, text="on it!", created_at=t(7),
    ...          in_reply_to="a"),
    ... ])
    >>> c.customer.id, c.first_response_at - c.first_customer_at
    ('1', datetime.timedelta(seconds=420))
    """

    id: str = Field(min_length=1)
    posts: tuple[Post, ...] = Field(min_length=1)
    brand: frozenset[str] = Field(
        default=frozenset(),
        description="Author ids or handles that speak for the brand when is_brand is unset "
        "(one string is one brand).",
    )
    surveys: tuple[Survey, ...] = ()
    status_changes: tuple[StatusChange, ...] = ()
    intent: str | None = None
    priority: str | None = None
    route: str | None = None
    sentiment: str | None = None
    sensitive: str | None = Field(default=None, description="Sensitivity kind from triage.")
    language: str | None = Field(default=None, description="The customer's language (BCP 47).")
    tags: frozenset[str] = frozenset()

    @field_validator("posts", mode="after")
    @classmethod
    def _in_time_order(cls, posts: tuple[Post, ...]) -> tuple[Post, ...]:
        ordered = tuple(sorted(posts, key=_post_order))
        seen: set[str] = set()
        for post in ordered:
            if post.id in seen:
                raise ValueError(
                    f"post id {post.id!r} appears twice in one conversation; "
                    "use build_conversations() to drop duplicates"
                )
            seen.add(post.id)
        return ordered

    @field_validator("status_changes", mode="after")
    @classmethod
    def _changes_in_order(cls, changes: tuple[StatusChange, ...]) -> tuple[StatusChange, ...]:
        return tuple(sorted(changes, key=lambda change: change.at))

    @field_validator("brand", mode="before")
    @classmethod
    def _brand(cls, value: Any) -> Any:
        if isinstance(value, str):
            return frozenset({value})  # one brand, not its letters
        return value

    @model_validator(mode="after")
    def _one_platform(self) -> Conversation:
        platforms = {post.platform for post in self.posts}
        if len(platforms) > 1:
            raise ValueError(
                f"a conversation lives on one platform, got {sorted(platforms)}; "
                "split the posts by platform first"
            )
        return self

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Any:
        """Copy, re-validating updated fields so derived values stay true."""
        if not update:
            return super().model_copy(deep=deep)
        data = {name: getattr(self, name) for name in type(self).model_fields}
        data.update(update)
        return type(self).model_validate(data)

    # Derived facts --------------------------------------------------------------------------

    def is_brand_author(self, author: Author) -> bool:
        """Whether ``author`` speaks for the brand in this conversation."""
        if author.is_brand is not None:
            return author.is_brand
        if author.id in self.brand:
            return True
        return author.handle is not None and author.handle.lower() in self._brand_handles

    @cached_property
    def _brand_handles(self) -> frozenset[str]:
        return frozenset(entry.removeprefix("@").lower() for entry in self.brand)

    @cached_property
    def timeline(self) -> Timeline:
        """Every derived fact, computed in one pass and kept."""
        roles: list[Role] = []
        for post in self.posts:
            if not self.is_brand_author(post.author):
                roles.append("customer")
            else:
                roles.append("bot" if post.is_automated else "agent")
        role_tuple = tuple(roles)
        customer: Author | None = None
        first_customer_at: datetime | None = None
        first_any = first_human = first_bot = None
        agent_id: str | None = None
        touches = human_touches = 0
        for post, role in zip(self.posts, role_tuple, strict=True):
            if role == "customer":
                if customer is None:
                    customer, first_customer_at = post.author, post.created_at
                continue
            if first_customer_at is None:
                continue  # the brand spoke first (a campaign post): not a response
            touches += 1
            if first_any is None:
                first_any = post.created_at
            if role == "agent":
                human_touches += 1
                if first_human is None:
                    first_human, agent_id = post.created_at, post.author.id
            elif first_bot is None:
                first_bot = post.created_at
        first_resolved = resolved = None
        reopened: list[datetime] = []
        for change in self.status_changes:
            if first_customer_at is not None and change.at < first_customer_at:
                continue  # before the customer asked anything: it resolves nothing of theirs
            if change.status == "resolved":
                resolved = change.at
                if first_resolved is None:
                    first_resolved = change.at
            else:
                if resolved is not None:
                    reopened.append(change.at)
                resolved = None
        return Timeline(
            roles=role_tuple,
            customer=customer,
            first_customer_at=first_customer_at,
            first_response_at=first_any,
            first_human_response_at=first_human,
            first_automated_response_at=first_bot,
            exchanges=_exchanges(self.posts, role_tuple, include_automated=True),
            human_exchanges=_exchanges(self.posts, role_tuple, include_automated=False),
            agent_id=agent_id,
            brand_touches=touches,
            human_touches=human_touches,
            first_resolved_at=first_resolved,
            resolved_at=resolved,
            reopened_at=tuple(reopened),
        )

    @property
    def platform(self) -> Platform:
        """The platform of the thread."""
        return self.posts[0].platform

    @property
    def channel(self) -> Channel:
        """The channel of the first customer post (of the first post if there is none)."""
        for post, role in zip(self.posts, self.timeline.roles, strict=True):
            if role == "customer":
                return post.channel
        return self.posts[0].channel

    @property
    def customer(self) -> Author | None:
        """The author of the first customer post, or ``None`` if only the brand wrote."""
        return self.timeline.customer

    @property
    def customer_posts(self) -> tuple[Post, ...]:
        """Posts by the customer side, in time order."""
        return self._posts_with("customer")

    @property
    def brand_posts(self) -> tuple[Post, ...]:
        """Posts by the brand (people and automation), in time order."""
        return tuple(
            p for p, r in zip(self.posts, self.timeline.roles, strict=True) if r != "customer"
        )

    @property
    def human_replies(self) -> tuple[Post, ...]:
        """Brand posts written by people."""
        return self._posts_with("agent")

    @property
    def automated_replies(self) -> tuple[Post, ...]:
        """Brand posts written by automation."""
        return self._posts_with("bot")

    def _posts_with(self, role: Role) -> tuple[Post, ...]:
        return tuple(p for p, r in zip(self.posts, self.timeline.roles, strict=True) if r == role)

    @property
    def first_customer_at(self) -> datetime | None:
        """When the customer first wrote."""
        return self.timeline.first_customer_at

    @property
    def first_response_at(self) -> datetime | None:
        """The first brand post after the first customer post, human or automated."""
        return self.timeline.first_response_at

    @property
    def first_human_response_at(self) -> datetime | None:
        """The first brand post by a person after the first customer post."""
        return self.timeline.first_human_response_at

    @property
    def first_automated_response_at(self) -> datetime | None:
        """The first automated brand post after the first customer post."""
        return self.timeline.first_automated_response_at

    def exchanges(self, *, include_automated: bool = False) -> tuple[Exchange, ...]:
        """Each customer turn and the next brand reply to it (people only by default)."""
        t = self.timeline
        return t.exchanges if include_automated else t.human_exchanges

    @property
    def resolved_at(self) -> datetime | None:
        """When it was last resolved, or ``None`` if it is not resolved now.

        Resolutions before the first customer post do not count (see the class notes).
        """
        return self.timeline.resolved_at

    @property
    def reopened(self) -> bool:
        """Whether it was reopened after being resolved at least once."""
        return bool(self.timeline.reopened_at)

    def attach(
        self,
        *,
        surveys: Iterable[Survey | Mapping[str, Any]] = (),
        status_changes: Iterable[StatusChange | Mapping[str, Any]] = (),
        **labels: Any,
    ) -> Conversation:
        """Return a copy with more surveys or status changes and updated labels.

        ``labels`` are ``intent``, ``priority``, ``route``, ``sentiment`` or ``tags``.
        """
        unknown = set(labels) - {"intent", "priority", "route", "sentiment", "tags"}
        if unknown:
            raise InvalidInputError(f"attach() got unknown labels {sorted(unknown)}")
        update: dict[str, Any] = dict(labels)
        update["surveys"] = (*self.surveys, *surveys)
        update["status_changes"] = (*self.status_changes, *status_changes)
        return self.model_copy(update=update)  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class RowError:
    """Why one input row of a batch produced no result; the rest of the batch went on.

    ``index`` is the 0-based position of the row in its input; ``line`` is the 1-based line of
    the file it was read from, when it was read from a file (``None`` otherwise). ``str()``
    names the line when there is one, else the row: ``line 5: ...`` or ``row 4: ...``.

    >>> str(RowError(3, InvalidInputError("bad"), "x", line=5))
    "line 5 (id 'x'): bad"
    """

    index: int
    error: SocialcareError
    id: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = f"row {self.index}" if self.line is None else f"line {self.line}"
        where += f" (id {self.id!r})" if self.id is not None else ""
        return f"{where}: {self.error}"


@dataclass(frozen=True)
class BuildResult:
    """What `build_conversations` made, and what it had to leave out or repair.

    Iterating it, ``len()`` and indexing go over the conversations.
    """

    conversations: tuple[Conversation, ...]
    errors: tuple[RowError, ...]
    duplicates_dropped: int
    missing_parents: int
    cycles_broken: int

    def __iter__(self) -> Iterator[Conversation]:
        return iter(self.conversations)

    def __len__(self) -> int:
        return len(self.conversations)

    def __getitem__(self, index: int) -> Conversation:
        return self.conversations[index]

    @property
    def ok(self) -> bool:
        """Whether every row made it into a conversation (duplicates aside)."""
        return not self.errors


def _row_id(row: Any) -> str | None:
    if isinstance(row, Post):
        return row.id
    if isinstance(row, Mapping):
        value = row.get("id")
        return None if value is None else str(value)
    return None


def build_conversations(
    posts: Iterable[Post | Mapping[str, Any]],
    brand: Iterable[str] | str | None = None,
    *,
    assume_tz: str | None = None,
    on_error: Literal["collect", "raise"] = "collect",
) -> BuildResult:
    """Group posts into conversations by conversation id or reply chain.

    Post ids are unique per platform: a post is known by its platform and its id, so the same
    id on two platforms is two posts, and ``in_reply_to`` and ``conversation_id`` are read
    within the post's own platform. A post with a ``conversation_id`` joins that
    conversation. Otherwise it follows ``in_reply_to`` up to the first post it can find and
    joins that post's conversation (the root's ``conversation_id``, or the root's id). A reply
    whose parent is not in the input (on its platform) starts its own conversation (counted in
    ``missing_parents``). A reply cycle is broken at its earliest post (counted in
    ``cycles_broken``). A post repeated exactly is dropped (counted); the same platform and id
    with different content is an error for the later row, and the first one is kept. A
    conversation id used on several platforms becomes ``"<platform>:<id>"`` for each. Rows may
    be `Post` objects or mappings (validated here).

    Args:
        posts: the posts, in any order.
        brand: an author id or handle, or several, that speak for the brand when
            ``Author.is_brand`` is unset (handles match case-insensitively, with or without
            ``@``). One string is one brand.
        assume_tz: the zone of naive timestamps in mapping rows; without it they are errors.
        on_error: ``"collect"`` (default) records bad rows in ``errors`` and goes on;
            ``"raise"`` raises the first one.

    >>> from datetime import datetime, timezone
    >>> rows = [
    ...     {"id": "2", "platform": "x", "author": {"id": "acme"}, "text": "DM us",
    ...      "created_at": "2024-05-01T09:05:00Z", "in_reply_to": "1"},
    ...     {"id": "1", "platform": "x", "author": {"id": "ana"}, "text": "help!",
    ...      "created_at": "2024-05-01T09:00:00Z"},
    ... ]
    >>> result = build_conversations(rows, brand=["acme"])
    >>> [c.id for c in result], result[0].first_response_at.minute
    (['1'], 5)
    """
    if on_error not in ("collect", "raise"):
        raise InvalidInputError(f"on_error must be 'collect' or 'raise', got {on_error!r}")
    if isinstance(posts, (str, bytes, Mapping)) or not isinstance(posts, Iterable):
        raise InvalidInputError(
            "posts must be an iterable of Post objects or mappings (such as a list), "
            f"got {type(posts).__name__}"
        )
    brand_keys = _brand_keys(brand)

    errors: list[RowError] = []
    by_platform: dict[Platform, dict[str, Post]] = {}
    duplicates = 0
    for index, row in enumerate(posts):
        if isinstance(row, Post):
            post = row
        else:
            try:
                if not isinstance(row, Mapping):
                    raise InvalidInputError(
                        f"a row must be a Post or a mapping, got {type(row).__name__}"
                    )
                post = Post.parse(row, assume_tz=assume_tz)
            except SocialcareError as exc:
                if on_error == "raise":
                    raise
                errors.append(RowError(index, exc, _row_id(row)))
                continue
        by_id = by_platform.get(post.platform)
        if by_id is None:
            by_id = by_platform[post.platform] = {}
        seen = by_id.get(post.id)
        if seen is None:
            by_id[post.id] = post
        elif seen == post:
            duplicates += 1
        else:
            conflict = _edit_conflict(post)
            if on_error == "raise":
                raise conflict
            errors.append(RowError(index, conflict, post.id))

    # Thread each platform on its own; group by thread key alone (no per-post tuple or list
    # allocations: a million posts make the garbage collector the main cost otherwise).
    missing = cycles = 0
    by_key: dict[str, list[tuple[Platform, list[Post]]]] = {}
    for platform, by_id in by_platform.items():
        keys, platform_missing, platform_cycles = _thread_keys(by_id)
        missing += platform_missing
        cycles += platform_cycles
        threads: dict[str, list[Post]] = {}
        for post_id, post in by_id.items():
            key = keys[post_id]
            members = threads.get(key)
            if members is None:
                threads[key] = [post]
            else:
                members.append(post)
        for key, members in threads.items():
            parts = by_key.get(key)
            if parts is None:
                by_key[key] = [(platform, members)]
            else:
                parts.append((platform, members))
    groups: list[tuple[str, list[Post]]] = []
    for key, parts in by_key.items():
        if len(parts) == 1:
            groups.append((key, parts[0][1]))
        else:  # the same thread key on several platforms: one conversation each
            groups.extend((_platform_scoped(platform, key), members) for platform, members in parts)

    firsts: list[tuple[tuple[datetime, int, str], Conversation]] = []
    for conv_id, members in groups:
        if len(members) > 1:
            members.sort(key=_post_order)
        conversation = _trusted_conversation(conv_id, tuple(members), brand_keys)
        firsts.append((_post_order(members[0]), conversation))
    firsts.sort(key=lambda pair: pair[0])
    conversations = tuple(conversation for _, conversation in firsts)
    return BuildResult(conversations, tuple(errors), duplicates, missing, cycles)


_DEFAULTS: dict[str, Any] = {
    name: field.get_default(call_default_factory=True)
    for name, field in Conversation.model_fields.items()
    if not field.is_required()
}
_FIELDS_SET = frozenset({"id", "posts", "brand"})


def _trusted_conversation(
    conv_id: str, posts: tuple[Post, ...], brand: frozenset[str]
) -> Conversation:
    """Build a Conversation from parts already known valid (sorted, unique, one platform).

    The same as ``Conversation.model_construct`` without its per-call default resolution,
    which dominates the cost of grouping a million posts.
    """
    conversation = Conversation.__new__(Conversation)
    values = dict(_DEFAULTS)
    values["id"] = conv_id
    values["posts"] = posts
    values["brand"] = brand
    object.__setattr__(conversation, "__dict__", values)
    object.__setattr__(conversation, "__pydantic_fields_set__", set(_FIELDS_SET))
    object.__setattr__(conversation, "__pydantic_extra__", None)
    object.__setattr__(conversation, "__pydantic_private__", None)
    return conversation


def _edit_conflict(post: Post) -> InvalidInputError:
    """The error for a post whose platform and id were seen before with other content."""
    return InvalidInputError(
        f"post id {post.id!r} on {post.platform} was seen before with different "
        "content; ids must be unique per platform (the first version is kept)"
    )


def _platform_scoped(platform: Platform, key: str) -> str:
    """The id of a conversation whose thread key is used on several platforms."""
    return f"{platform}:{key}"


def _thread_keys(by_id: Mapping[str, Post]) -> tuple[dict[str, str], int, int]:
    """Map each post id to its conversation key; count missing parents and broken cycles."""
    keys: dict[str, str] = {}
    missing = cycles = 0
    for start_id, start in by_id.items():
        if start_id in keys:
            continue
        # Fast paths first: most posts settle without walking a chain.
        if start.conversation_id is not None:
            keys[start_id] = start.conversation_id
            continue
        parent_id = start.in_reply_to
        if parent_id is None:
            keys[start_id] = start_id
            continue
        known = keys.get(parent_id)
        if known is not None:
            keys[start_id] = known
            continue
        key, walked, end = _chain_key(start, by_id, keys)
        if end == "missing":
            missing += 1
        elif end == "cycle":
            cycles += 1
        for member in walked:
            keys[member] = key
    return keys, missing, cycles


ChainEnd = Literal["known", "thread", "root", "missing", "cycle"]


def _chain_key(
    start: Post, by_id: Mapping[str, Post], keys: Mapping[str, str]
) -> tuple[str, list[str], ChainEnd]:
    """The thread key of ``start``: follow ``in_reply_to`` up to the post that decides it.

    The deciding post is one whose key is already in ``keys``, one with a
    ``conversation_id`` (the key), a root (its id), one whose parent is not in ``by_id`` (its
    id), or the earliest post of a reply cycle (its id). Returns the key, the ids walked
    (each takes the key; none of them is in ``keys``) and how the chain ended. With empty
    ``keys`` the answer depends on ``by_id`` alone (the live inbox walks that way).
    """
    path: list[str] = []
    on_path: set[str] = set()
    post = start
    while True:
        known = keys.get(post.id)
        if known is not None:
            return known, path, "known"
        path.append(post.id)
        if post.conversation_id is not None:
            return post.conversation_id, path, "thread"
        parent_id = post.in_reply_to
        if parent_id is None:
            return post.id, path, "root"
        parent = by_id.get(parent_id)
        if parent is None:
            return post.id, path, "missing"
        if parent.id in on_path:
            cycle = path[path.index(parent.id) :]
            root = min((by_id[i] for i in cycle), key=_post_order)
            return root.conversation_id or root.id, path, "cycle"
        on_path.add(post.id)
        post = parent
