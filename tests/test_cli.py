"""The command line: clear one-line errors with exit code 2, help, the query catalogue."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rnetkg.cli import main

from casefixtures import answering_words

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "profile-15mm-g1.json"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path, data, name="p.json"):
    p = tmp_path / name
    p.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(p)


BASE = {"size_mm": 15, "margin": "not_resected"}
BAD = [
    ({"margin": "not_resected"}, "size_mm: is required"),
    ({"size_mm": 15}, "margin: is required"),
    ({**BASE, "size_mm": -1}, "size_mm: must be > 0"),
    ({**BASE, "size_mm": "15"}, "size_mm: must be a number"),
    ({**BASE, "size_mm": True}, "size_mm: must be a number"),
    ({**BASE, "grade": "G4"}, "grade: must be one of G1, G2, G3"),
    ({**BASE, "ki67_percent": 150}, "ki67_percent: must be 0-100"),
    ({**BASE, "mitoses_per_2mm2": -2}, "mitoses_per_2mm2: must be >= 0"),
    ({**BASE, "margin": "clear"}, "margin: must be one of not_resected, negative, indeterminate, positive"),
    ({**BASE, "lymphovascular_invasion": "yes"}, "lymphovascular_invasion: must be true or false"),
    ({**BASE, "colour": "red"}, "colour: unknown field; allowed fields: id, size_mm"),
    ({**BASE, "grade": "G1", "ki67_percent": 5}, "grade: stated G1 contradicts Ki-67 index 5"),
    ({**BASE, "grade": "G3", "ki67_percent": 5, "mitoses_per_2mm2": 1}, "grade: stated G3 contradicts"),
    ({**BASE, "size_mm": 25, "t_stage": "T1"}, "t_stage: stated T1 contradicts size 25 mm"),
    ({**BASE, "invasion_depth": "muscularis_propria", "t_stage": "T1"}, "t_stage: stated T1 contradicts"),
    ({**BASE, "id": 7}, "id: must be a string"),
    ([1, 2], "profile: must be a JSON object"),
]


@pytest.mark.parametrize("data,message", BAD, ids=[m.split(":")[0] + str(i) for i, (_, m) in enumerate(BAD)])
def test_bad_profile_is_one_line_exit_2(capsys, tmp_path, data, message):
    code, out, err = run(capsys, "compare", write(tmp_path, data))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err and "Traceback" not in err


def test_not_json_and_missing_file(capsys, tmp_path):
    code, _, err = run(capsys, "compare", write(tmp_path, "{size_mm: 3"))
    assert code == 2 and "is not valid JSON" in err
    code, _, err = run(capsys, "compare", str(tmp_path / "nope.json"))
    assert code == 2 and "not found" in err


def test_compare_json_matches_design(capsys):
    code, out, _ = run(capsys, "compare", str(EXAMPLE), "--format", "json")
    a = json.loads(out)
    assert code == 0 and a["profile"] == "example-15mm-g1"
    assert {g["guideline"]: g["status"] for g in a["guidelines"]}["JNETS-2019"] == "covered"
    assert {(tuple(d["guidelines"]), d["kind"], d["relation"]) for d in a["disagreements"]} >= {
        (("CSCO-2022", "JNETS-2019"), "conflict", "narrower")}


def test_compare_table_names_every_guideline_and_the_quotes(capsys):
    code, out, _ = run(capsys, "compare", str(EXAMPLE), "--detail")
    assert code == 0
    for key in ("ENETS-2023", "NCCN-2025", "PNNT-2022", "JNETS-2019", "CNETS", "CSCO-2022", "ASCO-2023", "NICE-2024"):
        assert key in out
    assert "Size 1-2 cm with no risk factors: Endoscopic resection" in out
    assert "conflict      CSCO-2022 vs JNETS-2019 [narrower]" in out and "[MDT decision]" in out
    # the summary view (no --detail): the split first, then one line per guideline, ending with the way to all
    code, out, _ = run(capsys, "compare", str(EXAMPLE))
    lines = out.splitlines()
    summary = " ".join(lines[2:lines.index("")])   # the summary line, wrapped
    assert summary.startswith(f"{answering_words(EXAMPLE)}; local excision — endoscopic: PNNT-2022;")
    assert "vs radical surgery: JNETS-2019" in summary and "ENETS-2023 either, by MDT" in summary
    assert len(lines) <= 40 and lines[-1].startswith("Every explanation, source and quote: rnetkg compare")


def test_compare_csv(capsys):
    code, out, _ = run(capsys, "compare", str(EXAMPLE), "--format", "csv")
    header, row = out.strip().splitlines()
    assert header.startswith("id,ENETS-2023.status,ENETS-2023.modalities,NCCN-2025.status")
    assert row.startswith("example-15mm-g1,covered,endoscopic_resection;radical_surgery,covered,")


def test_queries_lists_the_catalogue(capsys):
    code, out, _ = run(capsys, "queries")
    assert code == 0 and "risk-factor-definitions" in out and "qc/" not in out.split("risk-factor")[0][:0]


def test_query_with_params(capsys):
    code, out, _ = run(capsys, "query", "recommendations-by-guideline", "--param", "guideline=JNETS-2019",
                       "--format", "json")
    rows = json.loads(out)
    assert code == 0 and [r["rec"] for r in rows] == ["https://w3id.org/rnetkg/kg/jnets-2019/rec-1-2cm-radical"]


def test_query_a_profile_query_with_profile_files(capsys, store_engine):
    """`rnetkg query guideline-status --profile FILE`: the query's own rows for the profile, validated
    and derived as compare does; under the default readings the statuses of `rnetkg compare`, and
    under another reading a row only for the guidelines its passage touches."""
    from rnetkg.criteria.load import model_for

    model = model_for(store_engine)
    touched = {(r.iri, k) for r in model.readings.values() if not r.default for k in r.guidelines}
    node_positive = str(EXAMPLE.parent / "profile-12mm-t1-node-positive.json")
    code, out, _ = run(capsys, "query", "guideline-status", "--profile", str(EXAMPLE), "--profile", node_positive,
                       "--format", "json")
    rows = json.loads(out)
    assert code == 0 and {r["case"].rsplit("/", 1)[1] for r in rows} == {"0", "1"}
    for i, path in enumerate((str(EXAMPLE), node_positive)):
        code, out, _ = run(capsys, "compare", path, "--format", "json")
        answer = json.loads(out)
        mine = [r for r in rows if r["case"].endswith(f"/{i}")]
        assert {r["guideline"]: r["status"] for r in mine if r["context"].endswith("#DefaultReadings")} == \
            {g["guideline"]: g["status"] for g in answer["guidelines"]}
        # every guideline once under the default readings; elsewhere only the guidelines a reading touches
        default = [r["guideline"] for r in mine if r["context"].endswith("#DefaultReadings")]
        assert sorted(default) == sorted(model.guideline_keys)
        assert sorted((r["context"], r["guideline"]) for r in mine if not r["context"].endswith("#DefaultReadings")) \
            == sorted(touched)
    code, out, _ = run(capsys, "query", "disagreements", "--profile", str(EXAMPLE), "--format", "json")
    assert ("CSCO-2022", "JNETS-2019", "conflict") in {(r["guideline1"], r["guideline2"], r["kind"])
                                                       for r in json.loads(out)}


@pytest.mark.parametrize("argv,message", [
    (["query", "no-such-query"], "no query named 'no-such-query'"),
    (["query", "procedure-evidence", "--param", "colour=red"], "--param colour: query procedure-evidence takes no such parameter"),
    (["query", "procedure-evidence", "--param", "procedure"], "must be KEY=VALUE"),
    (["query", "guideline-status"], "evaluates case profiles: give one or more --profile PROFILE.json"),
    (["query", "guidelines", "--profile", str(EXAMPLE)], "--profile is for the queries that evaluate case profiles"),
    (["query", "guideline-status", "--profile", str(EXAMPLE), "--param", "a=b"], "takes no --param"),
    (["query", "guideline-status", "--profile", "/no/such/profile.json"], "query: profile file"),
    (["compare"], "give PROFILE.json or --cohort"),
    (["compare", str(EXAMPLE), "--cohort-engine", "sparql"], "--cohort-engine is for --cohort"),
    (["compare", "--format", "xml", "x.json"], "invalid choice: 'xml'"),
    (["nonsense"], "invalid choice: 'nonsense'"),
])
def test_usage_errors_exit_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    out = capsys.readouterr().out
    assert e.value.code == 0
    for cmd in ("compare", "query", "queries", "cohort", "check", "serve", "map"):
        assert cmd in out


def test_queries_name_describes_one_query(capsys):
    """Issue 12: `rnetkg queries NAME` shows what a query answers, its typed parameters and columns."""
    assert main(["queries", "caveats"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("caveats: The caveats of every statement")
    assert "  rec            an IRI (a statement)" in out and "  guideline      a key (a guideline)" in out
    assert "columns: rec, guideline, about, kind, note" in out
    assert main(["queries", "no-such-query"]) == 2
    assert "no query named 'no-such-query'" in capsys.readouterr().err


def test_a_field_given_twice_in_a_profile_file_is_one_line_exit_2(capsys, tmp_path):
    """Which value was meant? The page refuses a field given twice; so does a profile file (JSON keeps the
    last one silently)."""
    f = tmp_path / "dup.json"
    f.write_text('{"size_mm": 5, "margin": "not_resected", "size_mm": 12}', encoding="utf-8")
    code, out, err = run(capsys, "compare", str(f))
    assert code == 2 and out == "" and err.strip().splitlines() == [f"rnetkg: compare: {f}: size_mm: given more than once"]


def test_a_long_message_is_cut_between_words():
    """A line over 300 characters loses its middle, between two words: no field name is cut in half."""
    import re

    from rnetkg.errors import one_line

    names = [f"field_number_{i}" for i in range(40)]
    line = one_line("rnetkg: compare: invalid profile /tmp/p.json: foo: unknown field; allowed fields: "
                    + ", ".join(names))
    assert len(line) <= 300
    head, tail = line.split(" ... ")
    last, first = head.rsplit(" ", 1)[-1].rstrip(","), tail.split(" ", 1)[0].rstrip(",")
    assert last in names and first in names and names.index(last) < names.index(first)
    assert re.search(r"field_number_3[0-9]$", tail)
