"""The disagreement map: its data (data.py, from the criteria model) and its drawing (draw.py)."""

from __future__ import annotations

import io
from pathlib import Path

from ..errors import UsageError
from ..outputs import check_output, write_atomic
from .data import RISK_PROFILES, Bound, MapData, data_columns, map_data, size_bounds

SUFFIXES = (".png", ".svg")


def draw(out: Path, data: Path | None = None, patient: dict | None = None) -> MapData:
    """Draw the disagreement map to OUT (.png at 150 dpi, or .svg); with DATA, also write the data
    table behind it; with a patient (a validated profile's fields), place them on it in a panel of
    their own. Both files are written atomically, after every check has passed."""
    from .plot import figure

    out = Path(out)
    if out.suffix.lower() not in SUFFIXES:
        raise UsageError(f"map: --out must end in .png or .svg, got {out.name!r}")
    check_output(out, "--out")
    if data is not None:
        data = check_output(Path(data), "--data")
        if data.resolve() == out.resolve():
            raise UsageError(f"map: --out and --data name the same file {str(out)!r}; give two files")
    md = map_data(patient=patient)
    buf = io.BytesIO()
    figure(md).savefig(buf, dpi=150, format=out.suffix.lower()[1:])
    if data is not None:
        write_atomic(data, [md.csv_text()], "--data")
    write_atomic(out, [buf.getvalue()], "--out")
    return md


def patient_png(patient: dict) -> bytes:
    """The map of one patient alone: their findings at every size, their size marked (for a report)."""
    from .plot import figure

    md = map_data(patient=patient, only_patient=True)
    buf = io.BytesIO()
    figure(md).savefig(buf, dpi=90, format="png")
    return buf.getvalue()


__all__ = ["patient_png", "RISK_PROFILES", "SUFFIXES", "Bound", "MapData", "data_columns", "draw", "map_data", "size_bounds"]
