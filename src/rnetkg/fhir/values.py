"""The value readers of FHIR input: one coded, quantity or TNM value of a parsed FHIR R4 resource
(a fhirclient model) -> the value of one profile field, or a FhirError naming the resource."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import codes as C
from .types import FhirError


# -- small readers --------------------------------------------------------------------------------

def codings(concept: Any) -> list[tuple[str | None, str | None]]:
    if concept is None or not concept.coding:
        return []
    return [(c.system, c.code) for c in concept.coding]


def patient_ref(reference: str | None, full_urls: dict[str, str]) -> str | None:
    """A patient reference in one form: "Patient/<id>" (absolute URLs and bundle urn:uuid resolved)."""
    if not reference:
        return None
    if reference in full_urls:
        return full_urls[reference]
    m = re.search(r"(?:^|/)(Patient/[A-Za-z0-9\-.]{1,64})(?:/_history/.*)?$", reference)
    return m.group(1) if m else reference


_AJCC = re.compile(r"^(?:y|r|a|yr)?([cp]?)(T|N|M)(\w*)$", re.IGNORECASE)
_T_VALUES = {"1": "T1", "1a": "T1a", "1b": "T1b", "2": "T2", "3": "T3", "4": "T4"}
_N_VALUES = {"0": "N0", "1": "N1"}
_M_VALUES = {"0": False, "1": True, "1a": True, "1b": True, "1c": True}


@dataclass
class Candidate:
    value: Any
    label: str
    line: int | None
    rank: int = 0
    shown: str = ""


def tnm_value(obs: Any, kind: str, staging: str, label: str, line: int | None, notes: list[str]) -> Candidate | None:
    concept = obs.valueCodeableConcept
    texts = [code for _, code in codings(concept) if code]
    if concept is not None and concept.text:
        texts.append(concept.text)
    if obs.valueString:
        texts.append(obs.valueString)
    if not texts:
        raise FhirError(label, f"{kind} category has no value (an AJCC code such as "
                        f"{ {'T': 'cT1b', 'N': 'cN0', 'M': 'cM0'}[kind]} in coding.code or text)", line)
    found: list[tuple[str, Candidate | None]] = []
    for text in texts:
        m = _AJCC.match(text.strip())
        if not m or m.group(2).upper() != kind:
            continue
        prefix, rest = m.group(1).lower(), m.group(3).lower()
        expected = C.AJCC_PREFIX.get(staging)
        if prefix and expected and prefix != expected:
            raise FhirError(label, f"value {text[:40]!r} is not a {staging} {kind} category "
                            f"(its code says {staging}, its prefix {prefix!r})", line)
        if rest == "x":
            found.append((text, None))
            continue
        table = {"T": _T_VALUES, "N": _N_VALUES, "M": _M_VALUES}[kind]
        if rest not in table:
            allowed = ", ".join(kind + v for v in table)
            raise FhirError(label, f"{kind} category {text[:40]!r} is not one rnetkg reads "
                            f"(allowed: {allowed}, {kind}X)", line)
        rank, shown = C.STAGING_RANK[staging], f"{staging} {text.strip()}"
        if kind == "M" and rest == "0" and (prefix == "p" or (not prefix and staging == "pathologic")):
            # AJCC 8th has no pM0: M0 is a clinical finding, so it never outranks a clinical cM1
            rank, shown = C.STAGING_RANK["clinical"], f"clinical cM0 (given as {text.strip()})"
            note = f"{label}: {text.strip()[:40]} is not an AJCC category (M0 is clinical): read as cM0"
            if note not in notes:
                notes.append(note)
        found.append((text, Candidate(table[rest], label, line, rank, shown)))
    if not found:
        raise FhirError(label, f"no AJCC {kind} category in {_texts(texts)} (expected e.g. "
                        f"{ {'T': 'pT1b', 'N': 'cN0', 'M': 'cM0'}[kind]})", line)
    first_text, first = found[0]
    for text, cand in found[1:]:
        if (cand is None) != (first is None) or (cand is not None and cand.value != first.value):
            raise FhirError(label, f"its {kind} category is given as {first_text.strip()[:40]!r} and as "
                            f"{text.strip()[:40]!r} (coding and text disagree): give one", line)
    return first


def _texts(texts: list[str]) -> str:
    shown = ", ".join(repr(t[:40]) for t in texts[:3])
    return f"[{shown}{', ...' if len(texts) > 3 else ''}]"


_DOUBLE_MAX = 1.7976931348623157e308


def _decimal(value: Any, label: str, line: int | None, what: str) -> Decimal:
    """A JSON number of a resource as a Decimal: true/false refused, and so is a number beyond the
    range of a double (1e400, an integer of 400 digits), which no profile field can hold."""
    from ..profile import show  # noqa: PLC0415

    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FhirError(label, f"{what} value must be a number, got {show(value)}", line)
    if isinstance(value, float) and not math.isfinite(value) or isinstance(value, int) and abs(value) > _DOUBLE_MAX:
        raise FhirError(label, f"{what} value is {show(value)}: a number within the range of a double is needed",
                        line)
    return Decimal(str(value))


def quantity(obs: Any, label: str, line: int | None, what: str) -> tuple[Decimal, str | None]:
    q = obs.valueQuantity
    if q is None:
        if obs.valueInteger is not None:
            return _decimal(obs.valueInteger, label, line, what), None
        raise FhirError(label, f"{what} needs a valueQuantity", line)
    if q.value is None:
        raise FhirError(label, f"{what} valueQuantity has no value", line)
    value = _decimal(q.value, label, line, what)
    if q.comparator:
        raise FhirError(label, f"{what} is given as {q.comparator[:10]} {value:g}: an exact value is needed", line)
    if q.system and q.system != C.UCUM and q.code:
        raise FhirError(label, f"{what} unit system {q.system[:60]!r} is not UCUM ({C.UCUM})", line)
    return value, (q.code or q.unit)


def as_number(d: Decimal) -> float | int:
    return int(d) if d == d.to_integral_value() else float(d)


def size_value(quantity: Any, label: str, line: int | None) -> Candidate:
    if quantity is None or quantity.value is None:
        raise FhirError(label, "tumour size component 33728-7 has no valueQuantity value", line)
    value = _decimal(quantity.value, label, line, "tumour size")
    if quantity.comparator:
        raise FhirError(label, f"tumour size is given as {quantity.comparator[:10]} {value:g}: "
                        "an exact value is needed", line)
    if quantity.system and quantity.system != C.UCUM:
        raise FhirError(label, f"tumour size unit system {quantity.system[:60]!r} is not UCUM ({C.UCUM})", line)
    unit = quantity.code or quantity.unit
    if unit == "mm":
        mm = value
    elif unit == "cm":
        mm = value * 10
    else:
        raise FhirError(label, f"tumour size unit {unit[:40]!r} is not mm or cm (UCUM)" if unit
                        else "tumour size has no unit (UCUM mm or cm)", line)
    return Candidate(as_number(mm), label, line, shown=f"{value:g} {unit}")


def concept_value(obs: Any, table: dict[tuple[str, str], Any], texts: dict[str, Any], label: str,
                   line: int | None) -> Any:
    """The value of a coded Observation: its codings found in ``table``, else its code or text words found
    in ``texts``; None when none is known. Two that disagree (a coding G1, a text G3) are an error."""
    found: list[tuple[str, Any]] = [(code or "", table[(system, code)])
                                    for system, code in codings(obs.valueCodeableConcept) if (system, code) in table]
    candidates = [code for _, code in codings(obs.valueCodeableConcept) if code]
    if obs.valueCodeableConcept is not None and obs.valueCodeableConcept.text:
        candidates.append(obs.valueCodeableConcept.text)
    if obs.valueString:
        candidates.append(obs.valueString)
    for text in candidates:
        key = re.sub(r"[\s-]+", "_", text.strip().lower())
        if key in texts:
            found.append((text, texts[key]))
    for text, value in found[1:]:
        if value != found[0][1]:
            raise FhirError(label, f"its value is given as {found[0][0].strip()[:40]!r} and as {text.strip()[:40]!r} "
                            "(they disagree): give one", line)
    return found[0][1] if found else None


def boolean_value(obs: Any, label: str, line: int | None, what: str) -> bool:
    if obs.valueBoolean is not None:
        return obs.valueBoolean
    value = concept_value(obs, C.BOOLEAN_VALUES, C.BOOLEAN_TEXT, label, line)
    if value is None:
        raise FhirError(label, f"{what} must be valueBoolean or Present/Absent (SNOMED CT 52101004/2667000)",
                        line)
    return value


_GRADE_TEXT = {f"{p}{n}": f"G{n}" for n in "123" for p in ("g", "grade_", "grade")}


def grade_value(obs: Any, label: str, line: int | None) -> str:
    if any(c in C.THREE_TIER_GRADES for c in codings(obs.valueCodeableConcept)):
        raise FhirError(label, "a low/intermediate/high grade is not a WHO 2019 NET grade: give G1, G2 or G3", line)
    value = concept_value(obs, C.GRADE_VALUES, _GRADE_TEXT, label, line)
    if value is None:
        raise FhirError(label, "grade must be G1, G2 or G3 (SNOMED CT 54102005/1663004/61026006 or text)", line)
    return value


MARGIN_TEXT = {m: m for m in ("negative", "positive", "indeterminate")}
DEPTH_TEXT = {d: d for d in C.DEPTH_VALUES}
PER_2MM2 = {"/2mm2", "/(2.mm2)", "{mitoses}/(2.mm2)", "mitoses/2mm2", "per2mm2", "/2mm²", "mitoses/2mm²"}
PER_MM2 = {"/mm2", "{mitoses}/mm2", "mitoses/mm2", "/mm²"}
