"""The answer of DESIGN.md for one profile, built from an evaluation (the SPARQL path's rows or the
criteria model's own evaluation: the same structure, so both give the same dict)."""

from __future__ import annotations

from typing import Any

from . import vocab
from .criteria.model import STATEMENT_STATUS, Evaluation, Model
from .explain import missing_inputs, recommendation_explanation, relation, silence


def build_answer(profile, model: Model, evaluation: Evaluation) -> dict[str, Any]:
    """The answer dict: derived values, each guideline in the graph's order with its status,
    modalities and the recommendations that apply (or are possible), disagreements, and the
    editorial statements that apply."""
    by_guideline: dict[str, list[tuple[Any, dict]]] = {}
    editorial = []
    values = profile.criteria_values()
    for r in evaluation.statements:
        s = r.statement
        if s.source is None:
            continue  # no label, decision point or source: nothing to show (SHACL reports it)
        entry = {**_entry(profile, r), **recommendation_explanation(s, values)}
        if s.guideline:
            by_guideline.setdefault(s.guideline, []).append((s, entry))
        else:
            editorial.append(dict(entry, kind=s.kind, label=s.label))
    guidelines = []
    for g in evaluation.guidelines:
        wanted = {vocab.COVERED: ("applies",), vocab.AMBIGUOUS: ("applies",), vocab.POSSIBLE_ANSWER: ("possible",),
                  vocab.SILENT: ()}[g.status]
        entries = sorted(by_guideline.get(g.key, []), key=lambda se: se[1]["id"])
        shown = [e for _, e in entries if e["status"] in wanted or vocab.answers(g.status)]
        mdt = any(s.mdt for s, e in entries if e["status"] in wanted and s.kind == "management")
        readings = reading_entries(model, evaluation, g)
        guidelines.append({"guideline": g.key, "status": g.status, "modalities": list(g.modalities),
                           "mdt": mdt, "reading_dependent": bool(readings), "readings": readings,
                           "recommendations": shown,
                           "silence": silence(model, profile, g.key) if g.status == vocab.SILENT else None})
    mods = {g["guideline"]: g["modalities"] for g in guidelines}
    applying = {}
    for r in evaluation.statements:
        if r.status == 1 and r.statement.counts_for_status:
            applying.setdefault(r.statement.guideline, []).append(r.statement)
    disagreements = []
    for d in sorted(evaluation.disagreements, key=lambda x: (x["guidelines"], x["kind"])):
        a, b = d["guidelines"]
        rel, separating = relation(model, profile.decision_point, applying.get(a, []), applying.get(b, []))
        disagreements.append({**d, "modalities": {k: mods[k] for k in d["guidelines"]}, "relation": rel,
                              "separating_criteria": separating})
    return {
        "profile": profile.id,
        "derived": profile.derived(),
        "summary": summary_line(guidelines, disagreements),
        "guidelines": guidelines,
        "disagreements": disagreements,
        "missing_inputs": missing_inputs(model, profile, evaluation),
        "editorial_statements": sorted(editorial, key=lambda e: e["id"]),
    }


def summary_line(guidelines: list[dict[str, Any]], disagreements: list[dict[str, Any]]) -> str:
    """One line above the details: how many answer, how many pairs conflict, the main split."""
    answering = [g for g in guidelines if vocab.answers(g["status"])]
    possible = [g for g in guidelines if g["status"] == vocab.POSSIBLE_ANSWER]
    conflicts = [d for d in disagreements if d["kind"] == "conflict"]
    parts = [f"{len(answering)} of {len(guidelines)} guidelines answer"]
    if possible:
        parts.append(f"{len(possible)} may answer once more is known")
    parts.append(f"{len(conflicts)} pair{'s' if len(conflicts) != 1 else ''} in conflict")
    sets: dict[tuple[str, ...], list[str]] = {}
    for g in answering:
        sets.setdefault(tuple(g["modalities"]), []).append(g["guideline"])
    if len(sets) > 1:
        split = sorted(sets.items(), key=lambda kv: -len(kv[1]))[:2]
        parts.append("main split: " + " vs ".join(f"{', '.join(k)} ({' + '.join(m).replace('_', ' ')})"
                                                   for m, k in split))
    elif sets:
        ((m, k),) = sets.items()
        parts.append(f"all that answer say {' + '.join(m).replace('_', ' ')}")
    return "; ".join(parts)


def reading_entries(model: Model, evaluation: Evaluation, default) -> list[dict[str, Any]]:
    """For a guideline whose answer changes under another reading of a passage: the default reading
    of each such passage and every other reading whose answer differs, each with its answer."""
    differing = [(model.readings[c], g) for c, answers in evaluation.contexts for g in answers
                 if g.key == default.key and (g.status, g.modalities) != (default.status, default.modalities)]
    out = []
    for passage in dict.fromkeys(r.passage for r, _ in differing):
        first = next(r for r in model.readings.values() if r.passage == passage and r.default)
        out.append(_reading(first, default))
        out += [_reading(r, g) for r, g in differing if r.passage == passage]
    return out


def _reading(r, g) -> dict[str, Any]:
    return {"reading": r.id, "label": r.label, "default": r.default, "status": g.status,
            "modalities": list(g.modalities), "passage": r.passage_label, "rationale": r.rationale}


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


def row_answer(profile, model: Model) -> dict[str, Any]:
    """Only what a cohort row holds (statuses, modalities, reading dependence, disagreements), from
    the criteria model: for the many profiles of the map."""
    e = model.evaluate_readings(profile)
    return {"profile": profile.id,
            "guidelines": [{"guideline": g.key, "status": g.status, "modalities": list(g.modalities),
                            "reading_dependent": bool(reading_entries(model, e, g))} for g in e.guidelines],
            "disagreements": [dict(d) for d in e.disagreements]}


def answer(profile, model: Model) -> dict[str, Any]:
    """The answer computed by the criteria model itself (the scalar reference evaluator)."""
    return build_answer(profile, model, model.evaluate_readings(profile))


# ---------------------------------------------------------------- the cohort row of an answer



def csv_columns(guideline_keys) -> list[str]:
    """The cohort output columns of DESIGN.md: id, K.status and K.modalities per guideline key in
    the graph's order, then conflicts, partial and complementary (sorted pairs A|B joined with ';')
    and reading_dependent (sorted guideline keys joined with ';')."""
    return (["id"] + [f"{k}.{c}" for k in guideline_keys for c in ("status", "modalities")]
            + [vocab.PAIR_COLUMNS[k] for k in vocab.PAIR_KINDS] + ["reading_dependent"])


def answer_to_row(answer: dict[str, Any]) -> list[str]:
    row = [answer["profile"]]
    for g in answer["guidelines"]:
        row += [g["status"], ";".join(sorted(g["modalities"]))]
    for kind in vocab.PAIR_KINDS:
        pairs = sorted("|".join(sorted(x["guidelines"])) for x in answer["disagreements"] if x["kind"] == kind)
        row.append(";".join(pairs))
    row.append(";".join(sorted(g["guideline"] for g in answer["guidelines"] if g.get("reading_dependent"))))
    return row
