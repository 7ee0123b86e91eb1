"""Issue 27, item 5: each source's licence on what is quoted from it, the instance data's dcat:Dataset
header, the licences in the release, and the w3id redirects (content negotiation) to the release files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import DCTERMS, OWL, RDF, SKOS

from rnetkg import graph, paths, release
from rnetkg.cli import release as release_cli
from rnetkg.namespaces import DATASET_IRI, ONTOLOGY_IRI

ROOT = Path(__file__).resolve().parents[1]
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
VANN = rdflib.Namespace("http://purl.org/vocab/vann/")
SRC = rdflib.Namespace("https://w3id.org/rnetkg/kg/source/")
BY_NC = rdflib.URIRef("https://creativecommons.org/licenses/by-nc/4.0/")
DATASET = rdflib.URIRef(DATASET_IRI)


@pytest.fixture(scope="module")
def kg():
    g = rdflib.Graph()
    for f in paths.kg_files():
        g.parse(f)
    return g


def _seed(prefix: str) -> str:
    folder = paths.seeds_dir()
    if folder is None:
        pytest.skip("the seed articles are not on this machine")
    return next(folder.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


def test_issue27_seed_001_licence_is_recorded_as_the_article_states_it(kg):
    node = SRC["wjg-2025-114263"]
    assert set(kg.objects(node, DCTERMS.license)) == {BY_NC}
    (rights,) = kg.objects(node, DCTERMS.rights)
    assert str(rights) in _seed("001").splitlines()
    assert "Creative Commons Attribution Non Commercial (CC BY-NC 4.0) license" in str(rights)


def test_issue27_seed_000_rights_are_its_copyright_line_and_no_licence(kg):
    node = SRC["wjgo-2026-114818"]
    assert set(kg.objects(node, DCTERMS.license)) == set()
    assert [str(r) for r in kg.objects(node, DCTERMS.rights)] == ["Copyright ©The Author(s) 2026."]
    assert "Copyright ©The Author(s) 2026." in _seed("000").splitlines()
    assert not re.search(r"creative commons|licen[cs]e", _seed("000"), re.I)


def test_issue27_dataset_header(kg):
    assert (DATASET, RDF.type, DCAT.Dataset) in kg
    assert kg.value(DATASET, DCTERMS.license) == BY_NC
    assert str(kg.value(DATASET, DCAT.version)) == str(kg.value(DATASET, OWL.versionInfo)) == release.project_version()
    assert set(kg.objects(DATASET, DCTERMS.source)) == {SRC["wjgo-2026-114818"], SRC["wjg-2025-114263"]}
    assert set(kg.objects(DATASET, DCTERMS.source)) == set(kg.subjects(RDF.type, rdflib.URIRef(
        "https://w3id.org/rnetkg/ontology#SourceDocument")))
    creator = kg.value(DATASET, DCTERMS.creator)
    assert str(kg.value(creator, rdflib.RDFS.label)) == "rnetkg maintainers"
    assert str(kg.value(DATASET, VANN.preferredNamespacePrefix)) == "kg"
    assert str(kg.value(DATASET, VANN.preferredNamespaceUri)) == "https://w3id.org/rnetkg/kg/"
    assert str(kg.value(DATASET, SKOS.note)) == "First release: no prior version."
    citation = str(kg.value(DATASET, DCTERMS.bibliographicCitation))
    assert f"version {release.project_version()}" in citation and DATASET_IRI in citation
    assert "10.3748/wjg.v31.i44.114263" in citation and "10.4251/wjgo.v18.i1.114818" in citation


@pytest.fixture(scope="module")
def notice():
    return release.licence_notice(graph.load_store(), release.project_version())


def test_issue27_release_licences_name_each_part_and_each_source(notice):
    v = release.project_version()
    assert f"- `rnet-{v}.owl` (the ontology): https://creativecommons.org/licenses/by/4.0/" in notice
    assert f"- `rnet-app-{v}.owl` (its application module): https://creativecommons.org/licenses/by/4.0/" in notice
    assert (f"- `rnetkg-{v}.ttl`, `rnetkg-{v}.jsonld` (the whole graph, with the instance data): "
            "https://creativecommons.org/licenses/by-nc/4.0/") in notice
    seed001 = notice.split("### Hu D, Yu J")[1].split("###")[0]
    assert "- licence: https://creativecommons.org/licenses/by-nc/4.0/" in seed001
    assert "DOI: https://doi.org/10.3748/wjg.v31.i44.114263" in seed001
    seed000 = notice.split("### World J Gastrointest Oncol")[1].split("##")[0]
    assert "- licence: none stated in the article text" in seed000
    assert '- as the article states it: "Copyright ©The Author(s) 2026."' in seed000


def test_issue27_release_writes_the_licences_file(tmp_path, notice):
    written = release.build_release(tmp_path / "rel")
    assert written["licences"].read_text(encoding="utf-8") == notice
    assert written["page"].read_bytes() == (ROOT / "docs" / "ontology.html").read_bytes()


def test_issue27_a_source_without_licence_or_rights_stops_the_release(tmp_path, monkeypatch, capsys):
    extra = tmp_path / "extra.ttl"
    extra.write_text("<https://w3id.org/rnetkg/kg/source/unlicensed> a "
                     "<https://w3id.org/rnetkg/ontology#SourceDocument> .\n", encoding="utf-8")
    monkeypatch.setenv(paths.EXTRA_KG_ENV, str(extra))
    out = tmp_path / "rel"
    assert release_cli.main(["release", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == ("rnetkg: release: source kg:source/unlicensed states neither dcterms:license "
                   "nor dcterms:rights\n")
    assert not out.exists()


def test_issue27_release_into_docs_would_overwrite_its_input_page(capsys):
    page = ROOT / "docs" / "ontology.html"
    before = page.read_bytes()
    assert release_cli.main(["release", "--out", str(ROOT / "docs")]) == 2
    err = capsys.readouterr().err
    assert err == (f"rnetkg: release: --out {ROOT / 'docs'} would overwrite docs/ontology.html, one of its "
                   "inputs: choose another folder\n")
    assert page.read_bytes() == before
    assert not (ROOT / "docs" / "LICENSES.md").exists()


def test_issue27_readme_states_the_source_licences():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    licence = text.split("## License", 1)[1]
    assert "**CC BY-NC 4.0**" in licence and "Copyright ©The Author(s) 2026." in licence
    assert "are distributed under CC BY-NC 4.0: non-commercial use only" in licence


# ---------------------------------------------------------------- w3id redirects

HTACCESS = ROOT / "w3id" / ".htaccess"


def redirect(path: str, accept: str) -> str | None:
    """Where the rules of w3id/.htaccess send GET /rnetkg/<path> with this Accept header: a small
    reading of the mod_rewrite subset the file uses (RewriteCond on HTTP_ACCEPT, all of them ANDed;
    RewriteRule with $n and %{ENV:...}; [E=...] and [L])."""
    env: dict[str, str] = {}
    conds: list[re.Pattern] = []
    for line in HTACCESS.read_text(encoding="utf-8").splitlines():
        words = line.split()
        if not words or words[0].startswith("#") or words[0] in ("Options", "RewriteEngine"):
            continue
        if words[0] == "RewriteCond":
            assert words[1] == "%{HTTP_ACCEPT}" and words[3] == "[NC]", line
            conds.append(re.compile(words[2], re.I))
            continue
        assert words[0] == "RewriteRule", line
        pattern, target, flags = words[1], words[2], words[3]
        ok, conds = all(c.search(accept) for c in conds), []
        m = re.search(pattern, path)
        if not (ok and m):
            continue
        env_set = re.fullmatch(r"\[E=(\w+):(\S+)\]", flags)
        if env_set:
            env[env_set.group(1)] = env_set.group(2)
            continue
        out = re.sub(r"%\{ENV:(\w+)\}", lambda e: env[e.group(1)], target)
        out = re.sub(r"\$(\d)", lambda g: m.group(int(g.group(1))) or "", out)
        assert "R=303" in flags and "L" in flags
        return out
    return None


@pytest.mark.parametrize("path,accept,name", [
    ("ontology", "text/html,application/xhtml+xml", "ontology.html"),
    ("ontology", "application/rdf+xml", "rnet-{v}.owl"),
    ("ontology", "*/*", "rnet-{v}.owl"),
    ("ontology/{v}", "application/rdf+xml", "rnet-{v}.owl"),
    ("ontology/{v}", "text/html", "ontology.html"),
    # the application module (ontology/rnet-app.ttl) has an IRI of its own, which its RDF/XML imports the ontology from
    ("ontology/app", "text/html", "ontology-app.html"),
    ("ontology/app", "*/*", "rnet-app-{v}.owl"),
    ("ontology/app/", "application/rdf+xml", "rnet-app-{v}.owl"),
    ("ontology/app/{v}", "application/rdf+xml", "rnet-app-{v}.owl"),
    ("ontology/app/{v}", "text/html", "ontology-app.html"),
    ("kg/dataset", "text/turtle", "rnetkg-{v}.ttl"),
    ("kg/nccn-2025/rec-t1", "*/*", "rnetkg-{v}.ttl"),
    ("kg/dataset", "application/ld+json", "rnetkg-{v}.jsonld"),
    ("kg/dataset", "application/rdf+xml", "rnet-{v}.owl"),
    ("kg/dataset", "text/html", "ontology.html"),
    ("licenses", "*/*", "LICENSES.md"),
])
def test_issue27_w3id_negotiates_the_release_files(path, accept, name):
    v = release.project_version()
    target = redirect(path.format(v=v), accept)
    assert target is not None and target.endswith(f"/{v}/{name.format(v=v)}"), target
    assert name.format(v=v) in release.release_names(v).values()


def test_issue27_w3id_latest_is_this_version_and_targets_are_release_files():
    v = release.project_version()
    text = HTACCESS.read_text(encoding="utf-8")
    targets = re.findall(r"^RewriteRule \S+ %\{ENV:RNETKG_FILES\}/(\S+) ", text, re.M)
    assert targets
    names = set(release.release_names("$1").values()) | set(release.release_names(v).values())
    for t in targets:
        folder, name = t.split("/", 1)
        assert folder in (v, "$1") and name in names, t
    assert redirect("nothing-here", "*/*") is None
