"""FHIR R4 in and out: a Bundle or a bulk-data export folder -> rnetkg case profiles, and back.

Importing this package is cheap: the FHIR library (fhirclient's R4 models) is imported only when FHIR
input is read. Codes and their sources: docs/fhir.md.
"""

from .bulk import BulkEntry, read_bulk
from .read import FhirError, FhirProfile, is_fhir, profile_from_bundle, read_bundle
from .write import bundle_from_profile

__all__ = ["BulkEntry", "FhirError", "FhirProfile", "bundle_from_profile", "is_fhir", "profile_from_bundle",
           "read_bulk", "read_bundle"]
