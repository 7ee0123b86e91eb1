"""Issue 25, output files and extra graphs: one safe writer for every file rnetkg writes (items 2, 8, 30
and the writers' list), ids that a spreadsheet or a terminal would misread (items 6, 7), and extra graphs
($RNETKG_EXTRA_KG) that are invalid, import something, or change or extend the shipped graph (items 5,
12, 13, 19)."""

from __future__ import annotations

import csv
import errno
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from rnetkg import check, graph, outputs, paths, release
from rnetkg.errors import ExtraGraphError, UsageError

from test_hardening import one_line_error, run, write

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "profile-15mm-g1.json"
SOURCES = ROOT / "kg" / "sources.ttl"
EXTRA_GUIDELINE = ROOT / "tests" / "fixtures" / "extra-guideline" / "test-extra.ttl"
VALID = {"size_mm": 15, "margin": "not_resected"}
PREFIXES = ("@prefix rnet: <https://w3id.org/rnetkg/ontology#> .\n"
            "@prefix nccn-2025: <https://w3id.org/rnetkg/kg/nccn-2025/> .\n"
            "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
            "@prefix guideline: <https://w3id.org/rnetkg/kg/guideline/> .\n"
            "@prefix ex: <https://example.org/extra/> .\n")
# extra graphs that must be refused, each with what the one line must name
ADDS_AN_ACTION = PREFIXES + "nccn-2025:rec-t1 rnet:recommendsAction rnet:RadicalSurgery .\n"
REUSES_A_KEY = PREFIXES + "ex:g a rnet:GuidelineDocument ; rnet:guidelineKey \"NCCN-2025\" .\n"
ISSUED_BY_NCCN = PREFIXES + ("ex:rec a rnet:ManagementRecommendation ; rnet:issuedBy guideline:nccn-2025 ;\n"
                             "    rnet:recommendsAction rnet:RadicalSurgery .\n")
IMPORTS = PREFIXES + "<https://example.org/extra> a owl:Ontology ; owl:imports <http://192.0.2.1/remote.owl> .\n"


@pytest.fixture(autouse=True)
def _shipped_graph_kept():
    """A regression here must not leave the checkout's graph damaged: kg/sources.ttl is put back as it
    was (the tests still fail on the comparison they make)."""
    before = SOURCES.read_bytes()
    yield
    if SOURCES.read_bytes() != before:
        SOURCES.write_bytes(before)
    for p in SOURCES.parent.glob(".sources.ttl.*.tmp"):
        p.unlink()
    (SOURCES.parent / "x-map-never-written.png").unlink(missing_ok=True)


def digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ---------------------------------------------------------------- item 2: the temporary file

@pytest.mark.parametrize("planted", ["symlink", "file"])
def test_issue25_item2_planted_temporary_is_never_written_through(tmp_path, planted):
    """A symbolic link (or a file) planted under the temporary name `.OUT.PID.tmp` is neither written
    through nor left behind: the victim keeps its bytes and OUT is a regular file with the new ones."""
    victim = write(tmp_path, "victim.txt", "precious\n")
    tmp = tmp_path / f".a.csv.{os.getpid()}.tmp"
    if planted == "symlink":
        tmp.symlink_to(victim)
    else:
        tmp.write_text("planted\n")
    outputs.write_atomic(tmp_path / "a.csv", ["new\n"])
    assert victim.read_text() == "precious\n"
    out = tmp_path / "a.csv"
    assert not out.is_symlink() and out.read_text() == "new\n"
    assert listing(tmp_path) == ["a.csv", "victim.txt"]


def test_issue25_item2_temporary_is_created_exclusively_without_following_links(tmp_path, monkeypatch):
    seen = []
    real_open = os.open

    def recording_open(path, flags, *args, **kwargs):
        seen.append((str(path), flags))
        return real_open(path, flags, *args, **kwargs)
    monkeypatch.setattr(os, "open", recording_open)
    outputs.write_atomic(tmp_path / "a.csv", ["x\n"])
    flags = [f for p, f in seen if p.endswith(f".a.csv.{os.getpid()}.tmp")]
    assert len(flags) == 1
    assert flags[0] & os.O_EXCL and flags[0] & os.O_NOFOLLOW and flags[0] & os.O_CREAT


def test_issue25_written_file_is_flushed_to_disk_before_the_rename(tmp_path, monkeypatch):
    order = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (order.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (order.append("replace"), real_replace(a, b))[1])
    outputs.write_atomic(tmp_path / "a.csv", ["x\n"])
    assert order[:2] == ["fsync", "replace"]


# ---------------------------------------------------------------- item 8: serve --dump

def test_issue25_item8_dump_writes_the_expanded_graph(capsys, tmp_path):
    code, out, _ = run(capsys, "serve", "--dump", tmp_path / "g.nt")
    assert code == 0 and out.strip() == f"wrote {tmp_path / 'g.nt'}"
    triples = list(ox.parse(path=str(tmp_path / "g.nt"), format=ox.RdfFormat.N_TRIPLES))
    assert len(triples) == len(graph.load_store())
    assert listing(tmp_path) == ["g.nt"]


def test_issue25_item8_dump_through_a_symbolic_link_is_refused(capsys, tmp_path):
    victim = write(tmp_path, "victim.nt", "precious\n")
    (tmp_path / "link.nt").symlink_to(victim)
    one_line_error(*run(capsys, "serve", "--dump", tmp_path / "link.nt"), "--dump", "is a symbolic link")
    assert victim.read_text() == "precious\n" and (tmp_path / "link.nt").is_symlink()


def test_issue25_item8_dump_onto_the_shipped_graph_is_refused(capsys):
    before = digest(SOURCES)
    one_line_error(*run(capsys, "serve", "--dump", SOURCES), "--dump", "is also an input")
    assert digest(SOURCES) == before


def test_issue25_item8_dump_onto_the_extra_graph_is_refused(capsys, tmp_path, monkeypatch):
    extra = tmp_path / "extra.ttl"
    shutil.copy(EXTRA_GUIDELINE, extra)
    monkeypatch.setenv(paths.EXTRA_KG_ENV, str(extra))
    one_line_error(*run(capsys, "serve", "--dump", extra), "--dump", "is also an input")
    assert extra.read_bytes() == EXTRA_GUIDELINE.read_bytes()
    # the extra graph's folder as RNETKG_EXTRA_KG: the same
    monkeypatch.setenv(paths.EXTRA_KG_ENV, str(tmp_path))
    one_line_error(*run(capsys, "serve", "--dump", extra), "--dump")
    assert extra.read_bytes() == EXTRA_GUIDELINE.read_bytes()


def test_issue25_item8_dump_onto_a_folder_or_into_dev_is_refused(capsys, tmp_path):
    (tmp_path / "folder.nt").mkdir()
    one_line_error(*run(capsys, "serve", "--dump", tmp_path / "folder.nt"), "--dump", "is a folder")
    target = Path("/dev") / f"rnetkg-dump-{os.getpid()}.nt"
    one_line_error(*run(capsys, "serve", "--dump", target), "--dump", "/dev is a system folder of devices")
    assert not target.exists()


def test_issue25_item8_dump_on_a_full_disk_is_one_line_and_leaves_nothing(capsys, tmp_path, monkeypatch):
    (tmp_path / "g.nt").write_text("an earlier dump\n")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(os, "fsync", full)
    one_line_error(*run(capsys, "serve", "--dump", tmp_path / "g.nt"), "--dump", "no space left on the device")
    assert listing(tmp_path) == ["g.nt"] and (tmp_path / "g.nt").read_text() == "an earlier dump\n"


# ---------------------------------------------------------------- every writer: never onto the graph

def _refused_onto(argv_of, target: Path, capsys) -> str:
    before = digest(target)
    code, out, err = run(capsys, *argv_of(target))
    line = one_line_error(code, out, err)
    assert digest(target) == before
    return line


@pytest.mark.parametrize("argv_of", [
    lambda t: ["compare", "--cohort", ROOT / "examples" / "cohort.csv", "--out", t, "--quiet"],
    lambda t: ["fhir", "export", EXAMPLE, "--out", t],
    lambda t: ["map", "--out", t.parent / "x-map-never-written.png", "--data", t],
], ids=["cohort-out", "fhir-export-out", "map-data"])
def test_issue25_no_writer_writes_onto_a_graph_file(capsys, argv_of):
    assert "is also an input" in _refused_onto(argv_of, SOURCES, capsys)
    assert not (SOURCES.parent / "x-map-never-written.png").exists()


def test_issue25_cohort_generate_never_writes_onto_an_extra_graph(capsys, tmp_path, monkeypatch):
    extra = write(tmp_path, "extra.csv", "")   # an empty file is a valid (empty) Turtle graph
    monkeypatch.setenv(paths.EXTRA_KG_ENV, str(extra))
    line = _refused_onto(lambda t: ["cohort", "generate", "--n", "5", "--out", t], extra, capsys)
    assert "is also an input" in line and extra.read_text() == ""


def test_issue25_release_files_through_the_safe_writer(tmp_path):
    victim = write(tmp_path, "victim.html", "precious\n")
    (tmp_path / "ontology.html").symlink_to(victim)
    with pytest.raises(release.ReleaseError, match="is a symbolic link"):
        release._write_atomic(tmp_path / "ontology.html", b"<html></html>")
    assert victim.read_text() == "precious\n"
    release._write_atomic(tmp_path / "new" / "page.html", b"<html></html>")
    assert (tmp_path / "new" / "page.html").read_bytes() == b"<html></html>"
    assert listing(tmp_path / "new") == ["page.html"]


# ---------------------------------------------------------------- item 30: an inherited SIG_IGN

def test_issue25_item30_inherited_sigint_ignore_is_kept_while_writing(tmp_path):
    seen = []

    def chunks():
        seen.append(signal.getsignal(signal.SIGINT))
        yield "x\n"
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        outputs.write_atomic(tmp_path / "a.csv", chunks())
        assert seen == [signal.SIG_IGN]
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, old)
    assert (tmp_path / "a.csv").read_text() == "x\n"


SLOW_WRITE = r"""
import sys, time
from pathlib import Path
from rnetkg.outputs import write_atomic

def chunks():
    for i in range(40):
        if i == 1:
            sys.stdout.write("writing\n"); sys.stdout.flush()
        time.sleep(0.02)
        yield f"{i}\n"
write_atomic(Path(sys.argv[1]), chunks())
"""


def test_issue25_item30_sigint_to_a_background_writer_changes_nothing(tmp_path):
    """Started with SIGINT ignored (a background job of a shell), the writer ignores every SIGINT sent
    while it writes: it finishes, exits 0 and OUT is complete, whatever the timing."""
    out = tmp_path / "a.csv"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.Popen([sys.executable, "-c", SLOW_WRITE, str(out)], stdout=subprocess.PIPE, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN), text=True)
    assert proc.stdout.readline() == "writing\n"
    for _ in range(5):
        proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 0
    assert out.read_text() == "".join(f"{i}\n" for i in range(40))
    assert listing(tmp_path) == ["a.csv"]


# ---------------------------------------------------------------- items 6, 7: ids

FORMULA_IDS = ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "\tx", "\rcr"]


def _ids_of(out: Path) -> list[str]:
    return [r[0] for r in csv.reader(out.open(newline="", encoding="utf-8"))][1:]


def test_issue25_item6_formula_ids_get_a_leading_quote_csv(capsys, tmp_path):
    cohort = tmp_path / "c.csv"
    with cohort.open("w", newline="", encoding="utf-8") as f:
        rows = [["id", "size_mm", "margin"], *[[i, 5, "negative"] for i in FORMULA_IDS + ["plain", "'q"]]]
        csv.writer(f, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC).writerows(rows)
    code, _, err = run(capsys, "compare", "--cohort", cohort, "--out", tmp_path / "o.csv", "--quiet")
    assert code == 0, err
    assert _ids_of(tmp_path / "o.csv") == ["'" + i for i in FORMULA_IDS] + ["plain", "'q"]


def test_issue25_item6_formula_ids_get_a_leading_quote_jsonl(capsys, tmp_path):
    cohort = write(tmp_path, "c.jsonl", "".join(json.dumps({"id": i, "size_mm": 5, "margin": "negative"}) + "\n"
                                                for i in FORMULA_IDS))
    code, _, err = run(capsys, "compare", "--cohort", cohort, "--out", tmp_path / "o.csv", "--quiet")
    assert code == 0, err
    assert _ids_of(tmp_path / "o.csv") == ["'" + i for i in FORMULA_IDS]


def test_issue25_item6_fhir_patient_identifier_gets_a_leading_quote(capsys, tmp_path):
    bulk = tmp_path / "bulk"
    shutil.copytree(ROOT / "examples" / "bulk", bulk)
    patients = (bulk / "Patient.ndjson").read_text().replace('"bulk-15mm-g1"', '"=cmd|\' /C calc\'!A0"')
    (bulk / "Patient.ndjson").write_text(patients.replace('"bulk-5mm-resected-negative"', '"-5mm"'))
    code, _, err = run(capsys, "compare", "--cohort", bulk, "--out", tmp_path / "o.csv", "--quiet")
    assert code == 0, err
    assert _ids_of(tmp_path / "o.csv")[:2] == ["'=cmd|' /C calc'!A0", "'-5mm"]


def test_issue25_item6_one_profile_as_csv_guards_its_id(capsys, tmp_path):
    p = write(tmp_path, "p.json", dict(VALID, id="=1+1"))
    code, out, _ = run(capsys, "compare", p, "--format", "csv")
    assert code == 0 and list(csv.reader(out.splitlines()))[1][0] == "'=1+1"


def test_issue25_item7_control_characters_never_reach_the_terminal(capsys, tmp_path):
    p = write(tmp_path, "p.json", dict(VALID, id="evil\x1b]0;pwned\x07\r\nline"))
    code, out, err = run(capsys, "compare", p)
    assert code == 0, err
    first = next(line for line in out.splitlines() if line.startswith("Profile "))
    assert first.startswith("Profile evil\\x1b]0;pwned\\x07  line:"), first
    assert not any(ord(c) < 32 and c != "\n" for c in out)
    # a cohort whose file name holds an escape sequence: the summary shows it escaped
    cohort = write(tmp_path, "c\x1b[2J.csv", "id,size_mm,margin\n\x1b[31mred,5,negative\n\x1b[31mbad,-1,negative\n")
    code, out, err = run(capsys, "compare", "--cohort", cohort, "--out", tmp_path / "o.csv", "--quiet")
    assert code == 0, err
    assert "c\\x1b[2J.csv" in out.splitlines()[0]
    assert not any(ord(c) < 32 and c != "\n" for c in out + err)
    assert err.splitlines() == ["line 3: size_mm: must be > 0, got -1"]


# ---------------------------------------------------------------- items 19, 12, 13, 5: extra graphs

def _extra(monkeypatch, tmp_path, name: str, data: bytes | str) -> Path:
    p = tmp_path / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    monkeypatch.setenv(paths.EXTRA_KG_ENV, str(p))
    graph.shared_store.cache_clear()
    return p


@pytest.fixture(autouse=True)
def _fresh_store():
    graph.shared_store.cache_clear()
    yield
    graph.shared_store.cache_clear()


COMMANDS = {
    "compare": lambda tmp: ["compare", EXAMPLE],
    "query": lambda tmp: ["query", "guidelines"],
    "cohort": lambda tmp: ["compare", "--cohort", ROOT / "examples" / "cohort.csv", "--out", tmp / "o.csv",
                           "--quiet"],
    "serve-dump": lambda tmp: ["serve", "--dump", tmp / "g.nt"],
}
INVALID = {
    "syntax": (b"@prefix ex: <http://e/> .\nex:a ex:b .\n", "line 2"),
    "not-utf8": (b"@prefix ex: <http://e/> .\nex:a ex:b \"\xff\xfe\" .\n", "line 2"),
}


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("kind", list(INVALID))
def test_issue25_item19_invalid_extra_graph_is_one_line_naming_the_file(capsys, tmp_path, monkeypatch, command,
                                                                        kind):
    data, where = INVALID[kind]
    p = _extra(monkeypatch, tmp_path, "bad.ttl", data)
    line = one_line_error(*run(capsys, *COMMANDS[command](tmp_path)), "$RNETKG_EXTRA_KG", str(p), where,
                          "not valid Turtle")
    assert "Traceback" not in line
    assert listing(tmp_path) == ["bad.ttl"]   # nothing written


def test_issue25_item19_serve_refuses_an_invalid_extra_graph_before_it_starts(tmp_path):
    env = dict(os.environ, RNETKG_EXTRA_KG=str(write(tmp_path, "bad.ttl", b"\xff\xfe not turtle\n")),
               PYTHONPATH=str(ROOT / "src"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    done = subprocess.run([sys.executable, "-m", "rnetkg", "serve", "--bind", f"127.0.0.1:{port}"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    one_line_error(done.returncode, done.stdout, done.stderr, str(tmp_path / "bad.ttl"), "not valid Turtle")


@pytest.mark.parametrize("data, named", [
    (ADDS_AN_ACTION, "<https://w3id.org/rnetkg/kg/nccn-2025/rec-t1> is a node of the shipped graph"),
    (REUSES_A_KEY, "guideline key 'NCCN-2025' is a shipped guideline's"),
    (ISSUED_BY_NCCN, "points at <https://w3id.org/rnetkg/kg/guideline/nccn-2025>"),
    (PREFIXES + "rnet:RadicalSurgery rnet:modality \"x\" .\n", "<https://w3id.org/rnetkg/ontology#RadicalSurgery>"),
    (IMPORTS, "owl:imports <http://192.0.2.1/remote.owl>"),
], ids=["action-on-shipped-rec", "reused-key", "issued-by-shipped", "ontology-term", "owl-imports"])
def test_issue25_items12_13_5_extra_graph_may_not_change_or_extend_shipped(capsys, tmp_path, monkeypatch, data,
                                                                          named):
    _extra(monkeypatch, tmp_path, "x.ttl", data)
    one_line_error(*run(capsys, "compare", EXAMPLE, "--format", "json"), "$RNETKG_EXTRA_KG", "x.ttl", named)
    one_line_error(*run(capsys, "query", "guidelines"), named)


def test_issue25_items12_13_the_guard_runs_before_the_load_time_constructs(tmp_path, monkeypatch):
    """The guard is its own step: it refuses before any load-time CONSTRUCT has run, so that a
    derived statement can never hide or launder what an extra graph says."""
    calls = []
    monkeypatch.setattr(graph, "run_load_time_constructs", lambda store: calls.append(len(store)))
    _extra(monkeypatch, tmp_path, "x.ttl", ADDS_AN_ACTION)
    with pytest.raises(ExtraGraphError, match="rec-t1"):
        graph.load_store()
    assert calls == []
    with pytest.raises(ExtraGraphError, match="rec-t1"):
        graph.load_rdflib()


def test_issue25_an_extra_guideline_of_its_own_still_loads(monkeypatch):
    monkeypatch.setenv(paths.EXTRA_KG_ENV, str(EXTRA_GUIDELINE))
    store = graph.load_store()
    keys = {q.object.value for q in store.quads_for_pattern(None, ox.NamedNode(
        "https://w3id.org/rnetkg/ontology#guidelineKey"), None)}
    assert "TEST-EXTRA" in keys and "NCCN-2025" in keys


def test_issue25_items12_13_5_check_reports_refused_extra_graphs(tmp_path):
    files = [write(tmp_path, n, d) for n, d in [("action.ttl", ADDS_AN_ACTION), ("key.ttl", REUSES_A_KEY),
                                                ("imports.ttl", IMPORTS)]]
    store, findings = check.load_store_and_guard(files)
    assert sorted((f.kind, f.severity, f.subject) for f in findings) == [
        ("extra_graph", "error", "NCCN-2025"),
        ("extra_graph", "error", "http://192.0.2.1/remote.owl"),
        ("extra_graph", "error", "https://w3id.org/rnetkg/kg/nccn-2025/rec-t1")]
    assert all(f.message.startswith(str(tmp_path)) for f in findings)
    # none of the three reached the store
    rec_t1 = ox.NamedNode("https://w3id.org/rnetkg/kg/nccn-2025/rec-t1")
    actions = ox.NamedNode("https://w3id.org/rnetkg/ontology#recommendsAction")
    assert ox.NamedNode("https://w3id.org/rnetkg/ontology#RadicalSurgery") not in {
        q.object for q in store.quads_for_pattern(rec_t1, actions, None)}


@pytest.mark.slow
def test_issue25_item13_check_on_a_graph_that_adds_an_action_exits_1(tmp_path):
    """`rnetkg check` as a user runs it, with an extra graph that adds an action to a shipped
    recommendation: exit 1, the extra_graph error naming the statement, and the action nowhere."""
    extra = write(tmp_path, "action.ttl", ADDS_AN_ACTION)
    env = {**os.environ, paths.EXTRA_KG_ENV: str(extra)}
    r = subprocess.run([sys.executable, "-m", "rnetkg", "check", "--format", "json"], capture_output=True,
                       text=True, env=env, timeout=600)
    assert r.returncode == 1, r.stderr
    errors = [f for f in json.loads(r.stdout)["findings"] if f["severity"] == "error"]
    assert [(f["kind"], f["subject"]) for f in errors] == [
        ("extra_graph", "https://w3id.org/rnetkg/kg/nccn-2025/rec-t1")]
    assert "never change or extend shipped ones" in errors[0]["message"] and "Traceback" not in r.stderr


@pytest.mark.slow
def test_issue25_item5_check_fetches_nothing_and_reports_the_import(capsys, tmp_path, monkeypatch):
    """`rnetkg check` with an extra graph that imports a remote ontology: no connection is attempted,
    the import is an extra_graph error, exit 1, no traceback."""
    from rnetkg import reasoner

    try:
        reasoner.require_java()
    except Exception as e:  # noqa: BLE001
        pytest.skip(f"no Java runtime: {e}")
    connects = []

    def no_network(self, address, *a, **k):
        connects.append(address)
        raise OSError(errno.ENETUNREACH, "network is off in this test")
    monkeypatch.setattr(socket.socket, "connect", no_network)
    _extra(monkeypatch, tmp_path, "imports.ttl", IMPORTS)
    code, out, err = run(capsys, "check", "--format", "json")
    assert code == 1, err
    assert "Traceback" not in err
    found = [f for f in json.loads(out)["findings"] if f["kind"] == "extra_graph"]
    assert [(f["severity"], f["subject"]) for f in found] == [("error", "http://192.0.2.1/remote.owl")]
    assert connects == []


def test_issue25_item5_owl_dump_drops_imports(tmp_path):
    from rnetkg.check.owl import _dump

    store = ox.Store()
    store.extend(q for q in ox.parse(IMPORTS.encode(), format=ox.RdfFormat.TURTLE))
    _dump(store, tmp_path / "g.nt")
    text = (tmp_path / "g.nt").read_text()
    assert "imports" not in text and "owl#Ontology" in text


# ---------------------------------------------------------------- a database file written in place

def test_issue25_prepare_in_place_rules(tmp_path, monkeypatch):
    db = tmp_path / "feedback.sqlite"
    assert outputs.prepare_in_place(db, "--feedback-db") == db
    assert db.is_file() and db.stat().st_size == 0              # absent: created empty
    db.write_bytes(b"x" * 100)
    assert outputs.prepare_in_place(db, "--feedback-db", max_bytes=100) == db   # a regular file within the bound
    assert db.read_bytes() == b"x" * 100                          # never truncated
    with pytest.raises(UsageError, match=r"--feedback-db .*: holds 100 bytes, more than the bound of 99"):
        outputs.prepare_in_place(db, "--feedback-db", max_bytes=99)
    victim = write(tmp_path, "victim.txt", "precious\n")
    (tmp_path / "link.sqlite").symlink_to(victim)
    with pytest.raises(UsageError, match="is a symbolic link"):
        outputs.prepare_in_place(tmp_path / "link.sqlite", "--feedback-db")
    (tmp_path / "dangling.sqlite").symlink_to(tmp_path / "nowhere")
    with pytest.raises(UsageError, match="is a symbolic link"):
        outputs.prepare_in_place(tmp_path / "dangling.sqlite", "--feedback-db")
    assert not (tmp_path / "nowhere").exists()
    with pytest.raises(UsageError, match="is a folder"):
        outputs.prepare_in_place(tmp_path, "--feedback-db")
    with pytest.raises(UsageError, match="is also an input"):
        outputs.prepare_in_place(victim, "--feedback-db", inputs=[victim])
    os.link(victim, tmp_path / "hard.sqlite")                    # the same inode under another name
    with pytest.raises(UsageError, match="is also an input"):
        outputs.prepare_in_place(tmp_path / "hard.sqlite", "--feedback-db", inputs=[victim])
    with pytest.raises(UsageError, match="is also an input"):
        outputs.prepare_in_place(SOURCES, "--feedback-db")
    with pytest.raises(UsageError, match="/dev is a system folder of devices"):
        outputs.prepare_in_place(Path("/dev") / f"rnetkg-{os.getpid()}.sqlite", "--feedback-db")
    with pytest.raises(UsageError, match="is not a regular file"):
        outputs.prepare_in_place(Path("/dev/null"), "--feedback-db")
    assert victim.read_text() == "precious\n"


def test_issue25_item19_extra_graph_folder_with_a_link_to_a_device_is_one_line(tmp_path):
    folder = tmp_path / "extra"
    folder.mkdir()
    (folder / "zero.ttl").symlink_to("/dev/zero")
    env = dict(os.environ, RNETKG_EXTRA_KG=str(folder), PYTHONPATH=str(ROOT / "src"))
    done = subprocess.run([sys.executable, "-m", "rnetkg", "query", "guidelines"], env=env, capture_output=True,
                          text=True, timeout=120)
    one_line_error(done.returncode, done.stdout, done.stderr, str(folder / "zero.ttl"), "is not a regular file")


def test_issue25_item7_written_file_names_are_escaped_on_the_terminal(capsys, tmp_path):
    code, out, err = run(capsys, "serve", "--dump", tmp_path / "g\x1b[2J.nt")
    assert code == 0, err
    assert out == f"wrote {tmp_path}/g\\x1b[2J.nt\n"
    assert listing(tmp_path) == ["g\x1b[2J.nt"]
