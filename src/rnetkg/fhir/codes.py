"""The codes rnetkg reads and writes in FHIR R4, in one table (docs/fhir.md gives the source of each).

Nothing here is imported from a FHIR library: the table is plain data, so that importing it is free.
"""

from __future__ import annotations

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
AJCC = "http://cancerstaging.org"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICDO3 = "http://terminology.hl7.org/CodeSystem/icd-o-3"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
MCODE_SD = "http://hl7.org/fhir/us/mcode/StructureDefinition/"
MCODE_PRIMARY = MCODE_SD + "mcode-primary-cancer-condition"
MCODE_SECONDARY = MCODE_SD + "mcode-secondary-cancer-condition"
MCODE_HISTOLOGY = MCODE_SD + "mcode-histology-morphology-behavior"
# The project's own code system: used only where no standard code was found (docs/fhir.md says which).
RNET = "https://w3id.org/rnetkg/fhir/CodeSystem/rnet"
RNET_DEPTH = "https://w3id.org/rnetkg/fhir/CodeSystem/invasion-depth"
RNET_EXCISION = "https://w3id.org/rnetkg/fhir/CodeSystem/local-excision"
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
LVI_CODES = ((LOINC, "59544-7"), (SNOMED, "371512006"), (LOINC, "33761-8"))
MITOTIC_COUNT = (RNET, "mitotic-count")
INVASION_DEPTH = (RNET, "invasion-depth")
MARGIN = (RNET, "margin")
ATYPICAL_SURFACE = (RNET, "atypical-surface")
# no standard code says whether distant metastases are resectable: a project code (docs/fhir.md says why
# an Observation and not a Condition extension)
RESECTABLE = (RNET, "metastases-resectable")
# Observation.method of the grade and T category rnetkg derives (fhir export writes them, with derivedFrom, so
# that a FHIRPath expression reads them; reading skips them and derives again)
DERIVED_METHOD = (RNET, "derived")

# Observation.code -> profile field (TNM and size are handled apart)
FIELD_OF_CODE: dict[tuple[str, str], str] = {
    GRADE: "grade",
    KI67: "ki67_percent",
    LVI_CODES[0]: "lymphovascular_invasion",
    LVI_CODES[1]: "lymphovascular_invasion",
    LVI_CODES[2]: "lymphovascular_invasion",
    MITOTIC_COUNT: "mitoses_per_2mm2",
    INVASION_DEPTH: "invasion_depth",
    MARGIN: "margin",
    ATYPICAL_SURFACE: "atypical_surface",
    RESECTABLE: "metastases_resectable",
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
# the kind of local excision (profile field resection_procedure): no standard code was found that names each
# of these techniques, so a project code system whose codes are the profile's values; 79764004 alone (or an
# unknown code of the project system) is a local excision of unspecified kind
EXCISION_KINDS = ("polypectomy", "emr", "cap_emr", "precut_emr", "esmr_l", "esd", "ta_esd", "eftr", "tem",
                  "transanal_excision")
LOCAL_EXCISION_CODES = frozenset({LOCAL_EXCISION[:2], *((RNET_EXCISION, k) for k in EXCISION_KINDS)})

# -- Conditions ---------------------------------------------------------------------------------
# the rectal NET: ICD-10-CM, or ICD-O-3 morphology with topography C20 (rectum)
RECTAL_NET_ICD10 = frozenset({(ICD10CM, "C7A.026"), (ICD10CM, "D3A.026")})
RECTAL_NET_MORPHOLOGY = frozenset({(ICDO3, "8240/3"), (ICDO3, "8249/3")})
RECTUM_TOPOGRAPHY = frozenset({(ICDO3, "C20"), (ICDO3, "C20.9")})
RECTAL_NET_WRITE = (ICD10CM, "C7A.026", "Malignant carcinoid tumor of the rectum")
RECTAL_NET_MORPHOLOGY_WRITE = (ICDO3, "8240/3", "Neuroendocrine tumor, NOS")
RECTUM_WRITE = (ICDO3, "C20.9", "Rectum, NOS")
# a secondary cancer (mCODE SecondaryCancerCondition) and its body site
SECONDARY_CANCER = (SNOMED, "128462008", "Secondary malignant neoplastic disease")
SECONDARY_CANCER_CODES = frozenset({SECONDARY_CANCER[:2], (ICD10CM, "C78.7")})
LIVER = (SNOMED, "10200004", "Liver structure")
LIVER_SITES = frozenset({LIVER[:2], (ICDO3, "C22.0")})
LYMPH_NODE = (SNOMED, "59441001", "Structure of lymph node")
# Condition.clinicalStatus / verificationStatus read as "counted" (an unstated one counts for the rectal NET,
# not for a metastasis, which must be confirmed and active)
ACTIVE = ("active", "recurrence", "relapse")
CONFIRMED = ("confirmed",)

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
    RESECTABLE: "Distant metastases resectable",
    LVI_CODES[2]: "Venous + Lymphatic small vessel invasion in Specimen by CAP cancer protocols",
}
