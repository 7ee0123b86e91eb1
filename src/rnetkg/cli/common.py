"""What every subcommand of the command line shares: the parser class, the epilog, the engine options."""

from __future__ import annotations

import argparse

from ..errors import UsageError

EPILOG = ("exit codes: 0 success, 1 findings at error level, 2 bad input or usage.\n"
          "The guideline keys and their order come from the graph: `rnetkg query guidelines`.")


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, like every other usage error
        raise UsageError(f"{self.prog}: {message}")


def endpoint_options(sp) -> None:
    sp.add_argument("--endpoint", metavar="URL", help="run the queries on this SPARQL 1.1 endpoint "
                    "instead of the embedded store (profiles travel inside the query as VALUES)")
    sp.add_argument("--timeout", type=float, default=30.0, metavar="S", help="endpoint timeout in seconds (30)")


def engine_from(args):
    """The engine the options name: an endpoint, or the embedded store."""
    from ..endpoint import EndpointEngine
    from ..engine import StoreEngine

    if getattr(args, "endpoint", None):
        return EndpointEngine(args.endpoint, timeout=args.timeout)
    return StoreEngine()
