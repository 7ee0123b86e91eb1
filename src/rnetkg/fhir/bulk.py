"""A FHIR bulk-data export folder (NDJSON, one resource per line) -> one profile per patient.

Files: `*.ndjson` (e.g. Observation.ndjson, Procedure.ndjson, Patient.ndjson); each line's
resourceType says what it is. Patients come in sorted order of their reference ("Patient/<id>").
A patient that cannot make a profile, and a line that cannot be read, is an error entry; the others go on.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, NamedTuple

from .read import FhirError, FhirProfile, Source, profile_from_sources

_PATIENT_REF = re.compile(r"(?:^|/)(Patient/[A-Za-z0-9\-.]{1,64})(?:/_history/.*)?$")


class BulkEntry(NamedTuple):
    """One result of read_bulk: the patient reference (None for a line that names none), the line
    number of the error (None when the error is the patient's as a whole, or on success), and the
    FhirProfile or the FhirError."""

    patient: str | None
    line: int | None
    result: FhirProfile | FhirError


def _patient_of(res: dict[str, Any]) -> str | None:
    if res.get("resourceType") == "Patient":
        rid = res.get("id")
        return f"Patient/{rid}" if isinstance(rid, str) and rid else None
    subject = res.get("subject")
    ref = subject.get("reference") if isinstance(subject, dict) else None
    if not isinstance(ref, str):
        return None
    m = _PATIENT_REF.search(ref)
    return m.group(1) if m else None


def read_bulk(folder: str | Path) -> list[BulkEntry]:
    """Read every `*.ndjson` file of a bulk-data export folder; one entry per patient (sorted by
    reference), then one per line that could not be given to a patient. FhirError if the folder
    has no NDJSON file."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FhirError(str(folder), "is not a folder (a FHIR bulk-data export: Observation.ndjson ...)")
    files = sorted(folder.glob("*.ndjson"))
    if not files:
        raise FhirError(str(folder), "has no .ndjson file (expected Observation.ndjson, optionally "
                        "Procedure.ndjson and Patient.ndjson)")
    by_patient: dict[str, list[Source]] = {}
    orphans: list[BulkEntry] = []
    for path in files:
        with path.open(encoding="utf-8") as fh:
            for n, text in enumerate(fh, start=1):
                if not text.strip():
                    continue
                where = f"{path.name}:{n}"
                try:
                    res = json.loads(text)
                except ValueError as exc:
                    orphans.append(BulkEntry(None, n, FhirError(where, f"not valid JSON ({exc.msg})", n)))
                    continue
                if not isinstance(res, dict) or not isinstance(res.get("resourceType"), str):
                    orphans.append(BulkEntry(None, n, FhirError(where, "not a FHIR resource (no resourceType)", n)))
                    continue
                patient = _patient_of(res)
                if patient is None:
                    if res["resourceType"] in ("Observation", "Procedure"):
                        orphans.append(BulkEntry(None, n, FhirError(
                            where, f"{res['resourceType']} has no subject reference to a Patient", n)))
                    continue
                by_patient.setdefault(patient, []).append(Source(res, where, n))
    out: list[BulkEntry] = []
    for patient in sorted(by_patient):
        try:
            out.append(BulkEntry(patient, None, profile_from_sources(by_patient[patient],
                                                                     default_id=patient.split("/", 1)[1])))
        except FhirError as exc:
            out.append(BulkEntry(patient, exc.line, exc))
    return out + orphans
