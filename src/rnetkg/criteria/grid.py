"""The grids of the criteria model, for the explanations (how two answers relate), the coverage
and conflict analyses of `rnetkg check` and its overlap findings: for one guideline and decision point, one
profile per cell that its criteria distinguish (every bound of a numeric field, the open intervals
between them, every value of the other fields its criteria test), evaluated by the criteria model;
and the merging of cells into readable regions."""

from __future__ import annotations

import itertools
from collections import defaultdict
from typing import Any, Iterable

from .model import Statement
from ..record import record
from ..errors import ProfileError
from ..fields import BOOLEAN_FIELDS as _BOOLEANS, DERIVATION_CUTS, ENUM_FIELDS as _ENUMS, FIELDS, MARGINS, NUMBER_FIELDS
from ..profile import derive

# per numeric field: (lowest value, inclusive, highest value or None, unit), from rnetkg.fields
NUMERIC_FIELDS = {name: (FIELDS[name].minimum, FIELDS[name].minimum_inclusive, FIELDS[name].maximum, FIELDS[name].unit)
                  for name in NUMBER_FIELDS}
# the values of the enum fields that criteria test (T categories for t_stage); margin has its own axis
TESTED_VALUES = {name: FIELDS[name].tested_values for name in _ENUMS if name != "margin"}
BOOLEAN_FIELDS = tuple(name for name in _BOOLEANS if name != "distant_metastasis")
MARGINS_AFTER_RESECTION = tuple(m for m in MARGINS if m != "not_resected")
FIELD_VALUES = {**TESTED_VALUES, "margin": MARGINS}


@record
class Cell:
    """One cell of a numeric field: a bound (lo == hi) or the open interval between two bounds."""

    lo: float | None
    lo_inclusive: bool
    hi: float | None
    hi_inclusive: bool
    point: float


def numeric_cells(field: str, bounds: Iterable[float]) -> list[Cell]:
    """The cells that the bounds cut a numeric field's domain into, each with a sample value."""
    lo, lo_inc, hi, _ = NUMERIC_FIELDS[field]
    bs = sorted({b for b in bounds if b >= lo and (hi is None or b <= hi)})
    if not bs:
        return [Cell(lo, lo_inc, hi, True, (lo + (hi if hi is not None else 20.0)) / 2 or 1.0)]
    cells = []
    if bs[0] > lo:
        cells.append(Cell(lo, lo_inc, bs[0], False, (lo + bs[0]) / 2))
    for a, b in zip(bs, bs[1:]):
        cells.append(Cell(a, True, a, True, a))
        cells.append(Cell(a, False, b, False, (a + b) / 2))
    last = bs[-1]
    if last > lo or lo_inc:
        cells.append(Cell(last, True, last, True, last))
    if hi is None:
        cells.append(Cell(last, False, None, False, last + 1.0))
    elif last < hi:
        cells.append(Cell(last, False, hi, True, (last + hi) / 2))
    return cells


def _size_ok(s: Statement, size: float) -> bool:
    """Does the statement address this size (its direct size criteria hold; none: every size)?"""
    return all(c.atoms[0].status(size) == 1 for c in s.criteria if c.direct and c.atoms[0].field == "size_mm")


class Grid:
    """The profiles of one guideline at one decision point, with the cells they stand for."""

    def __init__(self, guideline: str, decision_point: str, statements: list[Statement],
                 points: list[dict[str, Any]], values: list[dict[str, Any]], status: list[dict[str, int]]):
        self.guideline = guideline
        self.decision_point = decision_point
        self.statements = statements
        self.points = points   # field -> cell (numeric) or value
        self.values = values   # the values the criteria see, per point
        self.status = status   # statement iri -> 1 / 0 / -1, per point


def build_grid(guideline: str, decision_point: str, statements: list[Statement], t_from_depth: bool = False) -> Grid:
    """The grid of a set of statements at one decision point. With ``t_from_depth``, a grid with
    an invasion-depth axis takes the T category from depth and size alone (every combination of a
    stated T category with a depth either repeats that T category or contradicts it)."""
    fields = set().union(*(s.fields for s in statements)) if statements else set()
    axes: dict[str, list] = {}
    for f in NUMERIC_FIELDS:
        if f not in fields and f != "size_mm":
            continue
        bounds = [b for s in statements for c in s.criteria for a in c.atoms if a.field == f
                  for b in (a.min, a.max) if b is not None]
        derived_by = {"size_mm": {"t_stage", "invasion_depth"}}.get(f, {"grade"})
        if fields & derived_by:
            bounds += DERIVATION_CUTS[f]
        cells = numeric_cells(f, bounds)
        if f == "size_mm":
            # the scope: from the smallest to the largest size its recommendations address (a hole in
            # between, such as one value left out at a boundary, is a gap inside the scope)
            inside = [i for i, c in enumerate(cells) if any(_size_ok(s, c.point) for s in statements)]
            cells = cells[inside[0]:inside[-1] + 1] if inside else []
        axes[f] = cells
    for f, vals in TESTED_VALUES.items():
        if f in fields:
            axes[f] = list(vals)
    for f in BOOLEAN_FIELDS:
        if f in fields:
            axes[f] = [False, True]
    if decision_point == "after_local_resection":
        axes["margin"] = list(MARGINS_AFTER_RESECTION) if "margin" in fields else ["negative"]
    elif decision_point == "metastatic_disease" and "margin" in fields:
        axes["margin"] = ["not_resected", *MARGINS_AFTER_RESECTION]
    else:
        axes["margin"] = ["not_resected"]
    axes["distant_metastasis"] = [decision_point == "metastatic_disease"]
    if t_from_depth and "invasion_depth" in axes:
        axes.pop("t_stage", None)

    names = list(axes)
    points, values, status = [], [], []
    seen = set()
    for combo in itertools.product(*(axes[n] for n in names)):
        point = dict(zip(names, combo))
        # a field allowed only with another field's value (resectability only with distant metastases) is
        # unknown where that value is not given
        for n in names:
            f = FIELDS.get(n)
            if f is not None and f.only_with and point.get(f.only_with[0]) not in f.only_with[1]:
                point[n] = None
        key = tuple(point[n] for n in names)
        if key in seen:
            continue
        seen.add(key)
        data = {n: (v.point if isinstance(v, Cell) else v) for n, v in point.items() if v is not None}
        try:
            p = derive(data)  # the cells' values are valid by construction
        except ProfileError:
            continue  # a combination no profile can have (a T1 tumour > 20 mm, G1 with Ki-67 25 %)
        if p.decision_point != decision_point:
            continue
        v = p.criteria_values()
        points.append(point)
        values.append(v)
        status.append({s.iri: s.status(v, decision_point) for s in statements})
    return Grid(guideline, decision_point, statements, points, values, status)



def merge_regions(vectors: Iterable[tuple], n: int) -> list[tuple[frozenset, ...]]:
    """Merge feature vectors into boxes: two boxes that differ in one feature only become one. The
    result covers exactly the given vectors."""
    regions = {tuple(frozenset([v]) for v in vec) for vec in vectors}
    changed = True
    while changed:
        changed = False
        for i in range(n):
            groups: dict[tuple, set] = defaultdict(set)
            for r in regions:
                groups[r[:i] + r[i + 1:]] |= r[i]
            merged = {k[:i] + (frozenset(v),) + k[i:] for k, v in groups.items()}
            if merged != regions:
                regions, changed = merged, True
    return sorted(regions, key=lambda r: tuple(sorted(map(repr, x)) for x in r))


def _fmt_number(x: float) -> str:
    return f"{x:g}"


def cells_text(field: str, cells: Iterable[Cell], domain: list[Cell]) -> str:
    """Adjacent cells joined into intervals, as text ("< 10 mm", "10-20 mm", "> 20 mm")."""
    unit = NUMERIC_FIELDS[field][3]
    chosen = set(cells)
    runs, run = [], []
    for c in sorted(domain, key=lambda c: c.point):
        if c in chosen:
            run.append(c)
        elif run:
            runs.append(run)
            run = []
    if run:
        runs.append(run)
    parts = []
    dom_lo = min(domain, key=lambda c: c.point)
    dom_hi = max(domain, key=lambda c: c.point)
    for r in runs:
        first, last = r[0], r[-1]
        lo, lo_inc, hi, hi_inc = first.lo, first.lo_inclusive, last.hi, last.hi_inclusive
        open_below = first is dom_lo and lo == NUMERIC_FIELDS[field][0]
        open_above = last is dom_hi and (hi is None or hi == NUMERIC_FIELDS[field][2])
        if open_below and open_above:
            return ""  # the whole axis
        if lo == hi:
            parts.append(f"{_fmt_number(lo)} {unit}")
        elif open_below and not open_above:
            parts.append(f"{'≤' if hi_inc else '<'} {_fmt_number(hi)} {unit}")
        elif open_above and not open_below:
            parts.append(f"{'≥' if lo_inc else '>'} {_fmt_number(lo)} {unit}")
        elif lo_inc and hi_inc:
            parts.append(f"{_fmt_number(lo)}-{_fmt_number(hi)} {unit}")
        else:
            parts.append(f"{'≥' if lo_inc else '>'} {_fmt_number(lo)} and {'≤' if hi_inc else '<'} "
                         f"{_fmt_number(hi)} {unit}")
    return " or ".join(parts)
