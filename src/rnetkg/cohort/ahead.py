"""One step ahead: the next item of an iterator made in another thread while the caller works on the
current one (a cohort's next block is parsed while this one is evaluated; OUT's next lines are made
while these are written). pyarrow's parsing and file writes let go of the interpreter lock, so the
two steps share the machine's cores."""

from __future__ import annotations

import threading
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")
_END = object()


class _Next(threading.Thread):
    """next(it) in a thread of its own; ``result`` waits for it and raises what it raised."""

    def __init__(self, it: Iterator) -> None:
        super().__init__(name="rnetkg-ahead", daemon=True)
        self.it, self.item, self.error = it, _END, None
        self.start()

    def run(self) -> None:
        try:
            self.item = next(self.it, _END)
        except BaseException as e:   # given to the caller by result()
            self.error = e

    def result(self):
        self.join()
        if self.error is not None:
            error, self.error = self.error, None
            raise error
        item, self.item = self.item, _END
        return item


def ahead(items: Iterable[T]) -> Iterator[T]:
    """The items of ``items`` in order, each made while the caller works on the one before. An error
    raised making an item is raised here, in order; closing this generator waits for the item being
    made, then closes ``items``."""
    it = iter(items)
    step = _Next(it)
    try:
        while True:
            item = step.result()
            if item is _END:
                return
            step = _Next(it)
            yield item
            item = None
    finally:
        step.join()
        close = getattr(it, "close", None)
        if close is not None:
            close()
