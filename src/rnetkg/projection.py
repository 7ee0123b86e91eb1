"""The profile store: the shipped graph's triples that the three profile queries can read, and no others.

A SPARQL query whose every triple pattern and property path names its predicate (no variable in
predicate position, no negated property set) matches only triples with one of those predicates: on
the graph's triples with those predicates it gives the rows it gives on the whole graph. The three
profile queries (compare.PROFILE_QUERIES: applicable-recommendations, guideline-status, disagreements)
read 30 predicates of the graph's 160 or so, half of its triples: a cold `rnetkg compare` loads that half
(``profile_store``, kept in the cache folder as the whole store is) and answers the queries there,
while every other query runs on the whole store. ``predicates_read`` finds the predicates from the
queries' algebra (rdflib's SPARQL parser) when the store is built, and refuses a query it cannot bound;
tests/test_report_summary.py checks the answers on both stores are the same.
"""

from __future__ import annotations

import threading
from typing import Iterable

import pyoxigraph as ox

from . import cache, graph


class Unbounded(ValueError):
    """A query that may read a triple of any predicate."""


def predicates_read(texts: Iterable[str]) -> set[str]:
    """The IRIs of every predicate that the queries' triple patterns and property paths name; Unbounded
    for a variable predicate or a negated property set."""
    from rdflib.paths import AlternativePath, InvPath, MulPath, NegatedPath, SequencePath
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery
    from rdflib.term import URIRef, Variable

    found: set[str] = set()

    def path(p) -> None:
        if isinstance(p, URIRef):
            found.add(str(p))
        elif isinstance(p, (SequencePath, AlternativePath)):
            for a in p.args:
                path(a)
        elif isinstance(p, MulPath):
            path(p.path)
        elif isinstance(p, InvPath):
            path(p.arg)
        elif isinstance(p, NegatedPath):
            raise Unbounded(f"a negated property set ({p.n3()}) reads any predicate")
        elif isinstance(p, Variable):
            raise Unbounded(f"a variable predicate (?{p}) reads any predicate")
        else:
            raise Unbounded(f"a predicate of an unknown form: {p!r}")

    def walk(node) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "triples" and isinstance(value, list):
                    for triple in value:
                        path(triple[1])
                else:
                    walk(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                walk(value)

    for text in texts:
        walk(translateQuery(parseQuery(text)).algebra)
    return found


def project(store: ox.Store, predicates: set[str]) -> ox.Store:
    """A new store with the triples of ``store`` whose predicate is one of ``predicates``."""
    out = ox.Store()
    for p in sorted(predicates):
        out.extend(store.quads_for_pattern(None, ox.NamedNode(p), None))
    return out


_LOCK = threading.Lock()
_KEY = "profile-store"   # in graph.SHARED_VALUES: forgotten with the whole store


def profile_query_texts() -> list[str]:
    from . import queries

    return [queries.get(name).text for name in queries.PROFILE_QUERIES]


def kept_path():
    return cache.file("profile-store", ".nq", graph.current_graph_hash())


def profile_store() -> ox.Store:
    """The process-wide profile store of the shipped graph: read from the cache folder, else projected
    from the whole store (the predicates read from the queries) and kept there."""
    with _LOCK:
        store = graph.SHARED_VALUES.get(_KEY)
        if store is None:
            store = graph.SHARED_VALUES[_KEY] = _load()
        return store


def _load() -> ox.Store:
    path = kept_path()
    store = graph._load_kept(path)
    if store is not None:
        return store
    store = project(graph.shared_store(), predicates_read(profile_query_texts()))
    cache.write(path, store.dump(format=ox.RdfFormat.N_QUADS))
    return store


def loading() -> bool:
    """Whether the profile store is being loaded (by ``preload``'s thread, or another)."""
    return _LOCK.locked()


def preload() -> None:
    """Start loading the kept profile store in a background thread, as graph.preload does the whole
    store (nothing when it is not kept: the command builds it)."""
    if _LOCK.locked() or _KEY in graph.SHARED_VALUES:
        return
    path = kept_path()
    if path is None or not path.is_file():
        return

    def load() -> None:
        with _LOCK:
            if _KEY not in graph.SHARED_VALUES:
                store = graph._load_kept(path)
                if store is not None:
                    graph.SHARED_VALUES[_KEY] = store
    threading.Thread(target=load, name="rnetkg-profile-store", daemon=True).start()
