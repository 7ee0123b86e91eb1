"""The closed vocabularies of an answer, declared once: statement statuses, guideline statuses, pair
kinds, statement kinds, decision points and modalities. The queries of queries/ define what each
means; this module only names them for Python, and tests/test_vocab.py checks each list against the
queries and the ontology (where the ontology lists it).
"""

from __future__ import annotations

from .namespaces import RNET

# a statement's status as the queries compute it (applicable-recommendations.rq: MIN over criteria)
APPLIES, POSSIBLE, DOES_NOT_APPLY = 1, 0, -1
STATEMENT_STATUS = {APPLIES: "applies", POSSIBLE: "possible", DOES_NOT_APPLY: "does_not_apply"}
STATEMENT_STATUS_CODE = {name: code for code, name in STATEMENT_STATUS.items()}

# a guideline's status (guideline-status.rq), in the order a summary counts them; aim_only: it states
# an aim and names no action (neither a coverage gap nor in any pair)
COVERED, AMBIGUOUS, AIM_ONLY, POSSIBLE_ANSWER, SILENT = "covered", "ambiguous", "aim_only", "possible", "silent"
STATUSES = (COVERED, AMBIGUOUS, AIM_ONLY, POSSIBLE_ANSWER, SILENT)
# the statuses of a guideline that answers: only two answering guidelines make a pair
ANSWERING = (COVERED, AMBIGUOUS)

# a pair's kind (disagreements.rq) and its cohort column (DESIGN.md, Cohorts), in the columns' order
PAIR_KINDS = ("conflict", "partial", "level", "complementary")
PAIR_COLUMNS = {"conflict": "conflicts", "partial": "partial", "level": "level", "complementary": "complementary"}

# what a recommended treatment is directed at (rnet:hasTreatmentTarget)
TARGETS = ("primary_tumour", "metastases")

# the kinds of statement (criteria.rq, recommendation-details.rq) by their ontology class
STATEMENT_KINDS = {"management": RNET + "ManagementRecommendation",
                   "staging": RNET + "StagingRecommendation",
                   "consensus_summary": RNET + "ConsensusSummary",
                   "author_position": RNET + "AuthorPosition",
                   "tiered_care_proposal": RNET + "TieredCareProposal"}

# the decision points (DESIGN.md, Decision points), keys and individuals
DECISION_POINTS = ("initial_management", "after_local_resection", "metastatic_disease")
DECISION_POINT_IRI = {"initial_management": RNET + "InitialManagement",
                      "after_local_resection": RNET + "AfterLocalResection",
                      "metastatic_disease": RNET + "MetastaticDisease"}

# the closed list of management modalities (DESIGN.md, Modalities); the graph gives each its label and bit
MODALITIES = ("no_further_action", "surveillance", "endoscopic_resection", "transanal_excision", "radical_surgery",
              "chemoradiation", "systemic_therapy", "liver_directed_therapy", "cytoreduction")

# the reading context of every answer: each ambiguous passage read with its default reading
DEFAULT_CONTEXT = RNET + "DefaultReadings"


def answers(status: str) -> bool:
    """Does a guideline with this status answer (and so take part in pairs)?"""
    return status in ANSWERING
