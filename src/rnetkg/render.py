"""Render answers for a person (table), for programs (JSON) and for spreadsheets (CSV)."""

from __future__ import annotations

import csv
import io
import json
import textwrap
from typing import TYPE_CHECKING, Any, Sequence

from . import vocab
from .answer import Answer
from .errors import printable
from .words import (criteria_text, evidence_words, follow_up_words, guideline_reason, modality_words, nearest_words,
                    provenance_line, readings_scope)
from .vocab import STATUSES
from .namespaces import short_iri

if TYPE_CHECKING:
    from .check.findings import Finding


WIDTH = 100


def _terminal(lines: Sequence[str]) -> str:
    """Lines for a terminal: no control character of an id, a value or a file name reaches it raw
    (errors.printable)."""
    return "\n".join(printable(line) for line in "\n".join(lines).split("\n"))


def to_json(answer: dict[str, Any]) -> str:
    return json.dumps(answer, indent=2, ensure_ascii=False)


def _wrap(label: str, text: str, indent: int = 4) -> list[str]:
    prefix = " " * indent + f"{label:<12}"
    lines = textwrap.wrap(text, WIDTH - len(prefix)) or [""]
    return [prefix + lines[0]] + [" " * len(prefix) + line for line in lines[1:]]


SUMMARY_MAX_LINES = 40


def _cut(line: str) -> str:
    return line if len(line) <= WIDTH else line[:WIDTH - 1] + "…"


def answer_summary(answer: dict[str, Any], source: str = "PROFILE") -> str:
    """The summary view (DESIGN.md, Summary first), at most 40 lines: the split, each guideline with why,
    the follow-up, warnings, what to measure next. When it would be longer, each guideline is cut to one
    line first, then warnings and the other lists are counted instead of listed; `--detail` gives every
    explanation."""
    a = Answer.of(answer)
    d = a["derived"]
    head = [provenance_line(a),
            f"Profile {printable(a['profile'])}: grade {d['grade'] or 'unknown'}, T category {d['t_stage'] or 'unknown'}, "
            f"{d['decision_point'].replace('_', ' ')}"]
    head += [_cut(f"  ({note})") for note in a.get("notes", [])]
    head += textwrap.wrap(a.summary_line, WIDTH) if a.summary_line else []
    width = max(len(modality_words(g["modalities"])) for g in a["guidelines"])
    long_rows, short_rows = [], []
    for g in a["guidelines"]:
        strengths = sorted({r["strength"] for r in g["recommendations"]
                            if r.get("strength") and r["status"] == "applies" and r.get("modalities")})
        marks = ("  [MDT decision]" if g["mdt"] else "") + ("  [reading-dependent]" if g["reading_dependent"] else "")
        line = f"{g['guideline']:<11} {g['status']:<9} {modality_words(g['modalities']):<{width}}{marks}".rstrip()
        if len(line) > WIDTH:   # the marks are never cut: they go under the modalities
            line = f"{g['guideline']:<11} {g['status']:<9} {modality_words(g['modalities'])}"
            long_marks = [" " * 22 + marks.strip()]
        else:
            long_marks = []
        for w in strengths:     # the source's own words of strength, as far as the line has room
            if len(line) + len(w) + 4 <= WIDTH:
                line += f"  “{w}”"
        because = guideline_reason(g)
        long_rows += [_cut(line)] + long_marks + [_cut(" " * 12 + t) for t in textwrap.wrap(because, WIDTH - 12)[:2]]
        short_rows.append(_cut(f"{line}{'  ' + marks.strip() if long_marks else ''}  {because}" if because else line))
    follow: dict[str, list[str]] = {}
    for g in a["guidelines"]:
        for f in g.get("follow_up", []):
            follow.setdefault(follow_up_words(f), [])
            if g["guideline"] not in follow[follow_up_words(f)]:
                follow[follow_up_words(f)].append(g["guideline"])
    follow_lines = [f"  {', '.join(keys)}: {words}" for words, keys in follow.items() if words != "not stated"]
    if "not stated" in follow:
        follow_lines.append(f"  not stated by {', '.join(follow['not stated'])}")
    warned = [f"  {g['guideline']}: {w['message']}" for g in a["guidelines"] for w in g.get("warnings", [])]
    measure = [f"  {m['field']}: changes the answer of {', '.join(m['affects'])}" for m in a.get("missing_inputs", [])]
    near = [f"  {nearest_words(g['guideline'], c)}" for g in a["guidelines"] for c in g.get("nearest_changes", [])
            if c.get("near_threshold")]
    gaps = a.with_status(vocab.SILENT)
    tail = [_cut(f"Silent (coverage gap, not disagreement): {', '.join(gaps)}")] if gaps else []
    tail.append(_cut(f"Every explanation, source and quote: rnetkg compare {printable(source)} --detail"))
    blocks = [("Follow-up:", follow_lines), ("Warnings (seed 001's consensus):", warned), ("To measure next:", measure),
              ("Near a threshold (--tolerance):", near)]

    def assemble(rows: list[str], listed: bool) -> list[str]:
        body = []
        for title, lines in blocks:
            if lines:
                body += [title] + [_cut(x) for x in lines] if listed else [f"{title} {len(lines)}, see --detail"]
        return head + [""] + rows + [""] + body + tail
    for rows, listed in ((long_rows, True), (short_rows, True), (short_rows, False)):
        out = assemble(rows, listed)
        if len(out) <= SUMMARY_MAX_LINES:
            return _terminal(out)
    return _terminal(out[:SUMMARY_MAX_LINES - 1] + [tail[-1]])


def answer_table(answer: dict[str, Any]) -> str:
    """The answer for a person: each guideline's answer in words with the reason beside it, where the
    sources are unclear, the disagreements with their types, and what to measure next."""
    out = []
    d = answer["derived"]
    out.append(f"Profile {printable(answer['profile'])}: grade {d['grade'] or 'unknown'}, "
               f"T category {d['t_stage'] or 'unknown'}, {d['decision_point'].replace('_', ' ')}")
    if answer.get("summary"):
        out.append(answer["summary"])
    out.append("")
    by_key = {g["guideline"]: g for g in answer["guidelines"]}
    for g in answer["guidelines"]:
        key = g["guideline"]
        out.append(f"{key:<11} {g['status'].upper():<10} {modality_words(g['modalities'])}"
                   + ("   [MDT decision]" if g["mdt"] else ""))
        ctx = g.get("initial_context")
        if ctx:
            out.extend(_wrap("initially", f"{ctx['status']} {modality_words(ctx['modalities'])}"
                             + (f"; work-up stated: {', '.join(ctx['workup'])}" if ctx["workup"] else "")
                             + f". {ctx['note']}", 4))
        for w in g.get("warnings", []):
            out.extend(_wrap("warning", w["message"] + f" (\"{w['quote']}\")", 4))
        for aim in g.get("aims", []):
            out.extend(_wrap("aim", f"{aim} (an aim, not an action: no modality, no pair)", 4))
        if g.get("silence"):
            out.extend(_wrap("why", g["silence"]["reason"], 4))
            for c in g["silence"]["closest"]:
                failed = criteria_text(c["failed"], "failed")
                out.extend(_wrap("closest", c["id"] + (f": fails {failed}" if failed else ""), 4))
        for r in g.get("readings", []):
            mark = "default reading" if r["default"] else "combined" if r.get("combines") else "other reading"
            out.extend(_wrap("depends", f"{mark} '{r['label']}': {r['status']} {modality_words(r['modalities'])}", 4))
        if readings_scope(g.get("readings", [])):
            out.extend(_wrap("together", readings_scope(g["readings"]), 4))
        for r in g["recommendations"]:
            mark = "" if r["status"] == "applies" else f"  (possible: missing {', '.join(r['missing'])})"
            out.append(f"    - {r['id']}{mark}")
            met = criteria_text(r.get("criteria", []), "met")
            if met:
                out.extend(_wrap("because", met, 6))
            rf = r.get("risk_factors")
            if rf:
                parts = [f"{label}: {criteria_text(rf[k], result)}" for label, k, result in
                         (("present", "present", "met"), ("absent", "absent", "failed"), ("unknown", "unknown", "unknown"))
                         if rf[k]]
                out.extend(_wrap("risk", f"{rf['definition']}: " + "; ".join(parts), 6))
            if r["procedures"]:
                out.extend(_wrap("actions", "; ".join(r["procedures"]), 6))
            if r["workup"]:
                out.extend(_wrap("work-up", "; ".join(r["workup"]), 6))
            for f in r["follow_up"]:
                out.extend(_wrap("follow-up", f"{follow_up_words(f)}: \"{f['as_written']}\"", 6))
            if r.get("strength"):
                out.extend(_wrap("strength", f"as written: '{r['strength']}'", 6))
            for a in r["assumptions"]:
                out.extend(_wrap("assumes", a, 6))
            for c in r.get("caveats", []):
                out.extend(_wrap("caveat", c, 6))
            src = r["source"]
            out.extend(_wrap("source", f"doi:{src['document']}, {src['locator']}", 6))
            out.extend(_wrap("quote", f"\"{src['quote']}\"", 6))
        for c in g.get("nearest_changes", []):
            out.extend(_wrap("nearest", ("[near a threshold] " if c.get("near_threshold") else "")
                             + nearest_words(key, c), 4))
    out.append("")
    if answer["disagreements"]:
        out.append("Disagreements:")
        for x in answer["disagreements"]:
            a, b = x["guidelines"]
            rel = f" [{x['relation']}]" if x.get("relation") else ""
            out.append(f"  {x['kind']:<13} {a} vs {b}{rel}: "
                       f"{modality_words(by_key[a]['modalities'])}  |  {modality_words(by_key[b]['modalities'])}")
            sep = "; ".join(f"{c['guideline']} '{c['as_written']}'" for c in x.get("separating_criteria", []))
            if sep:
                out.extend(_wrap("by", sep, 4))
            evidence = x.get("evidence", [])
            for e in evidence:
                out.append(_cut(f"    {'evidence':<12}{evidence_words(e)}"))
            slips = {(s["kind"], (e.get("study") or {}).get("label") or e["id"]) for e in evidence
                     for s in e.get("source_slips", [])}
            for kind, where in sorted(slips):
                out.append(_cut(f"    {'source slip':<12}{where}: {kind.replace('_', ' ')} (rnetkg check)"))
    else:
        out.append("Disagreements: none")
    silent = Answer.of(answer).with_status(vocab.SILENT)
    if silent:
        out.append(f"Silent (coverage gap, not disagreement): {', '.join(silent)}")
    if answer.get("missing_inputs"):
        out.append("")
        out.append("To measure next:")
        for m in answer["missing_inputs"]:
            out.append(f"  {m['field']}: settles {', '.join(m['affects'])}")
    if answer.get("editorial_statements"):
        out.append("")
        out.append("Editorial statements (seed 001, not guidelines):")
        for e in answer["editorial_statements"]:
            out.append(f"  - {e['id']} [{e['kind']}, {e['status']}]: {modality_words(e['modalities'])}")
    return _terminal(out)


def prefixed(value: Any) -> str:
    """A cell for a person: an IRI of the graph as its short id (nccn-2025/rec-t1, what `rnetkg describe`
    and `--param` take) or prefixed name (rnet:EndoscopicResection, skos:exactMatch); anything else as is."""
    from .namespaces import KG, PREFIXES

    text = str(value)
    if not text.startswith(("http://", "https://")):
        return text
    if text.startswith(KG):
        return text[len(KG):]
    for prefix, ns in PREFIXES.items():
        local = text[len(ns):]
        if text.startswith(ns) and local and all(c.isalnum() or c in "_-." for c in local):
            return f"{prefix}:{local}"
    return text


def rows_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Rows for a terminal: IRIs of the graph by their short ids and prefixed names (CSV and JSON keep
    the full IRIs), each column at most 60 characters wide."""
    cells = [[("" if v is None else printable(prefixed(v))) for v in row] for row in rows]
    widths = [min(60, max([len(c)] + [len(r[i]) for r in cells])) for i, c in enumerate(columns)]
    fmt = lambda row: "  ".join((v if len(v) <= widths[i] else v[: widths[i] - 1] + "…").ljust(widths[i])
                                for i, v in enumerate(row)).rstrip()
    lines = [fmt(list(columns)), fmt(["-" * w for w in widths])] + [fmt(r) for r in cells]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return _terminal(lines)


def rows_csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for row in rows:
        w.writerow(["" if v is None else v for v in row])
    return buf.getvalue()


def rows_json(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    return json.dumps([dict(zip(columns, row)) for row in rows], indent=2, ensure_ascii=False)


def answer_csv(answer: dict[str, Any]) -> str:
    """One answer as the cohort CSV row (same columns as `compare --cohort`)."""
    from .answer import answer_to_row, csv_columns

    from .cohort.write import formula_safe

    return rows_csv([formula_safe(c) for c in csv_columns([g["guideline"] for g in answer["guidelines"]])],
                    [[formula_safe(c) for c in answer_to_row(answer)]])


def format_summary(summary: dict[str, Any]) -> str:
    """The summary that `rnetkg compare --cohort` prints."""
    read = summary["read"]
    classes = summary.get("classes")
    shared = f", {classes:,} classes of profiles evaluated" if classes is not None else ""
    if summary.get("queried") is not None:
        shared += f" (the queries on {summary['queried']:,} of them: the others share their statements' statuses)"
    lines = [f"cohort {printable(summary['input'])}: {read:,} profile{'' if read == 1 else 's'} read, "
             f"{summary['written']:,} written to {printable(summary['output'])}, {summary['rejected']:,} rejected "
             f"({summary['engine']} engine"
             f"{shared}, {summary['seconds']:.2f} s)"]
    if summary.get("notes"):
        n = len(summary["notes"])
        lines.append(f"{n:,} note{'' if n == 1 else 's'} on reading the FHIR export (standard error)")
    lines.append("")
    head = f"{'guideline':<12}" + "".join(f"{s:>11}" for s in STATUSES) + f"{'reading-dependent':>19}"
    lines.append(head)
    for k in summary["guidelines"]:
        counts = summary["status_counts"][k]
        lines.append(f"{k:<12}" + "".join(f"{counts[s]:>11}" for s in STATUSES)
                     + f"{summary['reading_dependent'].get(k, 0):>19}")
    lines.append("")
    kinds = tuple(vocab.PAIR_COLUMNS[k] for k in vocab.PAIR_KINDS)
    pairs = sorted(set().union(*(summary[k] for k in kinds)))
    if pairs:
        width = max(len("guideline pair"), *(len(p) for p in pairs))
        lines.append(f"{'guideline pair':<{width}}" + "".join(f"   {k:>13}" for k in vocab.PAIR_KINDS))
        for p in pairs:
            lines.append(f"{p:<{width}}" + "".join(f"   {summary[vocab.PAIR_COLUMNS[k]].get(p, 0):>13}"
                                                   for k in vocab.PAIR_KINDS))
    else:
        lines.append("disagreements: none")
    return _terminal(lines)


def format_findings(findings: Sequence[Finding], fmt: str = "table", elapsed: float | None = None) -> str:
    """The findings as JSON ({"findings": [...]} as DESIGN.md, plus "elapsed_seconds") or as a table."""
    from .check.findings import ERROR, WARNING

    if fmt == "json":
        doc: dict[str, Any] = {"findings": [f.to_dict() for f in findings]}
        if elapsed is not None:
            doc["elapsed_seconds"] = round(elapsed, 2)
        return json.dumps(doc, ensure_ascii=False, indent=2)
    errors = sum(f.severity == ERROR for f in findings)
    warnings = sum(f.severity == WARNING for f in findings)
    lines = []
    if findings:
        kind_w = max(len("kind"), *(len(f.kind) for f in findings))
        lines.append(f"{'kind':<{kind_w}}  {'severity':<8}  subject")
        lines.append(f"{'':-<{kind_w}}  {'':-<8}  {'':-<40}")
        for f in findings:
            lines.append(f"{f.kind:<{kind_w}}  {f.severity:<8}  {short_iri(f.subject)}")
            lines.extend(textwrap.wrap(f.message, width=110, initial_indent="    ", subsequent_indent="    ",
                                       break_long_words=False, break_on_hyphens=False))
    took = f" in {elapsed:.1f} s" if elapsed is not None else ""
    lines.append(f"{len(findings)} finding(s): {errors} error(s), {warnings} warning(s){took}")
    return _terminal(lines)


def side_by_side_table(profile, answer: dict[str, Any], rows, seconds: float, reasoner: str) -> str:
    """rnetkg.criteria.owl.side_by_side as a table: SPARQL and reasoner, per guideline."""
    table = [(key, ", ".join(s) or "-", ", ".join(r) or "-", "yes" if s == r else "NO") for key, s, r in rows]
    disagree = sum(t[3] == "NO" for t in table)
    head = ("guideline", "SPARQL applies", f"reasoner ({reasoner}) applies", "agree")
    widths = [max(len(x[i]) for x in [head, *table]) for i in range(4)]
    lines = [f"profile {printable(answer.get('profile', profile.id))}: decision point {profile.decision_point}",
             "  ".join(h.ljust(w) for h, w in zip(head, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in table]
    verdict = "the reasoner and SPARQL agree" if not disagree else f"they disagree on {disagree} row(s)"
    lines.append(f"{verdict} (reasoner call {seconds:.1f} s)")
    return _terminal(lines)
