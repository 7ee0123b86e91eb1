"""SHACL validation of the ontology and the instance data.

``validate()`` loads the ontology, the instance data (``kg/``) and the full text of the seed
articles into one data graph, runs pySHACL (SHACL-SPARQL enabled, no inference) with every file
in ``shapes/``, and returns the results as findings:

- kind ``quote_not_in_source`` for the quote check, ``statistic_mismatch`` for the arithmetic
  check (both identified by the IRI of their shape), ``shacl`` for every other shape; the
  arithmetic shape leaves out a figure whose stated denominator another figure shares when both
  fit another denominator in common: that slip is the stated population's, and the denominator
  check reports it once (``denominator_mismatch``);
- severity ``error`` for ``sh:Violation``, ``warning`` for ``sh:Warning`` and ``sh:Info``.

The seed texts are not part of ``kg/``: for every ``rnet:SourceDocument`` whose
``dcterms:identifier`` names a seed file (``<seeds>/<identifier>.txt``) the data graph gets a
triple ``<document> rnet:fullText "..."`` at validation time. When the seeds folder cannot be
found, the quote check is switched off and one error says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import pyshacl
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, SH
from rdflib.plugins.sparql import prepareQuery

from .. import namespaces, paths
from .findings import ERROR, WARNING, Finding

RNET = Namespace(namespaces.RNET)
DCTERMS = Namespace(namespaces.DCTERMS)
# The namespace of the shapes in shapes/ (declared there as rnetsh:).
SHAPES = Namespace(namespaces.SHAPES)

FULL_TEXT = URIRef(namespaces.RNET + "fullText")
QUOTE_SHAPE = SHAPES["SourceExcerptShape-quoteInSource"]
ARITHMETIC_SHAPE = SHAPES["ReportedFigureShape-percentageMatchesCount"]

KIND_BY_SHAPE = {
    QUOTE_SHAPE: "quote_not_in_source",
    ARITHMETIC_SHAPE: "statistic_mismatch",
}
SEVERITY = {SH.Violation: ERROR, SH.Warning: WARNING, SH.Info: WARNING}
_SEVERITY_ORDER = {ERROR: 0, WARNING: 1}
_MAX_VALUE_CHARS = 80


def validate(extra_data: Sequence[Path] | None = None, data_files: Iterable[Path] | None = None, *,
             seeds: Path | None = None) -> list[Finding]:
    """Validate ontology + instance data (+ ``extra_data``) against ``shapes/``.

    ``data_files`` replaces the instance data (default: every file of ``kg/``); ``extra_data``
    adds files to it (a case profile, a test fixture). ``seeds`` is the folder of seed
    articles (default: ``paths.seeds_dir()``). Returns the findings sorted by severity, kind,
    subject and message; an empty list means the graph conforms.
    """
    findings: list[Finding] = []
    files = list(paths.kg_files() if data_files is None else data_files) + list(extra_data or [])

    data = _PreparedQueryGraph()
    for prefix, iri in namespaces.PREFIXES.items():
        data.bind(prefix, iri)
    _parse_into(data, [*paths.ontology_files(), *files], findings)

    shapes = Graph()
    _parse_into(shapes, paths.shape_files(), findings)

    if seeds is None:
        seeds = paths.seeds_dir()
    if seeds is None or not Path(seeds).is_dir():
        # Without the seed texts every quote would fail: one clear error instead.
        shapes.add((QUOTE_SHAPE, SH.deactivated, Literal(True)))
        findings.append(Finding(
            kind="seeds_not_found",
            severity=ERROR,
            subject=str(QUOTE_SHAPE),
            message=f"Cannot find the folder of seed articles{f' {seeds}' if seeds else ''} (set $RNETKG_SEEDS, "
                    "or put it at ../shared/seeds beside the checkout): no quote was checked against its source.",
        ))
    else:
        add_seed_texts(data, Path(seeds))

    _conforms, results, _text = pyshacl.validate(
        data,
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        inplace=True,  # the data graph is ours and thrown away: no copy
        allow_warnings=True,
        abort_on_first=False,
    )
    findings.extend(_findings_from_report(results, data))
    return sorted(set(findings), key=lambda f: (_SEVERITY_ORDER.get(f.severity, 2), f.kind, f.subject, f.message))


class _PreparedQueryGraph(Graph):
    """An rdflib graph that parses each distinct SPARQL text once.

    pySHACL runs a SHACL-SPARQL constraint as one query per focus node, always with the same
    text and only ``$this`` bound differently; rdflib parses the text again on every call, and
    parsing took about 90 % of the validation time. Prepared queries bound with ``initBindings``
    give the same answers.
    """

    def __init__(self) -> None:
        super().__init__()
        self._prepared: dict[str, object] = {}

    def query(self, query_object, processor="sparql", result="sparql", initNs=None,  # noqa: N803
              initBindings=None, use_store_provided=True, **kwargs):  # noqa: N803
        if isinstance(query_object, str) and processor == "sparql" and not kwargs:
            prepared = self._prepared.get(query_object)
            if prepared is None:
                namespaces_ = dict(self.namespaces()) if initNs is None else initNs
                prepared = self._prepared[query_object] = prepareQuery(query_object, initNs=namespaces_)
            query_object = prepared
        return super().query(query_object, processor, result, initNs, initBindings, use_store_provided, **kwargs)


def add_seed_texts(graph: Graph, seeds: Path) -> None:
    """Add ``<doc> rnet:fullText "..."`` for each source document whose dcterms:identifier
    is the stem of a file ``<seeds>/<identifier>.txt``."""
    for doc in set(graph.subjects(RDF.type, RNET.SourceDocument)):
        for identifier in graph.objects(doc, DCTERMS.identifier):
            stem = str(identifier)
            if not stem or Path(stem).name != stem:
                continue
            seed = seeds / f"{stem}.txt"
            if seed.is_file():
                graph.add((doc, FULL_TEXT, Literal(seed.read_text(encoding="utf-8"))))


def _parse_into(graph: Graph, files: Iterable[Path], findings: list[Finding]) -> None:
    """Parse each Turtle file into ``graph``; a file that does not parse becomes one error
    (and adds nothing, so that half a file does not produce follow-on findings)."""
    for path in files:
        part = Graph()
        try:
            part.parse(path, format="turtle")
        except Exception as exc:  # rdflib raises several unrelated types for bad syntax
            findings.append(Finding("rdf_syntax_error", ERROR, str(path), f"Cannot parse {path.name}: {exc}"))
            continue
        for prefix, iri in part.namespaces():
            graph.bind(prefix, iri, override=False)
        graph += part


def _findings_from_report(results: Graph, data: Graph) -> list[Finding]:
    findings = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        shape = results.value(result, SH.sourceShape)
        focus = results.value(result, SH.focusNode)
        value = results.value(result, SH.value)
        severity = SEVERITY.get(results.value(result, SH.resultSeverity), ERROR)
        message = "; ".join(sorted(str(m) for m in results.objects(result, SH.resultMessage)))
        if not message:
            message = f"Fails {_show(shape, data)}."
        # SHACL-SPARQL messages name their values themselves; core ones get the value appended.
        if value is not None and value != focus and results.value(result, SH.sourceConstraint) is None:
            message = f"{message} Value: {_show(value, data)}."
        findings.append(Finding(
            kind=KIND_BY_SHAPE.get(shape, "shacl"),
            severity=severity,
            subject=_subject(focus),
            message=message,
        ))
    return findings


def _subject(node) -> str:
    if isinstance(node, BNode):
        return f"_:{node}"
    return str(node)


def _show(term, graph: Graph) -> str:
    """A short readable form of a term: a prefixed name, or a (shortened) literal with its datatype."""
    if isinstance(term, URIRef):
        try:
            return graph.namespace_manager.normalizeUri(term)
        except Exception:
            return f"<{term}>"
    if isinstance(term, Literal):
        text = str(term)
        if len(text) > _MAX_VALUE_CHARS:
            text = text[: _MAX_VALUE_CHARS - 3] + "..."
        shown = f'"{text}"'
        if term.language:
            return f"{shown}@{term.language}"
        if term.datatype is not None:
            return f"{shown}^^{_show(term.datatype, graph)}"
        return shown
    return _subject(term)
