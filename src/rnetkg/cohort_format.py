"""The cohort output CSV of DESIGN.md: id, then K.status and K.modalities for each guideline key
in DESIGN order, then conflicts and partial (sorted pairs A|B joined with ';')."""

from __future__ import annotations

from typing import Any

from .compare import GUIDELINE_KEYS

CSV_COLUMNS = ["id"] + [f"{k}.{c}" for k in GUIDELINE_KEYS for c in ("status", "modalities")] + [
    "conflicts", "partial"]


def answer_to_row(answer: dict[str, Any]) -> list[str]:
    by_key = {g["guideline"]: g for g in answer["guidelines"]}
    row = [answer["profile"]]
    for k in GUIDELINE_KEYS:
        row += [by_key[k]["status"], ";".join(sorted(by_key[k]["modalities"]))]
    for kind in ("conflict", "partial"):
        pairs = sorted("|".join(sorted(x["guidelines"])) for x in answer["disagreements"] if x["kind"] == kind)
        row.append(";".join(pairs))
    return row
