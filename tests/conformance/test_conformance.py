"""One conformance suite (issue 10): every case fixture through every evaluator, and generated profiles
through the scalar, numpy and SPARQL paths, with the same statuses, modalities and disagreements.

The evaluators: the SPARQL queries on pyoxigraph, on rdflib's own engine and on a SPARQL endpoint
(the Oxigraph server), which define the answer; the criteria model's scalar evaluator (the reference
of the Python side); the numpy evaluator of the cohort path; and the OWL defined classes with Pellet
(which entail "applies" only, so they are compared on the statements that apply) and, on a sample,
HermiT. Like OAK's ComplianceTester, each evaluator is an adapter behind one interface and the same
assertions run against all of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from rnetkg import compare, serve
from rnetkg.criteria import owl
from rnetkg.criteria.load import model_for
from rnetkg.criteria.model import DEFAULT_CONTEXT
from rnetkg.vocab import PAIR_KINDS, STATUSES
from rnetkg.criteria.vectorised import columns_from_profiles, combination_answer, evaluate_readings, profile_classes
from rnetkg.endpoint import EndpointEngine
from rnetkg.engine import RdflibEngine, StoreEngine

from casefixtures import assert_case
from conftest import free_port

from .profiles import CASES, boundary_profiles, extreme_profiles, load_case, parse_all, random_profiles


@dataclass(frozen=True)
class Outcome:
    """What an evaluator says about one profile. ``statements`` (id, status, missing fields) and
    ``applies`` are None where the evaluator does not know them."""

    guidelines: tuple | None
    disagreements: tuple | None
    statements: frozenset | None = None
    applies: frozenset | None = None
    dependent: frozenset | None = None  # the reading-dependent guidelines (issue 11)


def _from_evaluation(e) -> Outcome:
    default = {g.key: (g.status, g.modalities) for g in e.guidelines}
    dependent = frozenset(g.key for _, answers in e.contexts for g in answers
                          if (g.status, g.modalities) != default[g.key])
    return Outcome(
        tuple((g.key, g.status, tuple(sorted(g.modalities))) for g in e.guidelines),
        tuple(sorted((*d["guidelines"], d["kind"]) for d in e.disagreements)),
        frozenset((r.statement.id, r.status, r.missing) for r in e.statements),
        frozenset(r.statement.id for r in e.statements if r.status == 1),
        dependent)


class Sparql:
    def __init__(self, engine, batch: int = 5000):
        self.engine, self.batch = engine, batch

    def outcomes(self, profiles):
        return [_from_evaluation(e) for start in range(0, len(profiles), self.batch)
                for e in compare.evaluate_profiles(profiles[start:start + self.batch], self.engine)]


class Scalar:
    def __init__(self, model):
        self.model = model

    def outcomes(self, profiles):
        return [_from_evaluation(self.model.evaluate_readings(p)) for p in profiles]


class Numpy:
    """The cohort path's evaluation: one representative per class of indistinguishable profiles."""

    def __init__(self, model):
        self.model = model

    def outcomes(self, profiles):
        cols = columns_from_profiles(profiles)
        classes, reps = profile_classes(self.model, cols)
        status, mods, dependent = evaluate_readings(self.model, cols.take(reps))
        out = []
        for c in classes:
            a = combination_answer(self.model, status[c], mods[c], dependent[c])
            out.append(Outcome(tuple((g["guideline"], g["status"], tuple(sorted(g["modalities"])))
                                     for g in a["guidelines"]),
                               tuple(sorted((*d["guidelines"], d["kind"]) for d in a["disagreements"])),
                               dependent=frozenset(g["guideline"] for g in a["guidelines"] if g["reading_dependent"])))
        return out


class Owl:
    def __init__(self, model, reasoner):
        self.statements = {s.iri: s for s in model.with_criteria()}
        self.reasoner = reasoner

    def outcomes(self, profiles):
        result = owl.classify(profiles, self.statements, reasoner=self.reasoner, batch_size=max(1, len(profiles)))
        return [Outcome(None, None, None, frozenset(self.statements[i].id for i in a)) for a in result.applies]


@pytest.fixture(scope="module")
def model():
    return model_for(StoreEngine())


@pytest.fixture(scope="module")
def endpoint_url(request):
    handle = serve.start_server(f"127.0.0.1:{free_port()}")
    request.addfinalizer(handle.stop)
    return handle.query_url


@pytest.fixture(scope="module")
def case_profiles():
    return parse_all(load_case(p)["profile"] for p in CASES)


EVALUATORS = ["sparql-pyoxigraph", "sparql-rdflib", "sparql-endpoint", "scalar", "numpy", "owl-pellet"]
_cache: dict[str, list[Outcome]] = {}


@pytest.fixture(scope="module")
def case_outcomes(request, model, case_profiles):
    def get(name: str) -> list[Outcome]:
        if name not in _cache:
            if name == "sparql-pyoxigraph":
                ev = Sparql(StoreEngine())
            elif name == "sparql-rdflib":
                ev = Sparql(RdflibEngine(), batch=4)  # rdflib joins are nested loops: small batches
            elif name == "sparql-endpoint":
                ev = Sparql(EndpointEngine(request.getfixturevalue("endpoint_url")))
            elif name == "scalar":
                ev = Scalar(model)
            elif name == "numpy":
                ev = Numpy(model)
            else:
                ev = Owl(model, "pellet")
            chosen = [p for p, c in zip(case_profiles, CASES) if name != "sparql-rdflib" or c.stem in RDFLIB_SAMPLE]
            outcomes = iter(ev.outcomes(chosen))
            _cache[name] = [next(outcomes) if name != "sparql-rdflib" or c.stem in RDFLIB_SAMPLE else None
                            for c in CASES]
        return _cache[name]
    return get


# rdflib's own engine is slow on the profile queries (nested-loop joins, every reading context):
# it runs a sample that covers every decision point, every reading and each kind of disagreement
RDFLIB_SAMPLE = {"initial-12mm-t1-node-positive", "initial-15mm-g2-by-mitoses", "initial-15mm-ki67-2.5",
                 "initial-15mm-muscularis-propria", "initial-25mm-metastasis-unknown", "metastatic-15mm",
                 "after-resection-5mm-positive-margin", "initial-10mm-at-boundary"}
FIXTURE_RUNS = [(e, p) for e in EVALUATORS for p in CASES if e != "sparql-rdflib" or p.stem in RDFLIB_SAMPLE]


@pytest.mark.parametrize("evaluator,path", FIXTURE_RUNS, ids=[f"{e}-{p.stem}" for e, p in FIXTURE_RUNS])
def test_case_fixture(evaluator, path, case_outcomes):
    """Each evaluator gives the fixture's hand-derived answer (OWL: the statements SPARQL says apply)."""
    i = CASES.index(path)
    case = load_case(path)
    got = case_outcomes(evaluator)[i]
    if got.guidelines is None:
        assert got.applies == case_outcomes("sparql-pyoxigraph")[i].applies
        return
    assert_case(case, {k: (s, m) for k, s, m in got.guidelines}, got.disagreements, got.dependent)
    if got.statements is not None:
        assert got.statements == case_outcomes("sparql-pyoxigraph")[i].statements


# ---------------------------------------------------------------- generated profiles

@pytest.fixture(scope="module")
def generated(model):
    profiles = boundary_profiles(model) + random_profiles(2500, seed=10, model=model) + extreme_profiles()
    return profiles, Sparql(StoreEngine()).outcomes(profiles)


def test_generated_profiles_cover_every_status_and_decision_point(generated):
    profiles, sparql = generated
    assert len(profiles) > 2700
    assert {p.decision_point for p in profiles} == {"initial_management", "after_local_resection",
                                                    "metastatic_disease"}
    assert {s for o in sparql for _, s, _ in o.guidelines} == set(STATUSES)
    assert {kind for o in sparql for *_, kind in o.disagreements} == set(PAIR_KINDS)
    assert {k for o in sparql for k in o.dependent} == {"ENETS-2023", "NCCN-2025", "CNETS", "ASCO-2023", "NICE-2024"}


@pytest.mark.parametrize("evaluator", ["scalar", "numpy"])
def test_generated_profiles_equal_sparql(evaluator, model, generated):
    profiles, sparql = generated
    ev = Scalar(model) if evaluator == "scalar" else Numpy(model)
    got = ev.outcomes(profiles)
    diff = [(p.id, p.size_mm, g, s) for p, g, s in zip(profiles, got, sparql)
            if (g.guidelines, g.disagreements, g.dependent) != (s.guidelines, s.disagreements, s.dependent)
            or (g.statements is not None and g.statements != s.statements)]
    assert not diff, f"{len(diff)} profiles differ, first: {diff[0]}"


def test_extreme_values_are_answered_alike_and_not_silenced(model):
    """1e-19 and 1e21 (and the ends of a float) give SPARQL the same answer as the model: no engine
    turns a value it cannot hold into silence (issue 13)."""
    profiles = extreme_profiles()
    assert len(profiles) == 8
    sparql = Sparql(StoreEngine()).outcomes(profiles)
    assert sparql == Scalar(model).outcomes(profiles)
    big = dict((k, s) for k, s, _ in sparql[1].guidelines)  # 1e21 mm, not resected
    tiny = dict((k, s) for k, s, _ in sparql[0].guidelines)  # 1e-19 mm: below every bound
    assert big["ENETS-2023"] != "silent" and big["NCCN-2025"] != "silent"
    assert tiny["ENETS-2023"] != "silent" and tiny["NCCN-2025"] != "silent"


@pytest.mark.slow
def test_pellet_equals_sparql_on_boundary_and_random_profiles(model):
    profiles = boundary_profiles(model) + random_profiles(60, model=model)
    assert len(profiles) > 250
    sparql = Sparql(StoreEngine()).outcomes(profiles)
    got = Owl(model, "pellet").outcomes(profiles)
    assert [o.applies for o in got] == [o.applies for o in sparql]


@pytest.mark.slow
def test_hermit_agrees_on_a_sample(model):
    profiles = boundary_profiles(model)[::40]
    sparql = Sparql(StoreEngine()).outcomes(profiles)
    assert [o.applies for o in Owl(model, "hermit").outcomes(profiles)] == [o.applies for o in sparql]


# ---------------------------------------------------------------- the check's grids

def test_check_grid_evaluation_equals_the_sparql_answer():
    """The analyses evaluate criteria in Python; on every grid profile that equals SPARQL's answer."""
    from rnetkg import graph, queries
    from rnetkg.check.coverage import grids
    from rnetkg.criteria.grid import Cell
    from rnetkg.profile import parse_profile

    store = graph.shared_store()
    profiles, own, expected = [], [], []
    for grid in grids(model_for(StoreEngine(store))):
        mine = {s.iri for s in grid.statements}
        for point, status in zip(grid.points, grid.status):
            profiles.append(parse_profile({k: (v.point if isinstance(v, Cell) else v) for k, v in point.items()}))
            own.append(mine)
            expected.append({iri for iri, st in status.items() if st == 1})
    assert len(profiles) > 500
    rows = StoreEngine(store).select(queries.with_profiles(queries.get("applicable-recommendations"), profiles))
    got = [set() for _ in profiles]
    for r in rows:
        if r["status"] == "applies" and r["context"] == DEFAULT_CONTEXT:
            got[int(r["case"].rsplit("/", 1)[1])].add(r["rec"])
    # each grid evaluates its own guideline's management recommendations at its decision point
    assert [g & o for g, o in zip(got, own)] == expected
