"""The answer of DESIGN.md for one profile, built from an evaluation (the SPARQL path's rows or the
criteria model's own evaluation: the same structure, so both give the same dict)."""

from __future__ import annotations

from typing import Any

from .criteria.model import STATEMENT_STATUS, Evaluation, Model


def build_answer(profile, model: Model, evaluation: Evaluation) -> dict[str, Any]:
    """The answer dict: derived values, each guideline in the graph's order with its status,
    modalities and the recommendations that apply (or are possible), disagreements, and the
    editorial statements that apply."""
    by_guideline: dict[str, list[tuple[Any, dict]]] = {}
    editorial = []
    for r in evaluation.statements:
        s = r.statement
        if s.source is None:
            continue  # no label, decision point or source: nothing to show (SHACL reports it)
        entry = _entry(profile, r)
        if s.guideline:
            by_guideline.setdefault(s.guideline, []).append((s, entry))
        else:
            editorial.append(dict(entry, kind=s.kind, label=s.label))
    guidelines = []
    for g in evaluation.guidelines:
        wanted = {"covered": ("applies",), "ambiguous": ("applies",), "possible": ("possible",),
                  "silent": ()}[g.status]
        entries = sorted(by_guideline.get(g.key, []), key=lambda se: se[1]["id"])
        shown = [e for _, e in entries if e["status"] in wanted or g.status in ("covered", "ambiguous")]
        mdt = any(s.mdt for s, e in entries if e["status"] in wanted and s.kind == "management")
        guidelines.append({"guideline": g.key, "status": g.status, "modalities": list(g.modalities),
                           "mdt": mdt, "recommendations": shown})
    return {
        "profile": profile.id,
        "derived": profile.derived(),
        "guidelines": guidelines,
        "disagreements": sorted((dict(d) for d in evaluation.disagreements),
                                key=lambda x: (x["guidelines"], x["kind"])),
        "editorial_statements": sorted(editorial, key=lambda e: e["id"]),
    }


def _entry(profile, r) -> dict[str, Any]:
    s = r.statement
    assumptions = set(s.assumptions)
    if profile.notes and "grade" in s.fields:
        assumptions.update(profile.notes)
    return {
        "id": s.id,
        "status": STATEMENT_STATUS[r.status],
        "modalities": list(s.modalities),
        "procedures": list(s.procedures),
        "workup": list(s.workup),
        "follow_up": s.follow_up,
        "assumptions": sorted(assumptions),
        "missing": list(r.missing),
        "source": s.source.to_dict(),
    }


def answer(profile, model: Model) -> dict[str, Any]:
    """The answer computed by the criteria model itself (the scalar reference evaluator)."""
    return build_answer(profile, model, model.evaluate(profile))


# ---------------------------------------------------------------- the cohort row of an answer

def csv_columns(guideline_keys) -> list[str]:
    """The cohort output columns of DESIGN.md: id, K.status and K.modalities per guideline key in
    the graph's order, then conflicts and partial (sorted pairs A|B joined with ';')."""
    return ["id"] + [f"{k}.{c}" for k in guideline_keys for c in ("status", "modalities")] + ["conflicts", "partial"]


def answer_to_row(answer: dict[str, Any]) -> list[str]:
    row = [answer["profile"]]
    for g in answer["guidelines"]:
        row += [g["status"], ";".join(sorted(g["modalities"]))]
    for kind in ("conflict", "partial"):
        pairs = sorted("|".join(sorted(x["guidelines"])) for x in answer["disagreements"] if x["kind"] == kind)
        row.append(";".join(pairs))
    return row
