"""A progress bar on stderr for long work (tqdm), drawn only when stderr is a terminal."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Callable, Iterator


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Callable[[float, str], None]]:
    """A callback ``progress(fraction, label)`` for the library; a no-op when not enabled."""
    if not enabled or not sys.stderr.isatty():
        yield lambda fraction, label: None
        return
    from tqdm import tqdm

    bar = tqdm(total=1000, file=sys.stderr, leave=False, bar_format="{l_bar}{bar}| {elapsed}", mininterval=0.1)

    def update(fraction: float, label: str) -> None:
        step = max(0, int(fraction * 1000) - bar.n)
        # a new label is drawn at once, also when the bar does not move (update(0) draws nothing)
        bar.set_description_str(label[:30], refresh=not step and label[:30] != bar.desc)
        bar.update(step)

    try:
        yield update
    finally:
        bar.close()
