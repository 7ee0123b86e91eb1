"""`rnetkg query NAME` and `rnetkg queries`: the query library by name, parameters bound as RDF terms."""

from __future__ import annotations

import re
import sys

from ..errors import EXIT_OK, UsageError
from .common import endpoint_options, engine_from


def register(sub) -> None:
    q = sub.add_parser("query", help="run a query of the library by its name",
                       description="Run a query of queries/ by its file stem; `rnetkg queries` lists them.")
    q.add_argument("name")
    q.add_argument("--param", action="append", metavar="KEY=VALUE",
                   help="bind ?_KEY to VALUE, as the type the query's header declares: a number, an IRI (<iri> or "
                   "rnet:Name) that names a node of the graph, a key that the graph lists, or text")
    q.add_argument("--profile", action="append", metavar="PROFILE.json",
                   help="for the profile queries (applicable-recommendations, guideline-status, disagreements): "
                   "a profile (DESIGN.md fields, or a FHIR R4 Bundle), validated and derived as `rnetkg compare` "
                   "does, sent as the query's VALUES row; repeat for more (?case is .../case/0, /1 ... in "
                   "this order)")
    q.add_argument("--format", choices=["table", "json", "csv"], default="table")
    endpoint_options(q)
    q.set_defaults(func=run)
    ql = sub.add_parser("queries", help="list the queries with their summaries, or describe one",
                        description="Without NAME: every query of queries/ with its summary. With NAME: what it "
                        "answers, its parameters with their types (all optional; unbound means 'any'), its "
                        "columns and tags.")
    ql.add_argument("name", nargs="?", metavar="NAME")
    ql.set_defaults(func=run_list)


def _parse_params(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items or []:
        if "=" not in item:
            raise UsageError(f"query: --param {item!r} must be KEY=VALUE")
        k, v = item.split("=", 1)
        out[k.strip().lstrip("?").lstrip("_")] = v
    return out


def run(args) -> int:
    from .. import queries, render

    q = queries.get(args.name)
    if q.takes_profiles:
        if not args.profile:
            raise UsageError(f"query: {q.name} evaluates case profiles: give one or more --profile PROFILE.json "
                             "(or run the file with your own rows between # <profiles> and # </profiles>)")
        if args.param:
            raise UsageError(f"query: {q.name} takes no --param; its input is --profile PROFILE.json")
        from ..compare import profile_query_text
        from .compare import read_profile

        engine = engine_from(args)
        text = profile_query_text(q.name, [read_profile(path, "query") for path in args.profile], engine)
    else:
        if args.profile:
            raise UsageError(f"query: --profile is for the queries that evaluate case profiles "
                             f"({', '.join(n for n, c in queries.catalogue().items() if c.takes_profiles)}), "
                             f"not {q.name}")
        bindings = queries.bind_params(q, _parse_params(args.param))
        if q.text.lstrip().upper().startswith("CONSTRUCT") or "\nCONSTRUCT" in q.text:
            raise UsageError(f"query: {q.name} is a CONSTRUCT run at load time, not a SELECT")
        engine = engine_from(args)
        queries.check_params(q, bindings, engine)
        text = queries.with_params(q, bindings)
    rows = engine.select(text)
    columns = list(rows[0].keys()) if rows else _select_vars(q.text)
    table = [[r.get(c) for c in columns] for r in rows]
    fmt = {"table": render.rows_table, "csv": render.rows_csv, "json": render.rows_json}[args.format]
    out = fmt(columns, table)
    sys.stdout.write(out if out.endswith("\n") else out + "\n")
    return EXIT_OK


def _select_vars(text: str) -> list[str]:
    m = re.search(r"^SELECT\s+(?:DISTINCT\s+)?(.*?)\s*$", text, re.M)
    return re.findall(r"\?(\w+)(?=\s|$)", m.group(1)) if m else []


def run_list(args) -> int:
    from .. import queries

    if args.name:
        print(describe_query(queries.get(args.name)))
        return EXIT_OK
    cat = queries.catalogue()
    width = max(len(n) for n in cat)
    for name, q in cat.items():
        params = f"  [params: {', '.join(f'{p.name} ({p.kind})' for p in q.param_types)}]" if q.params else ""
        print(f"{name:<{width}}  {q.summary}{params}")
    return EXIT_OK


def describe_query(q) -> str:
    """One query for a person: summary, description, parameters with types, columns, tags."""
    import textwrap

    lines = [f"{q.name}: {q.summary}", ""]
    lines += textwrap.wrap(q.description, 100) if q.description else []
    lines.append("")
    if q.input_block == "profiles":
        lines.append(f"parameters: profile rows (?case ?field ?value) between # <profiles> and # </profiles>; "
                     f"`rnetkg query {q.name} --profile PROFILE.json` writes them from profile files")
    elif q.takes_profiles:
        lines.append(f"parameters: the rows of the query before it between # <{q.input_block}> and "
                     f"# </{q.input_block}>; `rnetkg query {q.name} --profile PROFILE.json` runs the queries "
                     "before it on profile files and writes them")
    elif q.params:
        lines.append("parameters (each optional: unbound means any; --param KEY=VALUE binds an RDF term):")
        lines += [f"  {p.name:<14} {p.describe}" for p in q.param_types]
    else:
        lines.append("parameters: none")
    columns = _select_vars(q.text)
    if columns:
        lines.append(f"columns: {', '.join(columns)}")
    if q.tags:
        lines.append(f"tags: {', '.join(q.tags)}")
    lines.append(f"file: queries/{q.name}.rq")
    return "\n".join(lines)
