"""A FHIR bulk-data export folder (NDJSON, one resource per line) -> one profile per patient.

Files: `*.ndjson` (e.g. Observation.ndjson, Procedure.ndjson, Patient.ndjson); each line's
resourceType says what it is. Patients come in sorted order of their reference ("Patient/<id>").
A patient that cannot make a profile, and a line that cannot be read, is an error entry; the others go on.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any, NamedTuple

from .read import FhirError, FhirProfile, Source, profile_from_sources

_PATIENT_REF = re.compile(r"(?:^|/)(Patient/[A-Za-z0-9\-.]{1,64})(?:/_history/.*)?$")
MAX_LINE_BYTES = 16 << 20   # one resource per line: a line longer than this is refused, not read into memory


class BulkEntry(NamedTuple):
    """One result of read_bulk: the patient reference (None for a line that names none), the line
    number of the error (None when the error is the patient's as a whole, or on success), and the
    FhirProfile or the FhirError."""

    patient: str | None
    line: int | None
    result: FhirProfile | FhirError
    first_line: int | None = None   # the patient's first line (in the first file that names it)


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
        for n, raw in _lines(path):
            where = f"{path.name}:{n}"
            try:
                res = _resource(raw, where, n)
            except FhirError as exc:
                orphans.append(BulkEntry(None, n, exc))
                continue
            if res is None:
                continue
            patient = _patient_of(res)
            if patient is None:
                if res["resourceType"] in ("Observation", "Procedure", "Condition"):
                    orphans.append(BulkEntry(None, n, FhirError(
                        where, f"{res['resourceType']} has no subject reference to a Patient", n)))
                continue
            by_patient.setdefault(patient, []).append(Source(res, where, n))
    out: list[BulkEntry] = []
    for patient in sorted(by_patient):
        sources = by_patient[patient]
        first = sources[0].line
        try:
            out.append(BulkEntry(patient, None, profile_from_sources(sources, default_id=patient.split("/", 1)[1]),
                                 first))
        except FhirError as exc:
            if exc.line is None:   # the patient's error as a whole: say where its resources are
                exc = FhirError(f"{patient} ({_where(sources)})", str(exc)[len(exc.where) + 2:])
            out.append(BulkEntry(patient, exc.line, exc, first))
    return out + orphans


def _where(sources: list[Source]) -> str:
    """Where a patient's resources are: "Observation.ndjson lines 3, 5, 9; Procedure.ndjson line 2"."""
    by_file: dict[str, list[int]] = {}
    for src in sources:
        name = src.where.rsplit(":", 1)[0]
        by_file.setdefault(name, []).append(src.line or 0)
    parts = []
    for name, lines in by_file.items():
        shown = ", ".join(str(n) for n in lines[:5]) + (", ..." if len(lines) > 5 else "")
        parts.append(f"{name} line{'s' if len(lines) > 1 else ''} {shown}")
    return "; ".join(parts)


def _resource(raw: bytes | None, where: str, n: int) -> dict[str, Any] | None:
    """One NDJSON line as a resource (None for a blank line), read as rnetkg.profile.json_value reads
    JSON (no NaN, bounded nesting and integers); FhirError naming file:line otherwise."""
    from ..profile import json_value  # noqa: PLC0415

    if raw is None:
        raise FhirError(where, f"a line longer than {MAX_LINE_BYTES >> 20} MiB (one resource per line): not read", n)
    try:
        text = raw.decode("utf-8-sig" if n == 1 else "utf-8")
    except UnicodeDecodeError as exc:
        raise FhirError(where, f"not UTF-8 text (byte {exc.start + 1} of the line)", n) from None
    if not text.strip():
        return None
    if text.lstrip().startswith("<"):
        raise FhirError(where, "FHIR XML is not read; send FHIR JSON (NDJSON: one resource per line)", n)
    try:
        res = json_value(text)
    except json.JSONDecodeError as exc:
        raise FhirError(where, f"not valid JSON ({exc.msg})", n) from None
    except ValueError as exc:
        raise FhirError(where, str(exc), n) from None
    if not isinstance(res, dict) or not isinstance(res.get("resourceType"), str):
        raise FhirError(where, "not a FHIR resource (no resourceType)", n)
    return res


def _lines(path: Path):
    """(line number, bytes) of a regular file, each line read with a bound (bytes None: a line longer than
    MAX_LINE_BYTES): a device, a pipe or a folder named *.ndjson is refused before it is read (FhirError),
    never read without end."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise FhirError(str(path), f"cannot be read: {(exc.strerror or type(exc).__name__).lower()}") from None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise FhirError(str(path), "is not a regular file (a device, a pipe or a folder); a bulk export holds "
                            "regular *.ndjson files")
        os.set_blocking(fd, True)
        n = 0
        while True:
            raw = fh.readline(MAX_LINE_BYTES + 1)
            if not raw:
                return
            n += 1
            if len(raw) > MAX_LINE_BYTES:
                while raw and not raw.endswith(b"\n"):   # skip the rest of the line, bounded reads
                    raw = fh.readline(MAX_LINE_BYTES + 1)
                yield n, None
                continue
            yield n, raw
