"""The ``socialcare`` command: the edge where files, the terminal and the core meet.

``socialcare demo`` runs triage, SLA and metrics on the bundled example week and prints a
summary. ``socialcare triage FILE`` decides a route for every post of an export and writes one
output row per input row. ``socialcare report FILE`` groups an export into conversations,
triages them, runs the SLA clocks and prints (or writes) the metrics.

Exit status: 0 when every row was read; 1 when some rows were bad (each reported with its line
number, and kept in the output with its error); 2 when the file or the arguments are unusable;
130 when interrupted (Ctrl-C, SIGINT) and 143 when terminated (SIGTERM). A file named with
``-o`` is written to a temporary file beside it and renamed into place only when the run ends
with 0 or 1, so it is either complete or untouched.

This module holds the commands; the input/output safety layer they share (checking files and
arguments, reporting bad rows, writing output safely) is `socialcare._cli_io`.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from socialcare._cli_io import (
    FORMULA_PREFIXES,
    _cli_text,
    _delimiter_arg,
    _idle_arg,
    _mapping,
    _output,
    _platform_arg,
    _positive_int,
    _primed,
    _progress_on,
    _quantile_error_arg,
    _read,
    _report_bad_rows,
    _source,
    _target,
    _Terminated,
    _UsageError,
    _warn_unmapped_keys,
    _zone_arg,
)
from socialcare._cli_io import _guarded as _guarded  # the safety layer, as tests reach it
from socialcare._cli_io import _Writer as _Writer
from socialcare._conversation import BuildResult, Conversation, RowError, build_conversations
from socialcare._errors import InvalidInputError, SocialcareError
from socialcare._models import Post
from socialcare._progress import Progress
from socialcare.exports import DECISION_COLUMNS, PRESETS

if TYPE_CHECKING:
    from socialcare._cli_report import PostColumns
    from socialcare._replies._book import ReplyBook
    from socialcare._sla._policy import SLAPolicy
    from socialcare._triage._decision import Decision
    from socialcare._triage._triager import Triager
    from socialcare.metrics import Accumulator, Report

__all__ = ["FORMULA_PREFIXES", "build_parser", "main", "main_entry"]

_DECISION_COLUMNS = ("line", "id", *DECISION_COLUMNS)
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM

# The policy the demo and `report` use when none is given: the field's best practice, for the
# conversations triage says need a reply (route "none", praise and spam, has no clock).
_NEEDS_REPLY = {"route": ["auto", "agent", "specialist"]}
DEFAULT_POLICY: dict[str, Any] = {
    "name": "social care best practice",
    "window": "always",
    "targets": [
        {
            "metric": "first_response",
            "duration": "15m",
            "when": _NEEDS_REPLY,
            "name": "first response in 15 minutes",
        },
        {
            "metric": "next_response",
            "duration": "1h",
            "when": _NEEDS_REPLY,
            "name": "next response within an hour",
        },
        {
            "metric": "resolution",
            "duration": "4h",
            "when": {**_NEEDS_REPLY, "intent": ["query"]},
            "name": "basic queries resolved in 4 hours",
        },
        {
            "metric": "resolution",
            "duration": "2d",
            "when": _NEEDS_REPLY,
            "name": "requests and complaints resolved within 2 days",
        },
    ],
}


def _decision_row(
    line: int, post_id: str | None, decision: Decision | None, error: str | None
) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(_DECISION_COLUMNS, "")
    row["line"], row["id"] = line, post_id or ""
    if decision is not None:
        from socialcare._triage._decision import decision_row

        values = decision_row(decision)
        values["confidence"] = f"{decision.confidence:.4f}"
        row.update({k: "" if v is None else v for k, v in values.items()})
    row["error"] = error or row["error"] or ""
    return row


# Commands ---------------------------------------------------------------------------------


@functools.cache
def _triager() -> Triager:
    """The default triager, loaded once per process (``main`` may run many times in one)."""
    from socialcare._triage._triager import Triager

    return Triager.default()


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _brand_input(post: Post, brand: set[str]) -> Any:
    """The post, or its triage input marked as the brand's when its author is in ``brand``."""
    from socialcare._triage._input import TriageInput

    author = post.author
    if author.is_brand is not None or (
        author.id.casefold() not in brand
        and (author.handle is None or author.handle.casefold() not in brand)
    ):
        return post
    return TriageInput.from_post(post).model_copy(update={"is_brand": True})


_REPLY_COLUMNS = ("reply", "reply_kind", "reply_template")


def _load_book(path: str | None) -> ReplyBook | None:
    """The reply book named by ``--replies``: a JSON file, or ``starter`` for the bundled one."""
    from socialcare._replies._book import ReplyBook

    if path is None:
        return None
    if path == "starter":
        return ReplyBook.starter()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"cannot read the reply book {path}: {exc}") from None
    return ReplyBook.from_dict(text)


def _suggest(
    book: ReplyBook, policy: SLAPolicy, post: Post, decision: Decision, brand: set[str]
) -> dict[str, str]:
    """The reply (route auto) or the acknowledgement with its ETA for one triaged post."""
    from socialcare._replies._acknowledge import acknowledge

    suggestion = None
    try:
        if decision.route == "auto":
            suggestion = book.reply(decision, platform=str(post.platform))
        elif decision.route != "none" and decision.error is None:
            conversation = Conversation(
                id=post.id,
                posts=(post,),
                brand=frozenset(brand),
                route=decision.route,
                intent=decision.intent,
                sensitive=decision.sensitive,
                language=decision.language,
            )
            suggestion = acknowledge(conversation, policy, post.created_at, book=book)
    except SocialcareError as exc:  # one post's suggestion never stops the others
        return {**dict.fromkeys(_REPLY_COLUMNS, ""), "error": _cli_text(f"no reply: {exc}")}
    if suggestion is None:
        return dict.fromkeys(_REPLY_COLUMNS, "")
    return {
        "reply": _cli_text(suggestion.text),
        "reply_kind": suggestion.kind,
        "reply_template": suggestion.template,
    }


def cmd_triage(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Decide a route for every post of an export, streaming; one output row per input row."""
    mapping = _mapping(args)
    source = _source(args)
    target = _target(args.output, args.output_format, source)
    book = _load_book(args.replies)
    if book is None and args.policy is not None:
        err.write("warning: --policy is used only with --replies (for acknowledgement ETAs)\n")
    policy = _load_policy(args.policy) if book is not None else None
    columns = _DECISION_COLUMNS + (_REPLY_COLUMNS if book is not None else ())
    _warn_unmapped_keys(source, args, err)
    progress = Progress(err, enabled=_progress_on(args, err), label="posts")
    bad: list[RowError] = []
    routes: Counter[str] = Counter()
    brand = {entry.removeprefix("@").casefold() for entry in args.brand or ()}
    try:
        rows = _primed(_read(source, mapping, args, progress))  # the header, checked first
        triager = _triager()
        if args.detect_language:
            from socialcare._language import language_detection_available

            if not language_detection_available():
                raise InvalidInputError(
                    "--detect-language needs the language extra: "
                    "python -m pip install 'socialcare[language]'"
                )
            rules = triager.rules.model_copy(update={"detect_language": True})
            triager = triager.with_rules(rules)
        with _output(target, columns, out, formula_guard=args.formula_guard) as writer:
            for chunk in _chunks(rows, args.chunk_size):
                posts = [
                    _brand_input(value, brand) if brand else value
                    for _, value in chunk
                    if isinstance(value, Post)
                ]
                decisions = iter(triager.decide_many(posts, n_jobs=args.jobs))
                for line, value in chunk:
                    if isinstance(value, RowError):
                        bad.append(value)
                        message = _cli_text(str(value.error))
                        row = _decision_row(line, value.id, None, message)
                        if book is not None:
                            row.update(dict.fromkeys(_REPLY_COLUMNS, ""))
                        writer.write(row)
                        continue
                    decision = next(decisions)
                    routes[decision.route] += 1
                    row = _decision_row(line, value.id, decision, decision.error)
                    if book is not None and policy is not None:
                        row.update(_suggest(book, policy, value, decision, brand))
                    writer.write(row)
    finally:
        progress.close()
    total = sum(routes.values())
    summary = ", ".join(f"{route} {count:,}" for route, count in routes.most_common())
    err.write(f"triaged {total:,} post(s) in {progress.elapsed:.1f} s: {summary or 'none'}\n")
    if not total and not bad:
        err.write(f"warning: {source.path} holds no posts (only a header or blank lines)\n")
    _report_bad_rows(bad, err, kept=True)
    return 1 if bad else 0


def _load_policy(path: str | None) -> SLAPolicy:
    from socialcare._sla._policy import SLAPolicy

    if path is None:
        return SLAPolicy.from_dict(DEFAULT_POLICY)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise _UsageError(f"cannot read the SLA policy {path!r}: {exc.strerror}") from None
    try:
        policy = SLAPolicy.from_dict(text)
        # a condition on a label the triage never produces would silently match nothing
        return policy.validate_labels(
            intents=_triager().intents,
            sentiments=("negative", "neutral", "positive"),
            routes=("auto", "agent", "specialist", "none"),
            priorities=("urgent", "high", "normal", "low"),
        )
    except SocialcareError as exc:
        raise _UsageError(f"{path}: {exc}") from None


def _label(conversations: Sequence[Conversation], triager: Triager) -> list[Conversation]:
    """Triage each conversation with its thread as context and attach the labels."""
    from socialcare._triage._threads import triage_conversations

    return triage_conversations(conversations, triager)


def _analyse(
    built: BuildResult, policy: SLAPolicy, now: datetime, by: Sequence[str], tz: str
) -> tuple[list[Conversation], Report, list[Any]]:
    from socialcare import metrics

    labelled = _label(built.conversations, _triager())
    evaluations = policy.evaluate_many(labelled, now)
    rep = metrics.report(labelled, by=by, policy=policy, now=now, tz=tz, period="week")
    return labelled, rep, evaluations


def cmd_report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Group an export into conversations, triage, run SLA clocks and report the metrics.

    Streams: each post is cut down to columns as it is read (see `socialcare._cli_report`),
    so memory follows the posts' columns, not one pydantic object per row; every SLA clock
    runs once, vectorised.
    """
    from socialcare import metrics
    from socialcare._cli_report import PostColumns, default_now

    mapping = _mapping(args)
    source = _source(args)
    target = _target(args.output, args.output_format, source) if args.output else None
    policy = _load_policy(args.policy)
    _warn_unmapped_keys(source, args, err)
    if args.idle is not None:
        return _report_idle(args, out, err, mapping, source, target, policy)
    columns = PostColumns(args.brand or None)
    bad = _read_posts(columns, source, mapping, args, err)
    threads = columns.thread_posts()
    if not len(threads):
        return _no_conversations(source, bad, columns, err)
    if not columns.any_brand:
        _warn_no_brand(err)
    now = _parse_now(args.now) if args.now else default_now(columns)
    labels = columns.labels(threads, _triager())
    cols = threads.columns(labels=labels, policy=policy, now=now)
    if args.quantile_error is None:
        rep = metrics.report(cols, by=_by(args), tz=args.tz, period="week")
    else:
        rep = _accumulator(args).add(cols).report()
    _write_report(rep, target, out, args)
    _summary(columns, len(threads), threads.missing_parents, err)
    return _bad_rows_status(bad, columns, err)


def _report_idle(
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    mapping: Any,
    source: Any,
    target: Any,
    policy: SLAPolicy,
) -> int:
    """``report --idle``: conversations closed and forgotten as the file is read."""
    from socialcare._cli_idle import IdleReport
    from socialcare._cli_report import PostColumns

    columns = PostColumns(args.brand or None, track_rows=True)
    accumulator = _accumulator(args)
    now = _parse_now(args.now) if args.now else None
    idle = IdleReport(
        columns, idle=args.idle, policy=policy, now=now, triager=_triager, accumulator=accumulator
    )
    bad = _read_posts(columns, source, mapping, args, err, added=idle.added)
    idle.finish()
    if not idle.conversations:
        return _no_conversations(source, bad, columns, err)
    if not idle.any_brand:
        _warn_no_brand(err)
    _write_report(accumulator.report(), target, out, args)
    _summary(columns, idle.conversations, idle.missing_parents, err)
    if idle.late:
        err.write(
            f"warning: {idle.late:,} post(s) came after their conversation had been closed as "
            "idle (--idle) and were counted as conversations of their own; the "
            "file is not in time order, or replies come long after. Rerun with a longer "
            "--idle, or without it, for the exact report.\n"
        )
    return _bad_rows_status(bad, columns, err)


def _read_posts(
    columns: PostColumns,
    source: Any,
    mapping: Any,
    args: argparse.Namespace,
    err: TextIO,
    *,
    added: Callable[[], None] | None = None,
) -> list[RowError]:
    """Read every row of the export into ``columns`` (calling ``added`` after each post);
    the unreadable rows."""
    progress = Progress(err, enabled=_progress_on(args, err), label="posts")
    bad: list[RowError] = []
    try:
        for index, (line, value) in enumerate(_read(source, mapping, args, progress)):
            if isinstance(value, RowError):
                bad.append(value)
            else:
                columns.add(value, index, line)
                if added is not None:
                    added()
    finally:
        progress.close()
    return bad


def _no_conversations(source: Any, bad: list[RowError], columns: PostColumns, err: TextIO) -> int:
    err.write(f"no conversations in {source.path}\n")
    return _bad_rows_status(bad, columns, err)


def _summary(columns: PostColumns, conversations: int, missing: int, err: TextIO) -> None:
    err.write(
        f"{columns.read:,} post(s), {conversations:,} conversation(s), "
        f"{columns.duplicates:,} duplicate(s) dropped, "
        f"{missing:,} reply(ies) without their parent\n"
    )


def _bad_rows_status(bad: list[RowError], columns: PostColumns, err: TextIO) -> int:
    """List the bad rows in file order; the exit status (1 if any)."""
    _report_bad_rows(_in_order(bad, columns.errors), err, kept=False)
    return 1 if bad or columns.errors else 0


def _accumulator(args: argparse.Namespace) -> Accumulator:
    """What `report` adds its conversations to: ``metrics.report``'s figures, exact, or with
    quantiles within ``--quantile-error``."""
    from socialcare import metrics

    return metrics.Accumulator(
        by=_by(args), tz=args.tz, period="week", relative_error=args.quantile_error
    )


def _warn_no_brand(err: TextIO) -> None:
    err.write(
        "warning: no post was found from the brand, so every post counts as a customer's "
        "and reply rates and SLA attainment read 0%. Name the brand's author ids or handles "
        "with --brand (repeatable, e.g. --brand AcmeSupport), or map a column that marks "
        "them with --map author.is_brand=COLUMN.\n"
    )


def _by(args: argparse.Namespace) -> list[str]:
    return [part for part in (args.by or "").split(",") if part]


def _in_order(bad: Sequence[RowError], found_later: Sequence[RowError]) -> list[RowError]:
    """Unreadable rows and rows found bad after reading, in the order of the file."""
    return sorted([*bad, *found_later], key=lambda error: error.index)


def _write_report(rep: Report, target: Any, out: TextIO, args: argparse.Namespace) -> None:
    if target is not None:
        with _output(target, _report_columns(rep), out, formula_guard=args.formula_guard) as writer:
            for row in _flat_rows(rep):
                writer.write(row)
    else:
        out.write(_render_table(rep))


def _parse_now(value: str) -> datetime:
    from socialcare._time import parse_timestamp

    try:
        return parse_timestamp(value)
    except (SocialcareError, ValueError) as exc:
        raise _UsageError(f"--now: {exc}") from None


def _now(value: str | None, built: BuildResult) -> datetime:
    if value:
        return _parse_now(value)
    # Replaying an export: "now" is just after its last post, so nothing is judged by today.
    last = max(c.posts[-1].created_at for c in built.conversations)
    return last + timedelta(seconds=1)


def _flat_rows(rep: Report) -> Iterator[dict[str, Any]]:
    """One flat row per group; durations become ``<name>_seconds`` numbers."""
    for row in rep.to_dicts():
        flat: dict[str, Any] = {}
        _flatten("", row, flat)
        yield {_seconds_name(key): _seconds(value) for key, value in flat.items()}


@functools.cache
def _duration_keys() -> frozenset[str]:
    from socialcare.metrics._durations import DURATION_METRICS

    parts = ("mean", "median", "p90", "p95", "min", "max")
    return frozenset(f"{name}_{part}" for name in DURATION_METRICS for part in parts)


def _seconds_name(key: str) -> str:
    return f"{key}_seconds" if key in _duration_keys() else key


def _seconds(value: Any) -> Any:
    return value.total_seconds() if isinstance(value, timedelta) else value


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}{key}.", inner, out)
        return
    out[prefix.rstrip(".")] = value


def _report_columns(rep: Report) -> list[str]:
    columns: dict[str, None] = {}
    for row in _flat_rows(rep):
        columns.update(dict.fromkeys(row))
    return list(columns)


def _fmt_duration(value: timedelta | None) -> str:
    if value is None:
        return "-"
    seconds = int(value.total_seconds())
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    if seconds < 86400:
        return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"
    return f"{seconds // 86400}d{(seconds % 86400) // 3600:02d}h"


def _fmt_rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _render_table(rep: Report) -> str:
    headers = [
        *rep.by,
        "convs",
        "FRT median",
        "FRT p90",
        "reply",
        "resolved",
        "CSAT",
        "NPS",
        "FR SLA met",
    ]
    lines: list[list[str]] = []
    for row in rep.rows:
        keys = [str(row.keys.get(name) or "-") for name in rep.by]
        sla = row.sla.get("first_response")
        lines.append(
            [
                *keys,
                f"{row.conversations:,}",
                _fmt_duration(row.first_response_time.median),
                _fmt_duration(row.first_response_time.p90),
                _fmt_rate(row.reply_rate.value),
                _fmt_rate(row.resolution_rate.value),
                _fmt_rate(row.csat.value if row.csat else None),
                "-" if row.nps is None or row.nps.score is None else f"{row.nps.score:+.0f}",
                _fmt_rate(sla.rate.value if sla is not None else None),
            ]
        )
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(headers)]
    text = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    text.append("  ".join("-" * w for w in widths))
    text.extend("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines)
    return "\n".join(text) + "\n"


def _demo_data() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    base = resources.files("socialcare") / "_data"
    posts_text = (base / "demo_posts.jsonl").read_text(encoding="utf-8")
    outcomes = json.loads((base / "demo_outcomes.json").read_text(encoding="utf-8"))
    rows = [json.loads(line) for line in posts_text.splitlines() if line.strip()]
    return rows, outcomes


def cmd_demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run triage, SLA and metrics on the bundled example week and print a summary."""
    from socialcare import metrics
    from socialcare._conversation import StatusChange
    from socialcare._models import Survey

    rows, outcomes = _demo_data()
    built = build_conversations(rows)
    conversations = []
    for conversation in built.conversations:
        extra = outcomes.get(conversation.id, {})
        conversations.append(
            conversation.attach(
                surveys=[Survey(**s) for s in extra.get("surveys", ())],
                status_changes=[StatusChange(**s) for s in extra.get("status_changes", ())],
            )
        )
    built = BuildResult(
        tuple(conversations),
        built.errors,
        built.duplicates_dropped,
        built.missing_parents,
        built.cycles_broken,
    )
    policy = _load_policy(None)
    now = _now(None, built)
    labelled, rep, evaluations = _analyse(built, policy, now, ["platform"], "UTC")
    overall = metrics.report(labelled, policy=policy, now=now)
    row = overall.rows[0]

    w = out.write
    w("socialcare demo: one simulated week of a brand's social inbox\n")
    w(
        f"{len(rows):,} posts -> {len(labelled):,} conversations on "
        f"{len({c.platform for c in labelled})} platforms, in "
        f"{len({p.language for c in labelled for p in c.posts if p.language})} languages\n\n"
    )
    routes = Counter(c.route for c in labelled)
    intents = Counter(c.intent for c in labelled)
    w("Triage (default model, each conversation with its thread as context)\n")
    w("  routes:  " + ", ".join(f"{k} {v}" for k, v in routes.most_common()) + "\n")
    w("  intents: " + ", ".join(f"{k} {v}" for k, v in intents.most_common()) + "\n")
    triager = _triager()
    w("  examples:\n")
    shown = 0
    for conversation in labelled:
        post = conversation.customer_posts[0] if conversation.customer_posts else None
        if post is None or len(post.text) > 70 or shown >= 6:
            continue
        decision = triager.decide(post)
        if shown < 6 and (decision.route in {"auto", "specialist"} or shown < 3):
            w(
                f"    [{decision.route:<10}] {decision.intent:<9} {decision.confidence:.2f}  "
                f"{post.text}\n"
            )
            shown += 1
    w("\nService levels (policy: " + (policy.name or "custom") + ")\n")
    frt = row.first_response_time
    w(
        f"  first response (people only): median {_fmt_duration(frt.median)}, "
        f"p90 {_fmt_duration(frt.p90)}, mean {_fmt_duration(frt.mean)}; "
        f"{frt.pending} still waiting\n"
    )
    w(
        f"  reply rate {_fmt_rate(row.reply_rate.value)}, resolution rate "
        f"{_fmt_rate(row.resolution_rate.value)}, reopen rate {_fmt_rate(row.reopen_rate.value)}\n"
    )
    for metric_name, attainment in row.sla.items():
        w(
            f"  SLA {metric_name:<15} met {_fmt_rate(attainment.rate.value)} "
            f"(met {attainment.met}, breached {attainment.breached})\n"
        )
    breached = sum(1 for e in evaluations if not isinstance(e, RowError) and e.breached)
    w(f"  conversations with any breached clock: {breached}\n")
    if row.csat is not None:
        w(f"  CSAT {_fmt_rate(row.csat.value)} of {row.csat.responses} responses; ")
    if row.nps is not None and row.nps.score is not None:
        w(f"NPS {row.nps.score:+.0f} ({row.nps.responses} responses)")
    w("\n\nBy platform\n")
    w(_render_table(rep))
    _demo_replies(labelled, w)
    return 0


def _demo_replies(labelled: Sequence[Conversation], w: Any) -> None:
    """Replies from the starter book: an automated answer, a Friday-night acknowledgement with
    its ETA in the market's zone and language, and an away message on a holiday."""
    from socialcare._replies._acknowledge import acknowledge, away_message
    from socialcare._replies._book import ReplyBook
    from socialcare._sla._policy import SLAPolicy

    book = ReplyBook.starter()
    w("\nReplies (starter book, 9 languages)\n")
    auto = next((c for c in labelled if c.route == "auto" and c.sensitive is None), None)
    if auto is not None:
        reply = book.reply(auto)
        if reply is not None:
            w(f"  automated reply [{reply.template}]: {reply.text}\n")
    market = {
        "timezone": "Europe/Madrid",
        "hours": {"mon-fri": "09:00-18:00"},
        "holidays": ["2026-12-08"],
    }
    policy = SLAPolicy.from_dict(
        {"window": market, "targets": [{"metric": "first_response", "duration": "15m"}]}
    )
    friday_night = datetime(2026, 12, 4, 22, 30, tzinfo=timezone.utc)  # 23:30 in Madrid
    source = next((c for c in labelled if c.route in {"agent", "auto"} and c.customer), None)
    if source is not None and source.customer is not None:
        post = Post(
            id="demo-es",
            platform=source.platform,
            author=source.customer,
            text="Hola, mi pedido no ha llegado",
            created_at=friday_night,
        )
        conversation = Conversation(
            id="demo-es", posts=(post,), route="agent", intent="complaint", language="es"
        )
        ack = acknowledge(conversation, policy, friday_night, book=book)
        if ack is not None:
            w(f"  Friday 23:30 Madrid, acknowledgement [{ack.template}]:\n    {ack.text}\n")
    holiday = datetime(
        2026, 12, 8, 10, 0, tzinfo=timezone.utc
    )  # a Tuesday, a holiday in the market
    away = away_message(policy.targets[0].window, holiday, book=book, language="en")
    if away is not None:
        w(f"  Tuesday 8 December (a holiday), away message [{away.template}]:\n    {away.text}\n")


# Entry point ------------------------------------------------------------------------------


def _add_reading(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="a CSV, TSV or JSON Lines export")
    parser.add_argument("--format", choices=("csv", "jsonl"), help="input format (from the name)")
    parser.add_argument(
        "--delimiter",
        type=_delimiter_arg,
        metavar="CHAR",
        help="CSV delimiter: one character, or tab (default: from the header line; .tsv: tab)",
    )
    parser.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default="socialcare",
        help="column names of a known export shape (twcs: Customer Support on Twitter)",
    )
    parser.add_argument(
        "--map",
        action="append",
        metavar="FIELD=COLUMN",
        help="read post FIELD from COLUMN (repeatable), e.g. author.id=user_id",
    )
    parser.add_argument(
        "--default",
        action="append",
        metavar="FIELD=VALUE",
        help="value of a field the export lacks (repeatable)",
    )
    parser.add_argument(
        "--platform", type=_platform_arg, help="platform of every post, when the export lacks it"
    )
    parser.add_argument(
        "--assume-tz",
        type=_zone_arg,
        metavar="ZONE",
        help="IANA zone of naive timestamps (otherwise they are bad rows)",
    )
    parser.add_argument("-o", "--output", help="write results here (.csv or .jsonl); - is stdout")
    parser.add_argument("--output-format", choices=("csv", "jsonl"))
    parser.add_argument(
        "--formula-guard",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="in CSV output, prefix text cells starting with = + - @ tab or CR with ' so "
        "spreadsheets do not run them as formulas (default: on)",
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show progress on stderr (default: when stderr is a terminal)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``socialcare`` command."""
    parser = argparse.ArgumentParser(
        prog="socialcare",
        description="Triage, SLA and metrics for social-media customer service.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run everything on the bundled example week")
    demo.set_defaults(run=cmd_demo)

    triage = commands.add_parser("triage", help="decide a route for every post of an export")
    _add_reading(triage)
    triage.add_argument(
        "--chunk-size", type=_positive_int, default=4096, help="posts decided at once"
    )
    triage.add_argument("--jobs", type=int, default=None, help="cores for batch scoring")
    triage.add_argument(
        "--brand",
        action="append",
        help="author id or handle that speaks for the brand (repeatable): its posts get route "
        "none, no priority and no flag",
    )
    triage.add_argument(
        "--detect-language",
        action="store_true",
        help="fill the language column from the post's text where the export has none "
        "(needs the language extra; replies detect it anyway)",
    )
    triage.add_argument(
        "--replies",
        metavar="BOOK",
        help="reply book as JSON (or 'starter' for the bundled one): adds the suggested reply "
        "(route auto) or the acknowledgement with its ETA to each row",
    )
    triage.add_argument(
        "--policy",
        help="SLA policy as JSON for the ETA of acknowledgements (default: 15m first response, "
        "24/7); used with --replies",
    )
    triage.set_defaults(run=cmd_triage)

    report = commands.add_parser("report", help="metrics of an export, by conversation")
    _add_reading(report)
    report.add_argument(
        "--brand",
        action="append",
        help="author id or handle that speaks for the brand (repeatable)",
    )
    report.add_argument(
        "--by",
        default="platform",
        help="comma-separated breakdown: platform,intent,route,agent,period",
    )
    report.add_argument("--policy", help="SLA policy as JSON (default: 15m first response, 24/7)")
    report.add_argument("--now", help="evaluate SLA clocks as of this instant (default: end)")
    report.add_argument("--tz", default="UTC", type=_zone_arg, help="zone of the weekly periods")
    report.add_argument(
        "--quantile-error",
        type=_quantile_error_arg,
        help="keep durations as a sketch: medians and percentiles within this relative error "
        "(0.01: 1%%), memory per group bounded (default: exact)",
    )
    report.add_argument(
        "--idle",
        type=_idle_arg,
        help="close a conversation once its last post is this much older than the newest "
        "post read (such as 7d), and forget its posts: memory follows the open "
        "conversations; a post that comes after its conversation was closed is counted on "
        "its own and reported (default: hold every post to the end, exact)",
    )
    report.set_defaults(run=cmd_report)
    return parser


def main(
    argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run the command line; returns the exit status (see the module docstring)."""
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or unusable arguments (argparse said why)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        status: int = args.run(args, out, err)
    except (_UsageError, SocialcareError) as exc:
        err.write(f"socialcare: error: {_cli_text(str(exc))}\n")
        return 2
    except BrokenPipeError:
        raise  # the reader of stdout went away: main_entry ends quietly
    except OSError as exc:  # a full disk, a file vanishing under us: no traceback
        where = f"{exc.filename}: " if exc.filename else ""
        err.write(f"socialcare: error: {where}{exc.strerror or exc}\n")
        return 2
    except KeyboardInterrupt:
        err.write(_stopped("interrupted (SIGINT)", args))
        return EXIT_INTERRUPTED
    except _Terminated:
        err.write(_stopped("terminated (SIGTERM)", args))
        return EXIT_TERMINATED
    return status


def _stopped(how: str, args: argparse.Namespace) -> str:
    output = getattr(args, "output", None)
    kept = f"; {output} was left as it was" if output not in (None, "-") else ""
    return f"\nsocialcare: {how}: stopped before the end{kept}\n"


def _terminate(signum: int, frame: object) -> None:
    raise _Terminated


def main_entry() -> None:
    """Console-script entry point: run `main` and exit with its status."""
    import signal

    signal.signal(signal.SIGTERM, _terminate)
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:  # text the terminal cannot show is escaped, not fatal
            reconfigure(errors="backslashreplace")
    try:
        status = main()
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away (``socialcare demo | head``): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = 0
    raise SystemExit(status)


if __name__ == "__main__":  # pragma: no cover
    main_entry()
