"""The SHACL shapes (shapes/) and rnetkg.check.shacl.

Every shape has a minimal violating fixture below (CASES), checked for the kind, severity and
subject of its finding; a test makes sure no shape is left without one. The fixtures add
nodes to tests/fixtures/shapes/conforming.ttl, a minimal graph that conforms, and quote the
fixture seed tests/fixtures/shapes/seeds/fixture-seed.txt (a few lines of seed 000).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH

from rnetkg import namespaces, paths
from rnetkg.check.findings import Finding
from rnetkg.check.shacl import ARITHMETIC_SHAPE, KIND_BY_SHAPE, QUOTE_SHAPE, SHAPES, validate

FIXTURES = Path(__file__).parent / "fixtures" / "shapes"
CONFORMING = FIXTURES / "conforming.ttl"
FIXTURE_SEEDS = FIXTURES / "seeds"
EX = namespaces.KG + "test/"

HEADER = f"""\
@prefix rnet: <{namespaces.RNET}> .
@prefix ex: <{EX}> .
@prefix rdfs: <{namespaces.RDFS}> .
@prefix xsd: <{namespaces.XSD}> .
@prefix dcterms: <{namespaces.DCTERMS}> .
@prefix fabio: <http://purl.org/spar/fabio/> .
@prefix cito: <http://purl.org/spar/cito/> .
@prefix oa: <http://www.w3.org/ns/oa#> .
"""

# A recommendation that conforms, for cases that change one thing about it.
REC = ("rnet:issuedBy ex:guideline ; rnet:hasDecisionPoint rnet:InitialManagement ; "
       "rnet:hasCriterion ex:size-le10 ; rnet:source ex:excerpt")
STATEMENT = "rnet:hasDecisionPoint rnet:InitialManagement ; rnet:hasCriterion ex:size-le10 ; rnet:source ex:excerpt"
EXCERPT = 'rnet:inDocument ex:doc ; rnet:locator "Table 1"'
QUOTE = '"For lesions ≤ 10 mm: Endoscopic resection such as mEMR, ESD, and eFTR is recommended"'
FIGURE = "rnet:reportedIn ex:study ; rnet:source ex:excerpt"
SPAN = 'oa:start "1"^^xsd:nonNegativeInteger ; oa:end "2"^^xsd:nonNegativeInteger'
PROFILE = "rnet:sizeMm 15.0 ; rnet:hasMarginStatus rnet:margin_not_resected"


def case(shape: str, subject: str, turtle: str, *, kind: str = "shacl", severity: str = "error",
         also: tuple[tuple[str, str], ...] = (), variant: str = ""):
    """A violating fixture: ``turtle`` (prefixes rnet:, ex:, rdfs:, xsd:) must give exactly one
    finding of ``shape`` on ex:``subject``, plus one error per (shape, subject) in ``also``."""
    return pytest.param(shape, subject, turtle, kind, severity, also, id=shape + (f"[{variant}]" if variant else ""))


CASES = [
    # recommendation.ttl
    case("RecommendationShape-issuedBy", "rec-no-issuer",
         "ex:rec-no-issuer a rnet:ManagementRecommendation ; rnet:hasDecisionPoint rnet:InitialManagement ; "
         "rnet:hasCriterion ex:size-le10 ; rnet:recommendsAction rnet:ModifiedEMR ; rnet:source ex:excerpt ."),
    case("RecommendationShape-issuedBy-class", "rec-issued-by-article",
         "ex:rec-issued-by-article a rnet:ManagementRecommendation ; rnet:issuedBy ex:doc ; "
         "rnet:hasDecisionPoint rnet:InitialManagement ; rnet:hasCriterion ex:size-le10 ; "
         "rnet:recommendsAction rnet:ModifiedEMR ; rnet:source ex:excerpt ."),
    case("RecommendationShape-decisionPoint", "rec-no-point",
         "ex:rec-no-point a rnet:ManagementRecommendation ; rnet:issuedBy ex:guideline ; "
         "rnet:hasCriterion ex:size-le10 ; rnet:recommendsAction rnet:ModifiedEMR ; rnet:source ex:excerpt ."),
    case("RecommendationShape-decisionPoint-class", "rec-point-is-grade",
         "ex:rec-point-is-grade a rnet:ManagementRecommendation ; rnet:issuedBy ex:guideline ; "
         "rnet:hasDecisionPoint rnet:G1 ; rnet:hasCriterion ex:size-le10 ; rnet:recommendsAction rnet:ModifiedEMR ; "
         "rnet:source ex:excerpt ."),
    case("RecommendationShape-hasCriterion", "rec-no-criterion",
         "ex:rec-no-criterion a rnet:ManagementRecommendation ; rnet:issuedBy ex:guideline ; "
         "rnet:hasDecisionPoint rnet:InitialManagement ; rnet:recommendsAction rnet:ModifiedEMR ; rnet:source ex:excerpt ."),
    case("RecommendationShape-hasCriterion-class", "rec-criterion-is-excerpt",
         f"ex:rec-criterion-is-excerpt a rnet:ManagementRecommendation ; {REC} ; rnet:recommendsAction rnet:ModifiedEMR ; "
         "rnet:hasCriterion ex:excerpt ."),
    case("RecommendationShape-source", "rec-no-source",
         "ex:rec-no-source a rnet:ManagementRecommendation ; rnet:issuedBy ex:guideline ; "
         "rnet:hasDecisionPoint rnet:InitialManagement ; rnet:hasCriterion ex:size-le10 ; rnet:recommendsAction rnet:ModifiedEMR .",
         also=(("StatementShape-source", "rec-no-source"),)),
    case("RecommendationShape-source-class", "rec-source-is-document",
         "ex:rec-source-is-document a rnet:ManagementRecommendation ; rnet:issuedBy ex:guideline ; "
         "rnet:hasDecisionPoint rnet:InitialManagement ; rnet:hasCriterion ex:size-le10 ; "
         "rnet:recommendsAction rnet:ModifiedEMR ; rnet:source ex:doc ."),
    case("RecommendationShape-recommendsInvestigation-class", "rec-investigation-is-procedure",
         f"ex:rec-investigation-is-procedure a rnet:StagingRecommendation ; {REC} ; "
         "rnet:recommendsInvestigation rnet:PelvicMRI , rnet:ModifiedEMR ."),
    # an investigation is named by its class, as an action is: an instance of the class is refused
    case("RecommendationShape-recommendsInvestigation-class", "rec-investigation-is-instance",
         f"ex:rec-investigation-is-instance a rnet:StagingRecommendation ; {REC} ; "
         "rnet:recommendsInvestigation rnet:PelvicMRI , ex:an-mri . ex:an-mri a rnet:StagingInvestigation .",
         variant="an instance, not a class"),
    case("RecommendationShape-recommendsInvestigation-class", "rec-investigation-is-the-top",
         f"ex:rec-investigation-is-the-top a rnet:StagingRecommendation ; {REC} ; "
         "rnet:recommendsInvestigation rnet:StagingInvestigation .",
         variant="the grouping class itself"),
    case("RecommendationShape-mdtDecision", "rec-mdt-yes",
         f'ex:rec-mdt-yes a rnet:ManagementRecommendation ; {REC} ; rnet:recommendsAction rnet:ModifiedEMR ; '
         'rnet:mdtDecision "yes" .'),
    case("ManagementRecommendationShape-recommendsAction", "rec-no-action",
         f"ex:rec-no-action a rnet:ManagementRecommendation ; {REC} ."),
    case("ManagementRecommendationShape-recommendsAction-class", "rec-action-is-investigation",
         f"ex:rec-action-is-investigation a rnet:ManagementRecommendation ; {REC} ; "
         "rnet:recommendsAction rnet:ModifiedEMR , rnet:EndoscopicUltrasound ."),
    case("ManagementRecommendationShape-recommendsAction-class", "rec-action-not-an-action",
         f"ex:rec-action-not-an-action a rnet:ManagementRecommendation ; {REC} ; rnet:recommendsAction rnet:Grade .",
         variant="class outside the actions"),
    case("StagingRecommendationShape-recommendsInvestigation", "staging-no-investigation",
         f"ex:staging-no-investigation a rnet:StagingRecommendation ; {REC} ."),
    case("StagingRecommendationShape-recommendsAction", "staging-with-action",
         f"ex:staging-with-action a rnet:StagingRecommendation ; {REC} ; "
         "rnet:recommendsInvestigation rnet:PelvicMRI ; rnet:recommendsAction rnet:ModifiedEMR ."),
    case("ReferralRecommendationShape-refersToPathway", "referral-nowhere",
         f"ex:referral-nowhere a rnet:ReferralRecommendation ; {REC} ."),

    # editorial-statement.ttl
    case("EditorialStatementShape-issuedBy", "editorial-issued",
         f"ex:editorial-issued a rnet:AuthorPosition ; {STATEMENT} ; rnet:issuedBy ex:guideline ."),
    case("EditorialStatementShape-decisionPoint", "editorial-no-point",
         "ex:editorial-no-point a rnet:AuthorPosition ; rnet:hasCriterion ex:size-le10 ; rnet:source ex:excerpt ."),
    case("EditorialStatementShape-decisionPoint-class", "editorial-point-is-field",
         "ex:editorial-point-is-field a rnet:AuthorPosition ; rnet:hasDecisionPoint rnet:field_margin ; "
         "rnet:hasCriterion ex:size-le10 ; rnet:source ex:excerpt ."),
    case("EditorialStatementShape-hasCriterion", "editorial-no-criterion",
         "ex:editorial-no-criterion a rnet:TieredCareProposal ; rnet:hasDecisionPoint rnet:InitialManagement ; "
         "rnet:source ex:excerpt ."),
    case("EditorialStatementShape-hasCriterion-class", "editorial-criterion-is-field",
         f"ex:editorial-criterion-is-field a rnet:ConsensusSummary ; {STATEMENT} ; rnet:hasCriterion rnet:field_size_mm ."),
    case("EditorialStatementShape-source", "editorial-no-source",
         "ex:editorial-no-source a rnet:ConsensusSummary ; rnet:hasDecisionPoint rnet:InitialManagement ; "
         "rnet:hasCriterion ex:size-le10 .",
         also=(("StatementShape-source", "editorial-no-source"),)),
    case("EditorialStatementShape-source-class", "editorial-source-is-guideline",
         "ex:editorial-source-is-guideline a rnet:ConsensusSummary ; rnet:hasDecisionPoint rnet:InitialManagement ; "
         "rnet:hasCriterion ex:size-le10 ; rnet:source ex:guideline ."),
    case("EditorialStatementShape-recommendsAction-class", "editorial-action-is-modality",
         f"ex:editorial-action-is-modality a rnet:ConsensusSummary ; {STATEMENT} ; "
         "rnet:recommendsAction rnet:modality_endoscopic_resection ."),
    case("EditorialStatementShape-recommendsInvestigation-class", "editorial-investigation-is-grade",
         f"ex:editorial-investigation-is-grade a rnet:ConsensusSummary ; {STATEMENT} ; "
         "rnet:recommendsInvestigation rnet:G2 ."),
    case("EditorialStatementShape-mdtDecision", "editorial-mdt-twice",
         f"ex:editorial-mdt-twice a rnet:ConsensusSummary ; {STATEMENT} ; rnet:mdtDecision true , false ."),

    # source-excerpt.ttl
    case("SourceExcerptShape-inDocument", "excerpt-no-document",
         f'ex:excerpt-no-document a rnet:SourceExcerpt ; rnet:locator "Table 1" ; rnet:quote {QUOTE} .'),
    case("SourceExcerptShape-inDocument-class", "excerpt-in-guideline",
         f'ex:excerpt-in-guideline a rnet:SourceExcerpt ; rnet:inDocument ex:guideline ; rnet:locator "Table 1" ; '
         f'rnet:quote {QUOTE} .',
         also=(("SourceExcerptShape-quoteInSource", "excerpt-in-guideline"),)),
    case("SourceExcerptShape-locator", "excerpt-no-locator",
         f"ex:excerpt-no-locator a rnet:SourceExcerpt ; rnet:inDocument ex:doc ; rnet:quote {QUOTE} ."),
    case("SourceExcerptShape-locator-text", "excerpt-blank-locator",
         f'ex:excerpt-blank-locator a rnet:SourceExcerpt ; rnet:inDocument ex:doc ; rnet:locator "  " ; '
         f"rnet:quote {QUOTE} ."),
    case("SourceExcerptShape-quote", "excerpt-no-quote",
         f"ex:excerpt-no-quote a rnet:SourceExcerpt ; {EXCERPT} ."),
    case("SourceExcerptShape-quote-text", "excerpt-quote-with-language",
         f"ex:excerpt-quote-with-language a rnet:SourceExcerpt ; {EXCERPT} ; rnet:quote {QUOTE}@en ."),
    case("SourceExcerptShape-citedReference", "excerpt-empty-reference",
         f'ex:excerpt-empty-reference a rnet:SourceExcerpt ; {EXCERPT} ; rnet:quote {QUOTE} ; rnet:citedReference "" .'),
    case("SourceExcerptShape-quoteInSource", "excerpt-misquoted",
         f'ex:excerpt-misquoted a rnet:SourceExcerpt ; {EXCERPT} ; rnet:quote {QUOTE} , '
         '"For lesions ≤ 10 mm: Endoscopic resection such as EMR is recommended" .',
         kind="quote_not_in_source"),
    case("SourceExcerptShape-quoteInSource", "excerpt-without-text",
         'ex:doc-without-text a rnet:SourceDocument ; rnet:doi "10.0/none" . '
         'ex:excerpt-without-text a rnet:SourceExcerpt ; rnet:inDocument ex:doc-without-text ; rnet:locator "Table 1" ; '
         f"rnet:quote {QUOTE} .",
         kind="quote_not_in_source", variant="no full text"),

    # condition.ttl
    case("ConditionShape-onField-class", "condition-field-is-grade",
         'ex:condition-field-is-grade a rnet:BooleanCondition ; rnet:onField rnet:G1 ; rnet:requiredBoolean true .'),
    case("ConditionShape-asWritten-text", "condition-empty-text",
         'ex:condition-empty-text a rnet:BooleanCondition ; rnet:onField rnet:field_lymphovascular_invasion ; '
         'rnet:requiredBoolean true ; rnet:asWritten "" .'),
    case("NumericRangeConditionShape-onField", "range-no-field",
         'ex:range-no-field a rnet:NumericRangeCondition ; rnet:maxValue 10.0 ; rnet:maxInclusive true ; '
         'rnet:asWritten "≤ 10 mm" .'),
    case("NumericRangeConditionShape-bound", "range-no-bound",
         'ex:range-no-bound a rnet:NumericRangeCondition ; rnet:onField rnet:field_size_mm ; rnet:asWritten "any size" .'),
    case("NumericRangeConditionShape-minValue", "range-integer-min",
         'ex:range-integer-min a rnet:NumericRangeCondition ; rnet:onField rnet:field_size_mm ; '
         'rnet:minValue 10 ; rnet:minInclusive true ; rnet:asWritten "≥ 10 mm" .'),
    case("NumericRangeConditionShape-maxValue", "range-integer-max",
         'ex:range-integer-max a rnet:NumericRangeCondition ; rnet:onField rnet:field_size_mm ; '
         'rnet:maxValue 10 ; rnet:maxInclusive true ; rnet:asWritten "≤ 10 mm" .'),
    case("NumericRangeConditionShape-minInclusive", "range-min-flag-text",
         'ex:range-min-flag-text a rnet:NumericRangeCondition ; rnet:onField rnet:field_size_mm ; '
         'rnet:minValue 10.0 ; rnet:minInclusive "true" ; rnet:asWritten "≥ 10 mm" .'),
    case("NumericRangeConditionShape-maxInclusive", "range-max-flag-twice",
         'ex:range-max-flag-twice a rnet:NumericRangeCondition ; rnet:onField rnet:field_size_mm ; '
         'rnet:maxValue 10.0 ; rnet:maxInclusive true , false ; rnet:asWritten "≤ 10 mm" .'),
    case("NumericRangeConditionShape-asWritten", "range-not-as-written",
         'ex:range-not-as-written a rnet:NumericRangeCondition ; rnet:onField rnet:field_size_mm ; '
         'rnet:maxValue 10.0 ; rnet:maxInclusive true .'),
    case("NumericRangeConditionShape-lowerBound-value", "range-min-flag-alone",
         'ex:range-min-flag-alone a rnet:NumericRangeCondition ; rnet:onField rnet:field_size_mm ; '
         'rnet:minInclusive true ; rnet:maxValue 10.0 ; rnet:maxInclusive true ; rnet:asWritten "≤ 10 mm" .'),
    case("NumericRangeConditionShape-lowerBound-inclusive", "range-min-no-flag",
         'ex:range-min-no-flag a rnet:NumericRangeCondition ; rnet:onField rnet:field_size_mm ; '
         'rnet:minValue 10.0 ; rnet:asWritten "≥ 10 mm" .'),
    case("NumericRangeConditionShape-upperBound-value", "range-max-flag-alone",
         'ex:range-max-flag-alone a rnet:NumericRangeCondition ; rnet:onField rnet:field_size_mm ; '
         'rnet:minValue 10.0 ; rnet:minInclusive true ; rnet:maxInclusive false ; rnet:asWritten "≥ 10 mm" .'),
    case("NumericRangeConditionShape-upperBound-inclusive", "range-max-no-flag",
         'ex:range-max-no-flag a rnet:NumericRangeCondition ; rnet:onField rnet:field_size_mm ; '
         'rnet:maxValue 20.0 ; rnet:asWritten "< 2 cm" .'),
    case("NumericRangeConditionShape-percentField", "ki67-below-zero",
         'ex:ki67-below-zero a rnet:NumericRangeCondition ; rnet:onField rnet:field_ki67_percent ; '
         'rnet:minValue -1.0 ; rnet:minInclusive true ; rnet:asWritten "Ki-67 ≥ -1%" .'),
    case("NumericRangeConditionShape-percentField", "ki67-above-hundred",
         'ex:ki67-above-hundred a rnet:NumericRangeCondition ; rnet:onField rnet:field_ki67_percent ; '
         'rnet:maxValue 120.0 ; rnet:maxInclusive true ; rnet:asWritten "Ki-67 ≤ 120%" .',
         variant="upper bound"),
    case("NumericRangeConditionShape-nonEmpty", "range-min-above-max",
         'ex:range-min-above-max a rnet:NumericRangeCondition ; rnet:onField rnet:field_size_mm ; '
         'rnet:minValue 20.0 ; rnet:minInclusive true ; rnet:maxValue 10.0 ; rnet:maxInclusive true ; '
         'rnet:asWritten "20-10 mm" .'),
    case("NumericRangeConditionShape-nonEmpty", "range-empty-point",
         'ex:range-empty-point a rnet:NumericRangeCondition ; rnet:onField rnet:field_size_mm ; '
         'rnet:minValue 10.0 ; rnet:minInclusive true ; rnet:maxValue 10.0 ; rnet:maxInclusive false ; '
         'rnet:asWritten "10 mm" .',
         variant="equal bounds, one exclusive"),
    case("ValueSetConditionShape-onField", "set-two-fields",
         "ex:set-two-fields a rnet:ValueSetCondition ; rnet:onField rnet:field_grade , rnet:field_t_stage ; "
         "rnet:allowedValue rnet:G2 ."),
    case("ValueSetConditionShape-allowedValue", "set-empty",
         "ex:set-empty a rnet:ValueSetCondition ; rnet:onField rnet:field_grade ."),
    case("ValueSetConditionShape-allowedValue-kind", "set-literal-value",
         'ex:set-literal-value a rnet:ValueSetCondition ; rnet:onField rnet:field_grade ; rnet:allowedValue "G2" .'),
    case("BooleanConditionShape-onField", "boolean-no-field",
         "ex:boolean-no-field a rnet:BooleanCondition ; rnet:requiredBoolean true ."),
    case("BooleanConditionShape-requiredBoolean", "boolean-no-value",
         "ex:boolean-no-value a rnet:BooleanCondition ; rnet:onField rnet:field_distant_metastasis ."),
    case("RiskFactorConditionShape-riskFactorDefinition", "risk-condition-without-definition",
         "ex:risk-condition-without-definition a rnet:RiskFactorCondition ; rnet:requiresRiskFactors true ."),
    case("RiskFactorConditionShape-requiresRiskFactors", "risk-condition-undecided",
         "ex:risk-condition-undecided a rnet:RiskFactorCondition ; rnet:hasRiskFactorDefinition ex:risk-factors ."),

    # precedence-rule.ttl
    case("PrecedenceRuleShape-prevailing", "rule-no-winner",
         'ex:rule-no-winner a rnet:PrecedenceRule ; rnet:overridden ex:rec-management ; '
         'rnet:justification "why" ; rnet:source ex:excerpt .'),
    case("PrecedenceRuleShape-overridden", "rule-no-loser",
         'ex:rule-no-loser a rnet:PrecedenceRule ; rnet:prevailing ex:rec-management-other ; '
         'rnet:justification "why" ; rnet:source ex:excerpt .'),
    case("PrecedenceRuleShape-justification", "rule-unjustified",
         'ex:rule-unjustified a rnet:PrecedenceRule ; rnet:prevailing ex:rec-management-other ; '
         'rnet:overridden ex:rec-management ; rnet:source ex:excerpt .'),
    case("PrecedenceRuleShape-source", "rule-unsourced",
         'ex:rule-unsourced a rnet:PrecedenceRule ; rnet:prevailing ex:rec-management-other ; '
         'rnet:overridden ex:rec-management ; rnet:justification "why" .'),
    case("PrecedenceRuleShape-sameGuidelineAndPoint", "rule-across-points",
         'ex:rule-across-points a rnet:PrecedenceRule ; rnet:prevailing ex:rec-referral ; '
         'rnet:overridden ex:rec-management ; rnet:justification "why" ; rnet:source ex:excerpt .'),
    case("PrecedenceRuleShape-plainCriteria", "rule-risk-winner",
         'ex:rule-risk-winner a rnet:PrecedenceRule ; rnet:prevailing ex:rec-management ; '
         'rnet:overridden ex:rec-management-other ; rnet:justification "why" ; rnet:source ex:excerpt .'),

    # risk-factor-definition.ttl
    case("RiskFactorDefinitionShape-definedBy", "rfd-no-guideline",
         "ex:rfd-no-guideline a rnet:RiskFactorDefinition ; rnet:listsRiskFactors false ; rnet:source ex:excerpt ."),
    case("RiskFactorDefinitionShape-definedBy-class", "rfd-by-placeholder",
         "ex:rfd-by-placeholder a rnet:RiskFactorDefinition ; rnet:definedBy ex:no-such-guideline ; "
         "rnet:listsRiskFactors false ; rnet:source ex:excerpt ."),
    case("RiskFactorDefinitionShape-listsRiskFactors", "rfd-unsaid",
         "ex:rfd-unsaid a rnet:RiskFactorDefinition ; rnet:definedBy ex:guideline ; rnet:source ex:excerpt ."),
    case("RiskFactorDefinitionShape-exhaustive", "rfd-exhaustive-text",
         'ex:rfd-exhaustive-text a rnet:RiskFactorDefinition ; rnet:definedBy ex:guideline ; '
         'rnet:listsRiskFactors false ; rnet:exhaustive "no" ; rnet:source ex:excerpt .'),
    case("RiskFactorDefinitionShape-component-class", "rfd-component-is-factor",
         "ex:rfd-component-is-factor a rnet:RiskFactorDefinition ; rnet:definedBy ex:guideline ; "
         "rnet:listsRiskFactors true ; rnet:component rnet:LymphovascularInvasion ; rnet:source ex:excerpt ."),
    case("RiskFactorDefinitionShape-source", "rfd-no-source",
         "ex:rfd-no-source a rnet:RiskFactorDefinition ; rnet:definedBy ex:guideline ; rnet:listsRiskFactors false ."),
    case("RiskFactorDefinitionShape-source-class", "rfd-source-is-document",
         "ex:rfd-source-is-document a rnet:RiskFactorDefinition ; rnet:definedBy ex:guideline ; "
         "rnet:listsRiskFactors false ; rnet:source ex:doc ."),
    case("RiskFactorDefinitionShape", "rfd-ki67-above-hundred",
         "ex:rfd-ki67-above-hundred a rnet:RiskFactorDefinition ; rnet:definedBy ex:guideline ; "
         "rnet:listsRiskFactors true ; rnet:component ex:rfd-ki67-150 ; rnet:source ex:excerpt . "
         "ex:rfd-ki67-150 a rnet:NumericRangeCondition ; rnet:onField rnet:field_ki67_percent ; "
         'rnet:minValue 150.0 ; rnet:minInclusive false ; rnet:asWritten "Ki-67 > 150%" .',
         also=(("NumericRangeConditionShape-percentField", "rfd-ki67-150"),)),
    case("RiskFactorDefinitionShape-listed", "rfd-listed-none",
         "ex:rfd-listed-none a rnet:RiskFactorDefinition ; rnet:definedBy ex:guideline ; "
         "rnet:listsRiskFactors true ; rnet:source ex:excerpt ."),
    case("RiskFactorDefinitionShape-unlisted", "rfd-unlisted-with-components",
         "ex:rfd-unlisted-with-components a rnet:RiskFactorDefinition ; rnet:definedBy ex:guideline ; "
         "rnet:listsRiskFactors false ; rnet:component ex:lvi ; rnet:source ex:excerpt ."),

    # study.ttl
    case("StudyShape-studyDesign", "study-no-design",
         "ex:study-no-design a rnet:Study ; rnet:cohortSize 10 ; rnet:source ex:excerpt ."),
    case("StudyShape-studyDesign-class", "study-design-is-text",
         'ex:study-design-is-text a rnet:Study ; rnet:hasStudyDesign "retrospective" ; rnet:cohortSize 10 ; '
         "rnet:source ex:excerpt ."),
    case("StudyShape-cohort", "study-no-cohort",
         "ex:study-no-cohort a rnet:Study ; rnet:hasStudyDesign rnet:Retrospective ; rnet:source ex:excerpt ."),
    case("StudyShape-cohortSize", "study-cohort-as-decimal",
         "ex:study-cohort-as-decimal a rnet:Study ; rnet:hasStudyDesign rnet:Retrospective ; rnet:cohortSize 32.0 ; "
         "rnet:source ex:excerpt ."),
    case("StudyShape-source", "study-no-source",
         "ex:study-no-source a rnet:Study ; rnet:hasStudyDesign rnet:Prospective ; rnet:cohortSize 10 ."),
    # guideline-document.ttl: FaBiO type and CiTO citation
    case("GuidelineDocumentShape-fabioType", "guideline-without-fabio-type",
         'ex:doc cito:cites ex:guideline-without-fabio-type . '
         'ex:guideline-without-fabio-type a rnet:GuidelineDocument ; rdfs:label "g" ; rnet:guidelineKey "G-1" ; '
         'rnet:hasIssuingBody ex:body ; rnet:publicationYear 2020 ; rnet:bibliographicReference "G" .'),
    case("GuidelineDocumentShape-citedBy", "guideline-cited-by-none",
         'ex:guideline-cited-by-none a rnet:GuidelineDocument , fabio:ClinicalGuideline ; rdfs:label "g" ; '
         'rnet:guidelineKey "G-2" ; rnet:hasIssuingBody ex:body ; rnet:publicationYear 2020 ; '
         'rnet:bibliographicReference "G" .', severity="warning"),
    case("GuidelineDocumentShape-citedBy-class", "guideline-cited-by-guideline",
         'ex:guideline cito:cites ex:guideline-cited-by-guideline . ex:doc cito:cites ex:guideline-cited-by-guideline . '
         'ex:guideline-cited-by-guideline a rnet:GuidelineDocument , fabio:ClinicalGuideline ; rdfs:label "g" ; '
         'rnet:guidelineKey "G-3" ; rnet:hasIssuingBody ex:body ; rnet:publicationYear 2020 ; '
         'rnet:bibliographicReference "G" .', variant="cited by a guideline"),
    case("ClinicalGuidelineShape", "fabio-guideline-only",
         'ex:doc cito:cites ex:fabio-guideline-only . ex:fabio-guideline-only a fabio:ClinicalGuideline .'),
    case("JournalArticleShape-title", "article-without-title",
         'ex:article-without-title a fabio:JournalArticle ; rnet:bibliographicReference "A B. C. 2020." ; '
         'rnet:source ex:excerpt .'),
    case("JournalArticleShape-reference", "article-without-reference",
         'ex:article-without-reference a fabio:JournalArticle ; dcterms:title "C" ; rnet:source ex:excerpt .'),
    case("JournalArticleShape-source", "article-without-source",
         'ex:article-without-source a fabio:JournalArticle ; dcterms:title "C" ; rnet:bibliographicReference "A B. C." .'),
    case("SelectorShape-exact", "selector-without-exact",
         f'ex:selector-without-exact a oa:TextQuoteSelector ; oa:prefix "a " ; {SPAN} .'),
    case("SelectorShape-context", "selector-without-context",
         f'ex:selector-without-context a oa:TextQuoteSelector ; oa:exact "b" ; {SPAN} .'),
    case("SelectorShape-start", "selector-without-start",
         'ex:selector-without-start a oa:TextQuoteSelector ; oa:exact "b" ; oa:prefix "a " ; '
         'oa:end "2"^^xsd:nonNegativeInteger .'),
    case("SelectorShape-end", "selector-without-end",
         'ex:selector-without-end a oa:TextPositionSelector ; oa:exact "b" ; oa:prefix "a " ; '
         'oa:start "1"^^xsd:nonNegativeInteger .'),
    case("SelectorShape-start-end", "selector-backwards",
         'ex:selector-backwards a oa:TextQuoteSelector ; oa:exact "b" ; oa:prefix "a " ; '
         'oa:start "5"^^xsd:nonNegativeInteger ; oa:end "3"^^xsd:nonNegativeInteger .'),
    case("StudyCountryShape-code", "study-country-without-code",
         'ex:study-country-without-code a rnet:Study ; rnet:hasStudyDesign rnet:Prospective ; rnet:cohortSize 10 ; '
         'rnet:source ex:excerpt ; rnet:country "Korea" .'),
    case("StudyShape-source-class", "study-source-is-document",
         "ex:study-source-is-document a rnet:Study ; rnet:hasStudyDesign rnet:Prospective ; rnet:cohortSize 10 ; "
         "rnet:source ex:doc ."),

    # reported-figure.ttl
    case("ReportedFigureShape-reportedIn", "figure-no-study",
         "ex:figure-no-study a rnet:ReportedProportion ; rnet:percentage 25 ; rnet:source ex:excerpt ."),
    case("ReportedFigureShape-reportedIn-class", "figure-in-excerpt",
         "ex:figure-in-excerpt a rnet:CutPoint ; rnet:reportedIn ex:excerpt ; rnet:cutPointValue 11.5 ; "
         "rnet:source ex:excerpt ."),
    case("ReportedFigureShape-reportedIn-class", "figure-in-source-document",
         "ex:figure-in-source-document a rnet:ReportedProportion ; rnet:reportedIn ex:doc ; rnet:percentageLow 18.5 ; "
         "rnet:percentageHigh 30.4 ; rnet:source ex:excerpt .", variant="a source document"),
    case("ReportedFigureShape-source", "figure-no-source",
         "ex:figure-no-source a rnet:OutcomeEvidence ; rnet:reportedIn ex:study ; rnet:percentage 90 .",
         also=(("StatementShape-source", "figure-no-source"),)),
    case("ReportedFigureShape-source-class", "figure-source-is-study",
         "ex:figure-source-is-study a rnet:RiskFactorFinding ; rnet:reportedIn ex:study ; rnet:source ex:study ."),
    case("ReportedFigureShape-percentage", "figure-above-hundred",
         f"ex:figure-above-hundred a rnet:ReportedProportion ; {FIGURE} ; rnet:percentage 120.5 ."),
    case("ReportedFigureShape-percentageLow", "figure-low-above-high",
         f"ex:figure-low-above-high a rnet:ReportedProportion ; {FIGURE} ; "
         "rnet:percentageLow 12.0 ; rnet:percentageHigh 8.0 ."),
    case("ReportedFigureShape-percentageHigh", "figure-high-above-hundred",
         f"ex:figure-high-above-hundred a rnet:ReportedProportion ; {FIGURE} ; "
         "rnet:percentageLow 12.0 ; rnet:percentageHigh 180.0 ."),
    case("ReportedFigureShape-count", "figure-negative-count",
         f"ex:figure-negative-count a rnet:ReportedProportion ; {FIGURE} ; rnet:count -1 ."),
    case("ReportedFigureShape-denominator", "figure-zero-denominator",
         f"ex:figure-zero-denominator a rnet:ReportedProportion ; {FIGURE} ; rnet:denominator 0 ."),
    case("ReportedFigureShape-count-denominator", "figure-count-above-denominator",
         f"ex:figure-count-above-denominator a rnet:ReportedProportion ; {FIGURE} ; "
         "rnet:count 30 ; rnet:denominator 28 ."),
    case("ReportedFigureShape-ciLower-estimate", "figure-estimate-below-ci",
         f'ex:figure-estimate-below-ci a rnet:EffectEstimate ; {FIGURE} ; rnet:hasMeasure rnet:measure_odds_ratio ; '
         "rnet:estimate 1.1 ; rnet:ciLower 1.2 ; rnet:ciUpper 4.8; rnet:confidenceLevel 0.95 ."),
    case("ReportedFigureShape-estimate-ciUpper", "figure-estimate-above-ci",
         f'ex:figure-estimate-above-ci a rnet:EffectEstimate ; {FIGURE} ; rnet:hasMeasure rnet:measure_hazard_ratio ; '
         "rnet:estimate 5.1 ; rnet:ciLower 1.2 ; rnet:ciUpper 4.8; rnet:confidenceLevel 0.95 ."),
    case("ReportedFigureShape-ciLower-ciUpper", "figure-ci-reversed",
         f'ex:figure-ci-reversed a rnet:EffectEstimate ; {FIGURE} ; rnet:hasMeasure rnet:measure_auc ; '
         "rnet:ciLower 0.9 ; rnet:ciUpper 0.7; rnet:confidenceLevel 0.95 ."),
    case("ConfidenceIntervalShape-level", "figure-ci-without-level",
         f'ex:figure-ci-without-level a rnet:EffectEstimate ; {FIGURE} ; rnet:hasMeasure rnet:measure_odds_ratio ; '
         "rnet:estimate 2.5 ; rnet:ciLower 1.2 ; rnet:ciUpper 4.8 ."),
    case("ReportedFigureShape-percentageMatchesCount", "figure-20-of-28",
         f"ex:figure-20-of-28 a rnet:ReportedProportion ; {FIGURE} ; "
         "rnet:count 20 ; rnet:denominator 28 ; rnet:percentage 39.2 .",
         kind="statistic_mismatch", severity="warning"),

    # case-profile.ttl
    case("CaseProfileShape-profileId", "profile-two-ids",
         f'ex:profile-two-ids a rnet:CaseProfile ; {PROFILE} ; rnet:profileId "a" , "b" .'),
    case("CaseProfileShape-sizeMm", "profile-no-size",
         "ex:profile-no-size a rnet:CaseProfile ; rnet:hasMarginStatus rnet:margin_negative ."),
    case("CaseProfileShape-sizeMm-value", "profile-size-zero",
         "ex:profile-size-zero a rnet:CaseProfile ; rnet:sizeMm 0.0 ; rnet:hasMarginStatus rnet:margin_negative ."),
    case("CaseProfileShape-ki67Percent", "profile-ki67-above-hundred",
         f"ex:profile-ki67-above-hundred a rnet:CaseProfile ; {PROFILE} ; rnet:ki67Percent 101.0 ."),
    case("CaseProfileShape-mitosesPer2mm2", "profile-negative-mitoses",
         f"ex:profile-negative-mitoses a rnet:CaseProfile ; {PROFILE} ; rnet:mitosesPer2mm2 -1.0 ."),
    case("CaseProfileShape-grade", "profile-grade-g4",
         f"ex:profile-grade-g4 a rnet:CaseProfile ; {PROFILE} ; rnet:hasGrade ex:G4 ."),
    case("CaseProfileShape-tStage", "profile-two-t-stages",
         f"ex:profile-two-t-stages a rnet:CaseProfile ; {PROFILE} ; rnet:hasTStage rnet:T1 , rnet:T2 ."),
    case("CaseProfileShape-invasionDepth", "profile-depth-is-stage",
         f"ex:profile-depth-is-stage a rnet:CaseProfile ; {PROFILE} ; rnet:hasInvasionDepth rnet:T2 ."),
    case("CaseProfileShape-lymphovascularInvasion", "profile-lvi-text",
         f'ex:profile-lvi-text a rnet:CaseProfile ; {PROFILE} ; rnet:hasLymphovascularInvasion "yes" .'),
    case("CaseProfileShape-nodalStatus", "profile-n2",
         f"ex:profile-n2 a rnet:CaseProfile ; {PROFILE} ; rnet:hasNodalStatus ex:N2 ."),
    case("CaseProfileShape-distantMetastasis", "profile-metastasis-twice",
         f"ex:profile-metastasis-twice a rnet:CaseProfile ; {PROFILE} ; rnet:distantMetastasis true , false ."),
    case("CaseProfileShape-marginStatus", "profile-no-margin",
         "ex:profile-no-margin a rnet:CaseProfile ; rnet:sizeMm 15.0 ."),
    case("CaseProfileShape-marginStatus-value", "profile-margin-unknown",
         "ex:profile-margin-unknown a rnet:CaseProfile ; rnet:sizeMm 15.0 ; rnet:hasMarginStatus ex:unknown ."),
    case("CaseProfileShape-atypicalSurface", "profile-surface-number",
         f"ex:profile-surface-number a rnet:CaseProfile ; {PROFILE} ; rnet:hasAtypicalSurface 1 ."),
    case("CaseProfileShape-resectionProcedure", "profile-radical-resection",
         f"ex:profile-radical-resection a rnet:CaseProfile ; {PROFILE} ; rnet:hasResectionProcedure rnet:RadicalSurgery ."),
    case("CaseProfileShape-liverMetastasis", "profile-liver-text",
         f'ex:profile-liver-text a rnet:CaseProfile ; {PROFILE} ; rnet:liverMetastasis "liver" .'),
    case("CaseProfileShape-metastasesResectable", "profile-resectable-twice",
         f"ex:profile-resectable-twice a rnet:CaseProfile ; {PROFILE} ; rnet:metastasesResectable true , false ."),
    case("CaseProfileShape-atDecisionPoint", "profile-point-is-margin",
         f"ex:profile-point-is-margin a rnet:CaseProfile ; {PROFILE} ; rnet:atDecisionPoint rnet:margin_negative ."),
    # issue 27: the shapes of the instantiated classes that had none (SHACL Core, one file each)
    # reading.ttl
    case("ReadingShape-label", "reading-no-label",
         'ex:reading-no-label a rnet:Reading ; rnet:readingOf ex:passage ; rnet:isDefaultReading false ; rnet:rationale "r" ; rnet:restsOn ex:excerpt .'),
    case("ReadingShape-readingOf", "reading-of-nothing",
         'ex:reading-of-nothing a rnet:Reading ; rdfs:label "r" ; rnet:isDefaultReading false ; '
         'rnet:rationale "r" ; rnet:restsOn ex:excerpt .'),
    case("ReadingShape-readingOf-class", "reading-of-excerpt",
         'ex:reading-of-excerpt a rnet:Reading ; rdfs:label "r" ; rnet:readingOf ex:excerpt ; '
         'rnet:isDefaultReading false ; rnet:rationale "r" ; rnet:restsOn ex:excerpt .'),
    case("ReadingShape-isDefaultReading", "reading-default-text",
         'ex:reading-default-text a rnet:Reading ; rdfs:label "r" ; rnet:readingOf ex:passage ; '
         'rnet:isDefaultReading "no" ; rnet:rationale "r" ; rnet:restsOn ex:excerpt .'),
    case("ReadingShape-rationale", "reading-no-rationale",
         'ex:reading-no-rationale a rnet:Reading ; rdfs:label "r" ; rnet:readingOf ex:passage ; '
         'rnet:isDefaultReading false ; rnet:restsOn ex:excerpt .'),
    case("ReadingShape-restsOn", "reading-no-quote",
         'ex:reading-no-quote a rnet:Reading ; rdfs:label "r" ; rnet:readingOf ex:passage ; '
         'rnet:isDefaultReading false ; rnet:rationale "r" .'),
    case("ReadingShape-restsOn-class", "reading-rests-on-document",
         'ex:reading-rests-on-document a rnet:Reading ; rdfs:label "r" ; rnet:readingOf ex:passage ; '
         'rnet:isDefaultReading false ; rnet:rationale "r" ; rnet:restsOn ex:doc .'),
    # reading.ttl: combinations of readings
    case("ReadingCombinationShape-label", "combination-no-label",
         'ex:combination-no-label a rnet:ReadingCombination ; rnet:combinesReading ex:reading-other , ex:reading-two-other .'),
    case("ReadingCombinationShape-combinesReading", "combination-of-one",
         'ex:combination-of-one a rnet:ReadingCombination ; rdfs:label "r" ; rnet:combinesReading ex:reading-other .'),
    case("ReadingCombinationShape-combinesReading-other", "combination-with-a-default",
         'ex:combination-with-a-default a rnet:ReadingCombination ; rdfs:label "r" ; '
         'rnet:combinesReading ex:reading-other , ex:reading-two-default .'),
    # ambiguous-passage.ttl
    case("AmbiguousPassageShape-label", "passage-no-label",
         'ex:passage-no-label a rnet:AmbiguousPassage ; rnet:defaultReason "d" ; rnet:restsOn ex:excerpt . ex:passage-no-label-r1 a rnet:Reading ; rdfs:label "r" ; rnet:readingOf ex:passage-no-label ; rnet:isDefaultReading true ; rnet:rationale "r" ; rnet:restsOn ex:excerpt . ex:passage-no-label-r2 a rnet:Reading ; rdfs:label "r" ; rnet:readingOf ex:passage-no-label ; rnet:isDefaultReading false ; rnet:rationale "r" ; rnet:restsOn ex:excerpt . '),
    case("AmbiguousPassageShape-oneDefault", "passage-two-defaults",
         'ex:passage-two-defaults a rnet:AmbiguousPassage ; rnet:defaultReason "d" ; rnet:restsOn ex:excerpt ; rdfs:label "p" . ex:passage-two-defaults-r1 a rnet:Reading ; rdfs:label "r" ; rnet:readingOf ex:passage-two-defaults ; rnet:isDefaultReading true ; rnet:rationale "r" ; rnet:restsOn ex:excerpt . ex:passage-two-defaults-r2 a rnet:Reading ; rdfs:label "r" ; rnet:readingOf ex:passage-two-defaults ; rnet:isDefaultReading true ; rnet:rationale "r" ; rnet:restsOn ex:excerpt . '),
    case("AmbiguousPassageShape-oneDefault", "passage-no-default",
         'ex:passage-no-default a rnet:AmbiguousPassage ; rnet:defaultReason "d" ; rnet:restsOn ex:excerpt ; rdfs:label "p" . ex:passage-no-default-r1 a rnet:Reading ; rdfs:label "r" ; rnet:readingOf ex:passage-no-default ; rnet:isDefaultReading false ; rnet:rationale "r" ; rnet:restsOn ex:excerpt . ex:passage-no-default-r2 a rnet:Reading ; rdfs:label "r" ; rnet:readingOf ex:passage-no-default ; rnet:isDefaultReading false ; rnet:rationale "r" ; rnet:restsOn ex:excerpt . ', variant="no default"),
    case("AmbiguousPassageShape-readings", "passage-one-reading",
         'ex:passage-one-reading a rnet:AmbiguousPassage ; rnet:defaultReason "d" ; rnet:restsOn ex:excerpt ; rdfs:label "p" . ex:passage-one-reading-r1 a rnet:Reading ; rdfs:label "r" ; rnet:readingOf ex:passage-one-reading ; rnet:isDefaultReading true ; rnet:rationale "r" ; rnet:restsOn ex:excerpt . ', severity="warning"),
    case("AmbiguousPassageShape-defaultReason", "passage-no-reason",
         'ex:passage-no-reason a rnet:AmbiguousPassage ; rnet:restsOn ex:excerpt ; rdfs:label "p" . ex:passage-no-reason-r1 a rnet:Reading ; rdfs:label "r" ; rnet:readingOf ex:passage-no-reason ; rnet:isDefaultReading true ; rnet:rationale "r" ; rnet:restsOn ex:excerpt . ex:passage-no-reason-r2 a rnet:Reading ; rdfs:label "r" ; rnet:readingOf ex:passage-no-reason ; rnet:isDefaultReading false ; rnet:rationale "r" ; rnet:restsOn ex:excerpt . '),
    case("AmbiguousPassageShape-restsOn", "passage-no-quote",
         'ex:passage-no-quote a rnet:AmbiguousPassage ; rnet:defaultReason "d" ; rdfs:label "p" . ex:passage-no-quote-r1 a rnet:Reading ; rdfs:label "r" ; rnet:readingOf ex:passage-no-quote ; rnet:isDefaultReading true ; rnet:rationale "r" ; rnet:restsOn ex:excerpt . ex:passage-no-quote-r2 a rnet:Reading ; rdfs:label "r" ; rnet:readingOf ex:passage-no-quote ; rnet:isDefaultReading false ; rnet:rationale "r" ; rnet:restsOn ex:excerpt . '),
    case("AmbiguousPassageShape-restsOn-class", "passage-rests-on-document",
         'ex:passage-rests-on-document a rnet:AmbiguousPassage ; rnet:defaultReason "d" ; rnet:restsOn ex:doc ; rdfs:label "p" . ex:passage-rests-on-document-r1 a rnet:Reading ; rdfs:label "r" ; rnet:readingOf ex:passage-rests-on-document ; rnet:isDefaultReading true ; rnet:rationale "r" ; rnet:restsOn ex:excerpt . ex:passage-rests-on-document-r2 a rnet:Reading ; rdfs:label "r" ; rnet:readingOf ex:passage-rests-on-document ; rnet:isDefaultReading false ; rnet:rationale "r" ; rnet:restsOn ex:excerpt . '),
    # guideline-document.ttl
    case("GuidelineDocumentShape-label", "gl-no-label",
         'ex:doc cito:cites ex:gl-no-label . ex:gl-no-label a rnet:GuidelineDocument , fabio:ClinicalGuideline ; rnet:guidelineKey "GLA" ; rnet:hasIssuingBody ex:body ; rnet:listPosition 9 ; rnet:publicationYear 2023 ; rnet:bibliographicReference "ref" .'),
    case("GuidelineDocumentShape-guidelineKey", "gl-lowercase-key",
         'ex:doc cito:cites ex:gl-lowercase-key . ex:gl-lowercase-key a rnet:GuidelineDocument , fabio:ClinicalGuideline ; rdfs:label "g" ; rnet:guidelineKey "enets 2023" ; rnet:hasIssuingBody ex:body ; rnet:listPosition 9 ; rnet:publicationYear 2023 ; rnet:bibliographicReference "ref" .'),
    case("GuidelineDocumentShape-issuingBody", "gl-no-body",
         'ex:doc cito:cites ex:gl-no-body . ex:gl-no-body a rnet:GuidelineDocument , fabio:ClinicalGuideline ; rdfs:label "g" ; rnet:guidelineKey "GLC" ; rnet:listPosition 9 ; '
         'rnet:publicationYear 2023 ; rnet:bibliographicReference "ref" .'),
    case("GuidelineDocumentShape-issuingBody-class", "gl-issued-by-article",
         'ex:doc cito:cites ex:gl-issued-by-article . ex:gl-issued-by-article a rnet:GuidelineDocument , fabio:ClinicalGuideline ; rdfs:label "g" ; rnet:guidelineKey "GLD" ; '
         'rnet:hasIssuingBody ex:doc ; rnet:listPosition 9 ; rnet:publicationYear 2023 ; rnet:bibliographicReference "ref" .'),
    case("GuidelineDocumentShape-listPosition", "gl-position-zero",
         'ex:doc cito:cites ex:gl-position-zero . ex:gl-position-zero a rnet:GuidelineDocument , fabio:ClinicalGuideline ; rdfs:label "g" ; rnet:guidelineKey "GLE" ; '
         'rnet:hasIssuingBody ex:body ; rnet:listPosition 0 ; rnet:publicationYear 2023 ; rnet:bibliographicReference "ref" .'),
    case("GuidelineDocumentShape-publicationYear", "gl-year-text",
         'ex:doc cito:cites ex:gl-year-text . ex:gl-year-text a rnet:GuidelineDocument , fabio:ClinicalGuideline ; rdfs:label "g" ; rnet:guidelineKey "GLF" ; '
         'rnet:hasIssuingBody ex:body ; rnet:listPosition 9 ; rnet:publicationYear "2023" ; rnet:bibliographicReference "ref" .'),
    case("GuidelineDocumentShape-bibliographicReference", "gl-no-reference",
         'ex:doc cito:cites ex:gl-no-reference . ex:gl-no-reference a rnet:GuidelineDocument , fabio:ClinicalGuideline ; rdfs:label "g" ; rnet:guidelineKey "GLG" ; '
         'rnet:hasIssuingBody ex:body ; rnet:listPosition 9 ; rnet:publicationYear 2023 .', severity="warning"),
    case("GuidelineDocumentShape-yearOrNote", "gl-no-year",
         'ex:doc cito:cites ex:gl-no-year . ex:gl-no-year a rnet:GuidelineDocument , fabio:ClinicalGuideline ; rdfs:label "g" ; rnet:guidelineKey "GLH" ; '
         'rnet:hasIssuingBody ex:body ; rnet:listPosition 9 ; rnet:bibliographicReference "ref" .', severity="warning"),
    case("GuidelineDocumentShape-keyUnique", "gl-duplicate-key",
         'ex:doc cito:cites ex:gl-duplicate-key . ex:gl-duplicate-key a rnet:GuidelineDocument , fabio:ClinicalGuideline ; rdfs:label "g" ; rnet:guidelineKey "FIXTURE" ; rnet:hasIssuingBody ex:body ; rnet:listPosition 9 ; rnet:publicationYear 2023 ; rnet:bibliographicReference "ref" .',
         also=(("GuidelineDocumentShape-keyUnique", "guideline"),)),
    # issuing-body.ttl
    case("OrganizationShape-label", "body-no-label",
         'ex:body-no-label a rnet:IssuingBody . ex:doc cito:cites ex:gl-body-no-label . ex:gl-body-no-label a rnet:GuidelineDocument , fabio:ClinicalGuideline ; rdfs:label "g" ; '
         'rnet:guidelineKey "GLI" ; rnet:hasIssuingBody ex:body-no-label ; rnet:listPosition 9 ; '
         'rnet:publicationYear 2023 ; rnet:bibliographicReference "ref" .'),
    case("IssuingBodyShape-issues", "body-unused",
         'ex:body-unused a rnet:IssuingBody ; rdfs:label "b" .', severity="warning"),
    # follow-up-plan.ttl
    case("FollowUpPlanShape-label", "fu-no-label", 'ex:fu-no-label a rnet:FollowUpPlan ; rnet:followUpText "every 6-12 months" .'),
    case("FollowUpPlanShape-followUpText", "fu-no-text", 'ex:fu-no-text a rnet:FollowUpPlan ; rdfs:label "f" .'),
    case("FollowUpPlanShape-intervalMin", "fu-min-zero",
         'ex:fu-min-zero a rnet:FollowUpPlan ; rdfs:label "f" ; rnet:followUpText "every 6-12 months" ; rnet:followUpIntervalMinMonths 0.0 .'),
    case("FollowUpPlanShape-intervalMax", "fu-max-text",
         'ex:fu-max-text a rnet:FollowUpPlan ; rdfs:label "f" ; rnet:followUpText "every 6-12 months" ; rnet:followUpIntervalMaxMonths "12" .'),
    case("FollowUpPlanShape-intervalOrder", "fu-min-above-max",
         'ex:fu-min-above-max a rnet:FollowUpPlan ; rdfs:label "f" ; rnet:followUpText "every 6-12 months" ; '
         'rnet:followUpIntervalMinMonths 12.0 ; rnet:followUpIntervalMaxMonths 6.0 .'),
    case("FollowUpPlanShape-duration", "fu-duration-negative",
         'ex:fu-duration-negative a rnet:FollowUpPlan ; rdfs:label "f" ; rnet:followUpText "every 6-12 months" ; rnet:followUpDurationMonths -12.0 .'),
    case("FollowUpPlanShape-followUpBy-class", "fu-by-procedure",
         'ex:fu-by-procedure a rnet:FollowUpPlan ; rdfs:label "f" ; rnet:followUpText "every 6-12 months" ; rnet:followUpBy ex:doc .'),
    case("FollowUpPlanShape-followUpBy-class", "fu-by-esd",
         'ex:fu-by-esd a rnet:FollowUpPlan ; rdfs:label "f" ; rnet:followUpText "every 6-12 months" ; '
         'rnet:followUpBy rnet:Endoscopy , rnet:EndoscopicSubmucosalDissection .',
         variant="a procedure class"),
    case("FollowUpPlanShape-noFollowUp", "fu-none-text",
         'ex:fu-none-text a rnet:FollowUpPlan ; rdfs:label "f" ; rnet:followUpText "every 6-12 months" ; rnet:noFollowUp "yes" .'),
    # source-document.ttl
    case("SourceDocumentShape-label", "doc-no-label",
         'ex:doc-no-label a rnet:SourceDocument ; rnet:doi "10.1000/fixture" ; rnet:publicationYear 2025 ; dcterms:rights "Copyright" ; <http://purl.org/dc/terms/identifier> "no-such-seed" .'),
    case("SourceDocumentShape-doi", "doc-doi-url",
         'ex:doc-doi-url a rnet:SourceDocument ; rdfs:label "d" ; rnet:doi "https://doi.org/10.1000/x" ; '
         'dcterms:rights "Copyright" ; <http://purl.org/dc/terms/identifier> "no-such-seed" .'),
    case("SourceDocumentShape-identifier", "doc-no-identifier",
         'ex:doc-no-identifier a rnet:SourceDocument ; rdfs:label "d" ; rnet:doi "10.1000/x" ; dcterms:rights "Copyright" .'),
    case("SourceDocumentShape-license", "doc-licence-text",
         'ex:doc-licence-text a rnet:SourceDocument ; rdfs:label "d" ; rnet:doi "10.1000/fixture" ; rnet:publicationYear 2025 ; dcterms:rights "Copyright" ; <http://purl.org/dc/terms/identifier> "no-such-seed" ; dcterms:license "CC BY-NC 4.0" .'),
    case("SourceDocumentShape-publicationYear", "doc-two-years",
         'ex:doc-two-years a rnet:SourceDocument ; rdfs:label "d" ; rnet:doi "10.1000/fixture" ; rnet:publicationYear 2025 ; dcterms:rights "Copyright" ; <http://purl.org/dc/terms/identifier> "no-such-seed" ; rnet:publicationYear 2026 .'),
    case("SourceDocumentShape-licenceOrRights", "doc-no-licence",
         'ex:doc-no-licence a rnet:SourceDocument ; rdfs:label "d" ; rnet:doi "10.1000/x" ; '
         '<http://purl.org/dc/terms/identifier> "no-such-seed" .'),
    # entity.ttl
    case("EntityShape-label", "entity-two-labels",
         'ex:entity-two-labels a <http://www.w3.org/ns/prov#Entity> ; rdfs:label "one"@en , "two"@en .'),
    case("EntityShape-source-class", "entity-source-is-document",
         'ex:entity-source-is-document a <http://www.w3.org/ns/prov#Entity> ; rdfs:label "e" ; rnet:source ex:doc .'),
    # pathway.ttl
    case("PathwayShape-label", "pathway-no-label", 'ex:pathway-no-label a rnet:Pathway ; rnet:asWritten "p" .'),
    case("PathwayShape-asWritten", "pathway-not-as-written", 'ex:pathway-not-as-written a rnet:Pathway ; rdfs:label "p" .'),
    # statement.ttl
    case("StatementShape-source", "statement-no-source", 'ex:statement-no-source a rnet:Statement ; rdfs:label "s" .'),
    case("StatementShape-source-class", "statement-source-is-document",
         'ex:statement-source-is-document a rnet:Statement ; rdfs:label "s" ; rnet:source ex:doc .'),
    case("HoldsUnderReadingShape-one", "statement-two-readings",
         'ex:statement-two-readings a rnet:Statement ; rdfs:label "s" ; rnet:source ex:excerpt ; '
         'rnet:holdsUnderReading ex:reading-default , ex:reading-other .'),
    case("HoldsUnderReadingShape-one", "criterion-two-readings",
         'ex:criterion-two-readings a rnet:BooleanCondition ; rdfs:label "c" ; rnet:onField rnet:field_lymphovascular_invasion ; '
         'rnet:requiredBoolean true ; rnet:asWritten "c" ; rnet:holdsUnderReading ex:reading-default , ex:reading-other .'),
    # reported-values.ttl
    case("ReportedValuesShape-measure", "measure-not-listed",
         'ex:measure-not-listed a rnet:Statement ; rdfs:label "s" ; rnet:source ex:excerpt ; rnet:hasMeasure ex:odds .'),
    case("ReportedValuesShape-measure", "measure-twice",
         'ex:measure-twice a rnet:Statement ; rdfs:label "s" ; rnet:source ex:excerpt ; '
         'rnet:hasMeasure rnet:measure_odds_ratio , rnet:measure_hazard_ratio .', variant="two measures"),
    case("ReportedValuesShape-measureText", "measure-as-text",
         'ex:measure-as-text a rnet:Statement ; rdfs:label "s" ; rnet:source ex:excerpt ; rnet:measure "OR" .'),
    case("ReportedValuesShape-analysis", "analysis-not-listed",
         'ex:analysis-not-listed a rnet:Statement ; rdfs:label "s" ; rnet:source ex:excerpt ; rnet:analysis "bivariate" .'),
    # dataset.ttl
    case("DatasetShape-title", "ds-no-title",
         "ex:ds-no-title a <http://www.w3.org/ns/dcat#Dataset> ; <http://www.w3.org/ns/dcat#version> \"0.1.0\" ; dcterms:creator ex:body ; dcterms:source ex:doc ; <http://purl.org/vocab/vann/preferredNamespacePrefix> \"kg\" ; dcterms:bibliographicCitation \"c\" ; dcterms:license <https://creativecommons.org/licenses/by-nc/4.0/> ."),
    case("DatasetShape-license", "ds-licence-text",
         "ex:ds-licence-text a <http://www.w3.org/ns/dcat#Dataset> ; <http://www.w3.org/ns/dcat#version> \"0.1.0\" ; dcterms:title \"t\" ; dcterms:creator ex:body ; dcterms:source ex:doc ; <http://purl.org/vocab/vann/preferredNamespacePrefix> \"kg\" ; dcterms:bibliographicCitation \"c\" ; dcterms:license \"CC BY-NC\" ."),
    case("DatasetShape-version", "ds-version-word",
         "ex:ds-version-word a <http://www.w3.org/ns/dcat#Dataset> ; dcterms:title \"t\" ; dcterms:creator ex:body ; dcterms:source ex:doc ; <http://purl.org/vocab/vann/preferredNamespacePrefix> \"kg\" ; dcterms:bibliographicCitation \"c\" ; dcterms:license <https://creativecommons.org/licenses/by-nc/4.0/> ; <http://www.w3.org/ns/dcat#version> \"first\" ."),
    case("DatasetShape-source", "ds-source-guideline",
         "ex:ds-source-guideline a <http://www.w3.org/ns/dcat#Dataset> ; <http://www.w3.org/ns/dcat#version> \"0.1.0\" ; dcterms:title \"t\" ; dcterms:creator ex:body ; <http://purl.org/vocab/vann/preferredNamespacePrefix> \"kg\" ; dcterms:bibliographicCitation \"c\" ; dcterms:license <https://creativecommons.org/licenses/by-nc/4.0/> ; dcterms:source ex:guideline ."),
    case("DatasetShape-creator", "ds-no-creator",
         "ex:ds-no-creator a <http://www.w3.org/ns/dcat#Dataset> ; <http://www.w3.org/ns/dcat#version> \"0.1.0\" ; dcterms:title \"t\" ; dcterms:source ex:doc ; <http://purl.org/vocab/vann/preferredNamespacePrefix> \"kg\" ; dcterms:bibliographicCitation \"c\" ; dcterms:license <https://creativecommons.org/licenses/by-nc/4.0/> ."),
    case("DatasetShape-prefix", "ds-no-prefix",
         "ex:ds-no-prefix a <http://www.w3.org/ns/dcat#Dataset> ; <http://www.w3.org/ns/dcat#version> \"0.1.0\" ; dcterms:title \"t\" ; dcterms:creator ex:body ; dcterms:source ex:doc ; dcterms:bibliographicCitation \"c\" ; dcterms:license <https://creativecommons.org/licenses/by-nc/4.0/> ."),
    case("DatasetShape-citation", "ds-no-citation",
         "ex:ds-no-citation a <http://www.w3.org/ns/dcat#Dataset> ; <http://www.w3.org/ns/dcat#version> \"0.1.0\" ; dcterms:title \"t\" ; dcterms:creator ex:body ; dcterms:source ex:doc ; <http://purl.org/vocab/vann/preferredNamespacePrefix> \"kg\" ; dcterms:license <https://creativecommons.org/licenses/by-nc/4.0/> ."),
    case("ReportedValuesShape-pComparator", "comparator-not-listed",
         'ex:comparator-not-listed a rnet:Statement ; rdfs:label "s" ; rnet:source ex:excerpt ; rnet:pComparator "≤" .'),
]


@pytest.fixture
def fixture_seeds(monkeypatch):
    """The quote check reads the fixture seed, not the real seeds."""
    monkeypatch.setenv("RNETKG_SEEDS", str(FIXTURE_SEEDS))


def _validate_turtle(tmp_path: Path, turtle: str, name: str = "extra.ttl") -> list[Finding]:
    extra = tmp_path / name
    extra.write_text(HEADER + turtle + "\n", encoding="utf-8")
    return validate(data_files=[CONFORMING], extra_data=[extra])


@pytest.fixture(scope="module")
def case_findings(tmp_path_factory) -> dict[str, list[Finding]]:
    """Validate the conforming fixture plus every case at once (one pySHACL run), by subject."""
    extra = tmp_path_factory.mktemp("shapes") / "cases.ttl"
    extra.write_text(HEADER + "\n".join(p.values[2] for p in CASES) + "\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RNETKG_SEEDS", str(FIXTURE_SEEDS))
        findings = validate(data_files=[CONFORMING], extra_data=[extra])
    by_subject: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_subject[f.subject].append(f)
    return by_subject


@pytest.fixture(scope="module")
def shapes_graph() -> Graph:
    g = Graph()
    for path in paths.shape_files():
        g.parse(path, format="turtle")
    return g


def _message_prefixes(shapes: Graph, shape: URIRef) -> list[str]:
    """The fixed start of each message the shape can give (text before the first placeholder)."""
    messages = list(shapes.objects(shape, SH.message))
    for constraint in shapes.objects(shape, SH.sparql):
        messages.extend(shapes.objects(constraint, SH.message))
    assert messages, f"{shape} has no sh:message"
    return [str(m).split("{")[0] for m in messages]


@pytest.mark.parametrize(("shape", "subject", "turtle", "kind", "severity", "also"), CASES)
def test_violating_fixture_is_caught(case_findings, shapes_graph, shape, subject, turtle, kind, severity, also):
    expected = [(shape, subject, kind, severity)]
    expected += [(s, subj, KIND_BY_SHAPE.get(SHAPES[s], "shacl"), "error") for s, subj in also]
    subjects = {EX + subj for _, subj, _, _ in expected}
    actual = [f for s in subjects for f in case_findings.get(s, [])]
    unmatched = list(actual)
    for exp_shape, exp_subject, exp_kind, exp_severity in expected:
        prefixes = _message_prefixes(shapes_graph, SHAPES[exp_shape])
        match = next((f for f in unmatched
                      if (f.kind, f.severity, f.subject) == (exp_kind, exp_severity, EX + exp_subject)
                      and any(f.message.startswith(p) for p in prefixes)), None)
        assert match is not None, f"no {exp_kind}/{exp_severity} finding of {exp_shape} on ex:{exp_subject}: {actual}"
        unmatched.remove(match)
    assert not unmatched, f"unexpected findings: {unmatched}"


def test_every_shape_has_a_violating_fixture(shapes_graph):
    constraining = {
        s for s in set(shapes_graph.subjects(SH.message, None)) | set(shapes_graph.subjects(SH.sparql, None))
        if isinstance(s, URIRef) and s.startswith(str(SHAPES))
        and (s, RDF.type, SH.SPARQLConstraint) not in shapes_graph
    }
    covered = {SHAPES[p.values[0]] for p in CASES}
    assert sorted(constraining - covered) == [], "shapes without a violating fixture"
    assert sorted(covered - constraining) == [], "fixtures for shapes that do not exist"


def test_every_constraint_has_a_message(shapes_graph):
    for shape in set(shapes_graph.subjects(SH.path, None)) | set(shapes_graph.subjects(SH.sparql, None)):
        if isinstance(shape, URIRef) and shape.startswith(str(SHAPES)):
            assert _message_prefixes(shapes_graph, shape)
    for constraint in shapes_graph.subjects(RDF.type, SH.SPARQLConstraint):
        assert shapes_graph.value(constraint, SH.message) is not None, constraint


def test_conforming_fixture_has_no_finding(fixture_seeds):
    assert validate(data_files=[CONFORMING]) == []


def test_quote_found_despite_line_breaks_and_spacing(fixture_seeds, tmp_path):
    # ex:excerpt-across-lines in the conforming fixture spans a line break and no-break spaces
    # of the seed; the twin below changes one word and is caught.
    findings = _validate_turtle(tmp_path, (
        f'ex:excerpt-changed a rnet:SourceExcerpt ; {EXCERPT} ; '
        'rnet:quote "Very small (< 1 cm)\\n    Negative margin: No follow-up" .'))
    assert [(f.kind, f.severity, f.subject) for f in findings] == [
        ("quote_not_in_source", "error", EX + "excerpt-changed")]
    assert "Very small (< 1 cm) Negative margin: No follow-up" in findings[0].message
    assert EX + "doc" in findings[0].message


def test_arithmetic_flags_wrong_percentage_as_warning(fixture_seeds, tmp_path):
    findings = _validate_turtle(tmp_path, (
        f"ex:lnm a rnet:ReportedProportion ; {FIGURE} ; rnet:count 20 ; rnet:denominator 28 ; rnet:percentage 39.2 ."))
    assert [(f.kind, f.severity, f.subject) for f in findings] == [("statistic_mismatch", "warning", EX + "lnm")]
    for value in ("20/28", "71.43", "39.2", "0.05"):
        assert value in findings[0].message


@pytest.mark.parametrize(("count", "denominator", "percentage", "flagged"), [
    (8, 32, "25", False),        # exact
    (20, 51, "39.2", False),     # 39.22, one decimal: within 0.05
    (1, 3, "33", False),         # 33.33, no decimal: within 0.5
    (1, 3, "33.0", True),        # written with one decimal: 0.33 is more than 0.05
    (26, 32, "81", False),       # 81.25 written 81
    (26, 32, "81.0", True),
    (1, 8, "12.5", False),
    (1, 8, "12.6", True),
])
def test_arithmetic_rounding_follows_the_written_decimals(fixture_seeds, tmp_path, count, denominator, percentage, flagged):
    findings = _validate_turtle(tmp_path, (
        f"ex:p a rnet:ReportedProportion ; {FIGURE} ; rnet:count {count} ; rnet:denominator {denominator} ; "
        f'rnet:percentage "{percentage}"^^xsd:decimal .'))
    assert [f.kind for f in findings] == (["statistic_mismatch"] if flagged else [])


def test_missing_seeds_folder_is_one_clear_error(monkeypatch):
    monkeypatch.setattr(paths, "seeds_dir", lambda: None)
    findings = validate(data_files=[CONFORMING])
    assert len(findings) == 1
    (finding,) = findings
    assert (finding.kind, finding.severity) == ("seeds_not_found", "error")
    assert "RNETKG_SEEDS" in finding.message


def test_seeds_folder_given_but_missing_is_one_clear_error(tmp_path):
    findings = validate(data_files=[CONFORMING], seeds=tmp_path / "no-such-folder")
    assert [(f.kind, f.severity) for f in findings] == [("seeds_not_found", "error")]
    assert "no-such-folder" in findings[0].message


def test_unparsable_file_is_an_error(fixture_seeds, tmp_path):
    broken = tmp_path / "broken.ttl"
    broken.write_text(HEADER + "ex:a rnet:quote .\n", encoding="utf-8")
    findings = validate(data_files=[CONFORMING], extra_data=[broken])
    assert [(f.kind, f.severity, f.subject) for f in findings] == [("rdf_syntax_error", "error", str(broken))]


def test_kind_is_chosen_by_shape_iri():
    assert QUOTE_SHAPE == SHAPES["SourceExcerptShape-quoteInSource"]
    assert ARITHMETIC_SHAPE == SHAPES["ReportedFigureShape-percentageMatchesCount"]


def test_finding_to_dict():
    f = Finding("shacl", "error", EX + "x", "message")
    assert f.to_dict() == {"kind": "shacl", "severity": "error", "subject": EX + "x", "message": "message"}


def test_shipped_graph_has_no_error():
    """Whatever kg/ holds now: no error-level finding (its speed is measured by `make bench`)."""
    findings = validate()
    errors = [f for f in findings if f.severity == "error"]
    assert errors == [], "\n".join(f"{f.kind} {f.subject}: {f.message}" for f in errors)
