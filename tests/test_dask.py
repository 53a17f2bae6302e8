"""Tests for socialcare.dask: on a two-worker LocalCluster, the same results as one machine."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from socialcare import InvalidInputError, SLAPolicy, TimezoneError, build_conversations, metrics
from socialcare.cli import DEFAULT_POLICY

pd = pytest.importorskip("pandas")
dd = pytest.importorskip(
    "dask.dataframe", reason="socialcare.dask needs dask: pip install 'socialcare[dask]'"
)
distributed = pytest.importorskip(
    "distributed", reason="the cluster tests need distributed: pip install 'socialcare[dask]'"
)

import socialcare.dask as sd  # noqa: E402
from socialcare._triage._threads import triage_conversations  # noqa: E402
from socialcare._triage._triager import Triager  # noqa: E402
from socialcare.pandas import posts_from_frame  # noqa: E402

T0 = datetime(2024, 5, 6, 8, tzinfo=timezone.utc)
NOW = datetime(2024, 6, 10, tzinfo=timezone.utc)
TEXTS = (
    "where is my order?? it's been two weeks",
    "thanks so much, you are the best!",
    "my card was charged twice, I want a refund",
    "how do I reset my password",
    "the app keeps crashing when I log in",
    "I want to kill myself",
    "what time do you open on sundays",
)
BRAND_TEXTS = ("We're sorry! Can you DM us your order number?", "Done, anything else?", "Hi!")


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """Two in-process workers: threads cross partitions over a real scheduler."""
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            dashboard_address=":0",  # any free port: never fails on a busy 8787
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def twcs_frame(threads: int, seed: int, *, max_depth: int = 8) -> Any:
    """Posts of the twcs export, shuffled so that replies sit in other partitions."""
    rnd = random.Random(seed)
    rows: list[dict[str, Any]] = []
    next_id = 10_000
    for _ in range(threads):
        at = T0 + timedelta(minutes=rnd.randrange(60 * 24 * 28))
        customer = f"cust{rnd.randrange(threads // 2 + 1)}"
        parent: int | None = None
        for depth in range(rnd.randrange(1, max_depth + 1)):
            brand = depth % 2 == 1 and rnd.random() < 0.9
            rows.append(
                {
                    "tweet_id": next_id,
                    "author_id": "AcmeHelp" if brand else customer,
                    "inbound": not brand,
                    "created_at": at.strftime("%a %b %d %H:%M:%S +0000 %Y"),
                    "text": rnd.choice(BRAND_TEXTS if brand else TEXTS),
                    "in_response_to_tweet_id": None if parent is None else float(parent),
                }
            )
            parent = next_id
            next_id += 1
            at += timedelta(minutes=rnd.randrange(1, 240))
    rnd.shuffle(rows)
    return pd.DataFrame(rows)


def one_machine(
    frame: Any, mapping: Any, *, brand: Any = None, **options: Any
) -> metrics.Report:
    """What socialcare does on one machine with the same rows (the CLI's `report` path)."""
    posts, _ = posts_from_frame(frame, mapping)
    built = build_conversations(posts, brand=brand)
    labelled = triage_conversations(built.conversations, Triager.default())
    return metrics.report(labelled, **options)


@pytest.fixture
def small_thread_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Thread tables of a few rows per partition, so that test data spans several."""
    monkeypatch.setattr(sd, "_THREAD_ROWS", 64)


@pytest.mark.usefixtures("small_thread_tables")
def test_report_equals_one_machine_with_threads_across_partitions(client: Any) -> None:
    frame = twcs_frame(threads=150, seed=3)
    posts = dd.from_pandas(frame, npartitions=6)
    policy = SLAPolicy.from_dict(DEFAULT_POLICY)
    options: dict[str, Any] = {
        "by": ["route", "intent", "period"],
        "policy": policy,
        "now": NOW,
        "tz": "Europe/Berlin",
    }
    got = sd.report(posts, mapping="twcs", **options)
    want = one_machine(frame, "twcs", **options)
    assert got == want
    assert sum(row.conversations for row in got) == 150
    assert any(row.sla for row in got)


def test_report_now_defaults_to_just_after_the_last_post(client: Any) -> None:
    frame = twcs_frame(threads=40, seed=5)
    policy = SLAPolicy.from_dict(DEFAULT_POLICY)
    got = sd.report(dd.from_pandas(frame, npartitions=3), mapping="twcs", policy=policy)
    posts, _ = posts_from_frame(frame, "twcs")
    last = max(post.created_at for post in posts)
    want = one_machine(frame, "twcs", policy=policy, now=last + timedelta(seconds=1))
    assert got == want


def test_report_with_a_sketch_equals_one_accumulator(client: Any) -> None:
    frame = twcs_frame(threads=60, seed=8)
    got = sd.report(
        dd.from_pandas(frame, npartitions=4), mapping="twcs", by=["route"], relative_error=0.02
    )
    posts, _ = posts_from_frame(frame, "twcs")
    labelled = triage_conversations(build_conversations(posts).conversations)
    want = metrics.Accumulator(by=["route"], relative_error=0.02).add(labelled).report()
    assert got == want
    assert got.quantile_error == 0.02


@pytest.mark.usefixtures("small_thread_tables")
def test_report_long_reply_chains_need_several_jumping_rounds(client: Any) -> None:
    # one chain of 70 posts and a few short ones, each post in a partition of its own
    frame = twcs_frame(threads=1, seed=11, max_depth=1)
    chain = []
    for depth in range(70):
        chain.append(
            {
                "tweet_id": 1 + depth,
                "author_id": "AcmeHelp" if depth % 2 else "ana",
                "inbound": depth % 2 == 0,
                "created_at": (T0 + timedelta(minutes=depth)).strftime(
                    "%a %b %d %H:%M:%S +0000 %Y"
                ),
                "text": TEXTS[depth % len(TEXTS)] if depth % 2 == 0 else BRAND_TEXTS[0],
                "in_response_to_tweet_id": None if depth == 0 else float(depth),
            }
        )
    frame = pd.concat([pd.DataFrame(chain[::-1]), frame], ignore_index=True)
    got = sd.report(dd.from_pandas(frame, npartitions=12), mapping="twcs", by=["route"])
    want = one_machine(frame, "twcs", by=["route"])
    assert got == want
    assert sum(row.conversations for row in got) == 2


def socialcare_rows() -> list[dict[str, Any]]:
    """Our own export shape with every threading case build_conversations handles."""

    def post(post_id: str, minute: int, author: str, text: str, **more: Any) -> dict[str, Any]:
        row: dict[str, Any] = {
            "id": post_id,
            "platform": "twitter",
            "author.id": author,
            "created_at": (T0 + timedelta(minutes=minute)).isoformat(),
            "text": text,
            "in_reply_to": None,
            "conversation_id": None,
        }
        row.update(more)
        return row

    return [
        # a plain thread, repeated exactly once (a duplicate is dropped)
        post("a1", 0, "ana", TEXTS[0]),
        post("a2", 9, "acme", BRAND_TEXTS[0], in_reply_to="a1"),
        post("a3", 30, "ana", "it's 12345", in_reply_to="a2"),
        post("a2", 9, "acme", BRAND_TEXTS[0], in_reply_to="a1"),
        # the same id with other content: an error for the later row, the first is kept
        post("a3", 31, "ana", "something else", in_reply_to="a2"),
        # a reply whose parent is not in the data roots its own conversation
        post("m2", 40, "bob", TEXTS[2], in_reply_to="gone"),
        post("m3", 55, "acme", BRAND_TEXTS[1], in_reply_to="m2"),
        # a reply cycle, and a reply into it: broken at its earliest post
        post("c1", 60, "cat", TEXTS[4], in_reply_to="c3"),
        post("c2", 61, "acme", BRAND_TEXTS[0], in_reply_to="c1"),
        post("c3", 62, "cat", TEXTS[3], in_reply_to="c2"),
        post("c4", 70, "acme", BRAND_TEXTS[1], in_reply_to="c3"),
        # a conversation id wins over the reply chain
        post("k1", 80, "dan", TEXTS[6], conversation_id="ticket-9"),
        post("k2", 81, "acme", BRAND_TEXTS[2], in_reply_to="a1", conversation_id="ticket-9"),
        # the same ids on another platform are other posts; the same key on two platforms
        post("a1", 5, "eve", TEXTS[1], platform="facebook"),
        post("f2", 6, "acme", BRAND_TEXTS[1], platform="facebook", in_reply_to="a1"),
        post("t1", 90, "fay", TEXTS[5], platform="facebook", conversation_id="ticket-9"),
        # rows that are not posts: a naive time, no author
        post("bad1", 100, "gus", TEXTS[0], created_at="2024-05-06 10:00"),
        post("bad2", 101, None, TEXTS[0]),
    ]


def test_report_equals_one_machine_for_every_threading_case(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sd, "_THREAD_ROWS", 3)
    frame = pd.DataFrame(socialcare_rows())
    posts, errors = posts_from_frame(frame, "socialcare")
    assert len(errors) == 2
    built = build_conversations(posts, brand="acme")
    assert (built.duplicates_dropped, built.missing_parents, built.cycles_broken) == (1, 1, 1)
    assert len(built.errors) == 1
    assert {c.id for c in built} >= {"twitter:ticket-9", "facebook:ticket-9", "c1"}
    # one partition, and every row in a partition of its own
    for partitions, by in ((1, []), (len(frame), ["platform", "agent"])):
        if True:
            got = sd.report(
                dd.from_pandas(frame, npartitions=partitions),
                brand="acme",
                by=by,
                policy=SLAPolicy.from_dict(DEFAULT_POLICY),
                now=NOW,
            )
            want = one_machine(
                frame,
                "socialcare",
                brand="acme",
                by=by,
                policy=SLAPolicy.from_dict(DEFAULT_POLICY),
                now=NOW,
            )
            assert got == want, (partitions, by)


def test_report_of_no_valid_post_raises_with_the_first_reasons(client: Any) -> None:
    frame = pd.DataFrame(socialcare_rows()[-2:])
    _, errors = posts_from_frame(frame, "socialcare")
    assert len(errors) == 2
    with pytest.raises(InvalidInputError, match="not one of the 2 row") as caught:
        sd.report(dd.from_pandas(frame, npartitions=2), by=["route"])
    message = str(caught.value)
    assert "row 0 (id 'bad1')" in message
    assert "row 1 (id 'bad2')" in message
    assert str(errors[0].error) in message


def test_report_of_no_row(client: Any) -> None:
    frame = pd.DataFrame(socialcare_rows()).iloc[:0]
    got, bad = sd.report(dd.from_pandas(frame, npartitions=1), return_errors=True)
    assert got == one_machine(frame, "socialcare")
    assert sum(row.conversations for row in got) == 0
    assert bad == sd.BadRows(0, ())
    assert not bad


def test_report_counts_the_bad_rows_it_leaves_out(client: Any) -> None:
    from socialcare.exports import PRESETS

    rows = socialcare_rows()
    # more bad rows than are kept with their reasons, spread over the partitions
    rows += [dict(rows[16], id=f"naive{i}") for i in range(6)]
    frame = pd.DataFrame(rows).sample(frac=1, random_state=4).reset_index(drop=True)
    posts = dd.from_pandas(frame, npartitions=4)
    got, bad = sd.report(posts, brand="acme", by=["platform"], return_errors=True)
    assert got == sd.report(posts, brand="acme", by=["platform"])
    assert got == one_machine(frame, "socialcare", brand="acme", by=["platform"])
    # the same rows, read as build_conversations reads them (mappings validated there)
    records = frame.astype(object).where(pd.notna(frame), None).to_dict("records")
    built = build_conversations([PRESETS["socialcare"].to_post_data(r) for r in records])
    # 8 rows that are not posts, and one post repeated with other content
    assert bad.count == len(built.errors) == 9
    assert [(e.index, e.id, str(e.error)) for e in bad.first] == [
        (e.index, e.id, str(e.error)) for e in built.errors[:5]
    ]
    assert any("different content" in str(e.error) for e in built.errors)
    assert str(bad).startswith("9 bad row(s), left out: row ")
    assert str(bad).endswith("and 4 more")


def test_report_puts_a_repeated_post_among_the_first_bad_rows(client: Any) -> None:
    rows = socialcare_rows()[:5]  # row 4 repeats post a3 with other content
    frame = pd.DataFrame(rows)
    got, bad = sd.report(dd.from_pandas(frame, npartitions=3), return_errors=True)
    assert got == one_machine(frame, "socialcare")
    built = build_conversations(posts_from_frame(frame, "socialcare")[0])
    assert bad.count == 1
    assert [(e.index, e.id, str(e.error)) for e in bad.first] == [
        (e.index, e.id, str(e.error)) for e in built.errors
    ]
    assert bad.first[0].index == 4


def test_report_refuses_a_missing_column_before_any_work(client: Any) -> None:
    frame = pd.DataFrame(socialcare_rows()).drop(columns=["created_at"])
    posts = dd.from_pandas(frame, npartitions=2)
    # a partition that raises if read: the check must not read any
    poisoned = posts.map_partitions(_never, meta=posts._meta)
    with pytest.raises(InvalidInputError, match="'created_at' for created_at") as caught:
        sd.report(poisoned)
    assert "preset 'socialcare'" in str(caught.value)
    with pytest.raises(InvalidInputError, match="'tweet_id' for id"):
        sd.report(poisoned, mapping="twcs")
    with pytest.raises(InvalidInputError, match="'created_at' for created_at"):
        sd.triage(poisoned)
    # a default fills a field that has no column; a nested author column holds author.id
    from socialcare.exports import ColumnMapping

    nested = pd.DataFrame(socialcare_rows()[:3]).drop(columns=["platform", "author.id"])
    nested["author"] = [{"id": "ana"}, {"id": "acme"}, {"id": "ana"}]
    mapping = ColumnMapping(defaults={"platform": "twitter"})
    import dask

    with dask.config.set({"dataframe.convert-string": False}):  # keep the dicts as dicts
        nested_posts = dd.from_pandas(nested, npartitions=2)
    got = sd.report(nested_posts, mapping=mapping, brand="acme")
    assert got == one_machine(nested, mapping, brand="acme")
    assert got.rows[0].conversations == 1


def _never(frame: Any) -> Any:
    raise AssertionError("a partition was read")


def test_report_refuses_a_naive_datetime_column_without_a_zone(client: Any) -> None:
    from socialcare.exports import ColumnMapping

    frame = pd.DataFrame(socialcare_rows()[:3])
    frame["created_at"] = pd.to_datetime(frame["created_at"]).dt.tz_localize(None)
    posts = dd.from_pandas(frame, npartitions=2)
    poisoned = posts.map_partitions(_never, meta=posts._meta)
    with pytest.raises(TimezoneError, match=r"'created_at'.*assume_tz"):
        sd.report(poisoned, brand="acme")
    with pytest.raises(TimezoneError, match="'created_at'"):
        sd.triage(poisoned)
    utc = ColumnMapping(assume_tz="UTC")
    got, bad = sd.report(posts, brand="acme", mapping=utc, return_errors=True)
    assert got == one_machine(frame, utc, brand="acme")
    assert got.rows[0].conversations == 1
    assert bad.count == 0
    aware = posts.assign(created_at=posts["created_at"].dt.tz_localize("UTC"))
    assert sd.report(aware, brand="acme") == got


def test_triage_adds_a_decision_per_row(client: Any) -> None:
    frame = pd.DataFrame(socialcare_rows())
    frame.index = [f"r{i}" for i in range(len(frame))]
    posts = dd.from_pandas(frame, npartitions=3, sort=False)
    decided = sd.triage(posts, brand="acme").compute()
    assert list(decided.index) == list(frame.index)
    assert list(decided.columns) == [*frame.columns, *sd.DECISION_COLUMNS]
    posts, errors = posts_from_frame(frame, "socialcare")
    assert [e.index for e in errors] == [16, 17]
    triager = Triager.default()
    inputs = [sd._brand_input(p, frozenset({"acme"})) for p in posts]
    want = [d.route for d in triager.decide_many(inputs)]
    ok = decided[decided["error"].isna()]
    assert ok["route"].tolist() == want
    assert set(ok.loc[frame["author.id"] == "acme", "route"]) == {"none"}
    bad = decided.loc[["r16", "r17"]]
    assert bad["route"].isna().all()
    assert "zone" in bad.loc["r16", "error"] or "timezone" in bad.loc["r16", "error"]


def test_triage_ships_a_given_triager(client: Any) -> None:
    from socialcare import TriageRules

    frame = twcs_frame(threads=10, seed=2)
    strict = Triager.default().with_rules(TriageRules(auto_intents=frozenset()))
    decided = sd.triage(dd.from_pandas(frame, npartitions=2), mapping="twcs", triager=strict)
    routes = set(decided["route"].compute())
    assert "auto" not in routes
    assert routes <= {"agent", "specialist", "none"}


def test_bad_arguments_are_refused_before_any_work() -> None:
    frame = pd.DataFrame(socialcare_rows())
    posts = dd.from_pandas(frame, npartitions=2)
    with pytest.raises(InvalidInputError, match="Dask DataFrame"):
        sd.report(frame)
    with pytest.raises(InvalidInputError, match="Dask DataFrame"):
        sd.triage(frame)
    with pytest.raises(InvalidInputError, match="break down"):
        sd.report(posts, by=["colour"])
    with pytest.raises(InvalidInputError, match="preset"):
        sd.report(posts, mapping="nope")
    with pytest.raises(TimezoneError):
        sd.report(posts, now=datetime(2024, 1, 1))  # naive on purpose
    with pytest.raises(InvalidInputError, match="Triager"):
        sd.triage(posts, triager="default")  # type: ignore[arg-type]
    clash = dd.from_pandas(frame.assign(_socialcare_pos=1), npartitions=1)
    with pytest.raises(InvalidInputError, match="rename"):
        sd.report(clash)


def test_import_socialcare_does_not_load_dask() -> None:
    import subprocess
    import sys

    code = "import sys, socialcare; print(any(m.startswith('dask') for m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "False"
