"""Publishing: the ontology reference page (pyLODE) and the release files.

    python -m rnetkg.cli.release docs [--out docs/ontology.html] [--data-model docs/data-model.md]
    python -m rnetkg.cli.release release [--out out/release]

`docs` renders the domain ontology ontology/rnet.ttl with pyLODE's OntPub profile into one self-contained
HTML page (its CSS inline, no script or style loaded from elsewhere), the application module
ontology/rnet-app.ttl into a second one beside it (ontology-app.html), and rewrites the generated lists of
docs/data-model.md (between its `<!-- generated: NAME -->` and `<!-- /generated: NAME -->` markers)
from the graph. Both outputs depend only on their inputs: no date, no path, no random order, so the
committed copies can be tested up to date.

`release` writes, for version V of rnetkg (rnetkg.__version__, which pyproject.toml reads; it must equal the
owl:versionInfo of the ontology and of its application module, and the last segment of each one's
owl:versionIRI):

    rnet-V.owl          the domain ontology alone as RDF/XML (opens in Protégé)
    rnet-app-V.owl      the application module as RDF/XML; it imports the domain ontology by its IRI
                        (https://w3id.org/rnetkg/ontology, which w3id redirects to rnet-V.owl)
    rnetkg-V.ttl        the whole graph as loaded (ontology + module + kg + derived triples, without the
                        module's import of the ontology, which the same document holds), Turtle
    rnetkg-V.jsonld     the same graph as JSON-LD
    ontology.html       the domain ontology's reference page of `make docs` (docs/ontology.html), copied
    ontology-app.html   the application module's page (docs/ontology-app.html), copied
    LICENSES.md         the licence of each part: the ontology's and the module's, the instance data's
                        (kg/dataset.ttl) and, for each source article the graph quotes, its licence and
                        rights statement as the article states them
    SHA256SUMS          checksums of the seven files

w3id/.htaccess redirects https://w3id.org/rnetkg/ to these files by content negotiation.

Each file carries the version in the ontology header it contains. Library functions raise
ReleaseError with a one-line message; they never print (rnetkg.cli.release does).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from . import paths
from .namespaces import APP_MODULE_IRI, DATASET_IRI, DCAT, DCTERMS, KG, ONTOLOGY_IRI, OWL, PREFIXES, RDF, RDFS, RNET


class ReleaseError(RuntimeError):
    """A release or documentation build that cannot be made: a one-line message."""


# ---------------------------------------------------------------- version

def project_version() -> str:
    """rnetkg's version (rnetkg.__version__, which pyproject.toml reads)."""
    from . import __version__

    return __version__


def ontology_version(path: Path | None = None, iri: str = ONTOLOGY_IRI) -> tuple[str | None, str | None]:
    """(owl:versionInfo, owl:versionIRI) of the header ``iri`` in ``path`` (default: the domain ontology's)."""
    import pyoxigraph as ox

    store = ox.Store()
    store.load(path=str(path or paths.ontology_file()), format=ox.RdfFormat.TURTLE)
    onto = ox.NamedNode(iri)
    info = next(iter(store.quads_for_pattern(onto, ox.NamedNode(OWL + "versionInfo"), None)), None)
    viri = next(iter(store.quads_for_pattern(onto, ox.NamedNode(OWL + "versionIRI"), None)), None)
    return (info.object.value if info else None, viri.object.value if viri else None)


def checked_version() -> str:
    """The one version, after checking that rnetkg.__version__, the ontology header and the application
    module's header agree."""
    version = project_version()
    for path, iri in ((paths.ontology_file(), ONTOLOGY_IRI), (paths.app_module_file(), APP_MODULE_IRI)):
        info, viri = ontology_version(path, iri)
        expected_iri = f"{iri}/{version}"
        if info != version or viri != expected_iri:
            raise ReleaseError(f"release: version mismatch: rnetkg (src/rnetkg/__init__.py) says {version}, "
                               f"ontology/{path.name} has owl:versionInfo {info!r} and owl:versionIRI {viri!r} "
                               f"(expected {expected_iri})")
    return version


# ---------------------------------------------------------------- ontology reference page

def ontology_html(path: Path | None = None) -> str:
    """docs/ontology.html: pyLODE's OntPub page of the domain ontology ontology/rnet.ttl (or of ``path``:
    docs/ontology-app.html is the application module's), subjects sorted."""
    import logging

    import rdflib

    # importing pyLODE calls logging.basicConfig(level=DEBUG) (its supermodel loader): undo that
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    from pylode import OntPub

    root.setLevel(level)
    for h in root.handlers[:]:
        if h not in handlers:
            root.removeHandler(h)
    g = rdflib.Graph(bind_namespaces="core")
    g.parse(path or paths.ontology_file(), format="turtle")
    html = OntPub(g, sort_subjects=True).make_html(include_css=True)
    return html if html.endswith("\n") else html + "\n"


def external_loads(html: str) -> list[str]:
    """Resources the page would fetch when opened (scripts, style sheets, images, frames, CSS url()),
    other than data: URIs and links within the page."""
    found = re.findall(r"<(?:script|img|iframe|embed|source|audio|video)\b[^>]*\bsrc\s*=\s*[\"']([^\"']+)", html, re.I)
    found += [m.group(2) for m in re.finditer(r"<link\b([^>]*)\bhref\s*=\s*[\"']([^\"']+)", html, re.I)]
    found += re.findall(r"url\(\s*[\"']?([^\"')]+)", html)
    found += re.findall(r"@import\s+[\"']([^\"']+)", html)
    return sorted({u for u in found if not u.startswith(("data:", "#"))})


# ---------------------------------------------------------------- generated lists of data-model.md

GENERATED = re.compile(r"(<!-- generated: (?P<name>[a-z-]+) -->\n)(?P<body>.*?)(<!-- /generated: (?P=name) -->)", re.S)


def _curie(iri: str) -> str:
    if iri.startswith(KG):
        return "kg:" + iri[len(KG):]
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and ns != KG:
            return f"{prefix}:{iri[len(ns):]}"
    return f"<{iri}>"


def enumerations_markdown(engine=None) -> str:
    """One table per enumerated class of the ontology (decision points, modalities, profile fields,
    grades, T categories, depths, nodal and margin statuses): IRI, key, label."""
    from . import queries
    from .engine import StoreEngine

    engine = engine or StoreEngine()
    rows = engine.select(queries.get("enumerations").text)
    out: list[str] = []
    current = None
    for r in rows:
        if r["class"] != current:
            current = r["class"]
            if out:
                out.append("")
            out += [f"**{r['classLabel']}** (`{_curie(r['class'])}`)", "",
                    "| IRI | key | label |", "|---|---|---|"]
        out.append(f"| `{_curie(r['member'])}` | `{r['key']}` | {r['label']} |")
    return "\n".join(out) + "\n"


GENERATORS = {"enumerations": enumerations_markdown}


def fill_generated(text: str) -> str:
    """The markdown with every generated block rewritten from the graph."""
    def repl(m: re.Match) -> str:
        name = m.group("name")
        if name not in GENERATORS:
            raise ReleaseError(f"docs: unknown generated block {name!r}; known: {', '.join(GENERATORS)}")
        return m.group(1) + GENERATORS[name]() + m.group(4)
    return GENERATED.sub(repl, text)


def _write_atomic(dest: Path, data: bytes) -> None:
    """One release or documentation file, through the safe writer (outputs.write_atomic)."""
    from .errors import UsageError
    from .outputs import write_atomic

    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(dest, [data], "release")
    except UsageError as e:
        raise ReleaseError(str(e)) from None
    except OSError as e:
        raise ReleaseError(f"release {dest}: cannot write: {e.strerror or e}") from None


def module_page(html_dest: Path) -> Path:
    """The application module's page beside the ontology's: docs/ontology.html -> docs/ontology-app.html."""
    return html_dest.with_name(f"{html_dest.stem}-app{html_dest.suffix}")


def build_docs(html_dest: Path, data_model: Path | None = None) -> list[Path]:
    """Write the ontology page and the application module's page beside it, and refresh the generated
    blocks of the data-model guide."""
    written = []
    for dest, source in ((html_dest, paths.ontology_file()), (module_page(html_dest), paths.app_module_file())):
        html = ontology_html(source)
        loads = external_loads(html)
        if loads:
            raise ReleaseError(f"docs: the pyLODE page of {source.name} would load {loads[0]} from elsewhere; "
                               "it must be self-contained")
        _write_atomic(dest, html.encode("utf-8"))
        written.append(dest)
    if data_model is not None:
        text = data_model.read_text(encoding="utf-8")
        new = fill_generated(text)
        if new != text:
            _write_atomic(data_model, new.encode("utf-8"))
        written.append(data_model)
    return written


# ---------------------------------------------------------------- release files

def release_names(version: str) -> dict[str, str]:
    return {"ontology": f"rnet-{version}.owl", "module": f"rnet-app-{version}.owl", "turtle": f"rnetkg-{version}.ttl",
            "jsonld": f"rnetkg-{version}.jsonld", "page": "ontology.html", "module_page": "ontology-app.html",
            "licences": "LICENSES.md"}


def _values(store, subject, predicate) -> list[str]:
    import pyoxigraph as ox

    return sorted(q.object.value for q in store.quads_for_pattern(subject, ox.NamedNode(predicate), None))


def _one(store, subject, predicate, what: str) -> str:
    values = _values(store, subject, predicate)
    if len(values) != 1:
        raise ReleaseError(f"release: {what} needs exactly one {_curie(predicate)}, found {len(values)}")
    return values[0]


def _ontology_page(name: str) -> bytes:
    root = paths.checkout_root()
    page = root / "docs" / name if root is not None else None
    if page is None or not page.is_file():
        raise ReleaseError(f"release: docs/{name} not found: run `make docs` in a checkout first")
    return page.read_bytes()


def licence_notice(store, version: str) -> str:
    """LICENSES.md of a release: each part's licence as the graph states it. A source document with
    neither a dcterms:license nor a dcterms:rights statement is an error, as is a dataset header whose
    version is not the release's."""
    import pyoxigraph as ox

    onto, module, dataset = ox.NamedNode(ONTOLOGY_IRI), ox.NamedNode(APP_MODULE_IRI), ox.NamedNode(DATASET_IRI)
    if not _values(store, dataset, RDF + "type"):
        raise ReleaseError(f"release: the instance data has no dataset header <{DATASET_IRI}> (kg/dataset.ttl)")
    data_version = _one(store, dataset, DCAT + "version", "the dataset header")
    if data_version != version:
        raise ReleaseError(f"release: kg/dataset.ttl says dcat:version {data_version!r}, rnetkg {version}")
    lines = [f"# Licences of rnetkg {version}", "",
             f"- `rnet-{version}.owl` (the ontology): {_one(store, onto, DCTERMS + 'license', 'the ontology header')}",
             f"- `rnet-app-{version}.owl` (its application module): "
             f"{_one(store, module, DCTERMS + 'license', 'the application module header')}",
             f"- `rnetkg-{version}.ttl`, `rnetkg-{version}.jsonld` (the whole graph, with the instance data): "
             f"{_one(store, dataset, DCTERMS + 'license', 'the dataset header')}", "",
             _one(store, dataset, DCTERMS + "rights", "the dataset header"), "",
             "## Sources quoted", ""]
    sources = sorted({q.subject.value for q in store.quads_for_pattern(
        None, ox.NamedNode(RDF + "type"), ox.NamedNode(RNET + "SourceDocument"))})
    for iri in sources:
        node = ox.NamedNode(iri)
        licences, rights = _values(store, node, DCTERMS + "license"), _values(store, node, DCTERMS + "rights")
        if not licences and not rights:
            raise ReleaseError(f"release: source {_curie(iri)} states neither dcterms:license nor dcterms:rights")
        label = ", ".join(_values(store, node, RDFS + "label")) or _curie(iri)
        doi = ", ".join(f"https://doi.org/{d}" for d in _values(store, node, RNET + "doi"))
        lines.append(f"### {label}")
        lines.append("")
        lines.append(f"- IRI: {iri}" + (f"; DOI: {doi}" if doi else ""))
        lines.append(f"- licence: {', '.join(licences) if licences else 'none stated in the article text'}")
        lines.extend(f"- as the article states it: \"{r}\"" for r in rights)
        lines.append("")
    lines += ["## How to cite", "", _one(store, dataset, DCTERMS + "bibliographicCitation", "the dataset header"), ""]
    return "\n".join(lines)


def graph_prefixes(iris) -> dict[str, str]:
    """The project's prefixes plus one per folder of the instance data that the graph uses
    (``nccn-2025:`` for ``https://w3id.org/rnetkg/kg/nccn-2025/``), so that Turtle and JSON-LD show
    short names; the kg: prefix itself is left out (a local name may not contain a slash)."""
    out = {p: ns for p, ns in PREFIXES.items() if ns != KG}
    for iri in iris:
        if iri.startswith(KG) and "/" in iri[len(KG):]:
            folder = iri[len(KG):].split("/", 1)[0]
            if re.fullmatch(r"[A-Za-z][A-Za-z0-9\-]*[A-Za-z0-9]", folder) and folder not in out:
                out[folder] = f"{KG}{folder}/"
    return dict(sorted(out.items()))


def whole_graph_drop():
    """The triple the whole graph's files leave out: the application module's import of the domain
    ontology, which the same document holds."""
    import rdflib

    from .namespaces import APP_MODULE_IRI, ONTOLOGY_IRI

    return (rdflib.URIRef(APP_MODULE_IRI), rdflib.OWL.imports, rdflib.URIRef(ONTOLOGY_IRI))


def build_release(outdir: Path) -> dict[str, Path]:
    """Write the release files into outdir (created if needed); returns them by kind."""
    import pyoxigraph as ox
    import rdflib

    from . import graph

    version = checked_version()
    names = release_names(version)

    whole = graph.load_store()
    prefixes = graph_prefixes(q.subject.value for q in whole if isinstance(q.subject, ox.NamedNode))

    # the ontology and its application module as RDF/XML for Protégé (pyoxigraph writes plain RDF/XML, lists
    # as rdf:first/rest); the module imports the ontology by its IRI, which w3id redirects to rnet-V.owl
    files = {}
    for kind, source in (("ontology", paths.ontology_file()), ("module", paths.app_module_file())):
        part = ox.Store()
        part.load(path=str(source), format=ox.RdfFormat.TURTLE)
        files[kind] = part.dump(format=ox.RdfFormat.RDF_XML, from_graph=ox.DefaultGraph(),
                                prefixes={p: ns for p, ns in PREFIXES.items() if ns != KG})
    # the whole graph through rdflib, whose Turtle and JSON-LD writers sort subjects and use the prefixes
    g = rdflib.Graph(bind_namespaces="none")
    for p, ns in prefixes.items():
        g.bind(p, ns)
    g.parse(data=whole.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()), format="nt")
    if len(g) != len(whole):
        raise ReleaseError(f"release: {len(whole)} triples loaded but {len(g)} converted")
    # one document holds the ontology and the module: the module's import of the ontology is dropped there
    # (an OWL tool would fetch rnet-V.owl and find a second ontology of the same IRI)
    g.remove(whole_graph_drop())
    files["turtle"] = g.serialize(format="turtle", encoding="utf-8")
    files["jsonld"] = g.serialize(format="json-ld", context=prefixes, indent=1, encoding="utf-8")
    page_dest = outdir / names["page"]
    if page_dest.resolve() == (paths.checkout_root() or outdir).joinpath("docs", "ontology.html").resolve():
        raise ReleaseError(f"release: --out {outdir} would overwrite docs/ontology.html, one of its inputs: "
                           "choose another folder")
    files["page"] = _ontology_page(names["page"])
    files["module_page"] = _ontology_page(names["module_page"])
    files["licences"] = licence_notice(whole, version).encode("utf-8")

    outdir.mkdir(parents=True, exist_ok=True)  # only once every file is ready: a failure writes nothing
    written: dict[str, Path] = {}
    for kind, data in files.items():
        dest = outdir / names[kind]
        _write_atomic(dest, data)
        written[kind] = dest
    sums = "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in written.values())
    _write_atomic(outdir / "SHA256SUMS", sums.encode("ascii"))
    written["checksums"] = outdir / "SHA256SUMS"
    return written
