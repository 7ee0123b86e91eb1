"""python -m rnetkg.serve [--bind HOST:PORT] [--dump FILE.nt|FILE.ttl]: a thin command line."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from . import DEFAULT_BIND, ServeError, banner, dump, run


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m rnetkg.serve",
                                description="Serve the graph read-only, or dump the expanded graph to load "
                                "into another triple store.")
    p.add_argument("--bind", default=DEFAULT_BIND, metavar="HOST:PORT")
    p.add_argument("--dump", metavar="FILE.nt|FILE.ttl", help="write ontology + kg + derived referral "
                   "recommendations to one file (default graph) and exit")
    args = p.parse_args(argv)
    try:
        if args.dump:
            out = dump(Path(args.dump))
            print(f"wrote {out}")
            return 0
        events = logging.StreamHandler()  # the rnetkg.serve logger only (not httpx's per-request lines)
        events.setFormatter(logging.Formatter("rnetkg: serve: %(message)s"))
        logging.getLogger("rnetkg.serve").addHandler(events)
        logging.getLogger("rnetkg.serve").setLevel(logging.INFO)
        return run(args.bind, on_ready=lambda h: print(banner(h), flush=True))
    except ServeError as e:
        print(f"rnetkg: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
