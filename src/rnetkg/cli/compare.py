"""`rnetkg compare`: one profile (table, JSON, CSV; or side by side with the reasoner) or a cohort."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import EXIT_OK, EXIT_USAGE, UsageError, one_line
from .common import EPILOG, endpoint_options, engine_from, read_input


def register(sub) -> None:
    c = sub.add_parser("compare", help="what each guideline says for a case profile, and where they disagree",
                       description="Compare the guidelines for one profile (JSON, DESIGN.md fields) "
                       "or a cohort (CSV or JSON Lines).", epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("profile", nargs="?", metavar="PROFILE.json",
                   help="a profile (DESIGN.md fields) or a FHIR R4 Bundle (detected by resourceType); "
                   "- reads standard input")
    c.add_argument("--format", choices=["table", "json", "csv", "html"], default="table",
                   help="table (default), json, csv (one cohort row) or html (one self-contained page)")
    c.add_argument("--cohort", metavar="FILE", help="a cohort: FILE.csv (header of profile fields), FILE.jsonl, "
                   "or a FHIR bulk-export folder (Observation.ndjson, optionally Procedure.ndjson); "
                   "a rejected row is reported with its line and left out; when every row is rejected, or there "
                   "is none after the header, the command exits 2 and OUT holds the header only (never an earlier "
                   "run's answers); an input that is not a cohort at all (a CSV without a header line, an empty one "
                   "included, or with an unknown column) exits 2 and OUT is not written")
    c.add_argument("--out", metavar="OUT.csv", help="with --cohort: where to write one row per profile")
    c.add_argument("--cohort-engine", choices=["fast", "sparql"], default=None,
                   help="with --cohort: the criteria model read from the graph and evaluated with numpy (fast, "
                   "default), or the queries guideline-status.rq and disagreements.rq themselves (sparql); both "
                   "evaluate one profile of each class of profiles that no criterion can tell apart, and write the "
                   "same file")
    c.add_argument("--reasoner", action="store_true", help="also classify the profile with the OWL reasoner "
                   "and show both answers side by side")
    c.add_argument("--quiet", action="store_true", help="no progress bar")
    c.add_argument("--detail", action="store_true", help="with --format table: every explanation (criteria, risk "
                   "factors, caveats, sources and quotes, readings, typed disagreements); the default is the summary "
                   "view of at most 40 lines")
    c.add_argument("--tolerance", action="append", metavar="FIELD=DELTA",
                   help="mark a nearest change within DELTA of the measured value as near a threshold "
                   "(near_threshold: true); FIELD is size_mm, ki67_percent or mitoses_per_2mm2, DELTA a number >= 0 "
                   "in the field's unit (mm, %%, per 2 mm²); repeatable")
    endpoint_options(c)
    c.set_defaults(func=run)


def read_profile_data(path: str, command: str = "compare") -> tuple[object, str]:
    """The JSON value of a profile file (``-``: standard input) and the name to show for it; errors name
    the command."""
    from ..profile import load_json

    data, name = read_input(path, f"{command}: profile file")
    return load_json(data, f"{command}: {name}"), name


def read_profile(path: str, command: str = "compare"):
    """A profile file (DESIGN.md fields, or a FHIR R4 Bundle) as a validated Profile; notes and
    plausibility warnings on stderr."""
    from ..errors import ProfileError
    from ..profile import parse_profile, plausibility_warnings

    data, name = read_profile_data(path, command)
    if isinstance(data, dict) and "resourceType" in data:
        from ..fhir import read_bundle

        fhir = read_bundle(data)  # a FhirError names the resource and what is wrong
        for note in fhir.assumptions:
            print(one_line(f"rnetkg: note: {note}"), file=sys.stderr)
        data = fhir.profile
    try:
        profile = parse_profile(data, default_id="stdin" if path == "-" else Path(path).stem)
    except ProfileError as e:
        raise UsageError(f"{command}: invalid profile {name}: {e}") from None
    for warning in plausibility_warnings(profile):
        print(one_line(f"rnetkg: warning: {warning}"), file=sys.stderr)
    return profile


def _report_rejected(errors) -> None:
    if errors:
        sys.stderr.writelines(one_line(f"line {line}: {msg}") + "\n" for line, msg in errors)
        sys.stderr.flush()


def run(args) -> int:
    from ..criteria.nearest import parse_tolerance

    tolerance = parse_tolerance(args.tolerance)
    if args.cohort:
        if args.tolerance:
            raise UsageError("compare: --tolerance is for one profile, not --cohort")
        if args.profile:
            raise UsageError("compare: give either PROFILE.json or --cohort FILE, not both")
        if not args.out:
            raise UsageError("compare: --cohort needs --out OUT.csv")
        from .. import render
        from ..cohort import run_cohort
        from .progress import progress_bar

        with progress_bar(not args.quiet) as progress:
            summary = run_cohort(Path(args.cohort), Path(args.out), engine_from(args),
                                 engine_name=args.cohort_engine or "fast", progress=progress,
                                 on_rejected=_report_rejected)
        print(render.format_summary(summary))
        for line, note in summary["notes"]:   # what reading a FHIR export assumed, as for one Bundle
            print(one_line(f"rnetkg: note: line {line}: {note}"), file=sys.stderr)
        if not summary["read"]:
            print(one_line(f"rnetkg: compare: {args.cohort} holds no profile (no row after the header, or no "
                           f"record); {args.out} holds the header only"), file=sys.stderr)
            return EXIT_USAGE
        if summary["rejected"] and not summary["written"]:
            print(one_line(f"rnetkg: compare: every profile of {args.cohort} was rejected; {args.out} holds the "
                           "header only"), file=sys.stderr)
            return EXIT_USAGE
        return EXIT_OK
    if not args.profile:
        raise UsageError("compare: give PROFILE.json or --cohort FILE.csv|FILE.jsonl --out OUT.csv")
    if args.out:
        raise UsageError("compare: --out is for --cohort; one profile's answer goes to standard output "
                         "(`--format json > FILE`)")
    if args.cohort_engine:
        raise UsageError("compare: --cohort-engine is for --cohort; one profile is always answered by the SPARQL "
                         "queries (applicable-recommendations, guideline-status, disagreements)")
    profile = read_profile(args.profile)
    from ..compare import compare_later

    engine = engine_from(args)
    answers = compare_later([profile], engine)   # the profile queries run while the rest is imported
    from .. import render, words
    from ..criteria.nearest import mark_near

    answer = mark_near(answers()[0], tolerance)
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

        from ..fields import FIELD_NAMES
        from ..map import patient_png
        from ..profile import plausibility_warnings

        patient = {n: getattr(profile, n) for n in FIELD_NAMES if getattr(profile, n) is not None}
        sys.stdout.write(render_report(answer, profile, context_for(engine), patient_png(patient),
                                       plausibility_warnings(profile)))
    elif args.format == "csv":
        sys.stdout.write(render.answer_csv(answer))
    elif args.detail:
        print(words.provenance_line(answer))
        print(render.answer_table(answer))
    else:
        print(render.answer_summary(answer, args.profile))
    return EXIT_OK
