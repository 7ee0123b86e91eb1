"""Why an answer is what it is, computed by the criteria model (DESIGN.md "Explanations"): each
criterion of a recommendation with the profile's value and its result, the risk-factor components of
the guideline's own definition, the caveats the graph records, why a silent guideline is silent, and
which missing inputs would settle a "possible" answer and what each value would give.

The statuses these explain come from the evaluation (the SPARQL path's or the model's own): they are
tested identical, so the explanation is of the answer shown.
"""

from __future__ import annotations

import threading
from typing import Any

from .criteria.model import Criterion, Model, Statement
from .record import fields, is_record
from .fields import DERIVATION_CUTS, FIELD_NAMES, FIELDS

RESULT = {1: "met", -1: "failed", 0: "unknown"}


def _value(v: Any) -> Any:
    return v if not isinstance(v, float) or not v.is_integer() else int(v)


def atom_entry(atom, values: dict[str, Any], flip: int = 1) -> dict[str, Any]:
    v = values.get(atom.field)
    return {"as_written": atom.as_written, "field": atom.field, "value": _value(v) if v is not None else None,
            "result": RESULT[flip * atom.status(v)]}


def criterion_entry(c: Criterion, values: dict[str, Any]) -> dict[str, Any]:
    result = RESULT[c.status(values)]
    if c.direct:
        return {**atom_entry(c.atoms[0], values), "result": result}
    if c.negated:
        return {"as_written": f"unless: {c.label}",
                "field": "precedence", "value": None, "result": result}
    if c.part == c.iri:   # any of its atoms
        shown = lambda v: str(v).lower() if isinstance(v, bool) else _value(v)  # noqa: E731
        known = [f"{a.field}: {shown(values[a.field])}" for a in c.atoms if values.get(a.field) is not None]
        return {"as_written": c.as_written, "field": "any_of", "value": "; ".join(known) or None, "result": result}
    return {"as_written": c.as_written, "field": "risk_factors", "value": None, "result": result}


def risk_factors(s: Statement, values: dict[str, Any]) -> dict[str, Any] | None:
    """The components of the guideline's risk-factor definition: present, absent or unknown."""
    c = next((c for c in s.criteria if not c.direct and not c.negated and c.part != c.iri), None)
    if c is None:
        return None
    entries = [atom_entry(a, values) for a in c.atoms]
    by = {r: [e for e in entries if e["result"] == r] for r in ("met", "failed", "unknown")}
    return {"definition": c.label, "present": by["met"], "absent": by["failed"], "unknown": by["unknown"]}


def recommendation_explanation(s: Statement, values: dict[str, Any]) -> dict[str, Any]:
    return {"criteria": [criterion_entry(c, values) for c in s.criteria],
            "risk_factors": risk_factors(s, values), "caveats": list(s.caveats)}


def silence(model: Model, profile, key: str) -> dict[str, Any]:
    """Why a guideline says nothing for this profile: its recommendation here states an aim only, it
    has no recommendation at this decision point, or the closest recommendations and what they fail."""
    values, dp = profile.criteria_values(), profile.decision_point
    own = [s for s in model.with_criteria() if s.guideline == key and s.kind == "management"]
    here = [s for s in own if dp in s.decision_points]
    words = dp.replace("_", " ")
    aims = [s for s in here if not s.modalities and s.aims and s.status(values, dp) == 1]
    if aims:
        return {"reason": f"its recommendation for {words} states an aim, not a treatment: "
                          + "; ".join(f"'{a}'" for s in aims for a in s.aims),
                "closest": [{"id": s.id, "failed": []} for s in aims]}
    if not here:
        where = sorted({d.replace("_", " ") for s in own for d in s.decision_points})
        if dp == "after_local_resection":
            return {"reason": f"the sources give no {key} recommendation after a local excision"
                              + (f" (it addresses {', '.join(where)})" if where else ""),
                    "closest": []}
        return {"reason": f"no recommendation for {words} in the sources"
                          + (f" (it addresses {', '.join(where)})" if where else ""), "closest": []}
    failing = {s.id: [criterion_entry(c, values) for c in s.criteria if c.status(values) < 0] for s in here}
    fewest = min(len(f) for f in failing.values())
    closest = [{"id": i, "failed": f} for i, f in sorted(failing.items()) if len(f) == fewest][:3]
    return {"reason": f"none of its {len(here)} recommendation{'s' if len(here) > 1 else ''} for {words} "
                      f"applies", "closest": closest}


def _candidates(field: str, model: Model) -> list[Any]:
    f = FIELDS[field]
    if f.kind == "enum":
        return list(f.values)
    if f.kind == "boolean":
        return [False, True]
    bounds = sorted(set(model.bounds(field)) | set(DERIVATION_CUTS.get(field, ())))
    lo = f.minimum if f.minimum is not None else 0.0
    points = {round(bounds[0] / 2, 3) if bounds else 1.0}
    for a, b in zip(bounds, bounds[1:]):
        points |= {a, round((a + b) / 2, 3)}
    if bounds:
        points |= {bounds[-1], round(bounds[-1] * 1.5, 3)}
    return sorted(_value(p) for p in points if f.in_range(p) and p >= lo)


def missing_inputs(model: Model, profile, evaluation) -> list[dict[str, Any]]:
    """The fields the user can supply (measured or observed, never a derived grade or T category) that
    the profile leaves unknown and whose value would change some guideline's answer under the default
    readings: the guidelines it would change, and what each value would give them. A Ki-67 index that
    gives G1 with the mitotic count unknown leaves the mitotic count here: it may raise the grade."""
    from .profile import parse_profile
    from .errors import ProfileError

    data = {n: getattr(profile, n) for n in FIELD_NAMES if n != "id" and getattr(profile, n) is not None}
    now = {g.key: (g.status, g.modalities) for g in evaluation.guidelines}
    near = (profile.criteria_values(), profile.decision_point, evaluation.guidelines)
    out = []
    for field, f in FIELDS.items():
        if field in data or field == "id" or f.criteria_value != field or field not in model.criteria_fields:
            continue
        if f.only_with and data.get(f.only_with[0]) not in f.only_with[1]:
            continue
        what_if, changed = [], set()
        for v in _candidates(field, model):
            try:
                p = parse_profile({**data, field: v})
            except ProfileError:
                continue  # a value the other fields rule out (a stated grade, a stated T category)
            answers = {g.key: (g.status, g.modalities)
                       for g in model.guideline_results(p.criteria_values(), p.decision_point, near=near)}
            changed |= {k for k, a in answers.items() if a != now.get(k)}
            what_if.append((v, answers))
        if not changed:
            continue
        keys = [k for k in model.guideline_keys if k in changed]
        out.append({"field": field, "affects": keys,
                    "what_if": [{"value": v, "answers": {k: {"status": a[k][0], "modalities": list(a[k][1])}
                                                         for k in keys}} for v, a in what_if]})
    return out


# ---------------------------------------------------------------- typed disagreements

# per model (its id), the relations computed so far: a profile with the same applicable
# recommendations has the same relations (a server or a map computes each once)
_RELATIONS: dict[int, dict[tuple, tuple[str, list[dict[str, Any]]]]] = {}

# Across processes: the relations do not depend on the profile, only on the two sides' criteria, and
# building their grid is about half of a cold `rnetkg compare`. They are kept in a cache file under
# $XDG_CACHE_HOME/rnetkg (default ~/.cache/rnetkg), one per graph (named by graph.graph_hash) and
# rnetkg version; each entry is keyed by a digest of the decision point and both sides' statements with
# their criteria (canonical form), so a model built otherwise (an extra graph, a test's own) never
# reads another's entry. A cache that cannot be read or written is ignored: the relation is computed.
CACHE_FORMAT = 1
_STORED: dict[str, list] | None = None
_NEW: dict[str, list] = {}
_LOCK = threading.Lock()


def _canonical(x: Any) -> Any:
    if is_record(x):
        return [type(x).__name__, [_canonical(getattr(x, f)) for f in fields(x)]]
    if isinstance(x, (set, frozenset)):
        return sorted((_canonical(v) for v in x), key=repr)
    if isinstance(x, (list, tuple)):
        return [_canonical(v) for v in x]
    if isinstance(x, dict):
        return sorted([_canonical(k), _canonical(v)] for k, v in x.items())
    return x if isinstance(x, (str, int, float, bool)) or x is None else repr(x)


def _digest(decision_point: str, first: list[Statement], second: list[Statement]) -> str:
    import hashlib
    import json

    sides = [[[s.iri, s.guideline, _canonical(s.criteria)] for s in side] for side in (first, second)]
    text = json.dumps([CACHE_FORMAT, decision_point, sides], separators=(",", ":"), default=repr)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _key(model: Model, decision_point: str, first: list[Statement], second: list[Statement]) -> str:
    """The cache key of a relation: for the model of the shipped graph's store (whose cache file is
    named by that graph's hash and the code), the decision point and the statements' IRIs, which name
    the same criteria there; for any other model, the digest of the statements with their criteria."""
    if "relations-by-iri" not in model._derived:
        from .graph import current_graph_hash

        engine = model._derived.get("engine")
        model._derived["relations-by-iri"] = (getattr(engine, "shared", False)
                                              and model._derived.get("graph") == current_graph_hash())
    if model._derived["relations-by-iri"]:
        return " ".join([decision_point, *(s.iri for s in first), "|", *(s.iri for s in second)])
    return _digest(decision_point, first, second)


def relation_cache_file():
    """The cache file of the relations for the graph rnetkg loads (None when no cache folder is known)."""
    from . import cache
    from .graph import current_graph_hash

    return cache.file("relations", ".json", current_graph_hash())


def stored_relations() -> dict[str, list]:
    global _STORED
    if _STORED is None:
        import json

        _STORED = {}
        try:
            f = relation_cache_file()
            if f is not None and f.is_file() and not f.is_symlink():
                data = json.loads(f.read_text(encoding="utf-8"))
                if isinstance(data, dict) and data.get("format") == CACHE_FORMAT:
                    _STORED = {k: v for k, v in data.get("relations", {}).items()
                               if isinstance(v, list) and len(v) == 2}
        except (OSError, ValueError):
            _STORED = {}
    return _STORED


def save_relations() -> None:
    """Write the relations computed in this process to the cache file (atomically; nothing when none
    is new or the folder cannot be written)."""
    import json

    with _LOCK:
        if not _NEW:
            return
        merged = {**stored_relations(), **_NEW}
        _NEW.clear()
        stored_relations().update(merged)
    from . import cache

    cache.write(relation_cache_file(),
                json.dumps({"format": CACHE_FORMAT, "relations": merged}, separators=(",", ":")))


def relation(model: Model, decision_point: str, first: list[Statement], second: list[Statement]
             ) -> tuple[str, list[dict[str, Any]]]:
    """How the profiles where the first guideline's applicable recommendations hold relate to the
    second's, exactly over the cells that every threshold of their criteria cuts the profile space into
    (criteria.grid): equivalent, narrower, broader or overlapping; and the criteria, as written, that hold
    on one side of the difference and fail on the other."""
    cache = _RELATIONS.setdefault(id(model), {})
    key = (decision_point, tuple(s.iri for s in first), tuple(s.iri for s in second))
    if key not in cache:
        digest = _key(model, decision_point, first, second)
        found = stored_relations().get(digest)
        if found is not None:
            cache[key] = (found[0], [dict(x) for x in found[1]])
        else:
            cache[key] = _relation(decision_point, first, second)
            with _LOCK:
                _NEW[digest] = [cache[key][0], cache[key][1]]
    return cache[key]


def _relation(decision_point: str, first: list[Statement], second: list[Statement]
              ) -> tuple[str, list[dict[str, Any]]]:
    from .criteria.grid import build_grid

    grid = build_grid("", decision_point, [*first, *second], t_from_depth=True)
    region = [{i for i, st in enumerate(grid.status) if any(st[s.iri] == 1 for s in side)}
              for side in (first, second)]
    a, b = region
    kind = ("equivalent" if a == b else "narrower" if a < b else "broader" if a > b else "overlapping")
    separating: dict[tuple[str, str], None] = {}
    for only, others in ((a - b, second), (b - a, first)):
        for i in sorted(only):
            for s in others:
                for c in s.criteria:
                    if c.status(grid.values[i]) < 0:
                        separating[(s.guideline, criterion_entry(c, grid.values[i])["as_written"])] = None
    return kind, [{"guideline": g, "as_written": t} for g, t in sorted(separating)]
