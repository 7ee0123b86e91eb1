"""Reading a cohort: FILE.csv (a header of profile field names; an empty cell is an absent field),
FILE.jsonl (one JSON profile per line) or a FHIR bulk-export folder, into the records that
validation takes.

The file is read in blocks of about BLOCK_BYTES, each cut after a record, so that memory does not
grow with the file (``iter_cohort``: read_csv, read_jsonl); ``read_cohort`` joins the blocks for
the callers that want the whole file at once (the SPARQL path).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa

from ..errors import CohortError
from .raw import RawCohort, csv_boolean, parse_numbers
from .read_csv import iter_csv
from .read_jsonl import iter_jsonl

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
BLOCK_BYTES = 2 << 20      # what one block of the file holds, about 33,000 generated CSV rows

__all__ = ["BLOCK_BYTES", "FORMATS", "RawCohort", "concat", "csv_boolean", "iter_cohort", "parse_numbers",
           "read_bulk_export", "read_cohort"]


def read_bulk_export(path: Path) -> RawCohort:
    """A FHIR bulk-data export folder (Observation.ndjson, optionally Procedure.ndjson): one record per
    patient (rnetkg.fhir.read_bulk, in a stable order), each with its first line in the export; a patient
    or a line that cannot make a profile is a rejected row; the assumptions made reading a patient are
    its ``notes``."""
    from ..fhir import read_bulk

    records, lines, pre_errors, notes = [], [], [], []
    for entry in read_bulk(path):
        # a patient is cited by its own line (its first, or that of the resource at fault), never by its rank
        line = entry.line or entry.first_line or 0
        if isinstance(entry.result, Exception):
            pre_errors.append((line, str(entry.result)))
        else:
            records.append({"id": entry.patient, **entry.result.profile} if entry.patient and
                           "id" not in entry.result.profile else dict(entry.result.profile))
            lines.append(line)
            who = entry.patient or entry.result.profile.get("id")
            notes.extend((line, f"{who}: {note}") for note in entry.result.assumptions)
    return RawCohort(path=path, fmt="jsonl", lines=np.asarray(lines, dtype=np.int64), records=records,
                     pre_errors=pre_errors, notes=notes)


# ---------------------------------------------------------------- a whole cohort

def iter_cohort(path: Path, block_bytes: int | None = None, arrow_json: bool = True) -> Iterator[RawCohort]:
    """The records of a cohort file (or FHIR bulk-export folder), one block at a time; the file's
    own problems (not found, not readable, not UTF-8, a bad header) are CohortErrors, raised before the
    first block of records is given (a byte that is not UTF-8 further on: when its block is read)."""
    path = Path(path)
    try:
        if path.is_dir():
            yield read_bulk_export(path)
            return
        fmt = FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise CohortError(f"compare: cohort {path}: expected FILE.csv, FILE.jsonl or a FHIR bulk-export folder")
        if not path.exists():
            raise CohortError(f"compare: cohort file {str(path)!r} not found")
        if not path.is_file():
            raise CohortError(f"compare: cohort {path}: is not a regular file (a pipe or a device); give a file")
        block_bytes = block_bytes or BLOCK_BYTES
        yield from (iter_csv(path, block_bytes) if fmt == "csv" else iter_jsonl(path, block_bytes, arrow_json))
    except OSError as e:   # not readable (permissions), a read error: the input's problem, not OUT's
        where = e.filename if e.filename and str(e.filename) != str(path) else None
        reason = (e.strerror or type(e).__name__).lower()
        raise CohortError(f"compare: cohort {path}: cannot read{f' {where}' if where else ''}: {reason}") from None


def concat(path: Path, parts: list[RawCohort]) -> RawCohort:
    """The blocks of one file as one RawCohort."""
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return RawCohort(path=path, fmt=FORMATS.get(path.suffix.lower(), "jsonl"), lines=np.zeros(0, np.int64),
                         records=[])
    first = parts[0]
    lines = np.concatenate([p.lines for p in parts])
    pre_errors = sorted(e for p in parts for e in p.pre_errors)
    if first.fmt == "jsonl":
        return RawCohort(path=path, fmt="jsonl", lines=lines, records=[r for p in parts for r in p.records],
                         pre_errors=pre_errors)
    cells = {name: pa.concat_arrays([p.cells[name].cast(pa.string()) for p in parts]) for name in first.columns}
    numbers = {name: np.concatenate([p.numbers[name] for p in parts]) for name in first.numbers}
    return RawCohort(path=path, fmt="csv", lines=lines, columns=first.columns, cells=cells, numbers=numbers,
                     pre_errors=pre_errors, decimal_comma=first.decimal_comma)


def read_cohort(path: Path) -> RawCohort:
    """The whole cohort at once (the SPARQL path and the tests), JSON Lines read by the json module."""
    path = Path(path)
    return concat(path, list(iter_cohort(path, arrow_json=False)))

