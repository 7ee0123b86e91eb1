"""FHIR R4 Observations (and Procedures) of one patient -> the rnetkg case profile of DESIGN.md.

Each resource is parsed and validated by the FHIR R4 models of `fhirclient` (SMART on FHIR), imported
only here and only when FHIR input is read. The codes come from `codes.py` (sources in docs/fhir.md).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable

from . import codes as C
from .types import FhirError, FhirProfile, Source


# -- the FHIR library, imported lazily -----------------------------------------------------------

_MODELS: dict[str, Any] = {}


def _models() -> dict[str, Any]:
    if not _MODELS:
        from fhirclient.models import observation, patient, procedure  # noqa: PLC0415 (lazy on purpose)
        from fhirclient.models.fhirabstractbase import FHIRValidationError  # noqa: PLC0415

        _MODELS.update(Observation=observation.Observation, Procedure=procedure.Procedure,
                       Patient=patient.Patient, error=FHIRValidationError)
    return _MODELS


def _library_message(exc: Exception) -> str:
    """fhirclient nests its messages by path ("valueQuantity:\\n  value:\\n    Wrong type ..."): one line."""
    parts = [p.strip() for p in str(exc).splitlines() if p.strip() and p.strip() != "{root}:"]
    path = [p[:-1] for p in parts if p.endswith(":")]
    rest = [p for p in parts if not p.endswith(":")]
    msg = rest[0] if rest else str(exc)
    if msg == "name 'self' is not defined":   # fhirclient, given a list where an object belongs
        msg = "must be a JSON object"
    m = re.match(r"`with_json\(\)` on .* but you provided <class '(\w+)'>$", msg)
    if m:
        msg = f"must be a JSON object, got {_JSON_TYPE.get(m.group(1), m.group(1))}"
    msg = re.sub(r" on <[^>]*>", "", msg)
    msg = re.sub(r"(?: in data)?(?: for)? <[\w.]*?(\w+) object at 0x[0-9a-fA-F]+>", r" in \1", msg)
    msg = re.sub(r"<class '([^']*)'>", lambda m: m.group(1).rsplit(".", 1)[-1], msg)
    return (".".join(path) + ": " if path else "") + msg


_JSON_TYPE = {"str": "a string", "int": "a number", "float": "a number", "bool": "true or false",
              "NoneType": "null"}


def _label(res: dict[str, Any], where: str) -> str:
    """How a message names a resource: its id, else its first code, plus the file line if any."""
    kind = res.get("resourceType", "resource")
    name = f"{kind} {res['id']}" if isinstance(res.get("id"), str) else None
    if name is None:
        coding = ((res.get("code") or {}).get("coding") or [{}]) if isinstance(res.get("code"), dict) else [{}]
        first = coding[0] if coding and isinstance(coding[0], dict) else {}
        name = f"{kind} with code {first.get('code')}" if first.get("code") else f"{kind} without id"
    return f"{where} {name}" if where else name


def _parse(src: Source) -> Any:
    res = src.resource
    models = _models()
    cls = models[res["resourceType"]]
    try:
        return cls(res)
    except models["error"] as exc:
        raise FhirError(_label(res, src.where), f"not a valid FHIR R4 {res['resourceType']}: "
                        f"{_library_message(exc)}", src.line) from None


# -- small readers --------------------------------------------------------------------------------

def _codings(concept: Any) -> list[tuple[str | None, str | None]]:
    if concept is None or not concept.coding:
        return []
    return [(c.system, c.code) for c in concept.coding]


def _ref(reference: str | None, full_urls: dict[str, str]) -> str | None:
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
class _Candidate:
    value: Any
    label: str
    line: int | None
    rank: int = 0
    shown: str = ""


@dataclass
class _Reading:
    candidates: dict[str, list[_Candidate]] = field(default_factory=dict)
    assumptions: list[str] = field(default_factory=list)
    procedures: list[tuple[str, int | None]] = field(default_factory=list)

    def add(self, name: str, cand: _Candidate) -> None:
        self.candidates.setdefault(name, []).append(cand)


def _tnm(obs: Any, kind: str, staging: str, label: str, line: int | None, notes: list[str]) -> _Candidate | None:
    concept = obs.valueCodeableConcept
    texts = [code for _, code in _codings(concept) if code]
    if concept is not None and concept.text:
        texts.append(concept.text)
    if obs.valueString:
        texts.append(obs.valueString)
    if not texts:
        raise FhirError(label, f"{kind} category has no value (an AJCC code such as "
                        f"{ {'T': 'cT1b', 'N': 'cN0', 'M': 'cM0'}[kind]} in coding.code or text)", line)
    found: list[tuple[str, _Candidate | None]] = []
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
        found.append((text, _Candidate(table[rest], label, line, rank, shown)))
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


def _quantity(obs: Any, label: str, line: int | None, what: str) -> tuple[Decimal, str | None]:
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


def _number(d: Decimal) -> float | int:
    return int(d) if d == d.to_integral_value() else float(d)


def _size(quantity: Any, label: str, line: int | None) -> _Candidate:
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
    return _Candidate(_number(mm), label, line, shown=f"{value:g} {unit}")


def _concept_value(obs: Any, table: dict[tuple[str, str], Any], texts: dict[str, Any], label: str,
                   line: int | None) -> Any:
    """The value of a coded Observation: its codings found in ``table``, else its code or text words found
    in ``texts``; None when none is known. Two that disagree (a coding G1, a text G3) are an error."""
    found: list[tuple[str, Any]] = [(code or "", table[(system, code)])
                                    for system, code in _codings(obs.valueCodeableConcept) if (system, code) in table]
    candidates = [code for _, code in _codings(obs.valueCodeableConcept) if code]
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


def _boolean(obs: Any, label: str, line: int | None, what: str) -> bool:
    if obs.valueBoolean is not None:
        return obs.valueBoolean
    value = _concept_value(obs, C.BOOLEAN_VALUES, C.BOOLEAN_TEXT, label, line)
    if value is None:
        raise FhirError(label, f"{what} must be valueBoolean or Present/Absent (SNOMED CT 52101004/2667000)",
                        line)
    return value


_GRADE_TEXT = {f"{p}{n}": f"G{n}" for n in "123" for p in ("g", "grade_", "grade")}


def _grade(obs: Any, label: str, line: int | None) -> str:
    if any(c in C.THREE_TIER_GRADES for c in _codings(obs.valueCodeableConcept)):
        raise FhirError(label, "a low/intermediate/high grade is not a WHO 2019 NET grade: give G1, G2 or G3", line)
    value = _concept_value(obs, C.GRADE_VALUES, _GRADE_TEXT, label, line)
    if value is None:
        raise FhirError(label, "grade must be G1, G2 or G3 (SNOMED CT 54102005/1663004/61026006 or text)", line)
    return value


_MARGIN_TEXT = {m: m for m in ("negative", "positive", "indeterminate")}
_DEPTH_TEXT = {d: d for d in C.DEPTH_VALUES}
_PER_2MM2 = {"/2mm2", "/(2.mm2)", "{mitoses}/(2.mm2)", "mitoses/2mm2", "per2mm2", "/2mm²", "mitoses/2mm²"}
_PER_MM2 = {"/mm2", "{mitoses}/mm2", "mitoses/mm2", "/mm²"}


def _skipped(obs: Any, label: str, reading: _Reading) -> bool:
    """True (and a note) for an Observation whose status is not final, amended or corrected."""
    if obs.status in C.OBSERVATION_READ:
        return False
    status = str(obs.status)[:40]
    why = "is not an R4 Observation status" if obs.status not in C.OBSERVATION_STATUSES else "is not final"
    reading.assumptions.append(f"{label}: status {status!r} {why} (only final, amended and corrected are read): "
                               "skipped")
    return True


def _observation(obs: Any, label: str, line: int | None, reading: _Reading) -> None:
    codings = _codings(obs.code)
    tnm = next((C.TNM_CODES[c] for c in codings if c in C.TNM_CODES), None)
    fieldname = next((C.FIELD_OF_CODE[c] for c in codings if c in C.FIELD_OF_CODE), None)
    sized = C.TUMOUR_SIZE in codings or C.TUMOUR_SIZE_LONGEST in codings
    if tnm is None and fieldname is None and not sized:
        return
    if _skipped(obs, label, reading):
        return
    if C.TUMOUR_SIZE in codings:
        comps = [c for c in (obs.component or []) if C.TUMOUR_SIZE_LONGEST in _codings(c.code)]
        if not comps:
            raise FhirError(label, "tumour size (LOINC 21889-1) has no component 33728-7 (greatest dimension)", line)
        for comp in comps:
            reading.add("size_mm", _size(comp.valueQuantity, label, line))
        return
    if C.TUMOUR_SIZE_LONGEST in codings:
        reading.add("size_mm", _size(obs.valueQuantity, label, line))
        return
    has_value = any(getattr(obs, a) is not None for a in (
        "valueQuantity", "valueCodeableConcept", "valueString", "valueBoolean", "valueInteger"))
    if not has_value and obs.dataAbsentReason is not None:
        reason = obs.dataAbsentReason.text or next((c for _, c in _codings(obs.dataAbsentReason) if c), "absent")
        reading.assumptions.append(f"{label}: no value ({reason}); the field stays unknown")
        return
    if tnm is not None:
        kind, staging = tnm
        cand = _tnm(obs, kind, staging, label, line, reading.assumptions)
        if cand is None:
            reading.assumptions.append(f"{label}: {kind}X (cannot be assessed); the field stays unknown")
            return
        name = {"T": "t_stage", "N": "lymph_nodes", "M": "distant_metastasis"}[kind]
        reading.add(name, cand)
        return
    if fieldname == "grade":
        value: Any = _grade(obs, label, line)
    elif fieldname == "ki67_percent":
        number, unit = _quantity(obs, label, line, "Ki-67 index")
        if unit not in (None, "%"):
            raise FhirError(label, f"Ki-67 index unit {unit[:40]!r} is not % (UCUM)", line)
        if unit is None and 0 < number <= 1:
            reading.assumptions.append(f"{label}: Ki-67 index {number:g} without a unit read as {number:g} %; "
                                       f"if it is a fraction of 1 ({_show(_number(number * 100))} %), send it with the unit %")
        elif unit is None:
            reading.assumptions.append(f"{label}: Ki-67 index without a unit read as %")
        value = _number(number)
    elif fieldname == "mitoses_per_2mm2":
        number, unit = _quantity(obs, label, line, "mitotic count")
        key = None if unit is None else unit.replace(" ", "").lower()
        if key is None:
            reading.assumptions.append(f"{label}: mitotic count without a unit read as per 2 mm2")
        elif key in _PER_MM2:
            number *= 2
            reading.assumptions.append(f"{label}: mitotic count {unit} doubled to per 2 mm2")
        elif key not in _PER_2MM2:
            raise FhirError(label, f"mitotic count unit {unit[:40]!r} is not per 2 mm2 (or per mm2)", line)
        value = _number(number)
    elif fieldname == "invasion_depth":
        value = _concept_value(obs, {}, _DEPTH_TEXT, label, line)
        if value is None:
            raise FhirError(label, f"depth of invasion must be one of {', '.join(C.DEPTH_VALUES)}", line)
    elif fieldname == "margin":
        value = _concept_value(obs, C.MARGIN_VALUES, _MARGIN_TEXT, label, line)
        if value is None:
            raise FhirError(label, "margin must be negative, positive or indeterminate "
                            "(SNOMED CT 55182004/370109009/395537004 or text)", line)
    else:  # lymphovascular_invasion, atypical_surface
        value = _boolean(obs, label, line, fieldname.replace("_", " "))
    reading.add(fieldname, _Candidate(value, label, line))


def _show(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value).lower() if isinstance(value, bool) else str(value)


def _resolve(name: str, cands: list[_Candidate], reading: _Reading) -> _Candidate:
    best = min(c.rank for c in cands)
    top = [c for c in cands if c.rank == best]
    values = {c.value for c in top}
    if len(values) > 1:
        a, b = top[0], next(c for c in top if c.value != top[0].value)
        raise FhirError(b.label, f"{name} {_show(b.value)} conflicts with {_show(a.value)} from {a.label}", b.line)
    chosen = top[0]
    for other in cands:
        if other.rank > best and other.value != chosen.value:
            reading.assumptions.append(f"{name}: {chosen.shown} ({chosen.label}) preferred over "
                                       f"{other.shown} ({other.label})")
    return chosen


def profile_from_sources(sources: Iterable[Source], default_id: str | None = None) -> FhirProfile:
    """The profile of one patient from FHIR resources (Observation, Procedure, Patient; others ignored)."""
    sources = list(sources)
    full_urls = {s.full_url: f"Patient/{s.resource['id']}" for s in sources
                 if s.full_url and s.resource.get("resourceType") == "Patient" and isinstance(s.resource.get("id"), str)}
    reading = _Reading()
    patients: dict[str, tuple[str, int | None]] = {}
    patient_model = None
    ignored = 0
    for src in sources:
        res = src.resource
        kind = res.get("resourceType")
        if kind not in ("Observation", "Procedure", "Patient"):
            ignored += 1
            continue
        model = _parse(src)
        label = _label(res, src.where)
        if kind == "Patient":
            ref = f"Patient/{model.id}" if model.id else None
            patient_model = model
        else:
            ref = _ref(model.subject.reference if model.subject else None, full_urls)
        if ref and getattr(model, "status", None) != "entered-in-error":
            # a resource entered in error is not read, so the patient it names does not count either
            patients.setdefault(ref, (label, src.line))
        if kind == "Observation":
            _observation(model, label, src.line, reading)
        elif kind == "Procedure" and model.status not in ("not-done", "entered-in-error", "preparation"):
            if any(c in C.LOCAL_EXCISION_CODES for c in _codings(model.code)):
                reading.procedures.append((label, src.line))
            else:
                reading.assumptions.append(f"{label}: not a local excision of the rectum "
                                           f"({', '.join(f'SNOMED CT {c}' for _, c in C.LOCAL_EXCISION_CODES)}): "
                                           "ignored")
    if len(patients) > 1:
        (r1, _), (r2, (label2, line2)) = sorted(patients.items())[:2]
        raise FhirError(label2, f"refers to {r2} but the input also holds {r1}: one patient per bundle", line2)
    patient = next(iter(patients), None)

    chosen = {name: _resolve(name, cands, reading) for name, cands in reading.candidates.items()}
    profile: dict[str, Any] = {}
    ident = None
    if patient_model is not None:
        ident = next((i.value for i in (patient_model.identifier or []) if i.system == C.PROFILE_ID_SYSTEM), None)
    profile["id"] = ident or (patient.split("/", 1)[1] if patient and patient.startswith("Patient/") else None) \
        or default_id or "fhir-patient"
    if "size_mm" not in chosen:
        raise FhirError(f"patient {patient}" if patient else "bundle",
                        "no tumour size: an Observation LOINC 21889-1 with component 33728-7 (mm or cm) is required")
    for name in ("size_mm", "grade", "ki67_percent", "mitoses_per_2mm2", "invasion_depth", "t_stage",
                 "lymphovascular_invasion", "lymph_nodes", "distant_metastasis", "margin", "atypical_surface"):
        if name in chosen:
            profile[name] = chosen[name].value
    if "margin" not in profile:
        if reading.procedures:
            label, line = reading.procedures[0]
            raise FhirError(label, "a local excision Procedure (the lesion was resected) needs a margin Observation "
                            f"({C.RNET}#margin): none found", line)
        profile["margin"] = "not_resected"
        reading.assumptions.append("no margin Observation and no local excision Procedure: margin not_resected")
    if ignored:
        reading.assumptions.append(f"{ignored} resource(s) of other types ignored")
    _validate(profile, chosen)
    return FhirProfile(profile, tuple(reading.assumptions), patient)


def _validate(profile: dict[str, Any], chosen: dict[str, _Candidate]) -> None:
    """Check the profile as rnetkg's own JSON is checked; an error names the Observation it came from."""
    from ..profile import ProfileError, parse_profile  # noqa: PLC0415

    try:
        parse_profile(profile)
    except ProfileError as exc:
        cand = chosen.get(exc.field)
        where = cand.label if cand else "profile"
        raise FhirError(where, str(exc), cand.line if cand else None) from None


def read_bundle(data: Any) -> FhirProfile:
    """A FHIR R4 Bundle (Observations, optional Procedures and Patient; one patient) -> FhirProfile."""
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        got = data.get("resourceType") if isinstance(data, dict) else type(data).__name__
        raise FhirError("input", f"expected a FHIR R4 Bundle (resourceType Bundle), got {got!r}")
    entries = data.get("entry") or []
    if not isinstance(entries, list):
        raise FhirError("Bundle", "entry must be a list")
    sources = []
    for i, entry in enumerate(entries):
        res = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(res, dict) or not isinstance(res.get("resourceType"), str):
            raise FhirError(f"Bundle entry {i}", "has no resource with a resourceType")
        sources.append(Source(res, full_url=entry.get("fullUrl")))
    bundle_id = data.get("id") if isinstance(data.get("id"), str) else None
    return profile_from_sources(sources, default_id=bundle_id)


def profile_from_bundle(data: Any) -> dict[str, Any]:
    """The profile JSON dict of a FHIR R4 Bundle (see read_bundle for the assumptions made)."""
    return read_bundle(data).profile


def is_fhir(data: Any) -> bool:
    """True when a parsed JSON document is a FHIR resource (it has a resourceType)."""
    return isinstance(data, dict) and isinstance(data.get("resourceType"), str)
