"""Reading the criteria model from the graph: queries/guidelines.rq, modalities.rq, readings.rq,
criteria.rq (the flattened criteria of every statement per reading context, as the profile queries
evaluate them) and recommendation-details.rq, once per engine."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from .. import queries
from ..errors import ModelError
from ..fields import FIELDS
from .model import DEFAULT_CONTEXT, KINDS, Atom, FollowUp, Criterion, Guideline, Model, Reading, Source, Statement, split_list

_ATOM_FIELD_KIND = {"range": "number", "boolean": "boolean", "set": "enum"}


def _flag(v: Any) -> bool | None:
    if v is None:
        return None
    if isinstance(v, str):
        return v in ("true", "1")
    return bool(v)


def _check_atom(atom: Atom) -> None:
    f = FIELDS.get(atom.field)
    expected = _ATOM_FIELD_KIND.get(atom.kind)
    if f is None or expected is None or not f.criteria_value:
        return  # a field no profile has: the queries see it as unknown, and so does the model
    if expected != f.kind or (atom.kind == "boolean" and atom.required is None):
        raise ModelError(f"criteria: atom {atom.iri} ({atom.kind} on field {atom.field}) cannot be evaluated; "
                         f"field {atom.field} is a {f.kind}")


def _readings(engine) -> dict[str, Reading]:
    rows = engine.select(queries.get("readings").text)
    quotes: dict[str, dict[str, None]] = defaultdict(dict)
    guidelines: dict[str, dict[str, None]] = defaultdict(dict)
    first: dict[str, dict[str, Any]] = {}
    for r in rows:
        first.setdefault(r["reading"], r)
        if r["quote"]:
            quotes[r["reading"]][r["quote"]] = None
        guidelines[r["reading"]][r["guideline"]] = None
    out = {iri: Reading(iri, r["passage"], r["passageLabel"], r["label"], bool(_flag(r["default"])), r["rationale"],
                        r["defaultReason"], tuple(quotes[iri]), tuple(sorted(guidelines[iri])))
           for iri, r in sorted(first.items())}
    # each combination of readings (passages of one guideline read together) as a reading context of its
    # own: its passages, rationales and quotes are those of the readings it combines
    combined: dict[str, list[str]] = defaultdict(list)
    labels: dict[str, str] = {}
    for r in engine.select(queries.get("reading-combinations").text):
        if r["reading"] in out:
            combined[r["combination"]].append(r["reading"])
            labels[r["combination"]] = r["label"]
    for iri, members in sorted(combined.items()):
        parts = sorted((out[m] for m in members), key=lambda m: (m.passage_label, m.iri))
        shared = set.intersection(*(set(m.guidelines) for m in parts))
        out[iri] = Reading(iri, " ".join(m.passage for m in parts), "; ".join(m.passage_label for m in parts),
                           labels[iri], False, "; ".join(f"{m.label}: {m.rationale}" for m in parts), "",
                           tuple(dict.fromkeys(q for m in parts for q in m.quotes)), tuple(sorted(shared)),
                           tuple(m.iri for m in parts))
    return out


def load_model(engine) -> Model:
    """Read the model from the graph behind ``engine`` (any rnetkg engine)."""
    guidelines = tuple(Guideline(r["guideline"], r["document"], r["label"] or r["guideline"], r["position"],
                                 tuple(split_list(r["scope"], " ")))
                       for r in engine.select(queries.get("guidelines").text))
    mod_rows = engine.select(queries.get("modalities").text)
    modality_keys = tuple(r["modality"] for r in mod_rows)
    modality_labels = {r["modality"]: r["label"] or r["modality"].replace("_", " ") for r in mod_rows}
    strategies = {r["modality"]: r["strategy"] for r in mod_rows}
    levels = {r["modality"]: int(r["level"]) for r in mod_rows if r["level"] is not None}
    strategy_labels = {r["strategy"]: r["strategyLabel"] or r["strategy"].replace("_", " ") for r in mod_rows}

    atoms: dict[str, dict[str, Any]] = {}
    # a criterion's parts in each reading context: (context, rec, crit, part) -> atoms; a risk-factor
    # criterion has one part per definition, each possibly tied to a reading
    part_atoms: dict[tuple[str, str, str, str], dict[str, None]] = defaultdict(dict)
    part_info: dict[tuple[str, str, str], tuple[int, bool, str | None, str, str]] = {}
    info: dict[str, dict[str, Any]] = defaultdict(lambda: {"kinds": set(), "dps": set(), "guideline": "",
                                                            "reading": None})
    rec_parts: dict[str, dict[str, dict[tuple[str, str], None]]] = defaultdict(lambda: defaultdict(dict))
    for r in engine.select(queries.get("criteria").text):
        a = atoms.setdefault(r["atom"], {"iri": r["atom"], "kind": r["atomType"], "field": r["field"],
                                         "min": None if r["min"] is None else float(r["min"]),
                                         "min_inclusive": _flag(r["minInclusive"]),
                                         "max": None if r["max"] is None else float(r["max"]),
                                         "max_inclusive": _flag(r["maxInclusive"]),
                                         "required": _flag(r["required"]), "allowed": set(),
                                         "as_written": r["asWritten"] or ""})
        if r["allowed"] is not None:
            a["allowed"].add(r["allowed"])
        context, part = r["context"], r["part"]
        part_atoms[(context, r["rec"], r["crit"], part)][r["atom"]] = None
        part_info[(r["rec"], r["crit"], part)] = (int(r["sign"]), bool(_flag(r["negated"])), r.get("partReading"),
                                                  r.get("critWritten") or "", r.get("partLabel") or "")
        i = info[r["rec"]]
        i["kinds"].add(r["kind"])
        i["dps"].add(r["decisionPoint"])
        i["guideline"] = r["guideline"] or ""
        i["reading"] = r.get("recReading")
        rec_parts[context][r["rec"]][(r["crit"], part)] = None
    atom_objs = {iri: Atom(**{**a, "allowed": frozenset(a["allowed"])}) for iri, a in atoms.items()}
    for atom in atom_objs.values():
        _check_atom(atom)

    def criteria_in(context: str, iri: str) -> tuple[Criterion, ...]:
        out = []
        for crit, part in sorted(rec_parts[context].get(iri, {})):
            sign, negated, reading, written, label = part_info[(iri, crit, part)]
            out.append(Criterion(crit, sign, tuple(atom_objs[a] for a in sorted(part_atoms[(context, iri, crit, part)])),
                                 negated, part, reading, written, label))
        return tuple(out)

    readings = _readings(engine)

    def criteria_of(iri: str) -> tuple[Criterion, ...]:
        """A statement's criteria under the default readings, or in the first other context it holds in
        (one other reading before a combination of readings)."""
        for context in (DEFAULT_CONTEXT, *sorted(rec_parts, key=lambda c: (c in readings and bool(readings[c].combines), c))):
            if iri in rec_parts.get(context, {}):
                return criteria_in(context, iri)
        return ()
    context_criteria = {context: {iri: criteria_in(context, iri) for iri in sorted(recs)}
                        for context, recs in sorted(rec_parts.items())}

    notes: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"aim": [], "notes": []})
    for r in engine.select(queries.get("caveats").text):
        target = notes[r["rec"]]["aim" if r["kind"] == "aim" else "notes"]
        if r["note"] not in target:
            target.append(r["note"])
    follow_ups: dict[str, list[FollowUp]] = defaultdict(list)
    atoms_by_iri = {a.iri: a for a in atom_objs.values()}
    for r in engine.select(queries.get("follow-up").text):
        interval = ((float(r["intervalMin"]), float(r["intervalMax"]))
                    if r["intervalMin"] is not None and r["intervalMax"] is not None else None)
        follow_ups[r["rec"]].append(FollowUp(
            r["plan"], r["asWritten"], r["kind"], tuple(split_list(r["examinations"])), interval,
            bool(_flag(r["firstYearOnly"])), atoms_by_iri.get(r["when"]) if r["when"] else None,
            tuple(split_list(r["caveats"])), bool(_flag(r["allExaminations"]))))
    definitions: dict[str, tuple[str, list[Atom]]] = {}
    for r in engine.select(queries.get("risk-factor-definitions").text):
        if r["component"] in atoms_by_iri and r["reading"] is None and r["definedBy"] in {g.key for g in guidelines}:
            label, comps = definitions.setdefault(r["definition"], (r["label"] or "", []))
            if atoms_by_iri[r["component"]] not in comps:
                comps.append(atoms_by_iri[r["component"]])
    risk_definitions = {iri: (label, tuple(comps)) for iri, (label, comps) in definitions.items()}
    procedures = {r["procedure"]: (r["label"] or r["procedure"], r["modality"], frozenset(split_list(r["within"])))
                  for r in engine.select(queries.get("resection-procedures").text)}
    statements: dict[str, Statement] = {}
    for r in engine.select(queries.get("recommendation-details").text):
        iri = r["rec"]
        i = info.get(iri)
        dps = frozenset(i["dps"]) if i else frozenset(split_list(r["decisionPoint"], " "))
        statements[iri] = Statement(
            iri=iri, guideline=r["guideline"] or "", kind=r["kind"], decision_points=dps, criteria=criteria_of(iri),
            label=r["label"] or "", mdt=bool(_flag(r["mdt"])),
            modalities=tuple(split_list(r["modalities"])), procedures=tuple(split_list(r["procedures"])),
            workup=tuple(split_list(r["workup"])), follow_up=" | ".join(split_list(r["followUp"])),
            assumptions=tuple(split_list(r["assumptions"])),
            source=Source(r["document"], r["locator"], " … ".join(split_list(r["quotes"])), r["reference"] or None),
            reading=i["reading"] if i else None, caveats=tuple(notes[iri]["notes"]), aims=tuple(notes[iri]["aim"]),
            targets=tuple(split_list(r.get("targets"))), follow_ups=tuple(follow_ups.get(iri, ())),
            across_guidelines=bool(_flag(r.get("acrossGuidelines"))), strength=r.get("strength") or "",
            decision_basis=r.get("decisionBasis") or None)
    # a statement with criteria but without a label, decision point or source (a defect that SHACL
    # reports): evaluated like the others, shown in no answer
    for iri in sorted(set(info) - set(statements)):
        i = info[iri]
        kind = next(k for k in KINDS if k in i["kinds"])
        statements[iri] = Statement(iri=iri, guideline=i["guideline"], kind=kind,
                                    decision_points=frozenset(i["dps"]), criteria=criteria_of(iri),
                                    reading=i["reading"])
    known = [g.key for g in guidelines]
    for s in statements.values():
        if s.guideline and s.guideline not in known:
            raise ModelError(f"criteria: statement {s.iri} names guideline {s.guideline!r}, which is not a "
                             f"guideline document of the graph ({', '.join(known)})")
        unknown = set(s.modalities) - set(modality_keys)
        if unknown:
            raise ModelError(f"criteria: statement {s.iri} has modality {sorted(unknown)[0]!r}, not a "
                             "rnet:ManagementModality with a modality bit")
    return Model(guidelines=guidelines, modality_keys=modality_keys, modality_labels=modality_labels,
                 statements=dict(sorted(statements.items())), atoms=tuple(atom_objs[k] for k in sorted(atom_objs)),
                 readings=readings, context_criteria=context_criteria, strategies=strategies, levels=levels,
                 strategy_labels=strategy_labels, procedures=procedures, risk_definitions=risk_definitions)


def model_for(engine) -> Model:
    """The model of ``engine``'s graph, read once per engine (once per process for the shipped graph,
    and kept in the cache folder for the next process: rnetkg.cache, named by the graph's hash). The
    model keeps its engine for what it reads on first use only (rnetkg.evidence)."""
    def build(e) -> Model:
        model = _load_or_cached(e)
        model._derived["engine"] = e
        if getattr(e, "shared", False):   # the shipped graph's model: the graph it was read from
            from ..graph import current_graph_hash

            model._derived["graph"] = current_graph_hash()
        return model
    return engine.cached("criteria-model", build)


def _load_or_cached(engine) -> Model:
    from .. import cache, graph
    from ..engine import StoreEngine
    from . import model as model_module

    if not (isinstance(engine, StoreEngine) and engine.shared):
        return load_model(engine)

    def decode(data: bytes) -> Model:
        found = cache.from_json(data, model_module)
        if not isinstance(found, Model):
            raise ValueError("the model's cache file holds no model")
        return found
    return cache.kept("model", graph.current_graph_hash(), lambda: load_model(engine), cache.to_json, decode)
