"""The rnetkg case profile -> a FHIR R4 Bundle (what `rnetkg fhir export PROFILE.json` writes).

The Bundle reads back to the same profile (tests/test_fhir.py checks it on every case fixture).
T, N and M are written as clinical categories (LOINC 21905-5, 21906-3, 21907-1): a profile does not
say whether its categories are clinical or pathologic.
"""

from __future__ import annotations

import uuid
from typing import Any

from . import codes as C


def _coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def _code(*pairs: tuple[str, str]) -> dict[str, Any]:
    return {"coding": [_coding(s, c, C.DISPLAY.get((s, c))) for s, c in pairs]}


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else x


def bundle_from_profile(profile: dict[str, Any]) -> dict[str, Any]:
    """A FHIR R4 Bundle (type collection) with a Patient, the rectal NET Condition, one Observation per known
    field (each with `focus` on the Condition), the grade and T category rnetkg derives (method
    codes.DERIVED_METHOD, with `derivedFrom`), a liver SecondaryCancerCondition when the profile says whether
    the liver is involved and, for a resected lesion, a Procedure. The profile is validated first
    (ProfileError on a bad profile)."""
    from ..profile import parse_profile  # noqa: PLC0415

    p = parse_profile(profile, default_id="profile")
    pid = p.id
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, f"{C.PROFILE_ID_SYSTEM}/{pid}")

    def uid(part: str) -> str:
        return str(uuid.uuid5(namespace, part))

    patient_uid = uid("patient")
    subject = {"reference": f"urn:uuid:{patient_uid}"}
    condition = {"reference": f"urn:uuid:{uid('condition')}"}
    entries: list[dict[str, Any]] = [{
        "fullUrl": f"urn:uuid:{patient_uid}",
        "resource": {"resourceType": "Patient", "id": patient_uid,
                     "identifier": [{"system": C.PROFILE_ID_SYSTEM, "value": pid}]},
    }]

    def concept(system: str, code: str, display: str | None = None, text: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"coding": [_coding(system, code, display)]}
        if text:
            out["text"] = text
        return out

    def status(system: str, code: str) -> dict[str, Any]:
        return {"coding": [_coding(system, code)]}

    entries.append({"fullUrl": condition["reference"], "resource": {
        "resourceType": "Condition", "id": uid("condition"), "meta": {"profile": [C.MCODE_PRIMARY]},
        "clinicalStatus": status(C.CONDITION_CLINICAL, "active"),
        "verificationStatus": status(C.CONDITION_VERIFICATION, "confirmed"),
        "extension": [{"url": C.MCODE_HISTOLOGY, "valueCodeableConcept": concept(*C.RECTAL_NET_MORPHOLOGY_WRITE)}],
        "code": concept(*C.RECTAL_NET_WRITE), "bodySite": [concept(*C.RECTUM_WRITE)], "subject": subject}})
    refs: dict[str, dict[str, str]] = {}

    def observation(part: str, code: dict[str, Any], derived_from: tuple[str, ...] = (), **value: Any) -> None:
        rid = uid(part)
        res = {"resourceType": "Observation", "id": rid, "status": "final", "code": code, "subject": subject,
               "focus": [condition], **value}
        if derived_from:
            res["method"] = concept(*C.DERIVED_METHOD, "Derived by rnetkg (WHO 2019 grade, AJCC 8th T category)")
            res["derivedFrom"] = [refs[d] for d in derived_from if d in refs]
        entries.append({"fullUrl": f"urn:uuid:{rid}", "resource": res})
        refs[part] = {"reference": f"urn:uuid:{rid}"}

    def yes_no(flag: bool) -> dict[str, Any]:
        return {"valueCodeableConcept": concept(*(C.PRESENT if flag else C.ABSENT))}

    observation("size", _code(C.TUMOUR_SIZE), component=[{
        "code": _code(C.TUMOUR_SIZE_LONGEST),
        "valueQuantity": {"value": _num(p.size_mm), "unit": "mm", "system": C.UCUM, "code": "mm"}}])
    if p.grade is not None:
        observation("grade", _code(C.GRADE), valueCodeableConcept=concept(*C.GRADE_WRITE[p.grade], text=p.grade))
    if p.ki67_percent is not None:
        observation("ki67", _code(C.KI67), valueQuantity={
            "value": _num(p.ki67_percent), "unit": "%", "system": C.UCUM, "code": "%"})
    if p.mitoses_per_2mm2 is not None:
        observation("mitoses", _code(C.MITOTIC_COUNT), valueQuantity={"value": _num(p.mitoses_per_2mm2), "unit": "/2 mm2"})
    if p.invasion_depth is not None:
        observation("depth", _code(C.INVASION_DEPTH),
                    valueCodeableConcept=concept(C.RNET_DEPTH, p.invasion_depth, text=p.invasion_depth))
    if p.t_stage is not None:
        observation("t", _code((C.LOINC, "21905-5")), valueCodeableConcept=concept(C.AJCC, "c" + p.t_stage,
                                                                                     text=p.t_stage))
    if p.derived_grade is not None:
        observation("derived-grade", _code(C.GRADE), ("grade", "ki67", "mitoses"),
                    valueCodeableConcept=concept(*C.GRADE_WRITE[p.derived_grade], text=p.derived_grade))
    if p.derived_t_stage is not None:
        t = p.derived_t_stage
        observation("derived-t", _code((C.LOINC, "21905-5")), ("t", "size", "depth"),
                    valueCodeableConcept=concept(C.AJCC, "c" + t, text=t))
    if p.lymph_nodes is not None:
        observation("n", _code((C.LOINC, "21906-3")), valueCodeableConcept=concept(C.AJCC, "c" + p.lymph_nodes,
                                                                                     text=p.lymph_nodes))
    if p.distant_metastasis is not None:
        m = "M1" if p.distant_metastasis else "M0"
        observation("m", _code((C.LOINC, "21907-1")), valueCodeableConcept=concept(C.AJCC, "c" + m, text=m))
    if p.liver_metastasis is not None:
        # a liver metastasis confirmed and active; "no liver metastasis" as a refuted one
        entries.append({"fullUrl": f"urn:uuid:{uid('liver')}", "resource": {
            "resourceType": "Condition", "id": uid("liver"), "meta": {"profile": [C.MCODE_SECONDARY]},
            "clinicalStatus": status(C.CONDITION_CLINICAL, "active"),
            "verificationStatus": status(C.CONDITION_VERIFICATION, "confirmed" if p.liver_metastasis else "refuted"),
            "code": concept(*C.SECONDARY_CANCER), "bodySite": [concept(*C.LIVER)], "subject": subject}})
    if p.metastases_resectable is not None:
        observation("resectable", _code(C.RESECTABLE), valueBoolean=p.metastases_resectable)
    if p.lymphovascular_invasion is not None:
        observation("lvi", _code(*C.LVI_CODES), **yes_no(p.lymphovascular_invasion))
    if p.atypical_surface is not None:
        observation("surface", _code(C.ATYPICAL_SURFACE), **yes_no(p.atypical_surface))
    if p.margin != "not_resected":
        observation("margin", _code(C.MARGIN), valueCodeableConcept=concept(*C.MARGIN_WRITE[p.margin], text=p.margin))
        rid = uid("procedure")
        code = concept(*C.LOCAL_EXCISION)
        if p.resection_procedure is not None:
            code["coding"].append(_coding(C.RNET_EXCISION, p.resection_procedure))
        entries.append({"fullUrl": f"urn:uuid:{rid}", "resource": {
            "resourceType": "Procedure", "id": rid, "status": "completed", "code": code, "subject": subject,
            "reasonReference": [condition]}})
    return {"resourceType": "Bundle", "id": uid("bundle"), "type": "collection", "entry": entries}
