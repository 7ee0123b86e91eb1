"""Issue 22, the smaller items about `rnetkg check` and two catalogue queries: one finding per slip of
the source, a recorded precedence is no boundary overlap, only the consensus seed 001 states "across
guidelines" is checked against each guideline, Tsang's mitotic count per high-power field, the rows of
studies-for-risk-factor and the statements of procedure-evidence."""

from __future__ import annotations

import pytest

from rnetkg import check, graph, queries
from rnetkg.check.findings import WARNING
from rnetkg.namespaces import KG

STUDY = KG + "study/"


@pytest.fixture(scope="module")
def findings():
    found, _ = check.run_check()
    return found


def of_kind(found, kind):
    return [f for f in found if f.kind == kind]


# ---------------------------------------------------------------- boundary_overlap vs precedence

def test_issue22_nccn_node_positive_over_le2cm_is_a_precedence_not_a_boundary_overlap(findings):
    """'Size ≤ 2 cm' and 'presence of positive lymph nodes' share every size, but the graph records
    which prevails (nccn-2025:node-positive-over-le2cm, nccn-2025:node-positive-any-t-over-le2cm, each with its
    justification): that settles it, so it is not a size boundary_overlap. ENETS's shared 10 and 20 mm,
    which nothing settles, still are."""
    overlaps = of_kind(findings, "boundary_overlap")
    assert [f.message for f in overlaps if "nccn-2025" in f.subject or "nccn-2025" in f.message] == []
    assert {f.subject[len(KG):] for f in overlaps} == {"enets-2023/rec-le10mm", "enets-2023/rec-10-20mm"}


# ---------------------------------------------------------------- consensus_contradiction

def test_issue22_most_international_guidelines_is_not_a_consensus(findings):
    """Seed 001's "Most international guidelines recommend standard endoscopic resection for tumors
    smaller than 1 cm ... (T1 stage)" is a summary of most guidelines, not a consensus across them: no
    guideline's answer is checked against it. The three branches of "consensus across guidelines favors
    radical surgical resection" still are."""
    found = of_kind(findings, "consensus_contradiction")
    assert [f.message for f in found if "consensus-lt1cm-t1" in f.message or "Most international" in f.message] == []
    cited = {m for f in found for m in ("consensus-gt2cm", "consensus-t2-plus", "consensus-node-positive")
             if f"wjg-2025-114263/{m})" in f.message}
    assert cited == {"consensus-t2-plus", "consensus-node-positive"}
    nccn = [f.message for f in found if f.subject.endswith("guideline/nccn-2025")]
    # before: NCCN's radical answer for a < 10 mm T1 N1 tumour was reported against "Most international guidelines"
    assert not [m for m in nccn if "size < 10 mm, t_stage T1, lymph_nodes N1" in m]
    assert any("size ≤ 20 mm, t_stage T2/T3/T4, lymph_nodes N0" in m for m in nccn)


def test_issue22_cross_guideline_consensus_is_typed_in_the_graph():
    store = graph.load_store([])
    rows = queries.run_store(store, """
        PREFIX rnet: <https://w3id.org/rnetkg/ontology#>
        SELECT ?s ?cross WHERE { ?s a rnet:ConsensusSummary .
          BIND(EXISTS { ?s a rnet:CrossGuidelineConsensus } AS ?cross) }""")
    got = {str(r["s"]).rsplit("/", 1)[1]: str(r["cross"]).lower() in ("true", "1") for r in rows}
    assert got == {"consensus-lt1cm-t1": False, "consensus-gt2cm": True, "consensus-t2-plus": True,
                   "consensus-node-positive": True}


# ---------------------------------------------------------------- studies-for-risk-factor

@pytest.fixture(scope="module")
def store():
    return graph.load_store([])


def _run(store, name, **params):
    q = queries.get(name)
    text = queries.with_params(q, queries.bind_params(q, params)) if params else q.text
    return queries.run_store(store, text)


def test_issue22_studies_for_risk_factor_one_row_per_figure_and_factor(store):
    """121 rows for 80 figure-factor pairs: the query joined each part of a quote split in the source
    (Hyun's "Univariate analysis:" and "Tumor size (P < 0.001)") as its own row. Now one row per figure
    and factor (Wang's AUC is about three factors: three rows), the parts joined by " | "."""
    rows = _run(store, "studies-for-risk-factor")
    assert len(rows) == 80
    hyun = [r for r in rows if r["firstAuthor"] == "Hyun" and r["factorLabel"] == "tumour size"
            and r["analysis"] == "univariate"]
    assert len(hyun) == 1
    assert set(str(hyun[0]["quote"]).split(" | ")) == {"Univariate analysis:", "Tumor size (P < 0.001)"}
    auc = [r for r in rows if str(r["study"]).endswith("wang-2021-ref81") and r["measure"] == "AUC"]
    assert len(auc) == 3 and len({r["factorLabel"] for r in auc}) == 3


# ---------------------------------------------------------------- procedure-evidence

def test_issue22_procedure_evidence_keeps_the_statements_of_evidence(store):
    """The evidence seed 001 attributes to groups of references ([13,17], [15,16]) is recorded as
    rnet:Statement (no study named): the query kept only rnet:OutcomeEvidence and dropped it."""
    esd = _run(store, "procedure-evidence", procedure="rnet:EndoscopicSubmucosalDissection")
    statements = {(r["procedureLabel"], r["measure"], r["valueText"], r["asWritten"], r["reference"])
                  for r in esd if r["evidenceType"] == "statement"}
    assert statements == {
        ("endoscopic submucosal dissection (ESD)", "bleeding", "higher risks", None, "[13,17]"),
        ("endoscopic submucosal dissection (ESD)", "perforation", "higher risks", None, "[13,17]"),
        ("endoscopic submucosal dissection (ESD)", "indication", "remains a cornerstone",
         "larger lesions (approaching 20 mm) or those with suspected submucosal fibrosis", "[13,17]"),
    }
    bleeding = next(r for r in esd if r["measure"] == "bleeding")
    assert "associated with higher risks of bleeding and perforation, ESD remains a cornerstone for larger lesions " \
           "(approaching 20 mm)" in bleeding["quote"]
    # the study figures are still there
    assert any(r["evidenceType"] == "outcome evidence" and r["measure"] == "R0 rate" and r["percentage"] == 92.3
               for r in esd)


def test_issue22_procedure_evidence_for_cap_assisted_emr_and_esmr_l(store):
    cap = _run(store, "procedure-evidence", procedure="rnet:CapAssistedEMR")
    assert {(r["measure"], r["valueText"], r["asWritten"]) for r in cap} == {
        ("en-bloc resection", "enhanced en-bloc resection capabilities for tumors up to 15 mm", "up to 15 mm"),
        ("R0 rate", "> 90", None),
        ("safety", "favorable safety profiles", None),
    }
    assert all(r["procedureLabel"] == "cap-assisted EMR" and r["study"] is None and r["reference"] == "[15,16]"
               and "for tumors up to 15 mm, with R0 rates frequently exceeding 90%" in r["quote"] for r in cap)
    esmr = _run(store, "procedure-evidence", procedure="rnet:EMRWithLigation")
    assert {r["measure"] for r in esmr if r["evidenceType"] == "statement"} == {"en-bloc resection", "R0 rate", "safety"}
    assert any(r["evidenceType"] == "outcome evidence" and r["percentage"] == 94.5 for r in esmr)


# ---------------------------------------------------------------- unit_mismatch

def test_issue22_tsang_mitotic_count_per_high_power_field_is_a_unit_mismatch(findings):
    """Tsang's Stage cell, "mitotic count ≤ 20 per high-power field", counts over another area than
    the WHO 2019 grade and the profile field (per 2 mm²): a slip of the source, a warning, with the quote."""
    hits = of_kind(findings, "unit_mismatch")
    assert [(f.subject, f.severity) for f in hits] == [(STUDY + "tsang-2018/stage-mitotic-count", WARNING)]
    message = hits[0].message
    assert message.startswith('Tsang et al. 2018 (seed 000, Table 2, ref. [90]): "mitotic count ≤ 20 per '
                              'high-power field" counts mitotic count per high-power field, while the profile field '
                              'mitotic count (per 2 mm²) counts it per 2 mm²')
    assert message.endswith('Source: "G1 and G2 tumors with a Ki-67 ≤ 20% and/or mitotic count ≤ 20 per high-power field"')


def test_issue22_a_count_over_the_fields_own_area_is_no_unit_mismatch(store):
    """The check compares areas, not numbers: a threshold per 2 mm² gives no row."""
    store.update("""
        PREFIX rnet: <https://w3id.org/rnetkg/ontology#>
        INSERT DATA { <https://w3id.org/rnetkg/kg/test-check/per-2mm2> rnet:aboutFactor rnet:MitoticCount ;
                        rnet:countedPer "2 mm²" ;
                        rnet:source <https://w3id.org/rnetkg/kg/study/tsang-2018/stage-mitotic-count/source> . }""")
    try:
        rows = queries.run_store(store, queries.get("qc/unit-mismatch-violation").text)
        assert [str(r["subject"]) for r in rows] == [STUDY + "tsang-2018/stage-mitotic-count"]
    finally:
        store.update("""
            PREFIX rnet: <https://w3id.org/rnetkg/ontology#>
            DELETE WHERE { <https://w3id.org/rnetkg/kg/test-check/per-2mm2> ?p ?o . }""")


# ---------------------------------------------------------------- one finding per slip

def _study_of(subject: str) -> str:
    return subject[len(STUDY):].split("/", 1)[0] if subject.startswith(STUDY) else ""


def test_issue22_sohn_is_reported_once(findings):
    """Sohn's 21 (31.8%) fits 66 patients where its two other groups fit 64: one slip. The pairwise
    check reported it twice (once against each of the other groups)."""
    sohn = [f for f in findings if _study_of(f.subject) == "sohn-2017"]
    assert [(f.kind, f.severity, f.message) for f in sohn] == [(
        "denominator_mismatch", WARNING,
        "Sohn et al. 2017 (seed 000, Table 2, ref. [87]): 15 (23.4 %, emr-or-esd-patients) fits a denominator of "
        "64 patients and 21 (31.8 %, radical-resection-patients) one of 66 patients: the percentages of its 3 "
        "figures of patients cannot all be of one population.")]


def test_issue22_takaoka_is_reported_once(findings):
    """Takaoka's 20 (39.2%) and 4 (7.8%) of "28 patients" both fit 51: one slip of the stated population.
    SHACL's arithmetic check (statistic_mismatch, 20/28 and 4/28) reported each figure again."""
    takaoka = [f for f in findings if _study_of(f.subject) == "takaoka-2025"]
    assert [(f.kind, f.subject, f.message) for f in takaoka] == [(
        "denominator_mismatch", STUDY + "takaoka-2025",
        "Takaoka et al. 2025 (seed 000, Table 2, ref. [92]): 4 (7.8 %, lateral-lnm) and 20 (39.2 %, lnm) both fit "
        "a denominator of 51 patients, not the stated 28.")]


def test_issue22_a_slip_of_one_figure_is_still_a_statistic_mismatch(findings):
    """Concors' 72/449 written 13.8 % has no other figure that shares its stated denominator: the
    arithmetic check still reports it, once."""
    assert [(f.subject, f.message) for f in of_kind(findings, "statistic_mismatch")] == [(
        STUDY + "concors-2018/distant-metastasis-ge-1-15cm",
        "72/449 is 16.04 %, but the percentage is written 13.8 % (rounding allows ± 0.05).")]


def test_issue22_fixture_slips_once_each():
    """The negative fixture's stated-denominator slip (4/40 at 20 % and 2/40 at 10 % both fit 20) is
    one denominator_mismatch, no statistic_mismatch per figure; each study of the fixture one finding."""
    from pathlib import Path
    fixture = Path(__file__).parent / "fixtures" / "check" / "denominator-mismatch.ttl"
    found, _ = check.run_check(extra=[fixture])
    test_check = KG + "test-check/"
    mine = [f for f in found if f.subject.startswith(test_check + "denom-")]
    assert sorted((f.kind, f.subject[len(test_check):]) for f in mine) == [
        ("denominator_mismatch", s) for s in
        ("denom-bad-1", "denom-bad-2", "denom-bad-3", "denom-bad-4", "denom-bad-5/whole", "denom-bad-6")]
