"""Issue 21: a field is described in rnetkg.fields alone. What the ontology and the shapes must say
about each field (its rnet:ProfileField individual, its OWL property, its SHACL property shape) is
tested equal to the field table, and the Profile class is built from it."""

from __future__ import annotations


from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SH, XSD

from rnetkg import fields, paths, record
from rnetkg.namespaces import RNET
from rnetkg.profile import Profile

ONTOLOGY = Graph()
for _f in paths.ontology_files():   # the field names are the application module's
    ONTOLOGY.parse(_f)
SHAPES = Graph().parse(paths.artifact_dir("shapes") / "case-profile.ttl")


def _list(g: Graph, node) -> list:
    return list(Collection(g, node))


def test_issue21_profile_fields_are_the_individuals_of_the_ontology():
    one_of = next(e for e in ONTOLOGY.subjects(RDFS.subClassOf, URIRef(RNET + "ProfileField"))
                  if (e, OWL.oneOf, None) in ONTOLOGY)
    members = [str(m) for m in _list(ONTOLOGY, next(ONTOLOGY.objects(one_of, OWL.oneOf)))]
    assert members == [fields.FIELDS[n].field_iri for n in fields.CRITERIA_FIELDS]
    for n in fields.CRITERIA_FIELDS:
        assert ONTOLOGY.value(URIRef(fields.FIELDS[n].field_iri), URIRef(RNET + "fieldName")) == Literal(n)


def _shapes_of(path: URIRef) -> list:
    return [s for s in SHAPES.subjects(SH.path, path)]


def test_issue21_every_field_has_its_property_shape():
    for f in fields.FIELDS.values():
        prop = URIRef(RNET + (f.owl_property or "profileId"))
        shapes = _shapes_of(prop)
        assert shapes, f.name
        max_counts = {int(o) for s in shapes for o in SHAPES.objects(s, SH.maxCount)}
        min_counts = {int(o) for s in shapes for o in SHAPES.objects(s, SH.minCount)}
        assert max_counts == {1}, f.name
        assert min_counts == ({1} if f.required else set()), f.name
        if f.kind == "enum":
            ins = [[str(v) for v in _list(SHAPES, o)] for s in shapes for o in SHAPES.objects(s, SH["in"])]
            assert ins == [[f.iri(v) for v in f.values]], f.name
        if f.kind == "boolean":
            assert {o for s in shapes for o in SHAPES.objects(s, SH.datatype)} == {XSD.boolean}, f.name
        if f.kind == "number":
            low = SH.minInclusive if f.minimum_inclusive else SH.minExclusive
            lows = {float(o) for s in shapes for o in SHAPES.objects(s, low)}
            assert lows == ({f.minimum} if f.minimum is not None else set()), f.name
            high = SH.maxInclusive if f.maximum_inclusive else SH.maxExclusive
            highs = {float(o) for s in shapes for o in SHAPES.objects(s, high)}
            assert highs == ({f.maximum} if f.maximum is not None else set()), f.name


def test_issue21_every_field_has_its_owl_property():
    for f in fields.FIELDS.values():
        if f.owl_property:
            kind = OWL.DatatypeProperty if f.kind in ("number", "boolean") else OWL.ObjectProperty
            assert (URIRef(RNET + f.owl_property), RDF.type, kind) in ONTOLOGY, f.name


def test_issue21_the_profile_class_is_built_from_the_field_table():
    names = list(record.fields(Profile))
    assert names[:len(fields.FIELDS)] == ["id", *(n for n, f in fields.FIELDS.items() if f.required),
                                          *(n for n, f in fields.FIELDS.items() if not f.required and n != "id")]
    assert names[len(fields.FIELDS):] == ["derived_grade", "derived_t_stage", "decision_point", "notes"]
