"""The CDS Hooks 2.0 service of `rnetkg serve`: discovery at `/cds-services`, the service
`rnet-guideline-comparison` on the `patient-view` hook, and its feedback endpoint (feedback.py).

The service reads the prefetched Observations, Procedures and Conditions of the patient (the prefetch
keys `observations`, `procedures` and `conditions`; this service never queries the EHR's FHIR server).
It answers only for a patient with a rectal NET Condition (the diagnosis gate: ICD-10-CM C7A.026 or
D3A.026, or ICD-O-3 morphology 8240/3 or 8249/3 with topography C20; confirmed or unstated, active or
unstated) and reads only the resources about it (an Observation whose `focus` names other Conditions
only is not read). It makes the case profile with rnetkg.fhir, answers with the criteria model and
returns cards, each with a `uuid` (what feedback names) and coded `overrideReasons`:

- an `info` card: the answer's summary line (its split), and what each guideline recommends, with a
  link to the clinician page that explains the answer (the profile's fields as query parameters, under
  --public-url);
- a `warning` card when two guidelines conflict (no strategy in common), naming the pairs; pairs that
  differ only in the level of one strategy (`level`) are named as such, not as conflicts;
- an `info` card naming the guidelines whose answer depends on how the source is read, when the
  answer has them.

HTTP 400 for a request that is not a CDS Hooks `patient-view` call (one line naming what is wrong),
412 when a prefetch key the service needs was not sent (CDS Hooks: the service cannot obtain the
data), and `{"cards": []}` when the patient has no rectal NET Condition or no tumour-size Observation
(nothing to compare). A patient whose data cannot make a profile (a contradiction, an unreadable
Observation) gets one `info` card saying why.
"""

from __future__ import annotations

import math
import re
import uuid
from typing import Any

from ..errors import ProfileError, one_line
from ..fhir import codes as C

SERVICE_ID = "rnet-guideline-comparison"
HOOK = "patient-view"
# only the Procedures that rnetkg reads (a local excision of the rectum): not the patient's every procedure
PREFETCH = {"observations": "Observation?patient={{context.patientId}}",
            "procedures": "Procedure?patient={{context.patientId}}&code="
                          + "|".join(C.LOCAL_EXCISION[:2]),
            "conditions": "Condition?patient={{context.patientId}}"}
_DOUBLE_MAX = 1.7976931348623157e308
_PATIENT_REF = re.compile(r"(?:^|/)Patient/([A-Za-z0-9\-.]{1,64})(?:/_history/.*)?$")
SUMMARY_MAX = 139  # CDS Hooks 2.0: "<140 characters"
SOURCE_LABEL = "rnetkg: rectal NET guideline comparison"


class CdsError(Exception):
    """A request the service cannot answer: the HTTP status and a one-line message."""

    def __init__(self, status: int, message: str):
        super().__init__(one_line(message))
        self.status = status


def discovery(guideline_keys, ctx) -> dict[str, Any]:
    """The discovery document (GET /cds-services); the guidelines and sources named from the graph."""
    n = len(ctx.sources)
    return {"services": [{
        "hook": HOOK,
        "id": SERVICE_ID,
        "title": "Rectal NET guideline comparison",
        "description": f"What each guideline for rectal neuroendocrine tumours ({', '.join(guideline_keys)}) "
                       "recommends for this patient, with its source quote, and where the guidelines conflict. "
                       f"Content from {n} review article{'s' if n != 1 else ''}, not the guideline documents "
                       "themselves.",
        "prefetch": dict(PREFETCH),
        "usageRequirements": "Needs the patient's Conditions (a rectal NET: ICD-10-CM C7A.026/D3A.026 or ICD-O-3 "
                             "8240/3, 8249/3 with C20), tumour Observations (size, grade, Ki-67, TNM categories, "
                             "margin; codes in docs/fhir.md) and local-excision Procedures as prefetch; no FHIR "
                             "server access is used.",
    }]}


# ---------------------------------------------------------------- the request

def _need(obj: dict, key: str, kind: type, where: str) -> Any:
    value = obj.get(key)
    if value is None:
        raise CdsError(400, f"{where}{key} is required")
    if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
        what = {str: "a non-empty string", dict: "a JSON object"}[kind]
        raise CdsError(400, f"{where}{key} must be {what}")
    return value


def _beyond_double(value: Any) -> str | None:
    """The path of the first number beyond the range of a double (1e400, an integer of 400 digits) in
    a JSON value, or None: no field rnetkg reads can hold one. (The paths are made only when there is
    such a number: the common case walks the values alone.)"""
    plain = [value]
    while plain:
        v = plain.pop()
        if isinstance(v, dict):
            plain.extend(v.values())
        elif isinstance(v, list):
            plain.extend(v)
        elif isinstance(v, float) and not math.isfinite(v) or isinstance(v, int) and not isinstance(v, bool) \
                and abs(v) > _DOUBLE_MAX:
            break
    else:
        return None
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        v, path = stack.pop()
        if isinstance(v, float) and not math.isfinite(v) or isinstance(v, int) and not isinstance(v, bool) \
                and abs(v) > _DOUBLE_MAX:
            return path or "the body"
        if isinstance(v, dict):
            stack.extend((c, f"{path}.{k}" if path else str(k)) for k, c in reversed(list(v.items())))
        elif isinstance(v, list):
            stack.extend((c, f"{path}[{i}]") for i, c in reversed(list(enumerate(v))))
    return None


def parse_request(body: bytes) -> dict[str, Any]:
    """The request as a dict, checked against CDS Hooks 2.0 for a patient-view call (CdsError 400)."""
    from ..profile import json_value

    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise CdsError(400, f"the request body is not UTF-8 text (byte {e.start + 1})") from None
    if text.lstrip().startswith("<"):
        raise CdsError(400, "the request body is XML: FHIR XML is not read; send JSON (a CDS Hooks request)")
    try:
        req = json_value(text)
    except ValueError as e:
        raise CdsError(400, f"the request body is not JSON: {e}") from None
    where = _beyond_double(req)
    if where is not None:
        raise CdsError(400, f"{where[:120]} is a number beyond the range of a double: no value rnetkg reads can "
                       "be that large")
    if not isinstance(req, dict):
        raise CdsError(400, "the request body must be a JSON object (a CDS Hooks request)")
    hook = _need(req, "hook", str, "")
    if hook != HOOK:
        raise CdsError(400, f"hook must be {HOOK!r} for the service {SERVICE_ID}, got {hook[:60]!r}")
    instance = _need(req, "hookInstance", str, "")
    try:
        uuid.UUID(instance)
    except ValueError:
        raise CdsError(400, f"hookInstance must be a UUID, got {instance[:60]!r}") from None
    if "fhirServer" in req and not isinstance(req["fhirServer"], str):
        raise CdsError(400, "fhirServer must be a URL (a string)")
    if "fhirAuthorization" in req and req["fhirAuthorization"] is not None:
        if not isinstance(req["fhirAuthorization"], dict):
            raise CdsError(400, "fhirAuthorization must be a JSON object")
        if "fhirServer" not in req:
            raise CdsError(400, "fhirAuthorization is given without fhirServer")
    context = _need(req, "context", dict, "")
    _need(context, "userId", str, "context.")
    _need(context, "patientId", str, "context.")
    if "encounterId" in context and not isinstance(context["encounterId"], str):
        raise CdsError(400, "context.encounterId must be a string")
    prefetch = req.get("prefetch")
    if prefetch is not None and not isinstance(prefetch, dict):
        raise CdsError(400, "prefetch must be a JSON object")
    return req


def prefetch_bundle(req: dict[str, Any]) -> dict[str, Any]:
    """One Bundle of the prefetched Observations and Procedures (CdsError 412 when a key is missing).

    A key with the value null means the EHR found no such resources (CDS Hooks 2.0); a key that is
    absent means the data was not fetched, and this service does not fetch it itself."""
    prefetch = req.get("prefetch") or {}
    patient = req["context"]["patientId"]
    entries = []
    for key, query in PREFETCH.items():
        if key not in prefetch:
            raise CdsError(412, f"the prefetch {key!r} ({query.replace('{{context.patientId}}', patient)}) was "
                           "not sent; this service reads prefetched data only and does not query the FHIR server")
        bundle = prefetch[key]
        if bundle is None:
            continue
        if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
            raise CdsError(400, f"prefetch.{key} must be a FHIR Bundle (the result of {PREFETCH[key]}) or null")
        got = bundle.get("entry") or []
        if not isinstance(got, list) or not all(isinstance(e, dict) for e in got):
            raise CdsError(400, f"prefetch.{key}.entry must be a list of entries")
        for i, entry in enumerate(got):
            other = _other_patient(entry.get("resource"), patient)
            if other is not None:
                raise CdsError(400, f"prefetch.{key}.entry[{i}] is about {other[:80]}, not the context's patient "
                               f"Patient/{patient[:64]}: a CDS Hooks prefetch holds one patient's resources")
        entries += got
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def _other_patient(res: Any, patient: str) -> str | None:
    """The patient a prefetched resource is about when it is not ``patient`` (a resource entered in
    error is not read, so its subject does not count either)."""
    if not isinstance(res, dict) or res.get("status") == "entered-in-error":
        return None
    if res.get("resourceType") == "Patient":
        rid = res.get("id")
        return f"Patient/{rid}" if isinstance(rid, str) and rid != patient.removeprefix("Patient/") else None
    subject = res.get("subject")
    ref = subject.get("reference") if isinstance(subject, dict) else None
    m = _PATIENT_REF.search(ref) if isinstance(ref, str) else None
    if m and m.group(1) != patient.removeprefix("Patient/"):
        return f"Patient/{m.group(1)}"
    return None


def _has_tumour_size(bundle: dict[str, Any]) -> bool:
    """An Observation coded as a tumour size (21889-1, or its component 33728-7 on its own, as compare reads)
    with a status that is read (final, amended, corrected)."""
    sizes = {C.TUMOUR_SIZE, C.TUMOUR_SIZE_LONGEST}
    for e in bundle["entry"]:
        res = e.get("resource")
        if not isinstance(res, dict) or res.get("resourceType") != "Observation" \
                or res.get("status") not in C.OBSERVATION_READ:
            continue
        codings = (res.get("code") or {}).get("coding") if isinstance(res.get("code"), dict) else None
        if not isinstance(codings, list):
            continue
        if any(isinstance(c, dict) and (c.get("system"), c.get("code")) in sizes for c in codings):
            return True
    return False


def request_for_profile(profile: dict[str, Any], patient: str, *, hook_instance: str | None = None) -> dict[str, Any]:
    """The patient-view call an EHR would send for a profile (its Observations, Procedures and Conditions
    as prefetch searchset Bundles, as rnetkg.fhir.bundle_from_profile writes them, references made
    relative): for tests, the benchmark and trying the service out."""
    from ..fhir import bundle_from_profile

    found: dict[str, list] = {"Observation": [], "Procedure": [], "Condition": []}
    entries = bundle_from_profile({**profile, "id": patient})["entry"]
    relative = {e["fullUrl"]: f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in entries}
    for e in entries:
        res = dict(e["resource"])
        if res["resourceType"] in found:
            res["subject"] = {"reference": f"Patient/{patient}"}
            for key in ("focus", "reasonReference", "derivedFrom"):
                if key in res:
                    res[key] = [{"reference": relative.get(r["reference"], r["reference"])} for r in res[key]]
            found[res["resourceType"]].append({"fullUrl": f"{res['resourceType']}/{res['id']}", "resource": res})
    prefetch = {key: ({"resourceType": "Bundle", "type": "searchset", "total": len(found[kind]),
                       "entry": found[kind]} if found[kind] else None)
                for key, kind in (("observations", "Observation"), ("procedures", "Procedure"),
                                  ("conditions", "Condition"))}
    return {"hook": HOOK, "hookInstance": hook_instance or str(uuid.uuid4()),
            "context": {"userId": "Practitioner/example", "patientId": patient}, "prefetch": prefetch}


# ---------------------------------------------------------------- the cards

def fit(text: str, limit: int = SUMMARY_MAX) -> str:
    """One line of at most ``limit`` characters, cut at a word boundary with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:") + "…"


def md(text: Any) -> str:
    """Text for a Markdown detail: characters Markdown would read as markup are escaped."""
    out = []
    for ch in " ".join(str(text).split()):
        out.append("\\" + ch if ch in "\\`*_{}[]()#!|<>&~" else ch)
    return "".join(out)


def _source(page_url: str, ctx) -> dict[str, Any]:
    return {"label": f"{SOURCE_LABEL} (graph {ctx.graph_version})", "url": page_url}


def _links(page_url: str) -> list[dict[str, Any]]:
    return [{"label": "Open the explained comparison", "url": page_url, "type": "absolute"}]


def _card(summary: str, detail: str, indicator: str, page_url: str, ctx) -> dict[str, Any]:
    """One card: a fresh uuid (what feedback names), the override reasons a clinician may give."""
    from .feedback import override_reasons

    return {"uuid": str(uuid.uuid4()), "summary": fit(summary), "detail": detail, "indicator": indicator,
            "source": _source(page_url, ctx), "links": _links(page_url), "overrideReasons": override_reasons()}


def cards_for(answer: dict[str, Any], page_url: str, ctx, assumptions=(), warnings=()) -> list[dict[str, Any]]:
    """The cards for one answer (the dict of DESIGN.md); ``page_url`` explains it; ``warnings`` are the
    command line's plausibility warnings (a value that looks like the wrong unit)."""
    return [card for _, card in kinds_and_cards(answer, page_url, ctx, assumptions, warnings)]


def kinds_and_cards(answer: dict[str, Any], page_url: str, ctx, assumptions=(),
                    warnings=()) -> list[tuple[str, dict[str, Any]]]:
    """The cards for one answer, each with its kind (answer, conflict, readings: what feedback is counted by)."""
    from ..answer import Answer
    from ..words import before_excision

    answer = Answer.of(answer)
    gl = answer["guidelines"]
    words = {g["guideline"]: ", ".join(ctx.modality_words(g["modalities"])) or "-" for g in gl}
    pairs = answer.pairs_by_kind
    conflicts, level = pairs["conflict"], pairs.get("level", [])
    d = answer.get("derived") or {}
    case = ", ".join(x for x in (d.get("grade"), d.get("t_stage")) if x) or "grade and T unknown"
    summary = f"rNET ({case}): {answer.summary_line}"
    # a status is a word of rnetkg's closed list (aim_only, covered ...), shown as it is named everywhere
    # after an excision, what each recommended before it (words.before_excision)
    before = {g["guideline"]: before_excision(g.get("initial_context"), ctx.modality_words) for g in gl}
    lines = [f"- **{md(g['guideline'])}** ({g['status']}): {md(words[g['guideline']])}"
             + (f"; before the excision: {md(before[g['guideline']])}" if before[g["guideline"]] else "") for g in gl]
    src_names = "; ".join(s.citation or s.label for s in ctx.sources)
    detail = "\n".join(lines + ["", f"Decision point: {md((d.get('decision_point') or '').replace('_', ' '))}."]
                       + [f"Check: {md(w)}." for w in warnings]
                       + [f"Assumed: {md(a)}." for a in assumptions]
                       + ["", f"From {len(ctx.sources)} review articles ({md(src_names)}), not the guideline "
                          "documents themselves; each recommendation's quote is on the linked page."])
    cards = [_card(summary, detail, "info", page_url, ctx)]
    kinds = ["answer"]
    if conflicts:
        names = [f"{x['guidelines'][0]} vs {x['guidelines'][1]}" for x in conflicts]
        summary = f"Guidelines conflict (no strategy in common): {names[0]}"
        if len(names) > 1:
            summary += f" and {len(names) - 1} more pair{'s' if len(names) > 2 else ''}"
        detail = "\n".join(f"- **{md(a)}**: {md(words[a])} — **{md(b)}**: {md(words[b])}"
                           for a, b in (x["guidelines"] for x in conflicts))
        detail += "\n\nNo strategy in common between these guidelines."
        if level:
            detail += ("\n\nNot conflicts: same strategy at another level (level pairs): "
                       + md("; ".join(f"{x['guidelines'][0]} vs {x['guidelines'][1]}" for x in level)) + ".")
        cards.append(_card(summary, detail, "warning", page_url, ctx))
        kinds.append("conflict")
    dependent = [g for g in gl if g.get("reading_dependent")]
    if dependent:
        keys = ", ".join(g["guideline"] for g in dependent)
        detail = "\n".join(f"- **{md(g['guideline'])}**: " + "; ".join(
            f"{md(r.get('label') or r.get('reading', ''))}{' (default)' if r.get('default') else ''}: "
            f"{md(', '.join(ctx.modality_words(r.get('modalities'))) or r.get('status', ''))}"
            for r in g.get("readings") or []) for g in dependent)
        cards.append(_card(f"The answer depends on how the source is read: {keys}", detail, "info", page_url, ctx))
        kinds.append("readings")
    return list(zip(kinds, cards))


def _reference_to(ref: Any, conditions: list[tuple[str | None, dict[str, Any]]]) -> bool:
    """A reference (JSON) that points at one of ``conditions`` ((fullUrl, resource) pairs)."""
    target = ref.get("reference") if isinstance(ref, dict) else None
    if not isinstance(target, str):
        return False
    for full_url, res in conditions:
        rid = res.get("id")
        if target == full_url or (isinstance(rid, str) and (target == f"Condition/{rid}"
                                                            or target.endswith(f"/Condition/{rid}"))):
            return True
    return False


def gate(bundle: dict[str, Any]) -> dict[str, Any] | None:
    """The diagnosis gate: None when no rectal NET Condition is in the prefetch; else the Bundle with only
    the resources about it (an Observation whose `focus`, or a Procedure whose `reasonReference`, names
    other resources only is dropped; one that names none is kept) and without the other Conditions
    (mCODE secondary cancers kept)."""
    from ..fhir.conditions import is_rectal_net, is_secondary

    entries = bundle["entry"]
    rectal = [(e.get("fullUrl"), e["resource"]) for e in entries if is_rectal_net(e.get("resource"))]
    if not rectal:
        return None
    kept = []
    for e in entries:
        res = e.get("resource")
        if not isinstance(res, dict):
            kept.append(e)
            continue
        kind = res.get("resourceType")
        if kind == "Condition" and not is_secondary(res):
            continue
        refs = res.get("focus") if kind == "Observation" else res.get("reasonReference") if kind == "Procedure" \
            else None
        if isinstance(refs, list) and refs and not any(_reference_to(r, rectal) for r in refs):
            continue
        kept.append(e)
    return {**bundle, "entry": kept}


def respond(clinic, body: bytes, base_url: str) -> dict[str, Any]:
    """The CDS Hooks response for one request (CdsError for a 400 or 412)."""
    return {"cards": [card for _, card in respond_cards(clinic, body, base_url)]}


def respond_cards(clinic, body: bytes, base_url: str) -> list[tuple[str, dict[str, Any]]]:
    """The cards of the response to one request, each with its kind (CdsError for a 400 or 412)."""
    from ..fhir import read_bundle
    from ..fhir.types import FhirError
    from ..profile import parse_profile, plausibility_warnings
    from .page import profile_query

    req = parse_request(body)
    bundle = gate(prefetch_bundle(req))
    if bundle is None or not _has_tumour_size(bundle):
        return []
    patient = req["context"]["patientId"]
    page = base_url.rstrip("/") + "/"

    def read() -> tuple:   # once per patient and prefetch (Clinic.fhir_read: a chart opened again)
        try:
            fhir = read_bundle(bundle)
            if fhir.patient not in (None, f"Patient/{patient}", patient):
                raise CdsError(400, f"the prefetched resources are about {fhir.patient}, not the context's patient {patient}")
            return parse_profile(fhir.profile), fhir.profile, fhir.assumptions, None
        except (FhirError, ProfileError) as e:
            return None, None, (), str(e)
    profile, data, assumptions, error = clinic.fhir_read(patient, bundle, read)
    if error is not None:
        return [("not_possible", _card(f"rNET guideline comparison not possible: {error}", md(error), "info", page,
                                       clinic.context))]
    url = page + "?" + profile_query({**data, "id": None})
    return kinds_and_cards(clinic.card_view(profile), url, clinic.context, assumptions,
                           plausibility_warnings(profile))
