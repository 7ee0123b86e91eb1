"""The criteria model as OWL (rnetkg.criteria.owl): what the generated classes look like, what the
reasoner entails for partly unknown profiles, the side-by-side view and a missing Java. That the
reasoner classifies profiles exactly as SPARQL does is in tests/conformance/."""

from __future__ import annotations

import pytest

from rnetkg import reasoner
from rnetkg.compare import compare
from rnetkg.criteria import owl
from rnetkg.criteria.load import model_for
from rnetkg.engine import StoreEngine
from rnetkg.errors import ReasonerUnavailable
from rnetkg.profile import parse_profile


@pytest.fixture(scope="module")
def statements():
    return {s.iri: s for s in model_for(StoreEngine()).with_criteria()}


def test_unknown_fields_do_not_entail_absence(statements):
    """A profile whose risk factors are partly unknown is not classified under 'no risk factors'."""
    p = parse_profile({"size_mm": 15.0, "margin": "not_resected", "invasion_depth": "submucosa", "lymph_nodes": "N0"})
    (applies,) = owl.classify([p], statements, reasoner="pellet").applies
    assert not any(iri.endswith("pnnt-2022/rec-1-2cm-no-rf") for iri in applies)
    assert any(iri.endswith("jnets-2019/rec-1-2cm-radical") for iri in applies)


def test_generated_classes_use_decimal_facets(statements):
    from rdflib import Literal
    from rdflib.namespace import XSD

    g = owl.build_graph(statements.values(), [])
    facets = {o for s, p, o in g if p in (XSD.minInclusive, XSD.minExclusive, XSD.maxInclusive, XSD.maxExclusive)}
    assert facets and all(isinstance(o, Literal) and o.datatype == XSD.decimal for o in facets)
    assert Literal("2.0", datatype=XSD.decimal) in facets  # PNNT's Ki-67 > 2 %


def test_side_by_side_shows_both_answers():
    p = parse_profile({"id": "side", "size_mm": 15, "margin": "not_resected", "grade": "G1",
                       "invasion_depth": "submucosa", "lymphovascular_invasion": False, "lymph_nodes": "N0",
                       "ki67_percent": 1.5})
    from rnetkg.render import side_by_side_table

    answer = compare(p)
    rows, seconds = owl.side_by_side(p, answer)
    text = side_by_side_table(p, answer, rows, seconds, "pellet")
    assert "JNETS-2019" in text and "jnets-2019/rec-1-2cm-radical" in text
    assert "the reasoner and SPARQL agree" in text
    rows = [line for line in text.splitlines() if line.startswith(("ENETS", "NCCN", "PNNT", "JNETS", "CNETS", "CSCO"))]
    assert rows and all(line.rstrip().endswith("yes") for line in rows)


def test_no_java_is_reported(monkeypatch):
    monkeypatch.setattr(reasoner.shutil, "which", lambda name: None)
    with pytest.raises(ReasonerUnavailable, match="java"):
        owl.classify([], {})
