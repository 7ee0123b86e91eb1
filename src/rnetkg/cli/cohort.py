"""`rnetkg cohort generate`: a synthetic cohort that hits every boundary value in the graph."""

from __future__ import annotations

from pathlib import Path

from ..errors import EXIT_OK, UsageError


def register(sub) -> None:
    from .common import Parser

    co = sub.add_parser("cohort", help="cohort tools")
    cosub = co.add_subparsers(dest="cohort_command", metavar="COMMAND", parser_class=Parser)
    g = cosub.add_parser("generate", help="write a synthetic cohort that hits every boundary value in the graph")
    g.add_argument("--n", type=int, required=True)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--out", required=True, metavar="FILE.csv")
    g.set_defaults(func=run_generate)


def run_generate(args) -> int:
    from ..cohort import generate

    if args.n < 1:
        raise UsageError("cohort generate: --n must be a positive whole number")
    if args.seed < 0:
        raise UsageError(f"cohort generate: --seed must be a whole number >= 0, got {args.seed}")
    n = generate(args.n, args.seed, Path(args.out))
    print(f"wrote {n} profiles to {args.out}")
    return EXIT_OK
