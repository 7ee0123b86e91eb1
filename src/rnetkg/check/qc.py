"""The QC queries queries/qc/*-violation.rq: every row is a finding (ROBOT verify semantics)."""

from __future__ import annotations

import pyoxigraph as ox

from .. import queries
from .findings import ERROR, WARNING, Finding


def qc_queries() -> list[queries.Query]:
    return [q for q in queries.catalogue().values() if q.is_qc and q.path.stem.endswith("-violation")]


def qc_findings(store: ox.Store) -> list[Finding]:
    """One finding per row of every queries/qc/*-violation.rq (kind and severity from its header)."""
    findings = []
    for q in qc_queries():
        kind = q.header.get("kind") or q.path.stem[: -len("-violation")].replace("-", "_")
        severity = q.header.get("severity", ERROR)
        severity = severity if severity in (ERROR, WARNING) else ERROR
        try:
            rows = queries.run_store(store, q.text)
        except (SyntaxError, ValueError, OSError) as e:
            findings.append(Finding("qc_query_error", ERROR, str(q.path), f"{q.name} does not run: {e}"))
            continue
        for r in rows:
            findings.append(Finding(kind, severity, str(r.get("subject") or q.name), str(r.get("message") or "")))
    return findings
