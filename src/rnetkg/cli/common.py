"""What every subcommand of the command line shares: the parser class, the epilog, the engine options."""

from __future__ import annotations

import argparse
import math
import os
import stat
import sys
from pathlib import Path

from ..errors import UsageError

EPILOG = ("exit codes: 0 success, 1 findings at error level, 2 bad input or usage.\n"
          "The guideline keys and their order come from the graph: `rnetkg query guidelines`.")


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, like every other usage error
        raise UsageError(f"{self.prog}: {message}")

    def _get_formatter(self):
        # the width argparse would take (shutil.get_terminal_size, less 2), without importing shutil
        # and its compression modules for every command (argparse makes a formatter per argument)
        return self.formatter_class(prog=self.prog, width=terminal_width() - 2)


def terminal_width() -> int:
    """Columns of the terminal as shutil.get_terminal_size reads them: $COLUMNS, else the terminal of
    standard output, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else 80


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


MAX_INPUT_BYTES = 64 << 20   # a profile or a FHIR Bundle of one patient is far smaller


def read_input(path: str, what: str, limit: int | None = None) -> tuple[bytes, str]:
    """The bytes of an input file, or of standard input for ``-``, and the name to show for it: a regular
    file (never a device, a pipe or a folder, which could be read without end or hang), at most
    ``limit`` bytes (MAX_INPUT_BYTES; standard input too)."""
    limit = MAX_INPUT_BYTES if limit is None else limit
    bound = f"{limit >> 20} MiB" if limit >= 1 << 20 else f"{limit:,} bytes"
    too_big = f"{what} {path!r} is larger than {bound}; a profile or a FHIR Bundle of one patient is smaller"
    if path == "-":
        data = sys.stdin.buffer.read(limit + 1)
        if len(data) > limit:
            raise UsageError(too_big.replace(repr(path), "on standard input"))
        return data, "standard input"
    try:
        # O_NONBLOCK: opening a FIFO does not wait for a writer; the file type is checked before any read
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise UsageError(f"{what} {path!r} not found") from None
    except OSError as e:
        raise UsageError(f"{what} {path!r} cannot be read: {e.strerror or e}") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise UsageError(f"{what} {path!r} is a folder; give a file")
        if not stat.S_ISREG(mode):
            raise UsageError(f"{what} {path!r} is not a regular file (a device or a pipe); give a file, "
                             "or - for standard input")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise UsageError(f"{what} {path!r} cannot be read: {e.strerror or e}") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise UsageError(too_big)
    return data, path


def engine_from(args):
    """The engine the options name: an endpoint, or the embedded store."""
    if getattr(args, "endpoint", None):
        from ..endpoint import EndpointEngine   # the HTTP client only when asked for

        return EndpointEngine(args.endpoint, timeout=args.timeout)
    from ..engine import StoreEngine

    return StoreEngine()
