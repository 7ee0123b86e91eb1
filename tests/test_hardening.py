"""Regression tests of issue 13 (hardening): every defect class of the command line, the profile
reader, the outputs and the query parameters. Each test asserts the actual answer or the actual
one-line message, and that nothing is written where nothing should be."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rnetkg import cli, outputs
from rnetkg.errors import MAX_LINE, UsageError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "profile-15mm-g1.json"
COHORT = ROOT / "examples" / "cohort.csv"
VALID = {"size_mm": 15, "margin": "not_resected"}


def run(capsys, *argv, stdin: bytes | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code, out, err, *fragments):
    """The error contract: exit 2, nothing on stdout, one line of at most 300 characters on stderr
    with no control character, no traceback, naming what is wrong."""
    assert code == 2, err
    assert out == ""
    lines = err.rstrip("\n").split("\n")
    assert len(lines) == 1, err
    line = lines[0]
    assert len(line) <= MAX_LINE and "Traceback" not in line
    assert not any(ord(c) < 32 or 0x7f <= ord(c) < 0xa0 for c in line), repr(line)
    for f in fragments:
        assert f in line, line
    return line


def write(tmp_path, name, data: bytes | str | dict) -> Path:
    p = tmp_path / name
    if isinstance(data, dict):
        data = json.dumps(data)
    p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return p


# ---------------------------------------------------------------- profile JSON

def test_issue13_profile_with_a_utf8_bom_is_read(capsys, tmp_path):
    p = write(tmp_path, "bom.json", b"\xef\xbb\xbf" + json.dumps(VALID).encode())
    code, out, err = run(capsys, "compare", p, "--format", "json")
    plain = write(tmp_path, "bom2.json", VALID)
    assert cli.main(["compare", str(plain), "--format", "json"]) == 0
    expected = json.loads(capsys.readouterr().out)
    assert code == 0 and err == ""
    answer = json.loads(out)
    assert answer["profile"] == "bom" and answer["guidelines"] == expected["guidelines"]


def test_issue13_dash_reads_standard_input(capsys, monkeypatch):
    code, out, _ = run(capsys, "compare", "-", "--format", "csv", stdin=EXAMPLE.read_bytes(), monkeypatch=monkeypatch)
    direct = cli.main(["compare", str(EXAMPLE), "--format", "csv"])
    expected = capsys.readouterr().out
    assert code == direct == 0
    # the same answer; the id is the profile's own (it has one)
    assert out == expected
    code, out, _ = run(capsys, "compare", "-", "--format", "csv", stdin=json.dumps(VALID).encode(),
                       monkeypatch=monkeypatch)
    assert code == 0 and out.splitlines()[1].startswith("stdin,")


def test_issue13_fhir_export_reads_standard_input(capsys, monkeypatch):
    code, out, _ = run(capsys, "fhir", "export", "-", stdin=json.dumps(VALID).encode(), monkeypatch=monkeypatch)
    assert code == 0 and json.loads(out)["resourceType"] == "Bundle"


HOSTILE_PROFILES = {
    "nested 100,000 deep": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "nested 100,000 deep in a field": ('{"size_mm": ' + "[" * 100_000 + "]" * 100_000 + ', "margin": "negative"}',
                                       "nested too deeply"),
    "nested 65 deep": ('{"size_mm": ' + "[" * 65 + "]" * 65 + ', "margin": "negative"}', "nested too deeply"),
    "integer beyond a double": ('{"size_mm": 1' + "0" * 400 + ', "margin": "negative"}',
                                "size_mm: must be > 0, got a number beyond the range of a double"),
    "negative integer beyond a double": ('{"size_mm": -1' + "0" * 400 + ', "margin": "negative"}',
                                         "size_mm: must be > 0, got a number beyond the range of a double"),
    "integer of 5,000 digits": ('{"size_mm": 1' + "0" * 5000 + ', "margin": "negative"}',
                                "size_mm: must be > 0, got a number beyond the range of a double"),
    "integer of 5,000 digits as ki67": ('{"size_mm": 5, "ki67_percent": 1' + "0" * 5000 + ', "margin": "negative"}',
                                        "ki67_percent: must be 0-100"),
    "integer of 5,000 digits as id": ('{"id": 1' + "0" * 5000 + ', "size_mm": 5, "margin": "negative"}',
                                      "id: must be a string"),
    "float beyond a double": ('{"size_mm": 1e999, "margin": "negative"}', "beyond the range of a double"),
    "NaN": ('{"size_mm": NaN, "margin": "negative"}', "NaN is not a JSON number"),
    "Infinity": ('{"size_mm": -Infinity, "margin": "negative"}', "-Infinity is not a JSON number"),
    "lone surrogate in the id": ('{"id": "a\\ud800b", "size_mm": 5, "margin": "negative"}',
                                 "id: must be Unicode text; it holds a lone surrogate \\ud800 at character 2"),
    "lone low surrogate in the id": ('{"id": "\\udfff", "size_mm": 5, "margin": "negative"}', "lone surrogate"),
    "not UTF-8": (b'{"id": "\xff", "size_mm": 5, "margin": "negative"}', "is not UTF-8 text (byte 9)"),
    "UTF-16": ('{"size_mm": 5, "margin": "negative"}'.encode("utf-16"), "is not UTF-8 text"),
    "50 MB value": ('{"size_mm": "' + "9" * 50_000_000 + '", "margin": "negative"}', "size_mm: must be a number"),
    "escape sequences": ('{"size_mm": 5, "margin": "\\u001b[31mred\\u001b[0m"}', "margin: must be one of"),
    "empty file": ("", "is not valid JSON"),
}


@pytest.mark.parametrize("name", list(HOSTILE_PROFILES))
def test_issue13_hostile_profile_is_one_line_exit_2(capsys, tmp_path, name):
    data, message = HOSTILE_PROFILES[name]
    p = write(tmp_path, "p.json", data)
    line = one_line_error(*run(capsys, "compare", p), message)
    assert line.startswith("rnetkg: compare: ")


def test_issue13_escapes_and_long_values_are_shortened(capsys, tmp_path):
    p = write(tmp_path, "p.json", {"size_mm": 5, "margin": "\x1b[2J" + "x" * 1_000_000})
    line = one_line_error(*run(capsys, "compare", p), "margin: must be one of")
    assert "\\x1b[2J" in line and "xxx..." in line


def test_issue13_integers_a_double_holds_are_accepted(capsys, tmp_path):
    p = write(tmp_path, "p.json", '{"size_mm": 1' + "0" * 20 + ', "margin": "negative"}')
    code, out, err = run(capsys, "compare", p, "--format", "json")
    from rnetkg.compare import compare
    from rnetkg.engine import StoreEngine
    from rnetkg.profile import parse_profile

    expected = compare(parse_profile({"id": "p", "size_mm": 1e20, "margin": "negative"}), StoreEngine())
    assert code == 0 and err == "" and json.loads(out) == json.loads(json.dumps(expected))


# ---------------------------------------------------------------- plausibility

def test_issue13_size_under_1mm_warns_of_centimetres_and_keeps_the_answer(capsys, tmp_path):
    p = write(tmp_path, "cm.json", {"id": "cm", "size_mm": 0.8, "margin": "not_resected"})
    code, out, err = run(capsys, "compare", p, "--format", "json")
    assert code == 0
    (warning,) = err.splitlines()
    assert warning.startswith("rnetkg: warning: size_mm 0.8 mm:") and "centimetres" in warning
    from rnetkg.compare import compare
    from rnetkg.engine import StoreEngine
    from rnetkg.profile import parse_profile

    expected = compare(parse_profile({"id": "cm", "size_mm": 0.8, "margin": "not_resected"}), StoreEngine())
    assert json.loads(out) == json.loads(json.dumps(expected))


def test_issue13_plausible_size_has_no_warning(capsys, tmp_path):
    p = write(tmp_path, "mm.json", {"size_mm": 1, "margin": "not_resected"})
    code, _, err = run(capsys, "compare", p, "--format", "csv")
    assert code == 0 and err == ""


# ---------------------------------------------------------------- --out

def _cohort_argv(out, cohort=COHORT):
    return ["compare", "--cohort", str(cohort), "--out", str(out), "--quiet"]


def test_issue13_out_is_never_the_input(capsys, tmp_path):
    cohort = tmp_path / "c.csv"
    cohort.write_bytes(COHORT.read_bytes())
    before = cohort.read_bytes()
    one_line_error(*run(capsys, "compare", "--cohort", cohort, "--out", cohort), "is also an input")
    link = tmp_path / "hard.csv"
    os.link(cohort, link)
    one_line_error(*run(capsys, "compare", "--cohort", cohort, "--out", link), "is also an input")
    one_line_error(*run(capsys, "compare", "--cohort", cohort, "--out", tmp_path / "." / "c.csv"), "is also an input")
    assert cohort.read_bytes() == before


def test_issue13_out_must_be_a_regular_file(capsys, tmp_path):
    target = tmp_path / "target.csv"
    target.write_text("keep\n")
    (tmp_path / "link.csv").symlink_to(target)
    one_line_error(*run(capsys, *_cohort_argv(tmp_path / "link.csv")), "is a symbolic link")
    one_line_error(*run(capsys, *_cohort_argv(tmp_path)), "is a folder")
    one_line_error(*run(capsys, *_cohort_argv("/dev/null")), "is not a regular file")
    one_line_error(*run(capsys, *_cohort_argv(tmp_path / "no" / "such" / "a.csv")), "does not exist")
    assert target.read_text() == "keep\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.csv", "target.csv"]


def test_issue13_unwritable_places_are_one_line(capsys, tmp_path):
    cohort = write(tmp_path, "good.csv", "id,size_mm,margin\na,5,negative\n")
    one_line_error(*run(capsys, *_cohort_argv("/proc/answers.csv", cohort)), "--out /proc/answers.csv: cannot write")
    one_line_error(*run(capsys, "map", "--out", "/proc/map.png"), "--out /proc/map.png: cannot write")
    one_line_error(*run(capsys, *_cohort_argv(tmp_path / ("x" * 300 + ".csv"), cohort)), "File name too long")


# capabilities(7): what lets root read and write past a file's permission bits
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, PR_CAPBSET_DROP = 1, 2, 24


def _as_the_owner_only() -> None:
    """In the child, before exec: for root, drop the capabilities that bypass permission bits from the
    bounding set, so the program runs with root's uid but under the bits like any owner (a folder of
    mode 0500 is not writable). Nothing to drop for another user."""
    if os.geteuid() != 0:
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), f"prctl(PR_CAPBSET_DROP, {cap})")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="capabilities are Linux's")
def test_issue21_a_folder_without_write_permission_is_one_line_also_as_root(tmp_path):
    """Issue 13's unwritable folder, which was skipped under root (CI runs as root): the command runs
    as a new process that keeps root's uid but not the capabilities that bypass permission bits, so the
    folder of mode 0500 refuses it as it refuses any other user."""
    cohort = write(tmp_path, "good.csv", "id,size_mm,margin\na,5,negative\n")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        out = subprocess.run([sys.executable, "-m", "rnetkg", *_cohort_argv(ro / "a.csv", cohort)],
                             capture_output=True, text=True, timeout=120, preexec_fn=_as_the_owner_only)
        one_line_error(out.returncode, out.stdout, out.stderr, f"--out {ro / 'a.csv'}: folder {str(ro)!r} is not writable")
        assert list(ro.iterdir()) == []
    finally:
        ro.chmod(0o700)


def test_issue13_os_refusal_while_writing_is_one_line(tmp_path, monkeypatch):
    """A write the operating system refuses half-way (no space left) is a UsageError and leaves
    neither OUT nor a temporary file."""
    def chunks():
        yield "header\n"
        raise OSError(28, "No space left on device")
    with pytest.raises(UsageError, match="--out .*: cannot write: no space left on the device"):
        outputs.write_atomic(tmp_path / "a.csv", chunks())
    assert list(tmp_path.iterdir()) == []


def test_issue13_map_out_and_data(capsys, tmp_path):
    one_line_error(*run(capsys, "map", "--out", tmp_path / "m.png", "--data", tmp_path / "m.png"),
                   "name the same file")
    (tmp_path / "d.png").mkdir()
    one_line_error(*run(capsys, "map", "--out", tmp_path / "d.png"), "is a folder")
    one_line_error(*run(capsys, "map", "--out", tmp_path / "new" / "m.png"), "does not exist")
    assert not (tmp_path / "new").exists() and sorted(p.name for p in tmp_path.iterdir()) == ["d.png"]


def test_issue13_fhir_export_out_is_never_the_input(capsys, tmp_path):
    p = write(tmp_path, "p.json", VALID)
    one_line_error(*run(capsys, "fhir", "export", p, "--out", p), "is also an input")
    assert json.loads(p.read_text()) == VALID


def test_issue13_stale_temporary_of_a_killed_writer_is_removed(tmp_path):
    """SIGKILL cannot be caught: the next write of the same OUT removes what the dead writer left,
    and keeps the temporary file of a writer that still runs."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    stale = tmp_path / f".a.csv.{dead_pid}.tmp"
    stale.write_text("half")
    live = tmp_path / f".a.csv.{os.getppid()}.tmp"
    live.write_text("in progress")
    outputs.write_atomic(tmp_path / "a.csv", ["x\n"])
    assert (tmp_path / "a.csv").read_text() == "x\n"
    assert not stale.exists() and live.exists()


SIGTERM_SCRIPT = r"""
import sys
from rnetkg.cli import main
sys.exit(main(["compare", "--cohort", sys.argv[1], "--out", sys.argv[2], "--quiet"]))
"""


@pytest.mark.slow
def test_issue13_sigterm_during_a_cohort_write_leaves_no_temporary_file(tmp_path):
    cohort, out = tmp_path / "big.csv", tmp_path / "answers.csv"
    assert cli.main(["cohort", "generate", "--n", "400000", "--seed", "3", "--out", str(cohort)]) == 0
    out.write_text("earlier answers\n")
    proc = subprocess.Popen([sys.executable, "-c", SIGTERM_SCRIPT, str(cohort), str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    tmp = tmp_path / f".answers.csv.{proc.pid}.tmp"
    deadline = time.monotonic() + 120
    while not tmp.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    assert tmp.exists(), "the write never started (or finished before it could be interrupted)"
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGTERM
    assert not tmp.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.csv", "big.csv"]
    assert out.read_text() == "earlier answers\n"   # the old OUT untouched, never half-written


# ---------------------------------------------------------------- cohorts

def test_issue13_cohort_with_every_row_rejected_exits_2_with_a_header_only(capsys, tmp_path):
    cohort = write(tmp_path, "bad.csv", "id,size_mm,margin\na,-1,negative\nb,5,clear\n")
    out = tmp_path / "answers.csv"
    out.write_text("answers of an earlier run\n")
    code, stdout, err = run(capsys, "compare", "--cohort", cohort, "--out", out, "--quiet")
    assert code == 2
    lines = err.splitlines()
    assert lines[0] == "line 2: size_mm: must be > 0, got -1"
    assert lines[1].startswith("line 3: margin: must be one of")
    assert lines[2].startswith("rnetkg: compare: every profile of") and "header only" in lines[2]
    assert out.read_text().splitlines() == [out.read_text().splitlines()[0]]
    assert out.read_text().startswith("id,ENETS-2023.status,")
    assert "2 rejected" in stdout


def test_issue13_cohort_with_some_rows_rejected_exits_0(capsys, tmp_path):
    cohort = write(tmp_path, "some.csv", "id,size_mm,margin\na,-1,negative\nb,5,negative\n")
    code, _, err = run(capsys, "compare", "--cohort", cohort, "--out", tmp_path / "o.csv", "--quiet")
    assert code == 0 and err.splitlines() == ["line 2: size_mm: must be > 0, got -1"]
    assert [r.split(",")[0] for r in (tmp_path / "o.csv").read_text().splitlines()[1:]] == ["b"]


def test_issue13_rejected_row_lines_are_escaped_and_short(capsys, tmp_path):
    cohort = write(tmp_path, "esc.jsonl", json.dumps({"size_mm": 5, "margin": "\x1b]0;pwned\x07" + "m" * 10_000})
                   + "\n" + json.dumps({"size_mm": 5, "margin": "negative"}) + "\n")
    code, _, err = run(capsys, "compare", "--cohort", cohort, "--out", tmp_path / "o.csv", "--quiet")
    assert code == 0
    (line,) = err.splitlines()
    assert line.startswith("line 1: margin: must be one of") and "\\x1b]0;pwned\\x07" in line
    assert len(line) <= MAX_LINE


HOSTILE_JSONL_LINES = {
    "integer of 5,000 digits": '{"size_mm": 1' + "0" * 5000 + ', "margin": "negative"}',
    "nested 100,000 deep": "[" * 100_000 + "]" * 100_000,
}


@pytest.mark.parametrize("engine", ["fast", "sparql"])
@pytest.mark.parametrize("name", list(HOSTILE_JSONL_LINES))
def test_issue13_hostile_jsonl_line_is_one_rejected_row(capsys, tmp_path, name, engine):
    cohort = write(tmp_path, "h.jsonl", HOSTILE_JSONL_LINES[name] + "\n" + json.dumps(VALID) + "\n")
    code, _, err = run(capsys, "compare", "--cohort", cohort, "--out", tmp_path / "o.csv", "--quiet",
                       "--cohort-engine", engine)
    assert code == 0
    (line,) = err.splitlines()
    assert line.startswith("line 1: ") and len(line) <= MAX_LINE


# ---------------------------------------------------------------- query parameters

@pytest.mark.parametrize("argv,message", [
    (["silent-guidelines-for-size", "--param", "minSize=abc"], "--param minSize 'abc': must be a number (mm)"),
    (["silent-guidelines-for-size", "--param", "maxSize=1e999"], "--param maxSize '1e999': must be a number"),
    (["silent-guidelines-for-size", "--param", "minSize=<https://x>"], "must be a number"),
    (["silent-guidelines-for-size", "--param", "decisionPoint=initial"],
     "--param decisionPoint 'initial': must be one of initial_management, after_local_resection, metastatic_disease"),
    (["studies-for-risk-factor", "--param", "factor=rnet:Ki67Indx"],
     "--param factor <https://w3id.org/rnetkg/ontology#Ki67Indx>: names nothing in the graph; closest: rnet:Ki67Index"),
    (["studies-for-risk-factor", "--param", "factor=Ki67Index"], "--param factor 'Ki67Index': must be an IRI"),
    (["recommendation-source", "--param", "rec=<https://w3id.org/rnetkg/kg/nccn-2025/rec-t9>"],
     "names nothing in the graph; closest: kg:nccn-2025/rec-t1"),
    (["procedure-evidence", "--param", "procedure=<not an iri>"], "is not a valid RDF term"),
    (["recommendations-by-guideline", "--param", "guideline=NCCN-2099"],
     "--param guideline 'NCCN-2099': must be one of ENETS-2023, NCCN-2025,"),
    (["procedures-by-modality", "--param", "modality=radical"], "closest: radical_surgery"),
    (["criteria", "--param", "guideline=\x1b[31m" + "x" * 5000], "\\x1b[31m"),
])
def test_issue13_query_parameters_are_checked(capsys, argv, message):
    one_line_error(*run(capsys, "query", *argv), message)


@pytest.mark.parametrize("argv,rows", [
    (["silent-guidelines-for-size", "--param", "minSize=25", "--param", "maxSize=4e1"], "one per guideline"),
    (["studies-for-risk-factor", "--param", "factor=rnet:Ki67Index"], None),
    (["recommendations-by-guideline", "--param", "guideline=PNNT-2022"], 3),
])
def test_issue13_valid_parameters_still_answer(capsys, argv, rows, store_engine):
    code, out, err = run(capsys, "query", *argv, "--format", "json")
    assert code == 0 and err == ""
    got = json.loads(out)
    if rows == "one per guideline":  # issue 21: the guidelines of the graph, not a pinned number
        from rnetkg import queries

        keys = [r["guideline"] for r in store_engine.select(queries.get("guidelines").text)]
        assert sorted(r["guideline"] for r in got) == sorted(keys)
    assert got and (not isinstance(rows, int) or len(got) == rows)


def test_issue13_param_types_are_declared_in_the_headers():
    from rnetkg import queries

    kinds = {(q.name, p.name): p.kind for q in queries.catalogue().values() for p in q.param_types}
    assert kinds[("silent-guidelines-for-size", "minSize")] == "number"
    assert kinds[("studies-for-risk-factor", "factor")] == "iri"
    assert kinds[("recommendations-by-guideline", "decisionPoint")] == "key"
    assert "any" not in kinds.values(), "every parameter declares its type"


# ---------------------------------------------------------------- every subcommand

@pytest.mark.parametrize("argv,message", [
    ([], "rnetkg: give a command (compare, query"),
    (["cohort"], "rnetkg cohort: give a command (generate)"),
    (["fhir"], "rnetkg fhir: give a command (export, recommendations)"),
])
def test_issue13_no_subcommand_prints_usage_on_stderr_and_exits_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    usage, last = err.strip().splitlines()
    assert usage.startswith("usage: rnetkg") and last == message or last.startswith(message)


@pytest.mark.parametrize("argv,message", [
    (["compare", "/"], "is a folder"),
    (["compare", "\x1b[31m.json"], "'\\x1b[31m.json' not found"),
    (["compare", "--cohort", "x.csv"], "--cohort needs --out"),
    (["compare", str(EXAMPLE), "--out", "x.csv"], "--out is for --cohort"),
    (["query", "guidelines", "--timeout", "inf"], "--timeout 'inf': must be a positive, finite number"),
    (["query", "guidelines", "--timeout", "nan"], "--timeout 'nan'"),
    (["describe", "nccn-2025/rec-t1", "--timeout", "-1"], "--timeout '-1'"),
    (["describe", "\x1b[2J" + "y" * 100_000], "\\x1b[2J"),
    (["queries", "--bogus"], "unrecognized arguments"),
    (["cohort", "generate", "--n", "5", "--seed", "-1", "--out", "x.csv"], "--seed '-1': must be a whole number"),
    (["cohort", "generate", "--n", "99999999999999999999", "--out", "x.csv"], "--n '99999999999999999999'"),
    (["cohort", "generate", "--n", "0", "--out", "x.csv"], "--n '0': must be a whole number from 1"),
    (["cohort", "generate", "--n", "5", "--out", "/dev/null"], "is not a regular file"),
    (["check", "--reasoner", "fact"], "invalid choice: 'fact'"),
    (["serve", "--bind", "nonsense"], "--bind"),
    (["map", "--out", "map.txt"], "must end in .png or .svg"),
    (["fhir", "export", "nope.json"], "not found"),
])
def test_issue13_every_subcommand_keeps_the_error_contract(capsys, argv, message):
    one_line_error(*run(capsys, *argv), message)
