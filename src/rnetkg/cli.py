"""The `rnetkg` command: a thin layer that parses arguments and calls the library.

Exit codes: 0 success; 1 findings at error level (check) or a negative answer; 2 bad input or
usage (one line on stderr naming the field and what is allowed, never a traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

EPILOG = """exit codes: 0 success, 1 findings at error level, 2 bad input or usage.
Guideline keys: ENETS-2023 NCCN-2025 PNNT-2022 JNETS-2019 CNETS CSCO-2022 ASCO-2023 NICE-2024."""


class UsageError(Exception):
    """Bad input or usage: reported as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, like every other usage error
        raise UsageError(f"{self.prog}: {message}")


def _engine(args):
    from .engine import EndpointEngine, StoreEngine

    if getattr(args, "endpoint", None):
        return EndpointEngine(args.endpoint, timeout=args.timeout)
    return StoreEngine()


def _read_profile(path: str):
    from .profile import ProfileError, parse_profile

    p = Path(path)
    if not p.is_file():
        raise UsageError(f"compare: profile file {path!r} not found")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise UsageError(f"compare: {path} is not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    except UnicodeDecodeError:
        raise UsageError(f"compare: {path} is not UTF-8 text") from None
    try:
        return parse_profile(data, default_id=p.stem)
    except ProfileError as e:
        raise UsageError(f"compare: invalid profile {path}: {e}") from None


def cmd_compare(args) -> int:
    from . import render

    if args.cohort:
        if args.profile:
            raise UsageError("compare: give either PROFILE.json or --cohort FILE, not both")
        if not args.out:
            raise UsageError("compare: --cohort needs --out OUT.csv")
        from . import cohort

        summary = cohort.run_cohort(Path(args.cohort), Path(args.out), engine_name=args.cohort_engine,
                                    endpoint=args.endpoint, timeout=args.timeout,
                                    progress=sys.stderr.isatty() and not args.quiet)
        print(cohort.format_summary(summary))
        return EXIT_OK
    if not args.profile:
        raise UsageError("compare: give PROFILE.json or --cohort FILE.csv|FILE.jsonl --out OUT.csv")
    profile = _read_profile(args.profile)
    from .compare import compare

    answer = compare(profile, _engine(args))
    if args.reasoner:
        from . import reasoner

        print(reasoner.side_by_side(profile, answer))
        return EXIT_OK
    if args.format == "json":
        print(render.to_json(answer))
    elif args.format == "csv":
        sys.stdout.write(render.answer_csv(answer))
    else:
        print(render.answer_table(answer))
    return EXIT_OK


def _parse_params(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items or []:
        if "=" not in item:
            raise UsageError(f"query: --param {item!r} must be KEY=VALUE")
        k, v = item.split("=", 1)
        out[k.strip().lstrip("?").lstrip("_")] = v
    return out


def cmd_query(args) -> int:
    from . import queries, render

    q = queries.get(args.name)
    if q.takes_profiles:
        raise UsageError(f"query: {q.name} evaluates case profiles; use `rnetkg compare` "
                         "(or run the file with your own rows between # <profiles> and # </profiles>)")
    bindings = queries.bind_params(q, _parse_params(args.param))
    if q.text.lstrip().upper().startswith("CONSTRUCT") or "\nCONSTRUCT" in q.text:
        raise UsageError(f"query: {q.name} is a CONSTRUCT run at load time, not a SELECT")
    rows = _engine(args).select(queries.with_params(q, bindings))
    columns = list(rows[0].keys()) if rows else _select_vars(q.text)
    table = [[r.get(c) for c in columns] for r in rows]
    fmt = {"table": render.rows_table, "csv": render.rows_csv, "json": render.rows_json}[args.format]
    out = fmt(columns, table)
    sys.stdout.write(out if out.endswith("\n") else out + "\n")
    return EXIT_OK


def _select_vars(text: str) -> list[str]:
    import re

    m = re.search(r"^SELECT\s+(?:DISTINCT\s+)?(.*?)\s*$", text, re.M)
    return re.findall(r"\?(\w+)(?=\s|$)", m.group(1)) if m else []


def cmd_queries(args) -> int:
    from . import queries

    cat = queries.catalogue()
    width = max(len(n) for n in cat)
    for name, q in cat.items():
        params = f"  [params: {', '.join(q.params)}]" if q.params else ""
        print(f"{name:<{width}}  {q.summary}{params}")
    return EXIT_OK


def cmd_generate(args) -> int:
    from . import cohort

    if args.n < 1:
        raise UsageError("cohort generate: --n must be a positive whole number")
    n = cohort.generate(args.n, args.seed, Path(args.out))
    print(f"wrote {n} profiles to {args.out}")
    return EXIT_OK


def cmd_check(args) -> int:
    from . import check

    findings, elapsed = check.run_check(seeds=args.seeds, reasoner=args.reasoner)
    print(check.format_findings(findings, args.format, elapsed))
    return EXIT_FINDINGS if any(f.severity == "error" for f in findings) else EXIT_OK


def cmd_serve(args) -> int:
    import logging

    from . import serve

    events = logging.StreamHandler()  # the rnetkg.serve logger only (not httpx's per-request lines)
    events.setFormatter(logging.Formatter("rnetkg: serve: %(message)s"))
    logging.getLogger("rnetkg.serve").addHandler(events)
    logging.getLogger("rnetkg.serve").setLevel(logging.INFO)
    try:
        return serve.run(args.bind, query_timeout=args.query_timeout, memory_limit_mb=args.memory_limit,
                         on_ready=lambda handle: print(serve.banner(handle), flush=True))
    except serve.ServeError as e:
        raise UsageError(f"serve: {e}") from None


def cmd_map(args) -> int:
    from . import diagram

    diagram.draw(Path(args.out), Path(args.data) if args.data else None)
    print(f"wrote {args.out}" + (f" and {args.data}" if args.data else ""))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    p = _Parser(prog="rnetkg", description="Which rNET guidelines disagree for a case profile: a knowledge "
                "graph of ENETS, NCCN, PNNT, JNETS, CNETS, CSCO, ASCO and NICE recommendations.",
                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"rnetkg {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def endpoint_opts(sp):
        sp.add_argument("--endpoint", metavar="URL", help="run the queries on this SPARQL 1.1 endpoint "
                        "instead of the embedded store (profiles travel inside the query as VALUES)")
        sp.add_argument("--timeout", type=float, default=30.0, metavar="S", help="endpoint timeout in seconds (30)")

    c = sub.add_parser("compare", help="what each guideline says for a case profile, and where they disagree",
                       description="Compare the eight guidelines for one profile (JSON, DESIGN.md fields) "
                       "or a cohort (CSV or JSON Lines).", epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("profile", nargs="?", metavar="PROFILE.json")
    c.add_argument("--format", choices=["table", "json", "csv"], default="table")
    c.add_argument("--cohort", metavar="FILE", help="a cohort: FILE.csv (header of profile fields) or FILE.jsonl")
    c.add_argument("--out", metavar="OUT.csv", help="with --cohort: where to write one row per profile")
    c.add_argument("--cohort-engine", choices=["fast", "sparql"], default="fast",
                   help="with --cohort: vectorised evaluation of the criteria (fast, default) or the SPARQL "
                   "queries themselves (sparql); both give the same answers")
    c.add_argument("--reasoner", action="store_true", help="also classify the profile with the OWL reasoner "
                   "and show both answers side by side")
    c.add_argument("--quiet", action="store_true", help="no progress bar")
    endpoint_opts(c)
    c.set_defaults(func=cmd_compare)

    q = sub.add_parser("query", help="run a query of the library by its name",
                       description="Run a query of queries/ by its file stem; `rnetkg queries` lists them.")
    q.add_argument("name")
    q.add_argument("--param", action="append", metavar="KEY=VALUE",
                   help="bind ?_KEY to VALUE (an RDF term: <iri>, rnet:Name, a number, true/false, or text)")
    q.add_argument("--format", choices=["table", "json", "csv"], default="table")
    endpoint_opts(q)
    q.set_defaults(func=cmd_query)

    ql = sub.add_parser("queries", help="list the queries with their summaries")
    ql.set_defaults(func=cmd_queries)

    co = sub.add_parser("cohort", help="cohort tools")
    cosub = co.add_subparsers(dest="cohort_command", metavar="COMMAND", parser_class=_Parser)
    g = cosub.add_parser("generate", help="write a synthetic cohort that hits every boundary value in the graph")
    g.add_argument("--n", type=int, required=True)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--out", required=True, metavar="FILE.csv")
    g.set_defaults(func=cmd_generate)

    ch = sub.add_parser("check", help="SHACL, OWL reasoning and QC checks over the ontology and the graph",
                        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    ch.add_argument("--format", choices=["table", "json"], default="table")
    ch.add_argument("--seeds", metavar="DIR", help="the folder with the seed articles (default ../shared/seeds)")
    ch.add_argument("--reasoner", choices=["hermit", "pellet"], default="pellet")
    ch.set_defaults(func=cmd_check)

    s = sub.add_parser("serve", help="serve the graph read-only with the Oxigraph server and its query UI")
    s.add_argument("--bind", default="127.0.0.1:7878", metavar="HOST:PORT")
    s.add_argument("--query-timeout", type=float, default=10.0, metavar="S", help="time limit of one query (10)")
    s.add_argument("--memory-limit", type=int, default=2048, metavar="MIB",
                   help="address-space limit of the Oxigraph server process (2048)")
    s.set_defaults(func=cmd_serve)

    m = sub.add_parser("map", help="draw where the guidelines part ways across tumour size and risk profile")
    m.add_argument("--out", default="disagreement-map.png", metavar="FILE.png|FILE.svg")
    m.add_argument("--data", metavar="FILE.csv", help="also write the data table behind the map")
    m.set_defaults(func=cmd_map)
    return p


def main(argv: list[str] | None = None) -> int:
    from .engine import EndpointError
    from .queries import QueryError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return EXIT_USAGE
        return args.func(args)
    except UsageError as e:
        print(f"rnetkg: {e}" if not str(e).startswith("rnetkg") else str(e), file=sys.stderr)
        return EXIT_USAGE
    except (QueryError, EndpointError) as e:
        print(f"rnetkg: {e}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        print("rnetkg: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
