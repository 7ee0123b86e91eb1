"""What every subcommand of the command line shares: the parser class, the epilog, the engine options."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from ..errors import UsageError

EPILOG = ("exit codes: 0 success, 1 findings at error level, 2 bad input or usage.\n"
          "The guideline keys and their order come from the graph: `rnetkg query guidelines`.")


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, like every other usage error
        raise UsageError(f"{self.prog}: {message}")


def endpoint_options(sp) -> None:
    sp.add_argument("--endpoint", metavar="URL", help="run the queries on this SPARQL 1.1 endpoint "
                    "instead of the embedded store (profiles travel inside the query as VALUES)")
    sp.add_argument("--timeout", type=seconds("--timeout"), default=30.0, metavar="S",
                    help="endpoint timeout in seconds (30)")


def seconds(option: str):
    """An argparse type: a positive, finite number of seconds."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value <= 0:
            raise UsageError(f"{option} {text!r}: must be a positive, finite number of seconds")
        return value
    return parse


def whole_number(option: str, low: int, high: int):
    """An argparse type: a whole number from low to high."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise UsageError(f"{option} {text!r}: must be a whole number from {low} to {high:,}")
        return value
    return parse


def read_input(path: str, what: str) -> tuple[bytes, str]:
    """The bytes of an input file, or of standard input for ``-``, and the name to show for it."""
    if path == "-":
        return sys.stdin.buffer.read(), "standard input"
    p = Path(path)
    try:
        if p.is_dir():
            raise UsageError(f"{what} {path!r} is a folder; give a file")
        return p.read_bytes(), path
    except FileNotFoundError:
        raise UsageError(f"{what} {path!r} not found") from None
    except OSError as e:
        raise UsageError(f"{what} {path!r} cannot be read: {e.strerror or e}") from None


def engine_from(args):
    """The engine the options name: an endpoint, or the embedded store."""
    from ..endpoint import EndpointEngine
    from ..engine import StoreEngine

    if getattr(args, "endpoint", None):
        return EndpointEngine(args.endpoint, timeout=args.timeout)
    return StoreEngine()
