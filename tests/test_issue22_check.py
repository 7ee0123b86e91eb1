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
    which prevails (nccn:node-positive-over-le2cm, nccn:node-positive-any-t-over-le2cm, each with its
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
