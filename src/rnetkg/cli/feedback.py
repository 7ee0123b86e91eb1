"""`rnetkg feedback FILE`: what clinicians accepted and overrode of the CDS cards, by card kind and reason
(the SQLite store of `rnetkg serve --feedback-db`)."""

from __future__ import annotations

from pathlib import Path

from ..errors import EXIT_OK


def register(sub) -> None:
    f = sub.add_parser("feedback", help="the CDS card feedback a server stored: accepted and overridden, "
                       "by card kind and reason")
    f.add_argument("store", metavar="FILE", help="the store of rnetkg serve --feedback-db "
                   "(default there: rnetkg-feedback.sqlite)")
    f.set_defaults(func=run)


def run(args) -> int:
    from ..serve.feedback import OVERRIDE_REASONS, summary

    rows = summary(Path(args.store))
    if not rows:
        print(f"{args.store}: no feedback stored")
        return EXIT_OK
    kinds = sorted({k for k, _, _, _ in rows})
    print(f"{'card kind':<14}{'accepted':>10}{'overridden':>12}")
    for kind in kinds:
        acc = sum(n for k, o, _, n in rows if k == kind and o == "accepted")
        ovr = sum(n for k, o, _, n in rows if k == kind and o == "overridden")
        print(f"{kind:<14}{acc:>10}{ovr:>12}")
    overridden = [(k, r, n) for k, o, r, n in rows if o == "overridden"]
    if overridden:
        print("overridden, by reason:")
        for kind, reason, n in overridden:
            why = f"{reason} ({OVERRIDE_REASONS.get(reason, reason)})" if reason else "no reason given"
            print(f"  {kind:<12} {why}: {n}")
    return EXIT_OK
