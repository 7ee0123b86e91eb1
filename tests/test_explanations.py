"""Issue 12: every answer says why. On real profiles: a risk factor that fires, a silence with its
reason, a missing input named as the field a user can supply (with what each value would give), a
caveat, and typed disagreements of every kind and relation; the explanations come from the criteria
model and the SPARQL path's answer carries the same ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rnetkg.answer import answer
from rnetkg.cli import main
from rnetkg.compare import compare
from rnetkg.criteria.load import model_for
from rnetkg.engine import StoreEngine
from rnetkg.profile import parse_profile

CASES = sorted((Path(__file__).parent / "fixtures" / "cases").glob("*.json"))


def by_key(a):
    return {g["guideline"]: g for g in a["guidelines"]}


def test_a_risk_factor_that_fires():
    """14 mm, Ki-67 4 %, LVI: PNNT switches to surgery, and the answer names the factors that did it."""
    a = compare(parse_profile({"id": "rf", "size_mm": 14, "ki67_percent": 4, "lymphovascular_invasion": True,
                               "margin": "not_resected"}))
    (rec,) = [r for r in by_key(a)["PNNT-2022"]["recommendations"] if r["status"] == "applies"]
    assert rec["id"] == "pnnt-2022/rec-1-2cm-rf"
    rf = rec["risk_factors"]
    assert rf["definition"] == "PNNT risk factors"
    assert {(c["field"], c["value"]) for c in rf["present"]} == {("ki67_percent", 4), ("lymphovascular_invasion", True)}
    assert {c["field"] for c in rf["unknown"]} == {"invasion_depth", "lymph_nodes"} and rf["absent"] == []
    assert {"as_written": "Size 1-2 cm", "field": "size_mm", "value": 14, "result": "met"} in rec["criteria"]


def test_a_silence_with_its_reason():
    """18 mm removed with an indeterminate margin: every guideline is silent, each says why."""
    a = compare(parse_profile({"id": "s", "size_mm": 18, "margin": "indeterminate"}))
    g = by_key(a)
    assert {k: v["status"] for k, v in g.items()} == dict.fromkeys(g, "silent")
    assert g["ENETS-2023"]["silence"]["reason"] == ("the sources give no ENETS-2023 recommendation after a local "
                                                    "excision (it addresses initial management, metastatic disease)")
    nccn = g["NCCN-2025"]["silence"]
    assert nccn["reason"].startswith("none of its") and nccn["closest"]
    # the closest rows each fail one criterion: the follow-up that remains after a complete excision (issue
    # 22) fails the margin, the margin rows fail the size
    closest = {c["id"]: c["failed"] for c in nccn["closest"]}
    assert closest["nccn-2025/rec-1-2cm-local-excision-surveillance--after-excision--rec-1-2cm-follow-up"] == [
        {"as_written": "negative margin (complete local excision)", "field": "margin", "value": "indeterminate",
         "result": "failed"}]
    assert closest["nccn-2025/rec-lt1cm-indeterminate-g1"] == [
        {"as_written": "Very small (< 1 cm)", "field": "size_mm", "value": 18, "result": "failed"}]
    assert all(x["silence"] is None for x in by_key(compare(parse_profile({"size_mm": 5, "margin": "not_resected",
                                                                           "distant_metastasis": False})))
               .values() if x["status"] != "silent")


def test_an_aim_is_a_reason_not_an_action():
    """Issue 22: NCCN's metastatic row states an aim and names no treatment: aim_only, with the aim, no
    modality, in no pair; under the other reading of the row it recommends cytoreductive treatment."""
    a = compare(parse_profile({"size_mm": 15, "margin": "not_resected", "distant_metastasis": True}))
    nccn = by_key(a)["NCCN-2025"]
    assert (nccn["status"], nccn["modalities"], nccn["silence"]) == ("aim_only", [], None)
    assert nccn["aims"] == ["Management with aim of cytoreduction"]
    assert not any("NCCN-2025" in d["guidelines"] for d in a["disagreements"])
    assert {r["reading"]: (r["status"], r["modalities"]) for r in nccn["readings"]} == {
        "nccn-2025/reading-metastatic-aim-only": ("aim_only", []),
        "nccn-2025/reading-metastatic-cytoreduction": ("covered", ["cytoreduction"])}


def test_a_missing_input_is_a_field_the_user_can_supply():
    """Without invasion depth the T category is unknown: the answer asks for invasion_depth, never t_stage,
    and says what each depth would give."""
    a = compare(parse_profile({"id": "m", "size_mm": 15, "ki67_percent": 1, "lymphovascular_invasion": False,
                               "lymph_nodes": "N0", "margin": "not_resected"}))
    fields = {m["field"]: m for m in a["missing_inputs"]}
    assert "t_stage" not in fields and "invasion_depth" in fields
    depth = fields["invasion_depth"]
    assert "CSCO-2022" in depth["affects"]
    what = {w["value"]: w["answers"]["CSCO-2022"]["status"] for w in depth["what_if"]}
    assert what["submucosa"] == "covered" and what["muscularis_propria"] == "silent"
    assert by_key(a)["CSCO-2022"]["status"] == "possible"


def test_a_caveat_is_shown_beside_its_recommendation():
    a = compare(parse_profile({"size_mm": 15, "margin": "not_resected"}))
    rec = next(r for r in by_key(a)["ENETS-2023"]["recommendations"] if r["id"] == "enets-2023/rec-10-20mm")
    assert any(c.startswith("'For positive lesions' is not defined by the source") for c in rec["caveats"])


@pytest.fixture(scope="module")
def typed():
    out = {}
    for path in CASES:
        case = json.loads(path.read_text())
        a = compare(parse_profile(case["profile"]))
        for d in a["disagreements"]:
            out.setdefault(("kind", d["kind"]), (path.stem, d))
            out.setdefault(("relation", d["relation"]), (path.stem, d))
    return out


def test_typed_disagreements_of_every_kind_and_relation(typed):
    assert {v for k, v in typed if k == "kind"} == {"conflict", "partial", "level", "complementary"}
    assert {v for k, v in typed if k == "relation"} == {"equivalent", "narrower", "broader", "overlapping"}


def test_a_narrower_pair_names_what_separates_it():
    """15 mm G1 without risk factors: CNETS's local excision holds only without risk factors, JNETS's
    radical surgery for every 1-2 cm tumour, so CNETS's conditions are narrower, separated by CNETS's
    'patients without risk factors'."""
    a = compare(parse_profile({"size_mm": 15, "ki67_percent": 1, "invasion_depth": "submucosa",
                               "lymphovascular_invasion": False, "lymph_nodes": "N0", "margin": "not_resected"}))
    d = next(x for x in a["disagreements"] if x["guidelines"] == ["CNETS", "JNETS-2019"])
    assert (d["kind"], d["relation"]) == ("conflict", "narrower")
    assert d["separating_criteria"] == [{"guideline": "CNETS", "as_written": "patients without risk factors"}]
    assert d["modalities"] == {"CNETS": ["endoscopic_resection", "transanal_excision"], "JNETS-2019": ["radical_surgery"]}


def test_complementary_is_not_a_conflict():
    """ASCO's systemic therapy and NICE's liver-directed therapy lie outside each other's scope; ENETS's
    surgery of the primary (resectable metastases) and ASCO's therapy of the metastases have different
    targets (issue 22)."""
    a = compare(parse_profile({"size_mm": 25, "margin": "not_resected", "distant_metastasis": True,
                               "liver_metastasis": True, "metastases_resectable": True}))
    assert [(d["guidelines"], d["kind"]) for d in a["disagreements"]] == [
        (["ASCO-2023", "ENETS-2023"], "complementary"), (["ASCO-2023", "NICE-2024"], "complementary"),
        (["ENETS-2023", "NICE-2024"], "complementary")]


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_the_sparql_answer_and_the_model_answer_are_the_same(path):
    """Explanations and all: statuses from the SPARQL queries, reasons from the criteria model."""
    p = parse_profile(json.loads(path.read_text())["profile"])
    assert compare(p) == answer(p, model_for(StoreEngine()))


def test_the_table_says_why(capsys, tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"id": "t", "size_mm": 12, "ki67_percent": 1, "invasion_depth": "submucosa",
                                "lymphovascular_invasion": False, "lymph_nodes": "N1", "margin": "not_resected"}))
    assert main(["compare", str(path), "--detail"]) == 0
    text = capsys.readouterr().out
    flat = " ".join(text.split())  # the table wraps long lines
    assert "NCCN-2025   COVERED    chemoradiation, radical surgery" in text
    assert ("depends default reading 'positive lymph nodes call for LAR, APR or chemoradiation whatever the T "
            "category': covered chemoradiation, radical surgery") in flat
    assert ("depends other reading 'the node-positive branch belongs to T2-T4 tumours only, as laid out': covered "
            "endoscopic resection, transanal excision") in flat
    assert "because presence of positive lymph nodes (N1)" in flat
    assert "why no recommendation for initial management in the sources" in flat


def test_readings_of_two_passages_say_that_their_combinations_were_evaluated(tmp_path, capsys):
    """A 9.9 mm T1 tumour, nodes unknown: NCCN's answer changes under readings of two passages (the
    heading's scope and the node-positive branch); the two read together were evaluated too (and answer
    as the heading alone, so no line of their own), and the detail view and the report say so. A guideline whose readings
    span one passage (CNETS's risk factors) says nothing of the kind."""
    from rnetkg.words import readings_scope

    profile = {"id": "two-passages", "size_mm": 9.9, "t_stage": "T1", "margin": "not_resected"}
    a = compare(parse_profile(profile))
    nccn = by_key(a)["NCCN-2025"]
    passages = {r["passage"] for r in nccn["readings"]}
    assert len(passages) == 2 and nccn["reading_dependent"]
    said = readings_scope(nccn["readings"])
    assert said.startswith("The answer changes under readings of 2 passages") and "Every combination of their readings was evaluated too" in said
    one = [r for r in nccn["readings"] if r["passage"] == sorted(passages)[0]]
    assert readings_scope(one) == ""
    f = tmp_path / "p.json"
    f.write_text(json.dumps(profile))
    assert main(["compare", str(f), "--detail"]) == 0
    detail = " ".join(capsys.readouterr().out.split())   # the wrapped lines joined
    assert "together The answer changes under readings of 2 passages" in detail
    assert "a combination that answers as one of the readings it combines is not listed" in detail
    assert not any(r.get("combines") for r in nccn["readings"])
    assert main(["compare", str(f), "--format", "html"]) == 0
    html = capsys.readouterr().out
    assert html.count('class="note readings-scope"') == 1
