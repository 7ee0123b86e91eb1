"""Issue 3: the knowledge graph holds every recommendation of the seeds, each with its source.

The table pins how many statements each source holds, so that nothing disappears unnoticed."""

from __future__ import annotations

import re
from collections import Counter

import pytest
import rdflib
from rdflib.namespace import RDF

from rnetkg import graph, paths
from rnetkg.namespaces import RNET

R = rdflib.Namespace(RNET)

PINNED_RECOMMENDATIONS = {  # guideline key -> (management, staging, referral) recommendations
    "ENETS-2023": (4, 0, 0),
    # issue 11: + the node-positive branch for any T, + T2-T4 to radical surgery; issue 22: + the metastatic row read
    # as cytoreductive treatment, + the node-positive row beside the < 1 cm margin rows after a local excision
    "NCCN-2025": (12, 1, 2),
    "PNNT-2022": (3, 0, 0),
    "JNETS-2019": (1, 0, 0),
    "CNETS": (2, 0, 0),
    "CSCO-2022": (1, 0, 0),
    "ASCO-2023": (2, 0, 0),  # issue 11: the joint reading and the reading by the cited title
    "NICE-2024": (2, 0, 0),
}
PINNED_EDITORIAL = {"ConsensusSummary": 4, "AuthorPosition": 1, "TieredCareProposal": 2}
# definition -> number of components; CNETS's unlisted risk factors and the two lists it is read with
PINNED_RISK_FACTOR_DEFINITIONS = {"enets-2023/risk-factors": 3, "pnnt-2022/risk-factors": 4, "cnets/risk-factors": 0,
                                  "cnets/risk-factors-as-enets": 3, "cnets/risk-factors-as-pnnt": 4,
                                  "cnets/risk-factors-as-seed-001": 4}  # issue 22: seed 001's own determinants


@pytest.fixture(scope="module")
def kg():
    g = rdflib.Graph()
    for f in [*paths.ontology_files(), *paths.kg_files()]:
        g.parse(f)
    return g


def key_of(g, rec):
    return str(g.value(g.value(rec, R.issuedBy), R.guidelineKey))


def test_recommendation_counts_are_pinned(kg):
    """The seeds' guidelines keep their recommendations (a guideline added to kg/ has its own tests)."""
    counts = {k: [0, 0, 0] for k in PINNED_RECOMMENDATIONS}
    for i, cls in enumerate((R.ManagementRecommendation, R.StagingRecommendation, R.ReferralRecommendation)):
        for rec in kg.subjects(RDF.type, cls):
            counts.setdefault(key_of(kg, rec), [0, 0, 0])[i] += 1
    assert {k: tuple(counts[k]) for k in PINNED_RECOMMENDATIONS} == PINNED_RECOMMENDATIONS


def test_editorial_statement_counts_are_pinned(kg):
    assert {k: len(set(kg.subjects(RDF.type, R[k]))) for k in PINNED_EDITORIAL} == PINNED_EDITORIAL
    for cls in PINNED_EDITORIAL:
        for s in kg.subjects(RDF.type, R[cls]):
            assert kg.value(s, R.issuedBy) is None, "editorial statements keep their own source kind"


def test_risk_factor_definitions(kg):
    found = {}
    for d in kg.subjects(RDF.type, R.RiskFactorDefinition):
        owner = kg.value(d, R.definedBy)
        key = kg.value(owner, R.guidelineKey)
        if key is not None:
            name = str(d).split("/kg/", 1)[1]
            found[name] = len(list(kg.objects(d, R.component)))
            lists = kg.value(d, R.listsRiskFactors).toPython()
            assert lists == (found[name] > 0)
    assert found == PINNED_RISK_FACTOR_DEFINITIONS
    # PNNT keeps its strict sign: Ki-67 above 2 %
    ki67 = rdflib.URIRef("https://w3id.org/rnetkg/kg/pnnt-2022/rf-ki67")
    assert (kg.value(ki67, R.minValue).toPython(), kg.value(ki67, R.minInclusive).toPython()) == (2, False)
    assert kg.value(rdflib.URIRef("https://w3id.org/rnetkg/kg/cnets/risk-factors"), R.assumption) is not None


def test_every_statement_carries_document_locator_quote(kg):
    statements = set()
    for cls in (R.ManagementRecommendation, R.StagingRecommendation, R.ReferralRecommendation,
                R.ConsensusSummary, R.AuthorPosition, R.TieredCareProposal, R.RiskFactorDefinition):
        statements |= set(kg.subjects(RDF.type, cls))
    assert len(statements) >= 35
    for s in statements:
        src = kg.value(s, R.source)
        assert src is not None, s
        assert kg.value(src, R.inDocument) is not None and kg.value(src, R.locator) is not None, s
        assert list(kg.objects(src, R.quote)), s


def test_guideline_recommendations_cite_their_reference(kg):
    expected = {"ENETS-2023": {"[76]", "[9]"}, "NCCN-2025": {"[77]", "[11]"}, "PNNT-2022": {"[78]"},
                "JNETS-2019": {"[8]"}, "CNETS": {"[10]"}, "CSCO-2022": {"[12]"}, "ASCO-2023": {"[5]"},
                "NICE-2024": {"[6]"}}
    found = {k: set() for k in expected}
    for cls in (R.ManagementRecommendation, R.StagingRecommendation, R.ReferralRecommendation):
        for rec in kg.subjects(RDF.type, cls):
            found.setdefault(key_of(kg, rec), set()).add(kg.value(kg.value(rec, R.source), R.citedReference))
    assert {k: {str(x) for x in found[k]} for k in expected} == expected
    # a guideline added to kg/ cites its reference too
    assert {k: refs for k, refs in found.items() if None in refs} == {}


def _norm(text):
    return re.sub(r"\s+", " ", text).strip()


def test_every_quote_is_verbatim_in_its_seed(kg):
    seeds = paths.seeds_dir()
    assert seeds is not None, "the seed articles are expected in ../shared/seeds"
    texts = {}
    for doc in kg.subjects(RDF.type, R.SourceDocument):
        stem = kg.value(doc, rdflib.namespace.DCTERMS.identifier)
        texts[doc] = _norm((seeds / f"{stem}.txt").read_text(encoding="utf-8"))
    checked = 0
    for excerpt, quote in kg.subject_objects(R.quote):
        doc = kg.value(excerpt, R.inDocument)
        assert _norm(str(quote)) in texts[doc], f"{excerpt}: {quote[:60]}"
        checked += 1
    assert checked >= 270


def test_sizes_keep_their_as_written_text_and_signs(kg):
    q = """SELECT ?c ?w ?min ?mi ?max ?ma WHERE { ?c rnet:onField rnet:field_size_mm ; rnet:asWritten ?w .
           OPTIONAL { ?c rnet:minValue ?min ; rnet:minInclusive ?mi } OPTIONAL { ?c rnet:maxValue ?max ; rnet:maxInclusive ?ma } }"""
    py = lambda t: None if t is None else t.toPython()
    rows = {str(r.c).rsplit("/kg/", 1)[1]: (str(r.w), py(r.min), py(r.mi), py(r.max), py(r.ma))
            for r in kg.query(q, initNs={"rnet": R})}
    assert rows["enets-2023/rec-le10mm-size"] == ("≤ 10 mm", None, None, 10, True)
    assert rows["enets-2023/rec-10-20mm-size"] == ("10-20 mm", 10, True, 20, True)
    assert rows["enets-2023/rec-ge20mm-size"] == ("≥ 20 mm", 20, True, None, None)
    assert rows["nccn-2025/size-lt1cm"] == ("Very small (< 1 cm)", None, None, 10, False)
    assert rows["nccn-2025/size-gt2cm"] == ("Size > 2 cm", 20, False, None, None)
    assert rows["pnnt-2022/size-1-2cm"] == ("Size 1-2 cm", 10, True, 20, True)


def test_vague_places_are_recorded(kg):
    notes = {str(s).rsplit("/kg/", 1)[-1] for s in kg.subjects(R.vaguenessNote, None)}
    for where in ("enets-2023/rec-ge20mm", "enets-2023/rec-10-20mm", "enets-2023/risk-factors", "pnnt-2022/risk-factors",
                  "cnets/risk-factors", "nccn-2025/rec-lt1cm-positive-margin", "nccn-2025/rec-lt1cm-indeterminate-g2",
                  "asco-2023/rec-metastatic", "nice-2024/rec-metastatic", "wjg-2025-114263/tiered-medium-referral"):
        assert where in notes, where


def test_referrals_expand_into_one_branch_each(kg):
    store = graph.load_store()
    derived = [str(r[0].value) for r in store.query(
        "SELECT ?d WHERE { ?d a <https://w3id.org/rnetkg/ontology#DerivedRecommendation> ; "
        "<https://w3id.org/rnetkg/ontology#resolvesReferral> ?referral }")]
    branches = Counter(d.split("--via--")[1] for d in derived)
    assert branches == Counter({b: 2 for b in ("rec-t1", "rec-t2-t4-workup", "rec-le2cm", "rec-gt2cm", "rec-node-positive",
                                               "rec-node-positive-any-t", "rec-t2-t4-radical")})
    # a derived recommendation holds under the reading its branch holds under (issue 11)
    tied = {str(r[0].value).rsplit("/", 1)[1]: str(r[1].value).rsplit("/", 1)[1] for r in store.query(
        "SELECT ?d ?r WHERE { ?d a <https://w3id.org/rnetkg/ontology#DerivedRecommendation> ; "
        "<https://w3id.org/rnetkg/ontology#holdsUnderReading> ?r }")}
    assert tied["rec-lt1cm-positive-margin--via--rec-node-positive-any-t"] == "reading-node-positive-any-t"
    assert tied["rec-lt1cm-positive-margin--via--rec-le2cm"] == "reading-size-branches-as-laid-out"
    assert "rec-lt1cm-positive-margin--via--rec-t1" not in tied


def test_same_expansion_on_both_engines():
    from rdflib.compare import isomorphic

    store = graph.load_store()
    ox_graph = rdflib.Graph()
    for t in store.query(open(paths.query_dir() / "expand-referrals.rq").read()):
        ox_graph.add(tuple(_to_rdflib(x) for x in (t.subject, t.predicate, t.object)))
    g = rdflib.Graph()
    for f in [*paths.ontology_files(), *paths.kg_files()]:
        g.parse(f)
    rd_graph = rdflib.Graph()
    for t in g.query(open(paths.query_dir() / "expand-referrals.rq").read()):
        rd_graph.add(t)
    assert len(rd_graph) > 100 and isomorphic(ox_graph, rd_graph)


def _to_rdflib(term):
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.Literal):
        dt = term.datatype.value if term.datatype else None
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        if dt == "http://www.w3.org/2001/XMLSchema#string":  # RDF 1.1: a simple literal is an xsd:string
            return rdflib.Literal(term.value)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(dt) if dt else None)
    return rdflib.BNode(term.value)


# ---------------------------------------------------------------- issue 11: fidelity fixes

KG_NS = rdflib.Namespace("https://w3id.org/rnetkg/kg/")
ED = rdflib.Namespace("https://w3id.org/rnetkg/kg/wjg-2025-114263/")


def test_nccn_1_2cm_follow_up_is_endoscopic_and_imaging(kg):
    """Seed 001: 'including both endoscopic and imaging follow-up'."""
    plan = KG_NS["nccn-2025/rec-1-2cm-follow-up"]
    assert set(kg.objects(plan, R.followUpBy)) == {R.Endoscopy, R.Imaging}
    assert "both endoscopic and imaging follow-up" in str(kg.value(plan, R.followUpText))


def test_tiered_care_medium_branch_is_a_referral_not_esd(kg):
    """Seed 001: 'centralize their management at regional medical centers equipped with ESD capabilities'."""
    rec = ED["tiered-medium-referral"]
    assert list(kg.objects(rec, R.recommendsAction)) == []
    assert kg.value(rec, R.refersToCareSetting) == R.RegionalMedicalCentre
    assert "node-positive" in str(kg.value(rec, R.vaguenessNote))


def test_editorial_position_rests_on_the_editorials_own_words(kg):
    """Issue 11: the quotes describing how Kim et al selected their patients belong to the study, not to
    the editorial's position."""
    pos = ED["position-1-2cm-endoscopic"]
    quotes = [str(q) for q in kg.objects(kg.value(pos, R.source), R.quote)]
    assert quotes and not any("Kim et al" in q or "unwilling" in q for q in quotes)
    assert any(q.startswith("Therefore, we advocate a risk-based strategy") for q in quotes)
    assert any("remains controversial" in q for q in quotes)
    assert set(kg.objects(pos, R.recommendsAction)) == {R.EndoscopicResection, R.ModifiedEMR}
    fields = {str(kg.value(c, R.onField)).split("#")[1] for c in kg.objects(pos, R.hasCriterion)}
    assert fields == {"field_size_mm", "field_t_stage", "field_lymph_nodes", "field_distant_metastasis"}


def test_editorial_prognosis_and_lnm_risk_sentences_are_recorded(kg):
    det = ED["prognostic-determinants"]
    assert set(kg.objects(det, R.aboutFactor)) == {R.TumourSize, R.DepthOfInvasion, R.TumourGrade, R.MitoticCount,
                                                   R.LymphovascularInvasion}
    assert str(kg.value(det, R.outcome)) == "prognosis"
    approach = ED["therapeutic-approach-localized"]
    assert set(kg.objects(approach, R.aboutFactor)) == {R.TumourSize}
    assert str(kg.value(approach, R.outcome)) == "lymph-node metastasis"
    for s in (det, approach):
        assert list(kg.objects(kg.value(s, R.source), R.quote)), s


def test_issue27_every_quote_fragment_has_a_web_annotation_selector(kg):
    """kg/selectors.ttl is what `python -m rnetkg.selectors` generates from the quotes and the seeds, and
    each selector holds: one per fragment of a quote; its exact text is the fragment as the seed writes
    it (line breaks aside) at its start and end; prefix + exact + suffix stands once in the seed."""
    from rnetkg import selectors

    seeds = paths.seeds_dir()
    assert seeds is not None, "the seed articles are expected in ../shared/seeds"
    shipped = paths.artifact_dir("kg") / "selectors.ttl"
    assert shipped.read_text(encoding="utf-8") == selectors.generated(paths.shipped_kg_files(), seeds), \
        "kg/selectors.ttl is stale: run python -m rnetkg.selectors"
    oa = rdflib.Namespace("http://www.w3.org/ns/oa#")
    texts = {doc: (seeds / f"{kg.value(doc, rdflib.namespace.DCTERMS.identifier)}.txt").read_text(encoding="utf-8")
             for doc in kg.subjects(RDF.type, R.SourceDocument)}
    checked = 0
    for excerpt in set(kg.subjects(R.quote, None)):
        seed = texts[kg.value(excerpt, R.inDocument)]
        fragments = sorted(_norm(str(q)) for q in kg.objects(excerpt, R.quote))
        chosen = list(kg.objects(excerpt, oa.hasSelector))
        assert sorted(_norm(str(kg.value(s, oa.exact))) for s in chosen) == fragments, excerpt
        for s in chosen:
            exact, start, end = str(kg.value(s, oa.exact)), int(kg.value(s, oa.start)), int(kg.value(s, oa.end))
            assert seed[start:end] == exact
            context = str(kg.value(s, oa.prefix)) + exact + str(kg.value(s, oa.suffix))
            assert seed.count(context) == 1, (excerpt, exact[:40])
            checked += 1
    assert checked == 298
