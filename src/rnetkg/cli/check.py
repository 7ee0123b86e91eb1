"""`rnetkg check`: SHACL, OWL reasoning and QC checks over the ontology and the graph."""

from __future__ import annotations

import argparse

from ..errors import EXIT_FINDINGS, EXIT_OK
from .common import EPILOG


def register(sub) -> None:
    ch = sub.add_parser("check", help="SHACL, OWL reasoning and QC checks over the ontology and the graph",
                        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    ch.add_argument("--format", choices=["table", "json"], default="table")
    ch.add_argument("--seeds", metavar="DIR", help="the folder with the seed articles (default ../shared/seeds)")
    ch.add_argument("--reasoner", choices=["hermit", "pellet"], default="pellet")
    ch.set_defaults(func=run)


def run(args) -> int:
    from .. import render
    from ..check import run_check

    findings, elapsed = run_check(seeds=args.seeds, reasoner=args.reasoner)
    print(render.format_findings(findings, args.format, elapsed))
    return EXIT_FINDINGS if any(f.severity == "error" for f in findings) else EXIT_OK
