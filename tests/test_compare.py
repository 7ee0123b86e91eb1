"""Issue 4: `rnetkg compare` on case fixtures derived from the seeds (tests/fixtures/cases/*.json).

Each fixture gives a profile, the expected status and modalities of every guideline, the expected
conflict and partial pairs, and optionally the recommendations and missing fields expected.
The expectations were worked out by hand from the recommendations in kg/, not from the engine.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rnetkg.engine import StoreEngine
from rnetkg import compare, queries
from rnetkg.criteria.load import model_for
from rnetkg.profile import parse_profile

CASES = sorted((Path(__file__).parent / "fixtures" / "cases").glob("*.json"))


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def answers():
    cases = [load(p) for p in CASES]
    profiles = [parse_profile(c["profile"]) for c in cases]
    return dict(zip([p.stem for p in CASES], compare.compare_profiles(profiles)))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path, answers):
    case = load(path)
    answer = answers[path.stem]
    got = {g["guideline"]: {"status": g["status"], "modalities": g["modalities"]} for g in answer["guidelines"]}
    assert got == case["expect"], case["why"]
    assert [x["guidelines"] for x in answer["disagreements"] if x["kind"] == "conflict"] == case["conflicts"]
    assert [x["guidelines"] for x in answer["disagreements"] if x["kind"] == "partial"] == case["partial"]
    assert [x["guidelines"] for x in answer["disagreements"] if x["kind"] == "complementary"] == \
        case.get("complementary", [])
    # issue 11: the guidelines whose answer changes under another reading, and each reading's answer
    assert [g["guideline"] for g in answer["guidelines"] if g["reading_dependent"]] == \
        sorted(case.get("reading_dependent", []), key=lambda k: [g["guideline"] for g in answer["guidelines"]].index(k))
    for key, readings in case.get("readings", {}).items():
        got_readings = {r["reading"]: [r["status"], r["modalities"]] for r in by_key_of(answer)[key]["readings"]}
        assert got_readings == readings, key
    by_key = {g["guideline"]: g for g in answer["guidelines"]}
    for key, ids in case.get("recommendations", {}).items():
        shown = sorted(r["id"] for r in by_key[key]["recommendations"] if r["status"] == "applies")
        assert shown == sorted(ids), key
    for key, fields in case.get("missing", {}).items():
        missing = sorted({f for r in by_key[key]["recommendations"] for f in r["missing"]})
        assert missing == sorted(fields), key


def by_key_of(answer):
    return {g["guideline"]: g for g in answer["guidelines"]}


def test_fixtures_cover_every_recommendation(answers, store_engine):
    """Every management and staging recommendation that holds under the default readings (referrals
    through their derived branches) applies in at least one fixture — except derived branches that no
    < 1 cm lesion can reach, and management rows that state an aim and no action (they decide no
    status); every other reading of a passage changes some fixture's answer (issue 11)."""
    model = model_for(store_engine)
    applied = {r["id"] for a in answers.values() for g in a["guidelines"] for r in g["recommendations"]
               if r["status"] == "applies"}
    all_recs = {s.id for s in model.statements_in().values()
                if s.guideline and "--via--" not in s.id and (s.modalities or s.kind != "management")}
    assert all_recs - applied == set()
    referrals = {"nccn-2025/rec-lt1cm-positive-margin", "nccn-2025/rec-lt1cm-indeterminate-g2"}
    assert {i.split("--via--")[0] for i in applied if "--via--" in i} == referrals
    shown = {r["reading"] for a in answers.values() for g in a["guidelines"] for r in g["readings"]}
    assert {r.id for r in model.readings.values()} - shown == set()


GRAPH_ORDER = ["ENETS-2023", "NCCN-2025", "PNNT-2022", "JNETS-2019", "CNETS", "CSCO-2022", "ASCO-2023", "NICE-2024"]


def test_answer_has_design_shape(answers):
    a = answers["initial-15mm-g1-low-risk"]
    assert set(a) >= {"profile", "derived", "guidelines", "disagreements"}
    assert a["profile"] == "initial-15mm-g1-low-risk"
    assert a["derived"] == {"grade": "G1", "t_stage": "T1b", "decision_point": "initial_management"}
    # every guideline key, silent ones included, in the graph's order (rnet:listPosition)
    assert [g["guideline"] for g in a["guidelines"]] == GRAPH_ORDER
    enets = next(g for g in a["guidelines"] if g["guideline"] == "ENETS-2023")
    assert enets["mdt"] is True
    rec = next(r for r in enets["recommendations"] if r["id"] == "enets-2023/rec-10-20mm")
    assert set(rec) >= {"id", "modalities", "procedures", "workup", "follow_up", "assumptions", "missing", "source"}
    assert rec["modalities"] == ["endoscopic_resection", "radical_surgery"]
    assert "endoscopic ultrasound (EUS)" in rec["workup"] and "pelvic MRI" in rec["workup"]
    assert rec["source"]["document"] == "10.4251/wjgo.v18.i1.114818"
    assert rec["source"]["quote"].startswith("For lesions 10-20 mm:")
    cnets = next(g for g in a["guidelines"] if g["guideline"] == "CNETS")
    assert any("union of the risk factors" in x for x in cnets["recommendations"][0]["assumptions"])
    for pair in (x["guidelines"] for x in a["disagreements"]):
        assert pair == sorted(pair)


def test_referral_answer_names_its_assumption(answers):
    a = answers["after-resection-5mm-positive-margin"]
    nccn = next(g for g in a["guidelines"] if g["guideline"] == "NCCN-2025")
    (rec,) = nccn["recommendations"]
    assert any("pathway for all other tumor sizes" in x for x in rec["assumptions"])
    assert rec["source"]["quote"].startswith("Indeterminate margin:")


def test_grade_derived_from_one_measure_is_stated():
    p = parse_profile({"size_mm": 15, "ki67_percent": 1, "margin": "not_resected", "invasion_depth": "submucosa"})
    a = compare.compare(p)
    csco = next(g for g in a["guidelines"] if g["guideline"] == "CSCO-2022")
    assert any("derived from the Ki-67 index alone" in x for x in csco["recommendations"][0]["assumptions"])


SPARQL_LIKE_IDS = [
    'x" } ; DROP ALL ; #',
    "> <https://evil.example/> UNDEF ) } SELECT * WHERE { ?s ?p ?o } #",
    "'''\n# </profiles>\n(UNDEF)",
]


@pytest.mark.parametrize("pid", SPARQL_LIKE_IDS)
def test_ids_that_look_like_sparql_are_data(pid, answers):
    base = load(Path(__file__).parent / "fixtures" / "cases" / "initial-15mm-g1-low-risk.json")["profile"]
    a = compare.compare(parse_profile(dict(base, id=pid)))
    assert a["profile"] == pid
    strip = lambda x: {k: v for k, v in x.items() if k != "profile"}
    assert strip(a) == strip(answers["initial-15mm-g1-low-risk"])


def test_profile_rows_hold_no_profile_text():
    p = parse_profile({"id": 'evil" } DROP ALL', "size_mm": 12, "margin": "not_resected"})
    for name in compare.PROFILE_QUERIES:
        text = compare.profile_query_text(name, [p], StoreEngine())
        assert "evil" not in text and "DROP" not in text


def test_many_profiles_in_one_query_equal_one_by_one(answers):
    cases = [load(p) for p in CASES[:6]]
    one_by_one = [compare.compare(parse_profile(c["profile"])) for c in cases]
    assert one_by_one == [answers[p.stem] for p in CASES[:6]]
