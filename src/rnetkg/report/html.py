"""Render an answer (the dict of DESIGN.md) as HTML with Jinja2, autoescaping every value.

``report_view`` turns the answer into what the templates show: modality keys as the graph's words,
each criterion's value in words, the source document named from the graph. The explanation fields
(per guideline ``reading_dependent``, ``readings``, ``silence``; per recommendation ``criteria``,
``risk_factors``, ``caveats``; ``missing_inputs``; per disagreement ``kind``, ``relation``,
``separating_criteria``) are shown when the answer has them, and left out when it does not.
Jinja2 is imported on the first render only (``rnetkg compare`` in the other formats never loads it).
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

from .. import vocab
from ..fields import FIELDS
from .context import ReportContext
from ..words import ci_level_words, readings_scope

TEMPLATES = Path(__file__).resolve().parent / "templates"
_ENV = None
_ENV_LOCK = threading.Lock()
_NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}


def show_value(value: Any) -> str:
    """A profile or criterion value in words: unknown, yes/no, a number without a trailing .0."""
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).replace("_", " ")


def field_label(name: str) -> str:
    """What a person reads for a profile field: its help text from the field table, else its name in words."""
    f = FIELDS.get(name)
    text = (f.help if f is not None and f.help else name.replace("_", " "))
    text = text.split(" (")[0]
    return text[:1].upper() + text[1:]


def environment():
    """The Jinja2 environment of the report and page templates (autoescape on, strict undefined)."""
    global _ENV
    with _ENV_LOCK:
        if _ENV is None:
            import jinja2

            env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                                     undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
            env.filters["value"] = show_value
            _ENV = env
    return _ENV


# ---------------------------------------------------------------- the view of an answer

def _criterion(c: Any) -> dict[str, Any]:
    if not isinstance(c, dict):
        return {"as_written": str(c), "field": "", "field_label": "", "value": "", "result": ""}
    field = c.get("field") or ""
    return {"as_written": c.get("as_written") or "", "field": field, "field_label": field_label(field) if field else "",
            "value": show_value(c.get("value")) if "value" in c else "", "result": c.get("result") or ""}


def _risk_factors(rf: Any) -> dict[str, Any] | None:
    if not isinstance(rf, dict):
        return None
    return {"definition": rf.get("definition") or "",
            **{part: [_criterion(c) for c in rf.get(part) or []] for part in ("present", "absent", "unknown")}}


def _source(src: dict[str, Any], ctx: ReportContext) -> dict[str, Any]:
    doi = src.get("document") or ""
    doc = ctx.source(doi)
    return {"doi": doi, "url": doc.url if doc else (f"https://doi.org/{doi}" if doi else ""),
            "document": (doc.citation or doc.label) if doc else doi, "locator": src.get("locator") or "",
            "quote": src.get("quote") or "", "reference": src.get("reference") or ""}


def _recommendation(r: dict[str, Any], ctx: ReportContext) -> dict[str, Any]:
    return {"id": r["id"], "status": r["status"], "missing": [field_label(m) + f" ({m})" for m in r.get("missing") or []],
            "modalities": ctx.modality_words(r.get("modalities")), "procedures": list(r.get("procedures") or []),
            "workup": list(r.get("workup") or []), "follow_up": _follow_up_text(r.get("follow_up")),
            "assumptions": list(r.get("assumptions") or []),
            "criteria": [_criterion(c) for c in r.get("criteria") or []],
            "risk_factors": _risk_factors(r.get("risk_factors")),
            "caveats": [str(c) for c in r.get("caveats") or []],
            "source": _source(r.get("source") or {}, ctx)}


def _follow_up_text(f: Any) -> str:
    from ..words import follow_up_words

    if isinstance(f, list):
        return "; ".join(follow_up_words(x) if isinstance(x, dict) else str(x) for x in f)
    return str(f or "")


def _silence(s: Any) -> dict[str, Any] | None:
    if not isinstance(s, dict):
        return None
    return {"reason": s.get("reason") or "",
            "closest": [{"id": c.get("id", ""), "failed": [_criterion(x) for x in c.get("failed") or []]}
                        for c in s.get("closest") or [] if isinstance(c, dict)]}


def _guideline(g: dict[str, Any], ctx: ReportContext) -> dict[str, Any]:
    readings = [{"reading": r.get("reading", ""), "label": r.get("label") or r.get("reading", ""),
                 "default": bool(r.get("default")), "status": r.get("status", ""),
                 "modalities": ctx.modality_words(r.get("modalities"))}
                for r in g.get("readings") or [] if isinstance(r, dict)]
    return {"key": g["guideline"], "label": ctx.guideline_labels.get(g["guideline"], g["guideline"]),
            "status": g["status"], "modality_keys": list(g["modalities"]),
            "modalities": ctx.modality_words(g["modalities"]), "mdt": bool(g.get("mdt")),
            "reading_dependent": bool(g.get("reading_dependent")), "readings": readings,
            "readings_scope": readings_scope(g.get("readings") or []),
            "silence": _silence(g.get("silence")), "aims": [str(a) for a in g.get("aims") or []],
            "initial_context": str((g.get("initial_context") or {}).get("note") or "")
            if isinstance(g.get("initial_context"), dict) else "",
            "warnings": [str(w.get("message") or w.get("statement") or "") if isinstance(w, dict) else str(w)
                         for w in g.get("warnings") or []],
            "recommendations": [_recommendation(r, ctx) for r in g.get("recommendations") or []]}


def _disagreement(d: dict[str, Any], by_key: dict[str, dict], ctx: ReportContext) -> dict[str, Any]:
    a, b = d["guidelines"]
    mods = d.get("modalities") if isinstance(d.get("modalities"), dict) else {}
    sides = [{"key": k, "modalities": ctx.modality_words(mods.get(k, by_key.get(k, {}).get("modalities")))}
             for k in (a, b)]
    return {"a": sides[0], "b": sides[1], "kind": d.get("kind", ""), "relation": d.get("relation") or "",
            "separating": [_criterion(c) | {"guideline": c.get("guideline", "")} if isinstance(c, dict)
                           else _criterion(c) | {"guideline": ""} for c in d.get("separating_criteria") or []]}


def _summary(answer: dict[str, Any], ctx: ReportContext) -> str:
    """The answer's own summary line (the strategies that divide the guidelines), then who may answer once
    more is known and who is silent."""
    from ..answer import Answer

    a = Answer.of(answer)
    parts = [a.summary_line] if a.summary_line else []
    possible = a.with_status(vocab.POSSIBLE_ANSWER)
    if possible:
        parts.append(f"possible (data missing): {', '.join(possible)}")
    silent = a.with_status(vocab.SILENT)
    if silent:
        parts.append(f"silent: {', '.join(silent)}")
    return "; ".join(parts)


def _missing_input(m: Any) -> dict[str, Any]:
    if not isinstance(m, dict):
        return {"field": str(m), "label": field_label(str(m)), "affects": [], "more": []}
    more = [(k, show_value(v) if not isinstance(v, (list, dict)) else _plain(v))
            for k, v in m.items() if k not in ("field", "affects")]
    return {"field": m.get("field", ""), "label": field_label(m.get("field", "")),
            "affects": list(m.get("affects") or []), "more": more}


def _plain(v: Any) -> str:
    if isinstance(v, dict):
        return "; ".join(f"{k}: {_plain(x)}" for k, x in v.items())
    if isinstance(v, list):
        return ", ".join(_plain(x) for x in v)
    return show_value(v)


# ---------------------------------------------------------------- the summary, first (DESIGN.md, Summary first)

_SEED = re.compile(r"\b[Ss]eed (\d{3})\b")

def seed_names(answer: dict[str, Any]) -> dict[str, str]:
    """'seed 000' -> the article it names, as the answer's provenance banner states it."""
    banner = str((answer.get("provenance") or {}).get("sources") or "")
    return {f"seed {n}": name.strip() for n, name in re.findall(r"seed (\d{3}), ([^;)]+)", banner)}


def cited(text: str, seeds: dict[str, str]) -> str:
    """A message of the graph with each 'seed 001' named by its article."""
    return _SEED.sub(lambda m: seeds.get(f"seed {m.group(1)}", m.group(0)), text)


def _split(answer: dict[str, Any], ctx: ReportContext) -> list[dict[str, Any]]:
    """The answer's split in words: each strategy with its guidelines, and where it has levels the
    modalities of that strategy each guideline names."""
    mods = {g["guideline"]: g["modalities"] for g in answer["guidelines"]}
    out = []
    for e in answer.get("split") or []:
        members = []
        for k in e["guidelines"]:
            own = [m for m in mods.get(k, []) if ctx.strategies.get(m, m) == e["strategy"]]
            members.append({"key": k, "modalities": ctx.modality_words(own) if "levels" in e else []})
        out.append({"strategy": e["strategy"], "label": ctx.strategy_words(e["strategy"]), "guidelines": members})
    return out


def _glance(g: dict[str, Any], ctx: ReportContext, seeds: dict[str, str]) -> dict[str, Any]:
    """A guideline in one line: its status, modalities, why (the criteria as written of what applies,
    what is missing, why silent), marks (MDT, reading-dependent, warned)."""
    from ..words import guideline_reason

    return {"key": g["guideline"], "status": g["status"], "modalities": ctx.modality_words(g["modalities"]),
            "mdt": bool(g.get("mdt")), "reading_dependent": bool(g.get("reading_dependent")),
            "warned": len(g.get("warnings") or []),
            "aims": [cited(str(a), seeds) for a in g.get("aims") or []],
            "reason": cited(guideline_reason(g).replace("_", " "), seeds)}


def _follow_up(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """The follow-up, each wording once with the guidelines that state it; 'not stated' last."""
    from ..words import follow_up_words

    groups: dict[str, list[str]] = {}
    for g in answer["guidelines"]:
        for f in g.get("follow_up") or []:
            keys = groups.setdefault(follow_up_words(f), [])
            if g["guideline"] not in keys:
                keys.append(g["guideline"])
    stated = [{"words": w, "guidelines": k} for w, k in groups.items() if w != "not stated"]
    return stated + ([{"words": "not stated", "guidelines": groups["not stated"]}] if "not stated" in groups else [])


def _value_words(field: str, value: Any) -> str:
    f = FIELDS.get(field)
    unit = f" {f.unit}" if f is not None and f.unit and not isinstance(value, (bool, str)) else ""
    return f"{show_value(value)}{'' if unit == ' %' else unit}{'%' if unit == ' %' else ''}"


def _outcome(key: str, outcome: dict[str, Any], ctx: ReportContext) -> str:
    status = outcome.get("status", "")
    words = ", ".join(ctx.modality_words(outcome.get("modalities")))
    if status == vocab.COVERED:
        return f"{key} would recommend {words}"
    if status == vocab.AMBIGUOUS:
        return f"{key} would name different options ({words})"
    if status == vocab.POSSIBLE_ANSWER:
        return f"{key} could still recommend {words or 'something'}, depending on other missing data"
    if status == vocab.AIM_ONLY:
        return f"{key} would state an aim only"
    return f"{key} would say nothing"


def _measure(m: Any, ctx: ReportContext) -> dict[str, Any]:
    """What to measure next, in sentences: which guidelines the field would settle, then what each value
    would make of their answers (guidelines with the same outcome named together)."""
    if not isinstance(m, dict):
        return {"field": str(m), "sentences": [f"{field_label(str(m))} would settle more of the answer."]}
    field = m.get("field", "")
    label = field_label(field)
    sentences = [f"{label} is not given; it would settle the answer of {_and(m.get('affects') or [])}."]
    for w in m.get("what_if") or []:
        if not isinstance(w, dict):
            continue
        by_outcome: dict[str, list[str]] = {}
        for key, outcome in (w.get("answers") or {}).items():
            text = _outcome("\0", outcome if isinstance(outcome, dict) else {}, ctx)
            by_outcome.setdefault(text, []).append(key)
        parts = [text.replace("\0", _and(keys)) for text, keys in by_outcome.items()]
        sentences.append(f"If it is {_value_words(field, w.get('value'))}: {'; '.join(parts)}.")
    return {"field": field, "sentences": sentences}


def _and(keys: list[str]) -> str:
    keys = list(keys)
    return keys[0] if len(keys) == 1 else ", ".join(keys[:-1]) + " and " + keys[-1] if keys else "no guideline"


def _change(key: str, c: Any, ctx: ReportContext) -> dict[str, Any]:
    """One nearest change of a guideline's answer, in words (as the answer gives it; never computed here)."""
    if not isinstance(c, dict):
        return {"text": f"{key}: {c}", "near": False}
    field = c.get("field", "")
    at = c.get("at")
    direction = c.get("direction", "")
    if direction == "other_value":
        where = f"if {field_label(field).lower()} were {_value_words(field, at)}"
    else:
        sign = {"above": ">" if not c.get("inclusive") else "≥", "below": "<" if not c.get("inclusive") else "≤"}
        where = f"at {field_label(field).lower()} {sign.get(direction, direction)} {_value_words(field, at)}"
    becomes = c.get("becomes") if isinstance(c.get("becomes"), dict) else {}
    return {"text": f"{where}, {_outcome(key, becomes, ctx)}", "near": bool(c.get("near_threshold"))}


def _evidence(e: Any, seeds: dict[str, str]) -> str:
    if not isinstance(e, dict):
        return cited(str(e), seeds)
    est = e.get("estimate") if isinstance(e.get("estimate"), dict) else {}
    figures = ""
    if est:
        figures = f" ({est.get('measure', '')} {show_value(est.get('value'))}"
        if est.get("ci_low") is not None:
            figures += f", {ci_level_words(est.get('ci_level'))}CI {show_value(est.get('ci_low'))}-{show_value(est.get('ci_high'))}"
        if est.get("p") is not None:
            figures += f", P {est.get('p')}"
        figures += ")"
    population = f"; {e['population']}" if e.get("population") else ""
    return cited(f"{e.get('statement') or e.get('id', '')}{figures}{population}", seeds)


def summary_view(answer: dict[str, Any], ctx: ReportContext, notes: list[str] | None = None) -> dict[str, Any]:
    """The summary the report and the page show first: read from the answer's views (answer.Answer),
    nothing recomputed."""
    from ..answer import Answer

    a = Answer.of(answer)
    seeds = seed_names(a)
    near = [dict(_change(g["guideline"], c, ctx), key=g["guideline"])
            for g in a["guidelines"] for c in g.get("nearest_changes") or []]
    return {
        "line": cited(a.summary_line, seeds),
        "split": _split(a, ctx),
        "glance": [_glance(g, ctx, seeds) for g in a["guidelines"]],
        "follow_up": _follow_up(a),
        "warnings": [{"key": g["guideline"], "text": cited(str(w.get("message") or w.get("statement") or ""), seeds)
                      if isinstance(w, dict) else cited(str(w), seeds)}
                     for g in a["guidelines"] for w in g.get("warnings") or []],
        "near": [c for c in near if c["near"]],
        "changes": near,
        "measure": [_measure(m, ctx) for m in a.get("missing_inputs") or []],
        "notes": list(notes or []),
        "silent": a.with_status(vocab.SILENT),
        "pair_counts": [(k, len(v)) for k, v in a.pairs_by_kind.items() if v],
        "seeds": seeds,
        "provenance": a.get("provenance") or {},
    }


def report_view(answer: dict[str, Any], profile, ctx: ReportContext, notes: list[str] | None = None) -> dict[str, Any]:
    """Everything the report shows, as plain values (the templates escape them); ``notes``: the
    plausibility warnings of the profile (profile.plausibility_warnings)."""
    seeds = seed_names(answer)
    by_key = {g["guideline"]: g for g in answer["guidelines"]}
    profile_rows = [{"name": f.name, "label": field_label(f.name), "unit": f.unit,
                     "value": show_value(getattr(profile, f.name, None))}
                    for f in FIELDS.values() if f.name != "id"]
    derived = answer.get("derived") or {}
    disagreements = [_disagreement(d, by_key, ctx) | {"evidence": [_evidence(e, seeds) for e in d.get("evidence") or []]}
                     for d in answer["disagreements"]]
    return {
        "glance": summary_view(answer, ctx, notes),
        "id": answer["profile"],
        "profile": profile_rows,
        "derived": [("WHO 2019 grade", show_value(derived.get("grade"))),
                    ("AJCC 8th T category", show_value(derived.get("t_stage"))),
                    ("Decision point", show_value(derived.get("decision_point")).replace("_", " "))],
        "summary": answer.get("summary") if isinstance(answer.get("summary"), str) else _summary(answer, ctx),
        "guidelines": [_guideline(g, ctx) for g in answer["guidelines"]],
        "disagreements": disagreements,
        "has_relation": any(d["relation"] for d in disagreements),
        "has_separating": any(d["separating"] for d in disagreements),
        "has_evidence": any(d["evidence"] for d in disagreements),
        "missing_inputs": [_missing_input(m) for m in answer.get("missing_inputs") or []],
        "editorial": [dict(_recommendation(e, ctx), kind=e.get("kind", "").replace("_", " "), label=e.get("label", ""))
                      for e in answer.get("editorial_statements") or []],
        "sources": ctx.sources,
        "sources_words": _NUMBER_WORDS.get(len(ctx.sources), str(len(ctx.sources))),
        "graph_version": ctx.graph_version,
        "rnetkg_version": ctx.rnetkg_version,
    }


def render_report(answer: dict[str, Any], profile, ctx: ReportContext, map_png: bytes | None = None,
                  notes: list[str] | None = None) -> str:
    """One self-contained HTML page for one profile (inline style sheet, no script, nothing fetched);
    with ``map_png``, the patient placed on the disagreement map, inlined as a data URI."""
    import base64

    view = report_view(answer, profile, ctx, notes)
    if map_png:
        view["map_src"] = "data:image/png;base64," + base64.b64encode(map_png).decode("ascii")
        view["map_size"] = show_value(profile.size_mm)
    return environment().get_template("report.html").render(view=view)


def render_template(name: str, **values: Any) -> str:
    """Any template of templates/ (the clinician page of rnetkg serve)."""
    return environment().get_template(name).render(**values)
