"""`python -m rnetkg`: the same as the `rnetkg` command."""

from .command import main

main()
