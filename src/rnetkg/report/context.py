"""What a report names besides the answer, read once per engine from the graph: the guideline labels
(queries/guidelines.rq, via the criteria model), the modality labels (queries/modalities.rq), the
source documents the content comes from and the graph's version (queries/source-documents.rq)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import __version__, queries
from ..criteria.load import model_for


@dataclass(frozen=True)
class SourceDocument:
    iri: str
    doi: str
    label: str
    title: str
    citation: str
    year: int | None

    @property
    def url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""


@dataclass(frozen=True)
class ReportContext:
    """Labels of guideline keys and modality keys, the source documents (by DOI) and the versions."""

    guideline_labels: dict[str, str]
    modality_labels: dict[str, str]
    sources: tuple[SourceDocument, ...]
    graph_version: str
    rnetkg_version: str
    strategies: dict[str, str] = field(default_factory=dict)       # modality key -> strategy key
    strategy_labels: dict[str, str] = field(default_factory=dict)  # strategy key -> words

    def modality_words(self, keys: Any) -> list[str]:
        """Modality keys as words (the graph's labels), in the order given."""
        return [self.modality_labels.get(k, str(k).replace("_", " ")) for k in keys or ()]

    def strategy_words(self, key: str) -> str:
        return self.strategy_labels.get(key, key.replace("_", " "))

    def source(self, doi: str) -> SourceDocument | None:
        return next((s for s in self.sources if s.doi == doi), None)


def _year(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def load_context(engine) -> ReportContext:
    model = model_for(engine)
    rows = engine.select(queries.get("source-documents").text)
    docs: dict[str, SourceDocument] = {}
    versions = set()
    for r in rows:
        if r.get("graphVersion"):
            versions.add(str(r["graphVersion"]))
        if r["document"] in docs:
            continue
        docs[r["document"]] = SourceDocument(iri=r["document"], doi=r.get("doi") or "", label=r.get("label") or "",
                                             title=r.get("title") or "", citation=r.get("citation") or "",
                                             year=_year(r.get("year")))
    return ReportContext(guideline_labels={g.key: g.label for g in model.guidelines},
                         modality_labels=dict(model.modality_labels),
                         sources=tuple(docs.values()),
                         graph_version=", ".join(sorted(versions)) or "unknown",
                         rnetkg_version=__version__,
                         strategies=dict(model.strategies), strategy_labels=dict(model.strategy_labels))


def context_for(engine) -> ReportContext:
    """The report context of ``engine``'s graph, read once per engine."""
    return engine.cached("report-context", load_context)
