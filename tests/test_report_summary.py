"""Issue 23 item 2: `rnetkg compare P --format html` shows the summary first (DESIGN.md, Summary first)
and folds the full explanation into closed <details> sections; printed, it fits on at most 3 A4 pages.

Every value of the summary is read from the answer's views (answer.Answer: summary_line, split,
with_status, follow_up, warnings, nearest_changes, missing_inputs): the tests compare with them.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from htmlpage import parse
from rnetkg.answer import answer as model_answer
from rnetkg.cli import main
from rnetkg.criteria.load import model_for
from rnetkg.engine import StoreEngine
from rnetkg.profile import parse_profile, plausibility_warnings
from rnetkg.report import context_for
from rnetkg.report.html import render_report

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("RNETKG_CHROMIUM", "/usr/bin/chromium")
# held-out profiles besides the examples: many unknowns, after an excision, node-positive, metastatic
PROFILES = {
    "size-only-14": {"id": "size-only-14", "size_mm": 14, "margin": "not_resected"},
    "after-excision-5-indeterminate": {"id": "after-excision-5-indeterminate", "size_mm": 5, "margin": "indeterminate"},
    "12-n1": {"id": "12-n1", "size_mm": 12, "margin": "not_resected", "lymph_nodes": "N1"},
    "25-metastatic": {"id": "25-metastatic", "size_mm": 25, "margin": "not_resected", "distant_metastasis": True},
    "12-t1-n1": json.loads((ROOT / "examples" / "profile-12mm-t1-node-positive.json").read_text()),
    "15-g1": json.loads((ROOT / "examples" / "profile-15mm-g1.json").read_text()),
}


@pytest.fixture(scope="module")
def engine():
    return StoreEngine()


@pytest.fixture(scope="module")
def model(engine):
    return model_for(engine)


@pytest.fixture(scope="module")
def ctx(engine):
    return context_for(engine)


def html_for(data: dict, model, ctx, mutate=None) -> tuple[str, dict]:
    profile = parse_profile(data)
    a = model_answer(profile, model)
    if mutate:
        a = mutate(copy.deepcopy(dict(a)))
    return render_report(a, profile, ctx, None, plausibility_warnings(profile)), a


def summary_section(doc):
    return doc.find("section", **{"class": "summary-first"})


@pytest.mark.parametrize("name", PROFILES)
def test_issue23_summary_first_then_closed_folds(name, model, ctx):
    text, a = html_for(PROFILES[name], model, ctx)
    doc = parse(text)
    first = summary_section(doc)
    # the summary comes before every folded section, and every fold is closed (also when printed)
    assert text.index('class="summary-first"') < text.index("<details")
    folds = doc.find_all("details")
    assert {f.attrs["id"] for f in folds} >= {"fold-guidelines", "fold-pairs", "fold-profile", "fold-glossary"}
    assert not any("open" in f.attrs for f in folds)
    assert first.find("p", id="summary").text == a["summary"]
    # the split: each strategy with its guidelines
    split = first.find_all("li", data_strategy=True)
    assert [li.attrs["data-strategy"] for li in split] == [e["strategy"] for e in a["split"]]
    for li, e in zip(split, a["split"]):
        for k in e["guidelines"]:
            assert k in li.text
    # each guideline in one line: status, modalities in words, why
    for g in a["guidelines"]:
        row = first.find("tr", data_glance=g["guideline"])
        cells = row.find_all("td")
        assert cells[0].text == g["status"].replace("_", " ")
        assert cells[1].text.startswith(", ".join(model.modality_labels[m] for m in g["modalities"]) or "—")
        assert ("reading-dependent" in cells[1].text) == g["reading_dependent"]
        assert ("warned" in cells[1].text) == bool(g["warnings"])
        for r in g["recommendations"]:
            if r["status"] == "applies" and g["status"] in ("covered", "ambiguous"):
                for c in r["criteria"]:
                    if c["result"] == "met" and c["field"] != "precedence":
                        assert c["as_written"] in cells[2].text, (g["guideline"], c)
    # internal ids only inside the folds
    for g in a["guidelines"]:
        for r in g["recommendations"]:
            assert r["id"] not in first.text


def test_issue23_follow_up_and_warnings_in_the_summary(model, ctx):
    text, a = html_for(PROFILES["12-t1-n1"], model, ctx)
    first = summary_section(parse(text))
    warned = [(g["guideline"], w) for g in a["guidelines"] for w in g["warnings"]]
    assert warned, "the node-positive profile has consensus warnings"
    items = first.find("ul", **{"class": "warnings"}).find_all("li")
    assert [li.attrs["data-guideline-warning"] for li in items] == [k for k, _ in warned]
    # seed 001 is named by its article, not by the project's seed number
    assert all("seed 001" not in li.text.lower() and "World J Gastroenterol 2025" in li.text for li in items)
    follow = first.find("ul", **{"class": "follow-up"}).text
    assert follow.startswith("Not stated by ENETS-2023")


def test_issue23_what_to_measure_next_in_sentences(model, ctx):
    text, a = html_for(PROFILES["size-only-14"], model, ctx)
    first = summary_section(parse(text))
    depth = first.find("li", data_field="invasion_depth").text
    m = next(m for m in a["missing_inputs"] if m["field"] == "invasion_depth")
    assert depth.startswith("Deepest layer invaded is not given; it would settle the answer of ")
    assert "If it is mucosa: " in depth and "If it is muscularis propria: " in depth
    assert "what if" not in depth.lower() and "value:" not in depth and "answers:" not in depth
    assert len(re.findall(r"If it is ", depth)) == len(m["what_if"])


def test_issue23_plausibility_warning_shown(model, ctx):
    text, _ = html_for({"id": "cm", "size_mm": 0.9, "margin": "not_resected"}, model, ctx)
    box = parse(text).find("div", id="plausibility")
    assert "size_mm 0.9 mm: a tumour under 1 mm looks like a size in centimetres" in box.text


def test_issue23_nearest_changes_and_evidence_shown_when_present(model, ctx):
    """The answer's own nearest changes (near a threshold: in the summary; all: in their fold) and the
    evidence of its pairs; a made-up change and study figure show how they are worded."""
    text, a = html_for(PROFILES["15-g1"], model, ctx)
    doc = parse(text)
    changes = [(g["guideline"], c) for g in a["guidelines"] for c in g.get("nearest_changes", [])]
    assert changes, "the 15 mm profile has nearest changes"
    shown = doc.find("details", id="fold-changes").find_all("li")
    assert len(shown) == len(changes)
    near = summary_section(doc).find_all("ul", **{"class": "near"})
    near_count = sum(1 for _, c in changes if c.get("near_threshold"))
    assert sum(len(ul.find_all("li")) for ul in near) == near_count
    with_evidence = [d for d in a["disagreements"] if d.get("evidence")]
    assert with_evidence and "Evidence" in doc.find("details", id="fold-pairs").text

    def add(a):
        for g in a["guidelines"]:
            g["nearest_changes"] = []
        enets = next(g for g in a["guidelines"] if g["guideline"] == "ENETS-2023")
        enets["nearest_changes"] = [
            {"field": "size_mm", "direction": "above", "at": 20.0, "inclusive": False,
             "becomes": {"status": "covered", "modalities": ["radical_surgery"]}, "near_threshold": True},
            {"field": "size_mm", "direction": "below", "at": 10.0, "inclusive": True,
             "becomes": {"status": "covered", "modalities": ["endoscopic_resection"]}, "near_threshold": False}]
        for d in a["disagreements"]:
            d["evidence"] = []
        a["disagreements"][0]["evidence"] = [{"id": "study/x", "kind": "study", "field": "size_mm",
                                              "statement": "Size predicts nodes",
                                              "estimate": {"measure": "OR", "value": 11.53, "ci_low": 2.51,
                                                           "ci_high": 52.93, "ci_level": 0.95, "p": "0.002"},
                                              "population": "312 patients"}]
        return a

    text, _ = html_for(PROFILES["15-g1"], model, ctx, add)
    doc = parse(text)
    near = summary_section(doc).find("ul", **{"class": "near"}).find_all("li")
    assert [li.text for li in near] == ["at greatest diameter > 20 mm, ENETS-2023 would recommend radical surgery"]
    changes = doc.find("details", id="fold-changes").find_all("li")
    assert len(changes) == 2 and "≤ 10 mm" in changes[1].text
    assert "Size predicts nodes (OR 11.53, 95% CI 2.51-52.93, P 0.002); 312 patients" in \
        doc.find("details", id="fold-pairs").text

    def strip(a):
        for g in a["guidelines"]:
            g.pop("nearest_changes", None)
        for d in a["disagreements"]:
            d.pop("evidence", None)
        return a

    # absent keys: nothing shown
    plain = parse(html_for(PROFILES["15-g1"], model, ctx, strip)[0])
    assert not plain.find_all("ul", **{"class": "near"}) and not plain.find_all("details", id="fold-changes")
    assert "Evidence" not in plain.find("details", id="fold-pairs").text


def test_issue23_glossary(model, ctx):
    text, _ = html_for(PROFILES["15-g1"], model, ctx)
    terms = [dt.text for dt in parse(text).find("dl", **{"class": "glossary"}).find_all("dt")]
    for word in ("covered", "possible", "aim only", "silent", "conflict", "level", "partial", "complementary",
                 "reading", "Seed 000", "Seed 001"):
        assert any(word in t for t in terms), word
    assert "narrower, broader, equivalent, overlapping" in terms
    gloss = parse(text).find("dl", **{"class": "glossary"}).text
    assert "Seed 001 The review article World J Gastroenterol 2025" in gloss


def _pdf_pages(html: str, tmp_path: Path) -> int:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} not found (CI is set)")
        pytest.skip(f"{CHROMIUM} not found: apt-get install chromium")
    page, pdf = tmp_path / "report.html", tmp_path / "report.pdf"
    page.write_text(html, encoding="utf-8")
    profile_dir = tmp_path / "chromium"
    subprocess.run([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    "--disable-background-networking", f"--user-data-dir={profile_dir}",
                    f"--print-to-pdf={pdf}", page.as_uri()], check=True, capture_output=True, timeout=120)
    data = pdf.read_bytes()
    try:
        import pypdf

        return len(pypdf.PdfReader(str(pdf)).pages)
    except ImportError:
        return len(re.findall(rb"/Type\s*/Page(?!s)", data))


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("name", ["size-only-14", "12-t1-n1", "15-g1"])
def test_issue23_report_prints_on_at_most_three_a4_pages(name, capsys, tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(PROFILES[name]))
    code = main(["compare", str(path), "--format", "html"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "<img src=\"data:image/png;base64," in out  # the map is part of what is printed
    pages = _pdf_pages(out, tmp_path)
    assert 1 <= pages <= 3, f"{name}: {pages} pages"


# ---------------------------------------------------------------- issue 23 item 7: the relations cached across processes

def test_issue23_relations_are_cached_across_processes(model, tmp_path, monkeypatch):
    from rnetkg import explain

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(explain, "_STORED", None)
    monkeypatch.setattr(explain, "_NEW", {})
    monkeypatch.setattr(explain, "_RELATIONS", {})
    profile = parse_profile(PROFILES["15-g1"])
    first = model_answer(profile, model)
    f = explain.relation_cache_file()
    assert f.parent == tmp_path / "rnetkg" and f.is_file()
    stored = json.loads(f.read_text())
    assert stored["format"] == explain.CACHE_FORMAT and len(stored["relations"]) >= len(first["disagreements"])
    # a new process: nothing in memory; every relation is read from the file, none computed
    monkeypatch.setattr(explain, "_STORED", None)
    monkeypatch.setattr(explain, "_RELATIONS", {})

    def never(*a, **k):
        raise AssertionError("computed although cached")

    monkeypatch.setattr(explain, "_relation", never)
    again = model_answer(profile, model)
    assert again["disagreements"] == first["disagreements"]


def test_issue23_a_changed_criterion_is_another_cache_entry(model):
    from rnetkg import explain, record

    s = next(x for x in model.statements.values() if x.criteria) if isinstance(model.statements, dict) \
        else next(x for x in model.statements if x.criteria)
    changed = record.replace(s, criteria=s.criteria[1:] + s.criteria[:1] if len(s.criteria) > 1 else ())
    assert explain._digest("initial_management", [s], []) == explain._digest("initial_management", [s], [])
    assert explain._digest("initial_management", [s], []) != explain._digest("initial_management", [changed], [])


def test_issue23_model_kept_as_json_is_the_same_model(model):
    from rnetkg import cache
    from rnetkg.criteria import model as model_module

    text = cache.to_json(model)
    again = cache.from_json(text, model_module)
    assert again == model
    assert again.guideline_keys == model.guideline_keys
    # only the records of the module named are rebuilt
    with pytest.raises(ValueError, match="unexpected class 'Popen' in a cache file"):
        cache.from_json('{"@": "Popen", "f": {}}', model_module)


def test_issue23_cold_compare_with_the_cache_gives_the_same_answer(tmp_path):
    """A cold `rnetkg compare` that fills the cache (store, model, relations, evidence rows, source
    slips, and the graph's hash by its files' names, sizes and times) and one that reads it print the
    same JSON; the cache files are named by the graph's hash, and the second run adds none."""
    import sys

    from rnetkg.graph import current_graph_hash

    env = {k: v for k, v in os.environ.items()}
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg")
    env["PYTHONPATH"] = str(ROOT / "src")
    cmd = [sys.executable, "-m", "rnetkg", "compare", str(ROOT / "examples" / "profile-12mm-t1-node-positive.json"),
           "--format", "json"]
    first = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    names = sorted(p.name for p in (tmp_path / "xdg" / "rnetkg").iterdir())
    digest = current_graph_hash()[:16]
    from rnetkg import __version__

    kinds = [n.split(f"-{__version__}-")[0] if f"-{__version__}-" in n else n.rsplit("-", 1)[0] for n in names]
    assert kinds == ["evidence-index", "evidence-rows", "graph-hash", "model", "profile-store", "relations", "source-slips",
                     "store"]
    assert all(digest in n for n in names if not n.startswith("graph-hash-"))
    assert next((tmp_path / "xdg" / "rnetkg").glob("graph-hash-*")).read_text() == current_graph_hash()
    second = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    assert json.loads(second) == json.loads(first)
    assert sorted(p.name for p in (tmp_path / "xdg" / "rnetkg").iterdir()) == names


def test_the_cache_folder_keeps_the_newest_files_of_each_kind(tmp_path, monkeypatch):
    """Another graph or rnetkg version writes new cache files: of each kind only the KEEP most recent stay
    (other kinds, and files that are not the cache's, are left alone)."""
    import os as _os

    from rnetkg import __version__, cache

    folder = tmp_path / "rnetkg"
    folder.mkdir()
    olds = [folder / f"model-{__version__}-0000000{i}-{i:016x}.json" for i in range(6)]
    for i, f in enumerate(olds):
        f.write_text("{}")
        _os.utime(f, ns=(10**18 + i * 10**9, 10**18 + i * 10**9))
    other_kind = folder / f"store-{__version__}-00000000-{0:016x}.nq"
    other_kind.write_text("")
    unrelated = folder / "notes.txt"
    unrelated.write_text("mine")
    new = folder / f"model-{__version__}-aaaaaaaa-{7:016x}.json"
    cache.write(new, "{}")
    left = sorted(p.name for p in folder.iterdir())
    assert new.name in left and other_kind.name in left and "notes.txt" in left
    assert sorted(p.name for p in folder.glob("model-*")) == sorted([new.name, *(f.name for f in olds[-(cache.KEEP - 1):])])


def test_the_kept_files_are_named_by_the_queries_too(tmp_path, monkeypatch):
    """The criteria model, the evidence rows and the source slips are derived by queries: a changed query
    file (or shape) names new cache files, so an edited query is never answered from a stale file."""
    from rnetkg import cache, paths

    before = cache.code_digest()
    query = paths.query_dir() / "evidence.rq"
    st = query.stat()
    try:
        os.utime(query, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
        cache.code_digest.cache_clear()
        assert cache.code_digest() != before
    finally:
        os.utime(query, ns=(st.st_atime_ns, st.st_mtime_ns))
        cache.code_digest.cache_clear()
    assert cache.code_digest() == before


# ---------------------------------------------------------------- issue 23 item 7: the cold start's parts

def test_issue23_kept_model_writes_each_equal_object_once(model):
    """The model's cache file writes each distinct frozen object once (the criteria recur in every
    reading context): far fewer entries than occurrences, the same model back, and a reference to an
    object not yet written is refused as a broken file, not followed."""
    from rnetkg import cache
    from rnetkg.criteria import model as model_module

    text = cache.to_json(model)
    data = json.loads(text)
    occurrences = sum(1 for s in model.statements.values() for c in s.criteria for _ in c.atoms)
    atoms = [o for o in data["objects"] if o["@"] == "Atom"]
    assert 0 < len(atoms) < occurrences
    assert len({json.dumps(o, sort_keys=True) for o in data["objects"]}) == len(data["objects"])
    assert cache.from_json(text, model_module) == model
    with pytest.raises(ValueError, match="refers to an object it has not written"):
        cache.from_json('{"objects": [], "value": {"#": 0}}', model_module)
    with pytest.raises(ValueError, match="without objects and value"):
        cache.from_json('{"@t": [1, 2]}', model_module)


def test_issue23_a_query_is_read_from_its_own_file(tmp_path, monkeypatch):
    """`queries.get` reads the one file it names (a compare reads three, not every header), finds the
    checks under qc/, and never a path outside the query folder."""
    from rnetkg import paths, queries
    from rnetkg.errors import QueryError

    folder = tmp_path / "queries"
    (folder / "qc").mkdir(parents=True)
    (folder / "one.rq").write_text("#+ summary: the one\nSELECT * WHERE { ?s ?p ?o }\n")
    (folder / "qc" / "two-violation.rq").write_text("#+ summary: the check\nSELECT ?subject ?message WHERE {}\n")
    (tmp_path / "outside.rq").write_text("#+ summary: outside\nSELECT * WHERE {}\n")
    monkeypatch.setattr(paths, "query_dir", lambda: folder)
    monkeypatch.setattr(queries, "_ONE", {})
    monkeypatch.setattr(queries, "catalogue", lambda: (_ for _ in ()).throw(AssertionError("catalogue read")))
    assert queries.get("one").summary == "the one"
    assert queries.get("qc/two-violation").summary == "the check"
    monkeypatch.setattr(queries, "catalogue", lambda: {})
    for name in ("../outside", "qc/../../outside", "/etc/passwd", "missing"):
        with pytest.raises(QueryError, match="no query named"):
            queries.get(name)


def test_issue23_the_store_loads_beside_the_command(monkeypatch, tmp_path):
    """`graph.preload` loads the kept store in another thread; the command's own call waits for that
    store and gets the same object; with no kept store it starts nothing (the first run derives it)."""
    import threading

    from rnetkg import graph

    graph.shared_store()   # the kept file exists
    graph.shared_store.cache_clear()
    started = []
    real = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda self: (started.append(self.name), real(self))[1])
    graph.preload()
    store = graph.shared_store()
    assert started == ["rnetkg-store"]
    assert graph.shared_store() is store and len(store) > 10_000
    graph.shared_store.cache_clear()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty"))
    started.clear()
    graph.preload()
    assert started == []
    graph.shared_store.cache_clear()


def test_issue23_the_command_flushes_and_reports_a_full_device(tmp_path):
    """The console script ends without tearing the interpreter down, after flushing: the whole answer
    reaches a pipe, and a full standard output is one line and exit 2."""
    import sys

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    cmd = [sys.executable, "-m", "rnetkg", "compare", str(ROOT / "examples" / "profile-15mm-g1.json"), "--format", "json"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert done.returncode == 0 and json.loads(done.stdout)["profile"] == "example-15mm-g1"
    with open("/dev/full", "w") as full:
        done = subprocess.run(cmd, env=env, stdout=full, stderr=subprocess.PIPE, text=True)
    assert done.returncode == 2
    assert done.stderr.strip() == "rnetkg: cannot write the output: no space left on device"


def test_issue23_answers_started_early_equal_the_answers(model):
    """compare_later (the queries started before the rest is imported) gives compare_profiles' answers."""
    from rnetkg.compare import compare_later, compare_profiles

    profiles = [parse_profile(p) for p in PROFILES.values()]
    assert compare_later(profiles)() == compare_profiles(profiles)


def test_issue23_help_is_as_wide_as_the_terminal_without_shutil(monkeypatch):
    """The parsers' formatter takes its width as argparse would (shutil.get_terminal_size, less 2) from
    $COLUMNS or the terminal, without importing shutil (and its compression modules) on every start."""
    import subprocess
    import sys

    from rnetkg.cli import build_parser

    monkeypatch.setenv("COLUMNS", "60")
    parser = build_parser("compare")
    import argparse

    assert parser._get_formatter()._width == argparse.HelpFormatter("rnetkg")._width == 58
    code = ("import sys; from rnetkg.cli import build_parser; build_parser('compare').format_help(); "
            "print('shutil' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert out.stdout.strip() == "False", out.stderr


def test_issue23_the_profile_store_answers_as_the_whole_graph(tmp_path):
    """The profile queries on the profile store (the triples of the predicates they read) give the rows
    they give on the whole store, for every case fixture and 300 generated profiles; the store holds
    about half the graph's triples."""
    from rnetkg import compare, graph, projection, queries
    from rnetkg.cohort.generate import generate
    from rnetkg.engine import StoreEngine

    whole, part = StoreEngine(graph.shared_store()), StoreEngine(projection.profile_store())
    assert 0.3 < len(part.store) / len(whole.store) < 0.7
    profiles = [parse_profile(json.loads(p.read_text())["profile"])
                for p in sorted((ROOT / "tests" / "fixtures" / "cases").glob("*.json"))]
    import csv

    from rnetkg.fields import FIELDS

    generate(300, 23, tmp_path / "g.csv")
    for row in csv.DictReader((tmp_path / "g.csv").open(encoding="utf-8")):
        data = {k: (float(v) if FIELDS[k].kind == "number" else v == "true" if FIELDS[k].kind == "boolean" else v)
                for k, v in row.items() if v != "" and k in FIELDS}
        profiles.append(parse_profile(data))
    rows = [r for i, p in enumerate(profiles) for r in queries.profile_rows(i, p)]
    got, expected = compare.profile_query_rows(rows, part), compare.profile_query_rows(rows, whole)
    def rows_of(found):   # the cells of a GROUP_CONCAT (missing, modalities, targets) in any order
        return sorted(sorted((k, " ".join(sorted(v.split(" ")))) for k, v in r.items()) for r in found)

    for name in compare.PROFILE_QUERIES:
        assert rows_of(got[name]) == rows_of(expected[name]), name
    assert len(expected["guideline-status"]) >= 8 * len(profiles)


def test_issue23_the_predicates_a_query_reads():
    """predicates_read finds the predicates of triple patterns and property paths, nested in subqueries
    and EXISTS, and refuses a query that may read any predicate."""
    from rnetkg.projection import Unbounded, predicates_read

    text = """PREFIX ex: <http://example.org/>
    SELECT * WHERE { ?a ex:p ?b ; ex:q/ex:r* ?c . ?c ^ex:s|ex:t ?d .
                     FILTER EXISTS { ?d ex:u ?e } { SELECT ?f WHERE { ?f ex:v ?g } } }"""
    assert predicates_read([text]) == {f"http://example.org/{p}" for p in "pqrstuv"}
    for bad in ("SELECT * WHERE { ?a ?p ?b }", "SELECT * WHERE { ?a !<http://example.org/p> ?b }",
                "ASK { FILTER NOT EXISTS { ?a ?p ?b } }"):
        with pytest.raises(Unbounded):
            predicates_read([bad])


def test_issue23_the_summary_line_names_what_either_stands_for(model):
    """'either' stands for strategies named elsewhere in the line. A 25 mm M0 tumour: ENETS radical
    surgery, NCCN radical surgery or chemoradiation; chemoradiation is named by no other guideline, so
    NCCN's is written out. A 15 mm G1 tumour: ENETS spans local excision and radical surgery, both named."""
    from rnetkg.answer import Answer

    big = Answer.of(model_answer(parse_profile({"id": "b", "size_mm": 25, "invasion_depth": "submucosa",
                                                "distant_metastasis": False, "margin": "not_resected"}), model))
    assert "NCCN-2025 radical surgery or chemoradiation" in big.summary_line and "either" not in big.summary_line
    g1 = Answer.of(model_answer(parse_profile(json.loads((ROOT / "examples" / "profile-15mm-g1.json").read_text())),
                                model))
    assert "ENETS-2023 either, by MDT" in g1.summary_line


def test_issue23_the_table_never_cuts_a_guidelines_marks(model):
    """The first screen's row of a guideline keeps [MDT decision] and [reading-dependent] whole (on a
    line of their own when the modalities leave no room); the source's words of strength come from a
    recommendation that recommends the modalities, in quotation marks, never as a Python list."""
    from rnetkg.render import WIDTH, answer_summary

    seen = set()
    for data in ({"id": "a", "size_mm": 15, "grade": "G1", "margin": "not_resected"},
                 {"id": "b", "size_mm": 9.9, "t_stage": "T1", "margin": "not_resected"},
                 {"id": "c", "size_mm": 25, "distant_metastasis": True, "liver_metastasis": True,
                  "metastases_resectable": True, "margin": "not_resected"},
                 {"id": "d", "size_mm": 20, "margin": "not_resected"}):
        a = model_answer(parse_profile(data), model)
        text = answer_summary(a)
        assert "['" not in text and "…]" not in text and "[M…" not in text and "[r…" not in text
        assert all(len(line) <= WIDTH for line in text.splitlines())
        for g in a["guidelines"]:
            if g["reading_dependent"] or g["mdt"]:
                rows = [i for i, line in enumerate(text.splitlines()) if line.startswith(g["guideline"] + " ")]
                block = "\n".join(text.splitlines()[rows[0]:rows[0] + 2])
                for flag, mark in ((g["reading_dependent"], "[reading-dependent]"), (g["mdt"], "[MDT decision]")):
                    if flag:
                        assert mark in block, (data, g["guideline"], block)
                        seen.add(mark)
    assert seen == {"[reading-dependent]", "[MDT decision]"}
    g1 = answer_summary(model_answer(parse_profile({"id": "a", "size_mm": 15, "grade": "G1",
                                                    "margin": "not_resected"}), model))
    assert "“strongly recommending”" in g1 and "mandatory" not in g1.split("Follow-up")[0]
