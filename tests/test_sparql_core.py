"""Issue 21: one field-agnostic SPARQL core. The profile queries read the criteria that
queries/materialise-criteria.rq flattens into the graph at load time, take profiles in long form
(?case ?field ?value), and derive the grade, T category and decision point a caller leaves out exactly
as `rnetkg compare` derives them; guideline-status and disagreements take the rows of the query
before them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rnetkg import compare, graph, queries
from rnetkg.criteria.load import model_for
from rnetkg.criteria.model import DEFAULT_CONTEXT
from rnetkg.engine import StoreEngine
from rnetkg.fields import CRITERIA_FIELDS

from conformance.profiles import random_profiles

CASES = sorted((Path(__file__).parent / "fixtures" / "cases").glob("*.json"))


def case_profiles():
    from rnetkg.profile import parse_profile

    return [(json.loads(p.read_text(encoding="utf-8"))["profile"], parse_profile(
        json.loads(p.read_text(encoding="utf-8"))["profile"])) for p in CASES]


def caller_rows(index: int, profile) -> list[str]:
    """The rows a caller writes from what the profile states, leaving every derived value out: the
    grade and T category unless stated, and the decision point."""
    values = {n: getattr(profile, n) for n in CRITERIA_FIELDS}
    if values.get("t_stage") is not None:
        values["t_stage"] = profile.t_category   # a stated T1a counts as T1 in the rows compare writes too
    return queries.long_rows(index, values, None)


def statuses(rows: list[dict]) -> dict:
    return {(r["case"], r["context"], r["rec"]): (r["status"], r["missing"]) for r in rows}


@pytest.fixture(scope="module")
def engine():
    return StoreEngine(graph.shared_store())


@pytest.fixture(scope="module")
def sample(engine):
    return [p for _, p in case_profiles()] + random_profiles(400, seed=21, model=model_for(engine))


def test_issue21_derived_values_left_out_give_the_same_rows(engine, sample):
    """Leaving the grade, T category and decision point unbound answers as `rnetkg compare` does: the
    core derives them (before, leaving the T category unbound gave 9 pairs where compare gives 14)."""
    q = queries.get("applicable-recommendations")
    given = engine.select(queries.with_rows(q, [r for i, p in enumerate(sample) for r in queries.profile_rows(i, p)]))
    left_out = engine.select(queries.with_rows(q, [r for i, p in enumerate(sample) for r in caller_rows(i, p)]))
    assert len(given) > 20 * len(sample)
    assert statuses(left_out) == statuses(given)


def test_issue21_a_t_category_left_out_gives_every_pair(engine):
    """The informatician's case of the issue: a 12 mm T1 node-positive tumour written without its T
    category gets every disagreement compare finds."""
    from rnetkg.profile import parse_profile

    p = parse_profile({"size_mm": 12, "ki67_percent": 1, "mitoses_per_2mm2": 1, "invasion_depth": "submucosa",
                       "lymphovascular_invasion": False, "lymph_nodes": "N1", "distant_metastasis": False,
                       "margin": "not_resected"})
    want = compare.compare(p, engine)["disagreements"]
    rows = caller_rows(0, p)
    assert not any("field_t_stage" in r or "field_grade" in r or "atDecisionPoint" in r for r in rows)
    text = queries.with_rows(queries.get("applicable-recommendations"), rows)
    text = queries.with_rows(queries.get("guideline-status"), queries.statement_rows(compare._select_text(engine, text)),
                             "statements")
    text = queries.with_rows(queries.get("disagreements"), queries.answer_rows(compare._select_text(engine, text)),
                             "answers")
    got = sorted(([r["guideline1"], r["guideline2"]], r["kind"]) for r in engine.select(text))
    assert got == sorted((d["guidelines"], d["kind"]) for d in want)
    assert len(got) >= 10


def test_issue21_stated_subcategories_count_as_their_category(engine):
    """A row may state T1b: the flattened criteria admit the categories within T1 (rnet:hasTCategory)."""
    from rnetkg.profile import parse_profile

    p = parse_profile({"size_mm": 15, "t_stage": "T1b", "lymph_nodes": "N0", "margin": "not_resected"})
    q = queries.get("applicable-recommendations")
    stated = [r.replace("ontology#T1>", "ontology#T1b>") for r in queries.profile_rows(0, p)]
    assert any("ontology#T1b>" in r for r in stated)
    assert statuses(engine.select(queries.with_rows(q, stated))) == \
        statuses(engine.select(queries.with_rows(q, queries.profile_rows(0, p))))


def test_issue21_a_case_without_decision_point_or_margin_has_no_rows(engine):
    rows = queries.long_rows(0, {"size_mm": 15.0, "lymph_nodes": "N0"}, None)
    assert engine.select(queries.with_rows(queries.get("applicable-recommendations"), rows)) == []


def test_issue21_a_case_none_of_whose_statements_applies_is_listed_silent(engine):
    """guideline-status takes a row naming a case alone: every guideline is listed, silent."""
    case = queries.case_iri(7)
    text = queries.with_rows(queries.get("guideline-status"), [f"(<{case}> UNDEF UNDEF UNDEF)"], "statements")
    rows = [r for r in engine.select(text) if r["context"] == DEFAULT_CONTEXT]
    assert [r["guideline"] for r in rows] == sorted(model_for(engine).guideline_keys)
    assert {r["status"] for r in rows} == {"silent"} and {r["case"] for r in rows} == {case}


def test_issue21_unknown_fields_are_named_missing(engine):
    """Without depth of invasion, the T category is unknown: NCCN's T1 row is possible, missing it."""
    rows = queries.long_rows(0, {"size_mm": 15.0, "ki67_percent": 1.0, "mitoses_per_2mm2": 1.0,
                                 "lymph_nodes": "N0", "margin": "not_resected"}, None)
    got = {r["rec"].rsplit("/kg/", 1)[1]: (r["status"], r["missing"])
           for r in engine.select(queries.with_rows(queries.get("applicable-recommendations"), rows))
           if r["context"] == DEFAULT_CONTEXT}
    assert got["nccn-2025/rec-t1"] == ("possible", "t_stage")


def test_issue21_the_flattened_table_lists_every_statement_with_criteria(engine):
    """Every statement with a criterion has flattened conditions under the default readings, unless it
    holds only under another reading; and the criteria model reads the same table."""
    model = model_for(engine)
    rows = engine.select("""PREFIX rnet: <https://w3id.org/rnetkg/ontology#>
        SELECT DISTINCT ?context ?rec WHERE { ?c a rnet:FlatCondition ; rnet:inReadingContext ?context ;
                                               rnet:conditionOf ?rec . }""")
    table = {}
    for r in rows:
        table.setdefault(r["context"], set()).add(r["rec"])
    assert {c: set(recs) for c, recs in model.context_criteria.items()} == table
    defaults = {iri for iri, s in model.statements.items() if s.criteria and
                (s.reading is None or model.readings[s.reading].default)}
    assert defaults == table[DEFAULT_CONTEXT]
    assert set(table) == set(model.contexts)
