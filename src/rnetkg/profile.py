"""Case profiles: parse and validate the profile JSON of DESIGN.md, derive grade, T category and
decision point, and turn a profile into the RDF terms that the SPARQL queries bind.

Rules (DESIGN.md):
- WHO 2019 grade: Ki-67 < 3 % G1, 3-20 % G2, > 20 % G3; mitoses < 2 G1, 2-20 G2, > 20 G3 per
  2 mm²; the higher grade wins. With only one of the two measured, the grade is derived from it and
  the answer says so. A stated grade must not contradict the measurements.
- AJCC 8th T category: mucosa/submucosa and <= 20 mm T1 (T1a < 10 mm, T1b 10-20 mm);
  muscularis propria, or > 20 mm, T2; subserosa T3; serosa or adjacent organs T4. A stated T
  category must not contradict size and depth.
- Decision point: distant metastasis -> metastatic_disease; else margin not_resected ->
  initial_management; else after_local_resection.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from .errors import ProfileError, UsageError, printable
from .record import make_record
from .fields import (CRITERIA_FIELDS, FIELD_NAMES, FIELDS, T_SIZE_CUTS, decision_point, grade_from_ki67, grade_from_mitoses,
                     t_from_size_and_depth)


class _ProfileMethods:
    __slots__ = ()

    @property
    def t_category(self) -> str | None:
        """The main T category (T1a and T1b count as T1) that criteria test."""
        t = self.derived_t_stage
        return None if t is None else t[:2]

    def criteria_values(self) -> dict[str, Any]:
        """The value each field has for the criteria (the derived grade, the T category), by field name:
        what the SPARQL profile rows bind and what the criteria model evaluates."""
        return {name: getattr(self, FIELDS[name].criteria_value) for name in CRITERIA_FIELDS}

    def derived(self) -> dict[str, Any]:
        return {"grade": self.derived_grade, "t_stage": self.derived_t_stage,
                "decision_point": self.decision_point}


# A validated case profile with its derived values (None = unknown): one attribute per field of the
# field table (rnetkg.fields; the required ones first), then the derived grade, T category, decision
# point and the notes of the derivation (an immutable record, rnetkg.record).
_FIELDS = [*(f.name for f in FIELDS.values() if f.required or f.name == "id"),
           *(f.name for f in FIELDS.values() if not (f.required or f.name == "id"))]
_OPTIONAL = [f.name for f in FIELDS.values() if not (f.required or f.name == "id")]
Profile = make_record("Profile", [*_FIELDS, "derived_grade", "derived_t_stage", "decision_point", "notes"],
                      [*(None for _ in _OPTIONAL), None, None, "initial_management", ()],
                      bases=(_ProfileMethods,), module=__name__)


def _allowed(values: tuple[str, ...]) -> str:
    return ", ".join(values)


_SURROGATE = re.compile("[\ud800-\udfff]")
BEYOND_DOUBLE = "a number beyond the range of a double"


def show(value: Any, limit: int = 60) -> str:
    """A value as an error message shows it: short, whatever its size or nesting."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int):
        digits = len(str(abs(value))) if abs(value) < 10 ** 60 else None
        return str(value) if digits else "an integer of more than 60 digits"
    if isinstance(value, float):
        return f"{value:g}" if math.isfinite(value) else (BEYOND_DOUBLE if not math.isnan(value) else "NaN")
    if isinstance(value, str):
        return repr(value if len(value) <= limit else value[:limit] + "...")
    if isinstance(value, list):
        return f"a JSON array of {len(value)} items"
    if isinstance(value, dict):
        return f"a JSON object of {len(value)} members"
    return type(value).__name__


def _check_value(name: str, value: Any) -> Any:
    f = FIELDS[name]
    if f.kind == "string":
        if not isinstance(value, str):
            raise ProfileError(name, f"must be a string, got {show(value)}")
        m = _SURROGATE.search(value)
        if m:
            raise ProfileError(name, f"must be Unicode text; it holds a lone surrogate \\u{ord(m.group()):04x} "
                                     f"at character {m.start() + 1}")
        return value
    if f.kind == "boolean":
        if not isinstance(value, bool):
            raise ProfileError(name, f"must be true or false, got {show(value)}")
        return value
    if f.kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ProfileError(name, f"must be a number ({f.range_text}), got {show(value)}")
        try:
            number = float(value)
        except OverflowError:  # an integer beyond the range of a double
            number = math.inf if value > 0 else -math.inf
        if not math.isfinite(number) or not f.in_range(number):
            raise ProfileError(name, f"must be {f.range_text}, got {show(number)}")
        return number
    if not isinstance(value, str) or value not in f.values:
        raise ProfileError(name, f"must be one of {_allowed(f.values)}, got {show(value)}")
    return value


def _derive_grade(p: dict[str, Any], notes: list[str]) -> str | None:
    measured = []
    if p.get("ki67_percent") is not None:
        measured.append(("Ki-67 index", p["ki67_percent"], grade_from_ki67(p["ki67_percent"])))
    if p.get("mitoses_per_2mm2") is not None:
        measured.append(("mitotic count", p["mitoses_per_2mm2"], grade_from_mitoses(p["mitoses_per_2mm2"])))
    from_measures = max((g for _, _, g in measured), default=None)
    stated = p.get("grade")
    if stated is not None:
        for what, value, g in measured:
            if g > stated:
                raise ProfileError("grade", f"stated {stated} contradicts {what} {value:g} (WHO 2019: {g} or higher)")
        if len(measured) == 2 and from_measures != stated:
            raise ProfileError("grade", f"stated {stated} contradicts Ki-67 index and mitotic count (WHO 2019: {from_measures})")
        return stated
    if from_measures is None:
        return None
    if len(measured) == 1:
        what = measured[0][0]
        other = "mitotic count" if what == "Ki-67 index" else "Ki-67 index"
        notes.append(f"grade {from_measures} derived from the {what} alone ({other} unknown)")
    return from_measures


def _derive_t(p: dict[str, Any]) -> str | None:
    size, depth, stated = p["size_mm"], p.get("invasion_depth"), p.get("t_stage")
    derived = t_from_size_and_depth(size, depth) if depth is not None else None
    if stated is None:
        return derived
    if derived is not None:
        if stated != derived and not (stated == "T1" and derived in ("T1a", "T1b")):
            raise ProfileError("t_stage", f"stated {stated} contradicts size {size:g} mm and invasion_depth "
                                          f"{depth} (AJCC 8th: {derived})")
        return derived if stated == "T1" else stated
    # depth unknown: the size alone bounds the T category
    low, high = T_SIZE_CUTS
    if stated in ("T1", "T1a", "T1b") and size > high:
        raise ProfileError("t_stage", f"stated {stated} contradicts size {size:g} mm (AJCC 8th: T1 is <= {high:g} mm)")
    if stated == "T1a" and size >= low:
        raise ProfileError("t_stage", f"stated T1a contradicts size {size:g} mm (AJCC 8th: T1a is < {low:g} mm)")
    if stated == "T1b" and size < low:
        raise ProfileError("t_stage", f"stated T1b contradicts size {size:g} mm (AJCC 8th: T1b is {low:g}-{high:g} mm)")
    if stated == "T1":
        return "T1a" if size < low else "T1b"
    return stated


def parse_profile(data: Any, default_id: str = "profile") -> Profile:
    """Validate one profile (a dict from JSON) and derive grade, T category and decision point."""
    if not isinstance(data, dict):
        raise ProfileError("profile", f"must be a JSON object with the fields {_allowed(FIELD_NAMES)}")
    for name in data:
        if name not in FIELDS:
            raise ProfileError(name, f"unknown field; allowed fields: {_allowed(FIELD_NAMES)}")
    p: dict[str, Any] = {}
    for name, f in FIELDS.items():
        value = data.get(name)
        if value is None:
            if f.required:
                raise ProfileError(name, "is required")
            continue
        p[name] = _check_value(name, value)
    return derive(p, default_id)


def check_dependencies(p: dict[str, Any]) -> None:
    """A field given only where the field table allows it (fields.Field.only_with): ProfileError."""
    for name, f in FIELDS.items():
        if f.only_with and p.get(name) is not None and p.get(f.only_with[0]) not in f.only_with[1]:
            other = p.get(f.only_with[0])
            raise ProfileError(name, f"is allowed only with {f.only_with_text}; {f.only_with[0]} is "
                                     f"{show(other) if other is not None else 'not given'}")


def at_initial_management(profile: Profile) -> Profile | None:
    """The same tumour before its local excision (margin not resected, no procedure done), for a profile
    after a local excision; None at any other decision point."""
    if profile.decision_point != "after_local_resection":
        return None
    values = {f: getattr(profile, f) for f in FIELD_NAMES if getattr(profile, f) is not None}
    values.update(margin="not_resected")
    values.pop("resection_procedure", None)
    return derive(values, profile.id)


def derive(p: dict[str, Any], default_id: str = "profile") -> Profile:
    """Grade, T category and decision point of field values that are already valid (parse_profile's
    second half; the check's grids call it directly). ProfileError when they contradict each other."""
    check_dependencies(p)
    notes: list[str] = []
    grade = _derive_grade(p, notes)
    t = _derive_t(p)
    dp = decision_point(p["margin"], p.get("distant_metastasis"))
    if p.get("distant_metastasis") is None:
        # the decision point is on the profile's line; a criterion that names metastases stays unknown
        notes.append("distant metastasis not stated: taken as none for the decision point; criteria on it unknown")
    return Profile(id=p.get("id", default_id), derived_grade=grade, derived_t_stage=t,
                   decision_point=dp, notes=tuple(notes),
                   **{k: v for k, v in p.items() if k != "id"})


# ---------------------------------------------------------------- reading JSON, plausibility

MAX_JSON_DEPTH = 64
_MAX_INT_DIGITS = 4000   # below Python's 4,300-digit limit of int(str)


def _parse_int(text: str) -> int | float:
    # past the limit, the value is far beyond a double anyway: +-inf, refused by the range check
    return int(text) if len(text) <= _MAX_INT_DIGITS else float(text)


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _depth(value: Any) -> int:
    """How deeply arrays and objects nest (iteratively: no recursion on hostile input)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, (list, dict)):
            deepest = max(deepest, d)
            if d > MAX_JSON_DEPTH:
                break
            stack.extend((c, d + 1) for c in (v.values() if isinstance(v, dict) else v))
    return deepest


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"{printable(key)[:60]}: given more than once")
        seen[key] = value
    return seen


def json_value(text: str, unique_keys: bool = False) -> Any:
    """One JSON document as a Python value, for every reader of profiles (a profile file, a line of
    a cohort): NaN and Infinity refused, integers of any length and nesting of any depth refused;
    ``unique_keys``: a key given twice in one object refused (a profile file: which value was meant?).
    ValueError (a json.JSONDecodeError for bad syntax) with a one-line reason; never RecursionError."""
    try:
        value = json.loads(text, parse_int=_parse_int, parse_constant=_refuse_constant,
                           object_pairs_hook=_unique_keys if unique_keys else None)
    except RecursionError:
        raise ValueError(f"JSON nested too deeply (at most {MAX_JSON_DEPTH} levels)") from None
    if _depth(value) > MAX_JSON_DEPTH:
        raise ValueError(f"JSON nested too deeply (at most {MAX_JSON_DEPTH} levels)")
    return value


def load_json(data: bytes | str, source: str) -> Any:
    """The JSON document of a profile (or FHIR Bundle) file, UTF-8 with or without a byte-order
    mark, by json_value (a key given twice refused); UsageError naming ``source`` when it cannot be read."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise UsageError(f"{source} is not UTF-8 text (byte {e.start + 1})") from None
    else:
        text = data[1:] if data.startswith("\ufeff") else data
    if text.lstrip().startswith("<"):
        raise UsageError(f"{source} is XML: FHIR XML is not read; send FHIR JSON (or a profile JSON)")
    try:
        return json_value(text, unique_keys=True)
    except json.JSONDecodeError as e:
        raise UsageError(f"{source} is not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    except ValueError as e:
        raise UsageError(f"{source}: {e}") from None


def plausibility_warnings(p: Profile) -> list[str]:
    """Valid values that look like the wrong unit (fields.Field.plausible_minimum): one message per
    field, naming it; the answer is unchanged."""
    out = []
    for f in FIELDS.values():
        value = getattr(p, f.name, None) if f.kind == "number" else None
        if value is not None and f.plausible_minimum is not None and value < f.plausible_minimum:
            out.append(f"{f.name} {value:g} {f.unit}: {f.implausible_hint}; answered for {value:g} {f.unit} as given")
    return out
