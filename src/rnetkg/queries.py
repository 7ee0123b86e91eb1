"""The query library: every .rq file in queries/, with its header, run on any engine.

Profile queries contain a VALUES block whose rows stand between the comment lines
"# <profiles>" and "# </profiles>". rnetkg replaces those rows with the profiles to evaluate,
each value written as an RDF term (an IRI, a typed literal or UNDEF): profile text is never
pasted into a query. Catalogue parameters (?_name) are bound the same way, in the query's one
VALUES block of ?_ variables (`VALUES (?_guideline) { (UNDEF) }`): each value becomes an RDF
term object (pyoxigraph validates IRIs and escapes literals) and UNDEF stands for "not given".
The same text then runs on pyoxigraph, rdflib and any SPARQL 1.1 endpoint. (pyoxigraph's own
`substitutions` only bind projected variables, and rdflib's `initBindings` do not reach into
sub-selects, so neither can serve.)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import pyoxigraph as ox

from . import paths
from .errors import QueryError
from .fields import CRITERIA_FIELDS, DECISION_POINT_IRI, FIELDS, Field
from .namespaces import CASE, XSD

PARAM_BLOCK = re.compile(r"VALUES\s*\((?P<vars>(?:\s*\?_\w+)+)\s*\)\s*\{\s*\((?P<cells>[^()]*)\)\s*\}")
PROFILE_BLOCK = re.compile(r"(?P<indent>[ \t]*)# <profiles>\n.*?\n[ \t]*# </profiles>", re.S)


@dataclass(frozen=True)
class Query:
    name: str
    path: Path
    text: str
    summary: str = ""
    description: str = ""
    params: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    header: dict[str, str] = field(default_factory=dict)

    @property
    def takes_profiles(self) -> bool:
        return PROFILE_BLOCK.search(self.text) is not None

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


@lru_cache(maxsize=None)
def catalogue() -> dict[str, Query]:
    """Every query by its file stem (qc checks as qc/<stem>)."""
    out: dict[str, Query] = {}
    root = paths.query_dir()
    for path in sorted(root.rglob("*.rq")):
        text = path.read_text(encoding="utf-8")
        h = _parse_header(text)
        name = path.stem if path.parent == root else f"{path.parent.name}/{path.stem}"
        out[name] = Query(name=name, path=path, text=text, summary=h.get("summary", ""),
                          description=h.get("description", ""), params=_params(h.get("params", "")),
                          tags=tuple(t.strip() for t in h.get("tags", "").split(",") if t.strip()),
                          header=h)
    return out


def get(name: str) -> Query:
    try:
        return catalogue()[name]
    except KeyError:
        raise QueryError(f"query: no query named {name!r}; run `rnetkg queries` for the list") from None


# ---------------------------------------------------------------- RDF terms for profile rows

def number_term(value: float) -> str:
    """A profile number as an xsd:double literal (its shortest round-trip spelling): every engine
    compares it with the graph's decimal bounds by numeric promotion, exactly as Python compares the
    float with the bound; an xsd:decimal would not hold 1e21 or 1e-19 on every engine."""
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    return f'"{value!r}"^^<{XSD}double>'


def _iri(iri: str) -> str:
    return f"<{iri}>"


def case_iri(index: int) -> str:
    return f"{CASE}{index}"


def _cell(f: Field, value: Any) -> str:
    if value is None:
        return "UNDEF"
    if f.kind == "number":
        return number_term(value)
    if f.kind == "boolean":
        return "true" if value else "false"
    return _iri(f.iri(value))


def profile_row(index: int, p) -> str:
    """One VALUES row for a validated profile (rnetkg.profile.Profile), in the order of
    fields.ROW_VARIABLES; unknown fields are UNDEF."""
    values = p.criteria_values()
    cells = [_iri(case_iri(index)), *(_cell(FIELDS[n], values[n]) for n in CRITERIA_FIELDS),
             _iri(DECISION_POINT_IRI[p.decision_point])]
    return "(" + " ".join(cells) + ")"


def with_profiles(query: Query | str, profiles: Sequence) -> str:
    """The query text with its profile rows replaced by the given profiles (case IRIs by index)."""
    text = query.text if isinstance(query, Query) else query
    rows = [profile_row(i, p) for i, p in enumerate(profiles)]

    def repl(m: re.Match) -> str:
        ind = m.group("indent")
        body = "\n".join(ind + r for r in rows)
        return f"{ind}# <profiles>\n{body}\n{ind}# </profiles>"
    out, n = PROFILE_BLOCK.subn(repl, text)
    if n == 0:
        raise QueryError("query does not take profiles")
    return out


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


def bind_params(query: Query, params: dict[str, str]) -> dict[str, ox.NamedNode | ox.Literal]:
    """Parameter values (--param KEY=VALUE) as RDF terms; unknown keys are refused."""
    bound = {}
    for key, value in params.items():
        if key not in query.params:
            allowed = ", ".join(query.params) if query.params else "none"
            raise QueryError(f"--param {key}: query {query.name} takes no such parameter (it takes: {allowed})")
        try:
            bound[key] = parse_term(value)
        except (ValueError, SyntaxError) as e:
            raise QueryError(f"--param {key}: {value!r} is not a valid RDF term ({e})") from None
    return bound


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

