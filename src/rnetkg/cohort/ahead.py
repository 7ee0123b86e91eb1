"""Ahead: the next items of an iterator made in another thread while the caller works on the current
one (a cohort's next blocks are read and validated while these are evaluated; OUT's next lines are
made while these are written). pyarrow's parsing, numpy's kernels and file writes let go of the
interpreter lock, so the two threads share the machine's cores."""

from __future__ import annotations

import queue
import threading
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")
_END = object()


def ahead(items: Iterable[T], depth: int = 1) -> Iterator[T]:
    """The items of ``items`` in order, made by another thread up to ``depth`` items ahead of the
    caller (plus the one being made). An error raised making an item is raised here, in its place;
    closing this generator stops the thread (after the item it is making) and closes ``items``."""
    it = iter(items)
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def work() -> None:
        try:
            for item in it:
                ready.put((item, None))
                item = None
                if stop.is_set():
                    return
            ready.put((_END, None))
        except BaseException as e:   # given to the caller in the item's place
            ready.put((_END, e))

    thread = threading.Thread(target=work, name="rnetkg-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item, error = ready.get()
            if error is not None:
                raise error
            if item is _END:
                return
            yield item
            item = None
    finally:
        stop.set()
        while thread.is_alive():   # the thread may wait to put an item: take it
            try:
                ready.get(timeout=0.05)
            except queue.Empty:
                pass
        thread.join()
        close = getattr(it, "close", None)
        if close is not None:
            close()
