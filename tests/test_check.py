"""rnetkg check: the shipped graph's findings, each negative fixture's finding, the output formats.

The negative fixtures (tests/fixtures/check/) each prove that one check can fail; they are added to
the shipped graph with run_check(extra=...). Fixtures with disjoint subjects share one run.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from rnetkg import check, cli, queries, reasoner, render
from rnetkg.check import coverage
from rnetkg.criteria import grid
from rnetkg.check.findings import ERROR, WARNING
from rnetkg.namespaces import KG

FIXTURES = Path(__file__).parent / "fixtures" / "check"
T = KG + "test-check/"
NEGATIVE = ["inconsistent-procedure", "recommendation-without-source", "quote-not-in-source",
            "range-min-above-max", "conflicting-recommendations", "missing-branch"]


def fx(*names: str) -> list[Path]:
    return [FIXTURES / f"{n}.ttl" for n in names]


@pytest.fixture(scope="module")
def shipped():
    findings, elapsed = check.run_check()
    return findings, elapsed


@pytest.fixture(scope="module")
def with_negatives():
    findings, _ = check.run_check(extra=fx(*NEGATIVE))
    return findings


def of_kind(findings, kind):
    return [f for f in findings if f.kind == kind]


# ---------------------------------------------------------------- the shipped graph

def test_shipped_graph_has_no_error(shipped):
    """NCCN's node-positive branch overlaps 'Size ≤ 2 cm' and the 1-2 cm restatement with disjoint
    actions; the graph settles both with precedence rules (kg/guidelines/nccn-2025.ttl)."""
    findings, _ = shipped
    assert [f for f in findings if f.severity == ERROR] == []


def test_shipped_graph_is_consistent_and_conforms(shipped):
    findings, _ = shipped
    bad = {"owl_inconsistent", "unsatisfiable_class", "reasoner_error", "shacl", "quote_not_in_source",
           "rdf_syntax_error", "seeds_not_found", "qc_query_error"}
    assert [f for f in findings if f.kind in bad] == []


def test_enets_boundary_overlaps_at_10_and_20_mm(shipped):
    findings, _ = shipped
    overlaps = of_kind(findings, "boundary_overlap")
    assert overlaps and all(f.severity == WARNING for f in overlaps)
    got = {(f.subject.rsplit("/", 1)[1], re.search(r"share ([^,]+),", f.message).group(1))
           for f in overlaps if "enets-2023" in f.subject}
    assert got == {("rec-le10mm", "10 mm"), ("rec-10-20mm", "20 mm")}
    le10 = next(f for f in overlaps if f.subject.endswith("enets-2023/rec-le10mm"))
    assert "enets-2023/rec-10-20mm (10-20 mm)" in le10.message and "(≤ 10 mm)" in le10.message
    assert '"For lesions ≤ 10 mm: Endoscopic resection' in le10.message  # quotes the source


def test_coverage_gaps_pnnt_risk_factors_and_nccn_g3(shipped):
    findings, _ = shipped
    gaps = of_kind(findings, "coverage_gap")
    assert gaps and all(f.severity == WARNING for f in gaps)
    pnnt = [f for f in gaps if f.subject.endswith("guideline/pnnt-2022")]
    assert any("initial_management: size < 10 mm, risk factors present (PNNT risk factors):" in f.message
               and "pnnt-2022/rec-lt1cm-no-rf" in f.message and "Size < 1 cm with no risk factors" in f.message
               for f in pnnt)
    nccn = [f for f in gaps if f.subject.endswith("guideline/nccn-2025")]
    # the follow-up rows derived after an excision reach 2 cm, so the G3 gap of the '< 1 cm' indeterminate
    # margin row is part of a region up to 20 mm
    assert any("after_local_resection: size ≤ 20 mm, margin indeterminate, t_stage T1, grade G3, lymph_nodes N0:"
               in f.message and "nccn-2025/rec-lt1cm-indeterminate-g1 (fails 'low grade (G1)')" in f.message
               for f in nccn)
    csco = {re.search(r"initial_management: (.*?): none", f.message).group(1)
            for f in gaps if f.subject.endswith("guideline/csco-2022")}
    assert csco == {"size 10-20 mm, grade G3", "size 10-20 mm, t_stage T2/T3/T4, grade G1/G2"}


def test_statistic_mismatches_of_the_source_are_warnings(shipped):
    findings, _ = shipped
    assert all(f.severity == WARNING for f in of_kind(findings, "statistic_mismatch"))


# ---------------------------------------------------------------- negative fixtures

EXPECTED = [
    ("inconsistent-procedure", "owl_inconsistent", T + "hybrid-case", "HybridResection, which is unsatisfiable"),
    ("inconsistent-procedure", "unsatisfiable_class", T + "HybridResection",
     "rnet:EndoscopicResection and rnet:RadicalSurgery, which are disjoint"),
    ("recommendation-without-source", "shacl", T + "rec-without-source", "rnet:source"),
    ("quote-not-in-source", "quote_not_in_source", T + "invented-excerpt", "watchful waiting"),
    ("range-min-above-max", "shacl", T + "inverted-range", "minimum 20.0 is greater than maximum 10.0"),
    ("conflicting-recommendations", "intra_guideline_conflict", T + "conflict-10-20mm",
     "both apply to size 10 mm, and their modalities are disjoint"),
    ("missing-branch", "coverage_gap", T + "guideline-gap", "TEST-GAP at initial_management: size 10 mm: none"),
]


@pytest.mark.parametrize("fixture, kind, subject, text", EXPECTED, ids=[f"{e[0]}:{e[1]}" for e in EXPECTED])
def test_negative_fixture_produces_its_finding(with_negatives, fixture, kind, subject, text):
    hits = [f for f in with_negatives if f.kind == kind and f.subject == subject]
    assert hits, f"{fixture}: no {kind} finding on {subject}"
    assert any(text in f.message for f in hits), [f.message for f in hits]
    expected_severity = WARNING if kind == "coverage_gap" else ERROR
    assert {f.severity for f in hits} == {expected_severity}


def test_negative_fixtures_findings_stay_on_their_subjects(with_negatives, shipped):
    """Adding the fixtures changes nothing about the shipped graph's own findings."""
    shipped_findings, _ = shipped
    own = {f for f in with_negatives if "test-check" not in f.subject and "TEST-" not in f.message
           and f.kind != "owl_inconsistent"}
    assert own == set(shipped_findings) - set(of_kind(shipped_findings, "owl_inconsistent"))


def test_fixture_overlap_is_reported_at_the_shared_value():
    store = check.load_store(fx("conflicting-recommendations", "missing-branch"))
    rows = queries.run_store(store, queries.get("qc/size-range-overlap-violation").text)
    fixture_rows = {(r["subject"], re.search(r"share ([^,]+),", r["message"]).group(1))
                    for r in rows if "test-check" in r["subject"]}
    # the conflict fixture shares exactly 10 mm; the missing-branch fixture (< 10, > 10) shares nothing
    assert fixture_rows == {(T + "conflict-le10mm", "10 mm")}


def test_precedence_with_justification_settles_the_conflict():
    store = check.load_store(fx("conflicting-recommendations", "conflict-precedence"))
    assert [f for f in coverage.criteria_findings(store) if "test-check" in f.subject
            and f.kind == "intra_guideline_conflict"] == []


def test_precedence_without_justification_does_not():
    store = check.load_store(fx("conflicting-recommendations", "conflict-precedence-unjustified"))
    hits = [f for f in coverage.criteria_findings(store) if f.subject == T + "conflict-10-20mm"]
    assert len(hits) == 1 and hits[0].severity == ERROR
    assert "is recorded but has no justification" in hits[0].message


# ---------------------------------------------------------------- the grid and its regions

def test_numeric_cells_cover_bounds_and_intervals():
    cells = grid.numeric_cells("size_mm", [10.0, 20.0])
    assert [c.point for c in cells] == [5.0, 10.0, 15.0, 20.0, 21.0]
    assert grid.cells_text("size_mm", cells[1:4], cells) == "10-20 mm"
    assert grid.cells_text("size_mm", cells[:1], cells) == "< 10 mm"
    assert grid.cells_text("size_mm", cells[2:], cells) == "> 10 mm"
    assert grid.cells_text("size_mm", cells, cells) == ""
    ki67 = grid.numeric_cells("ki67_percent", [2.0])
    assert [c.point for c in ki67] == [1.0, 2.0, 51.0]


def test_merge_regions_is_exact():
    vectors = [("T1", "G3"), ("T2", "G1"), ("T2", "G2"), ("T2", "G3"), ("T3", "G1"), ("T3", "G2"), ("T3", "G3")]
    regions = grid.merge_regions(vectors, 2)
    covered = {(t, g) for r in regions for t in r[0] for g in r[1]}
    assert covered == set(vectors) and len(regions) == 2


# ---------------------------------------------------------------- command line

def test_cli_json_has_the_design_keys(capsys, shipped):
    code = cli.main(["check", "--format", "json"])
    out = capsys.readouterr().out
    doc = json.loads(out)
    assert set(doc) >= {"findings"} and isinstance(doc["elapsed_seconds"], float)
    assert doc["findings"] and all(set(f) == {"kind", "severity", "subject", "message"} for f in doc["findings"])
    assert all(f["severity"] in (ERROR, WARNING) for f in doc["findings"])
    has_error = any(f["severity"] == ERROR for f in doc["findings"])
    assert code == (1 if has_error else 0)
    assert {f["kind"] for f in doc["findings"]} >= {"boundary_overlap", "coverage_gap"}


def test_cli_table_ends_with_a_summary(shipped):
    findings, elapsed = shipped
    text = render.format_findings(findings, "table", elapsed)
    assert text.splitlines()[0].split() == ["kind", "severity", "subject"]
    assert re.search(r"^\d+ finding\(s\): \d+ error\(s\), \d+ warning\(s\) in \d+\.\d s$", text.splitlines()[-1])


def test_cli_without_java_is_one_line_and_exit_2(monkeypatch, capsys):
    monkeypatch.setattr(reasoner.shutil, "which", lambda name: None)
    assert cli.main(["check"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "java" in err[0] and "PATH" in err[0]


def test_cli_missing_seeds_folder_is_exit_2(tmp_path, capsys):
    assert cli.main(["check", "--seeds", str(tmp_path / "nowhere")]) == 2
    assert "--seeds" in capsys.readouterr().err


# ---------------------------------------------------------------- issue 11: consensus and readings

def test_consensus_contradictions_are_warnings_about_the_source(shipped):
    """Seed 001's consensus for T2 or beyond (radical resection) against NCCN's size branches read as
    laid out (default): 'Size ≤ 2 cm' gives endoscopic or transanal resection to a T2-T4 N0 tumour."""
    findings, _ = shipped
    found = [f for f in findings if f.kind == "consensus_contradiction"]
    assert all(f.severity == WARNING for f in found)
    nccn = [f.message for f in found if f.subject.endswith("guideline/nccn-2025")]
    assert any("size ≤ 20 mm, t_stage T2/T3/T4, lymph_nodes N0" in m and "consensus-t2-plus" in m
               and "(endoscopic_resection, transanal_excision)" in m for m in nccn)
    # a guideline whose answers all lie within the consensus has no such finding
    assert not [f for f in found if f.subject.endswith(("guideline/jnets-2019", "guideline/pnnt-2022"))]


def test_readings_keep_the_alternative_branches_out_of_the_overlap_check(shipped):
    """Two statements that hold under different readings of one passage never apply together: no
    boundary_overlap between 'Size ≤ 2 cm' (as laid out) and 'T2-T4 to radical surgery'."""
    findings, _ = shipped
    overlaps = [f.message for f in findings if f.kind == "boundary_overlap"]
    assert not [m for m in overlaps if "rec-t2-t4-radical" in m]
    # the node-positive branch and 'Size ≤ 2 cm' are settled by recorded precedence rules (issue 22)
    assert not [m for m in overlaps if "rec-node-positive-any-t" in m and "rec-le2cm" in m]


# ---------------------------------------------------------------- denominator_mismatch (issue 11)

DENOMINATOR_QUERY = "qc/denominator-mismatch-violation"
STUDY = KG + "study/"

# The source's own slips, as rnetkg check reports them (kg/studies/wjgo-2026-114818-table2.ttl), one finding
# each (issue 22): Sohn's 28 (43.8%) and 15 (23.4%) fit 64 patients, the sum of the three groups, but
# 21 (31.8%) fits 66; Takaoka's 20 (39.2%) and 4 (7.8%) of "28 patients" both fit 51.
SHIPPED_DENOMINATOR_MISMATCHES = {
    (STUDY + "sohn-2017", "Sohn et al. 2017 (seed 000, Table 2, ref. [87]): 15 (23.4 %, emr-or-esd-patients) fits a "
     "denominator of 64 patients and 21 (31.8 %, radical-resection-patients) one of 66 patients: the percentages of "
     "its 3 figures of patients cannot all be of one population."),
    (STUDY + "takaoka-2025", "Takaoka et al. 2025 (seed 000, Table 2, ref. [92]): 4 (7.8 %, lateral-lnm) and 20 "
     "(39.2 %, lnm) both fit a denominator of 51 patients, not the stated 28."),
}


def test_shipped_denominator_mismatches_are_the_sources_slips(shipped):
    findings, _ = shipped
    hits = of_kind(findings, "denominator_mismatch")
    assert {(f.subject, f.message) for f in hits} == SHIPPED_DENOMINATOR_MISMATCHES
    assert {f.severity for f in hits} == {WARNING}


def _denominator_rows(*fixtures):
    store = check.load_store(fx(*fixtures))
    return {(r["subject"][len(T):], r["message"]) for r in queries.run_store(store, queries.get(DENOMINATOR_QUERY).text)
            if r["subject"].startswith(T)}


def test_denominator_fixture_trips_every_kind_of_row():
    rows = _denominator_rows("denominator-mismatch")
    assert {s for s, _ in rows} == {"denom-bad-1", "denom-bad-2", "denom-bad-3", "denom-bad-4", "denom-bad-5/whole",
                                    "denom-bad-6"}
    text = dict(rows)
    assert "5 (50 %, a) fits a denominator of 10 patients and 3 (20 %, b) one of 15 patients" in text["denom-bad-1"]
    assert "both fit a denominator of 20 patients, not the stated 40" in text["denom-bad-2"]
    assert "subgroups add up to 11, more than the cohort (10)" in text["denom-bad-3"]
    assert "add up to 105 %, more than 100 %" in text["denom-bad-4"]
    assert "add up to 55 %, more than the whole's 50 %" in text["denom-bad-5/whole"]
    assert "50 % of 7 (a) is 3.5" in text["denom-bad-6"]


def test_denominator_fixture_that_adds_up_gives_no_row():
    """Each figure at the edge of rounding (Sohn's 28 of 64 written 43.8 %, Concors' 79.3 + 11.0 + 9.7,
    Storino's 42.6 + 39.3 + 11.5 = 93.4, Kojima's 12.7 % of 79), another unit, a subgroup's own denominator."""
    assert _denominator_rows("denominator-consistent") == set()


def test_denominator_check_runs_in_rnetkg_check_as_a_warning():
    findings, _ = check.run_check(extra=fx("denominator-mismatch"))
    hits = [f for f in of_kind(findings, "denominator_mismatch") if f.subject.startswith(T)]
    assert len(hits) == 6 and {f.severity for f in hits} == {WARNING}
    assert [f for f in findings if f.subject.startswith(T + "denom-") and f.severity == ERROR] == []
