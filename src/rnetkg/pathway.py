"""Where the patient stands on each guideline's pathway (DESIGN.md, Pathway position): the follow-up each
answer states, what a guideline recommended for the tumour at initial management once a local excision
was done (initial_context), and the per-patient warnings of seed 001's cross-guideline consensus.

Everything here reads the criteria model and an evaluation (the SPARQL path's or the model's own); the
statuses themselves come from the queries."""

from __future__ import annotations

from typing import Any

from . import vocab
from .criteria.model import APPLIES, Evaluation, FollowUp, Model, Statement


def follow_up_object(plan: FollowUp | None, statement: Statement) -> dict[str, Any]:
    """DESIGN.md's follow-up object for one plan of a statement (kind not_stated where it states none)."""
    quote = statement.source.quote if statement.source else ""
    if plan is None:
        return {"kind": "not_stated", "examinations": [], "interval_months": None, "first_year_only": False,
                "as_written": "", "recommendation": statement.id, "quote": quote}
    return {"kind": plan.kind, "examinations": list(plan.examinations),
            "interval_months": list(plan.interval_months) if plan.interval_months else None,
            "first_year_only": plan.first_year_only, "as_written": plan.as_written,
            "recommendation": statement.id, "quote": quote}


def statement_follow_up(statement: Statement, values: dict[str, Any]) -> list[dict[str, Any]]:
    """The follow-up objects of a statement's plans that hold (or may hold) for these values."""
    return [follow_up_object(p, statement) for p in statement.follow_ups if p.holds(values) >= 0]


def guideline_follow_up(applying: list[Statement], values: dict[str, Any]) -> list[dict[str, Any]]:
    """The follow-up of an answer: the plans of its applicable management recommendations, and
    'not_stated' for each of them that states none."""
    out = []
    for s in applying:
        shown = statement_follow_up(s, values)
        out += shown or [follow_up_object(None, s)]
    return sorted(out, key=lambda f: (f["recommendation"], f["as_written"]))


def _procedure_within(model: Model, done: str | None, modalities: list[str]) -> bool | None:
    """Whether the local excision done lies within a modality set: by its modality; an unspecified one
    lies within when every local excision does, outside when none does, and is open otherwise."""
    if done is not None:
        return model.procedures[done][1] in modalities
    local = sorted({modality for _, modality in model.procedures.values()})
    inside = [m in modalities for m in local]
    return True if all(inside) else False if not any(inside) else None


def initial_context(model: Model, profile, initial: Evaluation, key: str) -> dict[str, Any]:
    """What a guideline recommends for this tumour at initial management, its stated work-up, and whether
    the local excision done lies within it (DESIGN.md)."""
    g = next(x for x in initial.guidelines if x.key == key)
    applying = [r.statement for r in initial.statements
                if r.statement.guideline == key and r.status == APPLIES]
    workup = sorted({w for s in applying for w in s.workup})
    done = profile.resection_procedure
    done_words = model.procedures[done][0] if done else "a local excision of unspecified kind"
    answers = vocab.answers(g.status)
    within = _procedure_within(model, done, list(g.modalities)) if answers else None
    mods = ", ".join(model.modality_labels.get(m, m) for m in g.modalities)
    if not answers:
        note = (f"{key} gives no recommendation for this tumour at initial management either ({g.status}); "
                "the sources neither recommend nor exclude completion treatment.")
    elif within:
        note = (f"The procedure done ({done_words}) lies within what {key} recommends at initial management "
                f"({mods}); the step that remains is the answer above, or not stated.")
    elif within is False:
        note = (f"The procedure done ({done_words}) lies outside what {key} recommends at initial management "
                f"({mods}): the sources neither recommend nor exclude completion treatment.")
    else:
        note = (f"Which local excision was done is not given: whether it lies within what {key} recommends at "
                f"initial management ({mods}) is open.")
    if workup:
        note += " Its stated work-up is listed; whether it was done is not recorded."
    return {"status": g.status, "modalities": list(g.modalities), "workup": workup, "procedure_done": done,
            "procedure_done_within": within, "note": note}


def _consensus(evaluation: Evaluation) -> list[Statement]:
    return [r.statement for r in evaluation.statements
            if r.statement.across_guidelines and r.status == APPLIES and r.statement.modalities]


def warnings(model: Model, evaluation: Evaluation, key: str, readings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Where the guideline's answer for this profile, under a reading, shares no modality with a consensus
    seed 001 states across guidelines that applies to the profile: under the default readings per
    applicable recommendation, under another reading for the guideline's answer there. Worded as a gap in
    the summary of the row, not as what the guideline recommends."""
    out = []
    for c in _consensus(evaluation):
        wanted = set(c.modalities)
        scope = "; ".join(x.as_written for x in c.criteria if x.as_written) or c.label
        quote = c.source.quote if c.source else ""
        for r in evaluation.statements:
            s = r.statement
            if s.guideline == key and r.status == APPLIES and s.counts_for_status and not wanted & set(s.modalities):
                out.append({"kind": "consensus_contradiction", "reading": "default", "recommendation": s.id,
                            "statement": c.id, "quote": quote,
                            "message": f"the row as summarised ({s.label or s.id}) has no qualifier for '{scope}', "
                                       f"for which seed 001 states a consensus across guidelines "
                                       f"({', '.join(model.modality_labels.get(m, m) for m in c.modalities)})"})
        for reading in readings:
            if reading["default"] or not vocab.answers(reading["status"]) or wanted & set(reading["modalities"]):
                continue
            out.append({"kind": "consensus_contradiction", "reading": reading["reading"], "recommendation": None,
                        "statement": c.id, "quote": quote,
                        "message": f"under the reading '{reading['label']}', the answer has no qualifier for "
                                   f"'{scope}', for which seed 001 states a consensus across guidelines"})
    return out
