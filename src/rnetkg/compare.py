"""Compare guidelines for case profiles: the answer of DESIGN.md, computed by the SPARQL queries
applicable-recommendations, guideline-status and disagreements on any engine.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Sequence

from . import queries
from .engine import Engine, StoreEngine
from .namespaces import KG
from .profile import Profile

GUIDELINE_KEYS = ("ENETS-2023", "NCCN-2025", "PNNT-2022", "JNETS-2019", "CNETS", "CSCO-2022",
                  "ASCO-2023", "NICE-2024")
MODALITIES = ("no_further_action", "surveillance", "endoscopic_resection", "transanal_excision",
              "radical_surgery", "chemoradiation", "systemic_therapy", "liver_directed_therapy",
              "cytoreduction")
STATUSES = ("covered", "ambiguous", "possible", "silent")


def split_list(value: Any, sep: str = " | ") -> list[str]:
    if not value:
        return []
    return sorted({v.strip() for v in str(value).split(sep) if v.strip()})


def rec_id(iri: str) -> str:
    """The short id of a statement: its IRI after the kg/ namespace (e.g. enets-2023/rec-10-20mm)."""
    return iri[len(KG):] if iri.startswith(KG) else iri


@dataclass
class Details:
    """Static facts about every statement, read once per engine."""

    by_rec: dict[str, dict[str, Any]]
    fields_by_rec: dict[str, set[str]]


def load_details(engine: Engine) -> Details:
    rows = engine.select(queries.get("recommendation-details").text)
    by_rec = {}
    for r in rows:
        by_rec[r["rec"]] = {
            "id": rec_id(r["rec"]),
            "guideline": r["guideline"] or None,
            "kind": r["kind"],
            "label": r["label"],
            "mdt": bool(r["mdt"]),
            "modalities": split_list(r["modalities"]),
            "procedures": split_list(r["procedures"]),
            "workup": split_list(r["workup"]),
            "follow_up": " | ".join(split_list(r["followUp"])),
            "assumptions": split_list(r["assumptions"]),
            "source": {"document": r["document"], "locator": r["locator"],
                       "quote": " … ".join(split_list(r["quotes"])),
                       "reference": r["reference"] or None},
        }
    fields: dict[str, set[str]] = defaultdict(set)
    for r in engine.select(queries.get("criteria").text):
        fields[r["rec"]].add(r["field"])
    return Details(by_rec, dict(fields))


def details_for(engine: Engine) -> Details:
    return engine.cached("recommendation-details", load_details)


def _index(case: str) -> int:
    return int(case.rsplit("/", 1)[1])


def compare_profiles(profiles: Sequence[Profile], engine: Engine | None = None) -> list[dict[str, Any]]:
    """The DESIGN.md answer for each profile, in input order."""
    engine = engine or StoreEngine()
    details = details_for(engine)
    applicable = engine.select(queries.with_profiles(queries.get("applicable-recommendations"), profiles))
    status = engine.select(queries.with_profiles(queries.get("guideline-status"), profiles))
    disagreements = engine.select(queries.with_profiles(queries.get("disagreements"), profiles))

    recs_by_case: dict[int, list[dict]] = defaultdict(list)
    for r in applicable:
        if r["status"] in ("applies", "possible"):
            recs_by_case[_index(r["case"])].append(r)
    status_by_case: dict[int, dict[str, dict]] = defaultdict(dict)
    for r in status:
        status_by_case[_index(r["case"])][r["guideline"]] = r
    dis_by_case: dict[int, list[dict]] = defaultdict(list)
    for r in disagreements:
        dis_by_case[_index(r["case"])].append({"guidelines": [r["guideline1"], r["guideline2"]],
                                               "kind": r["kind"]})

    answers = []
    for i, p in enumerate(profiles):
        answers.append(_answer(p, details, recs_by_case[i], status_by_case[i], dis_by_case[i]))
    return answers


def _rec_entry(p: Profile, d: dict, row: dict, fields: set[str]) -> dict[str, Any]:
    assumptions = list(d["assumptions"])
    if p.notes and fields & {"grade"}:
        assumptions.extend(p.notes)
    return {
        "id": d["id"],
        "status": row["status"],
        "modalities": d["modalities"],
        "procedures": d["procedures"],
        "workup": d["workup"],
        "follow_up": d["follow_up"],
        "assumptions": sorted(set(assumptions)),
        "missing": split_list(row["missing"], " "),
        "source": d["source"],
    }


def _answer(p: Profile, details: Details, recs: list[dict], status: dict[str, dict],
            disagreements: list[dict]) -> dict[str, Any]:
    by_guideline: dict[str, list[dict]] = defaultdict(list)
    editorial = []
    for row in recs:
        d = details.by_rec.get(row["rec"])
        if d is None:
            continue
        entry = _rec_entry(p, d, row, details.fields_by_rec.get(row["rec"], set()))
        if d["guideline"]:
            by_guideline[d["guideline"]].append((d, entry))
        else:
            editorial.append(dict(entry, kind=d["kind"], label=d["label"]))
    guidelines = []
    for key in sorted(GUIDELINE_KEYS):
        s = status.get(key, {"status": "silent", "modalities": ""})
        st = s["status"]
        wanted = {"covered": ("applies",), "ambiguous": ("applies",), "possible": ("possible",),
                  "silent": ()}[st]
        entries = sorted(by_guideline.get(key, []), key=lambda de: de[1]["id"])
        shown = [e for _, e in entries if e["status"] in wanted or (st in ("covered", "ambiguous"))]
        mdt = any(d["mdt"] for d, e in entries if e["status"] in wanted and d["kind"] == "management")
        guidelines.append({
            "guideline": key,
            "status": st,
            "modalities": split_list(s["modalities"], " "),
            "mdt": mdt,
            "recommendations": shown,
        })
    return {
        "profile": p.id,
        "derived": p.derived(),
        "guidelines": guidelines,
        "disagreements": sorted(disagreements, key=lambda x: (x["guidelines"], x["kind"])),
        "editorial_statements": sorted(editorial, key=lambda e: e["id"]),
    }


def compare(profile: Profile, engine: Engine | None = None) -> dict[str, Any]:
    return compare_profiles([profile], engine)[0]
