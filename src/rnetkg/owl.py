"""Consistency of Turtle files with an OWL 2 reasoner: a small front to rnetkg.reasoner's loading
and running (owlready2 reads N-Triples, not Turtle, so files are converted with rdflib first)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import paths, reasoner


@dataclass
class ReasonerResult:
    consistent: bool
    unsatisfiable: list[str] = field(default_factory=list)
    message: str = ""


def _to_ntriples(files: list[Path], dest: Path) -> Path:
    import rdflib

    g = rdflib.Graph()
    for f in files:
        g.parse(f, format="turtle")
    g.serialize(dest, format="nt", encoding="utf-8")
    return dest


def load_world(files: list[Path]):
    """A fresh owlready2 World holding the given Turtle files; returns (world, ontology)."""
    with tempfile.TemporaryDirectory(prefix="rnetkg-owl-") as tmp:
        return reasoner.load_world(_to_ntriples(files, Path(tmp) / "graph.nt"))


def reason(files: list[Path] | None = None, reasoner_name: str = "pellet") -> ReasonerResult:
    """Consistency and unsatisfiable classes of the ontology (+ files) with Pellet or HermiT."""
    import owlready2

    reasoner.require_java()
    world, _ = load_world(files if files is not None else [paths.ontology_file()])
    try:
        reasoner.run_reasoner(world, reasoner_name)
    except owlready2.OwlReadyInconsistentOntologyError as e:
        lines = [ln for ln in str(e).strip().splitlines() if ln.strip()]
        return ReasonerResult(False, [], lines[0] if lines else "inconsistent")
    return ReasonerResult(True, sorted(c.iri for c in world.inconsistent_classes() if c is not owlready2.Nothing))
