"""Cohorts: the fast (numpy) path gives exactly the SPARQL path's rows; bad rows are reported by line
and left out; the file formats, ids and the synthetic generator."""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path

import pytest

from rnetkg import cli, cohort, compare, render
from rnetkg import fields as F
from rnetkg import profile as prof
from rnetkg.answer import answer_to_row, csv_columns
from rnetkg.criteria.load import model_for
from rnetkg.engine import StoreEngine
from rnetkg.fields import FIELDS

HEADER = list(F.FIELD_NAMES)
KEYS = model_for(StoreEngine()).guideline_keys
CSV_COLUMNS = csv_columns(KEYS)
CASES_DIR = Path(__file__).parent / "fixtures" / "cases"


def write_csv(path: Path, rows: list[dict], header: list[str] = HEADER, quoting: int = csv.QUOTE_MINIMAL) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header, lineterminator="\n", quoting=quoting)
        w.writeheader()
        w.writerows(rows)
    return path


def read_out(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def run(inp: Path, out: Path, engine: str = "fast"):
    """Run a cohort; the rejected rows as `rnetkg compare --cohort` prints them on stderr."""
    err = io.StringIO()
    report = lambda errors: err.write("".join(f"line {n}: {m}\n" for n, m in errors))
    summary = cohort.run_cohort(inp, out, engine_name=engine, on_rejected=report)
    return summary, err.getvalue()


def csv_to_json(row: dict[str, str]) -> dict:
    """A generated CSV row as the JSON profile it stands for."""
    out = {}
    for name, cell in row.items():
        if cell == "":
            continue
        kind = FIELDS[name].kind
        if kind == "number":
            out[name] = float(cell)
        elif kind == "boolean":
            out[name] = cell == "true"
        else:
            out[name] = cell
    return out


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cohort") / "generated.csv"
    cohort.generate(600, 11, path)
    return path


@pytest.fixture(scope="module")
def generated_rows(generated) -> list[dict[str, str]]:
    with open(generated, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# ---------------------------------------------------------------- validation == parse_profile

FUZZ_CELLS = {
    "id": ["", "a", "x,y", 'q"q'],
    "size_mm": ["", "5", "9.9", "10", "15", "20", "20.1", "25", "-3", "0", "abc", "nan", "inf", " 7", "1e1", "1,5"],
    "grade": ["", "G1", "G2", "G3", "G4", "g1"],
    "ki67_percent": ["", "0", "2", "2.9", "3", "20", "20.1", "100", "101", "-1", "x"],
    "mitoses_per_2mm2": ["", "0", "1.9", "2", "20", "20.1", "-0.5", "y"],
    "invasion_depth": ["", *F.DEPTHS, "muscle"],
    "t_stage": ["", *F.T_STAGES, "T0"],
    "lymphovascular_invasion": ["", "true", "false", "yes", "True"],
    "lymph_nodes": ["", "N0", "N1", "N2"],
    "distant_metastasis": ["", "true", "false", "1"],
    "margin": ["", *F.MARGINS, "clear"],
    "atypical_surface": ["", "true", "false", "no"],
}


def _check_validation(raw: cohort.RawCohort) -> int:
    v = cohort.validate(raw)
    messages = dict(v.errors)
    n_bad = 0
    for i in range(raw.n):
        line = int(raw.lines[i])
        try:
            p = prof.parse_profile(raw.row_dict(i), default_id=str(line))
        except prof.ProfileError as e:
            n_bad += 1
            assert not v.ok[i]
            assert messages[line] == str(e)
            continue
        except OverflowError as e:   # a JSON integer too large for a float
            n_bad += 1
            assert not v.ok[i]
            assert messages[line] == f"profile: {e}"
            continue
        assert v.ok[i], (line, raw.row_dict(i))
        grade = F.GRADES[v.grade[i]] if v.grade[i] >= 0 else None
        t = F.T_STAGES[v.t_stage[i]] if v.t_stage[i] >= 0 else None
        assert (grade, t, F.DECISION_POINTS[v.decision_point[i]], v.ids[i]) == \
            (p.derived_grade, p.derived_t_stage, p.decision_point, p.id)
        assert (F.T_CATEGORIES[v.t_category[i]] if v.t_category[i] >= 0 else None) == p.t_category
    return n_bad


def test_vectorised_validation_equals_parse_profile_csv(tmp_path):
    rnd = random.Random(1)
    rows = [{k: rnd.choice(vals) for k, vals in FUZZ_CELLS.items()} for _ in range(3000)]
    raw = cohort.read_cohort(write_csv(tmp_path / "fuzz.csv", rows))
    n_bad = _check_validation(raw)
    assert 0 < n_bad < raw.n


def test_vectorised_validation_equals_parse_profile_jsonl(tmp_path):
    rnd = random.Random(2)
    values = {
        "id": [None, "a", 7, ""],
        "size_mm": [None, 5, 9.9, 10, 15.0, 20, 20.1, -3, 0, "5", True, float("nan"), float("inf"), 10 ** 400],
        "grade": [None, "G1", "G2", "G3", "G4", 1, ""],
        "ki67_percent": [None, 0, 2.9, 3, 20, 20.1, 100, 101, "x", False],
        "mitoses_per_2mm2": [None, 0, 1.9, 2, 20, 21, [2]],
        "invasion_depth": [None, *F.DEPTHS, "muscle", {"a": 1}],
        "t_stage": [None, *F.T_STAGES, "T0", ""],
        "lymphovascular_invasion": [None, True, False, "true", 1, 1.0],
        "lymph_nodes": [None, "N0", "N1"],
        "distant_metastasis": [None, True, False, 0],
        "margin": [None, *F.MARGINS, "clear", ""],
        "atypical_surface": [None, True, False, "", [True]],
    }
    lines = []
    for _ in range(3000):
        d = {k: rnd.choice(v) for k, v in values.items()}
        d = {k: v for k, v in d.items() if v is not None or rnd.random() < 0.5}
        if rnd.random() < 0.02:
            d["colour"] = "blue"
        lines.append(json.dumps(d))
    lines[10] = "[1, 2]"
    path = tmp_path / "fuzz.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    raw = cohort.read_cohort(path)
    n_bad = _check_validation(raw)
    assert 0 < n_bad < raw.n
    v = cohort.validate(raw)
    assert "line 11: profile: must be a JSON object" in "\n".join(f"line {a}: {b}" for a, b in v.errors)


# ---------------------------------------------------------------- bad rows

def test_bad_rows_are_reported_by_line_and_left_out(tmp_path, capsys):
    text = (
        "id,size_mm,grade,ki67_percent,margin,t_stage,lymphovascular_invasion\n"
        "ok-1,15,G1,1.5,not_resected,,false\n"          # line 2
        "no-size,,G1,,not_resected,,\n"                 # 3
        "negative,-3,,,not_resected,,\n"                # 4
        "g4,12,G4,,negative,,\n"                        # 5
        "\n"                                            # 6: blank, skipped
        "text,12,,abc,negative,,\n"                     # 7
        "contradiction,12,G1,25,not_resected,,\n"       # 8
        ",8,,,indeterminate,T1a,\n"                     # 9: no id -> "9"
        "t-contradiction,15,,,not_resected,T1a,\n"      # 10
        "bool,15,,,not_resected,,yes\n"                 # 11
        "too-many,15,,,not_resected,,,extra\n"          # 12
        "no-margin,15,,,,,\n"                           # 13
        "ok-2,25,,,positive,,true\n"                    # 14
    )
    inp = tmp_path / "bad.csv"
    inp.write_text(text, encoding="utf-8")
    expected = [
        (3, "size_mm: is required"),
        (4, "size_mm: must be > 0, got -3"),
        (5, "grade: must be one of G1, G2, G3, got 'G4'"),
        (7, "ki67_percent: must be a number (0-100), got 'abc'"),
        (8, "grade: stated G1 contradicts Ki-67 index 25 (WHO 2019: G3 or higher)"),
        (10, "t_stage: stated T1a contradicts size 15 mm (AJCC 8th: T1a is < 10 mm)"),
        (11, "lymphovascular_invasion: must be true or false, got 'yes'"),
        (12, "row: 8 cells, but the header has 7 columns (extra: 'extra')"),
        (13, "margin: is required"),
    ]
    for engine in ("fast", "sparql"):
        out = tmp_path / f"out-{engine}.csv"
        summary, err = run(inp, out, engine)
        assert summary["errors"] == expected
        assert err == "".join(f"line {n}: {m}\n" for n, m in expected)
        assert (summary["read"], summary["written"], summary["rejected"]) == (12, 3, 9)
        rows = read_out(out)
        assert [r[0] for r in rows[1:]] == ["ok-1", "9", "ok-2"]
        single = [prof.parse_profile(d) for d in (
            {"id": "ok-1", "size_mm": 15, "grade": "G1", "ki67_percent": 1.5, "margin": "not_resected",
             "lymphovascular_invasion": False},
            {"id": "9", "size_mm": 8, "margin": "indeterminate", "t_stage": "T1a"},
            {"id": "ok-2", "size_mm": 25, "margin": "positive", "lymphovascular_invasion": True})]
        assert rows[1:] == [answer_to_row(a) for a in compare.compare_profiles(single)]
    # the same through the command line: exit 0, errors on stderr, summary on stdout
    assert cli.main(["compare", "--cohort", str(inp), "--out", str(tmp_path / "cli.csv")]) == 0
    captured = capsys.readouterr()
    assert "line 4: size_mm: must be > 0, got -3" in captured.err
    assert "12 profiles read, 3 written" in captured.out


def test_line_numbers_after_a_multiline_quoted_id(tmp_path):
    text = ('id,size_mm,margin\n'
            '"two\nlines",15,not_resected\n'   # lines 2-3
            'bad,-1,not_resected\n'            # line 4
            ',12,negative\n')                  # line 5: id "5"
    inp = tmp_path / "multi.csv"
    inp.write_text(text, encoding="utf-8")
    for engine in ("fast", "sparql"):
        summary, err = run(inp, tmp_path / "out.csv", engine)
        assert err == "line 4: size_mm: must be > 0, got -1\n"
        assert [r[0] for r in read_out(tmp_path / "out.csv")[1:]] == ["two\nlines", "5"]


def test_unknown_column_rejects_the_file_with_exit_2(tmp_path, capsys):
    inp = tmp_path / "unknown.csv"
    inp.write_text("id,size_mm,margin,colour\na,15,not_resected,blue\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert cli.main(["compare", "--cohort", str(inp), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "unknown column 'colour'" in err and "allowed fields: id, size_mm" in err
    assert "Traceback" not in err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [inp]


def test_missing_required_column_and_bad_files_exit_2(tmp_path, capsys):
    cases = {
        "no-margin.csv": "id,size_mm\na,15\n",
        "empty.csv": "",
        "latin1.csv": "id,size_mm,margin\n".encode() + "caf\xe9,15,negative\n".encode("latin-1"),
        "profile.txt": "x",
    }
    for name, content in cases.items():
        inp = tmp_path / name
        if isinstance(content, bytes):
            inp.write_bytes(content)
        else:
            inp.write_text(content, encoding="utf-8")
        assert cli.main(["compare", "--cohort", str(inp), "--out", str(tmp_path / "out.csv")]) == 2, name
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err, err
    assert not (tmp_path / "out.csv").exists()


def test_out_is_atomic_on_failure(tmp_path, generated):
    out = tmp_path / "out.csv"
    out.write_text("previous\n", encoding="utf-8")
    # an endpoint that refuses the connection: the run fails, OUT keeps its old content, no temp file
    code = cli.main(["compare", "--cohort", str(generated), "--out", str(out), "--cohort-engine", "sparql",
                     "--endpoint", "http://127.0.0.1:9/sparql", "--timeout", "2"])
    assert code == 2
    assert out.read_text(encoding="utf-8") == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


# ---------------------------------------------------------------- formats and ids

def test_jsonl_gives_the_same_rows_as_csv(generated, generated_rows, tmp_path):
    lines = []
    for i, row in enumerate(generated_rows):
        d = csv_to_json(row)
        d.setdefault("id", str(i + 2))   # the CSV line number, the id a CSV row without id gets
        lines.append(json.dumps(d))
    jsonl = tmp_path / "cohort.jsonl"
    jsonl.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run(generated, tmp_path / "from-csv.csv")
    summary, err = run(jsonl, tmp_path / "from-jsonl.csv")
    assert err == "" and summary["written"] == 600
    assert (tmp_path / "from-csv.csv").read_bytes() == (tmp_path / "from-jsonl.csv").read_bytes()
    run(jsonl, tmp_path / "from-jsonl-sparql.csv", "sparql")
    assert (tmp_path / "from-csv.csv").read_bytes() == (tmp_path / "from-jsonl-sparql.csv").read_bytes()


def test_jsonl_bad_lines(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "size_mm": 15, "margin": "not_resected"}\n'
                    '\n'
                    '{"id": "b", "size_mm": "15", "margin": "not_resected"}\n'
                    '{"id": "c", "size_mm": 15, "margin": "not_resected", "colour": "blue"}\n'
                    '{"id": "d", "size_mm": 15,\n'
                    '{"size_mm": 12, "margin": "negative", "distant_metastasis": false}\n', encoding="utf-8")
    for engine in ("fast", "sparql"):
        summary, err = run(path, tmp_path / "out.csv", engine)
        lines = err.splitlines()
        assert lines[0] == "line 3: size_mm: must be a number (> 0), got '15'"
        assert lines[1].startswith("line 4: colour: unknown field; allowed fields: id, size_mm")
        assert lines[2].startswith("line 5: row: not valid JSON")
        assert (summary["read"], summary["written"], summary["rejected"]) == (5, 2, 3)
        assert [r[0] for r in read_out(tmp_path / "out.csv")[1:]] == ["a", "6"]


def test_ids_round_trip_exactly(tmp_path):
    ids = ['x" } ; DROP ALL ; #', 'a,b "c", d', "plain", " spaced ", "semi;colon|pipe", "tab\there",
           "ünïcødé", "cr\rinside"]
    rows = [{"id": i, "size_mm": "15", "margin": "not_resected"} for i in ids]
    # QUOTE_ALL: Python's csv module leaves a lone CR unquoted with lineterminator="\n"
    inp = write_csv(tmp_path / "ids.csv", rows, ["id", "size_mm", "margin"], csv.QUOTE_ALL)
    plain = None
    for engine in ("fast", "sparql"):
        out = tmp_path / f"out-{engine}.csv"
        summary, err = run(inp, out, engine)
        assert err == "" and summary["written"] == len(ids)
        got = read_out(out)[1:]
        assert [r[0] for r in got] == ids
        assert all(r[1:] == got[0][1:] for r in got)   # the id never changes the answer
        plain = plain or out.read_bytes()
        assert out.read_bytes() == plain


# ---------------------------------------------------------------- the command line

def test_cli_compare_cohort_prints_the_summary(generated, tmp_path, capsys):
    out = tmp_path / "out.csv"
    assert cli.main(["compare", "--cohort", str(generated), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "600 profiles read, 600 written" in text and "0 rejected" in text
    for key in KEYS:
        assert key in text
    assert "conflict" in text and "partial" in text
    assert len(read_out(out)) == 601
    summary, _ = run(generated, tmp_path / "again.csv")
    assert render.format_summary(summary).splitlines()[2:] == text.strip().splitlines()[2:]
    # counts of thousands are written as the classes are, with separators
    big = dict(summary, read=12345, written=12000, rejected=1345, classes=2345)
    assert "12,345 profiles read, 12,000 written" in render.format_summary(big)
    assert "1,345 rejected" in render.format_summary(big) and "2,345 classes" in render.format_summary(big)


def test_cli_cohort_generate_is_deterministic(tmp_path, capsys):
    paths = [tmp_path / n for n in ("a.csv", "b.csv", "c.csv")]
    for path, seed in zip(paths, (3, 3, 4)):
        assert cli.main(["cohort", "generate", "--n", "700", "--seed", str(seed), "--out", str(path)]) == 0
    assert "wrote 700 profiles" in capsys.readouterr().out
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert paths[0].read_bytes() != paths[2].read_bytes()


# ---------------------------------------------------------------- the generator

def test_generated_cohort_hits_every_boundary(generated_rows):
    def numbers(name):
        return {float(r[name]) for r in generated_rows if r[name] != ""}

    assert {9.9, 10.0, 10.1, 19.9, 20.0, 20.1} <= numbers("size_mm")
    assert {1.9, 2.0, 2.1, 2.9, 3.0, 3.1, 19.9, 20.0, 20.1} <= numbers("ki67_percent")
    assert {1.9, 2.0, 2.1, 19.9, 20.0, 20.1} <= numbers("mitoses_per_2mm2")
    # every bound on a size or Ki-67 criterion in the graph, just below, at and just above
    bounds = cohort.boundaries()
    for name in ("size_mm", "ki67_percent"):
        for b in bounds[name]:
            assert {round(b - 0.1, 6), b, round(b + 0.1, 6)} <= numbers(name)
    assert {r["margin"] for r in generated_rows} == set(F.MARGINS)
    assert {r["distant_metastasis"] for r in generated_rows} == {"true", "false", ""}
    for name in F.FIELD_NAMES:
        if not FIELDS[name].required:
            assert any(r[name] == "" for r in generated_rows), name
    for name in ("invasion_depth", "t_stage", "grade", "lymph_nodes"):
        assert {r[name] for r in generated_rows} >= set(FIELDS[name].values), name
    # each decision point
    dps = set()
    for i, row in enumerate(generated_rows):
        dps.add(prof.parse_profile(csv_to_json(row), default_id=str(i + 2)).decision_point)  # every row valid
    assert dps == set(F.DECISION_POINTS)


def test_generated_cohort_boundary_sizes_from_the_graph():
    bounds = cohort.boundaries()
    assert {10.0, 20.0} <= set(bounds["size_mm"])
    assert 2.0 in bounds["ki67_percent"]
    assert cohort.boundary_values([10.0], "size_mm") == [9.9, 10.0, 10.1]
    assert cohort.boundary_values([0.0], "ki67_percent") == [0.0, 0.1]


def test_empty_cohort(tmp_path):
    inp = tmp_path / "empty.csv"
    inp.write_text("id,size_mm,margin\n\n", encoding="utf-8")
    for engine in ("fast", "sparql"):
        summary, err = run(inp, tmp_path / "out.csv", engine)
        assert (summary["read"], summary["written"], summary["rejected"]) == (0, 0, 0)
        assert read_out(tmp_path / "out.csv") == [CSV_COLUMNS]


@pytest.mark.parametrize("engine", ["fast", "sparql"])
def test_cohort_columns_of_readings_and_scopes_are_the_fixtures_answers(tmp_path, engine):
    """The `reading_dependent` and `complementary` columns of a cohort of the case fixtures say what each
    fixture expects (both paths write them through the same row builder, so equality of the paths
    alone would not catch a wrong column)."""
    cases = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(CASES_DIR.glob("*.json"))]
    cases = [c for c in cases if "reading_dependent" in c]
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(c["profile"]) + "\n" for c in cases), encoding="utf-8")
    summary, err = run(path, tmp_path / "out.csv", engine)
    assert err == "" and summary["written"] == len(cases)
    header, *rows = read_out(tmp_path / "out.csv")
    got = {r[0]: dict(zip(header, r)) for r in rows}
    for c in cases:
        row, keys = got[c["profile"]["id"]], set(c["expect"])  # a fixture speaks of the guidelines in expect
        dependent = [k for k in row["reading_dependent"].split(";") if k in keys]
        assert dependent == sorted(c["reading_dependent"]), c["profile"]["id"]
        pairs = [p.split("|") for p in row["complementary"].split(";") if p and set(p.split("|")) <= keys]
        assert pairs == sorted(sorted(p) for p in c.get("complementary", [])), c["profile"]["id"]
    assert any(row["reading_dependent"] for row in got.values())
    assert any(row["complementary"] for row in got.values())
