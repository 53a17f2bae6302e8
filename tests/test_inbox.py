"""The live inbox: one post at a time gives what the batch path gives on the same posts."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialcare import (
    Author,
    Conversation,
    Decision,
    Inbox,
    InboxUpdate,
    InvalidInputError,
    ModelError,
    Post,
    SLAPolicy,
    SLAReport,
    SLAState,
    TimezoneError,
    Triager,
    build_conversations,
    triage_conversations,
)
from socialcare.testing import StubTriager

UTC = timezone.utc
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
NOW = T0 + timedelta(hours=3)
END = T0 + timedelta(days=30)  # after every post: a resolution then always counts
ANA = Author(id="ana", followers=40)
BEN = Author(id="ben", followers=250_000)
AGENT = Author(id="acme", handle="AcmeHelp")  # brand by the inbox's brand=
BOT = Author(id="bot", is_brand=True, is_bot=True)

POLICY = SLAPolicy.from_dict(
    {
        "targets": [
            {"metric": "first_response", "duration": "15m", "when": {"priority": "urgent"}},
            {"metric": "first_response", "duration": "1h"},
            {"metric": "next_response", "duration": "30m"},
            {"metric": "resolution", "duration": "1d"},
        ]
    }
)
STUB = StubTriager(routes={r"lawyer|sue": "specialist", r"thank": "none", r"hours": "auto"})
TEXTS = (
    "where is my parcel?",
    "my lawyer will hear about this",
    "thanks!",
    "what are your opening hours",
    "Sorry! Can you DM us the order id?",
    "",
)


def post(
    pid: str,
    author: Author,
    minute: float,
    reply_to: str | None = None,
    *,
    platform: str = "twitter",
    text: str | None = None,
    thread: str | None = None,
) -> Post:
    return Post(
        id=pid,
        platform=platform,
        author=author,
        text=f"post {pid}" if text is None else text,
        created_at=T0 + timedelta(minutes=minute),
        in_reply_to=reply_to,
        conversation_id=thread,
    )


@functools.cache
def real_triager() -> Triager:
    return Triager.default()


# ------------------------------------------------------------------ the batch path
def batch(
    rows: Sequence[Post], triager: Any, now: datetime, brand: str = "acme"
) -> tuple[dict[str, tuple[Conversation, Decision | None, SLAReport]], list[int]]:
    """What a user gets today: build_conversations, triage, policy.evaluate."""
    result = build_conversations(rows, brand=brand)
    conversations = list(result.conversations)
    decisions: list[Decision | None]
    if triager is None:
        decisions = [None] * len(conversations)
    elif isinstance(triager, Triager):
        decisions = list(triager.decide_many(conversations))
        conversations = triage_conversations(conversations, triager)
    else:
        decisions = [triager.decide(c) for c in conversations]
    out = {
        c.id: (c, d, POLICY.evaluate(c, now)) for c, d in zip(conversations, decisions, strict=True)
    }
    assert len(out) == len(conversations)  # no two conversations share an id here
    return out, [error.index for error in result.errors]


def live(inbox: Inbox, now: datetime) -> dict[str, tuple[Conversation, Decision | None, Any]]:
    out = {}
    for cid in inbox.conversations:
        item = inbox.item(cid, now)
        out[cid] = (item.conversation, item.decision, item.sla)
    return out


def mirror(store: dict[str, Conversation], update: InboxUpdate) -> None:
    """What a caller does with an update: delete removed ids, upsert changed ones."""
    for cid in update.removed:
        store.pop(cid, None)
    for item in update.changed:
        store[item.conversation.id] = item.conversation


# ------------------------------------------------------------------ strategies
@st.composite
def post_rows(draw: st.DrawFn, max_posts: int = 12) -> list[Post]:
    """Posts threaded every way build_conversations knows: replies (to missing parents too),
    thread ids (shared across platforms), cycles, exact repeats and edits, shuffled."""
    count = draw(st.integers(min_value=1, max_value=max_posts))
    ids = [f"p{i}" for i in range(count)]
    made: list[Post] = []
    for pid in ids:
        parent = draw(st.sampled_from([None, None, "gone", *[x for x in ids if x != pid]]))
        made.append(
            post(
                pid,
                draw(st.sampled_from([ANA, ANA, BEN, AGENT, AGENT, BOT])),
                draw(st.integers(min_value=0, max_value=240)),
                parent,
                platform=draw(st.sampled_from(["twitter", "twitter", "facebook"])),
                text=draw(st.sampled_from(TEXTS)),
                thread=draw(st.sampled_from([None, None, None, None, "t1", "t2", "p1"])),
            )
        )
    extra: list[Post] = []
    for original in draw(st.lists(st.sampled_from(made), max_size=3)):
        kind = draw(st.sampled_from(["repeat", "edit", "other platform"]))
        if kind == "repeat":
            extra.append(original)
        elif kind == "edit":
            extra.append(original.model_copy(update={"text": original.text + " (edited)"}))
        else:
            other = "facebook" if original.platform == "twitter" else "twitter"
            extra.append(original.model_copy(update={"platform": other}))
    return draw(st.permutations(made + extra))


def feed(inbox: Inbox, rows: Iterable[Post], now: datetime) -> list[int]:
    errors = []
    for index, row in enumerate(rows):
        try:
            inbox.add(row, now=now)
        except InvalidInputError:
            errors.append(index)
    return errors


# ------------------------------------------------------------------ property tests
@settings(max_examples=150, deadline=None)
@given(post_rows())
def test_one_at_a_time_equals_batch_after_every_post(rows: list[Post]) -> None:
    """Shuffled posts fed one by one: after each, the same conversations, decisions and SLA
    reports as build_conversations + the triager + policy.evaluate on the posts so far; and
    a caller mirroring `changed`/`removed` holds exactly the open conversations."""
    inbox = Inbox(STUB, POLICY, brand="acme")
    store: dict[str, Conversation] = {}
    errors: list[int] = []
    for index, row in enumerate(rows):
        try:
            update = inbox.add(row, now=NOW)
        except InvalidInputError as exc:
            message = str(exc)
            errors.append(index)
            assert "different content" in message
        else:
            mirror(store, update)
            assert update.conversation is not None
            assert (row.platform, row.id) in {(p.platform, p.id) for p in update.conversation.posts}
            assert update.conversation == inbox.conversations[update.conversation.id]
            assert update.decision == STUB.decide(update.conversation)
            assert update.sla == POLICY.evaluate(update.conversation, NOW)
        expected, expected_errors = batch(rows[: index + 1], STUB, NOW)
        assert live(inbox, NOW) == expected
        assert errors == expected_errors
        assert store == dict(inbox.conversations)


@settings(max_examples=60, deadline=None)
@given(post_rows(max_posts=16), st.integers(min_value=1, max_value=5))
def test_add_many_in_chunks_equals_batch(rows: list[Post], chunks: int) -> None:
    """The same posts in a few add_many calls: same result, errors at the same rows."""
    inbox = Inbox(STUB, POLICY, brand="acme")
    size = -(-len(rows) // chunks)
    errors: list[int] = []
    store: dict[str, Conversation] = {}
    for start in range(0, len(rows), size):
        update = inbox.add_many(rows[start : start + size], now=NOW)
        mirror(store, update)
        errors.extend(start + error.index for error in update.errors)
        assert update.conversation is None
    expected, expected_errors = batch(rows, STUB, NOW)
    assert live(inbox, NOW) == expected
    assert errors == expected_errors
    assert store == dict(inbox.conversations)


@settings(max_examples=60, deadline=None)
@given(post_rows(), st.lists(st.integers(min_value=0, max_value=40), max_size=6))
def test_closing_keeps_the_inbox_equal_to_batch_over_the_posts_it_holds(
    rows: list[Post], closes: list[int]
) -> None:
    """Resolutions and evictions interleaved with posts: each closed conversation leaves
    (returned in `closed`), and the inbox stays what the batch path makes of the posts it
    still holds."""
    inbox = Inbox(STUB, POLICY, brand="acme")
    held: list[Post] = []
    plan = {at % (len(rows) + 1): n for n, at in enumerate(closes)}
    for index, row in enumerate([*rows, None]):
        if index in plan and inbox.conversations and plan[index] % 3 == 2:
            cutoff = T0 + timedelta(minutes=20 * plan[index])
            update = inbox.evict(cutoff)  # the idle ones
            assert all(c.posts[-1].created_at < cutoff for c in update.closed)
            assert all(c.posts[-1].created_at >= cutoff for c in inbox.conversations.values())
            for closed in update.closed:
                gone = {(p.platform, p.id) for p in closed.posts}
                held = [p for p in held if (p.platform, p.id) not in gone]
        elif index in plan and inbox.conversations:
            ids = sorted(inbox.conversations)
            target = ids[plan[index] % len(ids)]
            update = inbox.attach(target, status_changes=[{"at": END, "status": "resolved"}])
            [closed] = update.closed
            assert closed.id == target
            assert closed.resolved_at == END
            assert update.conversation == closed
            assert target in update.removed
            assert target not in inbox.conversations
            gone = {(p.platform, p.id) for p in closed.posts}
            held = [p for p in held if (p.platform, p.id) not in gone]
        if row is None:
            break
        try:
            inbox.add(row, now=NOW)
        except InvalidInputError:
            continue
        if all((p.platform, p.id) != (row.platform, row.id) for p in held):
            held.append(row)
    expected, _ = batch(held, STUB, NOW)
    assert live(inbox, NOW) == expected


def json_only(value: Any) -> bool:
    """Whether ``value`` is made of str, int, float, bool, None, lists and dicts (text keys)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return True
    if isinstance(value, list):
        return all(json_only(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and json_only(v) for k, v in value.items())
    return False


@settings(max_examples=40, deadline=None)
@given(post_rows())
def test_snapshot_round_trip(rows: list[Post]) -> None:
    inbox = Inbox(STUB, POLICY, brand="acme")
    feed(inbox, rows, NOW)
    if inbox.conversations:
        inbox.attach(
            sorted(inbox.conversations)[0],
            surveys=[{"kind": "csat", "score": 4}],
            tags=["vip"],
        )
    snapshot = inbox.snapshot()
    assert json_only(snapshot)
    data = json.loads(json.dumps(snapshot))
    assert data == snapshot
    restored = Inbox.restore(data, triager=STUB, policy=POLICY)
    assert restored == inbox
    assert live(restored, NOW) == live(inbox, NOW)
    # and it goes on as the original does
    late = post("late", ANA, 300, "p0", text="still waiting")
    assert restored.add(late, now=NOW).changed == inbox.add(late, now=NOW).changed


@settings(max_examples=8, deadline=None)
@given(post_rows(max_posts=8))
def test_real_triager_equals_triage_conversations(rows: list[Post]) -> None:
    """With the default Triager, the conversations carry triage_conversations' labels (which
    the policy's priority condition reads) and the decisions are Triager.decide's."""
    triager = real_triager()
    inbox = Inbox(triager, POLICY, brand="acme")
    errors = feed(inbox, rows, NOW)
    expected, expected_errors = batch(rows, triager, NOW)
    assert live(inbox, NOW) == expected
    assert errors == expected_errors


def test_real_triager_on_a_thread_arriving_backwards() -> None:
    triager = real_triager()
    rows = [
        post("3", ANA, 20, "2", text="that is not good enough, I want a refund NOW"),
        post("2", AGENT, 10, "1", text="Sorry! Can you DM us the order id?"),
        post("1", ANA, 0, text="my parcel never arrived and nobody answers"),
        post("9", BEN, 5, text="I will sue you, my lawyer is ready"),
    ]
    inbox = Inbox(triager, POLICY, brand="acme")
    updates = [inbox.add(row, now=NOW) for row in rows]
    assert updates[2].removed == ("2",)  # the reply chain waited for its root
    assert sorted(inbox.conversations) == ["1", "9"]
    expected, _ = batch(rows, triager, NOW)
    assert live(inbox, NOW) == expected
    labelled = inbox.conversations["1"]
    assert labelled.intent is not None
    assert labelled.priority is not None
    assert inbox.decisions["9"].route == "specialist"


# ------------------------------------------------------------------ threading examples
def test_reply_before_its_parent_merges_when_the_parent_arrives() -> None:
    inbox = Inbox(brand="acme")
    first = inbox.add(post("b", AGENT, 5, "a"))
    assert first.conversation is not None
    assert first.conversation.id == "b"
    inbox.add(post("c", ANA, 9, "b"))
    assert sorted(inbox.conversations) == ["b"]
    update = inbox.add(post("a", ANA, 0))
    assert update.removed == ("b",)
    assert update.conversation is not None
    assert [p.id for p in update.conversation.posts] == ["a", "b", "c"]
    assert [item.conversation.id for item in update.changed] == ["a"]
    assert dict(inbox.conversations) == {"a": update.conversation}
    assert update.decision is None
    assert update.sla is None


def test_a_late_root_with_a_thread_id_names_the_conversation() -> None:
    inbox = Inbox(brand="acme")
    inbox.add(post("r1", AGENT, 5, "root"))
    update = inbox.add(post("root", ANA, 0, thread="T-9"))
    assert update.conversation is not None
    assert update.conversation.id == "T-9"
    assert update.removed == ("r1",)


def test_the_same_thread_id_on_two_platforms_renames_both() -> None:
    inbox = Inbox(brand="acme")
    inbox.add(post("1", ANA, 0, thread="T"))
    update = inbox.add(post("1", ANA, 1, platform="facebook", thread="T"))
    assert sorted(inbox.conversations) == ["facebook:T", "twitter:T"]
    assert update.removed == ("T",)
    assert sorted(item.conversation.id for item in update.changed) == [
        "facebook:T",
        "twitter:T",
    ]
    closed = inbox.attach("facebook:T", status_changes=[{"at": END, "status": "resolved"}])
    assert sorted(inbox.conversations) == ["T"]  # as build_conversations over what is held
    assert set(closed.removed) == {"facebook:T", "twitter:T"}
    assert [item.conversation.id for item in closed.changed] == ["T"]


def test_a_reply_cycle_is_broken_at_its_earliest_post() -> None:
    rows = [post("x", ANA, 3, "y"), post("y", AGENT, 1, "x"), post("z", ANA, 8, "x")]
    inbox = Inbox(brand="acme")
    for row in rows:
        inbox.add(row)
    assert sorted(inbox.conversations) == ["y"]
    expected = build_conversations(rows, brand="acme")
    assert dict(inbox.conversations) == {c.id: c for c in expected}


def test_duplicates_are_dropped_and_edits_refused_as_in_batch() -> None:
    inbox = Inbox(brand="acme")
    original = post("1", ANA, 0, text="hello")
    inbox.add(original)
    again = inbox.add(original.model_dump())
    assert again.duplicate
    assert again.duplicates == 1
    assert again.changed == ()
    assert again.conversation == inbox.conversations["1"]
    with pytest.raises(InvalidInputError, match="different content"):
        inbox.add(post("1", ANA, 0, text="hello (edited)"))
    assert inbox.conversations["1"].posts == (original,)  # the first version is kept
    many = inbox.add_many([original, post("1", ANA, 0, text="edit"), {"id": "2"}, "text"])
    assert many.duplicates == 1
    assert [error.index for error in many.errors] == [1, 2, 3]
    assert many.errors[1].id == "2"


def test_only_the_conversation_of_the_post_is_triaged() -> None:
    """add() costs the conversation, not the inbox: one decide() per arrival."""

    class Counting(StubTriager):
        calls = 0

        def decide(self, item: Any) -> Decision:
            Counting.calls += 1
            return super().decide(item)

    inbox = Inbox(Counting(), POLICY, brand="acme")
    inbox.add_many([post(f"c{i}", ANA, i) for i in range(50)])
    assert Counting.calls == 50  # each conversation once, in one pass
    Counting.calls = 0
    update = inbox.add(post("r", AGENT, 60, "c7"))
    assert Counting.calls == 1
    assert [item.conversation.id for item in update.changed] == ["c7"]


# ------------------------------------------------------------------ closing
def test_resolution_closes_and_a_later_post_opens_a_new_conversation() -> None:
    inbox = Inbox(STUB, POLICY, brand="acme")
    inbox.add(post("1", ANA, 0, thread="T", text="where is my parcel?"))
    inbox.add(post("2", AGENT, 5, "1", thread="T"))
    resolved = {"at": T0 + timedelta(minutes=6), "status": "resolved"}
    update = inbox.attach("T", status_changes=[resolved])
    [closed] = update.closed
    assert [p.id for p in closed.posts] == ["1", "2"]
    assert closed.resolved_at is not None
    assert update.conversation == closed
    assert update.removed == ("T",)
    assert len(inbox) == 0
    # The thread id names the thread again: a new conversation, the same id.
    again = inbox.add(post("3", ANA, 60, thread="T", text="it came broken"))
    assert again.conversation is not None
    assert again.conversation.id == "T"
    assert [p.id for p in again.conversation.posts] == ["3"]
    assert again.sla is not None
    assert again.sla.first_response is not None
    assert again.sla.first_response.started_at == T0 + timedelta(minutes=60)
    # A reply to a forgotten post: its parent is unknown, so it stands alone (as in batch).
    alone = inbox.add(post("4", ANA, 61, "2", text="hello?"))
    assert alone.conversation is not None
    assert alone.conversation.id == "4"


def test_a_resolution_before_the_customer_wrote_keeps_it_open() -> None:
    inbox = Inbox(brand="acme")
    inbox.add(post("1", ANA, 10))
    update = inbox.attach("1", status_changes=[{"at": T0, "status": "resolved"}])
    assert update.closed == ()
    assert "1" in inbox
    # ... until an earlier customer post makes that resolution count.
    late = inbox.add(post("0", ANA, -5, thread="1"))
    assert [c.id for c in late.closed] == ["1"]
    assert len(inbox) == 0


def test_attachments_survive_a_merge() -> None:
    inbox = Inbox(brand="acme")
    inbox.add(post("b", ANA, 5, "a"))
    inbox.attach("b", surveys=[{"kind": "csat", "score": 2}], tags=["vip"])
    update = inbox.add(post("a", ANA, 0))
    assert update.conversation is not None
    assert [s.score for s in update.conversation.surveys] == [2]
    assert update.conversation.tags == frozenset({"vip"})


def test_evict_idle_conversations() -> None:
    inbox = Inbox(brand="acme")
    inbox.add(post("old", ANA, 0))
    inbox.add(post("new", ANA, 100))
    update = inbox.evict(T0 + timedelta(minutes=50))
    assert [c.id for c in update.closed] == ["old"]
    assert update.removed == ("old",)
    assert sorted(inbox.conversations) == ["new"]


# ------------------------------------------------------------------ queue and due
def test_queue_orders_by_urgency_then_sla_and_skips_what_needs_no_reply() -> None:
    inbox = Inbox(STUB, POLICY, brand="acme")
    inbox.add_many(
        [
            post("early", ANA, 0, text="where is my parcel?"),
            post("late", ANA, 100, text="where is my parcel?"),
            post("legal", ANA, 120, text="my lawyer will call"),
            post("thanks", ANA, 1, text="thanks!"),  # route none: no reply needed
            post("answered", ANA, 2, text="where?"),
            post("reply", AGENT, 3, "answered"),
            post("acked", ANA, 4, text="where?"),
            post("ack", BOT, 5, "acked", text="we'll get back to you"),  # a bot: still waiting
        ]
    )
    now = T0 + timedelta(hours=2)
    order = [item.conversation.id for item in inbox.queue(now)]
    # all normal priority (the stub): the nearest due (most overdue) first
    assert order == ["early", "acked", "late", "legal"]
    first = inbox.queue(now)[0]
    assert first.sla is not None
    assert first.sla.first_response is not None
    assert first.sla.first_response.state is SLAState.BREACHED


def test_queue_without_triage_or_policy_orders_by_wait() -> None:
    inbox = Inbox(brand="acme")
    inbox.add_many([post("b", ANA, 10), post("a", ANA, 20), post("c", ANA, 0)])
    assert [item.id for item in inbox.queue(NOW)] == ["c", "b", "a"]
    assert all(item.decision is None and item.sla is None for item in inbox.queue(NOW))


def test_due_lists_running_clocks_by_due_time() -> None:
    inbox = Inbox(STUB, POLICY, brand="acme")
    inbox.add_many(
        [
            post("a", ANA, 0, text="where?"),  # first response due 10:00
            post("b", ANA, 30, text="where?"),  # due 10:30
            post("c", ANA, 50, text="where?"),  # due 10:50
            post("c2", AGENT, 55, "c"),  # answered: its first-response clock stopped
        ]
    )
    now = T0 + timedelta(minutes=70)  # 10:10
    soon = inbox.due(now, within="30m")
    assert [(d.conversation.id, d.metric) for d in soon] == [
        ("a", "first_response"),
        ("b", "first_response"),
    ]
    assert soon[0].clock.state is SLAState.BREACHED
    assert soon[0].due_at == T0 + timedelta(hours=1)
    assert [d.conversation.id for d in inbox.due(now)] == ["a"]  # overdue only
    # c's resolution clock is paused (the brand spoke last): not running, not listed
    later = inbox.due(now, timedelta(days=2))
    assert [(d.conversation.id, d.metric) for d in later if d.metric == "resolution"] == [
        ("a", "resolution"),
        ("b", "resolution"),
    ]
    with pytest.raises(InvalidInputError, match="negative"):
        inbox.due(now, timedelta(minutes=-1))
    with pytest.raises(InvalidInputError, match="no SLA policy"):
        Inbox().due(now)


# ------------------------------------------------------------------ validation
def test_inputs_are_validated() -> None:
    inbox = Inbox(brand="acme")
    naive = {
        "id": "1",
        "platform": "x",
        "author": {"id": "ana"},
        "text": "hi",
        "created_at": "2024-05-01T09:00:00",
    }
    with pytest.raises(TimezoneError):
        inbox.add(naive)
    assert len(inbox) == 0
    zoned = Inbox(assume_tz="Europe/Paris").add(naive)
    assert zoned.conversation is not None
    assert zoned.conversation.posts[0].created_at == datetime(2024, 5, 1, 7, 0, tzinfo=UTC)
    with pytest.raises(TimezoneError):
        inbox.add(post("1", ANA, 0), now=datetime(2024, 5, 1))
    with pytest.raises(InvalidInputError, match="Post or a mapping"):
        inbox.add("hello")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="add_many takes"):
        inbox.add_many(post("1", ANA, 0))  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="triager must be"):
        Inbox(triager="default")
    with pytest.raises(InvalidInputError, match="policy must be"):
        Inbox(policy={"targets": []})  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="brand"):
        Inbox(brand=42)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="no open conversation"):
        inbox.attach("nope", tags=["x"])
    inbox.add(post("1", ANA, 0))
    with pytest.raises(InvalidInputError):
        inbox.attach("1", status_changes=[{"at": "2024-05-01T09:00:00", "status": "resolved"}])
    with pytest.raises(InvalidInputError):
        inbox.attach("1", surveys=[{"kind": "csat", "score": 9}])
    assert inbox.conversations["1"].status_changes == ()  # a bad attachment changes nothing
    with pytest.raises(TypeError):
        inbox.conversations["x"] = inbox.conversations["1"]  # type: ignore[index]


def test_restore_refuses_what_is_not_a_snapshot() -> None:
    with pytest.raises(InvalidInputError, match="not an inbox snapshot"):
        Inbox.restore({"posts": []})
    inbox = Inbox(brand="acme")
    inbox.add(post("1", ANA, 0))
    data = inbox.snapshot()
    with pytest.raises(InvalidInputError, match="version"):
        Inbox.restore({**data, "version": 99})
    altered = json.loads(json.dumps(data))
    altered["conversations"][0]["key"] = "other"
    with pytest.raises(InvalidInputError, match="altered"):
        Inbox.restore(altered)
    assert Inbox.restore(data) == inbox


def test_the_guide_runs_as_written() -> None:
    """docs/inbox.md: its Python blocks run in order and their asserts hold."""
    import re
    from pathlib import Path

    page = Path(__file__).resolve().parents[1] / "docs" / "inbox.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 4
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, str(page), "exec"), namespace)
    assert namespace["again"] == namespace["desk"]


def test_a_post_whose_conversation_id_another_holds_is_refused() -> None:
    """Only when a thread id is spelled '<platform>:<id>' of another thread: the batch would
    give two conversations one id, which a mapping cannot hold; the inbox refuses the post."""
    inbox = Inbox(brand="acme")
    inbox.add(post("1", ANA, 0, thread="T"))
    inbox.add(post("1", ANA, 1, platform="facebook", thread="T"))
    before = dict(inbox.conversations)
    with pytest.raises(InvalidInputError, match="already has"):
        inbox.add(post("9", ANA, 2, platform="email", thread="twitter:T"))
    assert dict(inbox.conversations) == before
    assert inbox.add(post("9", ANA, 2, platform="email", thread="other")).conversation is not None


@settings(max_examples=40, deadline=None)
@given(post_rows())
def test_closed_conversations_leave_nothing_behind(rows: list[Post]) -> None:
    """Memory is bounded by the open conversations: once every one is resolved (or evicted),
    no post, key, reply link or id is left."""
    inbox = Inbox(STUB, POLICY, brand="acme")
    feed(inbox, rows, NOW)
    held = sum(len(c.posts) for c in inbox.conversations.values())
    assert held == sum(len(by_id) for by_id in inbox._posts.values())
    while inbox.conversations:
        target = sorted(inbox.conversations)[0]
        inbox.attach(target, status_changes=[{"at": END, "status": "resolved"}])
    assert not any(inbox._posts.values())
    assert not any(inbox._keys.values())
    assert not any(inbox._children.values())
    assert inbox._groups == {}
    assert inbox._platforms_of == {}
    assert inbox._owner == {}
    assert inbox._decisions == {}
    feed(inbox, rows[:3], NOW)
    assert inbox.evict(END).removed  # idle ones go the same way
    assert not any(inbox._posts.values())


# ------------------------------------------------------------------ atomicity
POISON = "boom"


class Flaky:
    """STUB's decisions, but while ``armed`` a conversation holding a post with ``POISON`` in
    its text makes decide() raise (``mode="raise"``) or return garbage (``"garbage"``)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.armed = True
        self.failures = 0

    def decide(self, conversation: Conversation) -> Any:
        if self.armed and any(POISON in p.text for p in conversation.posts):
            self.failures += 1
            if self.mode == "raise":
                raise RuntimeError("model server down")
            return "agent"  # not a Decision
        return STUB.decide(conversation)


FAILURES = (RuntimeError, ModelError)


def state(inbox: Inbox) -> tuple[Any, ...]:
    """Everything an inbox holds, its internal tables included (and the order of those that
    are walked: reply links, a thread's platforms, a conversation's posts)."""
    return (
        inbox.clock,
        {p: dict(by_id) for p, by_id in inbox._posts.items()},
        {p: dict(keys) for p, keys in inbox._keys.items()},
        {p: {k: list(v) for k, v in kids.items()} for p, kids in inbox._children.items()},
        {
            key: (
                group.platform,
                group.key,
                list(group.members.items()),
                group.surveys,
                group.status_changes,
                group.tags,
                group.conv_id,
            )
            for key, group in inbox._groups.items()
        },
        {key: list(platforms) for key, platforms in inbox._platforms_of.items()},
        dict(inbox._owner),
        dict(inbox.conversations),
        dict(inbox.decisions),
        inbox.snapshot(),
    )


def poisoned(rows: list[Post], marks: list[int]) -> list[Post]:
    """``rows`` with POISON in the text of the rows at ``marks`` (modulo the length)."""
    hit = {mark % len(rows) for mark in marks}
    return [
        row.model_copy(update={"text": f"{row.text} {POISON}"}) if index in hit else row
        for index, row in enumerate(rows)
    ]


@settings(max_examples=60, deadline=None)
@given(
    post_rows(),
    st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=3),
    st.sampled_from(["raise", "garbage"]),
)
def test_a_failing_triager_leaves_add_undone_and_a_retry_works(
    rows: list[Post], marks: list[int], mode: str
) -> None:
    """When decide() raises or returns garbage, add() raises and the inbox is exactly as
    before (nothing held, no id gone); once the triager recovers, the same post goes in and
    the inbox is what the batch path makes of the posts so far."""
    rows = poisoned(rows, marks)
    triager = Flaky(mode)
    inbox = Inbox(triager, POLICY, brand="acme")
    store: dict[str, Conversation] = {}
    errors: list[int] = []
    for index, row in enumerate(rows):
        before = state(inbox)
        triager.armed = True
        try:
            update = inbox.add(row, now=NOW)
        except FAILURES:
            assert state(inbox) == before
            triager.armed = False
            update = inbox.add(row, now=NOW)  # the retry is not taken for a duplicate
            assert update.duplicates == 0
        except InvalidInputError:
            assert state(inbox) == before
            errors.append(index)
            continue
        else:  # the triager saw a poisoned post unless the post was already held
            assert POISON not in row.text or update.duplicate
        mirror(store, update)
        expected, expected_errors = batch(rows[: index + 1], STUB, NOW)
        assert live(inbox, NOW) == expected
        assert errors == expected_errors
        assert store == dict(inbox.conversations)


@settings(max_examples=40, deadline=None)
@given(
    post_rows(max_posts=16),
    st.integers(min_value=1, max_value=4),
    st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=2),
    st.sampled_from(["raise", "garbage"]),
)
def test_a_failing_triager_leaves_add_many_undone_and_a_retry_works(
    rows: list[Post], chunks: int, marks: list[int], mode: str
) -> None:
    rows = poisoned(rows, marks)
    triager = Flaky(mode)
    inbox = Inbox(triager, POLICY, brand="acme")
    size = -(-len(rows) // chunks)
    errors: list[int] = []
    store: dict[str, Conversation] = {}
    for start in range(0, len(rows), size):
        chunk = rows[start : start + size]
        before = state(inbox)
        triager.armed = True
        try:
            update = inbox.add_many(chunk, now=NOW)
        except FAILURES:
            assert state(inbox) == before
            triager.armed = False
            update = inbox.add_many(chunk, now=NOW)
        mirror(store, update)
        errors.extend(start + error.index for error in update.errors)
    expected, expected_errors = batch(rows, STUB, NOW)
    assert live(inbox, NOW) == expected
    assert errors == expected_errors
    assert store == dict(inbox.conversations)


@settings(max_examples=40, deadline=None)
@given(
    post_rows(),
    st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=3),
    st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=6),
    st.sampled_from(["raise", "garbage"]),
)
def test_a_failing_triager_leaves_attach_and_evict_undone_and_a_retry_works(
    rows: list[Post], marks: list[int], closes: list[int], mode: str
) -> None:
    """Tags, resolutions and evictions (whose renames triage too) with a failing triager:
    the call raises and changes nothing; the retry does what it would have done."""
    rows = poisoned(rows, marks)
    triager = Flaky(mode)
    inbox = Inbox(triager, POLICY, brand="acme")
    triager.armed = False
    feed(inbox, rows, NOW)
    held = [p for c in inbox.conversations.values() for p in c.posts]
    for n, pick in enumerate(closes):
        if not inbox.conversations:
            break
        target = sorted(inbox.conversations)[pick % len(inbox.conversations)]
        call: Any
        if n % 3 == 0:
            call = functools.partial(inbox.attach, target, tags=[f"t{n}"], now=NOW)
        elif n % 3 == 1:
            resolved = [{"at": END, "status": "resolved"}]
            call = functools.partial(inbox.attach, target, status_changes=resolved, now=NOW)
        else:
            call = functools.partial(inbox.evict, T0 + timedelta(minutes=pick * 6), now=NOW)
        before = state(inbox)
        triager.armed = True
        try:
            update = call()
        except FAILURES:
            assert state(inbox) == before
            triager.armed = False
            update = call()
        for closed in update.closed:
            gone = {(p.platform, p.id) for p in closed.posts}
            held = [p for p in held if (p.platform, p.id) not in gone]
    expected, _ = batch(held, STUB, NOW)
    untagged = {
        cid: (c.model_copy(update={"tags": frozenset()}), d)
        for cid, (c, d, _) in live(inbox, NOW).items()
    }
    assert untagged == {cid: (c, d) for cid, (c, d, _) in expected.items()}


def test_a_triager_returning_garbage_is_a_model_error_and_changes_nothing() -> None:
    triager = Flaky("garbage")
    inbox = Inbox(triager, brand="acme")
    inbox.add(post("1", ANA, 0, text="hello"))
    before = state(inbox)
    with pytest.raises(ModelError, match=r"Flaky is broken.*returned a str, not a Decision") as err:
        inbox.add(post("2", ANA, 1, "1", text=POISON))
    assert not isinstance(err.value, InvalidInputError)  # the triager is broken, not the post
    assert state(inbox) == before
    assert inbox.conversations["1"].posts == (post("1", ANA, 0, text="hello"),)
    with pytest.raises(ModelError):  # a new conversation: not half there either
        inbox.add(post("9", BEN, 2, text=POISON))
    assert state(inbox) == before
    assert "9" not in inbox
    triager.armed = False
    update = inbox.add(post("2", ANA, 1, "1", text=POISON))
    assert not update.duplicate
    assert update.conversation is not None
    assert [p.id for p in update.conversation.posts] == ["1", "2"]


def test_a_failing_policy_leaves_the_inbox_as_it_was() -> None:
    down = [True]

    class Broken(SLAPolicy):
        def evaluate(self, conversation: Conversation, now: datetime) -> SLAReport:
            if down[0]:
                raise RuntimeError("policy store down")
            return super().evaluate(conversation, now)

    broken = Broken.model_validate(POLICY.model_dump())
    inbox = Inbox(STUB, broken, brand="acme")
    before = state(inbox)
    with pytest.raises(RuntimeError, match="policy store down"):
        inbox.add(post("1", ANA, 0), now=NOW)
    assert state(inbox) == before
    assert inbox.clock is None
    down[0] = False
    update = inbox.add(post("1", ANA, 0), now=NOW)
    assert update.sla == POLICY.evaluate(inbox.conversations["1"], NOW)
    assert sorted(inbox.conversations) == ["1"]


# ------------------------------------------------------------------ restore's clock, ids
@pytest.mark.parametrize("clock", ["yesterday", "", 0, 1_700_000_000, "1700000000", 2.5, True, []])
def test_restore_refuses_a_clock_that_is_not_iso_text(clock: Any) -> None:
    inbox = Inbox(brand="acme")
    inbox.add(post("1", ANA, 0))
    data = {**inbox.snapshot(), "clock": clock}
    with pytest.raises(InvalidInputError, match="clock must be ISO 8601 text"):
        Inbox.restore(data)


def test_restore_refuses_a_naive_clock() -> None:
    inbox = Inbox(brand="acme")
    inbox.add(post("1", ANA, 0))
    with pytest.raises(TimezoneError, match="no offset"):
        Inbox.restore({**inbox.snapshot(), "clock": "2026-03-02T09:00:00"})


def test_restore_never_sets_the_clock_before_what_it_holds() -> None:
    """The clock is the saved one, moved forward to the latest post or status change."""
    inbox = Inbox(brand="acme")
    inbox.add(post("1", ANA, 0))
    inbox.add(post("2", AGENT, 30, "1"))
    later = T0 + timedelta(hours=2)
    inbox.attach("1", status_changes=[{"at": later, "status": "reopened"}])
    assert inbox.clock == later
    data = inbox.snapshot()
    assert Inbox.restore(data).clock == later
    assert Inbox.restore({**data, "clock": "2026-03-02T10:00:00+01:00"}).clock == later
    assert Inbox.restore({**data, "clock": None}).clock == later
    assert Inbox.restore({**data, "clock": "2026-03-02T12:30:00Z"}).clock == T0 + timedelta(
        hours=3, minutes=30
    )
    empty = Inbox(brand="acme").snapshot()
    assert Inbox.restore(empty).clock is None
    assert Inbox.restore({**empty, "clock": "2026-03-02T09:00:00+00:00"}).clock == T0


@pytest.mark.parametrize("bad", [["x"], {"x": 1}, 1, None, ("1",)])
def test_an_id_that_is_not_text_is_refused_or_absent(bad: Any) -> None:
    inbox = Inbox(brand="acme")
    inbox.add(post("1", ANA, 0))
    with pytest.raises(InvalidInputError, match="conversation id is text"):
        inbox.item(bad)
    assert bad not in inbox
    assert "1" in inbox
    with pytest.raises(InvalidInputError, match="no open conversation"):
        inbox.attach(bad, tags=["x"])


# ------------------------------------------------------------------ idle eviction
IDLE = timedelta(minutes=40)


@settings(max_examples=60, deadline=None)
@given(post_rows(), st.sampled_from(["40m", IDLE]))
def test_idle_evicts_on_each_add_as_an_explicit_evict_would(
    rows: list[Post], idle: timedelta | str
) -> None:
    """Inbox(idle=...).add(post) does what evict(before=max(clock, post time) - idle) then
    add(post) does, in one update (evicted in `closed`); a caller mirroring the updates
    stays exact."""
    auto = Inbox(STUB, POLICY, brand="acme", idle=idle)
    manual = Inbox(STUB, POLICY, brand="acme")
    store: dict[str, Conversation] = {}
    for row in rows:
        cutoff = max(manual.clock or row.created_at, row.created_at) - IDLE
        evicted = manual.evict(cutoff, now=NOW).closed
        try:
            expected = manual.add(row, now=NOW)
        except InvalidInputError:
            with pytest.raises(InvalidInputError):
                auto.add(row, now=NOW)
            # a refused post changes nothing, evictions included: do them as manual did
            replay = auto.evict(cutoff, now=NOW)
            mirror(store, replay)
            assert replay.closed == evicted
            continue
        update = auto.add(row, now=NOW)
        mirror(store, update)
        assert update.closed == evicted
        assert update.conversation == expected.conversation
        assert update.duplicates == expected.duplicates
        assert live(auto, NOW) == live(manual, NOW)
        assert store == dict(auto.conversations)
    assert auto == manual


@settings(max_examples=40, deadline=None)
@given(post_rows(max_posts=16), st.integers(min_value=1, max_value=4))
def test_idle_evicts_on_each_add_many(rows: list[Post], chunks: int) -> None:
    auto = Inbox(STUB, POLICY, brand="acme", idle=IDLE)
    manual = Inbox(STUB, POLICY, brand="acme")
    size = -(-len(rows) // chunks)
    for start in range(0, len(rows), size):
        chunk = rows[start : start + size]
        newest = max([p.created_at for p in chunk] + ([manual.clock] if manual.clock else []))
        evicted = manual.evict(newest - IDLE, now=NOW).closed
        expected = manual.add_many(chunk, now=NOW)
        update = auto.add_many(chunk, now=NOW)
        assert update.closed == evicted + expected.closed
        assert [e.index for e in update.errors] == [e.index for e in expected.errors]
        assert live(auto, NOW) == live(manual, NOW)
    assert auto == manual


def test_idle_keeps_memory_bounded_on_a_long_feed() -> None:
    """Threads that are never resolved: with idle, the inbox (and its heap) stays small."""
    inbox = Inbox(brand="acme", idle="10m")
    closed = 0
    for n in range(600):
        update = inbox.add(post(f"q{n}", ANA, n))
        closed += len(update.closed)
    # the cutoff is the newest post (minute 599) less ten minutes: minutes 589 to 599 stay
    assert sorted(inbox.conversations, key=lambda c: int(c[1:])) == [
        f"q{n}" for n in range(589, 600)
    ]
    assert closed == 589
    assert len(inbox._idle_heap) == 11  # no stale entry left behind either
    assert sum(len(by_id) for by_id in inbox._posts.values()) == 11
    assert Inbox(brand="acme").idle is None
    assert inbox.idle == timedelta(minutes=10)


def test_idle_eviction_is_undone_with_a_failing_call() -> None:
    triager = Flaky("raise")
    triager.armed = False
    inbox = Inbox(triager, brand="acme", idle=IDLE)
    inbox.add(post("old", ANA, 0))
    inbox.add(post("new", BEN, 39))  # 'old' is idle for 40 minutes from 09:40 on
    before = state(inbox)
    triager.armed = True
    with pytest.raises(RuntimeError):
        inbox.add(post("x", ANA, 41, text=POISON))
    assert state(inbox) == before
    assert sorted(inbox.conversations) == ["new", "old"]
    triager.armed = False
    update = inbox.add(post("x", ANA, 41, text=POISON))
    assert [c.id for c in update.closed] == ["old"]  # the heap entry came back with the undo
    assert sorted(inbox.conversations) == ["new", "x"]


@pytest.mark.parametrize("idle", ["soon", 0, -5, timedelta(0), [1]])
def test_idle_is_validated(idle: Any) -> None:
    with pytest.raises(InvalidInputError, match=r"idle must be a positive|duration"):
        Inbox(idle=idle)
