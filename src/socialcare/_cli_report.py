"""``socialcare report`` streaming: posts reduced to columns as they are read.

Each post read from the export is cut down at once to what threading, triage and the SLA
clocks need (ids, instants, roles, and the customer's text), and the `Post` is dropped. After
the last row, `socialcare.columnar` threads the columns, the customer turns are triaged in
batches of conversations (each turn decided once, the labels kept, the decisions dropped),
and the SLA clocks run once over whole columns. Memory grows with the posts' columns, not with
pydantic objects; the answers are those of ``build_conversations`` + ``triage_conversations``
+ ``metrics.report`` (tests/test_cli_streaming.py compares them).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from socialcare._conversation import RowError, _brand_keys
from socialcare._errors import InvalidInputError
from socialcare._models import Channel, Platform, Post
from socialcare.columnar import CUSTOMER, Threads, _datetime, _Rows, _thread, _us

if TYPE_CHECKING:
    from socialcare._triage._input import TriageInput
    from socialcare._triage._triager import Triager

__all__ = ["PostColumns", "conflict_error", "default_now"]

_QUESTION_MARKS = ("?", "¿", "؟")  # as socialcare._triage._threads reads a brand's question
_LABELS = ("intent", "route", "priority", "sentiment", "sensitive", "language")
_NO_CUSTOMER = {"route": "none"}


# The per-post columns of `PostColumns`, by kind (what `compact` rebuilds).
_ROW_LISTS = ("ids", "author", "parent", "thread", "text", "language")
_ROW_ARRAYS = ("_digests", "platform", "created", "followers", "index", "line")
_ROW_FLAGS = ("is_brand", "bot", "private", "asks", "verified")


def conflict_error(post_id: str, platform: str) -> InvalidInputError:
    """The error of a post whose platform and id were seen before with other content."""
    return InvalidInputError(
        f"post id {post_id!r} on {platform} was seen before with different content; ids must "
        "be unique per platform (the first version is kept)"
    )


def _frozen(value: Any) -> Any:
    """A hashable stand-in for a JSON value, equal where the values are equal."""
    if isinstance(value, dict):
        return ("dict", frozenset((key, _frozen(item)) for key, item in value.items()))
    if isinstance(value, list):
        return ("list", tuple(_frozen(item) for item in value))
    if isinstance(value, tuple):
        return ("tuple", tuple(_frozen(item) for item in value))
    return value


def _digest(post: Post) -> int:
    """Equal for equal posts (``Post.__eq__``); used to tell exact repeats from conflicts."""
    author = post.author
    return hash(
        (
            author.id,
            author.handle,
            author.display_name,
            author.followers,
            author.verified,
            author.is_brand,
            author.is_bot,
            post.text,
            post.created_at,
            post.channel,
            post.in_reply_to,
            post.conversation_id,
            post.language,
            post.automated,
            _frozen(post.metadata) if post.metadata else None,
        )
    )


class PostColumns:
    """The posts of an export as columns, filled one post at a time.

    ``add`` takes each valid post with its 0-based row and 1-based file line; an exact repeat
    of an earlier post (same platform and id) is counted and dropped, a different post with
    the same platform and id becomes a `RowError` (the first version is kept), as
    `build_conversations` does.
    """

    def __init__(self, brand: Iterable[str] | str | None, *, track_rows: bool = False) -> None:
        self.brand = _brand_keys(brand)
        self._brand_handles = frozenset(entry.removeprefix("@").lower() for entry in self.brand)
        self.read = 0  # valid posts read, repeats included
        self.duplicates = 0
        self.errors: list[RowError] = []
        self._seen: list[dict[str, int]] = []
        # Numbers and flags go to typed arrays (8 or 1 bytes a post, not a Python object).
        self._digests = array("q")
        self._platforms: list[Platform] = []
        self._platform_code: dict[Platform, int] = {}
        self._names: dict[str, str] = {}  # one string object per author id or language
        self.ids: list[str] = []
        self.platform = array("q")
        self.author: list[str] = []
        self.created = array("q")
        self.parent: list[str | None] = []
        self.thread: list[str | None] = []
        self.is_brand = bytearray()
        self.bot = bytearray()
        self.private = bytearray()
        # What triage reads: the customer's text; whether a brand post asks a question.
        self.text: list[str | None] = []
        self.asks = bytearray()
        self.followers = array("q")
        self.verified = bytearray()
        self.language: list[str | None] = []
        # Where each kept post came from (row index, file line), for errors found after it was
        # read (``track_rows``, with ``--idle``); 16 bytes a post otherwise not spent.
        self._track = track_rows
        # With ``track_rows``: posts from row ``checked`` on are not yet checked against the
        # posts already closed; a repeat of one of them waits in ``deferred`` as
        # (its first version's row, its digest, row index, file line).
        self.checked = 0
        self.deferred: list[tuple[int, int, int, int]] = []
        self.index = array("q")
        self.line = array("q")

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, post: Post, index: int, line: int) -> None:
        """Take one valid post (row ``index``, file ``line``)."""
        self.read += 1
        code = self._platform_code.get(post.platform)
        if code is None:
            code = self._platform_code[post.platform] = len(self._platforms)
            self._platforms.append(post.platform)
            self._seen.append({})
        seen = self._seen[code]
        row = len(self.ids)
        first = seen.setdefault(post.id, row)
        if first != row:
            if self._track and first >= self.checked:
                # ``first`` may itself repeat a post already closed (``--idle``): which
                # version this one is measured against is decided when ``first`` is checked.
                self.deferred.append((first, _digest(post), index, line))
                return
            if self._digests[first] == _digest(post):
                self.duplicates += 1
            else:
                conflict = conflict_error(post.id, post.platform)
                self.errors.append(RowError(index, conflict, post.id, line=line))
            return
        self._digests.append(_digest(post))
        names = self._names
        author = post.author
        self.ids.append(post.id)
        self.platform.append(code)
        self.author.append(names.setdefault(author.id, author.id))
        self.created.append(_us(post.created_at))
        parent = post.in_reply_to
        if parent is not None:
            known = seen.get(parent)
            if known is not None:  # a parent read before its reply: keep one string, not two
                parent = self.ids[known]
        self.parent.append(parent)
        self.thread.append(post.conversation_id)
        brand = self._is_brand(post)
        self.is_brand.append(brand)
        self.bot.append(post.automated or author.is_bot)
        self.private.append(post.channel is Channel.PRIVATE)
        if brand:
            self.text.append(None)
            self.asks.append(any(mark in post.text for mark in _QUESTION_MARKS))
        else:
            self.text.append(post.text)
            self.asks.append(False)
        self.followers.append(author.followers)
        self.verified.append(author.verified)
        language = post.language
        self.language.append(None if language is None else names.setdefault(language, language))
        if self._track:
            self.index.append(index)
            self.line.append(line)

    def _is_brand(self, post: Post) -> bool:
        # Conversation.is_brand_author, with the brand of the whole export.
        author = post.author
        if author.is_brand is not None:
            return author.is_brand
        if author.id in self.brand:
            return True
        return author.handle is not None and author.handle.lower() in self._brand_handles

    def platform_of(self, row: int) -> Platform:
        """The platform of post ``row``."""
        return self._platforms[self.platform[row]]

    @property
    def any_brand(self) -> bool:
        """Whether any post is the brand's."""
        return any(self.is_brand)

    def last_at(self) -> datetime:
        """The latest post's instant."""
        return _datetime(max(self.created))

    def thread_posts(self, *, release: bool = True) -> Threads:
        """Group the posts into conversations (`socialcare.columnar.thread` rules).

        ``release`` drops what only threading reads (the ids' positions, parents, thread ids,
        content digests) once done; ``False`` keeps them, for more posts to come (``--idle``).
        """
        m = len(self.ids)
        if release:
            self._digests = array("q")

        def flags(values: bytearray) -> npt.NDArray[np.bool_]:
            return np.frombuffer(bytes(values), dtype=np.uint8).astype(bool)

        rows = _Rows(
            n=m,
            keep=np.ones(m, dtype=bool),
            ids=self.ids,
            platform=np.frombuffer(self.platform, dtype=np.int64).copy(),
            platforms=[str(p) for p in self._platforms],
            author=self.author,
            created=np.frombuffer(self.created, dtype=np.int64).copy(),
            parent=self.parent,
            thread_id=self.thread,
            is_brand=flags(self.is_brand).tolist(),
            bot=flags(self.bot),
            private=flags(self.private),
            extra=[],
            errors=[],
        )
        threads = _thread(rows, positions=self._seen, keys=not release)
        if release:
            self._seen = []
            self.parent, self.thread = [], []  # threading is done with them
        return threads

    def compact(self, keep: npt.NDArray[np.bool_]) -> None:
        """Keep only the posts where ``keep`` is true (in their order); forget the others."""
        if not self._track:
            raise ValueError("compact needs PostColumns(track_rows=True)")
        picked = np.flatnonzero(keep)
        rows = picked.tolist()
        for name in _ROW_LISTS:
            values = getattr(self, name)
            setattr(self, name, [values[r] for r in rows])
        for name in _ROW_ARRAYS:
            numbers = array("q")
            numbers.frombytes(np.frombuffer(getattr(self, name), dtype=np.int64)[picked].tobytes())
            setattr(self, name, numbers)
        for name in _ROW_FLAGS:
            flags = np.frombuffer(bytes(getattr(self, name)), dtype=np.uint8)[picked]
            setattr(self, name, bytearray(flags.tobytes()))
        codes = self.platform
        self._seen = [{} for _ in self._platforms]
        for row, (code, post_id) in enumerate(zip(codes, self.ids, strict=True)):
            self._seen[code][post_id] = row
        # One string per author id or language still held, not per one ever read.
        names: dict[str, str] = {}
        for author in self.author:
            names.setdefault(author, author)
        for language in self.language:
            if language is not None:
                names.setdefault(language, language)
        self._names = names

    def labels(
        self, threads: Threads, triager: Triager, *, batch: int = 20_000
    ) -> dict[str, list[str | None]]:
        """Triage labels per conversation, as ``triage_conversations`` sets them.

        Conversations are decided ``batch`` at a time: every customer turn of the batch in one
        engine pass, the thread rules on the latest, then the decisions are dropped.
        """
        from socialcare._triage._threads import thread_labels, thread_rules

        rules = triager.rules
        starts = threads.starts().tolist()
        rows = threads.rows.tolist()
        roles = threads.role.tolist()
        out: dict[str, list[str | None]] = {name: [] for name in _LABELS}
        k = len(threads)
        for first in range(0, k, batch):
            inputs: list[TriageInput] = []
            plans: list[tuple[int, int, bool, bool] | None] = []
            for index in range(first, min(first + batch, k)):
                turns: list[list[int]] = []
                asked_of: list[bool] = []
                current: list[int] = []
                last_brand = -1
                asked = False
                end = starts[index + 1]
                for at in range(starts[index], end):
                    row = rows[at]
                    if roles[at] == CUSTOMER:
                        if not current:
                            asked = last_brand >= 0 and bool(self.asks[last_brand])
                        current.append(row)
                        continue
                    if current:
                        turns.append(current)
                        asked_of.append(asked)
                        current = []
                    last_brand = row
                if current:
                    turns.append(current)
                    asked_of.append(asked)
                if not turns:
                    plans.append(None)
                    continue
                is_open = roles[end - 1] == CUSTOMER
                plans.append((len(inputs), len(turns), asked_of[-1], is_open))
                for turn in turns:
                    head = turn[0]
                    inputs.append(
                        _turn_input(
                            {
                                "text": "\n".join(self.text[r] or "" for r in turn),
                                "platform": self._platforms[self.platform[head]],
                                "followers": self.followers[head],
                                "verified": bool(self.verified[head]),
                                "public": not self.private[head],
                                "is_brand": False,
                                "automated": False,
                                "language": self.language[head],
                            }
                        )
                    )
            decided = triager._decide_inputs(inputs) if inputs else []
            for plan in plans:
                if plan is None:  # only the brand spoke: nothing awaits a reply
                    for name in _LABELS:
                        out[name].append(_NO_CUSTOMER.get(name))
                    continue
                start, count, asked, is_open = plan
                turns_decided = decided[start : start + count]
                latest = thread_rules(
                    turns_decided[-1],
                    turns_decided[:-1],
                    rules,
                    brand_asked=asked,
                    is_open=is_open,
                )
                labels = thread_labels(turns_decided, latest)
                for name in _LABELS:
                    out[name].append(labels[name])
        return out


def _turn_input(values: dict[str, Any]) -> TriageInput:
    """``TriageInput.model_construct(**values)`` with every field given: the same object,
    without pydantic's per-call default resolution (a cost at a million turns)."""
    from socialcare._triage._input import TriageInput

    item = TriageInput.__new__(TriageInput)
    object.__setattr__(item, "__dict__", values)
    object.__setattr__(item, "__pydantic_fields_set__", set(values))
    object.__setattr__(item, "__pydantic_extra__", None)
    object.__setattr__(item, "__pydantic_private__", None)
    return item


def default_now(posts: PostColumns) -> datetime:
    """Just after the export's last post: replaying an export judges nothing by today."""
    return posts.last_at() + timedelta(seconds=1)
