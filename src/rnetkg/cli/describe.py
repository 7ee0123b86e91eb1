"""`rnetkg describe ID`: everything the graph says about one node."""

from __future__ import annotations

from ..errors import EXIT_OK
from .common import endpoint_options, engine_from


def register(sub) -> None:
    de = sub.add_parser("describe", help="everything the graph says about one node (recommendation, study, term)")
    de.add_argument("id", metavar="ID", help="a short id (nccn-2025/rec-t1), rnet:Term, kg:..., or <IRI>")
    de.add_argument("--format", choices=["table", "json"], default="table")
    endpoint_options(de)
    de.set_defaults(func=run)


def run(args) -> int:
    from .. import describe

    d = describe.describe(args.id, engine_from(args))
    print(describe.to_json(d) if args.format == "json" else describe.to_table(d))
    return EXIT_OK
