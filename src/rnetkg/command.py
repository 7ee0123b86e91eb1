"""The `rnetkg` console script and `python -m rnetkg`: rnetkg.cli.main, started and ended for speed.

- A command that queries the shipped graph on the embedded store (`compare`, `query`, `describe`,
  without `--endpoint`) starts loading the store in a background thread before its command line is
  parsed (rnetkg.graph.preload; for `compare` of one profile, the profile store that its three
  queries read, rnetkg.projection.preload): parsing N-Quads in pyoxigraph leaves the interpreter free
  for the imports and the reading of the profile.
- When the command is done, standard output and error are flushed (a failing device is reported as
  rnetkg.cli.main reports it) and the process ends without tearing the interpreter down: freeing every
  module and the store would cost a single `compare` a tenth of its time. Every file a command writes
  is closed (and renamed into place) before it returns.
"""

from __future__ import annotations

import os
import sys

# the commands that query the embedded store of the shipped graph
_STORE_COMMANDS = frozenset({"compare", "query", "describe"})


def _uses_store(argv: list[str]) -> bool:
    """Whether the command will query the shipped graph on the embedded store (a guess from the words:
    a wrong guess costs a load that nobody waits for, never a wrong answer)."""
    return (bool(argv) and argv[0] in _STORE_COMMANDS
            and not any(a.startswith(("--e", "--coh")) for a in argv[1:]))   # --endpoint, --cohort (argparse prefixes)


def main() -> None:
    argv = sys.argv[1:]
    if _uses_store(argv):
        # the loader's modules are imported here, not in its thread: a module that two threads import
        # at once may be seen half-built by code that looks it up in sys.modules (dataclasses does)
        if argv[0] == "compare":   # one profile: the profile queries run on the profile store only
            from . import projection

            projection.preload()
        else:
            from . import graph

            graph.preload()
    from .cli import finish, main as run

    code = finish(run(argv))
    os._exit(code)
