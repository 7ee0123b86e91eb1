"""Load the ontology (and optionally more Turtle) into owlready2 and run an OWL 2 reasoner.

owlready2 reads N-Triples or RDF/XML, not Turtle, so files are converted with rdflib first.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import paths


class JavaMissing(RuntimeError):
    """The reasoners need a Java runtime on PATH."""


@dataclass
class ReasonerResult:
    consistent: bool
    unsatisfiable: list[str] = field(default_factory=list)
    message: str = ""


def to_ntriples(files: list[Path], dest: Path) -> Path:
    import rdflib

    g = rdflib.Graph()
    for f in files:
        g.parse(f, format="turtle")
    g.serialize(dest, format="nt", encoding="utf-8")
    return dest


def load_world(files: list[Path]):
    """A fresh owlready2 World holding the given Turtle files; returns (world, ontology)."""
    import owlready2

    tmp = Path(tempfile.mkdtemp(prefix="rnetkg-owl-"))
    try:
        nt = to_ntriples(files, tmp / "graph.nt")
        world = owlready2.World()
        onto = world.get_ontology(nt.as_uri()).load()
        return world, onto
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def reason(files: list[Path] | None = None, reasoner: str = "pellet") -> ReasonerResult:
    """Consistency and unsatisfiable classes of the ontology (+ files) with Pellet or HermiT."""
    import owlready2

    if shutil.which("java") is None:
        raise JavaMissing("java not found on PATH: the OWL reasoners (Pellet, HermiT) need Java 11 or later")
    files = files if files is not None else [paths.ontology_file()]
    world, onto = load_world(files)
    run = owlready2.sync_reasoner_pellet if reasoner == "pellet" else owlready2.sync_reasoner_hermit
    try:
        with onto:
            run(world, infer_property_values=False, debug=0)
    except owlready2.OwlReadyInconsistentOntologyError as e:
        return ReasonerResult(False, [], str(e).strip().splitlines()[0] if str(e).strip() else "inconsistent")
    unsat = sorted(c.iri for c in world.inconsistent_classes() if c is not owlready2.Nothing)
    return ReasonerResult(True, unsat)
