"""`rnetkg fhir export`: the FHIR R4 Bundle of a profile; `rnetkg fhir recommendations`: the graph's
recommendations as FHIR R4 PlanDefinitions (docs/fhir.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..errors import EXIT_OK, UsageError


def register(sub) -> None:
    from .common import Parser

    f = sub.add_parser("fhir", help="FHIR R4: write the Bundle of a profile, or the recommendations")
    fsub = f.add_subparsers(dest="fhir_command", metavar="COMMAND", parser_class=Parser)
    e = fsub.add_parser("export", help="the FHIR R4 Bundle (the rectal NET Condition, Observations, "
                          "Procedure) of a profile JSON")
    e.add_argument("profile", metavar="PROFILE.json", help="a profile JSON; - reads standard input")
    e.add_argument("--out", metavar="BUNDLE.json", help="write here (atomically) instead of standard output")
    e.set_defaults(func=run_export)
    r = fsub.add_parser("recommendations", help="the recommendations as FHIR R4 PlanDefinitions (a Bundle)")
    r.add_argument("--out", metavar="FILE.json", required=True, help="write here (atomically)")
    r.set_defaults(func=run_recommendations)


def run_recommendations(args) -> int:
    from ..fhir.plan import recommendations_bundle
    from ..outputs import check_output, write_atomic
    from ..report.context import context_for
    from .common import engine_from
    from ..criteria.load import model_for

    check_output(Path(args.out), "--out")
    engine = engine_from(args)
    ctx = context_for(engine)
    # the graph's date: the year of its newest source document (the graph records years, not days)
    years = [s.year for s in ctx.sources if s.year]
    date = str(max(years)) if years else None
    bundle = recommendations_bundle(model_for(engine), ctx.graph_version, date)
    write_atomic(Path(args.out), [json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"], "--out")
    return EXIT_OK


def run_export(args) -> int:
    from ..errors import ProfileError
    from ..fhir import bundle_from_profile
    from ..outputs import check_output, write_atomic
    from ..profile import parse_profile
    from .compare import read_profile_data

    inputs = [] if args.profile == "-" else [Path(args.profile)]
    if args.out:
        check_output(Path(args.out), "--out", inputs)
    data, name = read_profile_data(args.profile)
    if isinstance(data, dict) and "resourceType" in data:
        raise UsageError(f"fhir export: {name} is already FHIR; give a profile JSON")
    try:
        parse_profile(data)
    except ProfileError as e:
        raise UsageError(f"fhir export: invalid profile {name}: {e}") from None
    text = json.dumps(bundle_from_profile(data), indent=2, ensure_ascii=False) + "\n"
    if args.out:
        write_atomic(Path(args.out), [text], "--out", inputs)
    else:
        sys.stdout.write(text)
    return EXIT_OK
