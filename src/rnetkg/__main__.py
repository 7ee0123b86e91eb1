"""`python -m rnetkg`: the same as the `rnetkg` command."""

import sys

from .cli import main

sys.exit(main())
