"""Load the ontology and the knowledge graph into an engine, with the load-time CONSTRUCTs.

The embedded engine is pyoxigraph; rdflib is loaded only where a caller asks for it (cross-checks,
SHACL, reasoning), so that `rnetkg compare` starts fast.

Loading runs in three steps, in this order:
1. the shipped graph: every Turtle file of ontology/ (the domain ontology rnet.ttl, then the application
   module rnet-app.ttl) and every kg/ Turtle file;
2. the extra graphs ($RNETKG_EXTRA_KG, and the ``extra`` files a caller passes), each read on its own
   and checked by ``guard_extra_graphs`` before anything of it is added: it must be valid UTF-8 Turtle,
   import nothing (``owl:imports`` is never fetched), and add guidelines and statements of its own
   only, never change or extend shipped ones (see ``extra_graph_problems``);
3. the load-time CONSTRUCTs (``LOAD_TIME_QUERIES``), on the whole: the referral branches
   (queries/expand-referrals.rq), the follow-up that remains after a complete local excision
   (queries/derive-follow-up.rq), then the flattened criteria of every statement, derived ones included
   (queries/materialise-criteria.rq), which the profile queries read.
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pyoxigraph as ox

from . import cache, paths
from .errors import ExtraGraphError
from .namespaces import ONTOLOGY_IRI, OWL, RNET
from .record import record

# the CONSTRUCT queries run when the graph is loaded, in this order, each adding its triples
LOAD_TIME_QUERIES = ("expand-referrals", "derive-follow-up", "reading-contexts", "materialise-criteria")

_IMPORTS = ox.NamedNode(OWL + "imports")
_GUIDELINE_KEY = ox.NamedNode(RNET + "guidelineKey")
_ISSUED_BY = ox.NamedNode(RNET + "issuedBy")


def shipped_files() -> list[Path]:
    """Every ontology/ file (the domain ontology, then its application module) followed by every kg/
    Turtle file (the graph rnetkg ships)."""
    return [*paths.ontology_files(), *paths.shipped_kg_files()]


def extra_files(extra: list[Path] | None = None) -> list[Path]:
    """The extra graphs: $RNETKG_EXTRA_KG's files, then ``extra``."""
    return [*paths.extra_kg_files(), *(Path(p) for p in extra or [])]


def source_files() -> list[Path]:
    """Every ontology/ file and every kg/ Turtle file, then the extra graphs of $RNETKG_EXTRA_KG."""
    return [*shipped_files(), *paths.extra_kg_files()]


def load_time_queries() -> list[str]:
    """The text of each load-time CONSTRUCT, in order."""
    return [(paths.query_dir() / f"{name}.rq").read_text(encoding="utf-8") for name in LOAD_TIME_QUERIES]


def graph_hash(extra: list[Path] | None = None) -> str:
    """The SHA-256 of the graph rnetkg loads: every source file (ontology/, kg/, extra files) and every
    load-time query, by name and content, in load order. Two answers with the same hash come from the same
    graph."""
    import hashlib

    digest = hashlib.sha256()
    for f in [*source_files(), *(extra or []), *(paths.query_dir() / f"{n}.rq" for n in LOAD_TIME_QUERIES)]:
        digest.update(f.name.encode("utf-8") + b"\0" + f.read_bytes() + b"\0")
    return digest.hexdigest()


# ---------------------------------------------------------------- step 2: the extra graphs

def read_extra(path: Path) -> list[ox.Triple]:
    """The triples of one extra graph; ExtraGraphError (one line naming the file, and the line when
    known) when it cannot be read, is not UTF-8 or is not valid Turtle."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):   # a device or a pipe would be read without end
            raise ExtraGraphError(f"${paths.EXTRA_KG_ENV} {path}: is not a regular file; give a Turtle file")
        return [q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)]
    except SyntaxError as e:
        where = f" line {e.lineno}" if e.lineno else ""
        reason = str(e.msg if hasattr(e, "msg") else e)
        raise ExtraGraphError(f"${paths.EXTRA_KG_ENV} {path}:{where}: not valid Turtle (UTF-8): {reason}") from None
    except (OSError, ValueError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise ExtraGraphError(f"${paths.EXTRA_KG_ENV} {path}: cannot be read: {reason}") from None


@record
class ExtraGraphProblem:
    """Why an extra graph is refused: its file, the IRI or key at fault, and a one-line message."""

    path: Path
    subject: str
    message: str

    def error(self) -> ExtraGraphError:
        return ExtraGraphError(f"${paths.EXTRA_KG_ENV} {self.path}: {self.message}")


_RULE = "an extra graph may add guidelines and statements of its own, never change or extend shipped ones"


def extra_graph_problems(shipped: ox.Store, extras: dict[Path, list[ox.Triple]]) -> list[ExtraGraphProblem]:
    """What the extra graphs may not do, checked against the shipped graph: import anything
    (``owl:imports``: nothing is fetched); say anything about a shipped node (a triple whose subject
    is a subject of the shipped graph, or a term of the ontology's namespace); reuse a shipped
    guideline key; point at a shipped guideline or at a statement it issues (a recommendation issued
    by NCCN, a rule over a shipped recommendation). At most one problem per file, the first found."""
    default = ox.DefaultGraph()
    shipped_subjects = {q.subject for q in shipped.quads_for_pattern(None, None, None, default)
                        if isinstance(q.subject, ox.NamedNode)}
    shipped_keys = {q.object.value for q in shipped.quads_for_pattern(None, _GUIDELINE_KEY, None, default)}
    issuing = {q.object for q in shipped.quads_for_pattern(None, _ISSUED_BY, None, default)}
    issued = {q.subject for q in shipped.quads_for_pattern(None, _ISSUED_BY, None, default)}
    guarded_objects = issuing | issued
    problems = []
    for path, triples in extras.items():
        problem = None
        for t in triples:
            s, p, o = t.subject, t.predicate, t.object
            if p == _IMPORTS:
                problem = ExtraGraphProblem(path, o.value if isinstance(o, ox.NamedNode) else str(o),
                                            f"owl:imports <{getattr(o, 'value', o)}>: nothing is imported or "
                                            "fetched; give the imported graph as a file of its own")
            elif isinstance(s, ox.NamedNode) and (s in shipped_subjects or s.value.startswith(RNET)
                                                  or s.value == ONTOLOGY_IRI):
                problem = ExtraGraphProblem(path, s.value, f"<{s.value}> is a node of the shipped graph; {_RULE}")
            elif p == _GUIDELINE_KEY and isinstance(o, ox.Literal) and o.value in shipped_keys:
                problem = ExtraGraphProblem(path, o.value, f"guideline key {o.value!r} is a shipped guideline's; "
                                            f"{_RULE}")
            elif o in guarded_objects:
                problem = ExtraGraphProblem(path, o.value, f"<{s.value if isinstance(s, ox.NamedNode) else s}> "
                                            f"points at <{o.value}> of a shipped guideline; {_RULE}")
            if problem is not None:
                break
        if problem is not None:
            problems.append(problem)
    return problems


def guard_extra_graphs(shipped: ox.Store, extras: dict[Path, list[ox.Triple]]) -> None:
    """Refuse the extra graphs (ExtraGraphError, one line naming the IRI or key) when they would change
    or extend the shipped graph or import anything. Runs after the extra files are read and before any
    load-time CONSTRUCT."""
    problems = extra_graph_problems(shipped, extras)
    if problems:
        raise problems[0].error()


# ---------------------------------------------------------------- loading

def load_shipped() -> ox.Store:
    store = ox.Store()
    for f in shipped_files():
        store.load(path=str(f), format=ox.RdfFormat.TURTLE)
    return store


def run_load_time_constructs(store: ox.Store) -> None:
    """Step 3: the CONSTRUCTs that derive triples at load (LOAD_TIME_QUERIES), each on what the ones
    before it added."""
    for text in load_time_queries():
        derived = list(store.query(text))
        store.extend(ox.Quad(t.subject, t.predicate, t.object) for t in derived)


def load_store(extra: list[Path] | None = None, *, env_extra: bool = True) -> ox.Store:
    """A fresh in-memory pyoxigraph store with ontology + kg (+ $RNETKG_EXTRA_KG unless ``env_extra``
    is false, + ``extra`` files), the extra graphs guarded, the load-time CONSTRUCTs run."""
    store = load_shipped()
    files = extra_files(extra) if env_extra else [Path(p) for p in extra or []]
    extras = {f: read_extra(f) for f in files}
    guard_extra_graphs(store, extras)
    for triples in extras.values():
        store.extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    run_load_time_constructs(store)
    return store


_HASHES: dict[tuple, str] = {}


def current_graph_hash() -> str | None:
    """graph_hash of the graph rnetkg loads now (with $RNETKG_EXTRA_KG), read again whenever one of its
    files changes (name, size or modification time), as extra graphs may within a process; None when
    an extra graph is not a regular file or a file cannot be read (loading reports it)."""
    try:
        if not all(f.is_file() for f in paths.extra_kg_files()):
            return None
        files = [*source_files(), *(paths.query_dir() / f"{n}.rq" for n in LOAD_TIME_QUERIES)]
        key = tuple((str(f), st.st_size, st.st_mtime_ns) for f in files for st in (f.stat(),))
        if key not in _HASHES:
            _HASHES.clear()
            _HASHES[key] = _kept_hash(key)
        return _HASHES[key]
    except (OSError, ValueError):
        return None


def _kept_hash(key: tuple) -> str:
    """graph_hash of the files that ``key`` names (path, size, modification time), kept in the cache
    folder by a digest of the key: a later process reads it instead of reading every file again."""
    from . import cache

    base = cache.folder()
    path = base / f"graph-hash-{cache.name_digest(repr(key).encode('utf-8'))}.txt" if base else None
    kept = cache.read(path)
    if kept is not None and len(kept) == 64 and all(c in b"0123456789abcdef" for c in kept):
        return kept.decode("ascii")
    value = graph_hash(paths.extra_kg_files())
    cache.write(path, value)
    return value


_SHARED: dict[str, ox.Store] = {}
_SHARED_LOCK = threading.Lock()


def shared_store() -> ox.Store:
    """The process-wide store of the shipped graph (read-only by convention). The loaded store (with
    the load-time CONSTRUCTs' triples) is kept as N-Quads in the cache folder (rnetkg.cache), named by
    the graph's hash: a later process reads that one file instead of parsing and deriving again. One
    thread loads it; another that asks meanwhile waits for that store (see ``preload``)."""
    with _SHARED_LOCK:
        store = _SHARED.get("store")
        if store is None:
            store = _SHARED["store"] = _load_shared()
        return store


def loading() -> bool:
    """Whether the process-wide store is being loaded (by rnetkg.graph.preload's thread, or another)."""
    return _SHARED_LOCK.locked()


def loaded_shared_store() -> ox.Store | None:
    """The process-wide store if it is loaded (or being loaded: then once it is), else None; never
    starts loading it."""
    if "store" in _SHARED or _SHARED_LOCK.locked():
        with _SHARED_LOCK:
            return _SHARED.get("store")
    return None


# what engines read once from the process-wide store (rnetkg.engine.StoreEngine.cached), forgotten with it
SHARED_VALUES: dict[str, object] = {}


def _clear_shared_store() -> None:
    """Forget the process-wide store and what was read from it (the next query loads the graph again,
    with the extra graphs then named)."""
    with _SHARED_LOCK:
        _SHARED.clear()
        SHARED_VALUES.clear()


shared_store.cache_clear = _clear_shared_store   # as functools.lru_cache names it


def preload() -> None:
    """Start loading the process-wide store in a background thread when it is kept in the cache folder
    (rnetkg.command does so before the command line is parsed). The command that then asks for the store
    waits for that load, and meanwhile does its other work: parsing N-Quads in pyoxigraph leaves the
    interpreter free. Nothing when the store is not kept: the first run loads and derives it in the
    thread that asks, so that no half-written cache file is left. The thread imports nothing (the
    modules it needs are loaded with this one)."""
    if _SHARED_LOCK.locked() or "store" in _SHARED:
        return
    # the file is named here: the thread's own Python work would wait for the interpreter, which the
    # command's imports hold, and parsing (pyoxigraph) is what it can do beside them
    path = _kept_store_path()
    if path is None or not path.is_file():
        return

    def load() -> None:
        with _SHARED_LOCK:
            if "store" not in _SHARED:
                store = _load_kept(path)
                if store is not None:   # else the command's own call loads the graph and keeps it again
                    _SHARED["store"] = store
    threading.Thread(target=load, name="rnetkg-store", daemon=True).start()


def _kept_store_path() -> Path | None:
    return cache.file("store", ".nq", current_graph_hash())


def _load_kept(path: Path | None) -> ox.Store | None:
    """The store kept in this cache file, or None (absent, unreadable, not N-Quads)."""
    data = cache.read(path)
    if data is None:
        return None
    try:
        store = ox.Store()
        # rnetkg's own serialisation of a graph it checked: read without checking every IRI again
        # (a third of the time)
        store.load(data, format=ox.RdfFormat.N_QUADS, lenient=True)
        return store
    except (SyntaxError, ValueError, OSError):
        return None


def _load_shared() -> ox.Store:
    path = _kept_store_path()
    store = _load_kept(path)
    if store is not None:
        return store
    store = load_store()
    cache.write(path, store.dump(format=ox.RdfFormat.N_QUADS))
    return store


def checked_extra_files(extra: list[Path] | None = None) -> list[Path]:
    """The extra graphs, each read and guarded against the shipped graph (ExtraGraphError otherwise)."""
    files = extra_files(extra)
    if files:
        guard_extra_graphs(load_shipped(), {f: read_extra(f) for f in files})
    return files


def load_rdflib(extra: list[Path] | None = None):
    """The same graph in rdflib (used for cross-checks and by pySHACL)."""
    import rdflib

    g = rdflib.Graph()
    for f in [*shipped_files(), *checked_extra_files(extra)]:
        g.parse(f, format="turtle")
    for text in load_time_queries():
        for triple in list(g.query(text)):
            g.add(triple)
    return g


def expanded_bytes(fmt: str = "nt") -> bytes:
    """The expanded graph (ontology + kg + derived recommendations) as N-Triples or Turtle."""
    store = load_store()
    rdf_format = {"nt": ox.RdfFormat.N_TRIPLES, "ttl": ox.RdfFormat.TURTLE}[fmt]
    return store.dump(format=rdf_format, from_graph=ox.DefaultGraph())


def serialize_expanded(dest: Path, fmt: str = "nt", option: str = "the expanded graph file") -> Path:
    """Write the expanded graph to one file, through the safe writer (never onto a graph file)."""
    from .outputs import write_atomic

    write_atomic(Path(dest), [expanded_bytes(fmt)], option)
    return dest
