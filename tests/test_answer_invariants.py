"""Issue 21: what every answer of `rnetkg compare` keeps, whatever the profile (DESIGN.md, compare JSON),
checked on every case fixture and on generated profiles; and the case fixtures themselves are well
formed (each asserts the guidelines it is about: tests/casefixtures.py).

The guideline keys and the modalities are read from the graph (queries/guidelines.rq and
queries/modalities.rq), so a guideline added to kg/ is held to the same rules with no change here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rnetkg import compare, graph, queries, vocab
from rnetkg.engine import StoreEngine
from rnetkg.profile import parse_profile

from casefixtures import CASES, assert_case, fixture_problems, load_case
from conformance.profiles import boundary_profiles, extreme_profiles, random_profiles

STATUSES = set(vocab.STATUSES)
ANSWERING = set(vocab.ANSWERING)
KINDS = set(vocab.PAIR_KINDS)
RELATIONS = {"equivalent", "narrower", "broader", "overlapping"}
DECISION_POINTS = {"initial_management", "after_local_resection", "metastatic_disease"}


def _graph_keys(engine) -> list[str]:
    return [r["guideline"] for r in engine.select(queries.get("guidelines").text)]


def _graph_modalities(engine) -> set[str]:
    return {r["modality"] for r in engine.select(queries.get("modalities").text)}


def guideline_problems(g: dict) -> list[str]:
    """What is wrong with one guideline's answer."""
    key, status, mods = g["guideline"], g["status"], g["modalities"]
    recs = g["recommendations"]
    applies = [r for r in recs if r["status"] == "applies"]
    possible = [r for r in recs if r["status"] == "possible"]
    out = []
    if status not in STATUSES:
        out.append(f"{key}: status {status!r}")
    if mods != sorted(set(mods)):
        out.append(f"{key}: modalities {mods} not sorted or repeated")
    if (status == "silent") != (g["silence"] is not None):
        out.append(f"{key}: status {status} with silence {g['silence']!r}")
    if status == "silent" and (mods or applies or possible):
        out.append(f"{key}: {status} but modalities {mods} or recommendations that apply or may apply")
    if status == "aim_only" and (mods or not g.get("aims") or any(r["modalities"] for r in applies)):
        out.append(f"{key}: aim_only but modalities {mods}, no aim, or a recommendation with modalities applies")
    if status in ANSWERING:
        if mods != sorted({m for r in applies for m in r["modalities"]}):
            out.append(f"{key}: modalities {mods} are not those of the recommendations that apply")
    if status == "covered" and not applies:
        out.append(f"{key}: covered with no recommendation that applies")
    if status == "ambiguous" and len({tuple(r["modalities"]) for r in applies if r["modalities"]}) < 2:
        out.append(f"{key}: ambiguous without two recommendations with different modalities")
    if status == "possible":
        if applies or not possible:
            out.append(f"{key}: possible with {len(applies)} applying and {len(possible)} possible recommendations")
        if any(not r["missing"] for r in possible):
            out.append(f"{key}: a possible recommendation names no missing field")
        if mods != sorted({m for r in possible for m in r["modalities"]}):
            out.append(f"{key}: modalities {mods} are not those of its possible recommendations")
    if any(r["status"] == "applies" and r["missing"] for r in recs):
        out.append(f"{key}: a recommendation that applies names missing fields")
    readings = g["readings"]
    if g["reading_dependent"]:
        defaults = [r for r in readings if r["default"]]
        passages = {r.get("passage") for r in readings}
        if len(defaults) != len(passages) or len({r.get("passage") for r in defaults}) != len(defaults):
            out.append(f"{key}: reading-dependent with {len(defaults)} default readings for {len(passages)} passages")
        elif any((d["status"], d["modalities"]) != (status, mods) for d in defaults):
            out.append(f"{key}: the default reading's answer is not the guideline's answer")
        if not any((r["status"], r["modalities"]) != (status, mods) for r in readings if not r["default"]):
            out.append(f"{key}: reading-dependent but no other reading changes the answer")
    elif readings:
        out.append(f"{key}: readings listed for a guideline that is not reading-dependent")
    return out


def answer_problems(a: dict, keys: list[str], modalities: set[str], profile) -> list[str]:
    """What is wrong with one answer, against the graph's guideline keys and modalities."""
    out = []
    got = [g["guideline"] for g in a["guidelines"]]
    if got != keys:
        out.append(f"guidelines {got} are not every key of the graph once, in its order {keys}")
    by = {g["guideline"]: g for g in a["guidelines"]}
    for g in a["guidelines"]:
        out += guideline_problems(g)
        if not set(g["modalities"]) <= modalities:
            out.append(f"{g['guideline']}: modalities {sorted(set(g['modalities']) - modalities)} are not in the graph")
    if a["derived"]["decision_point"] not in DECISION_POINTS:
        out.append(f"decision point {a['derived']['decision_point']!r}")
    answering = [k for k in got if by[k]["status"] in ANSWERING]
    if not a["summary"].startswith(f"{len(answering)} of {len(keys)} guidelines answer"):
        out.append(f"summary {a['summary']!r} does not count {len(answering)} of {len(keys)}")
    pairs = [tuple(d["guidelines"]) for d in a["disagreements"]]
    if len(set(pairs)) != len(pairs):
        out.append(f"a pair appears twice in {pairs}")
    for d in a["disagreements"]:
        pair = d["guidelines"]
        if len(pair) != 2 or pair != sorted(set(pair)):
            out.append(f"pair {pair} is not two sorted guideline keys")
            continue
        if not all(k in by and by[k]["status"] in ANSWERING for k in pair):
            out.append(f"pair {pair} is not between two answering guidelines")
            continue
        if d["kind"] not in KINDS or d["relation"] not in RELATIONS:
            out.append(f"pair {pair}: kind {d['kind']!r}, relation {d['relation']!r}")
        if d["modalities"] != {k: by[k]["modalities"] for k in pair}:
            out.append(f"pair {pair}: modalities {d['modalities']} are not the guidelines' answers")
        a_mods, b_mods = (set(by[k]["modalities"]) for k in pair)
        if a_mods == b_mods and d["kind"] != "complementary":
            out.append(f"pair {pair}: equal modalities, yet {d['kind']}")
        if d["kind"] == "conflict" and a_mods & b_mods:
            out.append(f"pair {pair}: a conflict with modalities in common")
    for i, x in enumerate(answering):
        for y in answering[i + 1:]:
            if set(by[x]["modalities"]) != set(by[y]["modalities"]) and tuple(sorted((x, y))) not in pairs:
                out.append(f"{x} and {y} answer differently and form no pair")
    fields = [m["field"] for m in a["missing_inputs"]]
    if len(set(fields)) != len(fields):
        out.append(f"a missing input is named twice: {fields}")
    for m in a["missing_inputs"]:
        if getattr(profile, m["field"], None) is not None:
            out.append(f"missing input {m['field']} is given in the profile")
        if not m["affects"] or not set(m["affects"]) <= set(keys):
            out.append(f"missing input {m['field']} affects {m['affects']}")
    affected = {k for m in a["missing_inputs"] for k in m["affects"]}
    for g in a["guidelines"]:
        if g["status"] == "possible" and g["guideline"] not in affected:
            out.append(f"{g['guideline']} is possible but no missing input names it")
    return out


@pytest.fixture(scope="module")
def graph_terms(store_engine):
    return _graph_keys(store_engine), _graph_modalities(store_engine)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_issue21_every_fixture_is_well_formed(path):
    assert fixture_problems(load_case(path)) == []


def test_issue21_fixtures_name_only_guidelines_of_the_graph(graph_terms):
    keys, _ = graph_terms
    named = {k for p in CASES for k in load_case(p)["expect"]}
    assert named <= set(keys)


def test_issue21_invariants_hold_on_every_fixture(graph_terms):
    keys, modalities = graph_terms
    cases = [load_case(p) for p in CASES]
    profiles = [parse_profile(c["profile"]) for c in cases]
    found = {p.id: answer_problems(a, keys, modalities, p)
             for p, a in zip(profiles, compare.compare_profiles(profiles))}
    assert {k: v for k, v in found.items() if v} == {}


def test_issue21_invariants_hold_on_generated_profiles(graph_terms, store_engine):
    from rnetkg.criteria.load import model_for

    keys, modalities = graph_terms
    model = model_for(store_engine)
    profiles = boundary_profiles(model)[::7] + random_profiles(300, seed=21, model=model) + extreme_profiles()
    answers = compare.compare_profiles(profiles)
    found = {p.id: answer_problems(a, keys, modalities, p) for p, a in zip(profiles, answers)}
    assert {k: v for k, v in found.items() if v} == {}
    # the sample reaches every status and every kind of pair
    assert {g["status"] for a in answers for g in a["guidelines"]} == STATUSES
    assert {d["kind"] for a in answers for d in a["disagreements"]} == KINDS
    assert any(g["reading_dependent"] for a in answers for g in a["guidelines"])


def test_issue21_the_invariants_catch_a_broken_answer(graph_terms):
    """Each check fires on an answer broken on purpose (so that passing means something)."""
    keys, modalities = graph_terms
    profile = parse_profile(load_case(CASES[0])["profile"] | {"size_mm": 15, "margin": "not_resected",
                                                             "ki67_percent": 1, "invasion_depth": "submucosa",
                                                             "lymph_nodes": "N0", "lymphovascular_invasion": False})
    good = compare.compare(profile)
    assert answer_problems(good, keys, modalities, profile) == []

    def broken(change):
        import copy

        a = copy.deepcopy(good)
        change(a)
        return answer_problems(a, keys, modalities, profile)

    by = lambda a, k: next(g for g in a["guidelines"] if g["guideline"] == k)  # noqa: E731
    assert any("not every key" in x for x in broken(lambda a: a["guidelines"].reverse()))
    assert any("not every key" in x for x in broken(lambda a: a["guidelines"].pop()))
    silent = next(g["guideline"] for g in good["guidelines"] if g["status"] == "silent")
    answering = [g["guideline"] for g in good["guidelines"] if g["status"] in ANSWERING]
    assert any("silent but modalities" in x
               for x in broken(lambda a: by(a, silent).update(modalities=["surveillance"])))
    assert any("not between two answering" in x for x in broken(lambda a: a["disagreements"].append(
        dict(good["disagreements"][0], guidelines=sorted([silent, answering[0]])))))
    assert any("not two sorted" in x for x in broken(lambda a: a["disagreements"][0]["guidelines"].reverse()))
    assert any("form no pair" in x for x in broken(lambda a: a["disagreements"].pop()))
    assert any("conflict with modalities in common" in x for x in broken(lambda a: [
        d.update(kind="conflict") for d in a["disagreements"] if d["kind"] == "partial"]))
    assert any("not sorted or repeated" in x
               for x in broken(lambda a: by(a, answering[0])["modalities"].reverse()
                               if len(by(a, answering[0])["modalities"]) > 1
                               else by(a, answering[0])["modalities"].append(by(a, answering[0])["modalities"][0])))
    assert any("does not count" in x for x in broken(lambda a: a.update(summary="1 of 1 guidelines answer")))
    assert any("readings listed" in x for x in broken(lambda a: by(a, silent)["readings"].append(
        {"reading": "x", "default": True, "status": "silent", "modalities": []})))
    assert any("is given in the profile" in x for x in broken(lambda a: a["missing_inputs"].append(
        {"field": "size_mm", "affects": [answering[0]]})))
    assert any("no missing input names it" in x for x in broken(lambda a: by(a, silent).update(
        status="possible", silence=None, recommendations=[{"status": "possible", "missing": ["grade"],
                                                           "modalities": []}])))


# ---------------------------------------------------------------- a ninth guideline

EXTRA = Path(__file__).parent / "fixtures" / "extra-guideline" / "test-extra.ttl"


@pytest.fixture(scope="module")
def ninth():
    """The shipped graph with the fictional guideline of tests/fixtures/extra-guideline/ beside it."""
    return StoreEngine(graph.load_store(extra=[EXTRA]))


def test_issue21_a_ninth_guideline_changes_no_case_fixture(ninth):
    """Every fixture still holds, and every answer keeps the invariants, when kg/ holds one guideline
    more (it answers at 5 mm and beyond 20 mm, so it takes part in pairs and in the answers)."""
    keys, modalities = _graph_keys(ninth), _graph_modalities(ninth)
    assert keys[-1] == "TEST-EXTRA" and "TEST-EXTRA" not in {k for p in CASES for k in load_case(p)["expect"]}
    cases = [load_case(p) for p in CASES]
    profiles = [parse_profile(c["profile"]) for c in cases]
    answers = compare.compare_profiles(profiles, ninth)
    for case, profile, a in zip(cases, profiles, answers):
        assert answer_problems(a, keys, modalities, profile) == [], profile.id
        assert_case(case, {g["guideline"]: (g["status"], g["modalities"]) for g in a["guidelines"]},
                    [(*d["guidelines"], d["kind"]) for d in a["disagreements"]],
                    [g["guideline"] for g in a["guidelines"] if g["reading_dependent"]])
    assert any("TEST-EXTRA" in d["guidelines"] for a in answers for d in a["disagreements"])
