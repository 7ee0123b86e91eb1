"""The evidence on a typed disagreement (DESIGN.md, Evidence on a disagreement), from queries/evidence.rq.

For a pair of guidelines that part:
- the study figures (seed 000, Table 2) about the risk factors recorded in a field of the criteria that
  separate the two answers: estimate (OR/HR, 95 % CI, P, AUC), cohort, the study's cut point beside the
  guideline's criterion as written, and any source slip that `rnetkg check` finds in the study
  (statistic_mismatch, denominator_mismatch, unit_mismatch);
- the outcome figures of the procedures of each modality in one answer and not the other (where the two
  part), unfavourable ones included, each with its own study and population; where the graph holds none
  for such a modality, an entry saying so.

Figures of different studies describe different populations: each keeps its own, and nothing here sets
two of them side by side or computes a difference. Authors' own positions are not evidence (the query
leaves them out). Quotes are the graph's, as the query returns them (parts joined with " | ", in sorted order: the order of a
GROUP_CONCAT is the engine's).
"""

from __future__ import annotations

from typing import Any

from . import queries
from .criteria.model import Model, Statement, rec_id
from .explain import criterion_entry
from .namespaces import PREFIXES, SHAPES

# the kinds of `rnetkg check` finding that are slips of a source in a study's figures
SLIP_KINDS = ("statistic_mismatch", "denominator_mismatch", "unit_mismatch")


def _engine(model: Model):
    return model._derived.get("engine")


def evidence_rows(model: Model) -> list[dict[str, Any]]:
    """Every row of queries/evidence.rq on the model's engine (read once per engine); [] without one."""
    engine = _engine(model)
    if engine is None:
        return []
    return engine.cached("evidence-rows", lambda e: e.select(queries.get("evidence").text), keep=True)


# the shapes' arithmetic constraint, which `rnetkg check` reports as statistic_mismatch (check/shacl.py)
ARITHMETIC_SHAPE = SHAPES + "ReportedFigureShape-percentageMatchesCount"
_SH = PREFIXES["sh"]


def _statistic_query() -> str:
    """The select of the shapes' arithmetic constraint (shapes/reported-figure.ttl), as a query over every
    figure: read from the shapes file as it is (pyoxigraph's parser; no SHACL engine needed)."""
    import pyoxigraph as ox

    from .paths import shape_files

    for path in shape_files():
        if path.name != "reported-figure.ttl":
            continue
        triples = list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
        constraints = {t.object for t in triples
                       if t.subject == ox.NamedNode(ARITHMETIC_SHAPE) and t.predicate == ox.NamedNode(_SH + "sparql")}
        for t in triples:
            if t.subject in constraints and t.predicate == ox.NamedNode(_SH + "select"):
                return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items()) + t.object.value
    return ""


def source_slips(model: Model) -> dict[str, list[dict[str, str]]]:
    """The slips of the sources that `rnetkg check` reports about study figures, by subject (a study or
    one of its figures): kind and message. The same queries as the check (queries/qc/ and the shapes'
    arithmetic constraint), run on the model's engine once."""
    engine = _engine(model)
    if engine is None:
        return {}

    def build(e) -> dict[str, list[dict[str, str]]]:
        out: dict[str, list[dict[str, str]]] = {}
        for q in queries.catalogue().values():
            kind = q.header.get("kind")
            if not q.is_qc or kind not in SLIP_KINDS:
                continue
            for r in e.select(q.text):
                out.setdefault(str(r["subject"]), []).append({"kind": kind, "message": str(r["message"])})
        text = _statistic_query()
        if text:
            for r in e.select(text):
                subject = str(r["this"])
                msg = (f"{_num(r['count'])}/{_num(r['denominator'])} is {_num(r['computed'])} %, but the percentage "
                       f"is written {_num(r['percentage'])} % (rounding allows ± {_num(r['tolerance'])}).")
                out.setdefault(subject, []).append({"kind": "statistic_mismatch", "message": msg})
        return out
    return engine.cached("source-slips", build, keep=True)


def _num(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _slips_of(slips: dict[str, list[dict[str, str]]], study: str | None, evidence: str) -> list[dict[str, str]]:
    """The slips found in a study: those naming the evidence, the study itself or any node under the
    study's IRI (its figures, named after it)."""
    found = set()
    for subject, items in slips.items():
        if subject == evidence or (study and (subject == study or subject.startswith(study + "/"))):
            found.update((i["kind"], rec_id(subject), i["message"]) for i in items)
    return [{"kind": k, "subject": s, "message": m} for k, s, m in sorted(found)]


def _p(row: dict[str, Any]) -> str | None:
    if row.get("pValue") is None:
        return None
    comparator = row.get("pComparator") or "="
    return (f"{comparator} " if comparator != "=" else "") + _num(row["pValue"])


def _parts(value: Any) -> list[str]:
    """The parts of a GROUP_CONCAT (" | "), sorted: SPARQL leaves their order to the engine, and an answer
    must be the same on every engine."""
    return sorted({p for p in str(value or "").split(" | ") if p})


def _joined(value: Any) -> str | None:
    return " | ".join(_parts(value)) or None


def _source(row: dict[str, Any]) -> dict[str, Any]:
    return {"document": " | ".join(rec_id(d) for d in _parts(row.get("document"))),
            "locator": _joined(row.get("locator")) or "", "quote": _joined(row.get("quote")) or ""}


def _study(row: dict[str, Any]) -> dict[str, Any] | None:
    if not row.get("study"):
        return None
    return {"id": rec_id(row["study"]), "label": row.get("studyLabel"), "first_author": row.get("firstAuthor"),
            "year": row.get("year"), "cohort_size": row.get("cohortSize"), "level": row.get("level")}


def _population(row: dict[str, Any]) -> str | None:
    parts = [p for p in (_joined(row.get("cohort")), f"stage: {row['stage']}" if row.get("stage") else None) if p]
    return "; ".join(parts) or None


def separating_fields(model: Model, separating: list[dict[str, Any]], sides: dict[str, list[Statement]],
                      values: dict[str, Any]) -> dict[str, list[str]]:
    """Per profile field, the separating criteria on it as written ('PNNT-2022: Ki-67 > 2%'): each
    separating criterion of a guideline found among the criteria of its applicable statements."""
    wanted = {(c["guideline"], c["as_written"]) for c in separating}
    out: dict[str, list[str]] = {}
    for key, statements in sides.items():
        for s in statements:
            for c in s.criteria:
                written = criterion_entry(c, values)["as_written"]
                if (key, written) not in wanted:
                    continue
                # a criterion of one atom as written; a risk-factor definition or a precedence rule by each
                # of its atoms as written, on that atom's field
                parts = [(c.atoms[0].field, written)] if c.direct else [(a.field, a.as_written or written) for a in c.atoms]
                for name, text in parts:
                    text = f"{key}: {text}"
                    if text not in out.setdefault(name, []):
                        out[name].append(text)
    return out


def evidence_index(model: Model) -> dict[str, Any]:
    """queries/evidence.rq's rows as the items of an answer's evidence, built once per engine (and kept
    with the graph's other values in the cache folder): ``study``, the study figures in the query's
    order, one per figure and field, as [field, item] (the guideline's side of its cut point left to fill
    in); ``outcome``, per modality, the outcome figures in the order of their evidence IRIs (procedures
    merged). Items are JSON text (decoded once per process by _decoded). None of it depends on the profile or the pair."""
    engine = _engine(model)
    if engine is None:
        return {"study": [], "outcome": {}}

    def build(e) -> dict[str, Any]:
        rows = evidence_rows(model)
        slips = source_slips(model)
        study: list[dict[str, Any]] = []
        seen: set[tuple[str, str]] = set()
        outcome: dict[str, dict[str, dict[str, Any]]] = {}
        for r in rows:
            if r["kind"] == "study" and (r["evidence"], r["field"]) not in seen:
                seen.add((r["evidence"], r["field"]))
                estimate = None
                if r.get("estimate") is not None or r.get("pValue") is not None:
                    estimate = {"measure": r.get("measure"), "value": r.get("estimate"), "ci_low": r.get("ciLower"),
                                "ci_high": r.get("ciUpper"), "ci_level": r.get("confidenceLevel"), "p": _p(r)}
                study.append({"id": rec_id(r["evidence"]), "kind": "study", "field": r["field"],
                              "factor": r["factorLabel"], "figure": r["figureType"], "statement": r.get("evidenceLabel"),
                              "analysis": r.get("analysis"), "outcome": r.get("outcome"), "estimate": estimate,
                              "cut_point": {"study": r["cutPoint"] if r.get("cutPoint") is not None else r.get("asWritten"),
                                            "guideline": None},
                              "study": _study(r), "population": _population(r), "profile_in_population": None,
                              "source_slips": _slips_of(slips, r.get("study"), r["evidence"]),
                              "source": _source(r)})
            elif r["kind"] == "outcome":
                by_evidence = outcome.setdefault(r["modality"], {})
                item = by_evidence.get(r["evidence"])
                if item is not None:
                    if r["procedureLabel"] not in item["procedures"]:
                        item["procedures"] = sorted([*item["procedures"], r["procedureLabel"]])
                    continue
                value = (f"{_num(r['percentage'])} %" if r.get("percentage") is not None
                         else f"{_num(r['estimate'])} {r.get('unit') or ''}".strip() if r.get("estimate") is not None
                         else r.get("valueText"))
                by_evidence[r["evidence"]] = {
                    "id": rec_id(r["evidence"]), "kind": "outcome", "modality": r["modality"], "guidelines": [],
                    "procedures": [r["procedureLabel"]], "statement": r.get("evidenceLabel"), "measure": r.get("measure"),
                    "value": value, "as_written": r.get("asWritten"), "p": _p(r),
                    "compared_within_study_with": r.get("comparedWithLabel"),
                    "study": _study(r), "references": _joined(r.get("reference")), "population": _population(r),
                    "source_slips": _slips_of(slips, r.get("study"), r["evidence"]) if r.get("study") else [],
                    "source": _source(r)}
        # each item as JSON text (what the cache folder keeps)
        return {"study": [[item["field"], _text(item)] for item in study],
                "outcome": {m: [_text(items[k]) for k in sorted(items)] for m, items in sorted(outcome.items())}}
    return engine.cached("evidence-index", build, keep=True)


def _text(item: dict[str, Any]) -> str:
    import json

    return json.dumps(item, separators=(",", ":"))


def _decoded(model: Model) -> dict[str, Any]:
    """evidence_index with its items decoded, once per index (a process decodes each item once)."""
    import json

    index = evidence_index(model)
    kept = model._derived.get("evidence-decoded")
    if kept is None or kept[0] is not index:
        kept = (index, {"study": [(f, json.loads(t)) for f, t in index["study"]],
                        "outcome": {m: [json.loads(t) for t in texts] for m, texts in index["outcome"].items()}})
        model._derived["evidence-decoded"] = kept
    return kept[1]


def disagreement_evidence(model: Model, pair: dict[str, Any], sides: dict[str, list[Statement]],
                          values: dict[str, Any]) -> list[dict[str, Any]]:
    """The evidence items of one disagreement (its guidelines, modalities and separating criteria; the
    applicable statements of each side; the profile's criteria values)."""
    index = _decoded(model)
    if not index["study"] and not index["outcome"]:
        return []
    fields = separating_fields(model, pair.get("separating_criteria", []), sides, values)
    # each item a copy of its own at the top (and its cut point), the rest shared: an answer is read,
    # never changed
    items: list[dict[str, Any]] = []
    for field, item in index["study"]:
        if field in fields:
            items.append({**item, "cut_point": {**item["cut_point"], "guideline": fields[field]}})
    # the modalities where the two answers part: in one answer and not in the other (a modality both
    # recommend does not bear on the disagreement)
    modalities = {m: sorted(k for k in pair["guidelines"] if m in pair["modalities"][k])
                  for k in pair["guidelines"] for m in pair["modalities"][k]}
    modalities = {m: keys for m, keys in modalities.items() if len(keys) == 1}
    for m in sorted(modalities):
        for item in index["outcome"].get(m, ()):
            items.append({**item, "guidelines": modalities[m]})
    for m in sorted(modalities):
        if not index["outcome"].get(m):
            label = model.modality_labels.get(m, m.replace("_", " "))
            items.append({"id": None, "kind": "no_figures", "modality": m, "guidelines": modalities[m],
                          "statement": f"the sources give no outcome figures for {label}"})
    return items
