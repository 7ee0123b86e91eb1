"""Cohorts: read (CSV, JSON Lines), validate and derive column-wise, evaluate (fast or SPARQL),
write atomically, and generate synthetic cohorts."""

from .generate import boundaries, boundary_values, generate
from .read import FORMATS, RawCohort, read_cohort
from .run import BATCH_SIZE, ENGINES, run_cohort
from .validate import Validated, columns, parse_rows, validate

__all__ = ["BATCH_SIZE", "ENGINES", "FORMATS", "RawCohort", "Validated", "boundaries", "boundary_values", "columns",
           "generate", "parse_rows", "read_cohort", "run_cohort", "validate"]
