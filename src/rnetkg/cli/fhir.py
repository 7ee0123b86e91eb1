"""`rnetkg fhir export`: the FHIR R4 Bundle of a profile (docs/fhir.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..errors import EXIT_OK, UsageError


def register(sub) -> None:
    from .common import Parser

    f = sub.add_parser("fhir", help="FHIR R4: write the Bundle of a profile")
    fsub = f.add_subparsers(dest="fhir_command", metavar="COMMAND", parser_class=Parser)
    e = fsub.add_parser("export", help="the FHIR R4 Bundle (Observations, Procedure) of a profile JSON")
    e.add_argument("profile", metavar="PROFILE.json")
    e.add_argument("--out", metavar="BUNDLE.json", help="write here (atomically) instead of standard output")
    e.set_defaults(func=run_export)


def run_export(args) -> int:
    from ..fhir import bundle_from_profile
    from ..outputs import write_atomic
    from .compare import read_profile

    read_profile(args.profile)  # one line, exit 2, for a profile that is not valid
    data = json.loads(Path(args.profile).read_text(encoding="utf-8"))
    if "resourceType" in data:
        raise UsageError(f"fhir export: {args.profile} is already FHIR; give a profile JSON")
    text = json.dumps(bundle_from_profile(data), indent=2, ensure_ascii=False) + "\n"
    if args.out:
        write_atomic(Path(args.out), [text], "--out", [Path(args.profile)])
    else:
        sys.stdout.write(text)
    return EXIT_OK
