"""The query library: every .rq file in queries/, with its header, run on any engine.

Profile queries contain a VALUES block whose rows stand between the comment lines
"# <profiles>" and "# </profiles>". rnetkg replaces those rows with the profiles to evaluate,
each value written as an RDF term (an IRI, a typed literal or UNDEF): profile text is never
pasted into a query. Catalogue parameters (?_name) are bound the same way, in the query's one
VALUES block of ?_ variables (`VALUES (?_guideline) { (UNDEF) }`): each value becomes an RDF
term object (pyoxigraph validates IRIs and escapes literals) and UNDEF stands for "not given".
The `#+ params:` header declares each parameter's type first in its parentheses, e.g.
`?_minSize (number: mm, optional)`: `number` (a numeric literal), `IRI` (a node of the graph),
`text`, or `key of QUERY.COLUMN [if COLUMN=VALUE]` (a value of that column of that query's rows,
e.g. `key of guidelines.guideline`). bind_params checks the form; check_params checks against the
graph that an IRI names a node and a key is one of the listed values.
The same text then runs on pyoxigraph, rdflib and any SPARQL 1.1 endpoint. (pyoxigraph's own
`substitutions` only bind projected variables, and rdflib's `initBindings` do not reach into
sub-selects, so neither can serve.)
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping, Sequence

import pyoxigraph as ox

from . import paths
from .errors import QueryError
from .namespaces import XSD
from .record import record

# the rows of the profile queries (profiles in long form, the rows of the query before) in their own
# module; named here too, where the queries are
from .query_rows import (DECISION_POINT_KEY, answer_rows, case_iri, long_rows, number_term,  # noqa: E402,F401
                         profile_rows, statement_rows, with_profiles, with_rows)

PARAM_BLOCK = re.compile(r"VALUES\s*\((?P<vars>(?:\s*\?_\w+)+)\s*\)\s*\{\s*\((?P<cells>[^()]*)\)\s*\}")
INPUT_BLOCK = re.compile(r"# <(?P<block>profiles|statements|answers)>\n")


@record
class Param:
    """A declared parameter: ``kind`` is number, iri, text, key or any (no type declared); a key's
    values are column ``column`` of query ``source`` (rows where ``where[0]`` equals ``where[1]``)."""

    name: str
    kind: str = "any"
    about: str = ""
    source: str = ""
    column: str = ""
    where: tuple[str, str] | None = None

    @property
    def describe(self) -> str:
        kind = {"iri": "an IRI", "number": "a number", "text": "text", "key": "a key", "any": "an RDF term"}[self.kind]
        return f"{kind} ({self.about})" if self.about else kind


_TYPE = re.compile(r"(?P<kind>number|IRI|text|key of (?P<source>[\w/-]+)\.(?P<column>\w+)"
                   r"(?: if (?P<wcol>\w+)=(?P<wval>[^\s,]+))?)(?::\s+(?P<about>[^,]*))?$")


def _param_types(spec: str) -> tuple[Param, ...]:
    """The parameters of a `#+ params:` header with their declared types."""
    out = []
    for m in re.finditer(r"\?_(\w+)\s*(?:\(([^)]*)\))?", spec):
        first = (m.group(2) or "").split(",")[0].strip()
        t = _TYPE.match(first)
        if t is None:
            out.append(Param(m.group(1), about=first))
            continue
        kind = t.group("kind").split()[0].lower()
        where = (t.group("wcol"), t.group("wval")) if t.group("wcol") else None
        out.append(Param(m.group(1), kind, (t.group("about") or "").strip(), t.group("source") or "",
                         t.group("column") or "", where))
    return tuple(out)


@record
class Query:
    name: str
    path: Path
    text: str
    summary: str = ""
    description: str = ""
    params: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    header: Mapping[str, str] = MappingProxyType({})
    param_types: tuple[Param, ...] = ()

    def param(self, name: str) -> Param:
        return next((p for p in self.param_types if p.name == name), Param(name))

    @property
    def input_block(self) -> str | None:
        """The rows the query takes: profiles (long form), statements (applicable-recommendations'
        rows) or answers (guideline-status' rows); None for a catalogue query."""
        m = INPUT_BLOCK.search(self.text)
        return m.group("block") if m else None

    @property
    def takes_profiles(self) -> bool:
        """A profile query: it takes profiles, directly or as the rows of the queries before it."""
        return self.input_block is not None

    @property
    def is_qc(self) -> bool:
        return self.path.parent.name == "qc"


def _parse_header(text: str) -> dict[str, str]:
    header: dict[str, str] = {}
    key = None
    for line in text.splitlines():
        if not line.startswith("#+"):
            if header:
                break
            continue
        body = line[2:]
        m = re.match(r"\s*([a-z_]+):\s?(.*)$", body)
        if m and not body.startswith("   "):
            key = m.group(1)
            header[key] = m.group(2).strip()
        elif key:
            header[key] = (header[key] + " " + body.strip()).strip()
    return header


def _params(spec: str) -> tuple[str, ...]:
    return tuple(re.findall(r"\?_(\w+)", spec))


def _read(root: Path, path: Path) -> Query:
    text = path.read_text(encoding="utf-8")
    h = _parse_header(text)
    name = path.stem if path.parent == root else f"{path.parent.name}/{path.stem}"
    return Query(name=name, path=path, text=text, summary=h.get("summary", ""),
                 description=h.get("description", ""), params=_params(h.get("params", "")),
                 tags=tuple(t.strip() for t in h.get("tags", "").split(",") if t.strip()),
                 header=h, param_types=_param_types(h.get("params", "")))


@lru_cache(maxsize=None)
def catalogue() -> dict[str, Query]:
    """Every query by its file stem (qc checks as qc/<stem>)."""
    root = paths.query_dir()
    out = {q.name: q for q in (_read(root, path) for path in sorted(root.rglob("*.rq")))}
    _ONE.update(out)
    return out


_ONE: dict[str, Query] = {}   # the queries read one by one (``get``) or with the catalogue


# the three profile queries, each taking the rows of the one before it (rnetkg.compare)
PROFILE_QUERIES = ("applicable-recommendations", "guideline-status", "disagreements")


def get(name: str) -> Query:
    """The query of this name: its one file (a command that runs three queries reads three files, not
    the catalogue's every header)."""
    found = _ONE.get(name)
    if found is not None:
        return found
    root = paths.query_dir()
    parts = name.split("/")
    if (len(parts) == 1 or (len(parts) == 2 and parts[0] == "qc")) and all(
            p and p not in (".", "..") and p.replace("-", "").replace("_", "").isalnum() for p in parts):
        path = root.joinpath(*parts[:-1], parts[-1] + ".rq")
        if path.is_file():
            found = _ONE[name] = _read(root, path)
            return found
    try:
        return catalogue()[name]
    except KeyError:
        raise QueryError(f"query: no query named {name!r}; run `rnetkg queries` for the list") from None


# ---------------------------------------------------------------- parameters and running

def parse_term(value: str) -> ox.NamedNode | ox.Literal:
    """A --param value as an RDF term: <iri>, prefix:local for rnet:/kg:, a number, true/false, or a string."""
    from .namespaces import PREFIXES

    if value.startswith("<") and value.endswith(">"):
        return ox.NamedNode(value[1:-1])
    m = re.fullmatch(r"([a-z]+):([A-Za-z0-9_\-./]+)", value)
    if m and m.group(1) in PREFIXES:
        return ox.NamedNode(PREFIXES[m.group(1)] + m.group(2))
    if re.fullmatch(r"-?\d+(\.\d+)?", value):
        return ox.Literal(value, datatype=ox.NamedNode(XSD + ("decimal" if "." in value else "integer")))
    if value in ("true", "false"):
        return ox.Literal(value, datatype=ox.NamedNode(XSD + "boolean"))
    return ox.Literal(value)


_SHORT_ID = re.compile(r"[a-z0-9][a-z0-9\-.]*/[A-Za-z0-9_\-./]+")


def _node(value: str) -> ox.NamedNode | None:
    """An IRI written without angle brackets (https://...) or a short id of the instance data
    (nccn-2025/rec-t1, as `rnetkg describe` takes it); None for anything else."""
    from .namespaces import KG

    v = value.strip()
    if re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", v):
        return ox.NamedNode(v)
    if _SHORT_ID.fullmatch(v) and ".." not in v:
        return ox.NamedNode(KG + v)
    return None


_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _typed_term(p: Param, value: str) -> ox.NamedNode | ox.Literal:
    if p.kind == "number":
        if not _NUMBER.fullmatch(value.strip()) or not math.isfinite(float(value)):
            raise QueryError(f"--param {p.name} {value!r}: must be a number ({p.about or 'e.g. 10 or 12.5'})")
        v = value.strip()
        kind = "double" if "e" in v.lower() else ("decimal" if "." in v else "integer")
        return ox.Literal(v, datatype=ox.NamedNode(XSD + kind))
    if p.kind == "iri":
        term = parse_term(value)
        if not isinstance(term, ox.NamedNode):
            term = _node(value)
        if term is None:
            raise QueryError(f"--param {p.name} {value!r}: must be an IRI, <https://...>, rnet:Name or a short id "
                             f"like nccn-2025/rec-t1 ({p.about or 'a node of the graph'})")
        return term
    if p.kind in ("key", "text"):
        return ox.Literal(value)
    return parse_term(value)


def bind_params(query: Query, params: dict[str, str]) -> dict[str, ox.NamedNode | ox.Literal]:
    """Parameter values (--param KEY=VALUE) as RDF terms of their declared types; unknown keys and
    values of the wrong form are refused (QueryError, one line)."""
    bound = {}
    for key, value in params.items():
        if key not in query.params:
            allowed = ", ".join(query.params) if query.params else "none"
            raise QueryError(f"--param {key}: query {query.name} takes no such parameter (it takes: {allowed})")
        try:
            bound[key] = _typed_term(query.param(key), value)
        except (ValueError, SyntaxError) as e:
            if isinstance(e, QueryError):
                raise
            raise QueryError(f"--param {key}: {value!r} is not a valid RDF term ({e})") from None
    return bound


def check_params(query: Query, bound: dict[str, ox.NamedNode | ox.Literal], engine) -> None:
    """The bound values checked against the graph on ``engine``: an IRI parameter must name a node
    (the describe query finds it), a key must be one of its listed values. QueryError names the
    closest names."""
    import difflib

    from .namespaces import PREFIXES, short_iri

    for name, term in bound.items():
        p = query.param(name)
        if p.kind == "iri" and isinstance(term, ox.NamedNode):
            if engine.select(with_params(get("describe"), {"node": term})):
                continue
            nodes = [short_iri(r["node"]) for r in engine.select(get("labelled-nodes").text)]
            close = difflib.get_close_matches(short_iri(term.value), nodes, n=3, cutoff=0.6)
            hint = f"closest: {', '.join(close)}" if close else "`rnetkg query labelled-nodes` lists the nodes"
            raise QueryError(f"--param {name} <{term.value}>: names nothing in the graph; {hint}")
        if p.kind == "key" and isinstance(term, ox.Literal):
            wcol, wval = p.where or ("", "")
            if ":" in wval and wval.split(":", 1)[0] in PREFIXES:
                wval = PREFIXES[wval.split(":", 1)[0]] + wval.split(":", 1)[1]
            keys = list(dict.fromkeys(str(r.get(p.column)) for r in engine.select(get(p.source).text)
                                      if not wcol or r.get(wcol) == wval))
            if term.value in keys:
                continue
            listed = ", ".join(keys)
            if len(listed) <= 120:
                raise QueryError(f"--param {name} {term.value!r}: must be one of {listed}")
            close = difflib.get_close_matches(term.value, keys, n=3, cutoff=0.5) or keys[:3]
            raise QueryError(f"--param {name} {term.value!r}: not one of the {len(keys)} values that "
                             f"`rnetkg query {p.source}` lists; closest: {', '.join(close)}")


def with_params(query: Query | str, bound: dict[str, ox.NamedNode | ox.Literal]) -> str:
    """The query text with its ?_ parameter VALUES row set to the given terms (UNDEF for the rest)."""
    text = query.text if isinstance(query, Query) else query
    m = PARAM_BLOCK.search(text)
    if m is None:
        if bound:
            raise QueryError("query takes no parameters")
        return text
    names = re.findall(r"\?_(\w+)", m.group("vars"))
    cells = " ".join(str(bound[n]) if n in bound else "UNDEF" for n in names)
    row = "VALUES (" + " ".join(f"?_{n}" for n in names) + ") { (" + cells + ") }"
    return text[: m.start()] + row + text[m.end():]


def term_value(term: Any) -> Any:
    """A plain Python value for a result term (pyoxigraph or rdflib); None when unbound."""
    if term is None:
        return None
    if isinstance(term, (ox.NamedNode, ox.BlankNode)):
        return term.value
    if isinstance(term, ox.Literal):
        dt = term.datatype.value if term.datatype else ""
        if dt.endswith(("#integer", "#int", "#long")):
            return int(term.value)
        if dt.endswith(("#decimal", "#double", "#float")):
            return float(term.value)
        if dt.endswith("#boolean"):
            return term.value == "true"
        return term.value
    from decimal import Decimal

    import rdflib  # only reached when an rdflib result is converted

    if isinstance(term, rdflib.URIRef):
        return str(term)
    if isinstance(term, rdflib.Literal):
        v = term.toPython()
        if isinstance(v, Decimal):
            return float(v)
        return v if isinstance(v, (int, float, bool)) else str(term)
    return str(term)


def run_store(store: ox.Store, text: str) -> list[dict[str, Any]]:
    """Run a SELECT on pyoxigraph; rows as dicts of plain values."""
    result = store.query(text)
    names = [v.value for v in result.variables]
    return [{n: term_value(sol[n]) for n in names} for sol in result]


RDFLIB_RECURSION_LIMIT = 20_000


def run_rdflib(graph, text: str) -> list[dict[str, Any]]:
    """Run a SELECT on rdflib's own engine; rows as dicts of plain values.

    rdflib parses SPARQL with pyparsing, recursively; a long VALUES block (many profiles) goes deep,
    and deeper still once another library has switched on pyparsing's packrat cache for the whole
    process (matplotlib's mathtext does). The recursion limit is raised for the call."""
    import sys

    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, RDFLIB_RECURSION_LIMIT))
    try:
        res = graph.query(text)
        names = [str(v) for v in res.vars]
        return [{n: term_value(row[n]) for n in names} for row in res]
    finally:
        sys.setrecursionlimit(old)

