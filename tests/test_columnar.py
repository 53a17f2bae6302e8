"""The columnar path equals the object path: threading, timelines, SLA states, reports."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from importlib import resources
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialcare import InvalidInputError, SLAPolicy, build_conversations, columnar, metrics
from socialcare._conversation import Conversation

UTC = timezone.utc
T0 = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)
INTENTS = ("query", "complaint", "praise", None)
ROUTES = ("auto", "agent", "specialist", "none", None)
SENTIMENTS = ("negative", "neutral", "positive", None)

POLICY_CALENDAR = SLAPolicy.from_dict(
    {
        "window": "always",
        "targets": [
            {"metric": "first_response", "duration": "15m", "when": {"route": ["agent", "auto"]}},
            {"metric": "first_response", "duration": "2h"},
            {"metric": "next_response", "duration": "1h", "when": {"intent": "complaint"}},
            {"metric": "next_response", "duration": "30m", "count_automated": True},
            {"metric": "resolution", "duration": "4h", "when": {"intent": ["Query"]}},
            {"metric": "resolution", "duration": "1d", "when": {"channel": "public"}},
        ],
    }
)
POLICY_OFFICE = SLAPolicy.from_dict(
    {
        "window": {"timezone": "Europe/Paris", "hours": {"mon-fri": "09:00-17:00"}},
        "at_risk": 0.5,
        "targets": [
            {"metric": "first_response", "duration": "1h", "when": {"platform": "twitter"}},
            {"metric": "first_response", "duration": "30m", "count_automated": True},
            {"metric": "next_response", "duration": "2h"},
            {"metric": "resolution", "duration": "6h", "when": {"sentiment": "negative"}},
            {"metric": "resolution", "duration": "8h", "window": "calendar"},
        ],
    }
)


def make_rows(seed: int, n: int) -> list[dict[str, Any]]:
    """Threads with every rule of build_conversations in play (and some bad rows)."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    while len(rows) < n:
        platform = rng.choice(("twitter", "facebook", "x", "instagram"))
        size = rng.choice((1, 2, 3, 4, 6, 9))
        t = T0 + timedelta(minutes=rng.randrange(0, 60 * 24 * 5))
        thread = f"t{rng.randrange(10**6)}" if rng.random() < 0.15 else None
        parent: str | None = None
        customer = f"u{rng.randrange(50)}"
        for _ in range(size):
            post_id = str(rng.choice((10**9, 10**12)) + len(rows) * 7 + rng.randrange(3))
            kind = rng.random()
            if kind < 0.5:
                author: dict[str, Any] = {"id": customer}
            elif kind < 0.7:
                author = {"id": "acme", "handle": "AcmeHelp"}
            elif kind < 0.8:
                author = {"id": f"agent{rng.randrange(4)}", "is_brand": True}
            elif kind < 0.9:
                author = {"id": "bot1", "handle": "@acme_bot", "is_bot": True, "is_brand": True}
            else:
                author = {"id": "other", "handle": "acmehelp"}  # the brand's handle, any case
            row: dict[str, Any] = {
                "id": post_id,
                "platform": platform,
                "author": author,
                "text": rng.choice(("help?", "thanks", "DM us")),
                "created_at": t.isoformat(),
                "channel": rng.choice(("public", "private")),
            }
            if rng.random() < 0.1:
                row["automated"] = True
            if parent is not None and rng.random() < 0.85:
                row["in_reply_to"] = parent
            elif rng.random() < 0.1:
                row["in_reply_to"] = "404"  # a missing parent
            if thread is not None and rng.random() < 0.6:
                row["conversation_id"] = thread
            rows.append(row)
            parent = post_id
            t += timedelta(seconds=rng.choice((0, 0, 30, 600, 3000, 7200, 90000)))
    # A reply cycle, exact duplicates, a conflicting duplicate, and bad rows.
    a, b = rows[0], rows[1]
    rows.append({**a, "id": "c1", "in_reply_to": "c2", "conversation_id": None})
    rows.append({**b, "id": "c2", "in_reply_to": "c1", "conversation_id": None})
    rows.append(dict(rows[2]))
    rows.append({**rows[3], "text": "changed"})
    rows.append({**rows[4], "id": "selfie", "in_reply_to": "selfie"})
    rows.append({**rows[5], "id": "late", "created_at": "not a time"})
    rows.append({**rows[6], "id": "where", "platform": "Not A Platform!"})
    rng.shuffle(rows)
    return rows


def as_columns(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    def get(row: dict[str, Any], path: str) -> Any:
        value: Any = row
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return value

    names = {
        "id": "id",
        "platform": "platform",
        "author_id": "author.id",
        "author_handle": "author.handle",
        "author_is_brand": "author.is_brand",
        "author_is_bot": "author.is_bot",
        "created_at": "created_at",
        "in_reply_to": "in_reply_to",
        "conversation_id": "conversation_id",
        "automated": "automated",
        "channel": "channel",
        "text": "text",
    }
    return {name: [get(row, path) for row in rows] for name, path in names.items()}


def labels_for(conversations: list[Conversation], seed: int) -> dict[str, list[Any]]:
    rng = random.Random(seed)
    return {
        "intent": [rng.choice(INTENTS) for _ in conversations],
        "route": [rng.choice(ROUTES) for _ in conversations],
        "sentiment": [rng.choice(SENTIMENTS) for _ in conversations],
    }


def object_report(
    rows: list[dict[str, Any]], labels: dict[str, list[Any]], **options: Any
) -> metrics.Report:
    built = build_conversations(rows, brand=["acme", "@AcmeHelp"])
    labelled = [
        c.model_copy(update={name: values[i] for name, values in labels.items()})
        for i, c in enumerate(built.conversations)
    ]
    return metrics.report(labelled, **options)


def check_same(rows: list[dict[str, Any]], seed: int, **options: Any) -> None:
    built = build_conversations(rows, brand=["acme", "@AcmeHelp"])
    threads = columnar.thread(as_columns(rows), brand=["acme", "@AcmeHelp"])
    assert threads.conversation_ids == tuple(c.id for c in built.conversations)
    # the same rows refused (the columnar messages name the column, not the Post field)
    assert [e.index for e in threads.errors] == [e.index for e in built.errors]
    conflicts = [str(e.error) for e in built.errors if "seen before" in str(e.error)]
    assert [str(e.error) for e in threads.errors if "seen before" in str(e.error)] == conflicts
    assert (threads.duplicates_dropped, threads.missing_parents, threads.cycles_broken) == (
        built.duplicates_dropped,
        built.missing_parents,
        built.cycles_broken,
    )
    starts = threads.starts()
    for i, conversation in enumerate(built.conversations):
        ids = threads.post_ids[starts[i] : starts[i + 1]]
        assert ids == tuple(p.id for p in conversation.posts)
        assert threads.roles()[starts[i] : starts[i + 1]].tolist() == list(
            conversation.timeline.roles
        )
    labels = labels_for(list(built.conversations), seed)
    expected = object_report(rows, labels, **options)
    got = metrics.report(
        threads.columns(
            labels=labels, policy=options.pop("policy", None), now=options.pop("now", None)
        ),
        **options,
    )
    assert got == expected


@pytest.mark.parametrize("seed", range(4))
def test_columnar_report_equals_object_report_by_every_key(seed: int) -> None:
    rows = make_rows(seed, 400)
    now = T0 + timedelta(days=3)  # some posts come after now: clocks replay the past
    check_same(
        rows,
        seed,
        by=["platform", "intent", "route", "agent", "period"],
        tz="Europe/Paris",
        policy=POLICY_CALENDAR,
        now=now,
    )


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("policy", [POLICY_CALENDAR, POLICY_OFFICE], ids=["calendar", "office"])
def test_columnar_sla_states_equal_evaluate(seed: int, policy: SLAPolicy) -> None:
    rows = make_rows(100 + seed, 300)
    built = build_conversations(rows, brand=["acme", "@AcmeHelp"])
    threads = columnar.thread(as_columns(rows), brand=["acme", "@AcmeHelp"])
    labels = labels_for(list(built.conversations), seed)
    labelled = [
        c.model_copy(update={name: values[i] for name, values in labels.items()})
        for i, c in enumerate(built.conversations)
    ]
    for now in (T0 + timedelta(days=1, hours=3), T0 + timedelta(days=9)):
        sla = threads.sla(policy, now, labels=labels)
        assert sla.fallback == 0
        for i, conversation in enumerate(labelled):
            report = policy.evaluate(conversation, now)
            for metric in ("first_response", "next_response", "resolution"):
                result = report.get(metric)
                codes = sla.states[metric]
                got = None if codes.codes[i] < 0 else codes.categories[codes.codes[i]]
                assert got == (None if result is None else result.state.value), (
                    conversation.id,
                    metric,
                    now,
                )


def test_columnar_report_equals_object_report_automated_and_window() -> None:
    from socialcare import ServiceWindow

    rows = make_rows(7, 500)
    check_same(
        rows,
        7,
        by=["route"],
        include_automated=True,
        window=ServiceWindow.office_hours("America/New_York"),
    )


def test_columnar_report_on_the_demo_week_equals_object_report() -> None:
    text = (resources.files("socialcare") / "_data" / "demo_posts.jsonl").read_text("utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    built = build_conversations(rows)
    now = max(c.posts[-1].created_at for c in built) + timedelta(seconds=1)
    labels = labels_for(list(built.conversations), 3)
    expected = object_report(
        rows, labels, by=["platform", "intent"], policy=POLICY_CALENDAR, now=now
    )
    # brand as object_report passes it (the demo marks is_brand on every author)
    got = columnar.report(
        as_columns(rows),
        ["acme", "@AcmeHelp"],
        by=["platform", "intent"],
        labels=labels,
        policy=POLICY_CALENDAR,
        now=now,
    )
    assert got == expected
    assert len(got.rows) > 3


def test_columnar_accepts_a_dataframe_and_datetime64() -> None:
    pd = pytest.importorskip("pandas")
    rows = make_rows(11, 200)
    cols = as_columns(rows)
    frame = pd.DataFrame(cols)
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True, errors="coerce")
    threads = columnar.thread(frame, brand=["acme", "@AcmeHelp"])
    built = build_conversations(rows, brand=["acme", "@AcmeHelp"])
    assert threads.conversation_ids == tuple(c.id for c in built.conversations)
    assert [e.index for e in threads.errors] == [e.index for e in built.errors]


def test_columnar_falls_back_for_a_duck_typed_policy() -> None:
    rows = make_rows(5, 120)
    threads = columnar.thread(as_columns(rows), brand=["acme", "@AcmeHelp"])

    class Wrapped:
        def evaluate(self, conversation: Conversation, now: datetime) -> Any:
            return POLICY_CALENDAR.evaluate(conversation, now)

    now = T0 + timedelta(days=2)
    direct = threads.sla(POLICY_CALENDAR, now)
    wrapped = threads.sla(Wrapped(), now)
    assert wrapped.fallback == len(threads)
    assert direct.fallback == 0
    for metric, column in direct.states.items():
        assert column.values() == wrapped.states[metric].values()


def test_columnar_refuses_what_it_cannot_read() -> None:
    with pytest.raises(InvalidInputError, match="no column 'author_id'"):
        columnar.thread({"id": ["1"], "platform": ["x"], "created_at": [T0]})
    with pytest.raises(InvalidInputError, match="give one per post"):
        columnar.thread(
            {"id": ["1", "2"], "platform": ["x"], "author_id": ["a", "b"], "created_at": [T0, T0]}
        )
    naive = columnar.thread(
        {
            "id": ["1", "2"],
            "platform": ["x", "x"],
            "author_id": ["a", "b"],
            "created_at": ["2024-05-01T09:00", "2024-05-01T09:00Z"],
        }
    )
    assert [e.index for e in naive.errors] == [0]
    assert len(naive) == 1
    with pytest.raises(InvalidInputError):
        columnar.thread("posts.csv")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.integers(0, 11),  # id
            st.integers(-1, 11),  # parent (-1: none)
            st.integers(0, 5),  # minutes
            st.sampled_from(("c", "b", "h")),  # customer, brand, bot
            st.sampled_from((None, None, None, "T1", "T2")),
            st.sampled_from(("x", "facebook")),
        ),
        max_size=14,
    ),
    st.integers(0, 12),
)
def test_columnar_equals_object_path_on_small_graphs(
    posts: list[tuple[int, int, int, str, str | None, str]], now_minutes: int
) -> None:
    rows = []
    for post_id, parent, minutes, who, thread_id, platform in posts:
        author = {"c": {"id": "u"}, "b": {"id": "acme"}, "h": {"id": "acme", "is_bot": True}}[who]
        row: dict[str, Any] = {
            "id": str(post_id),
            "platform": platform,
            "author": author,
            "created_at": (T0 + timedelta(minutes=minutes)).isoformat(),
        }
        if parent >= 0:
            row["in_reply_to"] = str(parent)
        if thread_id:
            row["conversation_id"] = thread_id
        rows.append(row)
    policy = SLAPolicy.from_dict(
        {
            "targets": [
                {"metric": "first_response", "duration": "2m"},
                {"metric": "next_response", "duration": "1m", "count_automated": True},
                {"metric": "resolution", "duration": "3m"},
            ]
        }
    )
    check_same(rows, 0, by=["platform"], policy=policy, now=T0 + timedelta(minutes=now_minutes))
    check_same(rows, 0, include_automated=True)


def test_columnar_reads_handles_and_flags_as_authors_do() -> None:
    handles = [" @AcmeHelp ", "@acmehelp", "AcmeHelp", "", None, " ana ", "@ "]
    rows = [
        {
            "id": str(i),
            "platform": "x",
            "author": {"id": f"a{i}", "handle": handle, "is_bot": i == 2},
            "created_at": (T0 + timedelta(minutes=i)).isoformat(),
            "in_reply_to": str(i - 1) if i else None,
        }
        for i, handle in enumerate(handles)
    ]
    built = build_conversations(rows, brand="@AcmeHelp")
    threads = columnar.thread(as_columns(rows), brand="@AcmeHelp")
    assert [e.index for e in threads.errors] == [e.index for e in built.errors] == [3, 6]
    roles = [role for c in built.conversations for role in c.timeline.roles]
    assert threads.roles().tolist() == roles
    assert roles == ["agent", "agent", "bot", "customer", "customer"]


# Naive datetime64 columns and the range of instants ------------------------------------------

# Wall times around daylight-saving changes: New York's gap (2024-03-10 02:30) and fold
# (2024-11-03 01:30), Paris's gap and fold, Lord Howe's half-hour ones, and year 1 / 9999.
WALL_TIMES = (
    "2024-03-10T01:59:59",
    "2024-03-10T02:30:00",
    "2024-03-10T03:00:00",
    "2024-11-03T01:30:00",
    "2024-11-03T02:00:00",
    "2024-03-31T02:30:00",
    "2024-10-27T02:30:00",
    "2024-04-07T01:45:00",
    "2024-10-06T02:15:00",
    "2024-05-01T09:00:00.123456",
    "0001-01-01T00:00:00",
    "9999-12-31T23:30:00",
    "2024-03-10T02:30:00",  # repeats: each distinct wall time is read once
    "2024-11-03T01:30:00",
)


def wall_posts(values: Any) -> dict[str, Any]:
    n = len(values)
    return {
        "id": [str(i) for i in range(n)],
        "platform": ["x"] * n,
        "author_id": ["ana"] * n,
        "created_at": values,
    }


def test_columnar_refuses_naive_datetime64_without_a_zone() -> None:
    pd = pytest.importorskip("pandas")
    from socialcare import TimezoneError

    naive = np.array(WALL_TIMES, dtype="datetime64[us]")
    for values in (naive, naive.astype("datetime64[s]")):
        with pytest.raises(TimezoneError, match=r"'created_at'.*naive.*assume_tz="):
            columnar.thread(wall_posts(values))
    values = pd.to_datetime([*WALL_TIMES[:10], None, None], format="ISO8601")
    frame = pd.DataFrame(wall_posts(values))
    with pytest.raises(TimezoneError, match="assume_tz="):
        columnar.thread(frame)
    with pytest.raises(TimezoneError, match="assume_tz="):
        columnar.report(frame)


@pytest.mark.parametrize(
    "zone", ["America/New_York", "Europe/Paris", "Australia/Lord_Howe", "UTC", "Etc/GMT-5"]
)
def test_columnar_reads_naive_datetime64_in_assume_tz_as_the_object_path(zone: str) -> None:
    naive = np.array(WALL_TIMES, dtype="datetime64[us]")
    threads = columnar.thread(wall_posts(naive), assume_tz=zone)
    rows = [
        {"id": str(i), "platform": "x", "author": {"id": "ana"}, "created_at": text, "text": "hi"}
        for i, text in enumerate(WALL_TIMES)
    ]
    built = build_conversations(rows, assume_tz=zone)
    assert [e.index for e in threads.errors] == [e.index for e in built.errors]
    for got, want in zip(threads.errors, built.errors, strict=True):
        assert type(got.error) is type(want.error)
    expected = {p.id: p.created_at for c in built.conversations for p in c.posts}
    got_at = dict(zip(threads.post_ids, threads.created_at.tolist(), strict=True))
    assert {k: v.replace(tzinfo=UTC) for k, v in got_at.items()} == expected
    if zone == "America/New_York":  # the gap is an error, the fold its first (EDT) occurrence
        # (and 9999-12-31T23:30 there is past year 9999 in UTC)
        assert [e.index for e in threads.errors] == [1, 11, 12]
        assert expected["3"] == expected["13"] == datetime(2024, 11, 3, 5, 30, tzinfo=UTC)


def test_columnar_naive_pandas_column_with_assume_tz_equals_posts_from_frame() -> None:
    pd = pytest.importorskip("pandas")
    from socialcare.exports import ColumnMapping
    from socialcare.pandas import posts_from_frame

    values = pd.to_datetime(list(WALL_TIMES[:10]), format="ISO8601")
    frame = pd.DataFrame(
        {"id": [str(i) for i in range(10)], "platform": ["x"] * 10, "author.id": ["ana"] * 10}
    )
    frame["created_at"] = values
    zone = "America/New_York"
    threads = columnar.thread(frame, assume_tz=zone)
    posts, errors = posts_from_frame(frame, mapping=ColumnMapping(assume_tz=zone))
    assert [e.index for e in threads.errors] == [e.index for e in errors] == [1]
    got = dict(zip(threads.post_ids, threads.created_at.tolist(), strict=True))
    assert {k: v.replace(tzinfo=UTC) for k, v in got.items()} == {
        p.id: p.created_at for p in posts
    }
    # An aware column is read as it is; assume_tz names only the zone of naive values.
    frame["created_at"] = values.tz_localize("UTC")
    for assume in (None, zone):
        aware = columnar.thread(frame, assume_tz=assume)
        assert aware.errors == ()
        assert sorted(aware.created_at.tolist()) == sorted(
            v.to_pydatetime().replace(tzinfo=None) for v in values
        )


@pytest.mark.parametrize("unit", ["Y", "M", "W", "D", "s", "us"])
def test_columnar_values_outside_years_1_to_9999_are_row_errors(unit: str) -> None:
    from socialcare._time import _out_of_range

    values = np.array(
        ["2024-05-01", "20000-01-01", "-0001-06-01", "9999-12-31", "0001-01-01", "NaT"],
        "datetime64[D]",
    ).astype(f"datetime64[{unit}]")
    posts = {
        "id": ["1", "2", "3", "4", "5", "6"],
        "platform": ["x"] * 6,
        "author_id": ["ana", "acme", "ana", "acme", "ana", "ana"],
        "created_at": values,
        "in_reply_to": [None, "1", None, "1", None, None],
    }
    threads = columnar.thread(posts, brand="acme", assume_tz="UTC")
    bad = [e.index for e in threads.errors]
    first_week = unit == "W"  # week 0001-01-01 starts in year 0: outside
    assert bad == ([1, 2, 4, 5] if first_week else [1, 2, 5])
    assert str(threads.errors[0].error) == str(_out_of_range(values[1]))
    assert "outside the years 1 to 9999" in str(threads.errors[1].error)
    assert "missing" in str(threads.errors[-1].error)
    cols = threads.columns(policy=POLICY_CALENDAR, now=datetime(2024, 6, 1, tzinfo=UTC))
    assert len(metrics.report(cols).rows) == 1
    assert columnar.report(posts, brand="acme", assume_tz="UTC").rows[0].conversations >= 1


def test_cli_post_columns_keep_numbers_in_64_bit_arrays() -> None:
    from socialcare._cli_report import PostColumns

    columns = PostColumns(brand="acme")
    typed = {
        name: value for name, value in vars(columns).items() if type(value).__name__ == "array"
    }
    assert {"platform", "created", "followers"} <= set(typed)
    assert {value.typecode for value in typed.values()} == {"q"}
    assert all(value.itemsize == 8 for value in typed.values())
