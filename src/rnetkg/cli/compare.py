"""`rnetkg compare`: one profile (table, JSON, CSV; or side by side with the reasoner) or a cohort."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import EXIT_OK, UsageError
from .common import EPILOG, endpoint_options, engine_from
from .progress import progress_bar


def register(sub) -> None:
    c = sub.add_parser("compare", help="what each guideline says for a case profile, and where they disagree",
                       description="Compare the guidelines for one profile (JSON, DESIGN.md fields) "
                       "or a cohort (CSV or JSON Lines).", epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("profile", nargs="?", metavar="PROFILE.json",
                   help="a profile (DESIGN.md fields) or a FHIR R4 Bundle (detected by resourceType)")
    c.add_argument("--format", choices=["table", "json", "csv", "html"], default="table",
                   help="table (default), json, csv (one cohort row) or html (one self-contained page)")
    c.add_argument("--cohort", metavar="FILE", help="a cohort: FILE.csv (header of profile fields), FILE.jsonl, "
                   "or a FHIR bulk-export folder (Observation.ndjson, optionally Procedure.ndjson)")
    c.add_argument("--out", metavar="OUT.csv", help="with --cohort: where to write one row per profile")
    c.add_argument("--cohort-engine", choices=["fast", "sparql"], default="fast",
                   help="with --cohort: vectorised evaluation of the criteria (fast, default) or the SPARQL "
                   "queries themselves (sparql); both give the same answers")
    c.add_argument("--reasoner", action="store_true", help="also classify the profile with the OWL reasoner "
                   "and show both answers side by side")
    c.add_argument("--quiet", action="store_true", help="no progress bar")
    endpoint_options(c)
    c.set_defaults(func=run)


def read_profile(path: str):
    from ..errors import ProfileError
    from ..profile import parse_profile

    p = Path(path)
    if not p.is_file():
        raise UsageError(f"compare: profile file {path!r} not found")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise UsageError(f"compare: {path} is not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    except UnicodeDecodeError:
        raise UsageError(f"compare: {path} is not UTF-8 text") from None
    if isinstance(data, dict) and "resourceType" in data:
        from ..fhir import read_bundle

        fhir = read_bundle(data)  # a FhirError names the resource and what is wrong
        for note in fhir.assumptions:
            print(f"rnetkg: note: {note}", file=sys.stderr)
        data = fhir.profile
    try:
        return parse_profile(data, default_id=p.stem)
    except ProfileError as e:
        raise UsageError(f"compare: invalid profile {path}: {e}") from None


def _report_rejected(errors) -> None:
    if errors:
        sys.stderr.write("".join(f"line {line}: {msg}\n" for line, msg in errors))
        sys.stderr.flush()


def run(args) -> int:
    from .. import render

    if args.cohort:
        if args.profile:
            raise UsageError("compare: give either PROFILE.json or --cohort FILE, not both")
        if not args.out:
            raise UsageError("compare: --cohort needs --out OUT.csv")
        from ..cohort import run_cohort

        with progress_bar(not args.quiet) as progress:
            summary = run_cohort(Path(args.cohort), Path(args.out), engine_from(args),
                                 engine_name=args.cohort_engine, progress=progress, on_rejected=_report_rejected)
        print(render.format_summary(summary))
        return EXIT_OK
    if not args.profile:
        raise UsageError("compare: give PROFILE.json or --cohort FILE.csv|FILE.jsonl --out OUT.csv")
    profile = read_profile(args.profile)
    from ..compare import compare

    engine = engine_from(args)
    answer = compare(profile, engine)
    if args.reasoner:
        from ..criteria.owl import side_by_side

        rows, seconds = side_by_side(profile, answer)
        print(render.side_by_side_table(profile, answer, rows, seconds, "pellet"))
        return EXIT_OK
    if args.format == "json":
        print(render.to_json(answer))
    elif args.format == "html":
        from ..report import context_for
        from ..report.html import render_report

        sys.stdout.write(render_report(answer, profile, context_for(engine)))
    elif args.format == "csv":
        sys.stdout.write(render.answer_csv(answer))
    else:
        print(render.answer_table(answer))
    return EXIT_OK
