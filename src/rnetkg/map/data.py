"""The data of the disagreement map: what each guideline says at initial management across tumour
size, for a few risk profiles, evaluated by the criteria model (rnetkg.answer.answer, tested equal to
`rnetkg compare`). The sizes are a 0.5 mm sweep from 0.5 to 40 mm plus every size bound in the
criteria model and 0.1 mm either side of it; the guide lines at those bounds carry the sources' text
as written."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any, Sequence

from ..answer import answer_to_row, csv_columns, row_answer
from ..criteria.model import Model
from ..criteria.load import model_for
from ..profile import parse_profile

DECISION_POINT = "initial_management"
SWEEP = (0.5, 40.0, 0.5)  # first, last, step (mm)
NEAR = 0.1  # mm either side of every size bound

# Every risk profile: G1 without risk factors, then one change at a time; initial management
# (margin not resected, no distant metastasis).
BASE = {
    "ki67_percent": 1,
    "mitoses_per_2mm2": 1,
    "invasion_depth": "submucosa",
    "lymphovascular_invasion": False,
    "lymph_nodes": "N0",
    "distant_metastasis": False,
    "margin": "not_resected",
}


@dataclass(frozen=True)
class RiskProfile:
    key: str
    label: str
    changes: dict[str, Any] = field(default_factory=dict)
    base: bool = True  # the changes are made to BASE (False: they are the whole profile, a patient's)

    def fields(self, size_mm: float) -> dict[str, Any]:
        """The profile fields (DESIGN.md) of this risk profile at one size."""
        return {**(BASE if self.base else {}), **self.changes, "id": profile_id(self.key, size_mm), "size_mm": size_mm}


RISK_PROFILES = (
    RiskProfile("g1-no-risk-factors", "G1 without risk factors"),
    RiskProfile("g1-ki67-2.5", "G1 with Ki-67 2.5 %", {"ki67_percent": 2.5}),
    RiskProfile("g2-ki67-5", "G2 (Ki-67 5 %)", {"ki67_percent": 5}),
    RiskProfile("lvi-present", "Lymphovascular invasion", {"lymphovascular_invasion": True}),
    RiskProfile("muscularis-propria", "Muscularis propria invasion",
                {"invasion_depth": "muscularis_propria"}),
    RiskProfile("node-positive", "Node positive (N1)", {"lymph_nodes": "N1"}),
    RiskProfile("resected-negative", "After local resection, negative margin", {"margin": "negative"}),
    RiskProfile("resected-indeterminate-g2", "After local resection, indeterminate margin, G2 (Ki-67 5 %)",
                {"margin": "indeterminate", "ki67_percent": 5}),
    RiskProfile("resected-positive", "After local resection, positive margin", {"margin": "positive"}),
    RiskProfile("metastatic", "Distant metastases", {"distant_metastasis": True}),
)
BASE_TEXT = "Ki-67 1 %, mitoses 1 per 2 mm², submucosa, no LVI, N0"
def profile_id(key: str, size_mm: float) -> str:
    return f"{key}@{size_mm:g}"


def _mm(value: float) -> float:
    return round(float(value), 4)


@dataclass(frozen=True)
class Bound:
    """One size bound of the graph with the texts, as written, of the criteria that use it."""

    value: float
    texts: tuple[tuple[str, str, str], ...]  # (guideline key or "", decision point, as written)


def size_bounds(model: Model) -> list[Bound]:
    """Every size bound of the criteria model, with the as-written texts of the criteria using it."""
    by_value: dict[float, set[tuple[str, str, str]]] = {}
    for s in model.with_criteria():
        for c in s.criteria:
            for a in c.atoms:
                if a.field != "size_mm":
                    continue
                for v in a.bounds:
                    for dp in s.decision_points:
                        by_value.setdefault(_mm(v), set()).add((s.guideline, dp, a.as_written))
    return [Bound(v, tuple(sorted(t))) for v, t in sorted(by_value.items())]


def sweep_sizes(bounds: Sequence[Bound]) -> list[float]:
    first, last, step = SWEEP
    n = int(round((last - first) / step))
    sizes = {_mm(first + i * step) for i in range(n + 1)}
    for b in bounds:
        sizes.update(s for s in (_mm(b.value - NEAR), _mm(b.value), _mm(b.value + NEAR)) if s > 0)
    return sorted(sizes)


def data_columns(guideline_keys: Sequence[str]) -> list[str]:
    return ["risk_profile", "size_mm"] + csv_columns(guideline_keys)


@dataclass
class MapData:
    """The rows behind the map (data_columns), the size bounds, and the graph's keys."""

    rows: list[dict[str, str]]
    bounds: list[Bound]
    guideline_keys: tuple[str, ...]
    modality_keys: tuple[str, ...]
    risk_profiles: tuple[RiskProfile, ...] = RISK_PROFILES
    patient: tuple[str, float] | None = None  # (risk-profile key, size) of the patient placed on the map

    @property
    def columns(self) -> list[str]:
        return data_columns(self.guideline_keys)

    def csv_text(self) -> str:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=self.columns, lineterminator="\r\n")
        w.writeheader()
        w.writerows(self.rows)
        return buf.getvalue()


def patient_profile(profile: dict[str, Any]) -> tuple[RiskProfile, float]:
    """A patient's own panel: their findings at every size of the sweep, and their size."""
    pid = str(profile.get("id") or "patient")
    # the size is varied: a stated T category is dropped (it depends on the size), as nearest changes do
    findings = {k: v for k, v in profile.items() if k not in ("id", "size_mm", "t_stage")}
    def shown(v: Any) -> str:
        return str(v).lower() if isinstance(v, bool) else f"{v:g}" if isinstance(v, float) else str(v)
    described = ", ".join(f"{k.replace('_', ' ')} {shown(v)}" for k, v in findings.items())
    return RiskProfile("patient", f"This patient ({pid}): {described}; size varied", findings, base=False), \
        float(profile["size_mm"])


def map_data(model: Model | None = None, patient: dict[str, Any] | None = None, only_patient: bool = False) -> MapData:
    """One row per (risk profile, size), in risk-profile then size order; with a patient (a profile
    dict), their own panel first, with their size in the sweep."""
    if model is None:
        from ..engine import StoreEngine

        model = model_for(StoreEngine())
    bounds = size_bounds(model)
    cols = csv_columns(model.guideline_keys)
    profiles, placed, extra = RISK_PROFILES, None, set()
    if patient is not None:
        rp, size = patient_profile(patient)
        profiles, placed, extra = ((rp,) if only_patient else (rp, *RISK_PROFILES)), (rp.key, size), {_mm(size)}
    rows = []
    for rp in profiles:
        for s in sorted(set(sweep_sizes(bounds)) | extra):
            row = answer_to_row(row_answer(parse_profile(rp.fields(s)), model))
            rows.append({"risk_profile": rp.key, "size_mm": f"{s:g}", **dict(zip(cols, row))})
    return MapData(rows, bounds, model.guideline_keys, model.modality_keys, profiles, placed)
