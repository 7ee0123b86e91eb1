"""`rnetkg serve`: the graph read-only behind one address (see rnetkg.serve)."""

from __future__ import annotations


def register(sub) -> None:
    s = sub.add_parser("serve", help="serve the graph read-only with the Oxigraph server and its query UI")
    s.add_argument("--bind", default="127.0.0.1:7878", metavar="HOST:PORT")
    s.set_defaults(func=run)


def run(args) -> int:
    from .. import serve

    return serve.serve(args.bind)
