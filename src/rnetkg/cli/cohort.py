"""`rnetkg cohort generate`: a synthetic cohort that hits every boundary value in the graph."""

from __future__ import annotations

from pathlib import Path

from ..errors import EXIT_OK, UsageError, printable

MAX_N = 10_000_000   # about 1.5 GB of memory while generating


def register(sub) -> None:
    from .common import Parser, whole_number

    co = sub.add_parser("cohort", help="cohort tools")
    cosub = co.add_subparsers(dest="cohort_command", metavar="COMMAND", parser_class=Parser)
    g = cosub.add_parser("generate", help="write a synthetic cohort that hits every boundary value in the graph")
    g.add_argument("--n", type=whole_number("--n", 1, MAX_N), required=True, help=f"profiles (1 to {MAX_N:,})")
    g.add_argument("--seed", type=whole_number("--seed", 0, 2**32 - 1), default=0)
    g.add_argument("--out", required=True, metavar="FILE.csv", help="the cohort as CSV (the name must end in .csv)")
    g.set_defaults(func=run_generate)


def run_generate(args) -> int:
    from ..cohort import generate

    from ..outputs import check_output

    check_output(Path(args.out), "--out")   # what any output is checked for first (a folder, a device ...)
    if Path(args.out).suffix.lower() != ".csv":
        raise UsageError(f"cohort generate: --out {args.out}: the cohort is written as CSV; give a name ending in .csv")
    n = generate(args.n, args.seed, Path(args.out))
    print(printable(f"wrote {n} profiles to {args.out}"))
    return EXIT_OK
