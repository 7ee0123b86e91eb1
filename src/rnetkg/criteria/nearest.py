"""How close each guideline's answer is to changing (DESIGN.md, Nearest changes).

For each known measured finding of a profile (size, Ki-67, mitotic count, depth of invasion, LVI, lymph
nodes) and each guideline: the nearest value below and above at which the guideline's status or
modalities change under the default readings, and what they become; for a categorical finding, each
other value that changes them.

Exact, not scanned: the answer is constant on every cell that the cut points of a numeric field cut its
domain into (every bound of every atom on that field, in every reading context, and the derivation cut
points of rnetkg.fields, where the grade or the T category changes). One profile per cell is evaluated
by the criteria model; the first cell on each side whose answer differs gives the change: a cut point
itself (``inclusive``: the answer has changed at ``at``) or the open interval beyond it (``inclusive``
false: it changes just past ``at``).

Varying a measurement re-derives the grade and the T category; a stated grade or T category that the
varied value would contradict is dropped (it is then derived, or unknown), never contradicted.
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import ProfileError, UsageError
from ..fields import DERIVATION_CUTS, FIELD_NAMES, FIELDS
from .grid import numeric_cells
from .model import DEFAULT_CONTEXT, Model

# the measured findings whose nearest changes an answer lists, in this order
NUMERIC_FINDINGS = ("size_mm", "ki67_percent", "mitoses_per_2mm2")
CATEGORICAL_FINDINGS = ("invasion_depth", "lymphovascular_invasion", "lymph_nodes")
# the stated values that a varied finding re-derives
_DERIVED_FROM = {"size_mm": ("t_stage",), "invasion_depth": ("t_stage",),
                 "ki67_percent": ("grade",), "mitoses_per_2mm2": ("grade",)}


def profile_fields(profile) -> dict[str, Any]:
    """The fields a profile states (no derived values), as the profile JSON gives them."""
    return {n: getattr(profile, n) for n in FIELD_NAMES if n != "id" and getattr(profile, n) is not None}


def vary(profile, name: str, value: Any):
    """The profile with one finding set to ``value``, grade and T category derived again; a stated grade
    or T category that the new value contradicts is dropped. None when even then it is not a valid profile."""
    from ..profile import derive

    fields = profile_fields(profile)
    fields[name] = value
    try:
        return derive(fields, profile.id)
    except ProfileError:
        for stated in _DERIVED_FROM.get(name, ()):
            fields.pop(stated, None)
        try:
            return derive(fields, profile.id)
        except ProfileError:
            return None


def cut_points(model: Model, name: str) -> list[float]:
    """Every value at which an answer may change along a numeric finding: the bounds of the criteria
    model's atoms on it and the derivation cut points (grade, T category)."""
    return sorted(set(model.bounds(name)) | set(DERIVATION_CUTS.get(name, ())))


def _answers(model: Model, profile, near=None) -> dict[str, tuple[str, tuple[str, ...]]]:
    found = model.guideline_results(profile.criteria_values(), profile.decision_point, DEFAULT_CONTEXT, near)
    return {g.key: (g.status, g.modalities) for g in found}


def _becomes(answer: tuple[str, tuple[str, ...]]) -> dict[str, Any]:
    return {"status": answer[0], "modalities": list(answer[1])}


def _contains(cell, v: float) -> bool:
    lo_ok = cell.lo is None or v > cell.lo or (cell.lo_inclusive and v == cell.lo)
    hi_ok = cell.hi is None or v < cell.hi or (cell.hi_inclusive and v == cell.hi)
    return lo_ok and hi_ok


def nearest_changes(model: Model, profile) -> dict[str, list[dict[str, Any]]]:
    """Per guideline key, its nearest changes (DESIGN.md: field, direction below/above/other_value, at,
    inclusive, becomes {status, modalities}, near_threshold false, and the profile's value)."""
    values = profile.criteria_values()
    found = model.guideline_results(values, profile.decision_point, DEFAULT_CONTEXT)
    near = (values, profile.decision_point, found)   # a varied profile is evaluated again where it differs
    base = {g.key: (g.status, g.modalities) for g in found}
    out: dict[str, list[dict[str, Any]]] = {k: [] for k in model.guideline_keys}
    for name in NUMERIC_FINDINGS:
        v = getattr(profile, name)
        if v is None:
            continue
        cells = numeric_cells(name, cut_points(model, name))
        here = next((i for i, c in enumerate(cells) if _contains(c, v)), None)
        if here is None:
            continue
        answers: dict[int, dict | None] = {}

        def answer_of(i: int):
            if i not in answers:
                varied = vary(profile, name, cells[i].point)
                answers[i] = _answers(model, varied, near) if varied is not None else None
            return answers[i]
        for key in model.guideline_keys:
            for direction, steps in (("below", range(here - 1, -1, -1)), ("above", range(here + 1, len(cells)))):
                for i in steps:
                    a = answer_of(i)
                    if a is None or a[key] == base[key]:
                        continue
                    c = cells[i]
                    point = c.lo == c.hi
                    at = c.lo if point else (c.lo if direction == "above" else c.hi)
                    if at is None or (isinstance(at, float) and math.isinf(at)):
                        break
                    out[key].append({"field": name, "direction": direction, "at": float(at), "inclusive": point,
                                     "becomes": _becomes(a[key]), "near_threshold": False, "value": v})
                    break
    for name in CATEGORICAL_FINDINGS:
        v = getattr(profile, name)
        if v is None:
            continue
        f = FIELDS[name]
        others = [x for x in ((False, True) if f.kind == "boolean" else f.values) if x != v]
        for other in others:
            varied = vary(profile, name, other)
            if varied is None:
                continue
            a = _answers(model, varied, near)
            for key in model.guideline_keys:
                if a[key] != base[key]:
                    out[key].append({"field": name, "direction": "other_value", "at": other, "inclusive": True,
                                     "becomes": _becomes(a[key]), "near_threshold": False, "value": v})
    return out


# ---------------------------------------------------------------- --tolerance FIELD=DELTA

def parse_tolerance(texts: list[str] | None) -> dict[str, float]:
    """``FIELD=DELTA`` items (DELTA a finite number >= 0 in the field's unit) as {field: delta}; a
    UsageError names the item and what is allowed."""
    out: dict[str, float] = {}
    allowed = ", ".join(NUMERIC_FINDINGS)
    for text in texts or []:
        name, sep, delta = text.partition("=")
        name = name.strip()
        if not sep or name not in NUMERIC_FINDINGS:
            raise UsageError(f"compare: --tolerance {text[:60]!r}: FIELD must be one of {allowed} "
                             f"(FIELD=DELTA, DELTA in the field's unit)")
        try:
            value = float(delta)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0:
            raise UsageError(f"compare: --tolerance {name}: DELTA must be a number >= 0 in "
                             f"{FIELDS[name].unit}, got {delta[:40]!r}")
        out[name] = value
    return out


def mark_near(answer: dict[str, Any], tolerance: dict[str, float]) -> dict[str, Any]:
    """Set ``near_threshold`` on every nearest change within its field's tolerance of the measured value."""
    for g in answer.get("guidelines", []):
        for c in g.get("nearest_changes", []):
            delta = tolerance.get(c["field"])
            c["near_threshold"] = bool(delta is not None and c["direction"] != "other_value"
                                       and abs(c["at"] - c["value"]) <= delta)
    return answer
