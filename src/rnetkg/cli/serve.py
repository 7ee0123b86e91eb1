"""`rnetkg serve`: the graph read-only behind one address (rnetkg.serve), or `--dump` the expanded graph."""

from __future__ import annotations

import logging
from pathlib import Path

from ..errors import EXIT_OK, printable


def register(sub) -> None:
    s = sub.add_parser("serve", help="serve the graph read-only: SPARQL endpoint and query UI behind one address")
    s.add_argument("--bind", default="127.0.0.1:7878", metavar="HOST:PORT")
    s.add_argument("--query-timeout", type=float, default=10.0, metavar="S", help="time limit of one query (10)")
    s.add_argument("--memory-limit", type=int, default=2048, metavar="MIB",
                   help="address-space limit of the Oxigraph server process (2048)")
    s.add_argument("--public-url", metavar="URL",
                   help="the address clients reach the server by (http:// or https://, no query or fragment), "
                   "the base of every link it writes (CDS card links, redirects); default: the bind address")
    s.add_argument("--feedback-db", metavar="FILE", help="the SQLite store of CDS Hooks card feedback (a regular "
                   "file, never a symbolic link; default rnetkg-feedback.sqlite in the working folder)")
    s.add_argument("--dump", metavar="FILE.nt|FILE.ttl", help="write ontology + kg + derived referral "
                   "recommendations to one file (default graph), to load into another triple store, and exit")
    s.set_defaults(func=run)


def run(args) -> int:
    from .. import serve

    if args.dump:
        out = serve.dump(Path(args.dump))
        print(printable(f"wrote {out}"))
        return EXIT_OK
    events = logging.StreamHandler()  # the rnetkg.serve logger only (not httpx's per-request lines)
    events.setFormatter(logging.Formatter("rnetkg: serve: %(message)s"))
    logging.getLogger("rnetkg.serve").addHandler(events)
    logging.getLogger("rnetkg.serve").setLevel(logging.INFO)
    if args.public_url is not None:
        serve.parse_public_url(args.public_url)  # refused in one line before anything starts
    return serve.run(args.bind, query_timeout=args.query_timeout, memory_limit_mb=args.memory_limit,
                     public_url=args.public_url, feedback_db=args.feedback_db, on_ready=lambda handle: print(serve.banner(handle), flush=True))
