"""The codes rnetkg reads and writes in FHIR R4, in one table (docs/fhir.md gives the source of each).

Nothing here is imported from a FHIR library: the table is plain data, so that importing it is free.
"""

from __future__ import annotations

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
AJCC = "http://cancerstaging.org"
# The project's own code system: used only where no standard code was found (docs/fhir.md says which).
RNET = "https://w3id.org/rnetkg/fhir/CodeSystem/rnet"
RNET_DEPTH = "https://w3id.org/rnetkg/fhir/CodeSystem/invasion-depth"
PROFILE_ID_SYSTEM = "https://w3id.org/rnetkg/fhir/profile-id"

# -- Observation.code -> what it measures ------------------------------------------------------
TUMOUR_SIZE = (LOINC, "21889-1")
TUMOUR_SIZE_LONGEST = (LOINC, "33728-7")
# TNM category codes: field kind, staging type (rank: lower wins)
TNM_CODES: dict[tuple[str, str], tuple[str, str]] = {
    (LOINC, "21899-0"): ("T", "pathologic"),
    (LOINC, "21905-5"): ("T", "clinical"),
    (LOINC, "21911-3"): ("T", "other"),
    (LOINC, "21900-6"): ("N", "pathologic"),
    (LOINC, "21906-3"): ("N", "clinical"),
    (LOINC, "21912-1"): ("N", "other"),
    (LOINC, "21901-4"): ("M", "pathologic"),
    (LOINC, "21907-1"): ("M", "clinical"),
    (LOINC, "21913-9"): ("M", "other"),
}
STAGING_RANK = {"pathologic": 0, "clinical": 1, "other": 2}
AJCC_PREFIX = {"pathologic": "p", "clinical": "c"}

GRADE = (LOINC, "33732-9")
KI67 = (LOINC, "29593-1")
LVI_CODES = ((LOINC, "59544-7"), (SNOMED, "371512006"))
MITOTIC_COUNT = (RNET, "mitotic-count")
INVASION_DEPTH = (RNET, "invasion-depth")
MARGIN = (RNET, "margin")
ATYPICAL_SURFACE = (RNET, "atypical-surface")

# Observation.code -> profile field (TNM and size are handled apart)
FIELD_OF_CODE: dict[tuple[str, str], str] = {
    GRADE: "grade",
    KI67: "ki67_percent",
    LVI_CODES[0]: "lymphovascular_invasion",
    LVI_CODES[1]: "lymphovascular_invasion",
    MITOTIC_COUNT: "mitoses_per_2mm2",
    INVASION_DEPTH: "invasion_depth",
    MARGIN: "margin",
    ATYPICAL_SURFACE: "atypical_surface",
}

# -- values --------------------------------------------------------------------------------------
GRADE_VALUES: dict[tuple[str, str], str] = {
    (SNOMED, "54102005"): "G1",     # G1 grade (finding)
    (SNOMED, "1663004"): "G2",      # G2 grade (finding)
    (SNOMED, "61026006"): "G3",     # G3 grade (finding)
    (SNOMED, "1228848004"): "G1",   # American Joint Committee on Cancer grade G1 (qualifier value)
    (SNOMED, "1228850007"): "G2",   # American Joint Committee on Cancer grade G2 (qualifier value)
    (SNOMED, "1228851006"): "G3",   # American Joint Committee on Cancer grade G3 (qualifier value)
}
GRADE_WRITE = {"G1": (SNOMED, "54102005", "G1 grade (finding)"),
               "G2": (SNOMED, "1663004", "G2 grade (finding)"),
               "G3": (SNOMED, "61026006", "G3 grade (finding)")}
# mCODE's low/intermediate/high grades are not WHO 2019 NET grades: read as an error, not guessed.
THREE_TIER_GRADES = {(SNOMED, "1155708003"), (SNOMED, "1286893008"), (SNOMED, "1155707008")}

PRESENT = (SNOMED, "52101004", "Present (qualifier value)")
ABSENT = (SNOMED, "2667000", "Absent (qualifier value)")
BOOLEAN_VALUES = {PRESENT[:2]: True, ABSENT[:2]: False}
BOOLEAN_TEXT = {"present": True, "absent": False, "yes": True, "no": False, "true": True,
                "false": False, "positive": True, "negative": False}

MARGIN_VALUES: dict[tuple[str, str], str] = {
    (SNOMED, "55182004"): "negative",       # Surgical margin uninvolved by tumor (finding)
    (SNOMED, "370109009"): "positive",      # Surgical margin involved by tumor (finding)
    (SNOMED, "395537004"): "indeterminate",  # Involvement of surgical margins by the tumor cannot be assessed (finding)
}
MARGIN_WRITE = {"negative": (SNOMED, "55182004", "Surgical margin uninvolved by tumor (finding)"),
                "positive": (SNOMED, "370109009", "Surgical margin involved by tumor (finding)"),
                "indeterminate": (SNOMED, "395537004",
                                  "Involvement of surgical margins by the tumor cannot be assessed (finding)")}

DEPTH_VALUES = ("mucosa", "submucosa", "muscularis_propria", "subserosa", "serosa_or_adjacent_organs")

# The Procedure rnetkg writes for a resected lesion, and the Procedure codes that count as a local
# excision of the rectum when reading (any other Procedure is ignored, with a note).
LOCAL_EXCISION = (SNOMED, "79764004", "Excision of lesion of rectum")
LOCAL_EXCISION_CODES = frozenset({LOCAL_EXCISION[:2]})

# Observation.status (FHIR R4 ObservationStatus): only these are read; the others are skipped, with a note.
OBSERVATION_READ = ("final", "amended", "corrected")
OBSERVATION_STATUSES = ("registered", "preliminary", "final", "amended", "corrected", "cancelled",
                        "entered-in-error", "unknown")

DISPLAY = {
    TUMOUR_SIZE: "Size Tumor",
    TUMOUR_SIZE_LONGEST: "Size.maximum dimension in Tumor",
    (LOINC, "21905-5"): "Primary tumor.clinical [Class] Cancer",
    (LOINC, "21906-3"): "Regional lymph nodes.clinical [Class] Cancer",
    GRADE: "Histology grade [Identifier] in Cancer specimen",
    KI67: "Cells.Ki-67 nuclear Ag/cells in Tissue by Immune stain",
    LVI_CODES[0]: "Lymph-vascular invasion Cancer specimen",
    MITOTIC_COUNT: "Mitotic count per 2 mm2",
    INVASION_DEPTH: "Depth of invasion of the primary tumour",
    MARGIN: "Resection margin status",
    ATYPICAL_SURFACE: "Atypical endoscopic surface (changes or depression)",
}
