"""Load the ontology and the knowledge graph into an engine, with referral expansion.

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


def _expansion_query() -> str:
    return (paths.query_dir() / "expand-referrals.rq").read_text(encoding="utf-8")


def load_store(extra: list[Path] | None = None) -> ox.Store:
    """A fresh in-memory pyoxigraph store with ontology + kg (+ extra files), referrals expanded."""
    store = ox.Store()
    for f in [*source_files(), *(extra or [])]:
        store.load(path=str(f), format=ox.RdfFormat.TURTLE)
    derived = list(store.query(_expansion_query()))
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
    for triple in g.query(_expansion_query()):
        g.add(triple)
    return g


def serialize_expanded(dest: Path, fmt: str = "nt") -> Path:
    """Write the expanded graph (ontology + kg + derived recommendations) to one file."""
    store = load_store()
    rdf_format = {"nt": ox.RdfFormat.N_TRIPLES, "ttl": ox.RdfFormat.TURTLE}[fmt]
    store.dump(output=str(dest), format=rdf_format, from_graph=ox.DefaultGraph())
    return dest
