"""Writing the cohort output: RFC 4180 cells, atomically (a temporary file renamed over OUT)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from ..outputs import write_atomic


def csv_field(value: str) -> str:
    """One CSV cell (RFC 4180): quoted, with doubled quotes, when it holds , " CR or LF."""
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _quote_ids(ids: np.ndarray, maybe_special: bool) -> np.ndarray:
    if not maybe_special or not len(ids):
        return ids
    special = pd.Series(ids, dtype=object).str.contains(r'[,"\r\n]', regex=True).to_numpy(dtype=bool)
    if special.any():
        ids = ids.copy()
        for i in np.nonzero(special)[0]:
            ids[i] = csv_field(ids[i])
    return ids


def write_rows(out: Path, columns: Sequence[str], ids: np.ndarray, tails: list[str], inverse: np.ndarray,
               maybe_special: bool, progress: Callable[[int, int], None] | None = None,
               inputs: Sequence[Path] = ()) -> None:
    """OUT: the header, then for each row its (quoted) id and the rendered tail of its answer;
    ``progress(done, total)`` after each chunk."""
    ids = _quote_ids(ids, maybe_special)
    tail_arr = np.array([t + "\n" for t in tails], dtype=object)
    header = ",".join(csv_field(c) for c in columns) + "\n"
    step = 200_000
    n = len(ids)

    def chunks():
        yield header
        for start in range(0, n, step):
            stop = min(n, start + step)
            yield "".join((ids[start:stop] + tail_arr[inverse[start:stop]]).tolist())
            if progress is not None:
                progress(stop, n)
    write_atomic(out, chunks(), "--out", inputs)


def tail(row: Sequence[str]) -> str:
    return "," + ",".join(csv_field(c) for c in row[1:])
