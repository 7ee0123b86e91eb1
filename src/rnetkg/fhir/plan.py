"""The recommendations of the graph as FHIR R4 (`rnetkg fhir recommendations`): one Bundle (collection)
with a PlanDefinition per recommendation, shaped after HL7's CPG-on-FHIR recommendation definition, and an
ActivityDefinition per procedure class (modality) recommended.

Each PlanDefinition's `action[0].condition` holds one `applicability` FHIRPath expression for the
decision point and one per criterion (rnetkg.fhir.fhirpath), rooted at the patient's Bundle as
`rnetkg fhir export` writes it: a deliberate choice, since standard `$apply` engines root at the
Patient. A statement that holds only under a non-default reading is `draft`, with its reading in
`usage`; the others are `active` (docs/fhir.md).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from ..vocab import DEFAULT_CONTEXT
from . import fhirpath

BASE = "https://w3id.org/rnetkg/fhir/"
ID_SYSTEM = "https://w3id.org/rnetkg/id"
CPG_RECOMMENDATION = "http://hl7.org/fhir/uv/cpg/StructureDefinition/cpg-recommendationdefinition"
PLAN_TYPE = "http://terminology.hl7.org/CodeSystem/plan-definition-type"


def resource_id(key: str) -> str:
    """A FHIR id ([A-Za-z0-9-.]{1,64}) for an rnetkg id; a long one keeps a hash of the whole."""
    rid = re.sub(r"[^A-Za-z0-9.-]+", "-", key).strip("-")
    if len(rid) > 64:
        rid = rid[:55].rstrip("-") + "-" + hashlib.sha1(key.encode()).hexdigest()[:8]
    return rid


def _activity(key: str, label: str, version: str, date: str) -> dict[str, Any]:
    rid = "modality-" + resource_id(key)
    return {"resourceType": "ActivityDefinition", "id": rid, "url": f"{BASE}ActivityDefinition/{rid}",
            "identifier": [{"system": ID_SYSTEM, "value": key}], "version": version, "name": rid.replace("-", "_"),
            "title": label, "status": "active", "date": date, "kind": "ServiceRequest",
            "code": {"text": label}}


def _reading_of(statement, model) -> Any:
    """The reading a statement holds under when it is not in the default readings' context."""
    if statement.reading and statement.reading in model.readings:
        return model.readings[statement.reading]
    for context in model.contexts[1:]:
        if statement.iri in model.context_criteria.get(context, {}) and context in model.readings:
            return model.readings[context]
    return None


def _plan(s, criteria, model, active: bool, version: str, date: str) -> dict[str, Any]:
    rid = resource_id(s.id)
    conditions = [{"kind": "applicability", "expression": {
        "description": "decision point: " + ", ".join(sorted(d.replace("_", " ") for d in s.decision_points)),
        "language": "text/fhirpath", "expression": fhirpath.decision_point_expression(s.decision_points)}}]
    for c in criteria:
        what = c.label or c.as_written or c.part.rsplit("/", 1)[-1]
        if c.negated:
            what = f"not all the conditions of the prevailing recommendation ({what})"
        conditions.append({"kind": "applicability", "expression": {
            "description": what[:500], "language": "text/fhirpath", "expression": fhirpath.criterion_expression(c)}})
    action: dict[str, Any] = {"title": s.label or s.id, "condition": conditions}
    if s.modalities:
        action["action"] = [{"title": model.modality_labels.get(m, m),
                             "definitionCanonical": f"{BASE}ActivityDefinition/modality-{resource_id(m)}"}
                            for m in s.modalities]
    plan: dict[str, Any] = {
        "resourceType": "PlanDefinition", "id": rid, "meta": {"profile": [CPG_RECOMMENDATION]},
        "url": f"{BASE}PlanDefinition/{rid}", "identifier": [{"system": ID_SYSTEM, "value": s.id}],
        "version": version, "name": rid.replace("-", "_").replace(".", "_"), "title": s.label or s.id,
        "type": {"coding": [{"system": PLAN_TYPE, "code": "eca-rule"}]},
        "status": "active" if active else "draft", "date": date, "publisher": "rnetkg",
        "description": f"{s.guideline or 'editorial statement'}: {s.label or s.id}"}
    if not active:
        reading = _reading_of(s, model)
        plan["usage"] = ("Holds only under a non-default reading of its source: "
                         + (f"{reading.label} ({reading.passage_label})" if reading else "see the graph's readings"))
    if s.source is not None:
        plan["relatedArtifact"] = [{"type": "citation", "label": s.source.locator[:200] or None,
                                    "display": s.source.document,
                                    "citation": s.source.quote,
                                    "url": f"https://doi.org/{s.source.document}"
                                    if s.source.document.startswith("10.") else None}]
        plan["relatedArtifact"] = [{k: v for k, v in a.items() if v} for a in plan["relatedArtifact"]]
    plan["action"] = [action]
    return plan


def recommendations_bundle(model, version: str, date: str | None) -> dict[str, Any]:
    """The Bundle of every recommendation (statements of a guideline with criteria, derived ones included)
    and of the modalities they recommend. ``version``: the graph's; ``date``: the graph's date. ModelError
    for a criterion on a field the FHIRPath of fhirpath.py cannot read."""
    default = model.statements_in(DEFAULT_CONTEXT)
    entries, modalities = [], set()
    for iri, s in model.statements.items():
        if not s.guideline or not s.criteria:
            continue
        active = iri in default
        criteria = default[iri].criteria if active else s.criteria
        modalities.update(s.modalities)
        entries.append(_plan(s, criteria, model, active, version, date))
    entries += [_activity(m, model.modality_labels.get(m, m), version, date) for m in sorted(modalities)]
    if date is None:
        for r in entries:
            del r["date"]
    return {"resourceType": "Bundle", "id": "rnetkg-recommendations-" + resource_id(version), "type": "collection",
            "entry": [{"fullUrl": r["url"], "resource": r} for r in entries]}
