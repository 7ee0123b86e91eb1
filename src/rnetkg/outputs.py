"""Every file rnetkg writes goes through here.

``write_atomic``: a temporary file ``.OUT.PID.tmp`` created beside OUT with O_CREAT|O_EXCL|O_NOFOLLOW
(a file or symbolic link planted under that name is never written through), written, flushed to disk
(fsync) and renamed over OUT. OUT is never one of the command's inputs (compared by inode, the graph's
own files included: the ontology, kg/, $RNETKG_EXTRA_KG, shapes/, queries/), never a symbolic link, a
folder, a device or a pipe, and never in a folder of devices (/dev, /proc, /sys); its folder must exist.
The temporary file is removed when writing fails or the process is told to stop (SIGTERM, SIGINT; a
signal the process was started with ignored stays ignored). A process killed outright (SIGKILL) cannot
clean up: the next write of the same file removes the temporary files of writers that no longer run.

``prepare_in_place``: the same rules bar the rename, for a database file that is written in place (the
feedback store): a regular file or absent (then created empty), not a symbolic link, never an input,
and no larger than a bound.

Whatever the operating system refuses (no space, a read-only file system, no permission) is a
UsageError naming the option and the reason."""

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
            if signal.getsignal(sig) is signal.SIG_IGN:   # started ignoring it (a background job): keep so
                continue
            try:
                installed.append((sig, signal.signal(sig, _cleanup_and_reraise)))
            except ValueError:  # not the main thread: the caller's own handlers stay
                pass
        yield
    finally:
        _PENDING.discard(tmp)
        for sig, old in installed:
            signal.signal(sig, old)


def graph_inputs() -> list[Path]:
    """The files and folders every command reads: ontology/ (every Turtle file in it is loaded), kg/
    (and $RNETKG_EXTRA_KG), shapes/ and queries/. No output may be one of them."""
    from . import paths

    try:
        return [*paths.ontology_files(), paths.artifact_dir("ontology"), *paths.kg_files(),
                paths.artifact_dir("shapes"), paths.query_dir()]
    except (OSError, FileNotFoundError):   # an installation without them has nothing to protect
        return []


def _device_folder(folder: Path) -> str | None:
    """The system folder of devices or kernel files (/dev, /proc, /sys) that ``folder`` lies on, or None."""
    try:
        dev = os.stat(folder).st_dev
    except OSError:
        return None
    for system in ("/dev", "/proc", "/sys"):
        try:
            if os.path.ismount(system) and os.stat(system).st_dev == dev:
                return system
        except OSError:
            continue
    return None


def check_output(out: Path, option: str, inputs: Iterable[Path] = ()) -> Path:
    """The checks every output passes before anything is written (exit 2 with one line): its folder
    exists, is writable and is not a folder of devices; it is not a symbolic link, a folder, a device or
    a pipe; it is not one of ``inputs`` nor of the graph's own files (nor an existing file directly
    inside an input folder)."""
    out = Path(out)
    try:
        return _check_output(out, option, [*inputs, *graph_inputs()])
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
    system = _device_folder(folder)
    if system is not None:
        raise UsageError(f"{option} {out}: cannot write: {system} is a system folder of devices; give a file elsewhere")
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


def _inode(p: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(p)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _input_inodes(inputs: Iterable[Path]) -> set[tuple[int, int]]:
    return {i for i in map(_inode, inputs) if i is not None}


_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _create_temporary(tmp: Path, option: str, out: Path) -> int:
    """The temporary file, created new (O_EXCL|O_NOFOLLOW): a file or a symbolic link already under its
    name (no writer with this process id runs but this one) is removed, never written through."""
    for attempt in (1, 2):
        try:
            return os.open(tmp, _CREATE, 0o666)
        except FileExistsError:
            if attempt == 2:
                break
            try:
                os.unlink(tmp)    # removes a planted link itself, not what it points to
            except OSError as e:
                raise _os_refused(option, out, e) from None
    raise UsageError(f"{option} {out}: cannot write: the temporary file {tmp.name} keeps reappearing")


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(out: Path, chunks: Iterable[str | bytes], option: str = "--out",
                 inputs: Iterable[Path] = ()) -> None:
    """Write the chunks (all text or all bytes) to ``out`` atomically: O_EXCL|O_NOFOLLOW temporary file
    in OUT's folder, fsync, rename; OUT is never one of ``inputs`` nor of the graph's files."""
    inputs = [Path(p) for p in inputs]
    out = check_output(Path(out), option, inputs)
    protected = _input_inodes([*inputs, *graph_inputs()])
    folder = out.parent if str(out.parent) else Path(".")
    remove_stale_temporaries(out)
    tmp = folder / f".{out.name}.{os.getpid()}.tmp"
    with _signals_remove(tmp):
        f = None
        try:
            fd = _create_temporary(tmp, option, out)
            f = os.fdopen(fd, "wb")
            for chunk in chunks:
                f.write(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
            f.flush()
            os.fsync(f.fileno())
            f.close()
            st = os.lstat(out) if os.path.lexists(out) else None
            if st is not None and (stat.S_ISLNK(st.st_mode) or (st.st_dev, st.st_ino) in protected):
                raise UsageError(f"{option} {out}: was replaced while writing by a link or an input; "
                                 "write to another file")
            os.replace(tmp, out)
            _fsync_folder(folder)
        except BaseException as e:
            if f is not None and not f.closed:
                try:
                    f.close()
                except OSError:
                    pass
            if f is not None:   # the temporary file is ours (created with O_EXCL): remove it
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
            if isinstance(e, OSError):
                raise _os_refused(option, out, e) from None
            raise


MAX_IN_PLACE_BYTES = 256 * 1024 * 1024


def prepare_in_place(path: Path, option: str, inputs: Iterable[Path] = (),
                     max_bytes: int = MAX_IN_PLACE_BYTES) -> Path:
    """A file that a database writes in place (SQLite), checked as write_atomic checks OUT, bar the
    rename: its folder exists and is not a folder of devices; it is a regular file or absent (then it is
    created empty, with O_NOFOLLOW), never a symbolic link, never one of ``inputs`` nor of the graph's
    files, and at most ``max_bytes`` long. Returns the path; the caller opens it."""
    inputs = [Path(p) for p in inputs]
    path = check_output(Path(path), option, inputs)
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o666)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise UsageError(f"{option} {path}: is a symbolic link; give the path of a regular file") from None
        raise _os_refused(option, path, e) from None
    try:
        st = os.fstat(fd)
    finally:
        os.close(fd)
    if not stat.S_ISREG(st.st_mode):
        raise UsageError(f"{option} {path}: is not a regular file; give a file name")
    if (st.st_dev, st.st_ino) in _input_inodes([*inputs, *graph_inputs()]):
        raise UsageError(f"{option} {path}: is also an input of this command; write to another file")
    if st.st_size > max_bytes:
        raise UsageError(f"{option} {path}: holds {st.st_size:,} bytes, more than the bound of {max_bytes:,}; "
                         "give another file or move this one away")
    return path
