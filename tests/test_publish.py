"""Publishing (issue 14): docs/ontology.html is pyLODE's page of the domain ontology and
docs/ontology-app.html that of its application module, self-contained and up to date; the generated lists
of docs/data-model.md match the graph; `make release` writes the ontology and the module as RDF/XML and the
whole graph as Turtle and JSON-LD, each parsing back to its source with one version."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic, to_isomorphic

from rnetkg import graph, paths, release
from rnetkg.cli import release as release_cli
from rnetkg.namespaces import APP_MODULE_IRI, ONTOLOGY_IRI, RNET

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
OWL = rdflib.Namespace("http://www.w3.org/2002/07/owl#")


@pytest.fixture(scope="module")
def page():
    return release.ontology_html()


@pytest.fixture(scope="module")
def module_page():
    return release.ontology_html(paths.app_module_file())


# ---------------------------------------------------------------- docs/ontology.html

def test_the_committed_ontology_page_is_up_to_date(page):
    """If this fails, run `make docs` and commit docs/ontology.html."""
    committed = (DOCS / "ontology.html").read_text(encoding="utf-8")
    assert page == committed


def test_the_ontology_page_is_the_same_on_every_build(page):
    assert release.ontology_html() == page


def test_the_committed_module_page_is_up_to_date(module_page):
    """If this fails, run `make docs` and commit docs/ontology-app.html."""
    assert (DOCS / "ontology-app.html").read_text(encoding="utf-8") == module_page
    assert release.module_page(DOCS / "ontology.html") == DOCS / "ontology-app.html"


def test_the_module_page_documents_its_terms_and_the_ontology_page_none_of_them(page, module_page):
    g = rdflib.Graph().parse(paths.app_module_file(), format="turtle")
    terms = {s for s in g.subjects(rdflib.RDF.type, None) if isinstance(s, rdflib.URIRef) and str(s).startswith(RNET)
             and (s, rdflib.RDF.type, OWL.NamedIndividual) not in g}
    expected = {RNET + n for n in ("FlatCondition", "key", "guidelineKey", "fieldName", "modalityBit")}
    assert expected <= {str(t) for t in terms}
    assert [t for t in terms if f"<code>{t}</code>" not in module_page] == []
    assert [t for t in terms if f"<code>{t}</code>" in page] == []
    assert "application module" in module_page and APP_MODULE_IRI in module_page
    assert release.external_loads(module_page) == []


def test_the_ontology_page_documents_every_class_and_property_with_its_definition(page):
    g = rdflib.Graph().parse(paths.ontology_file(), format="turtle")
    terms = {s for s in g.subjects(rdflib.RDF.type, None)
             if isinstance(s, rdflib.URIRef) and str(s).startswith(RNET)
             and (s, rdflib.RDF.type, OWL.NamedIndividual) not in g}
    assert len(terms) > 150
    missing = [t for t in terms if f"<code>{t}</code>" not in page]
    assert missing == []
    definition = str(g.value(rdflib.URIRef(RNET + "PrecedenceRule"), rdflib.URIRef("http://www.w3.org/2004/02/skos/core#definition")))
    assert definition.split(":")[0] in page
    assert "rNET guideline ontology" in page and "0.1.0" in page


def test_the_ontology_page_loads_nothing_from_elsewhere(page):
    assert release.external_loads(page) == []
    assert "<script src" not in page.replace(" ", "").lower().replace("<scriptsrc", "<script src")


@pytest.mark.parametrize("snippet", [
    '<script src="https://cdn.example.org/x.js"></script>',
    '<link rel="stylesheet" href="//fonts.example.org/css">',
    '<style>body { background: url(https://example.org/bg.png) }</style>',
    '<style>@import "https://example.org/a.css";</style>',
    '<img src="http://example.org/logo.png">',
])
def test_the_external_load_check_finds_what_a_browser_would_fetch(snippet):
    assert release.external_loads(f"<html><head>{snippet}</head></html>") != []


def test_the_external_load_check_allows_data_uris_and_links():
    html = ('<link rel="icon" href="data:image/png;base64,AAAA"><a href="https://example.org">x</a>'
            '<script type="application/ld+json">{}</script>')
    assert release.external_loads(html) == []


# ---------------------------------------------------------------- docs/data-model.md, generated lists

def test_the_generated_lists_of_the_data_model_guide_are_up_to_date():
    """If this fails, run `make docs` and commit docs/data-model.md."""
    text = (DOCS / "data-model.md").read_text(encoding="utf-8")
    assert release.fill_generated(text) == text
    block = release.GENERATED.search(text).group("body")
    store = graph.shared_store()
    for cls in ("ProfileField", "DecisionPoint", "ManagementModality", "MarginStatus", "NodalStatus", "Grade"):
        members = {r["m"] for r in _rows(store, f"""
            SELECT ?m WHERE {{ <{RNET}{cls}> ^<http://www.w3.org/2000/01/rdf-schema#subClassOf>/<http://www.w3.org/2002/07/owl#oneOf>/
                               <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest>*/<http://www.w3.org/1999/02/22-rdf-syntax-ns#first> ?m }}""")}
        assert members, cls
        for m in members:
            assert f"| `rnet:{m[len(RNET):]}` |" in block, m
    assert "| `rnet:field_ki67_percent` | `ki67_percent` | Ki-67 index (%) |" in block
    assert "| `rnet:modality_radical_surgery` | `radical_surgery` | radical surgery |" in block


def test_a_stale_generated_block_is_rewritten():
    stale = "a\n<!-- generated: enumerations -->\n| old |\n<!-- /generated: enumerations -->\nb\n"
    new = release.fill_generated(stale)
    assert "| old |" not in new and "`rnet:InitialManagement`" in new
    assert new.startswith("a\n") and new.endswith("<!-- /generated: enumerations -->\nb\n")


def test_the_statuses_in_the_guide_are_those_the_status_query_computes():
    text = (DOCS / "data-model.md").read_text(encoding="utf-8")
    section = text.split("**Statuses.**", 1)[1].split("\n\n", 2)[1]
    documented = set(re.findall(r"^\| `(\w+)` \|", section, re.M))
    q = (paths.query_dir() / "guideline-status.rq").read_text(encoding="utf-8")
    bind = re.findall(r"BIND\((IF\((?:(?!BIND\().)*?)\) AS \?status\)", q, re.S)[-1]
    assert documented == set(re.findall(r'"(\w+)"', bind)) == {"covered", "ambiguous", "aim_only", "possible",
                                                                          "silent"}


def _rows(store, text):
    return [{v.value: sol[v].value for v in res_vars} for res in [store.query(text)]
            for res_vars in [res.variables] for sol in res]


# ---------------------------------------------------------------- make release

@pytest.fixture(scope="module")
def released(tmp_path_factory):
    out = tmp_path_factory.mktemp("release") / "new"  # created by the build
    return release.build_release(out)


@pytest.fixture(scope="module")
def loaded():
    """The graph as rnetkg.graph loads it (ontology + kg + derived recommendations), in rdflib."""
    store = graph.load_store()
    g = rdflib.Graph()
    g.parse(data=store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()), format="nt")
    assert len(g) == len(store)
    return g


def _canonical(g: rdflib.Graph) -> rdflib.Graph:
    """Compare values, not spellings: a decimal is written 10 by pyoxigraph and 10.0 by rdflib's Turtle."""
    from decimal import Decimal

    dec = rdflib.XSD.decimal
    out = rdflib.Graph()
    for s, p, o in g:
        if isinstance(o, rdflib.Literal) and o.datatype == dec:
            o = rdflib.Literal(format(Decimal(str(o)).normalize(), "f"), datatype=dec)
        out.add((s, p, o))
    return out


def _version_of(g: rdflib.Graph) -> tuple[str, str]:
    onto = rdflib.URIRef(ONTOLOGY_IRI)
    return str(g.value(onto, OWL.versionInfo)), str(g.value(onto, OWL.versionIRI))


def test_the_version_is_one_version():
    version = release.project_version()
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert release.ontology_version() == (version, f"{ONTOLOGY_IRI}/{version}")
    assert release.ontology_version(paths.app_module_file(), APP_MODULE_IRI) == (version, f"{APP_MODULE_IRI}/{version}")
    assert release.checked_version() == version


def test_a_module_of_another_version_stops_the_release(monkeypatch, tmp_path):
    stale = tmp_path / "rnet-app.ttl"
    stale.write_text(paths.app_module_file().read_text(encoding="utf-8").replace("/app/0.1.0>", "/app/0.0.9>"),
                     encoding="utf-8")
    monkeypatch.setattr(paths, "app_module_file", lambda: stale)
    with pytest.raises(release.ReleaseError, match=r"ontology/rnet-app.ttl has .*0\.0\.9"):
        release.checked_version()


def test_the_release_files_are_named_with_the_version(released):
    v = release.project_version()
    assert {k: p.name for k, p in released.items()} == {
        "ontology": f"rnet-{v}.owl", "module": f"rnet-app-{v}.owl", "turtle": f"rnetkg-{v}.ttl",
        "jsonld": f"rnetkg-{v}.jsonld", "page": "ontology.html", "module_page": "ontology-app.html",
        "licences": "LICENSES.md", "checksums": "SHA256SUMS"}
    assert sorted(p.name for p in released["ontology"].parent.iterdir()) == sorted(p.name for p in released.values())


def test_the_ontology_as_rdfxml_is_the_ontology(released):
    ours = rdflib.Graph().parse(released["ontology"], format="xml")
    edited = rdflib.Graph().parse(paths.ontology_file(), format="turtle")
    assert len(ours) == len(edited) > 1000
    assert isomorphic(ours, edited)
    v = release.project_version()
    assert _version_of(ours) == (v, f"{ONTOLOGY_IRI}/{v}")
    head = released["ontology"].read_text(encoding="utf-8")[:2000]
    assert head.startswith("<?xml") and 'xmlns:rnet="https://w3id.org/rnetkg/ontology#"' in head


def test_the_module_as_rdfxml_is_the_module_and_imports_the_ontology(released):
    ours = rdflib.Graph().parse(released["module"], format="xml")
    edited = rdflib.Graph().parse(paths.app_module_file(), format="turtle")
    assert len(ours) == len(edited) > 200
    assert isomorphic(ours, edited)
    app = rdflib.URIRef(APP_MODULE_IRI)
    assert set(ours.objects(app, OWL.imports)) == {rdflib.URIRef(ONTOLOGY_IRI)}
    v = release.project_version()
    assert (str(ours.value(app, OWL.versionInfo)), str(ours.value(app, OWL.versionIRI))) == (v, f"{APP_MODULE_IRI}/{v}")


@pytest.mark.parametrize("kind,fmt", [("turtle", "turtle"), ("jsonld", "json-ld")])
def test_the_whole_graph_parses_back_to_the_loaded_graph(released, loaded, kind, fmt):
    """The loaded graph but one triple: the module's import of the ontology, which the same document holds
    (an OWL tool would fetch rnet-V.owl and find a second ontology of the same IRI)."""
    ours = rdflib.Graph().parse(released[kind], format=fmt)
    drop = release.whole_graph_drop()
    assert drop in loaded and drop not in ours and not list(ours.triples((None, OWL.imports, None)))
    expected = rdflib.Graph()
    for t in loaded:
        if t != drop:
            expected.add(t)
    assert len(ours) == len(loaded) - 1 > 5000
    assert to_isomorphic(_canonical(ours)) == to_isomorphic(_canonical(expected))
    v = release.project_version()
    assert _version_of(ours) == (v, f"{ONTOLOGY_IRI}/{v}")
    # the derived recommendations are part of the release, as they are of the loaded graph
    derived = set(ours.subjects(rdflib.RDF.type, rdflib.URIRef(RNET + "DerivedRecommendation")))
    assert len(derived) == len(set(loaded.subjects(rdflib.RDF.type, rdflib.URIRef(RNET + "DerivedRecommendation")))) > 0


def test_the_turtle_uses_prefixes(released):
    text = released["turtle"].read_text(encoding="utf-8")
    assert "@prefix rnet: <https://w3id.org/rnetkg/ontology#> ." in text
    assert "@prefix nccn-2025: <https://w3id.org/rnetkg/kg/nccn-2025/> ." in text
    assert "\nnccn-2025:rec-t1 a rnet:ManagementRecommendation" in text


def test_the_jsonld_carries_its_context_inline(released):
    import json

    doc = json.loads(released["jsonld"].read_text(encoding="utf-8"))
    assert doc["@context"]["rnet"] == RNET
    assert any(node.get("@id") == "nccn-2025:rec-t1" for node in doc["@graph"])


def test_the_checksums_match(released):
    lines = released["checksums"].read_text(encoding="ascii").splitlines()
    assert len(lines) == 7
    for line in lines:
        digest, name = line.split("  ")
        assert hashlib.sha256((released["checksums"].parent / name).read_bytes()).hexdigest() == digest


def test_a_version_mismatch_is_one_line_and_writes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(release, "project_version", lambda: "9.9.9")
    out = tmp_path / "rel"
    assert release_cli.main(["release", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and len(err) <= 300
    assert "version mismatch" in err and "9.9.9" in err and "0.1.0" in err
    assert not out.exists()
