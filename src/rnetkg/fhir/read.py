"""FHIR R4 Observations (and Procedures) of one patient -> the rnetkg case profile of DESIGN.md.

Each resource is parsed and validated by the FHIR R4 models of `fhirclient` (SMART on FHIR), imported
only here and only when FHIR input is read. The codes come from `codes.py` (sources in docs/fhir.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from . import codes as C
from .conditions import is_secondary, secondary_candidates
from .types import FhirError, FhirProfile, Source
from .values import (DEPTH_TEXT, MARGIN_TEXT, PER_2MM2, PER_MM2, Candidate, as_number, boolean_value, codings,
                     concept_value, grade_value, patient_ref, quantity, size_value, tnm_value)


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


@dataclass
class _Reading:
    candidates: dict[str, list[Candidate]] = field(default_factory=dict)
    assumptions: list[str] = field(default_factory=list)
    procedures: list[tuple[str, int | None]] = field(default_factory=list)

    def add(self, name: str, cand: Candidate) -> None:
        self.candidates.setdefault(name, []).append(cand)


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
    coded = codings(obs.code)
    tnm = next((C.TNM_CODES[c] for c in coded if c in C.TNM_CODES), None)
    fieldname = next((C.FIELD_OF_CODE[c] for c in coded if c in C.FIELD_OF_CODE), None)
    sized = C.TUMOUR_SIZE in coded or C.TUMOUR_SIZE_LONGEST in coded
    if tnm is None and fieldname is None and not sized:
        return
    if C.DERIVED_METHOD in codings(obs.method):
        return  # a grade or T category rnetkg derived (fhir export): derived again from what it came from
    if _skipped(obs, label, reading):
        return
    if C.TUMOUR_SIZE in coded:
        comps = [c for c in (obs.component or []) if C.TUMOUR_SIZE_LONGEST in codings(c.code)]
        if not comps:
            raise FhirError(label, "tumour size (LOINC 21889-1) has no component 33728-7 (greatest dimension)", line)
        for comp in comps:
            reading.add("size_mm", size_value(comp.valueQuantity, label, line))
        return
    if C.TUMOUR_SIZE_LONGEST in coded:
        reading.add("size_mm", size_value(obs.valueQuantity, label, line))
        return
    has_value = any(getattr(obs, a) is not None for a in (
        "valueQuantity", "valueCodeableConcept", "valueString", "valueBoolean", "valueInteger"))
    if not has_value and obs.dataAbsentReason is not None:
        reason = obs.dataAbsentReason.text or next((c for _, c in codings(obs.dataAbsentReason) if c), "absent")
        reading.assumptions.append(f"{label}: no value ({reason}); the field stays unknown")
        return
    if tnm is not None:
        kind, staging = tnm
        cand = tnm_value(obs, kind, staging, label, line, reading.assumptions)
        if cand is None:
            reading.assumptions.append(f"{label}: {kind}X (cannot be assessed); the field stays unknown")
            return
        name = {"T": "t_stage", "N": "lymph_nodes", "M": "distant_metastasis"}[kind]
        reading.add(name, cand)
        return
    if fieldname == "grade":
        value: Any = grade_value(obs, label, line)
    elif fieldname == "ki67_percent":
        number, unit = quantity(obs, label, line, "Ki-67 index")
        if unit not in (None, "%"):
            raise FhirError(label, f"Ki-67 index unit {unit[:40]!r} is not % (UCUM)", line)
        if unit is None and 0 < number <= 1:
            reading.assumptions.append(f"{label}: Ki-67 index {number:g} without a unit read as {number:g} %; "
                                       f"if it is a fraction of 1 ({_show(as_number(number * 100))} %), send it with the unit %")
        elif unit is None:
            reading.assumptions.append(f"{label}: Ki-67 index without a unit read as %")
        value = as_number(number)
    elif fieldname == "mitoses_per_2mm2":
        number, unit = quantity(obs, label, line, "mitotic count")
        key = None if unit is None else unit.replace(" ", "").lower()
        if key is None:
            reading.assumptions.append(f"{label}: mitotic count without a unit read as per 2 mm2")
        elif key in PER_MM2:
            number *= 2
            reading.assumptions.append(f"{label}: mitotic count {unit} doubled to per 2 mm2")
        elif key not in PER_2MM2:
            raise FhirError(label, f"mitotic count unit {unit[:40]!r} is not per 2 mm2 (or per mm2)", line)
        value = as_number(number)
    elif fieldname == "invasion_depth":
        value = concept_value(obs, {}, DEPTH_TEXT, label, line)
        if value is None:
            raise FhirError(label, f"depth of invasion must be one of {', '.join(C.DEPTH_VALUES)}", line)
    elif fieldname == "margin":
        value = concept_value(obs, C.MARGIN_VALUES, MARGIN_TEXT, label, line)
        if value is None:
            raise FhirError(label, "margin must be negative, positive or indeterminate "
                            "(SNOMED CT 55182004/370109009/395537004 or text)", line)
    else:  # lymphovascular_invasion, atypical_surface
        value = boolean_value(obs, label, line, fieldname.replace("_", " "))
    reading.add(fieldname, Candidate(value, label, line))


def _show(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value).lower() if isinstance(value, bool) else str(value)


def _resolve(name: str, cands: list[Candidate], reading: _Reading) -> Candidate:
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


def _excision_kind(model: Any, label: str, line: int | None, reading: _Reading) -> None:
    """The kind of a local excision (resection_procedure) from its project code; none: unspecified."""
    kinds = [code for system, code in codings(model.code) if system == C.RNET_EXCISION]
    known = [k for k in kinds if k in C.EXCISION_KINDS]
    if kinds and not known:
        reading.assumptions.append(f"{label}: local excision code {str(kinds[0])[:40]!r} is not one rnetkg knows "
                                   f"({', '.join(C.EXCISION_KINDS)}): procedure unspecified")
    for kind in known[:1]:
        reading.add("resection_procedure", Candidate(kind, label, line))


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
        if kind == "Condition":
            if is_secondary(res):
                for name, cand in secondary_candidates(res, _label(res, src.where), src.line, reading.assumptions):
                    reading.add(name, cand)
            continue
        if kind not in ("Observation", "Procedure", "Patient"):
            ignored += 1
            continue
        model = _parse(src)
        label = _label(res, src.where)
        if kind == "Patient":
            ref = f"Patient/{model.id}" if model.id else None
            patient_model = model
        else:
            ref = patient_ref(model.subject.reference if model.subject else None, full_urls)
        if ref and getattr(model, "status", None) != "entered-in-error":
            # a resource entered in error is not read, so the patient it names does not count either
            patients.setdefault(ref, (label, src.line))
        if kind == "Observation":
            _observation(model, label, src.line, reading)
        elif kind == "Procedure" and model.status not in ("not-done", "entered-in-error", "preparation"):
            if any(c in C.LOCAL_EXCISION_CODES for c in codings(model.code)):
                reading.procedures.append((label, src.line))
                _excision_kind(model, label, src.line, reading)
            else:
                reading.assumptions.append(f"{label}: not a local excision of the rectum "
                                           f"(SNOMED CT {C.LOCAL_EXCISION[1]}): ignored")
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
                 "lymphovascular_invasion", "lymph_nodes", "distant_metastasis", "margin", "atypical_surface",
                 "resection_procedure", "liver_metastasis", "metastases_resectable"):
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


def _validate(profile: dict[str, Any], chosen: dict[str, Candidate]) -> None:
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
