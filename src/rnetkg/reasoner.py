"""Running an OWL 2 reasoner (Pellet or HermiT through owlready2): Java, worlds, consistency.

owlready2 reads N-Triples, not Turtle: Turtle files are converted with rdflib first. The criteria
as OWL classes, and the classification of case profiles into them, are in rnetkg.criteria.owl.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import paths
from .errors import ReasonerUnavailable, UsageError

REASONERS = ("pellet", "hermit")


def check_reasoner(name: str) -> None:
    if name not in REASONERS:
        raise UsageError(f"--reasoner must be one of {', '.join(REASONERS)}, got {name!r}")


def require_java() -> None:
    if shutil.which("java") is None:
        raise ReasonerUnavailable("the OWL reasoner needs a Java runtime, and `java` is not on PATH "
                                  "(install Java 11 or later)")


def run_reasoner(world, reasoner: str = "pellet") -> None:
    """Run Pellet or HermiT on an owlready2 world (inferences go back into the world)."""
    import owlready2

    if reasoner == "pellet":
        owlready2.sync_reasoner_pellet(world, infer_property_values=False,
                                       infer_data_property_values=False, debug=0)
    elif reasoner == "hermit":
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    else:
        raise ValueError(f"reasoner must be one of {', '.join(REASONERS)}, got {reasoner!r}")


def load_world(nt_file: Path):
    """A fresh owlready2 world with one N-Triples file loaded (owlready2 does not read Turtle)."""
    import owlready2

    world = owlready2.World()
    onto = world.get_ontology(nt_file.resolve().as_uri()).load(format="ntriples")
    return world, onto


def all_classes(ind) -> set[str]:
    """Every named class an individual belongs to after reasoning (is_a holds only the most
    specific ones: collect their ancestors, equivalent classes included)."""
    import owlready2

    out: set[str] = set()
    for c in ind.is_a:
        if isinstance(c, owlready2.ThingClass):
            for anc in c.ancestors(include_self=True):
                out.add(anc.iri)
                for eq in anc.equivalent_to:
                    if isinstance(eq, owlready2.ThingClass):
                        out.add(eq.iri)
    return out


@dataclass
class ReasonerResult:
    consistent: bool
    unsatisfiable: list[str] = field(default_factory=list)
    message: str = ""


def without_imports(g):
    """The rdflib graph ``g`` without its ``owl:imports`` triples, which owlready2 would fetch over the
    network (the application module imports the domain ontology): the reasoner sees the files given."""
    import rdflib

    g.remove((None, rdflib.OWL.imports, None))
    return g


def _to_ntriples(files: list[Path], dest: Path) -> Path:
    import rdflib

    g = rdflib.Graph()
    for f in files:
        g.parse(f, format="turtle")
    without_imports(g).serialize(dest, format="nt", encoding="utf-8")
    return dest


def load_turtle_world(files: list[Path]):
    """A fresh owlready2 World holding the given Turtle files; returns (world, ontology)."""
    with tempfile.TemporaryDirectory(prefix="rnetkg-owl-") as tmp:
        return load_world(_to_ntriples(files, Path(tmp) / "graph.nt"))


def reason(files: list[Path] | None = None, reasoner_name: str = "pellet") -> ReasonerResult:
    """Consistency and unsatisfiable classes of ``files`` (default: every ontology/ file) with Pellet or
    HermiT."""
    import owlready2

    require_java()
    world, _ = load_turtle_world(files if files is not None else paths.ontology_files())
    try:
        run_reasoner(world, reasoner_name)
    except owlready2.OwlReadyInconsistentOntologyError as e:
        lines = [ln for ln in str(e).strip().splitlines() if ln.strip()]
        return ReasonerResult(False, [], lines[0] if lines else "inconsistent")
    return ReasonerResult(True, sorted(c.iri for c in world.inconsistent_classes() if c is not owlready2.Nothing))
