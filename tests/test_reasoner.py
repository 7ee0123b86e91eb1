"""The OWL reasoner classifies case profiles into the recommendations' defined classes exactly as
SPARQL evaluates them: on every boundary profile (just below, at and just above each bound, each
decision point, risk-factor combinations) and on a random sample, in one reasoner call."""

from __future__ import annotations

import random
from itertools import product

import pytest

from rnetkg import queries, reasoner
from rnetkg.compare import compare
from rnetkg.engine import StoreEngine
from rnetkg.profile import ProfileError, parse_profile

# (margin, distant_metastasis) -> the variants (indices into VARIANTS) tried there: every decision
# point, metastasis known and unknown; all variants at initial management, the fields that the
# after-resection and metastatic branches test elsewhere
SETTINGS = {
    ("not_resected", False): "all",
    ("not_resected", None): (0, 1, 2),
    ("negative", False): (0, 11),
    ("indeterminate", False): (7, 9, 10, 11),
    ("positive", None): (0, 11),
    ("not_resected", True): (0,),
    ("indeterminate", True): (0,),
}
NO_RISK = {"invasion_depth": "submucosa", "lymph_nodes": "N0", "lymphovascular_invasion": False, "ki67_percent": 1.0}
VARIANTS = [  # other fields: unknown, no risk factor, each risk factor alone, grade and T category
    {},
    NO_RISK,
    {**NO_RISK, "invasion_depth": "muscularis_propria"},
    {**NO_RISK, "lymph_nodes": "N1"},
    {**NO_RISK, "lymphovascular_invasion": True},
    {**NO_RISK, "ki67_percent": 2.0},
    {**NO_RISK, "ki67_percent": 2.1},
    {**NO_RISK, "grade": "G2", "ki67_percent": 5.0},
    {"invasion_depth": "submucosa", "lymph_nodes": "N0"},  # risk factors unknown: LVI and Ki-67 missing
    {"t_stage": "T1", "grade": "G1"},
    {"t_stage": "T1", "grade": "G3"},
    {"t_stage": "T2", "grade": "G2", "lymph_nodes": "N1"},
    {"t_stage": "T3", "grade": "G2", "lymph_nodes": "N0"},
]


@pytest.fixture(scope="module")
def statements():
    return reasoner.load_statements(StoreEngine())


def _parse_all(dicts):
    out = []
    for d in dicts:
        try:
            out.append(parse_profile(d))
        except ProfileError:
            pass  # a combination no profile can have (T1 above 20 mm)
    return out


def boundary_profiles(statements) -> list:
    bounds = sorted({b for s in statements.values() for c in s.criteria for a in c.atoms
                     if a.field == "size_mm" for b in (a.min, a.max) if b is not None})
    sizes = sorted({round(x, 1) for b in bounds for x in (b - 0.1, b, b + 0.1)} | {5.0, 15.0, 30.0})
    dicts = []
    for size, (margin, metastasis), (index, variant) in product(sizes, SETTINGS, enumerate(VARIANTS)):
        wanted = SETTINGS[(margin, metastasis)]
        if wanted != "all" and index not in wanted:
            continue
        d = {"id": f"b-{size}-{margin}-{metastasis}-{index}", "size_mm": size, "margin": margin, **variant}
        if metastasis is not None:
            d["distant_metastasis"] = metastasis
        dicts.append(d)
    return _parse_all(dicts)


def random_profiles(n: int, seed: int = 2025) -> list:
    rng = random.Random(seed)
    choices = {"grade": ["G1", "G2", "G3"], "invasion_depth": ["mucosa", "submucosa", "muscularis_propria", "subserosa"],
               "t_stage": ["T1", "T2", "T3", "T4"], "lymphovascular_invasion": [True, False],
               "lymph_nodes": ["N0", "N1"], "distant_metastasis": [True, False], "atypical_surface": [True, False]}
    out = []
    while len(out) < n:
        d = {"size_mm": round(rng.uniform(1, 40), 1),
             "margin": rng.choice(["not_resected", "not_resected", "negative", "indeterminate", "positive"])}
        for name, values in choices.items():
            if rng.random() < 0.5:
                d[name] = rng.choice(values)
        if rng.random() < 0.5:
            d["ki67_percent"] = round(rng.uniform(0, 30), 1)
        out += _parse_all([d])
    return out


def sparql_applies(profiles) -> list[set[str]]:
    rows = StoreEngine().select(queries.with_profiles(queries.get("applicable-recommendations"), profiles))
    out = [set() for _ in profiles]
    for r in rows:
        if r["status"] == "applies":
            out[int(r["case"].rsplit("/", 1)[1])].add(r["rec"])
    return out


@pytest.fixture(scope="module")
def profiles(statements):
    return boundary_profiles(statements) + random_profiles(60)


@pytest.fixture(scope="module")
def pellet(profiles, statements):
    return reasoner.classify(profiles, statements, reasoner="pellet", batch_size=len(profiles))


def test_enough_profiles_on_every_decision_point(profiles):
    assert len(profiles) >= 200
    assert {p.decision_point for p in profiles} == {"initial_management", "after_local_resection", "metastatic_disease"}


@pytest.mark.slow
def test_pellet_equals_sparql_on_boundary_and_random_profiles(profiles, pellet):
    expected = sparql_applies(profiles)
    mismatches = [(p.id, sorted(e ^ g)) for p, e, g in zip(profiles, expected, pellet.applies) if e != g]
    assert mismatches == []
    assert pellet.calls == 1
    assert sum(bool(e) for e in expected) > len(profiles) // 2  # most profiles have applicable statements


def test_python_evaluation_equals_sparql(profiles, statements):
    expected = sparql_applies(profiles)
    got = [{s.iri for s in statements.values()
            if s.status(reasoner.profile_values(p), p.decision_point) == 1} for p in profiles]
    assert got == expected


@pytest.mark.slow
def test_hermit_agrees_on_a_sample(profiles, statements):
    sample = profiles[::15]
    result = reasoner.classify(sample, statements, reasoner="hermit", batch_size=len(sample))
    assert result.applies == sparql_applies(sample)


def test_unknown_fields_do_not_entail_absence(statements, pellet, profiles):
    """A profile whose risk factors are partly unknown is not classified under 'no risk factors'."""
    idx = next(i for i, p in enumerate(profiles) if p.size_mm == 15.0 and p.decision_point == "initial_management"
               and p.lymphovascular_invasion is None and p.invasion_depth == "submucosa")
    assert not any(iri.endswith("pnnt-2022/rec-1-2cm-no-rf") for iri in pellet.applies[idx])
    assert any(iri.endswith("jnets-2019/rec-1-2cm-radical") for iri in pellet.applies[idx])


def test_generated_classes_use_decimal_facets(statements):
    from rdflib import Literal
    from rdflib.namespace import XSD

    g = reasoner.build_graph(statements.values(), [])
    facets = {o for s, p, o in g if p in (XSD.minInclusive, XSD.minExclusive, XSD.maxInclusive, XSD.maxExclusive)}
    assert facets and all(isinstance(o, Literal) and o.datatype == XSD.decimal for o in facets)
    assert Literal("2.0", datatype=XSD.decimal) in facets  # PNNT's Ki-67 > 2 %


def test_side_by_side_shows_both_answers():
    p = parse_profile({"id": "side", "size_mm": 15, "margin": "not_resected", "grade": "G1",
                       "invasion_depth": "submucosa", "lymphovascular_invasion": False, "lymph_nodes": "N0",
                       "ki67_percent": 1.5})
    text = reasoner.side_by_side(p, compare(p))
    assert "JNETS-2019" in text and "jnets-2019/rec-1-2cm-radical" in text
    assert "the reasoner and SPARQL agree" in text
    rows = [line for line in text.splitlines() if line.startswith(("ENETS", "NCCN", "PNNT", "JNETS", "CNETS", "CSCO"))]
    assert rows and all(line.rstrip().endswith("yes") for line in rows)


def test_no_java_is_reported(monkeypatch):
    monkeypatch.setattr(reasoner.shutil, "which", lambda name: None)
    with pytest.raises(reasoner.ReasonerUnavailable, match="java"):
        reasoner.classify([], {})
