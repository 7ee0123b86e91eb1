"""Files rnetkg keeps between runs, under $XDG_CACHE_HOME/rnetkg (default ~/.cache/rnetkg): what
does not depend on the profile and is costly to derive, one file per graph, named by the rnetkg
version, a digest of the package's own code, queries and shapes (code_digest) and the graph's hash
(graph.current_graph_hash), so an edited ontology/ or kg/ file, query, shape, extra graph or Python module
never reads another graph's or another code's file; of each kind only the KEEP newest files stay. Written with
outputs.write_atomic; a cache that cannot be read or written is ignored and the value derived again.
The library never prints: nothing here reports anything."""

from __future__ import annotations

import os
import zlib
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable


def folder() -> Path | None:
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        home = os.path.expanduser("~")
        if home == "~":
            return None
        base = os.path.join(home, ".cache")
    return Path(base) / "rnetkg"


def name_digest(data: bytes) -> str:
    """16 hexadecimal digits that tell cache files apart by what they were derived from (two CRC-32s,
    forward and backward: a name, not a check of content; hashlib would load OpenSSL, which costs
    every command a few milliseconds)."""
    return f"{zlib.crc32(data):08x}{zlib.crc32(data[::-1]):08x}"


@lru_cache(maxsize=1)
def code_digest() -> str:
    """A digest (name_digest) of the package's Python modules, its queries and its shapes (by path, size
    and modification time): what is kept was derived by this code and these queries, and a changed module
    (a new profile field, a changed rule) or query (the criteria, the evidence, a check) derives it again."""
    from . import paths

    parts = []
    for base, suffix in ((Path(__file__).resolve().parent, ".py"), (paths.query_dir(), ".rq"),
                         (paths.artifact_dir("shapes"), ".ttl")):
        found = []
        for folder_, dirs, files in os.walk(base):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            found += [os.path.join(folder_, f) for f in files if f.endswith(suffix)]
        for f in sorted(found):
            st = os.stat(f)
            parts.append(f"{base.name}/{os.path.relpath(f, base)}\0{st.st_size}\0{st.st_mtime_ns}\0")
    return name_digest("".join(parts).encode("utf-8"))


def file(kind: str, suffix: str, digest: str | None) -> Path | None:
    """The cache file of ``kind`` for the graph of this hash (graph.current_graph_hash), this version and
    this code (code_digest); None when there is no cache folder or no hash (the caller then derives the
    value)."""
    from . import __version__

    base = folder()
    if base is None or not digest:
        return None
    try:
        code = code_digest()[:8]
    except OSError:
        return None
    return base / f"{kind}-{__version__}-{code}-{digest[:16]}{suffix}"


def read(path: Path | None) -> bytes | None:
    """The cache file's bytes, or None (absent, a link, unreadable)."""
    if path is None:
        return None
    try:
        if path.is_symlink() or not path.is_file():
            return None
        return path.read_bytes()
    except OSError:
        return None


def kept(kind: str, digest: str | None, build: Callable[[], Any], encode: Callable[[Any], str],
         decode: Callable[[bytes], Any]) -> Any:
    """A value derived from the graph of this hash alone: read from its cache file (``decode``, which
    raises ValueError, TypeError or KeyError on a file it cannot use), else built and written (``encode``)."""
    path = file(kind, ".json", digest)
    data = read(path)
    if data is not None:
        try:
            return decode(data)
        except (ValueError, TypeError, KeyError):
            pass
    value = build()
    try:
        write(path, encode(value))
    except (TypeError, ValueError):
        pass
    return value


# cache files kept per kind (the newest): an edited graph or another rnetkg version writes new ones
KEEP = 4


def write(path: Path | None, data: bytes | str) -> None:
    """Write a cache file atomically, and remove the older files of its kind beyond the KEEP newest;
    nothing when it cannot be written."""
    from .errors import RnetkgError
    from .outputs import write_atomic

    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(path, [data], "cache file")
        _prune(path)
    except (OSError, RnetkgError):
        pass


def _kind(name: str) -> str:
    from . import __version__

    marker = f"-{__version__}-"
    return name.split(marker)[0] if marker in name else name.rsplit("-", 1)[0]


def _prune(path: Path) -> None:
    """Remove the files of the folder of the same kind as ``path`` (another version, code or graph), all
    but the KEEP most recently written (``path`` among them)."""
    kind = _kind(path.name)
    same = []
    for other in path.parent.iterdir():
        if other.is_file() and not other.is_symlink() and other.suffix == path.suffix and _kind(other.name) == kind:
            same.append((other.stat().st_mtime_ns, other.name != path.name, other))
    same.sort(key=lambda t: (-t[0], t[1]))
    for _, _, old in same[KEEP:]:
        if old != path:
            old.unlink(missing_ok=True)


# ---------------------------------------------------------------- records as JSON
# (no pickle: a cache file is data, and only the records of the module named may be rebuilt)

def to_json(value) -> str:
    """``value`` (records (rnetkg.record), tuples, frozensets, dicts, lists and JSON scalars) as JSON text.
    Each distinct object of a class is written once, into ``objects`` (in the order its fields need:
    an object's fields name earlier objects as {"#": index}), and referred to by index wherever it
    occurs: a model's criteria recur in every reading context, and equal frozen objects are
    interchangeable."""
    import json

    from .record import fields as fields_of, is_record

    objects: list[Any] = []
    index: dict[str, int] = {}

    def enc(x):
        if is_record(x):
            fields = {f: enc(getattr(x, f)) for f in fields_of(x)}
            entry = {"@": type(x).__name__, "f": fields}
            key = json.dumps(entry, separators=(",", ":"))
            if key not in index:
                index[key] = len(objects)
                objects.append(entry)
            return {"#": index[key]}
        if isinstance(x, (set, frozenset)):
            return {"@s": [enc(v) for v in sorted(x, key=repr)]}
        if isinstance(x, tuple):
            return {"@t": [enc(v) for v in x]}
        if isinstance(x, list):
            return [enc(v) for v in x]
        if isinstance(x, dict):
            return {"@d": [[enc(k), enc(v)] for k, v in x.items()]}
        if x is None or isinstance(x, (str, int, float, bool)):
            return x
        raise TypeError(f"cannot keep {type(x).__name__} in the cache")

    encoded = enc(value)
    return json.dumps({"objects": objects, "value": encoded}, separators=(",", ":"))


def from_json(text: str | bytes, module):
    """The value of to_json, rebuilding only records defined in ``module``. Each JSON object is
    rebuilt as the decoder reads it (object_hook, innermost first, in the order of the text): an entry
    of ``objects`` is built and numbered (its fields' references are to objects built before it), a
    reference {"#": i} is that object, a tuple, a set or a dict by its marker; an object without one is
    a class's field map, read by the object around it."""
    import json

    classes: dict[str, type] = {}
    built: list[Any] = []

    def rebuild(x: dict):
        if "#" in x:
            i = x["#"]
            if not (type(i) is int and 0 <= i < len(built)):
                raise ValueError("a cache file refers to an object it has not written")
            return built[i]
        if "@" in x:
            cls = classes.get(x["@"])
            if cls is None:
                cls = getattr(module, x["@"], None)
                if not (isinstance(cls, type) and hasattr(cls, "__record_fields__") and cls.__module__ == module.__name__):
                    raise ValueError(f"unexpected class {x['@']!r} in a cache file")
                classes[x["@"]] = cls
            obj = cls(**x["f"])
            built.append(obj)
            return obj
        if "@t" in x:
            return tuple(x["@t"])
        if "@s" in x:
            return frozenset(x["@s"])
        if "@d" in x:
            return dict(x["@d"])
        return x

    data = json.loads(text, object_hook=rebuild)
    if not isinstance(data, dict) or not isinstance(data.get("objects"), list) or "value" not in data:
        raise ValueError("a cache file without objects and value")
    return data["value"]
