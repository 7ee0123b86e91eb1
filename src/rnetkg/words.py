"""An answer's parts in words, the same in every renderer: the terminal's summary and detail views
(rnetkg.render), the clinician page and the HTML report (rnetkg.report), the CDS Hooks cards."""

from __future__ import annotations

from typing import Any

from . import vocab


def modality_words(keys) -> str:
    return ", ".join(k.replace("_", " ") for k in keys) or "-"


def criteria_text(criteria: list[dict[str, Any]], result: str) -> str:
    def one(c):
        value = "" if c["value"] is None else f" ({str(c['value']).lower() if isinstance(c['value'], bool) else c['value']})"
        return f"{c['as_written']}{value}"
    return "; ".join(one(c) for c in criteria if c["result"] == result and c["field"] != "precedence")


def provenance_line(answer: dict[str, Any]) -> str:
    p = answer.get("provenance") or {}
    return (f"rnetkg {p.get('rnetkg', '?')} · graph {str(p.get('graph', ''))[:12]} · default readings · "
            "as summarised by two review articles")


def before_excision(initial: Any, modality_words) -> str:
    """After an excision, what a guideline recommended at initial management and whether the excision
    done lies within it ('covered, radical surgery; the excision done lies outside it'); '' otherwise."""
    if not isinstance(initial, dict) or not initial.get("status"):
        return ""
    within = {True: "; the excision done lies within it", False: "; the excision done lies outside it"}
    return (f"{initial['status']}, {', '.join(modality_words(initial.get('modalities'))) or '-'}"
            + within.get(initial.get("procedure_done_within"), ""))


def readings_scope(readings: list[dict[str, Any]]) -> str:
    """What a guideline's reading entries leave out, in words: the readings of two or more of its
    passages were evaluated together too (every combination), and a combination that answers as one of
    the readings it combines is not listed. Empty when the entries span one passage."""
    passages = list(dict.fromkeys(r.get("passage") for r in readings
                                  if isinstance(r, dict) and r.get("passage") and not r.get("combines")))
    if len(passages) < 2:
        return ""
    return (f"The answer changes under readings of {len(passages)} passages. Every combination of their "
            "readings was evaluated too; a combination that answers as one of the readings it combines is "
            "not listed.")


def guideline_reason(g: dict[str, Any]) -> str:
    """Why a guideline answers as it does, in a few words (the summary line of every renderer): what applies (criteria as written), what is missing, why silent, the aim."""
    if g["status"] == vocab.AIM_ONLY:
        return "aim: " + "; ".join(g.get("aims", []))
    if g["status"] == vocab.POSSIBLE_ANSWER:
        missing = sorted({m for r in g["recommendations"] for m in r.get("missing", [])})
        return "possible: missing " + ", ".join(missing)
    if g["status"] == vocab.SILENT:
        ctx = g.get("initial_context")
        if ctx and ctx["modalities"]:
            within = {True: "the excision done lies within it", False: "the excision done lies outside it",
                      None: "whether the excision done lies within it is open"}[ctx["procedure_done_within"]]
            return f"nothing after an excision; before it: {modality_words(ctx['modalities'])} ({within})"
        return (g.get("silence") or {}).get("reason", "")
    texts = []
    for r in g["recommendations"]:
        if r["status"] == "applies":
            met = criteria_text(r.get("criteria", []), "met")
            if met and met not in texts:
                texts.append(met)
    return "because " + " | ".join(texts) if texts else ""


def follow_up_words(f: dict[str, Any]) -> str:
    """A follow-up object in words (every renderer's wording)."""
    if f["kind"] == "none":
        return "no further follow-up"
    if f["kind"] == "not_stated":
        return "not stated"
    interval = f["interval_months"]
    words = f"every {interval[0]:g}-{interval[1]:g} months" if interval else "interval not stated"
    joined = " and " if f.get("all_examinations") else " or "
    exams = joined.join(f["examinations"]) if f["examinations"] else "examinations not named"
    return f"{words}, {exams}" + ("; first year only, later not stated" if f["first_year_only"] else "")


def unit_suffix(name: str) -> str:
    from .fields import FIELDS

    unit = FIELDS[name].unit if name in FIELDS else ""
    return ("" if unit == "%" else " ") + unit if unit else ""


def value_words(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:g}" if isinstance(value, float) else str(value).replace("_", " ")


def field_words(name: str) -> str:
    from .fields import FIELDS

    f = FIELDS.get(name)
    return f.help if f is not None and f.kind == "number" and f.help else name.replace("_", " ")


def becomes_words(becomes: dict[str, Any]) -> str:
    if vocab.answers(becomes["status"]) and becomes["status"] == vocab.COVERED:
        return modality_words(becomes["modalities"])
    return becomes["status"] + (f": {modality_words(becomes['modalities'])}" if becomes["modalities"] else "")


def nearest_words(key: str, c: dict[str, Any]) -> str:
    """One nearest change in words: 'ENETS-2023 changes at 20 mm, 1 mm away: radical surgery'."""
    name = c["field"]
    if c["direction"] == "other_value":
        return f"{key} changes if {field_words(name)} is {value_words(c['at'])}: {becomes_words(c['becomes'])}"
    unit = unit_suffix(name)
    where = "at" if c["inclusive"] else f"just {c['direction']}"
    away = abs(c["at"] - c["value"])
    return (f"{key} changes {where} {c['at']:g}{unit} ({field_words(name)}), {away:g}{unit} away: "
            f"{becomes_words(c['becomes'])}")


def ci_level_words(level: float | None) -> str:
    """'95% ' for a confidence level of 0.95; nothing where the graph gives none."""
    return f"{level * 100:g}% " if level is not None else ""


def evidence_words(e: dict[str, Any]) -> str:
    """One evidence item of a disagreement in words: a study figure with its estimate and cut points; an
    outcome figure with its own study; or that the sources give none (cohorts, quotes and the source slips'
    messages are in the JSON)."""
    if e["kind"] == "no_figures":
        return f"{e['statement']} ({', '.join(e['guidelines'])})"
    study = (e.get("study") or {}).get("label") or (f"statement citing {e['references']}" if e.get("references")
                                                    else "statement")
    if e["kind"] == "study":
        est = e.get("estimate") or {}
        figures = []
        if est.get("value") is not None:
            ci = (f", {ci_level_words(est.get('ci_level'))}CI {est['ci_low']:g}-{est['ci_high']:g}"
                  if est.get("ci_low") is not None and est.get("ci_high") is not None else "")
            figures.append(f"{est.get('measure') or 'estimate'} {est['value']:g}{ci}")
        if est.get("p"):
            figures.append(f"P {est['p'] if est['p'][0] in '<>' else '= ' + est['p']}")
        cut = e["cut_point"]
        text = f"{e['field']}: {e['statement']}" + (f" ({', '.join(figures)})" if figures else "")
        if cut.get("study") is not None:
            text += f"; study cut point {cut['study']} beside {'; '.join(cut['guideline'])}"
    else:
        value = f" {e['value']}" if e.get("value") else ""
        within = f" vs {e['compared_within_study_with']} in the same study" if e.get("compared_within_study_with") else ""
        text = f"{e['modality'].replace('_', ' ')}: {e['statement']}{value}{within}"
    return text
