"""Issue 26 item 1: `rnetkg fhir recommendations` - the recommendations as FHIR R4 PlanDefinitions whose
FHIRPath applicability conditions, run by an engine other than rnetkg's (fhirpathpy) on the Bundle that
`rnetkg fhir export` writes, select exactly the recommendations that `compare` says apply."""

from __future__ import annotations

import json
import random
from pathlib import Path

import fhirpathpy  # the test extra (pyproject.toml): a FHIRPath engine independent of rnetkg
import pytest
from fhirpathpy.models import models

from rnetkg import compare as cmp
from rnetkg.criteria.load import model_for
from rnetkg.fhir import bundle_from_profile
from rnetkg.fhir.plan import recommendations_bundle
from rnetkg.fields import FIELD_NAMES
from rnetkg.profile import parse_profile
from rnetkg.vocab import DEFAULT_CONTEXT

from conformance.profiles import random_profiles


CASES = sorted(Path(__file__).parent.glob("fixtures/cases/*.json"))


@pytest.fixture(scope="module")
def model(store_engine):
    return model_for(store_engine)


@pytest.fixture(scope="module")
def bundle(model):
    return recommendations_bundle(model, "0.1.0", "2026")


@pytest.fixture(scope="module")
def compiled(bundle):
    plans = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "PlanDefinition"]
    return {p["identifier"][0]["value"]: [fhirpathpy.compile(c["expression"]["expression"], models["r4"])
                                          for c in p["action"][0]["condition"]]
            for p in plans if p["status"] == "active"}


def applicable_by_fhirpath(compiled, profile: dict) -> set[str]:
    patient = bundle_from_profile(profile)
    return {rid for rid, fns in compiled.items() if all(fn(patient) == [True] for fn in fns)}


def applicable_by_compare(profile: dict, engine) -> set[str]:
    (evaluation,) = cmp.evaluate_profiles([parse_profile(profile)], engine)
    return {r.statement.id for r in evaluation.statements if r.status == 1 and r.statement.guideline}


def as_dict(p) -> dict:
    return {n: getattr(p, n) for n in FIELD_NAMES if getattr(p, n) is not None}


def test_issue26_the_bundle_validates_under_the_r4_models(bundle):
    from fhirclient.models.bundle import Bundle

    parsed = Bundle(bundle)   # strict: raises FHIRValidationError on any invalid element
    kinds = {e.resource.resource_type for e in parsed.entry}
    assert kinds == {"PlanDefinition", "ActivityDefinition"}


def test_issue26_every_recommendation_has_its_plan_definition(model, bundle):
    ids = {e["resource"]["identifier"][0]["value"] for e in bundle["entry"]
           if e["resource"]["resourceType"] == "PlanDefinition"}
    assert ids == {s.id for s in model.statements.values() if s.guideline and s.criteria}


def test_issue26_a_plan_definition_cites_its_source_quote_and_is_an_eca_rule(model, bundle):
    s = next(s for s in model.statements.values() if s.id == "enets-2023/rec-1-2cm-mdt")
    plan = next(e["resource"] for e in bundle["entry"] if e["resource"]["identifier"][0]["value"] == s.id)
    assert plan["type"]["coding"][0]["code"] == "eca-rule"
    assert plan["relatedArtifact"][0]["citation"] == s.source.quote
    assert plan["relatedArtifact"][0]["url"] == "https://doi.org/" + s.source.document
    assert plan["version"] == "0.1.0" and plan["date"] == "2026" and plan["status"] == "active"
    assert all(c["kind"] == "applicability" and c["expression"]["language"] == "text/fhirpath"
               for c in plan["action"][0]["condition"])
    assert len(plan["action"][0]["condition"]) == 1 + len(s.criteria)


def test_issue26_a_statement_of_a_non_default_reading_is_draft_with_its_reading(model, bundle):
    default = model.statements_in(DEFAULT_CONTEXT)
    drafts = {e["resource"]["identifier"][0]["value"]: e["resource"] for e in bundle["entry"]
              if e["resource"].get("status") == "draft"}
    assert drafts, "the graph has statements that hold only under a non-default reading"
    assert set(drafts) == {s.id for iri, s in model.statements.items() if s.guideline and s.criteria
                           and iri not in default}
    assert all(p["usage"].startswith("Holds only under a non-default reading of its source: ") for p in drafts.values())


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_issue26_fhirpath_agrees_with_compare_on_every_case_fixture(case, compiled, store_engine):
    profile = json.loads(case.read_text())["profile"]
    assert applicable_by_fhirpath(compiled, profile) == applicable_by_compare(profile, store_engine)


def test_issue26_fhirpath_agrees_with_compare_on_200_generated_profiles(model, compiled, store_engine):
    rng = random.Random(26)
    profiles = []
    for p in random_profiles(200, seed=26, model=model):
        d = as_dict(p)
        if d.get("distant_metastasis") is True:
            for f in ("liver_metastasis", "metastases_resectable"):
                if rng.random() < 0.6:
                    d[f] = rng.choice([True, False])
        if d["margin"] != "not_resected" and rng.random() < 0.5:
            d["resection_procedure"] = rng.choice(["polypectomy", "emr", "esd", "tem", "transanal_excision"])
        profiles.append(d)
    evaluations = cmp.evaluate_profiles([parse_profile(d) for d in profiles], store_engine)
    for d, ev in zip(profiles, evaluations):
        want = {r.statement.id for r in ev.statements if r.status == 1 and r.statement.guideline}
        assert applicable_by_fhirpath(compiled, d) == want, d


def test_issue26_cli_writes_the_bundle_through_the_safe_writer(tmp_path, capsys):
    from rnetkg.cli import main

    out = tmp_path / "recs.json"
    assert main(["fhir", "recommendations", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["resourceType"] == "Bundle" and data["type"] == "collection"
    link = tmp_path / "link.json"
    link.symlink_to(out)
    assert main(["fhir", "recommendations", "--out", str(link)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--out" in err[0]


def test_issue26_a_criterion_on_a_field_the_export_does_not_write_is_a_model_error():
    from rnetkg.criteria.model import Atom
    from rnetkg.errors import ModelError
    from rnetkg.fhir.fhirpath import atom_expression

    with pytest.raises(ModelError, match="no FHIRPath for the criterion atom x/a1 \\(boolean on field tumour_colour\\)"):
        atom_expression(Atom("x/a1", "boolean", "tumour_colour", required=True))


def test_issue26_draft_plan_definitions_agree_with_their_reading_on_every_case_fixture(model, bundle):
    drafts = [e["resource"] for e in bundle["entry"] if e["resource"].get("status") == "draft"]
    by_id = {s.id: s for s in model.statements.values()}
    contexts = {iri: ctx for ctx, table in model.context_criteria.items() if ctx != DEFAULT_CONTEXT for iri in table}
    checks = 0
    for case in CASES:
        profile = json.loads(case.read_text())["profile"]
        parsed, patient = parse_profile(profile), bundle_from_profile(profile)
        for plan in drafts:
            s = by_id[plan["identifier"][0]["value"]]
            held = model.statements_in(contexts[s.iri])[s.iri].status(parsed.criteria_values(), parsed.decision_point)
            got = all(fhirpathpy.evaluate(patient, c["expression"]["expression"], {}, models["r4"]) == [True]
                      for c in plan["action"][0]["condition"])
            assert got == (held == 1), (case.stem, s.id)
            checks += got
    assert checks > 0, "some draft recommendation applies to some case fixture under its reading"
