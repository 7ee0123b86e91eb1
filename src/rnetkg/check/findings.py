"""A finding of a check: what kind, how severe, about which node, and why."""

from __future__ import annotations

from dataclasses import asdict, dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Finding:
    """One finding. ``severity`` is ``error`` (a defect of the graph) or ``warning`` (a property
    of the source that the graph records faithfully, or advice). ``subject`` is the IRI of the
    node the finding is about; ``message`` says what is wrong and names the values."""

    kind: str
    severity: str
    subject: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)
