"""Tests for the socialcare command line: demo, triage and report, bad files included."""

from __future__ import annotations

import csv
import io
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from socialcare.cli import _guarded, main
from socialcare.exports import DECISION_COLUMNS, MAX_LINE_LENGTH

TWCS = (
    "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
    "1,115712,True,Tue Oct 31 22:10:47 +0000 2017,@sprintcare my phone is not working,2,\n"
    "2,sprintcare,False,Tue Oct 31 22:15:00 +0000 2017,@115712 please DM us,,1\n"
    "3,115713,True,Tue Oct 31 23:00:00 +0000 2017,@sprintcare love the new plan!,,\n"
    "4,115714,True,yesterday-ish,@sprintcare hello?,,\n"
)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def twcs(tmp_path: Path) -> Path:
    path = tmp_path / "twcs.csv"
    path.write_text(TWCS, encoding="utf-8")
    return path


def test_demo_runs_everything() -> None:
    status, out, _ = run("demo")
    assert status == 0
    assert "conversations" in out
    assert "routes:" in out
    assert "first response" in out
    assert "SLA first_response" in out
    assert "By platform" in out


def test_triage_writes_one_row_per_input_row(twcs: Path, tmp_path: Path) -> None:
    output = tmp_path / "decisions.csv"
    status, _, err = run("triage", str(twcs), "--preset", "twcs", "-o", str(output))
    assert status == 1  # one bad row
    rows = list(csv.DictReader(io.StringIO(output.read_text(encoding="utf-8"))))
    assert [row["line"] for row in rows] == ["2", "3", "4", "5"]
    assert rows[0]["route"] in {"auto", "agent", "specialist", "none"}
    assert rows[0]["intent"]
    assert rows[3]["error"]
    assert not rows[3]["route"]
    assert "line 5" in err
    assert "1 bad row" in err


def test_triage_jsonl_to_stdout(twcs: Path) -> None:
    status, out, _ = run(
        "triage", str(twcs), "--preset", "twcs", "--output-format", "jsonl", "--chunk-size", "2"
    )
    assert status == 1
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == 4
    assert {r["line"] for r in records} == {2, 3, 4, 5}


def test_report_table_and_file(twcs: Path, tmp_path: Path) -> None:
    status, out, err = run("report", str(twcs), "--preset", "twcs", "--by", "platform")
    assert status == 1
    assert "twitter" in out
    assert "FRT median" in out
    assert "2 conversation(s)" in err
    output = tmp_path / "report.jsonl"
    status, _, _ = run("report", str(twcs), "--preset", "twcs", "-o", str(output))
    assert status == 1
    rows = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert rows
    assert "conversations" in rows[0]


def test_report_with_policy_file(twcs: Path, tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(
        json.dumps(
            {"window": "always", "targets": [{"metric": "first_response", "duration": "1m"}]}
        ),
        encoding="utf-8",
    )
    status, out, _ = run("report", str(twcs), "--preset", "twcs", "--policy", str(policy))
    assert status == 1
    assert "0%" in out  # the 4-minute reply breached a 1-minute target
    bad = tmp_path / "bad.json"
    bad.write_text('{"targets": []}', encoding="utf-8")
    status, _, err = run("report", str(twcs), "--preset", "twcs", "--policy", str(bad))
    assert status == 2
    assert "error" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["triage", "missing.csv"], "no such file"),
        (["triage", "{file}", "--map", "oops"], "FIELD=VALUE"),
        (["triage", "{file}", "--map", "colour=c"], "unknown post field"),
        (["triage", "{file}", "-o", "out.xlsx"], "output format"),
        (["report", "{file}", "--preset", "twcs", "--now", "soon"], "--now"),
    ],
)
def test_bad_arguments_exit_2(
    twcs: Path, tmp_path: Path, argv: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    status, _, err = run(*(a.replace("{file}", str(twcs)) for a in argv))
    assert status == 2
    assert message in err


def test_not_a_known_format(tmp_path: Path) -> None:
    path = tmp_path / "posts.txt"
    path.write_text("hello", encoding="utf-8")
    status, _, err = run("triage", str(path))
    assert status == 2
    assert "format" in err


def test_clean_file_exits_0(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text(
        json.dumps(
            {
                "id": "1",
                "platform": "x",
                "author": {"id": "u"},
                "text": "where is my order?",
                "created_at": "2024-01-01T10:00:00Z",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    status, out, err = run("triage", str(path), "--progress")
    assert status == 0
    assert "1 posts" in err or "triaged 1" in err
    assert out.count("\n") == 2  # header + one row


# Hardening (issue #15) ---------------------------------------------------------------------

HEADER = "id,platform,author.id,created_at,text\n"


def post_line(i: int, text: str = "where is my order?") -> str:
    return f"{i},x,u{i},2024-01-01T10:00:00Z,{text}\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="")
    return path


def no_leftovers(directory: Path) -> bool:
    return not [p for p in directory.iterdir() if p.name.endswith(".part")]


def test_missing_input_leaves_the_output_untouched(tmp_path: Path) -> None:
    precious = write(tmp_path / "precious.csv", "precious\n")
    status, _, err = run("triage", str(tmp_path / "typo.csv"), "-o", str(precious))
    assert status == 2
    assert "no such file" in err
    assert precious.read_text(encoding="utf-8") == "precious\n"


@pytest.mark.parametrize("how", ["same", "relative", "symlink", "hardlink"])
def test_output_that_is_the_input_is_refused(
    tmp_path: Path, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    posts = write(tmp_path / "posts.csv", HEADER + post_line(1))
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    target = {
        "same": str(posts),
        "relative": "../sub/../posts.csv",
        "symlink": str(tmp_path / "link.csv"),
        "hardlink": str(tmp_path / "hard.csv"),
    }[how]
    if how == "symlink":
        (tmp_path / "link.csv").symlink_to(posts)
    if how == "hardlink":
        (tmp_path / "hard.csv").hardlink_to(posts)
    status, _, err = run("triage", "../posts.csv", "-o", target)
    assert status == 2
    assert "is the input file" in err
    assert posts.read_text(encoding="utf-8") == HEADER + post_line(1)


def test_output_through_a_symlink_replaces_its_target(tmp_path: Path) -> None:
    posts = write(tmp_path / "posts.csv", HEADER + post_line(1))
    real = write(tmp_path / "real.csv", "old\n")
    (tmp_path / "link.csv").symlink_to(real)
    status, _, _ = run("triage", str(posts), "-o", str(tmp_path / "link.csv"))
    assert status == 0
    assert (tmp_path / "link.csv").is_symlink()
    assert real.read_text(encoding="utf-8").startswith("line,id,route")


def test_an_encoding_error_mid_file_leaves_no_partial_output(tmp_path: Path) -> None:
    good = "".join(post_line(i) for i in range(3000))  # past the first decoded chunk
    path = tmp_path / "posts.csv"
    path.write_bytes((HEADER + good).encode() + "3000,x,u,0,caf\xe9\n".encode("latin-1"))
    output = write(tmp_path / "out.csv", "previous run\n")
    status, _, err = run("triage", str(path), "-o", str(output))
    assert status == 2
    assert "not UTF-8" in err
    assert "line 3,002 is not UTF-8" in err
    assert output.read_text(encoding="utf-8") == "previous run\n"
    assert no_leftovers(tmp_path)
    new = tmp_path / "new.csv"
    assert run("triage", str(path), "-o", str(new))[0] == 2
    assert not new.exists()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize(
    ("sig", "code", "word"), [("SIGINT", 130, "interrupted"), ("SIGTERM", 143, "terminated")]
)
def test_a_signal_stops_the_run_cleanly(tmp_path: Path, sig: str, code: int, word: str) -> None:
    path = write(tmp_path / "posts.csv", HEADER + "".join(post_line(i) for i in range(60_000)))
    output = write(tmp_path / "out.csv", "previous run\n")
    # A shell that starts a job in the background makes it ignore SIGINT, and Python then
    # keeps ignoring it: the child restores Python's own handler, as an interactive run has.
    child = (
        "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "from socialcare.cli import main_entry; main_entry()"
    )
    command = [sys.executable, "-c", child]
    args = ["triage", str(path), "-o", str(output), "--progress", "--chunk-size", "64"]
    with subprocess.Popen(
        [*command, *args], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL
    ) as process:
        assert process.stderr is not None
        # The progress line is redrawn every half second; the second draw comes from inside
        # the loop that writes rows, so the temporary output file exists by then.
        seen = b""
        while seen.count(b"\r") < 2:
            byte = process.stderr.read(1)
            if not byte:
                pytest.fail(f"the run ended before it could be stopped: {seen!r}")
            seen += byte
        assert not no_leftovers(tmp_path)  # the temporary file, being written
        process.send_signal(getattr(signal, sig))
        err = (seen + process.stderr.read()).decode()
        status = process.wait(timeout=60)
    assert status == code, err
    assert word in err
    assert "Traceback" not in err
    assert output.read_text(encoding="utf-8") == "previous run\n"
    assert no_leftovers(tmp_path)


def test_csv_without_a_header_is_refused_not_short_a_row(tmp_path: Path) -> None:
    path = write(tmp_path / "posts.csv", post_line(1) + post_line(2))
    status, out, err = run("triage", str(path))
    assert status == 2
    assert "header" in err
    assert "'1'" in err  # shows what it read as the header
    assert out == ""  # nothing written before the error


def test_tsv_is_split_on_tabs(tmp_path: Path) -> None:
    text = "id\tplatform\tauthor.id\tcreated_at\ttext\n1\tx\tu\t2024-01-01T10:00:00Z\thi, a, b\n"
    path = write(tmp_path / "posts.tsv", text)
    status, out, err = run("triage", str(path), "--output-format", "jsonl")
    assert status == 0, err
    (record,) = [json.loads(line) for line in out.splitlines()]
    assert record["id"] == "1"
    assert not record["error"]


@pytest.mark.parametrize("flag", [[], ["--delimiter", ";"]])
def test_semicolon_csv(tmp_path: Path, flag: list[str]) -> None:
    text = HEADER.replace(",", ";") + post_line(1).replace(",", ";")
    path = write(tmp_path / "posts.csv", text)
    status, out, err = run("triage", str(path), *flag)
    assert status == 0, err
    assert len(list(csv.DictReader(io.StringIO(out)))) == 1


def test_bad_delimiter_option() -> None:
    status, _, err = run("triage", "posts.csv", "--delimiter", "ab")
    assert status == 2
    assert "--delimiter" in err


def test_bare_carriage_return_inside_a_cell_stays_in_its_record(tmp_path: Path) -> None:
    path = write(tmp_path / "posts.csv", HEADER + post_line(1, "hello\rthere") + post_line(2))
    status, out, err = run("triage", str(path))
    assert status == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["line"], r["id"], r["error"]) for r in rows] == [("2", "1", ""), ("3", "2", "")]


def test_map_to_a_column_the_file_lacks_is_one_clear_error(tmp_path: Path) -> None:
    path = write(tmp_path / "posts.csv", HEADER + "".join(post_line(i) for i in range(50)))
    status, out, err = run("triage", str(path), "--map", "text=message")
    assert status == 2
    assert "--map text=message" in err
    assert err.count("'message'") == 1
    assert out == ""


def test_missing_required_column_is_one_message(tmp_path: Path) -> None:
    text = "id,platform,author.id,text\n" + "".join(f"{i},x,u,hi\n" for i in range(50))
    path = write(tmp_path / "posts.csv", text)
    status, out, err = run("triage", str(path))
    assert status == 2
    assert err.count("\n") == 1
    assert "'created_at' for created_at" in err
    assert out == ""


def test_report_without_brand_posts_says_so(tmp_path: Path) -> None:
    rows = [
        {"id": "1", "platform": "x", "author": {"id": "ana"}, "text": "help",
         "created_at": "2024-01-01T10:00:00Z"},
        {"id": "2", "platform": "x", "author": {"id": "acme"}, "text": "DM us",
         "created_at": "2024-01-01T10:05:00Z", "in_reply_to": "1"},
    ]  # fmt: skip
    path = write(tmp_path / "posts.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    status, _, err = run("report", str(path))
    assert status == 0
    assert "no post was found from the brand" in err
    assert "--brand" in err
    status, _, err = run("report", str(path), "--brand", "acme")
    assert status == 0
    assert "no post was found from the brand" not in err


def jsonl_post(**fields: object) -> str:
    record: dict[str, object] = {
        "id": "1",
        "platform": "x",
        "author": {"id": "u"},
        "text": "hi",
        "created_at": "2024-01-01T10:00:00Z",
    }
    record.update(fields)
    return json.dumps(record) + "\n"


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_lone_surrogate_id_does_not_sink_the_run(tmp_path: Path, fmt: str) -> None:
    text = jsonl_post(id="\ud800") + jsonl_post(id="2")
    assert "\\ud800" in text  # json.dumps escapes it; reading it back makes a lone surrogate
    path = write(tmp_path / "posts.jsonl", text)
    output = tmp_path / f"out.{fmt}"
    status, _, err = run("triage", str(path), "-o", str(output))
    assert status == 1, err
    written = output.read_text(encoding="utf-8")
    assert "\\ud800" in written
    assert len(written.strip().splitlines()) == (3 if fmt == "csv" else 2)


def test_huge_csv_cell_is_a_bad_row(tmp_path: Path) -> None:
    path = write(tmp_path / "posts.csv", HEADER + post_line(1, "a" * 140_000) + post_line(2))
    status, out, err = run("triage", str(path))
    assert status == 1
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["line"] for r in rows] == ["2", "3"]
    assert "131,072" in rows[0]["error"]
    assert not rows[1]["error"]
    assert "line 2" in err


def test_deeply_nested_json_is_a_bad_row(tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000 + "\n"
    deep_metadata = jsonl_post(id="3", metadata={"a": 1}).replace(
        '{"a": 1}', '{"a": ' + "[" * 500 + "]" * 500 + "}"
    )
    path = write(tmp_path / "posts.jsonl", deep + jsonl_post(id="2") + deep_metadata)
    status, out, err = run("triage", str(path))
    assert status == 1, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["line"], bool(r["error"])) for r in rows] == [("1", True), ("2", False), ("3", True)]
    assert "nested too deeply" in rows[0]["error"]
    assert "nested more than" in rows[2]["error"]


def test_a_line_without_end_is_bounded(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_bytes(b"x" * (MAX_LINE_LENGTH + 10))
    output = tmp_path / "out.csv"
    status, _, err = run("triage", str(path), "-o", str(output))
    assert status == 2
    assert f"longer than {MAX_LINE_LENGTH:,} bytes" in err
    assert not output.exists()


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_dev_zero_is_refused_after_a_bounded_read() -> None:
    status, _, err = run("triage", "/dev/zero", "--format", "csv")
    assert status == 2
    assert "longer than" in err


FORMULAS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", " =1+1"]


def test_formula_guard(tmp_path: Path) -> None:
    path = write(tmp_path / "posts.jsonl", "".join(jsonl_post(id=value) for value in FORMULAS))
    status, out, _ = run("triage", str(path))
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["id"] for r in rows] == ["'" + value.strip() for value in FORMULAS]
    assert [r["line"] for r in rows] == ["1", "2", "3", "4", "5"]  # numbers are left alone
    status, out, _ = run("triage", str(path), "--no-formula-guard")
    assert [r["id"] for r in csv.DictReader(io.StringIO(out))] == [v.strip() for v in FORMULAS]
    status, out, _ = run("triage", str(path), "--output-format", "jsonl")
    assert [json.loads(line)["id"] for line in out.splitlines()] == [v.strip() for v in FORMULAS]


@pytest.mark.parametrize(
    ("value", "written"),
    [("\tx", "'\tx"), ("\rx", "'\rx"), ("a=b", "a=b"), (-5, -5), (1.5, 1.5), ("", "")],
)
def test_formula_guard_rule(value: object, written: object) -> None:
    assert _guarded(value) == written


@pytest.mark.parametrize("where", ["missing-dir/out.csv", "dir.csv", "dir.csv/", "out.xlsx"])
def test_unusable_output_path_is_exit_2(tmp_path: Path, where: str) -> None:
    posts = write(tmp_path / "posts.csv", HEADER + post_line(1))
    (tmp_path / "dir.csv").mkdir()
    status, _, err = run("triage", str(posts), "-o", str(tmp_path / where))
    assert status == 2
    assert err.startswith("socialcare: error: -o ")
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["triage", "{file}", "--assume-tz", "Mars/Olympus"], "--assume-tz"),
        (["triage", "{file}", "--platform", "not a platform!"], "--platform"),
        (["report", "{file}", "--tz", "Nowhere/Town"], "--tz"),
        (["triage", "{file}", "--chunk-size", "0"], "--chunk-size"),
    ],
)
def test_invalid_flags_fail_at_parsing(tmp_path: Path, argv: list[str], flag: str) -> None:
    # The file's rows are aware and have a platform: the flag is refused although unused.
    posts = write(tmp_path / "posts.csv", HEADER + post_line(1))
    status, out, err = run(*(a.replace("{file}", str(posts)) for a in argv))
    assert status == 2
    assert f"argument {flag}" in err
    assert out == ""


def test_messages_speak_flags_not_python(tmp_path: Path) -> None:
    naive = write(tmp_path / "posts.csv", HEADER + "1,x,u,2024-01-01 10:00,hi\n")
    status, out, err = run("triage", str(naive))
    assert status == 1
    assert "--assume-tz Europe/Paris" in err
    assert "--assume-tz Europe/Paris" in out  # the error column too
    assert "assume_tz=" not in err + out
    unknown = write(tmp_path / "posts.txt", HEADER)
    status, _, err = run("triage", str(unknown))
    assert status == 2
    assert "--format csv" in err
    assert "format=" not in err


def test_no_doubled_prefixes(tmp_path: Path) -> None:
    path = write(tmp_path / "posts.jsonl", jsonl_post() + "{bad json\n[1, 2]\n")
    status, out, err = run("triage", str(path))
    assert status == 1
    assert "  line 2: invalid JSON" in err
    assert "  line 3: expected a JSON object" in err
    assert "line 2: line 2" not in err
    errors = [row["error"] for row in csv.DictReader(io.StringIO(out))]
    assert errors[1].startswith("invalid JSON (")  # the line is in its own column


def test_nothing_written_before_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_bytes(b"id,platform,author.id,created_at\n1,x,caf\xe9,0\n")
    status, out, err = run("triage", str(path))
    assert status == 2
    assert out == ""
    assert "line 2 is not UTF-8" in err


def test_empty_file_is_exit_2(tmp_path: Path) -> None:
    for name in ("empty.csv", "empty.jsonl"):
        status, out, err = run("triage", str(write(tmp_path / name, "")))
        assert status == 2
        assert "empty" in err
        assert out == ""


@pytest.mark.parametrize(("name", "text"), [("posts.csv", HEADER), ("posts.jsonl", "\n\n")])
def test_file_without_records_warns(tmp_path: Path, name: str, text: str) -> None:
    status, out, err = run("triage", str(write(tmp_path / name, text)))
    assert status == 0
    assert "holds no posts" in err
    assert out.splitlines() == [",".join(("line", "id", *DECISION_COLUMNS))]


def test_report_file_durations_are_seconds(twcs: Path, tmp_path: Path) -> None:
    output = tmp_path / "report.csv"
    status, _, _ = run("report", str(twcs), "--preset", "twcs", "-o", str(output))
    assert status == 1
    (row,) = list(csv.DictReader(io.StringIO(output.read_text(encoding="utf-8"))))
    assert "first_response_time_median" not in row
    assert float(row["first_response_time_median_seconds"]) == 253.0  # 22:10:47 -> 22:15:00
    assert not any(":" in value for value in row.values())  # no "0:04:13"-style durations
    jsonl = tmp_path / "report.jsonl"
    run("report", str(twcs), "--preset", "twcs", "-o", str(jsonl))
    record = json.loads(jsonl.read_text(encoding="utf-8"))
    assert record["first_response_time_median_seconds"] == 253.0


def test_bad_rows_name_their_file_line(tmp_path: Path) -> None:
    # Four rows, the fourth bad: it is on line 5 of the file (the header is line 1), and a
    # record spanning two lines is named by the line it starts on.
    text = HEADER + post_line(1) + post_line(2, '"two\nlines"') + post_line(3) + "4,x,u,soon,hi\n"
    status, out, err = run("triage", str(write(tmp_path / "posts.csv", text)))
    assert status == 1
    assert [r["line"] for r in csv.DictReader(io.StringIO(out))] == ["2", "3", "5", "6"]
    assert "  line 6 (id '4'): " in err


def test_report_names_the_file_line_of_a_conflicting_duplicate(tmp_path: Path) -> None:
    text = jsonl_post(id="1") + "\n" + jsonl_post(id="2") + jsonl_post(id="1", text="changed")
    status, _, err = run("report", str(write(tmp_path / "posts.jsonl", text)))
    assert status == 1
    assert "  line 4 (id '1'): post id '1' on twitter was seen before" in err


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="needs /dev/null")
def test_output_to_a_device_is_written_in_place(tmp_path: Path) -> None:
    posts = write(tmp_path / "posts.csv", HEADER + post_line(1))
    status, _, err = run("triage", str(posts), "-o", "/dev/null")
    assert status == 0, err
    assert Path("/dev/null").is_char_device()


def test_a_write_error_mid_run_is_exit_2_and_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from socialcare import cli

    posts = write(tmp_path / "posts.csv", HEADER + "".join(post_line(i) for i in range(10)))
    output = write(tmp_path / "out.csv", "previous run\n")
    written = 0
    real_write = cli._Writer.write

    def write_then_fail(self: cli._Writer, row: dict[str, object]) -> None:
        nonlocal written
        written += 1
        if written > 5:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(self, row)

    monkeypatch.setattr(cli._Writer, "write", write_then_fail)
    status, _, err = run("triage", str(posts), "-o", str(output))
    assert status == 2
    assert err == "socialcare: error: No space left on device\n"
    assert output.read_text(encoding="utf-8") == "previous run\n"
    assert no_leftovers(tmp_path)


def test_jsonl_map_to_a_key_the_records_lack_warns(tmp_path: Path) -> None:
    path = write(tmp_path / "posts.jsonl", jsonl_post(id="1") + jsonl_post(id="2"))
    status, _, err = run("triage", str(path), "--map", "text=message")
    assert status == 0
    assert err.count("warning:") == 1
    assert "no key 'message' (named by --map text=message)" in err
    status, _, err = run("triage", str(path), "--map", "text=text")
    assert "warning" not in err


def test_triage_brand_posts_get_no_triage(tmp_path: Path) -> None:
    """Brand replies: route none, no priority, no sensitivity flag (issue #15)."""
    text = (
        HEADER
        + "1,x,ana,2024-01-01T10:00:00Z,my lawyer will sue you\n"
        + "2,x,AcmeHelp,2024-01-01T10:05:00Z,our lawyer says sorry: DM us your order\n"
    )
    posts = write(tmp_path / "posts.csv", text)
    out = tmp_path / "out.csv"
    status, _, err = run("triage", str(posts), "-o", str(out), "--brand", "@acmehelp")
    assert status == 0, err
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert (rows[0]["route"], rows[0]["sensitive"]) == ("specialist", "legal_threat")
    assert (rows[1]["route"], rows[1]["priority"], rows[1]["sensitive"]) == ("none", "", "")
    assert "brand" in rows[1]["reasons"]


def test_policy_naming_a_label_triage_never_produces_is_refused(twcs: Path, tmp_path: Path) -> None:
    """`intent: question` would silently match nothing: the default triage says `query`."""
    policy = tmp_path / "policy.json"
    target = {"metric": "first_response", "duration": "1h", "when": {"intent": "question"}}
    policy.write_text(json.dumps({"targets": [target]}), encoding="utf-8")
    status, _, err = run("report", str(twcs), "--preset", "twcs", "--policy", str(policy))
    assert status == 2
    assert "question" in err
    assert "query" in err  # the known labels are listed
