"""`rnetkg describe ID`: everything the graph says about one node, from queries/describe.rq.

An ID is a short id of the instance data (``nccn-2025/rec-t1``, ``study/hyun-2015``: the IRI after
``https://w3id.org/rnetkg/kg/``), a prefixed name (``rnet:EndoscopicResection``, ``kg:nccn-2025/t1``),
a bare ontology term (``EndoscopicResection``) or a full IRI (``<https://...>`` or ``https://...``).
The node is bound into the query as an RDF term (queries.with_params), never pasted as text.

The answer groups the query's rows: the node's own statements (label, types, definition, decision
point, criteria, actions, notes ...), under each statement whose value is a part of the node (a
criterion, a source excerpt, a follow-up plan, a blank node) that part's statements, the triples
that point to the node, and the number of instances when the node is a class.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from . import queries
from .errors import RnetkgError
from .namespaces import KG, PREFIXES, RDF, RDFS, RNET, SKOS

ABOUT, PART, REFERENCED_BY, INSTANCES = "about", "part", "referenced_by", "instances"
FIRST = (RDF + "type", RDFS + "label", SKOS + "definition")  # shown before the other statements
MAX_MESSAGE = 300


class DescribeError(RnetkgError, ValueError):
    """An ID that is not an IRI, or a node that the graph does not hold: one line, exit code 2."""


@dataclass
class Statement:
    property: str
    property_label: str
    value: Any
    kind: str  # iri, literal or blank
    value_label: str | None = None
    parts: list["Statement"] = field(default_factory=list)


@dataclass
class Reference:
    subject: str
    subject_label: str | None
    property: str
    property_label: str


@dataclass
class Description:
    id: str
    iri: str
    label: str | None
    types: list[dict[str, str | None]]
    definition: str | None
    statements: list[Statement]
    referenced_by: list[Reference]
    instances: int | None


# ---------------------------------------------------------------- names

def curie(iri: str) -> str:
    """A compact form of an IRI: kg:..., rnet:..., or another project prefix; else the IRI."""
    if iri.startswith(KG):
        return "kg:" + iri[len(KG):]
    for prefix, ns in PREFIXES.items():
        if ns != KG and iri.startswith(ns) and re.fullmatch(r"[A-Za-z_][\w\-.]*", iri[len(ns):]):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def short_id(iri: str) -> str:
    """The ID a user types for a node: the short id of instance data, else the compact name."""
    return iri[len(KG):] if iri.startswith(KG) else curie(iri)


def candidates(node_id: str) -> list[str]:
    """The IRIs an ID may stand for, most likely first (DescribeError when it cannot be an IRI)."""
    text = (node_id or "").strip()
    if not text:
        raise DescribeError("describe: give an ID, e.g. nccn-2025/rec-t1, rnet:EndoscopicResection or <IRI>")
    if text.startswith("<") and text.endswith(">"):
        out = [text[1:-1]]
    elif re.match(r"https?://", text):
        out = [text]
    else:
        m = re.fullmatch(r"([a-z]+):(.+)", text)
        if m and m.group(1) in PREFIXES:
            out = [PREFIXES[m.group(1)] + m.group(2)]
        elif m:
            raise DescribeError(f"describe: unknown prefix {m.group(1)!r} in {text!r}; known prefixes: "
                                f"{', '.join(sorted(PREFIXES))}")
        else:
            out = [KG + text] + ([RNET + text] if "/" not in text else [])
    for iri in out:
        _check_iri(iri, text)
    return out


def _check_iri(iri: str, text: str) -> None:
    import pyoxigraph as ox

    try:
        ox.NamedNode(iri)
    except ValueError:
        raise DescribeError(f"describe: {text[:120]!r} is not a valid IRI or ID; give a short id like "
                            "nccn-2025/rec-t1, rnet:Term or <https://...>") from None
    if re.search(r"[\s<>\"{}|\\^`]", iri):
        raise DescribeError(f"describe: {text[:120]!r} is not a valid IRI or ID; give a short id like "
                            "nccn-2025/rec-t1, rnet:Term or <https://...>")


# ---------------------------------------------------------------- querying

def _rows(engine, iri: str) -> list[dict[str, Any]]:
    import pyoxigraph as ox

    q = queries.get("describe")
    return engine.select(queries.with_params(q, {"node": ox.NamedNode(iri)}))


def _label_of(prop: str, label: str | None) -> str:
    if label:
        return label
    c = curie(prop)
    return c.split(":", 1)[1] if ":" in c and not c.startswith("http") else c


def _order(s: Statement) -> tuple:
    rank = FIRST.index(s.property) if s.property in FIRST else len(FIRST)
    return (rank, s.property_label.lower(), s.property, str(s.value_label or s.value).lower(), str(s.value))


def _build(node_id: str, iri: str, rows: list[dict[str, Any]]) -> Description:
    about = [r for r in rows if r["section"] == ABOUT]
    parts: dict[tuple[str, Any], list[Statement]] = {}
    for r in rows:
        if r["section"] == PART:
            parts.setdefault((r["via"], r["subject"]), []).append(
                Statement(r["property"], _label_of(r["property"], r["propertyLabel"]), r["value"],
                          r["valueKind"], r["valueLabel"]))
    statements = []
    for r in about:
        s = Statement(r["property"], _label_of(r["property"], r["propertyLabel"]), r["value"], r["valueKind"],
                      r["valueLabel"])
        if s.kind != "literal":
            s.parts = sorted(parts.get((r["property"], r["value"]), []), key=_order)
            if s.kind == "blank":
                s.value = None  # a blank node's id means nothing outside one answer
        statements.append(s)
    statements.sort(key=_order)
    references = sorted((Reference(r["subject"] if r["subjectKind"] != "blank" else None, r["subjectLabel"],
                                   r["property"], _label_of(r["property"], r["propertyLabel"]))
                         for r in rows if r["section"] == REFERENCED_BY),
                        key=lambda x: (x.property_label.lower(), (x.subject_label or "").lower(), x.subject or ""))
    instances = next((int(r["value"]) for r in rows if r["section"] == INSTANCES), None)
    labels = [s.value for s in statements if s.property == RDFS + "label"]
    definitions = [s.value for s in statements if s.property == SKOS + "definition"]
    types = [{"iri": s.value, "label": s.value_label} for s in statements if s.property == RDF + "type"]
    return Description(id=short_id(iri), iri=iri, label=labels[0] if labels else None, types=types,
                       definition=definitions[0] if definitions else None, statements=statements,
                       referenced_by=references, instances=instances)


def describe(node_id: str, engine=None) -> Description:
    """Everything the graph says about the node an ID names (DescribeError: unknown or invalid ID)."""
    from .engine import StoreEngine

    engine = engine or StoreEngine()
    tried = candidates(node_id)
    for iri in tried:
        rows = _rows(engine, iri)
        if rows:
            return _build(node_id, iri, rows)
    raise DescribeError(_unknown_message(node_id, tried, engine))


def _unknown_message(node_id: str, tried: list[str], engine) -> str:
    import difflib

    index = [r["node"] for r in engine.select(queries.get("labelled-nodes").text)]
    ids = [short_id(n) for n in index]
    typed = node_id.strip().strip("<>")
    if typed.startswith(KG):
        typed = typed[len(KG):]
    close = difflib.get_close_matches(typed, ids, n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(close)}?" if close else \
        "`rnetkg query labelled-nodes` lists the IDs with their labels"
    msg = f"describe: no node {node_id.strip()!r} in the graph (looked for <{tried[0]}>); {hint}"
    return msg if len(msg) <= MAX_MESSAGE else msg[: MAX_MESSAGE - 1] + "…"


# ---------------------------------------------------------------- output

def _show(value: Any, kind: str, label: str | None) -> str:
    if kind == "blank":
        return "(anonymous)"
    if kind == "iri":
        name = curie(value)
        return f"{label}  [{name}]" if label else name
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def to_table(d: Description) -> str:
    """The description for a person: the node's statements, each part indented under its statement."""
    lines = [f"{d.id}" + (f"  {d.label}" if d.label else ""), f"  IRI  <{d.iri}>"]
    width = max([len(s.property_label) for s in d.statements] + [len(p.property_label) for s in d.statements
                                                                    for p in s.parts] + [4])
    width = min(width, 32)
    for s in d.statements:
        if s.property == RDFS + "label" and s.value == d.label:
            continue
        lines.append(f"  {s.property_label:<{width}}  {_show(s.value, s.kind, s.value_label)}")
        for p in s.parts:
            if p.property == RDFS + "label" and p.value == s.value_label:
                continue
            lines.append(f"      {p.property_label:<{width}}  {_show(p.value, p.kind, p.value_label)}")
    if d.instances is not None:
        lines.append(f"  {'instances':<{width}}  {d.instances}")
    if d.referenced_by:
        lines.append("referenced by (the property, then the node that states it)")
        for r in d.referenced_by:
            who = "(anonymous)" if r.subject is None else (
                f"{r.subject_label}  [{curie(r.subject)}]" if r.subject_label else curie(r.subject))
            lines.append(f"  {r.property_label:<{width}}  {who}")
    return "\n".join(lines)


def to_json(d: Description) -> str:
    return json.dumps(asdict(d), ensure_ascii=False, indent=2)
