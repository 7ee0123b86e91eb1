"""The `rnetkg` command: parses arguments, calls the library, prints. The only place that prints or
exits.

Exit codes: 0 success; 1 findings at error level (check); 2 bad input or usage (one line on stderr
naming the field and what is allowed, never a traceback). Every error a user can cause is an
rnetkg.errors.RnetkgError, caught here once.
"""

from __future__ import annotations

import argparse
import errno
import sys

from ..errors import EXIT_OK, EXIT_USAGE, RnetkgError, one_line
from .common import EPILOG, Parser

class _Version(argparse.Action):
    """--version: the installed version, read only when asked for."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from .. import __version__

        sys.stdout.write(f"rnetkg {__version__}\n")
        parser.exit()


# each command and the module of rnetkg.cli that registers it, in the order of `rnetkg --help`
COMMANDS = {"compare": "compare", "query": "query", "queries": "query", "describe": "describe", "cohort": "cohort",
            "check": "check", "serve": "serve", "feedback": "feedback", "map": "map", "fhir": "fhir"}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command; with ``command``, of that one only (a command's run imports only
    what it needs, and building the others' parsers would cost its start-up more than a tenth)."""
    import importlib

    names = dict.fromkeys(COMMANDS.values()) if command not in COMMANDS else [COMMANDS[command]]
    p = Parser(prog="rnetkg", description="Which rNET guidelines disagree for a case profile: a knowledge "
               "graph of ENETS, NCCN, PNNT, JNETS, CNETS, CSCO, ASCO and NICE recommendations.",
               epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action=_Version, help="show the version and exit")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name in names:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return p


def _innermost(parser: argparse.ArgumentParser, args) -> tuple[argparse.ArgumentParser, list[str]]:
    """The parser of the deepest command given (``rnetkg cohort``: cohort's) and its subcommands."""
    while True:
        sub = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
        if sub is None:
            return parser, []
        chosen = getattr(args, sub.dest, None)
        if chosen is None or chosen not in sub.choices:
            return parser, list(sub.choices)
        parser = sub.choices[chosen]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv[0] if argv else None)
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            p, commands = _innermost(parser, args)
            p.print_usage(sys.stderr)
            print(f"{p.prog}: give a command ({', '.join(commands)})", file=sys.stderr)
            return EXIT_USAGE
        return args.func(args)
    except RnetkgError as e:
        text = str(e)
        print(one_line(text if text.startswith("rnetkg") else f"rnetkg: {text}"), file=sys.stderr)
        return e.exit_code
    except BrokenPipeError:
        return EXIT_OK
    except OSError as e:   # standard output (or error) on a full or failing device
        return _output_failed(e)
    except KeyboardInterrupt:
        print("rnetkg: interrupted", file=sys.stderr)
        return 130


def _output_failed(e: OSError) -> int:
    """Standard output (or error) on a full or failing device: one line, exit 2."""
    if e.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EIO):
        raise e
    try:
        print(one_line(f"rnetkg: cannot write the output: {(e.strerror or 'input/output error').lower()}"),
              file=sys.stderr)
        sys.stderr.flush()
    except OSError:
        pass
    return EXIT_USAGE


def finish(code: int) -> int:
    """The exit code once standard output and error are flushed (what the interpreter would flush at
    exit): a reader that stopped reading is no error; a full or failing device is one line, exit 2."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    except OSError as e:
        code = _output_failed(e)
    try:
        sys.stderr.flush()
    except OSError:
        pass
    return code
