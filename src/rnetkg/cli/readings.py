"""`python -m rnetkg.cli.readings`: write kg/reading-combinations.ttl again, every combination of other
readings of one guideline's passages that bear on a common decision point (rnetkg.readings), after a
reading or a tie to one changed. tests/test_readings.py fails until the file is the one generated."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    from .. import paths
    from ..readings import generated

    target = paths.artifact_dir("kg") / "reading-combinations.ttl"
    text = generated()
    # a file of the graph itself (the outputs' writer refuses those): written beside it, then renamed
    partial = target.with_name(target.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, target)
    print(f"wrote {target} ({text.count('a rnet:ReadingCombination')} combinations)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
