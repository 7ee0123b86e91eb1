"""Render answers for a person (table), for programs (JSON) and for spreadsheets (CSV)."""

from __future__ import annotations

import csv
import io
import json
import textwrap
from typing import Any, Sequence

from .compare import GUIDELINE_KEYS

WIDTH = 100


def to_json(answer: dict[str, Any]) -> str:
    return json.dumps(answer, indent=2, ensure_ascii=False)


def _wrap(label: str, text: str, indent: int = 4) -> list[str]:
    prefix = " " * indent + f"{label:<12}"
    lines = textwrap.wrap(text, WIDTH - len(prefix)) or [""]
    return [prefix + lines[0]] + [" " * len(prefix) + line for line in lines[1:]]


def answer_table(answer: dict[str, Any]) -> str:
    out = []
    d = answer["derived"]
    out.append(f"Profile {answer['profile']}: grade {d['grade'] or 'unknown'}, "
               f"T category {d['t_stage'] or 'unknown'}, decision point {d['decision_point']}")
    out.append("")
    by_key = {g["guideline"]: g for g in answer["guidelines"]}
    for key in GUIDELINE_KEYS:
        g = by_key[key]
        mods = ", ".join(g["modalities"]) or "-"
        out.append(f"{key:<11} {g['status'].upper():<10} {mods}" + ("   [MDT decision]" if g["mdt"] else ""))
        for r in g["recommendations"]:
            mark = "" if r["status"] == "applies" else f"  (possible: missing {', '.join(r['missing'])})"
            out.append(f"    - {r['id']}{mark}")
            if r["procedures"]:
                out.extend(_wrap("actions", "; ".join(r["procedures"]), 6))
            if r["workup"]:
                out.extend(_wrap("work-up", "; ".join(r["workup"]), 6))
            if r["follow_up"]:
                out.extend(_wrap("follow-up", r["follow_up"], 6))
            for a in r["assumptions"]:
                out.extend(_wrap("assumes", a, 6))
            src = r["source"]
            out.extend(_wrap("source", f"doi:{src['document']}, {src['locator']}", 6))
            out.extend(_wrap("quote", f"\"{src['quote']}\"", 6))
    out.append("")
    if answer["disagreements"]:
        out.append("Disagreements:")
        for x in answer["disagreements"]:
            a, b = x["guidelines"]
            out.append(f"  {x['kind']:<9} {a} vs {b}: "
                       f"{', '.join(by_key[a]['modalities'])}  |  {', '.join(by_key[b]['modalities'])}")
    else:
        out.append("Disagreements: none")
    silent = [g["guideline"] for g in answer["guidelines"] if g["status"] == "silent"]
    if silent:
        out.append(f"Silent (coverage gap, not disagreement): {', '.join(silent)}")
    if answer.get("editorial_statements"):
        out.append("")
        out.append("Editorial statements (seed 001, not guidelines):")
        for e in answer["editorial_statements"]:
            out.append(f"  - {e['id']} [{e['kind']}, {e['status']}]: {', '.join(e['modalities']) or '-'}")
    return "\n".join(out)


def rows_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [min(60, max([len(c)] + [len(r[i]) for r in cells])) for i, c in enumerate(columns)]
    fmt = lambda row: "  ".join((v if len(v) <= widths[i] else v[: widths[i] - 1] + "…").ljust(widths[i])
                                for i, v in enumerate(row)).rstrip()
    lines = [fmt(list(columns)), fmt(["-" * w for w in widths])] + [fmt(r) for r in cells]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)


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
    from .cohort_format import CSV_COLUMNS, answer_to_row

    return rows_csv(CSV_COLUMNS, [answer_to_row(answer)])
