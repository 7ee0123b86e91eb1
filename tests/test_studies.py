"""Studies and study evidence of the two seeds (kg/studies/).

Pinned: the number of studies per file, the number of Table 2 rows of seed 000, the number of
figures of each kind, and a set of figures read back by SPARQL that must equal the seed.
Checked: every study has its design, cohort size (or a note that the seed does not give it) and
a source; every figure has a source; every quote is found verbatim in its seed; every number is
xsd:decimal or xsd:integer; every ontology term used exists.
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal

import pytest
import rdflib
from rdflib import RDF, RDFS, XSD, Literal, Namespace, URIRef

from rnetkg import paths

RNET = Namespace("https://w3id.org/rnetkg/ontology#")  # RNET["count"]: RNET.count is str.count
DCTERMS = Namespace("http://purl.org/dc/terms/")
PROV = Namespace("http://www.w3.org/ns/prov#")
STUDY = "https://w3id.org/rnetkg/kg/study/"
SEED000 = URIRef("https://w3id.org/rnetkg/kg/source/wjgo-2026-114818")
SEED001 = URIRef("https://w3id.org/rnetkg/kg/source/wjg-2025-114263")

TABLE2 = "wjgo-2026-114818-table2.ttl"
WJG = "wjg-2025-114263.ttl"
FILES = {TABLE2: SEED000, WJG: SEED001}

# ---------------------------------------------------------------- pinned counts
STUDIES_PER_FILE = {TABLE2: 15, WJG: 5}  # the JNETS figure is the guideline's, not a study's
# 15 Ref. cells; the O'Neill et al[82] entry spans three sub-rows with their own cells -> 17.
TABLE2_ROWS = 17
FIGURES_PER_FILE = {
    # issue 11: Kojima's LOH is a proportion only (its quote states no association with LNM): 52 -> 51
    TABLE2: {"ReportedProportion": 38, "EffectEstimate": 31, "CutPoint": 3, "RiskFactorFinding": 51,
             "OutcomeEvidence": 1, "ReportedFigure": 2},  # issue 22: + Tsang's mitotic count per high-power field
    WJG: {"ReportedProportion": 4, "OutcomeEvidence": 11},
}
# Seed 001 items that cannot be a study or a reported figure under the shapes (no design / no study
# given by the seed): the two references listed without in-text numbers, the group evidence (with ESD's
# indication, issue 11) and the biomarker statements.
WJG_LISTED_REFERENCES = {"hamada-2023", "li-2024"}
WJG_STATEMENTS = 8

TABLE2_LEVELS = {
    "hyun-2015": "AtBaseline", "wang-2021-ref81": "AtBaseline", "oneill-2021": "AtBaseline",
    "wei-2018": "AtBaseline", "kojima-2019": "AtBaseline", "concors-2018": "AtBaseline",
    "tie-2024": "AfterEndoscopicResection",
    "sohn-2017": "AfterEndoscopicResectionAndCurativeSurgery",
    "storino-2021": "AfterEndoscopicResectionAndCurativeSurgery",
    "sugimoto-2016": "AfterEndoscopicResectionAndCurativeSurgery",
    "tsang-2018": "AfterEndoscopicResectionAndCurativeSurgery",
    "kim-2016-ref91": "AfterCurativeSurgery", "takaoka-2025": "AfterCurativeSurgery",
    "ushigome-2019": "AfterCurativeSurgery", "wang-2021-ref94": "AfterCurativeSurgery",
}
TABLE2_DESIGN_PROSPECTIVE = {"wang-2021-ref94"}
TABLE2_WITHOUT_COHORT_SIZE = {"concors-2018", "sohn-2017", "storino-2021"}

FIGURE_KINDS = ("ReportedProportion", "EffectEstimate", "CutPoint", "RiskFactorFinding", "OutcomeEvidence", "ReportedFigure")
NUMERIC = {XSD.decimal, XSD.integer, XSD.double, XSD.float, XSD.int, XSD.long, XSD.short,
           XSD.nonNegativeInteger, XSD.positiveInteger}
DECIMAL_PROPS = (RNET.percentage, RNET.percentageLow, RNET.percentageHigh, RNET.estimate, RNET.ciLower,
                 RNET.ciUpper, RNET.pValue, RNET.cutPointValue)
INTEGER_PROPS = (RNET["count"], RNET.denominator, RNET.cohortSize)


def _path(name):
    return paths.artifact_dir("kg") / "studies" / name


@pytest.fixture(scope="module")
def graphs():
    return {name: rdflib.Graph().parse(_path(name)) for name in FILES}


@pytest.fixture(scope="module")
def g(graphs):
    union = rdflib.Graph()
    for gr in graphs.values():
        union += gr
    return union


@pytest.fixture(scope="module")
def onto():
    g = rdflib.Graph()
    for f in paths.ontology_files():
        g.parse(f)
    return g


@pytest.fixture(scope="module")
def sources():
    return rdflib.Graph().parse(paths.artifact_dir("kg") / "sources.ttl")


def _studies(gr):
    return set(gr.subjects(RDF.type, RNET.Study))


def _key(iri):
    return str(iri)[len(STUDY):]


def _one(g, query):
    rows = list(g.query("PREFIX rnet: <https://w3id.org/rnetkg/ontology#>\n" + query))
    assert len(rows) == 1, f"expected exactly one match, got {len(rows)}:\n{query}"
    return rows[0]


# ---------------------------------------------------------------- pinned counts

def test_studies_per_file(graphs):
    assert {name: len(_studies(gr)) for name, gr in graphs.items()} == STUDIES_PER_FILE


def test_table2_studies_and_levels(graphs):
    gr = graphs[TABLE2]
    got = {_key(s): str(gr.value(s, RNET.hasLevelOfAssessment)).split("#")[1] for s in _studies(gr)}
    assert got == TABLE2_LEVELS


def test_table2_row_count(graphs):
    """Rows as the table presents them: one per Ref. cell, O'Neill's entry three sub-rows."""
    gr = graphs[TABLE2]
    row = re.compile(r"^Table 2, row (.+?)(?:, sub-row (\d+) of (\d+))?$")
    keys = set()
    for loc in gr.objects(None, RNET.locator):
        m = row.match(str(loc))
        if m:
            keys.add((m.group(1), m.group(2)))
    assert len(keys) == TABLE2_ROWS
    assert len({ref for ref, _ in keys}) == len(TABLE2_LEVELS)
    assert {sub for ref, sub in keys if ref.startswith("O’Neill")} == {"1", "2", "3"}
    # every study has its row excerpt
    for s in _studies(gr):
        locs = [str(gr.value(x, RNET.locator)) for x in gr.objects(s, RNET.source)]
        assert any(row.match(loc) for loc in locs), s


def test_figures_per_file(graphs):
    for name, gr in graphs.items():
        got = Counter()
        for kind in FIGURE_KINDS:
            n = len(set(gr.subjects(RDF.type, RNET[kind])))
            if n:
                got[kind] = n
        assert dict(got) == FIGURES_PER_FILE[name], name


def test_wjg_listed_references_and_statements(graphs):
    gr = graphs[WJG]
    listed = {_key(s) for s in gr.subjects(RDF.type, PROV.Entity) if str(s).startswith(STUDY)}
    assert listed == WJG_LISTED_REFERENCES
    for key in listed:
        s = URIRef(STUDY + key)
        assert gr.value(s, RNET.bibliographicReference) is not None
        assert gr.value(s, RNET.aboutProcedure) is not None
        assert "no results" in str(gr.value(s, RNET.vaguenessNote))
    assert len(set(gr.subjects(RDF.type, RNET.Statement))) == WJG_STATEMENTS


# ---------------------------------------------------------------- figures read back by SPARQL

def test_hyun_multivariate_odds_ratios(g):
    r = _one(g, """
        SELECT ?lo ?hi ?p ?cmp WHERE {
          ?f a rnet:EffectEstimate ; rnet:reportedIn <https://w3id.org/rnetkg/kg/study/hyun-2015> ;
             rnet:aboutFactor rnet:AtypicalSurface ; rnet:hasMeasure rnet:measure_odds_ratio ; rnet:analysis "multivariate" ;
             rnet:estimate 27.44 ; rnet:ciLower ?lo ; rnet:ciUpper ?hi ; rnet:pValue ?p ; rnet:pComparator ?cmp . }""")
    assert (r.lo.toPython(), r.hi.toPython(), r.p.toPython(), str(r.cmp)) == (
        Decimal("5.96"), Decimal("126.34"), Decimal("0.001"), "<")
    r = _one(g, """
        SELECT ?est ?lo ?hi ?p WHERE {
          ?f a rnet:EffectEstimate ; rnet:reportedIn <https://w3id.org/rnetkg/kg/study/hyun-2015> ;
             rnet:aboutFactor rnet:TumourSize ; rnet:hasMeasure rnet:measure_odds_ratio ; rnet:estimate ?est ; rnet:ciLower ?lo ;
             rnet:ciUpper ?hi ; rnet:pValue ?p ; rnet:pComparator "=" . }""")
    assert [x.toPython() for x in r] == [Decimal("11.53"), Decimal("2.51"), Decimal("52.93"), Decimal("0.002")]


def test_sugimoto_ki67(g):
    r = _one(g, """
        SELECT ?aw ?p WHERE {
          ?f a rnet:EffectEstimate ; rnet:reportedIn <https://w3id.org/rnetkg/kg/study/sugimoto-2016> ;
             rnet:aboutFactor rnet:Ki67Index ; rnet:analysis "univariate" ; rnet:hasMeasure rnet:measure_odds_ratio ;
             rnet:estimate ?est ; rnet:asWritten ?aw ; rnet:pValue ?p ; rnet:pComparator "<" .
          FILTER (?est = 120) }""")
    assert str(r.aw) == "> 3.0%" and r.p.toPython() == Decimal("0.001")
    _one(g, """
        SELECT ?f WHERE {
          ?f a rnet:EffectEstimate ; rnet:reportedIn <https://w3id.org/rnetkg/kg/study/sugimoto-2016> ;
             rnet:aboutFactor rnet:Ki67Index ; rnet:analysis "multivariate" ; rnet:estimate ?est ; rnet:pValue ?p .
          FILTER (?est = 88 && ?p = 0.012) }""")


def test_concors_cut_point(g):
    rows = list(g.query("""
        PREFIX rnet: <https://w3id.org/rnetkg/ontology#>
        SELECT ?auc WHERE {
          ?c a rnet:CutPoint ; rnet:reportedIn <https://w3id.org/rnetkg/kg/study/concors-2018> ;
             rnet:cutPointValue 1.15 ; rnet:unit "cm" ; rnet:outcome ?o .
          ?a a rnet:EffectEstimate ; rnet:reportedIn <https://w3id.org/rnetkg/kg/study/concors-2018> ;
             rnet:hasMeasure rnet:measure_auc ; rnet:outcome ?o ; rnet:estimate ?auc . }"""))
    assert sorted(r.auc.toPython() for r in rows) == [Decimal("0.87"), Decimal("0.88")]
    r = _one(g, """
        SELECT ?c ?d ?pct WHERE {
          ?f rnet:reportedIn <https://w3id.org/rnetkg/kg/study/concors-2018> ; rnet:asWritten "≥ 1.15 cm" ;
             rnet:count ?c ; rnet:denominator ?d ; rnet:percentage ?pct . }""")
    assert (r.c.toPython(), r.d.toPython(), r.pct.toPython()) == (72, 449, Decimal("13.8"))


def test_ta_esd_trial(g):
    r = _one(g, """
        SELECT ?est ?unit ?p ?design WHERE {
          ?f a rnet:OutcomeEvidence ; rnet:reportedIn ?s ; rnet:aboutProcedure rnet:TractionAssistedESD ;
             rnet:hasMeasure rnet:measure_median_procedure_time ; rnet:estimate ?est ; rnet:unit ?unit ;
             rnet:pValue ?p ; rnet:pComparator "=" .
          ?s rnet:hasStudyDesign ?design ; rnet:publicationYear 2025 . }""")
    assert (r.est.toPython(), str(r.unit), r.p.toPython(), r.design) == (
        Decimal("7.3"), "min", Decimal("0.0054"), RNET.RandomisedControlledTrial)
    _one(g, """SELECT ?f WHERE { ?f rnet:aboutProcedure rnet:EndoscopicSubmucosalDissection ;
                 rnet:hasMeasure rnet:measure_median_procedure_time ; rnet:estimate 12.2 . }""")
    _one(g, """SELECT ?f WHERE { ?f rnet:aboutProcedure rnet:TractionAssistedESD ; rnet:hasMeasure rnet:measure_r0_rate ;
                 rnet:percentage ?pct . FILTER (?pct = 100) }""")


def test_meta_analysis_r0_rates(g):
    got = {}
    for r in g.query("""
        PREFIX rnet: <https://w3id.org/rnetkg/ontology#>
        SELECT ?proc ?pct WHERE {
          ?f a rnet:OutcomeEvidence ; rnet:reportedIn <https://w3id.org/rnetkg/kg/study/meta-analysis-ref18> ;
             rnet:hasMeasure rnet:measure_r0_rate ; rnet:aboutProcedure ?proc ; rnet:percentage ?pct . }"""):
        got[str(r.proc).split("#")[1]] = r.pct.toPython()
    assert got == {"EMRWithLigation": Decimal("94.5"), "EndoscopicSubmucosalDissection": Decimal("92.3"),
                   "ConventionalEMR": Decimal("72.3")}


def test_other_figures_as_written(g):
    # JNETS range
    r = _one(g, """SELECT ?lo ?hi WHERE { ?f rnet:reportedIn <https://w3id.org/rnetkg/kg/guideline/jnets-2019> ;
                   rnet:percentageLow ?lo ; rnet:percentageHigh ?hi . }""")
    assert (r.lo.toPython(), r.hi.toPython()) == (Decimal("18.5"), Decimal("30.4"))
    # Wang [94] multivariate HR
    r = _one(g, """SELECT ?lo ?hi ?p WHERE { ?f rnet:reportedIn <https://w3id.org/rnetkg/kg/study/wang-2021-ref94> ;
                   rnet:hasMeasure rnet:measure_hazard_ratio ; rnet:aboutFactor rnet:TumourDifferentiation ; rnet:estimate 6.002 ;
                   rnet:ciLower ?lo ; rnet:ciUpper ?hi ; rnet:pValue ?p . }""")
    assert [x.toPython() for x in r] == [Decimal("1.210"), Decimal("29.767"), Decimal("0.028")]
    # Takaoka: kept as written although 20/28 is not 39.2 %
    r = _one(g, """SELECT ?c ?d ?pct WHERE { ?f rnet:reportedIn <https://w3id.org/rnetkg/kg/study/takaoka-2025> ;
                   rnet:outcome "lymph-node metastasis" ; rnet:count ?c ; rnet:denominator ?d ; rnet:percentage ?pct . }""")
    assert (r.c.toPython(), r.d.toPython(), r.pct.toPython()) == (20, 28, Decimal("39.2"))
    # O'Neill 8/32, percentage written "25"
    r = _one(g, """SELECT ?pct WHERE { ?f rnet:reportedIn <https://w3id.org/rnetkg/kg/study/oneill-2021> ;
                   rnet:count 8 ; rnet:denominator 32 ; rnet:percentage ?pct . }""")
    assert str(r.pct) == "25" and r.pct.datatype == XSD.decimal
    # Storino 5-year survival 98.2 % (95%CI: 93-99.5)
    r = _one(g, """SELECT ?est ?lo ?hi WHERE { ?f rnet:reportedIn <https://w3id.org/rnetkg/kg/study/storino-2021> ;
                   rnet:hasMeasure rnet:measure_survival_5y ; rnet:estimate ?est ; rnet:ciLower ?lo ; rnet:ciUpper ?hi . }""")
    assert [str(x) for x in r] == ["98.2", "93", "99.5"]
    # Tsang: two countries
    assert {str(c) for c in g.objects(URIRef(STUDY + "tsang-2018"), RNET.country)} == {"Canada", "United States"}


# ---------------------------------------------------------------- completeness of every node

def test_every_study_is_complete(g):
    for s in _studies(g):
        assert g.value(s, RDFS.label) is not None, s
        designs = set(g.objects(s, RNET.hasStudyDesign))
        assert designs, f"{s} has no design"
        assert g.value(s, RNET.cohortSize) is not None or g.value(s, RNET.vaguenessNote) is not None, s
        assert set(g.objects(s, RNET.source)), s


def test_table2_study_fields(graphs):
    gr = graphs[TABLE2]
    for s in _studies(gr):
        key = _key(s)
        for p in (RNET.firstAuthor, RNET.country, RNET.cohortDescription, RNET.hasLevelOfAssessment):
            assert gr.value(s, p) is not None, (key, p)
        year = gr.value(s, RNET.publicationYear)  # xsd:integer: xsd:gYear is outside the OWL 2 datatype map
        assert year is not None and year.datatype == XSD.integer and str(year) == key.split("-")[1], key
        date = gr.value(s, DCTERMS.date)
        assert date is not None and date.datatype == XSD.gYear and str(date) == key.split("-")[1], key
        design = {str(d).split("#")[1] for d in gr.objects(s, RNET.hasStudyDesign)}
        assert design == ({"Prospective"} if key in TABLE2_DESIGN_PROSPECTIVE else {"Retrospective"}), key
        if key in TABLE2_WITHOUT_COHORT_SIZE:
            assert gr.value(s, RNET.cohortSize) is None and gr.value(s, RNET.vaguenessNote) is not None, key
        else:
            assert gr.value(s, RNET.cohortSize).datatype == XSD.integer, key


def test_every_figure_has_study_label_and_source(graphs):
    for name, gr in graphs.items():
        studies = _studies(gr)
        for kind in FIGURE_KINDS:
            for f in gr.subjects(RDF.type, RNET[kind]):
                assert gr.value(f, RDFS.label) is not None, f
                if f == JNETS_FIGURE:  # the guideline's figure: its IRI kept under the deprecated study node
                    assert str(gr.value(f, RNET.reportedIn)).endswith("/guideline/jnets-2019"), f
                    continue
                assert gr.value(f, RNET.reportedIn) in studies, f
                assert str(f).startswith(str(gr.value(f, RNET.reportedIn)) + "/"), f
                assert set(gr.objects(f, RNET.source)), f


def test_figure_kinds_carry_their_numbers(g):
    for f in g.subjects(RDF.type, RNET.EffectEstimate):
        assert g.value(f, RNET.hasMeasure) is not None and g.value(f, RNET.estimate) is not None, f
    for f in g.subjects(RDF.type, RNET.CutPoint):
        assert g.value(f, RNET.cutPointValue) is not None and g.value(f, RNET.unit) is not None, f
    for f in g.subjects(RDF.type, RNET.RiskFactorFinding):
        assert g.value(f, RNET.aboutFactor) is not None and g.value(f, RNET.outcome) is not None, f
    for f in g.subjects(RDF.type, RNET.ReportedProportion):
        assert any(g.value(f, p) is not None for p in (RNET["count"], RNET.percentage, RNET.percentageLow)), f
    for f in g.subjects(RDF.type, RNET.OutcomeEvidence):
        assert g.value(f, RNET.hasMeasure) is not None and g.value(f, RNET.aboutProcedure) is not None, f
        assert any(g.value(f, p) is not None for p in (RNET.estimate, RNET.percentage, RNET.valueText)), f
    for f, cmp in g.subject_objects(RNET.pComparator):
        assert str(cmp) in {"=", "<", ">"} and g.value(f, RNET.pValue) is not None, f
    for f, a in g.subject_objects(RNET.analysis):
        assert str(a) in {"univariate", "multivariate"}, f
    for f in g.subjects(RNET.ciLower, None):
        lo, hi, est = (g.value(f, p).toPython() for p in (RNET.ciLower, RNET.ciUpper, RNET.estimate))
        assert lo <= est <= hi, f


def test_issue27_every_confidence_interval_names_its_level_as_the_source_writes_it(g):
    """The level of an interval is data (rnet:confidenceLevel), not a label's '95%': each figure with an
    interval has the level its quote writes (every one of them '95%CI' or '95% CI')."""
    import re

    figures = set(g.subjects(RNET.ciLower, None))
    assert len(figures) == 6
    for f in figures:
        assert str(g.value(f, RNET.confidenceLevel)) == "0.95", f
        quotes = " ".join(str(q) for e in g.objects(f, RNET.source) for q in g.objects(e, RNET.quote))
        assert re.search(r"95\s?%\s?CI", quotes), (f, quotes)


def test_every_node_has_a_label(g):
    for s in set(g.subjects()):
        assert isinstance(s, URIRef), f"blank node {s}"
        assert g.value(s, RDFS.label) is not None, s


def test_every_source_is_a_complete_excerpt(graphs):
    for name, gr in graphs.items():
        for node, x in gr.subject_objects(RNET.source):
            assert (x, RDF.type, RNET.SourceExcerpt) in gr, x
            assert str(x) == str(node) + "/source" or str(x).startswith(str(node) + "/"), x
            assert gr.value(x, RNET.inDocument) == FILES[name], x
            assert len(list(gr.objects(x, RNET.locator))) == 1, x
            assert list(gr.objects(x, RNET.quote)), x


# ---------------------------------------------------------------- quotes and numbers

def _norm(text):
    return re.sub(r"\s+", " ", text).strip()


def test_every_quote_is_in_its_seed(g, sources):
    seeds = paths.seeds_dir()
    if seeds is None:
        pytest.skip("seed articles not found (set $RNETKG_SEEDS)")
    texts = {}
    for doc in (SEED000, SEED001):
        ident = sources.value(doc, DCTERMS.identifier)
        texts[doc] = _norm((seeds / f"{ident}.txt").read_text(encoding="utf-8"))
    missing = []
    n = 0
    for x, q in g.subject_objects(RNET.quote):
        n += 1
        if _norm(str(q)) not in texts[g.value(x, RNET.inDocument)]:
            missing.append((str(x), str(q)))
    assert n > 200
    assert not missing, missing


def test_numbers_are_decimal_or_integer(g):
    for s, p, o in g:
        if isinstance(o, Literal) and o.datatype in NUMERIC:
            assert o.datatype in (XSD.decimal, XSD.integer), (s, p, o)
            assert "e" not in str(o).lower(), (s, p, o)
    for p in DECIMAL_PROPS:
        for s, o in g.subject_objects(p):
            assert o.datatype == XSD.decimal, (s, p, o)
    for p in INTEGER_PROPS:
        for s, o in g.subject_objects(p):
            assert o.datatype == XSD.integer, (s, p, o)


def test_text_has_no_double_or_exponent_literals():
    for name in FILES:
        text = _path(name).read_text(encoding="utf-8")
        assert "xsd:double" not in text and "XMLSchema#double" not in text
        assert not re.search(r"[\s,;]\d+(\.\d+)?[eE][+-]?\d+[\s,;.]", text), name


# ---------------------------------------------------------------- vocabulary

def test_terms_exist_in_the_ontology(g, onto):
    defined = {s for s in onto.subjects() if isinstance(s, URIRef)}
    used = {t for triple in g for t in triple if isinstance(t, URIRef) and str(t).startswith(str(RNET))}
    assert used <= defined, used - defined


def _subclass_of(onto, cls, ancestor):
    return ancestor in set(onto.transitive_objects(cls, RDFS.subClassOf))


def test_links_point_to_the_right_kinds(g, onto):
    for o in g.objects(None, RNET.aboutFactor):
        assert (o, RDF.type, RNET.RiskFactor) in onto or (o, RDF.type, RNET.RiskFactor) in g, o
    for p in (RNET.aboutProcedure, RNET.comparedWith):
        for o in g.objects(None, p):
            assert _subclass_of(onto, o, RNET.Procedure), o
    for o in g.objects(None, RNET.aboutBiomarker):
        assert (o, RDF.type, RNET.Biomarker) in onto, o
    for o in g.objects(None, RNET.hasStudyDesign):
        assert (o, RDF.type, RNET.StudyDesign) in onto, o
    for o in g.objects(None, RNET.hasLevelOfAssessment):
        assert (o, RDF.type, RNET.LevelOfAssessment) in onto, o
    biomarkers = {str(o).split("#")[1] for o in g.objects(None, RNET.aboutBiomarker)}
    assert biomarkers == {"Ki67", "ChromograninA", "Synaptophysin", "CDX2", "DLL3", "MGMTMethylation",
                          "SomatostatinReceptorSubtypes"}


# ---------------------------------------------------------------- issue 11: fidelity fixes

_NUMBERS = (RNET["count"], RNET.denominator, RNET.percentage, RNET.percentageLow, RNET.percentageHigh,
            RNET.estimate, RNET.ciLower, RNET.ciUpper, RNET.pValue, RNET.cutPointValue)


def test_every_number_of_a_figure_is_in_its_quotes_or_its_note_says_where_it_comes_from(g):
    """Issue 11: Hyun's multivariate P values and O'Neill's denominator were in no quote of theirs.
    A number that the quotes do not carry as digits ('Two cases', 'none') is named in an encoding note."""
    from_notes = set()
    for f in {s for s in g.subjects(RNET.reportedIn, None)}:
        quoted = set()
        for x in g.objects(f, RNET.source):
            for q in g.objects(x, RNET.quote):
                quoted |= set(re.findall(r"\d+(?:\.\d+)?", str(q)))
        notes = " ".join(str(n) for n in g.objects(f, RNET.encodingNote))
        for p in _NUMBERS:
            for o in g.objects(f, p):
                if str(o) in quoted:
                    continue
                assert re.search(rf"\b{re.escape(str(o))}\b", notes), f"{_key(f)}: {p.split('#')[1]} {o} is in no quote"
                from_notes.add((_key(f), p.split("#")[1], str(o)))
    assert from_notes == {("oneill-2021/distant-metastasis", "count", "2"),
                          ("oneill-2021/perineural-invasion", "count", "0")}


def test_hyun_multivariate_findings_quote_their_p_values(g):
    for factor, p in ((RNET.TumourSize, "P = 0.002"), (RNET.AtypicalSurface, "P < 0.001")):
        r = _one(g, f"""SELECT ?f WHERE {{ ?f a rnet:RiskFactorFinding ; rnet:reportedIn <{STUDY}hyun-2015> ;
                        rnet:analysis "multivariate" ; rnet:aboutFactor <{factor}> . }}""")
        quotes = [str(q) for x in g.objects(r.f, RNET.source) for q in g.objects(x, RNET.quote)]
        assert any(p in q for q in quotes) and any("Multivariate analysis:" in q for q in quotes), quotes


def test_oneill_denominator_is_quoted_from_sub_row_1(g):
    for key in ("grade-1", "distant-metastasis", "perineural-invasion"):
        f = URIRef(STUDY + "oneill-2021/" + key)
        assert g.value(f, RNET.denominator).toPython() == 32
        located = {(str(g.value(x, RNET.locator)), str(q)) for x in g.objects(f, RNET.source)
                   for q in g.objects(x, RNET.quote)}
        assert ("Table 2, row O’Neill et al[82], 2021, sub-row 1 of 3", "32 patients had small lymph nodes (≤ 10 mm)") in located


def test_kojima_loh_is_no_lnm_risk_factor_finding(g):
    """Issue 11: 'LOH of PHLDA3 and MEN1 tumor suppressor genes at Lymph nodes of RNET' states no association."""
    findings = set(g.subjects(RNET.aboutFactor, RNET.LossOfHeterozygosity)) & set(g.subjects(RDF.type, RNET.RiskFactorFinding))
    assert findings == set()
    loh = {str(g.value(f, RNET.asWritten)): g.value(f, RNET.percentage).toPython()
           for f in g.subjects(RNET.aboutFactor, RNET.LossOfHeterozygosity)}
    assert loh == {"PHLDA3": Decimal("60"), "MEN1": Decimal("66.7")}
    for f in g.subjects(RNET.aboutFactor, RNET.LossOfHeterozygosity):
        assert g.value(f, RNET.outcome) is None
        assert "no association" in str(g.value(f, RNET.encodingNote))


def test_esd_indication_is_recorded(g):
    r = _one(g, """SELECT ?aw ?v WHERE { ?s a rnet:Statement ; rnet:aboutProcedure rnet:EndoscopicSubmucosalDissection ;
                   rnet:hasMeasure rnet:measure_indication ; rnet:asWritten ?aw ; rnet:valueText ?v . }""")
    assert (str(r.aw), str(r.v)) == ("larger lesions (approaching 20 mm) or those with suspected submucosal fibrosis",
                                     "remains a cornerstone")


# the groups the seed divides a population into (rnet:subgroupOf; rnetkg check's denominator_mismatch)
SUBGROUPS = {
    "sohn-2017": {"transanal-excision-patients", "emr-or-esd-patients", "radical-resection-patients"},
    "concors-2018": {"well-differentiated", "moderately-differentiated", "poorly-differentiated"},
    "storino-2021/local-excision": {"polypectomy", "emr", "transanal-excision"},
    "tie-2024": {"esd-patients", "emr-patients"},
    "tsang-2018": {"local-ablation", "local-excision", "surgical-resection", "pelvic-radiation"},
}


def test_subgroups_are_those_the_seed_lists(g):
    got = {}
    for part, whole in g.subject_objects(RNET.subgroupOf):
        assert (part, RDF.type, RNET.ReportedProportion) in g, part
        study = g.value(part, RNET.reportedIn)
        assert whole == study or g.value(whole, RNET.reportedIn) == study, part
        got.setdefault(_key(whole), set()).add(_key(part).split("/", 1)[1])
    assert got == SUBGROUPS


def test_issue27_cited_articles_are_journal_articles_and_dois_are_iris():
    """The two articles seed 001 lists without reporting their results are FaBiO journal articles that the
    seed cites (CiTO), not bare entities; each source document is the same as its DOI's IRI."""
    from rnetkg import paths

    whole = rdflib.Graph()
    for f in [*paths.ontology_files(), *paths.kg_files()]:
        whole.parse(f, format="turtle")
    fabio, cito = rdflib.Namespace("http://purl.org/spar/fabio/"), rdflib.Namespace("http://purl.org/spar/cito/")
    articles = set(whole.subjects(RDF.type, fabio.JournalArticle))
    kg = "https://w3id.org/rnetkg/kg/"
    assert {str(a) for a in articles} == {kg + "study/hamada-2023", kg + "study/li-2024"}
    guidelines = set(whole.subjects(RDF.type, RNET.GuidelineDocument))
    assert set(whole.objects(rdflib.URIRef(kg + "source/wjg-2025-114263"), cito.cites)) - guidelines == articles
    for doc, doi in whole.subject_objects(RNET.doi):
        assert set(whole.objects(doc, rdflib.OWL.sameAs)) == {rdflib.URIRef("https://doi.org/" + str(doi))}


def test_guideline_documents_are_clinical_guidelines_cited_by_the_seeds_that_quote_them():
    """Each guideline document is a FaBiO clinical guideline, and each seed cites (CiTO) exactly the guideline
    documents whose statements the graph quotes from that seed: the citations are checked against where
    the excerpts of each guideline's recommendations and definitions stand."""
    from rnetkg import paths

    whole = rdflib.Graph()
    for f in [paths.ontology_file(), *paths.kg_files()]:
        whole.parse(f, format="turtle")
    fabio, cito = rdflib.Namespace("http://purl.org/spar/fabio/"), rdflib.Namespace("http://purl.org/spar/cito/")
    guidelines = set(whole.subjects(RDF.type, RNET.GuidelineDocument))
    assert len(guidelines) == 8
    assert guidelines == set(whole.subjects(RDF.type, fabio.ClinicalGuideline))
    quoted = set()
    for prop in (RNET.issuedBy, RNET.definedBy):
        for statement, guideline in ((s, o) for s, o in whole.subject_objects(prop) if o in guidelines):
            for excerpt in whole.objects(statement, RNET.source):
                quoted.add((whole.value(excerpt, RNET.inDocument), guideline))
    cited = {(seed, g) for seed, g in whole.subject_objects(cito.cites) if g in guidelines}
    assert cited == quoted
    assert {str(g).rsplit("/", 1)[1] for s, g in cited if s == SEED000} == {"enets-2023", "nccn-2025", "pnnt-2022"}


JNETS_FIGURE = URIRef(STUDY + "jnets-2019/lnm-risk-1-2cm")


def test_the_jnets_figure_is_reported_by_the_guideline_not_by_a_study():
    """No node typed a study to satisfy a shape: the JNETS figure is reported in the guideline document, the
    node that recorded it as a study of design 'guideline statement' is deprecated, and no study has that design."""
    from rnetkg import paths

    whole = rdflib.Graph()
    for f in [paths.ontology_file(), *paths.kg_files()]:
        whole.parse(f, format="turtle")
    reporter = whole.value(JNETS_FIGURE, RNET.reportedIn)
    assert reporter == URIRef("https://w3id.org/rnetkg/kg/guideline/jnets-2019")
    assert (reporter, RDF.type, RNET.GuidelineDocument) in whole
    assert (reporter, RDF.type, RNET.Study) not in whole
    old = URIRef(STUDY + "jnets-2019")
    assert set(whole.objects(old, RDF.type)) == set()
    assert whole.value(old, rdflib.OWL.deprecated) == Literal(True)
    assert whole.value(old, DCTERMS.isReplacedBy) == reporter
    assert list(whole.subjects(RNET.hasStudyDesign, RNET.GuidelineStatement)) == []
    assert whole.value(RNET.GuidelineStatement, rdflib.OWL.deprecated) == Literal(True)
    # every figure's reporter is a study or a guideline document, and only JNETS's is a guideline document
    reporters = {(f, r) for f, r in whole.subject_objects(RNET.reportedIn)}
    assert {f for f, r in reporters if (r, RDF.type, RNET.Study) not in whole} == {JNETS_FIGURE}


@pytest.mark.slow
def test_the_jnets_figure_reporter_cannot_be_a_study(tmp_path):
    """The disjointness axiom proves it: the whole graph is consistent, and typing the figure's reporter a
    study as well makes it inconsistent (a study is not a guideline document)."""
    from rnetkg import paths
    from rnetkg import reasoner as owl

    files = [paths.ontology_file(), *paths.kg_files()]
    assert owl.reason(files, reasoner_name="hermit").consistent
    extra = tmp_path / "reporter-as-study.ttl"
    extra.write_text("<https://w3id.org/rnetkg/kg/guideline/jnets-2019> a "
                     "<https://w3id.org/rnetkg/ontology#Study> .\n", encoding="utf-8")
    assert not owl.reason([*files, extra], reasoner_name="hermit").consistent
