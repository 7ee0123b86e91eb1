"""The Conditions rnetkg reads: the rectal NET itself (the CDS service's diagnosis gate) and mCODE's
SecondaryCancerCondition (distant metastases, the liver among them). Codes and sources: docs/fhir.md."""

from __future__ import annotations

from typing import Any

from . import codes as C
from .values import Candidate


def _pairs(concept: Any) -> set[tuple[Any, Any]]:
    """The (system, code) pairs of a CodeableConcept given as JSON (anything else: none)."""
    if not isinstance(concept, dict) or not isinstance(concept.get("coding"), list):
        return set()
    return {(c.get("system"), c.get("code")) for c in concept["coding"] if isinstance(c, dict)}


def _status(res: dict[str, Any], key: str) -> set[Any]:
    return {code for _, code in _pairs(res.get(key))}


def counted(res: dict[str, Any], *, unstated: bool) -> bool:
    """A Condition that counts: verificationStatus confirmed and clinicalStatus active (or, with
    ``unstated``, either of them absent)."""
    verification, clinical = _status(res, "verificationStatus"), _status(res, "clinicalStatus")
    ok_v = bool(verification & set(C.CONFIRMED)) or (unstated and not verification)
    ok_c = bool(clinical & set(C.ACTIVE)) or (unstated and not clinical)
    return ok_v and ok_c


def is_rectal_net(res: Any) -> bool:
    """A Condition (JSON) that is a rectal NET (ICD-10-CM C7A.026 or D3A.026, or ICD-O-3 morphology 8240/3
    or 8249/3 in code or in mCODE's histology-morphology extension, with topography C20 as body site),
    confirmed or unstated, active or unstated."""
    if not isinstance(res, dict) or res.get("resourceType") != "Condition":
        return False
    code = _pairs(res.get("code"))
    morphology = set(code)
    for ext in res.get("extension") or []:
        if isinstance(ext, dict) and ext.get("url") == C.MCODE_HISTOLOGY:
            morphology |= _pairs(ext.get("valueCodeableConcept"))
    sites = set().union(*(_pairs(b) for b in res.get("bodySite") or [] if isinstance(b, dict)))
    rectal = bool(code & C.RECTAL_NET_ICD10) or bool(morphology & C.RECTAL_NET_MORPHOLOGY
                                                     and sites & C.RECTUM_TOPOGRAPHY)
    return rectal and counted(res, unstated=True)


def is_secondary(res: dict[str, Any]) -> bool:
    profiles = (res.get("meta") or {}).get("profile") if isinstance(res.get("meta"), dict) else None
    return bool(_pairs(res.get("code")) & C.SECONDARY_CANCER_CODES) or \
        (isinstance(profiles, list) and C.MCODE_SECONDARY in profiles)


def secondary_candidates(res: dict[str, Any], label: str, line: int | None,
                         notes: list[str]) -> list[tuple[str, Candidate]]:
    """What a SecondaryCancerCondition says: a confirmed, active metastasis at a distant site sets
    distant_metastasis (and liver_metastasis when the site is the liver); a refuted liver metastasis
    says liver_metastasis false; a nodal site never sets distant_metastasis; any other status is not
    counted (a note)."""
    sites = set().union(*(_pairs(b) for b in res.get("bodySite") or [] if isinstance(b, dict)))
    liver = bool(sites & C.LIVER_SITES) or (C.ICD10CM, "C78.7") in _pairs(res.get("code"))
    if sites and not liver and sites <= {C.LYMPH_NODE[:2]}:
        notes.append(f"{label}: a nodal metastasis never sets distant_metastasis: ignored")
        return []
    if "refuted" in _status(res, "verificationStatus"):
        return [("liver_metastasis", Candidate(False, label, line, 1, "refuted liver metastasis"))] if liver else []
    if not counted(res, unstated=False):
        notes.append(f"{label}: a metastasis not both confirmed and active is not counted")
        return []
    out = [("distant_metastasis", Candidate(True, label, line, 1, "a confirmed, active metastasis"))]
    if liver:
        out.append(("liver_metastasis", Candidate(True, label, line, 1, "a confirmed, active liver metastasis")))
    return out
