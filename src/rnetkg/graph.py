"""Load the ontology and the knowledge graph into an engine, with the load-time CONSTRUCTs (the
referral branches, the flattened criteria).

The embedded engine is pyoxigraph; rdflib is loaded only where a caller asks for it (cross-checks,
SHACL, reasoning), so that `rnetkg compare` starts fast.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox

from . import paths


def source_files() -> list[Path]:
    """The ontology followed by every kg/ Turtle file."""
    return [paths.ontology_file(), *paths.kg_files()]


# the CONSTRUCT queries rnetkg runs when it loads the graph, in this order, adding their triples: the
# referral branches (queries/expand-referrals.rq), the follow-up that remains after a complete local
# excision (queries/derive-follow-up.rq), then the flattened criteria of every statement, derived ones
# included (queries/materialise-criteria.rq), which the profile queries read
LOAD_TIME_QUERIES = ("expand-referrals", "derive-follow-up", "materialise-criteria")


def load_time_queries() -> list[str]:
    """The text of each load-time CONSTRUCT, in order."""
    return [(paths.query_dir() / f"{name}.rq").read_text(encoding="utf-8") for name in LOAD_TIME_QUERIES]


def graph_hash(extra: list[Path] | None = None) -> str:
    """The SHA-256 of the graph rnetkg loads: every source file (ontology, kg/, extra files) and every
    load-time query, by name and content, in load order. Two answers with the same hash come from the same
    graph."""
    import hashlib

    digest = hashlib.sha256()
    for f in [*source_files(), *(extra or []), *(paths.query_dir() / f"{n}.rq" for n in LOAD_TIME_QUERIES)]:
        digest.update(f.name.encode("utf-8") + b"\0" + f.read_bytes() + b"\0")
    return digest.hexdigest()


def load_store(extra: list[Path] | None = None) -> ox.Store:
    """A fresh in-memory pyoxigraph store with ontology + kg (+ extra files) and the triples of the
    load-time CONSTRUCTs."""
    store = ox.Store()
    for f in [*source_files(), *(extra or [])]:
        store.load(path=str(f), format=ox.RdfFormat.TURTLE)
    for text in load_time_queries():
        derived = list(store.query(text))
        store.extend(ox.Quad(t.subject, t.predicate, t.object) for t in derived)
    return store


@lru_cache(maxsize=1)
def shared_store() -> ox.Store:
    """The process-wide store of the shipped graph (read-only by convention)."""
    return load_store()


def load_rdflib(extra: list[Path] | None = None):
    """The same graph in rdflib (used for cross-checks and by pySHACL)."""
    import rdflib

    g = rdflib.Graph()
    for f in [*source_files(), *(extra or [])]:
        g.parse(f, format="turtle")
    for text in load_time_queries():
        for triple in list(g.query(text)):
            g.add(triple)
    return g


def serialize_expanded(dest: Path, fmt: str = "nt") -> Path:
    """Write the expanded graph (ontology + kg + derived recommendations) to one file."""
    store = load_store()
    rdf_format = {"nt": ox.RdfFormat.N_TRIPLES, "ttl": ox.RdfFormat.TURTLE}[fmt]
    store.dump(output=str(dest), format=rdf_format, from_graph=ox.DefaultGraph())
    return dest
