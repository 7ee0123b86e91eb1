"""rnetkg check: everything that can be wrong with the ontology and the graph, as findings.

- ``shacl``, ``quote_not_in_source``, ``statistic_mismatch``: pySHACL with shapes/ (check/shacl.py);
- ``owl_inconsistent``, ``unsatisfiable_class``: OWL 2 reasoning (Pellet or HermiT through owlready2)
  over ontology + kg, the referral expansion included;
- the QC queries ``queries/qc/*-violation.rq`` on the embedded store: every row is a finding whose kind
  and severity come from the file's ``#+ kind:`` and ``#+ severity:`` header lines
  (``boundary_overlap``, ``denominator_mismatch`` and ``unit_mismatch`` among them);
- ``coverage_gap`` and ``intra_guideline_conflict``, computed from the criteria: for each guideline and
  decision point, a grid of profiles over every cell that its criteria distinguish (every bound of
  a numeric field, the open intervals between them, and every value of the other fields that its
  criteria test) within the sizes its recommendations address. A cell where none of its management
  recommendations applies is a coverage gap (a property of the source: warning); two of its
  management recommendations that both apply in some cell and recommend disjoint modality sets are a
  conflict (an error unless a ``rnet:PrecedenceRule`` with a justification settles it). Cells are
  merged into readable regions for the messages.
- ``extra_graph``: an extra graph ($RNETKG_EXTRA_KG) that imports something or would change or extend
  the shipped graph (graph.extra_graph_problems), an error; the file is left out of the reasoning, QC
  and coverage checks.

Severity follows DESIGN.md: a property of the source is a warning, a defect of the graph an error.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Iterable, Sequence

import pyoxigraph as ox

from .. import graph, reasoner as reasoning
from ..errors import UsageError
from .findings import ERROR, WARNING, Finding

_SEVERITY_ORDER = {ERROR: 0, WARNING: 1}


def run_check(seeds: str | Path | None = None, reasoner: str = "pellet",
              extra: Sequence[Path] | None = None,
              timings: dict[str, float] | None = None) -> tuple[list[Finding], float]:
    """Run every check over ontology + kg (+ ``extra`` Turtle files, for test fixtures).

    Returns the findings (errors first) and the elapsed time in seconds. ``timings``, when given,
    receives the time of each part. Raises UsageError for a bad ``seeds`` folder or an unknown
    reasoner, ReasonerUnavailable without a Java runtime.
    """
    from .coverage import criteria_findings
    from .owl import owl_findings
    from .qc import qc_findings

    t_start = time.perf_counter()
    timings = timings if timings is not None else {}
    reasoning.check_reasoner(reasoner)
    if seeds is not None and not Path(seeds).is_dir():
        raise UsageError(f"check: --seeds {seeds}: no such folder (it must hold the seed article texts)")
    reasoning.require_java()
    extra = [Path(p) for p in (extra or [])]

    findings: list[Finding] = []

    def step(name, fn, *args):
        t0 = time.perf_counter()
        out = fn(*args)
        timings[name] = time.perf_counter() - t0
        return out

    findings += step("shacl", _shacl_findings, extra, seeds)
    store, refused = step("load", load_store_and_guard, extra)
    findings += refused
    findings += step("owl", owl_findings, store, reasoner)
    findings += step("qc", qc_findings, store)
    findings += step("coverage_and_conflicts", criteria_findings, store)
    findings = sort_findings(findings)
    elapsed = time.perf_counter() - t_start
    timings["total"] = elapsed
    return findings, elapsed


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(set(findings), key=lambda f: (_SEVERITY_ORDER.get(f.severity, 2), f.kind, f.subject, f.message))



# ---------------------------------------------------------------- loading

def _shacl_findings(extra: list[Path], seeds) -> list[Finding]:
    from .shacl import validate

    return validate(extra_data=extra, seeds=Path(seeds) if seeds is not None else None)


def load_store_and_guard(extra: list[Path]) -> tuple[ox.Store, list[Finding]]:
    """The store of ontology + kg + the extra graphs ($RNETKG_EXTRA_KG, then ``extra``), referrals
    expanded, and an ``extra_graph`` error for each extra graph that would change or extend the
    shipped graph or import anything (graph.extra_graph_problems); such a graph is left out of the
    store, as is a file that does not parse (the SHACL step reports it as rdf_syntax_error)."""
    from ..errors import ExtraGraphError

    extras = {}
    for p in graph.extra_files(extra):
        try:
            extras[p] = graph.read_extra(p)
        except ExtraGraphError:
            continue
    problems = graph.extra_graph_problems(graph.load_shipped(), extras) if extras else []
    refused = {pr.path for pr in problems}
    findings = [Finding("extra_graph", ERROR, pr.subject, f"{pr.path}: {pr.message}") for pr in problems]
    return graph.load_store([p for p in extras if p not in refused], env_extra=False), findings


def load_store(extra: list[Path]) -> ox.Store:
    """The store of ontology + kg + the extra graphs that may be loaded (load_store_and_guard)."""
    return load_store_and_guard(extra)[0]
