"""`make docs` and `make release`: the command line of rnetkg.release.

    python -m rnetkg.cli.release docs [--out docs/ontology.html] [--data-model docs/data-model.md]
    python -m rnetkg.cli.release release [--out out/release]

Prints the files written; a ReleaseError is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import EXIT_OK, EXIT_USAGE, printable
from ..release import ReleaseError, build_docs, build_release


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m rnetkg.cli.release",
                                description="Build the ontology page or the release files.")
    sub = p.add_subparsers(dest="what", required=True)
    d = sub.add_parser("docs", help="docs/ontology.html (pyLODE) and the generated lists of docs/data-model.md")
    d.add_argument("--out", default="docs/ontology.html", metavar="FILE.html")
    d.add_argument("--data-model", default="docs/data-model.md", metavar="FILE.md")
    r = sub.add_parser("release", help="the ontology as RDF/XML, the whole graph as Turtle and JSON-LD")
    r.add_argument("--out", default="out/release", metavar="DIR")
    args = p.parse_args(argv)
    try:
        if args.what == "docs":
            dm = Path(args.data_model) if args.data_model else None
            if dm is not None and not dm.is_file():
                raise ReleaseError(f"docs: --data-model {args.data_model!r} is not a file")
            written = build_docs(Path(args.out), dm)
        else:
            written = list(build_release(Path(args.out)).values())
    except ReleaseError as e:
        print(f"rnetkg: {e}", file=sys.stderr)
        return EXIT_USAGE
    for f in written:
        print(f"wrote {printable(str(f))} ({f.stat().st_size:,} bytes)")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
