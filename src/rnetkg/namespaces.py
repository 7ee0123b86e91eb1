"""Every namespace the project uses, defined once."""

RNET = "https://w3id.org/rnetkg/ontology#"
ONTOLOGY_IRI = "https://w3id.org/rnetkg/ontology"
APP_MODULE_IRI = "https://w3id.org/rnetkg/ontology/app"  # ontology/rnet-app.ttl, which imports ONTOLOGY_IRI
KG = "https://w3id.org/rnetkg/kg/"
CASE = "https://w3id.org/rnetkg/case/"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
SH = "http://www.w3.org/ns/shacl#"
BIBO = "http://purl.org/ontology/bibo/"
SHAPES = "https://w3id.org/rnetkg/shapes#"
DCAT = "http://www.w3.org/ns/dcat#"
DATASET_IRI = "https://w3id.org/rnetkg/kg/dataset"

PREFIXES = {
    "rnet": RNET,
    "kg": KG,
    "prov": PROV,
    "dcterms": DCTERMS,
    "skos": SKOS,
    "xsd": XSD,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "sh": SH,
    "bibo": BIBO,
}


def short_iri(iri: str) -> str:
    """An IRI with the kg: or rnet: prefix where it has one (for messages)."""
    for prefix, ns in (("kg:", KG), ("rnet:", RNET)):
        if iri.startswith(ns):
            return prefix + iri[len(ns):]
    return iri
