"""Every file rnetkg writes goes through here: atomically (a temporary file beside it, renamed over
it), never onto one of the command's inputs, always a regular file, its folder must exist, and the
temporary file is removed when writing fails or the process is told to stop (SIGTERM, SIGINT)."""

from __future__ import annotations

import os
import signal
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from .errors import UsageError

_PENDING: set[Path] = set()


def _cleanup_and_reraise(signum, frame):  # pragma: no cover - exercised through a subprocess test
    for p in list(_PENDING):
        try:
            p.unlink()
        except OSError:
            pass
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


@contextmanager
def _signals_remove(tmp: Path) -> Iterator[None]:
    """While writing ``tmp``, SIGTERM and SIGINT remove it before the process ends."""
    installed = []
    _PENDING.add(tmp)
    try:
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                installed.append((sig, signal.signal(sig, _cleanup_and_reraise)))
            except ValueError:  # not the main thread: the caller's own handlers stay
                pass
        yield
    finally:
        _PENDING.discard(tmp)
        for sig, old in installed:
            signal.signal(sig, old)


def check_output(out: Path, option: str, inputs: Iterable[Path] = ()) -> Path:
    """The checks every output passes before anything is written (exit 2 with one line)."""
    out = Path(out)
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"{option} {out}: folder {str(folder)!r} does not exist")
    if out.is_symlink():
        raise UsageError(f"{option} {out}: is a symbolic link; give the path of a regular file")
    if out.exists():
        mode = out.stat().st_mode
        if stat.S_ISDIR(mode):
            raise UsageError(f"{option} {out}: is a folder; give a file name")
        if not stat.S_ISREG(mode):
            raise UsageError(f"{option} {out}: is not a regular file (a device or a pipe); give a file name")
    for inp in inputs:
        try:
            same = Path(inp).exists() and out.exists() and os.path.samefile(inp, out)
        except OSError:
            same = False
        if same or Path(inp).resolve() == out.resolve():
            raise UsageError(f"{option} {out}: is also an input of this command; write to another file")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"{option} {out}: folder {str(folder)!r} is not writable")
    return out


def write_atomic(out: Path, chunks: Iterable[str | bytes], option: str = "--out",
                 inputs: Iterable[Path] = ()) -> None:
    """Write the chunks (all text or all bytes) to ``out`` atomically."""
    out = check_output(Path(out), option, inputs)
    folder = out.parent if str(out.parent) else Path(".")
    tmp = folder / f".{out.name}.{os.getpid()}.tmp"
    with _signals_remove(tmp):
        try:
            f = None
            for chunk in chunks:
                if f is None:
                    f = open(tmp, "wb" if isinstance(chunk, bytes) else "w",
                             **({} if isinstance(chunk, bytes) else {"encoding": "utf-8", "newline": ""}))
                f.write(chunk)
            if f is None:
                f = open(tmp, "w", encoding="utf-8")
            f.close()
            os.replace(tmp, out)
        except BaseException:
            if f is not None and not f.closed:
                f.close()
            try:
                tmp.unlink()
            except FileNotFoundError:
                pass
            raise
