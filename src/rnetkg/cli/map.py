"""`rnetkg map`: draw where the guidelines part ways across tumour size and risk profile."""

from __future__ import annotations

from pathlib import Path

from ..errors import EXIT_OK, printable


def register(sub) -> None:
    m = sub.add_parser("map", help="draw where the guidelines part ways across tumour size and risk profile")
    m.add_argument("--out", default="disagreement-map.png", metavar="FILE.png|FILE.svg")
    m.add_argument("--data", metavar="FILE.csv", help="also write the data table behind the map")
    m.add_argument("--profile", metavar="PROFILE.json", help="place one patient on the map: a panel with their "
                   "findings at every size, their size marked (a profile or a FHIR Bundle, as for compare)")
    m.set_defaults(func=run)


def run(args) -> int:
    from ..map import draw

    patient = None
    if args.profile:
        from ..fields import FIELD_NAMES
        from .compare import read_profile

        p = read_profile(args.profile)
        patient = {n: getattr(p, n) for n in FIELD_NAMES if getattr(p, n) is not None}
    draw(Path(args.out), Path(args.data) if args.data else None, patient)
    print(printable(f"wrote {args.out}" + (f" and {args.data}" if args.data else "")))
    return EXIT_OK
