"""The ``socialcare`` command: the edge where files, the terminal and the core meet.

``socialcare demo`` runs triage, SLA and metrics on the bundled example week and prints a
summary. ``socialcare triage FILE`` decides a route for every post of an export and writes one
output row per input row. ``socialcare report FILE`` groups an export into conversations,
triages them, runs the SLA clocks and prints (or writes) the metrics.

Exit status: 0 when every row was read; 1 when some rows were bad (each reported with its line
number, and kept in the output with its error); 2 when the file or the arguments are unusable.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from socialcare._conversation import BuildResult, Conversation, RowError, build_conversations
from socialcare._errors import SocialcareError
from socialcare._models import Post
from socialcare._progress import Progress
from socialcare.exports import DECISION_COLUMNS, PRESETS, ColumnMapping, iter_posts

if TYPE_CHECKING:
    from socialcare._sla._policy import SLAPolicy
    from socialcare._triage._triager import Decision, Triager
    from socialcare.metrics import Report

__all__ = ["build_parser", "main", "main_entry"]

_DECISION_COLUMNS = ("line", "id", *DECISION_COLUMNS)
_SHOWN_ERRORS = 20

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


class _UsageError(Exception):
    """The file or the arguments are unusable: exit status 2."""


# Reading ----------------------------------------------------------------------------------


def _mapping(args: argparse.Namespace) -> ColumnMapping:
    base = PRESETS[args.preset]
    columns = dict(_pairs(args.map, "--map"))
    defaults: dict[str, Any] = dict(_pairs(args.default, "--default"))
    if args.platform:
        defaults["platform"] = args.platform
    try:
        return base.with_overrides(columns=columns, defaults=defaults, assume_tz=args.assume_tz)
    except SocialcareError as exc:
        raise _UsageError(str(exc)) from None


def _pairs(values: Sequence[str] | None, flag: str) -> Iterator[tuple[str, str]]:
    for value in values or ():
        field, sep, column = value.partition("=")
        if not sep or not field or not column:
            raise _UsageError(f"{flag} takes FIELD=VALUE (for example id=tweet_id), got {value!r}")
        yield field.strip(), column.strip()


def _read(
    path: Path, mapping: ColumnMapping, fmt: str | None, progress: Progress
) -> Iterator[tuple[int, Post | RowError]]:
    if not path.exists():
        raise _UsageError(f"{path}: no such file")
    try:
        for line, value in iter_posts(path, mapping, format=fmt):  # type: ignore[arg-type]
            progress.update()
            yield line, value
    except SocialcareError as exc:
        raise _UsageError(f"{path}: {exc}") from None


def _report_bad_rows(errors: Sequence[RowError], stream: TextIO, *, kept: bool) -> None:
    if not errors:
        return
    fate = "kept in the output with their error" if kept else "left out of the figures"
    stream.write(f"{len(errors):,} bad row(s), {fate}:\n")
    for error in errors[:_SHOWN_ERRORS]:
        stream.write(f"  line {error.index}: {error.error}\n")
    if len(errors) > _SHOWN_ERRORS:
        stream.write(f"  ... and {len(errors) - _SHOWN_ERRORS:,} more\n")


# Writing ----------------------------------------------------------------------------------


class _Writer:
    """Writes dict rows as CSV or JSON Lines to a path or stdout."""

    def __init__(
        self, target: str | None, fmt: str | None, columns: Sequence[str], stdout: TextIO
    ) -> None:
        to_stdout = target in (None, "-")
        self.format = fmt or ("csv" if to_stdout else _format_of(str(target)))
        self.columns = list(columns)
        self._stdout = stdout
        self._handle: TextIO = (
            stdout if to_stdout else open(str(target), "w", encoding="utf-8", newline="")  # noqa: SIM115
        )
        self._csv: Any = None
        if self.format == "csv":
            self._csv = csv.DictWriter(self._handle, fieldnames=self.columns)
            self._csv.writeheader()

    def write(self, row: dict[str, Any]) -> None:
        if self._csv is not None:
            self._csv.writerow(row)
        else:
            self._handle.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")

    def close(self) -> None:
        self._handle.flush()
        if self._handle is not self._stdout:
            self._handle.close()


def _format_of(target: str) -> str:
    suffix = Path(target).suffix.lower()
    if suffix in {".jsonl", ".ndjson", ".json"}:
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    raise _UsageError(f"cannot tell the output format of {target!r}: use .csv or .jsonl")


def _decision_row(
    line: int, post_id: str | None, decision: Decision | None, error: str | None
) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(_DECISION_COLUMNS, "")
    row["line"], row["id"] = line, post_id or ""
    if decision is not None:
        row.update(
            route=decision.route,
            intent=decision.intent or "",
            confidence=f"{decision.confidence:.4f}",
            uncertain=decision.uncertain,
            priority=decision.priority,
            sensitive=decision.sensitive or "",
            sentiment=decision.sentiment,
            take_private=decision.take_private,
            reasons="; ".join(decision.reasons),
        )
    row["error"] = error or ""
    return row


# Commands ---------------------------------------------------------------------------------


def _triager() -> Triager:
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


def cmd_triage(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Decide a route for every post of an export, streaming; one output row per input row."""
    mapping = _mapping(args)
    progress = Progress(err, enabled=_progress_on(args, err), label="posts")
    triager = _triager()
    writer = _Writer(args.output, args.output_format, _DECISION_COLUMNS, out)
    bad: list[RowError] = []
    routes: Counter[str] = Counter()
    try:
        rows = _read(Path(args.file), mapping, args.format, progress)
        for chunk in _chunks(rows, args.chunk_size):
            posts = [value for _, value in chunk if isinstance(value, Post)]
            decisions = iter(triager.decide_many(posts, n_jobs=args.jobs))
            for line, value in chunk:
                if isinstance(value, RowError):
                    bad.append(value)
                    writer.write(_decision_row(line, value.id, None, str(value.error)))
                    continue
                decision = next(decisions)
                routes[decision.route] += 1
                writer.write(_decision_row(line, value.id, decision, decision.error))
    finally:
        writer.close()
        progress.close()
    total = sum(routes.values())
    summary = ", ".join(f"{route} {count:,}" for route, count in routes.most_common())
    err.write(f"triaged {total:,} post(s) in {progress.elapsed:.1f} s: {summary or 'none'}\n")
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
        return SLAPolicy.from_dict(text)
    except SocialcareError as exc:
        raise _UsageError(f"{path}: {exc}") from None


def _label(conversations: Sequence[Conversation], triager: Triager) -> list[Conversation]:
    """Triage each conversation by its first customer post and attach the labels."""
    firsts = [next(iter(c.customer_posts), c.posts[0]) for c in conversations]
    decisions = triager.decide_many(firsts)
    return [
        c.attach(
            intent=d.intent,
            route=d.route,
            sentiment=d.sentiment,
            priority=d.priority,
        )
        for c, d in zip(conversations, decisions, strict=True)
    ]


def _analyse(
    built: BuildResult, policy: SLAPolicy, now: datetime, by: Sequence[str], tz: str
) -> tuple[list[Conversation], Report, list[Any]]:
    from socialcare import metrics

    labelled = _label(built.conversations, _triager())
    evaluations = policy.evaluate_many(labelled, now)
    rep = metrics.report(labelled, by=by, policy=policy, now=now, tz=tz, period="week")
    return labelled, rep, evaluations


def cmd_report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Group an export into conversations, triage, run SLA clocks and report the metrics."""
    mapping = _mapping(args)
    progress = Progress(err, enabled=_progress_on(args, err), label="posts")
    bad: list[RowError] = []
    posts: list[Post] = []
    for _, value in _read(Path(args.file), mapping, args.format, progress):
        if isinstance(value, RowError):
            bad.append(value)
        else:
            posts.append(value)
    progress.close()
    built = build_conversations(posts, brand=args.brand or None)
    if not built.conversations:
        err.write("no conversations in the file\n")
        _report_bad_rows(bad, err, kept=False)
        return 1 if bad else 0
    policy = _load_policy(args.policy)
    now = _now(args.now, built)
    by = [part for part in (args.by or "").split(",") if part]
    _, rep, _ = _analyse(built, policy, now, by, args.tz)
    if args.output:
        writer = _Writer(args.output, args.output_format, _report_columns(rep), out)
        for row in _flat_rows(rep):
            writer.write(row)
        writer.close()
    else:
        out.write(_render_table(rep))
    err.write(
        f"{len(posts):,} post(s), {len(built):,} conversation(s), "
        f"{built.duplicates_dropped:,} duplicate(s) dropped, "
        f"{built.missing_parents:,} reply(ies) without their parent\n"
    )
    _report_bad_rows([*bad, *built.errors], err, kept=False)
    return 1 if bad or built.errors else 0


def _now(value: str | None, built: BuildResult) -> datetime:
    if value:
        from socialcare._time import parse_timestamp

        try:
            return parse_timestamp(value)
        except (SocialcareError, ValueError) as exc:
            raise _UsageError(f"--now: {exc}") from None
    # Replaying an export: "now" is just after its last post, so nothing is judged by today.
    last = max(c.posts[-1].created_at for c in built.conversations)
    return last + timedelta(seconds=1)


def _flat_rows(rep: Report) -> Iterator[dict[str, Any]]:
    for row in rep.to_dicts():
        flat: dict[str, Any] = {}
        _flatten("", row, flat)
        yield flat


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
    w("Triage (default model, first customer post of each conversation)\n")
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
    return 0


# Entry point ------------------------------------------------------------------------------


def _progress_on(args: argparse.Namespace, err: TextIO) -> bool:
    if args.progress is not None:
        return bool(args.progress)
    return bool(getattr(err, "isatty", lambda: False)())


def _add_reading(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="a CSV or JSON Lines export")
    parser.add_argument("--format", choices=("csv", "jsonl"), help="input format (from the name)")
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
    parser.add_argument("--platform", help="platform of every post, when the export lacks it")
    parser.add_argument(
        "--assume-tz",
        metavar="ZONE",
        help="IANA zone of naive timestamps (otherwise they are bad rows)",
    )
    parser.add_argument("-o", "--output", help="write results here (.csv or .jsonl); - is stdout")
    parser.add_argument("--output-format", choices=("csv", "jsonl"))
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
    triage.add_argument("--chunk-size", type=int, default=4096, help="posts decided at once")
    triage.add_argument("--jobs", type=int, default=None, help="cores for batch scoring")
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
    report.add_argument("--tz", default="UTC", help="zone of the weekly periods")
    report.set_defaults(run=cmd_report)
    return parser


def main(
    argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run the command line; returns the exit status."""
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "chunk_size", 1) < 1:
        parser.error("--chunk-size must be at least 1")
    try:
        status: int = args.run(args, out, err)
    except _UsageError as exc:
        err.write(f"socialcare: error: {exc}\n")
        return 2
    except SocialcareError as exc:
        err.write(f"socialcare: error: {exc}\n")
        return 2
    return status


def main_entry() -> None:
    """Console-script entry point: run `main` and exit with its status."""
    try:
        status = main()
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away (``socialcare demo | head``): not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = 0
    raise SystemExit(status)


if __name__ == "__main__":  # pragma: no cover
    main_entry()
