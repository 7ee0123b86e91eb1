"""What reading FHIR gives and raises: the error (one line naming the resource), the profile read, and
one resource with where it came from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import RnetkgError


class FhirError(RnetkgError, ValueError):
    """FHIR input that cannot make a profile: one line naming the resource and what is wrong."""

    def __init__(self, where: str, message: str, line: int | None = None):
        text = f"{where}: {message}"
        if len(text) > 300:
            text = text[:297] + "..."
        super().__init__(text)
        self.where = where
        self.line = line


@dataclass(frozen=True)
class FhirProfile:
    """A profile read from FHIR: the profile JSON dict, the assumptions made reading it, the patient."""

    profile: dict[str, Any]
    assumptions: tuple[str, ...] = ()
    patient: str | None = None


@dataclass
class Source:
    """One FHIR resource to read, with where it came from (for messages)."""

    resource: dict[str, Any]
    where: str = ""            # e.g. "Observation.ndjson:12"; empty for a bundle entry
    line: int | None = None
    full_url: str | None = None
