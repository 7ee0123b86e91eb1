"""Placeholder replaced by the full ontology tests (issue 2)."""
import rdflib

from rnetkg import paths


def test_ontology_parses():
    g = rdflib.Graph().parse(paths.ontology_file())
    assert (rdflib.URIRef("https://w3id.org/rnetkg/ontology"), rdflib.RDF.type, rdflib.OWL.Ontology) in g
