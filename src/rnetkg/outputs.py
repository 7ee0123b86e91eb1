"""Every file rnetkg writes goes through here: atomically (a temporary file beside it, renamed over
it), never onto one of the command's inputs, always a regular file, its folder must exist, and the
temporary file is removed when writing fails or the process is told to stop (SIGTERM, SIGINT). A
process killed outright (SIGKILL) cannot clean up: the next write of the same file removes the
temporary files of writers that no longer run. Whatever the operating system refuses (no space, a
read-only file system, no permission) is a UsageError naming the option and the reason."""

from __future__ import annotations

import errno
import os
import re
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
    """The checks every output passes before anything is written (exit 2 with one line): its folder
    exists and is writable; it is not a symbolic link, a folder, a device or a pipe; it is not one of
    ``inputs`` (nor an existing file directly inside an input folder)."""
    out = Path(out)
    try:
        return _check_output(out, option, list(inputs))
    except (OSError, RuntimeError, ValueError) as e:  # a name too long, a symlink loop, a NUL byte ...
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise UsageError(f"{option} {out}: cannot be written: {reason}") from None


def _check_output(out: Path, option: str, inputs: list[Path]) -> Path:
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
    for inp in map(Path, inputs):
        try:
            same = inp.exists() and out.exists() and os.path.samefile(inp, out)
            folder_of_input = inp.is_dir() and out.resolve().parent == inp.resolve()
        except OSError:   # an input that cannot be looked at is not OUT; its reader says what is wrong with it
            continue
        if same or inp.resolve() == out.resolve():
            raise UsageError(f"{option} {out}: is also an input of this command; write to another file")
        if folder_of_input:
            raise UsageError(f"{option} {out}: is a file of the input folder {str(inp)!r}; write to another file")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"{option} {out}: folder {str(folder)!r} is not writable")
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def remove_stale_temporaries(out: Path) -> list[Path]:
    """Remove the temporary files ``.OUT.PID.tmp`` beside OUT whose writer no longer runs (killed
    with SIGKILL, or the machine stopped); returns what was removed."""
    folder = out.parent if str(out.parent) else Path(".")
    pattern = re.compile(re.escape(f".{out.name}.") + r"(\d+)\.tmp")
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        m = pattern.fullmatch(entry.name)
        if m and int(m.group(1)) != os.getpid() and not _alive(int(m.group(1))):
            try:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
            except OSError:
                pass
    return removed


def _os_refused(option: str, out: Path, e: OSError) -> UsageError:
    reason = {errno.ENOSPC: "no space left on the device", errno.EROFS: "the file system is read-only",
              errno.EACCES: "permission denied", errno.EPERM: "operation not permitted",
              errno.EDQUOT: "disk quota exceeded"}.get(e.errno, e.strerror or type(e).__name__)
    return UsageError(f"{option} {out}: cannot write: {reason}")


def write_atomic(out: Path, chunks: Iterable[str | bytes], option: str = "--out",
                 inputs: Iterable[Path] = ()) -> None:
    """Write the chunks (all text or all bytes) to ``out`` atomically."""
    out = check_output(Path(out), option, inputs)
    folder = out.parent if str(out.parent) else Path(".")
    remove_stale_temporaries(out)
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
        except BaseException as e:
            if f is not None and not f.closed:
                try:
                    f.close()
                except OSError:
                    pass
            try:
                tmp.unlink()
            except OSError:
                pass
            if isinstance(e, OSError):
                raise _os_refused(option, out, e) from None
            raise
