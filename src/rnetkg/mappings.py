"""The standard codes of the ontology's terms, read from the SSSOM file mappings/rnetkg.sssom.tsv.

SSSOM TSV (https://mapping-commons.github.io/sssom/): a YAML metadata block whose lines start with
``#``, then one tab-separated mapping per line. Read with the standard library only: the metadata
block is the small, flat subset of YAML this project writes (``key: value`` lines and one nested
``curie_map``), so no YAML parser is needed.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from rnetkg import paths

REQUIRED_COLUMNS = ("subject_id", "predicate_id", "object_id", "mapping_justification")
PREDICATES = frozenset({"skos:exactMatch", "skos:closeMatch", "skos:broadMatch", "skos:narrowMatch",
                        "skos:relatedMatch"})


@dataclass(frozen=True)
class MappingSet:
    metadata: dict[str, object]
    rows: tuple[dict[str, str], ...]

    @property
    def curie_map(self) -> dict[str, str]:
        return dict(self.metadata.get("curie_map") or {})

    def expand(self, curie: str) -> str:
        prefix, sep, local = curie.partition(":")
        if not sep or prefix not in self.curie_map:
            raise ValueError(f"{curie!r}: prefix {prefix!r} is not in the curie_map")
        return self.curie_map[prefix] + local


def default_file() -> Path:
    root = paths.checkout_root()
    if root is None:
        raise FileNotFoundError("mappings/rnetkg.sssom.tsv is read from a checkout")
    return root / "mappings" / "rnetkg.sssom.tsv"


def _scalar(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def _metadata(lines: list[str]) -> dict[str, object]:
    meta: dict[str, object] = {}
    current: dict[str, str] | None = None
    for number, line in enumerate(lines, 1):
        body = line[1:].rstrip("\n")
        if not body.strip():
            continue
        if body.startswith("  ") and current is not None:
            key, sep, value = body.strip().partition(":")
            if not sep:
                raise ValueError(f"metadata line {number}: expected 'prefix: IRI', got {body.strip()!r}")
            current[key.strip()] = _scalar(value)
            continue
        key, sep, value = body.partition(":")
        if not sep:
            raise ValueError(f"metadata line {number}: expected 'key: value', got {body.strip()!r}")
        if value.strip():
            meta[key.strip()] = _scalar(value)
            current = None
        else:
            current = {}
            meta[key.strip()] = current
    return meta


def read(path: Path | None = None) -> MappingSet:
    """The mapping set of an SSSOM TSV file; a missing column, predicate or prefix is a ValueError."""
    path = Path(path) if path is not None else default_file()
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    head = [line for line in lines if line.startswith("#")]
    body = [line for line in lines if not line.startswith("#") and line.strip()]
    meta = _metadata(head)
    reader = csv.DictReader(body, delimiter="\t", quoting=csv.QUOTE_NONE)
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise ValueError(f"{path.name}: missing column(s) {', '.join(missing)}")
    rows = tuple(reader)
    mapping_set = MappingSet(meta, rows)
    for number, row in enumerate(rows, 2 + len(head)):
        if row["predicate_id"] not in PREDICATES:
            raise ValueError(f"{path.name}:{number}: predicate_id {row['predicate_id']!r}; "
                             f"allowed: {', '.join(sorted(PREDICATES))}")
        for column in ("subject_id", "object_id"):
            mapping_set.expand(row[column])
    return mapping_set
