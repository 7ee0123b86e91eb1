"""Every combination of readings of one guideline's passages is evaluated, and said (issue 27, item 6).

Passages of one guideline that bear on a common decision point can change one answer together:
kg/reading-combinations.ttl holds every combination of their other readings (written by
`python -m rnetkg.cli.readings`), each is a reading context of the profile queries and of the criteria model,
and an answer lists a combination when the guideline answers otherwise under it than under the default
readings and under each reading it combines.
"""

from __future__ import annotations

import itertools
from collections import defaultdict

import pytest

from rnetkg import paths, readings
from rnetkg.answer import reading_entries
from rnetkg.compare import evaluate_profiles
from rnetkg.criteria.evaluate import Evaluation, GuidelineResult
from rnetkg.criteria.load import model_for
from rnetkg.criteria.model import DEFAULT_CONTEXT
from rnetkg.words import readings_scope

from conformance.profiles import random_profiles

NCCN = "https://w3id.org/rnetkg/kg/nccn-2025/"


@pytest.fixture(scope="module")
def model(store_engine):
    return model_for(store_engine)


def test_the_combinations_file_is_the_one_generated_from_the_graph():
    """kg/reading-combinations.ttl is what `python -m rnetkg.cli.readings` writes for the graph as it is: a
    new reading or a new tie to one makes this fail until the file is written again."""
    shipped = (paths.artifact_dir("kg") / "reading-combinations.ttl").read_text(encoding="utf-8")
    assert shipped == readings.generated()


def test_every_combination_of_passages_that_bear_on_a_common_decision_point_is_a_context(model):
    """Derived here from the criteria model, not from the query that writes the file: a passage bears on
    a guideline at a decision point when one of its other readings changes the statements (or their
    criteria) of that guideline there. For each guideline and decision point, every set of two or more
    such passages and every choice of one other reading of each is a reading context, and no context
    combines anything else."""
    default = model.statements_in(DEFAULT_CONTEXT)
    bears: dict[tuple[str, str], set[str]] = defaultdict(set)
    others: dict[str, list[str]] = defaultdict(list)
    for r in model.readings.values():
        if r.default or r.combines:
            continue
        others[r.passage].append(r.iri)
        held = model.statements_in(r.iri)
        for iri in set(held) | set(default):
            s = model.statements[iri]
            a, b = held.get(iri), default.get(iri)
            if (a.criteria if a else None) != (b.criteria if b else None):
                for dp in s.decision_points:
                    bears[(s.guideline, dp)].add(r.passage)
    want = set()
    for passages in bears.values():
        for size in range(2, len(passages) + 1):
            for chosen in itertools.combinations(sorted(passages), size):
                want |= {frozenset(p) for p in itertools.product(*(others[c] for c in chosen))}
    got = {model.readings[c].parts for c in model.contexts if model.readings.get(c) and model.readings[c].combines}
    assert got == want
    # NCCN's five passages: four bear on the answer after a local excision together (11 combinations);
    # the metastatic passage bears on metastatic disease alone
    assert len([p for p in got if all(r.startswith(NCCN) for r in p)]) == 11
    assert not any(r.endswith("reading-metastatic-cytoreduction") for p in got for r in p)
    for c in model.contexts[1:]:
        r = model.readings[c]
        assert not r.default
        assert len({model.readings[x].passage for x in r.parts}) == len(r.parts)


def test_a_combination_holds_each_statement_its_readings_hold(model):
    """In a combination's context a statement of the guideline tied to a reading holds exactly when the
    combination reads that reading's passage that way, or the reading is its passage's default and the
    combination reads that passage by default (queries/materialise-criteria.rq)."""
    checked = 0
    for c in model.contexts[1:]:
        combo = model.readings[c]
        if not combo.combines:
            continue
        passages = {model.readings[r].passage for r in combo.parts}
        held = model.statements_in(c)
        for iri, s in model.statements.items():
            if s.reading is None or s.guideline not in combo.guidelines or not s.criteria:
                continue
            tie = model.readings[s.reading]
            expected = s.reading in combo.parts or (tie.default and tie.passage not in passages)
            assert (iri in held) == expected, (c, iri)
            checked += 1
    assert checked > 50


def test_the_profile_queries_answer_every_combination_as_the_criteria_model(store_engine, model):
    """compare's SPARQL path (guideline-status.rq rows per reading context) and the criteria model give
    each guideline the same answer in every combination of readings, for generated profiles."""
    profiles = random_profiles(120, seed=27, model=model)
    combos = [c for c in model.contexts if model.readings.get(c) and model.readings[c].combines]
    differs = 0
    for profile, evaluation in zip(profiles, evaluate_profiles(profiles, store_engine, statements=False)):
        expected = model.evaluate_readings(profile)
        got = dict(evaluation.contexts)
        want = dict(expected.contexts)
        for c in combos:
            assert [(g.key, g.status, g.modalities) for g in got[c]] == \
                [(g.key, g.status, g.modalities) for g in want[c]], (profile.id, c)
            differs += any((g.status, g.modalities) != (d.status, d.modalities)
                           for g, d in zip(want[c], expected.guidelines))
    assert differs > 10   # the combinations do change answers from the default readings' for some


def _evaluation(model, answers: dict[str, tuple[str, tuple[str, ...]]]) -> tuple[Evaluation, GuidelineResult]:
    default = GuidelineResult("NCCN-2025", "covered", ("endoscopic_resection",))
    contexts = tuple((c, (GuidelineResult("NCCN-2025", *answers.get(c, (default.status, default.modalities))),))
                     for c in model.contexts[1:])
    return Evaluation((), (default,), (), contexts), default


def test_a_combination_is_listed_only_when_it_answers_otherwise_than_each_reading_it_combines(model):
    """The answer lists a combination whose answer differs from the default readings' and from each of its
    readings read alone (with the default reading of each passage concerned), names the readings it
    combines, and says that every combination was evaluated; a combination that answers as one of its
    readings adds no line."""
    node, size = NCCN + "reading-node-positive-t2-t4", NCCN + "reading-size-branches-t2-radical"
    both = next(c for c in model.contexts[1:] if model.readings[c].parts == {node, size})
    radical = ("covered", ("radical_surgery",))
    evaluation, default = _evaluation(model, {node: radical, size: ("silent", ()), both: ("covered", ("chemoradiation",))})
    entries = reading_entries(model, evaluation, default)
    assert [(e["reading"], e["default"], e["status"]) for e in entries] == [
        ("nccn-2025/reading-node-positive-any-t", True, "covered"),
        ("nccn-2025/reading-node-positive-t2-t4", False, "covered"),
        ("nccn-2025/reading-size-branches-as-laid-out", True, "covered"),
        ("nccn-2025/reading-size-branches-t2-radical", False, "silent"),
        (model.readings[both].id, False, "covered")]
    assert sorted(entries[-1]["combines"]) == ["nccn-2025/reading-node-positive-t2-t4", "nccn-2025/reading-size-branches-t2-radical"]
    assert entries[-1]["modalities"] == ["chemoradiation"]
    assert "Every combination of their readings was evaluated" in readings_scope(entries)
    # the same combination answering as the node-positive reading alone: not listed
    evaluation, default = _evaluation(model, {node: radical, size: ("silent", ()), both: radical})
    entries = reading_entries(model, evaluation, default)
    assert not any(e.get("combines") for e in entries)
    assert len(entries) == 4
    # a combination that alone changes the answer brings the default readings of both passages
    evaluation, default = _evaluation(model, {both: radical})
    entries = reading_entries(model, evaluation, default)
    assert {(e["reading"], e["default"]) for e in entries[:2]} == {
        ("nccn-2025/reading-node-positive-any-t", True), ("nccn-2025/reading-size-branches-as-laid-out", True)}
    assert [(e["reading"], e["default"], e["status"]) for e in entries[2:]] == [(model.readings[both].id, False, "covered")]


def test_the_answers_say_that_the_combinations_were_evaluated(store_engine, model):
    """A 9.9 mm tumour into the submucosa, nodes not stated, not yet excised: NCCN's answer changes under
    the heading read to exclude tumours < 1 cm (silent) and under the node-positive branch read for T2-T4
    only (endoscopic or transanal excision). The two read together were evaluated (silent, as under the
    heading alone), so the combination adds no line, and the answer and the detail view say so."""
    from rnetkg.compare import compare
    from rnetkg.profile import derive
    from rnetkg.render import answer_table

    profile = derive({"id": "two-passages", "size_mm": 9.9, "invasion_depth": "submucosa", "margin": "not_resected"})
    heading, node = NCCN + "reading-heading-excludes-lt1cm", NCCN + "reading-node-positive-t2-t4"
    both = next(c for c in model.contexts[1:] if model.readings[c].parts == {heading, node})
    under = {c: next(g for g in gs if g.key == "NCCN-2025") for c, gs in model.evaluate_readings(profile).contexts}
    assert (under[heading].status, under[node].status, under[both].status) == ("silent", "covered", "silent")
    answer = compare(profile, store_engine)
    nccn = next(g for g in answer["guidelines"] if g["guideline"] == "NCCN-2025")
    assert [(r["reading"], r["status"]) for r in nccn["readings"]] == [
        ("nccn-2025/reading-branches-every-size", "possible"), ("nccn-2025/reading-heading-excludes-lt1cm", "silent"),
        ("nccn-2025/reading-node-positive-any-t", "possible"), ("nccn-2025/reading-node-positive-t2-t4", "covered")]
    said = readings_scope(nccn["readings"])
    assert said.startswith("The answer changes under readings of 2 passages. Every combination")
    detail = " ".join(answer_table(answer).split())
    assert "together The answer changes under readings of 2 passages." in detail
    assert readings_scope([{"passage": "a", "default": True}, {"passage": "a", "default": False}]) == ""


def test_two_readings_together_give_an_answer_neither_gives_alone(store_engine, model):
    """A 9.5 mm T2 tumour with positive nodes, excised with an indeterminate margin. NCCN under the default
    readings: chemoradiation or radical surgery. Its node-positive branch read for T2-T4 only: possible,
    any of five modalities; its size branches read to send T2 to radical surgery: as the default. The two
    read together: possible, chemoradiation, radical surgery or surveillance, which neither gives alone.
    The answer lists that combination, on the SPARQL path as in the criteria model."""
    from rnetkg.answer import answer
    from rnetkg.compare import compare
    from rnetkg.profile import derive

    profile = derive({"id": "t2-n1-indeterminate", "size_mm": 9.5, "t_stage": "T2", "lymph_nodes": "N1",
                      "margin": "indeterminate"})
    for a in (compare(profile, store_engine), answer(profile, model)):
        nccn = next(g for g in a["guidelines"] if g["guideline"] == "NCCN-2025")
        assert (nccn["status"], nccn["modalities"]) == ("covered", ["chemoradiation", "radical_surgery"])
        assert nccn["reading_dependent"]
        together = [r for r in nccn["readings"] if r.get("combines")]
        assert [(r["reading"], r["status"], r["modalities"]) for r in together] == [
            ("nccn-2025/combination-node-positive-t2-t4-and-size-branches-t2-radical", "possible",
             ["chemoradiation", "radical_surgery", "surveillance"])]
        assert sorted(together[0]["combines"]) == ["nccn-2025/reading-node-positive-t2-t4",
                                                   "nccn-2025/reading-size-branches-t2-radical"]
        alone = {r["reading"]: (r["status"], r["modalities"]) for r in nccn["readings"] if not r.get("combines")}
        assert alone["nccn-2025/reading-node-positive-t2-t4"] == (
            "possible", ["chemoradiation", "endoscopic_resection", "radical_surgery", "surveillance", "transanal_excision"])
        assert "nccn-2025/reading-size-branches-t2-radical" not in alone   # answers as the default alone
        assert {r["reading"] for r in nccn["readings"] if r["default"]} == {
            "nccn-2025/reading-node-positive-any-t", "nccn-2025/reading-size-branches-as-laid-out"}
