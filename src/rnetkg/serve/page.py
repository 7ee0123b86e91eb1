"""The clinician page at `/` of `rnetkg serve`: a form with the profile fields of the field table
(fields.FIELDS: units, allowed values as choices, an empty choice for unknown), and the answer as the
HTML report of `rnetkg compare --format html`.

The answer comes from the criteria model (rnetkg.answer.answer: the scalar reference evaluator,
tested equal to the SPARQL path). The form uses GET, so every answer has a link (the one a CDS Hooks
card carries); POST gives the same page; a bad value re-shows the form with the field's error (HTTP 400).
Nothing here prints or touches the network.
"""

from __future__ import annotations

import re
import threading
import urllib.parse
import collections
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..errors import ProfileError, one_line
from ..fields import FIELDS

NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
BOOLEAN_CHOICES = (("", "unknown"), ("true", "yes"), ("false", "no"))
MAX_VALUE_CHARS = 200
PAGE_CACHE_ENTRIES = 512   # about 60 kB each
ANSWER_CACHE_ENTRIES = 2048
_PAGE_LOCK = threading.Lock()
_MAP_SLOTS = threading.BoundedSemaphore(2)


@dataclass
class Clinic:
    """What the page and the CDS Hooks service answer from: an engine with the shipped graph, its
    criteria model and its report context (both read once)."""

    engine: Any
    model: Any
    context: Any
    # the last pages answered, by their query (an answer depends only on the profile and the graph,
    # which a server never reloads): a shared link or a card's link opened again costs no work
    pages: "collections.OrderedDict[tuple, tuple[int, str]]" = field(default_factory=collections.OrderedDict,
                                                                      repr=False, compare=False)
    answers: "collections.OrderedDict[Any, bytes]" = field(default_factory=collections.OrderedDict,
                                                           repr=False, compare=False)
    cards: "collections.OrderedDict[Any, dict]" = field(default_factory=collections.OrderedDict,
                                                         repr=False, compare=False)
    fhir: "collections.OrderedDict[tuple, tuple]" = field(default_factory=collections.OrderedDict,
                                                           repr=False, compare=False)

    @classmethod
    def load(cls, engine=None) -> "Clinic":
        from ..criteria.load import model_for
        from ..engine import StoreEngine
        from ..report import context_for

        engine = engine or StoreEngine()
        return cls(engine, model_for(engine), context_for(engine))

    def warm(self) -> None:
        """Compile the templates and import the FHIR reader now, not on the first request."""
        from ..fhir import bundle_from_profile, read_bundle

        read_bundle(bundle_from_profile({"id": "warm-up", "size_mm": 5, "margin": "not_resected"}))
        render(self, [("size_mm", "5"), ("margin", "not_resected")])

    def answer(self, profile) -> dict[str, Any]:
        """The answer for a profile, a copy of its own; the last ANSWER_CACHE_ENTRIES are kept pickled
        (bytes: the garbage collector never walks them, so a server holding thousands of answers does not
        pause for a full collection)."""
        import pickle

        from ..answer import answer

        fresh = []

        def make() -> bytes:
            fresh.append(answer(profile, self.model))
            return pickle.dumps(fresh[0], protocol=pickle.HIGHEST_PROTOCOL)
        kept = _kept(self.answers, profile, ANSWER_CACHE_ENTRIES, make)
        return fresh[0] if fresh else pickle.loads(kept)

    def fhir_read(self, patient: str, bundle: dict[str, Any], read) -> tuple:
        """What ``read()`` makes of a CDS call's prefetch Bundle (the profile, its fields, the assumptions, or
        the reason none could be made), the last ANSWER_CACHE_ENTRIES kept by the patient and the Bundle
        (canonical JSON): reading FHIR resources is most of a call's work, and depends on nothing else."""
        import json

        key = (patient, json.dumps(bundle, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
        return _kept(self.fhir, key, ANSWER_CACHE_ENTRIES, read)

    def card_view(self, profile) -> dict[str, Any]:
        """What a CDS Hooks card reads of the answer (cds.kinds_and_cards: the summary, the derived values,
        each guideline's status, modalities, readings and what it said before an excision, each pair's
        guidelines and kind), the last ANSWER_CACHE_ENTRIES kept as they are (small: a call that finds
        one reads no pickled answer)."""
        def make() -> dict[str, Any]:
            a = self.answer(profile)
            return {"summary": a.get("summary", ""), "derived": a.get("derived"),
                    "guidelines": [{k: g.get(k) for k in ("guideline", "status", "modalities", "reading_dependent",
                                                           "readings", "initial_context")} for g in a["guidelines"]],
                    "disagreements": [{"guidelines": d["guidelines"], "kind": d["kind"]} for d in a["disagreements"]]}
        return _kept(self.cards, profile, ANSWER_CACHE_ENTRIES, make)


def _kept(cache: "collections.OrderedDict", key: Any, limit: int, make) -> Any:
    """The value kept under ``key`` (now the most recent), else ``make()``'s, kept; past ``limit`` entries
    the least recent goes. What every cache of the page and the CDS service does."""
    with _PAGE_LOCK:
        found = cache.get(key)
        if found is not None:
            cache.move_to_end(key)
            return found
    found = make()
    with _PAGE_LOCK:
        cache[key] = found
        while len(cache) > limit:
            cache.popitem(last=False)
    return found


class FormError(Exception):
    """Bad form input: the field it concerns ('' for the form as a whole) and a one-line message."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _convert(name: str, text: str) -> Any:
    f = FIELDS[name]
    if len(text) > MAX_VALUE_CHARS:
        raise FormError(name, f"{name}: the value is longer than {MAX_VALUE_CHARS} characters")
    if f.kind == "number":
        if not NUMBER.fullmatch(text):
            raise FormError(name, f"{name}: must be a number ({f.range_text}), got {text[:40]!r}")
        return float(text)
    if f.kind == "boolean":
        low = text.lower()
        if low not in ("true", "false"):
            raise FormError(name, f"{name}: must be true or false (or empty: unknown), got {text[:40]!r}")
        return low == "true"
    return text


def read_form(items: Iterable[tuple[str, str]]) -> tuple[dict[str, str], dict[str, Any], list[FormError]]:
    """The form as given (to show again), the profile dict it makes, and the errors (one per field)."""
    raw: dict[str, str] = {}
    errors: list[FormError] = []
    unknown: list[str] = []
    repeated: set[str] = set()
    for name, value in items:
        if name not in FIELDS:
            unknown.append(name)
            continue
        if name in raw:
            if name not in repeated:  # one message per field, however often it is repeated
                repeated.add(name)
                errors.append(FormError(name, f"{name}: given more than once"))
            continue
        raw[name] = value.strip()
    if unknown:  # one message for all of them, naming the first
        more = f" and {len(unknown) - 1:,} more" if len(unknown) > 1 else ""
        errors.insert(0, FormError("", f"{one_line(unknown[0], 60)}{more}: unknown field{'s' if more else ''}; "
                                   f"allowed fields: {', '.join(FIELDS)}"))
    data: dict[str, Any] = {}
    for name, text in raw.items():
        if text == "":
            continue
        try:
            data[name] = _convert(name, text)
        except FormError as e:
            errors.append(e)
    return raw, data, errors


_PAIRS: dict[str, tuple[tuple[str, str], ...]] = {}


def _choices(f, current: str) -> list[dict[str, Any]]:
    pairs = _PAIRS.get(f.name)
    if pairs is None:
        if f.kind == "boolean":
            pairs = BOOLEAN_CHOICES
        elif f.kind == "enum":  # a required choice has no preset: an empty "choose" entry until one is chosen
            empty = ("", "choose one (required)") if f.required else ("", "unknown")
            pairs = (empty,) + tuple((v, v.replace("_", " ")) for v in f.values)
        else:
            pairs = ()
        _PAIRS[f.name] = pairs
    return [{"value": v, "text": t, "selected": v == current and v != ""} for v, t in pairs]


def form_view(raw: dict[str, str], errors: list[FormError]) -> list[dict[str, Any]]:
    """One entry per field of the field table, in its order, with its current value and error."""
    from ..report.html import field_label

    by_field = {e.field: str(e) for e in errors if e.field}
    out = []
    for f in FIELDS.values():
        current = raw.get(f.name, "")
        if f.kind == "number":
            rule = f"{f.range_text} {f.unit}".strip() if f.unit and f.unit != "%" else f"{f.range_text}{f.unit}"
        elif f.kind == "string":
            rule = "any text (shown on the page only)"
        else:
            rule = "empty: unknown" if not f.required else "required"
        out.append({"name": f.name, "label": "Case id" if f.name == "id" else field_label(f.name), "unit": f.unit,
                    "required": f.required, "kind": f.kind, "value": current,
                    "choices": _choices(f, current), "help": f"{f.name} · {rule}",
                    "error": by_field.get(f.name, ""), "autofocus": False})
    first = next((x for x in out if x["error"]), None)
    if first is not None:
        first["autofocus"] = True  # keyboard users land on the first field to correct
    return out


def profile_query(profile: dict[str, Any]) -> str:
    """The page's query string for a profile dict (what a CDS Hooks card links to)."""
    def text(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)

    return urllib.parse.urlencode([(k, text(profile[k])) for k in FIELDS if profile.get(k) is not None])


def read_profile(items: list[tuple[str, str]]):
    """(the form as given, the profile or None, the errors): what the page and its map image read."""
    from ..profile import parse_profile

    raw, data, errors = read_form(items)
    profile = None
    if not errors:
        try:
            profile = parse_profile(data, default_id="this case")
        except ProfileError as e:
            errors.append(FormError(e.field if e.field in FIELDS else "", one_line(str(e))))
    return raw, profile, errors


def map_png(items: list[tuple[str, str]]) -> bytes:
    """The disagreement map of the profile of a query string (the page's image); FormError when bad."""
    from ..fields import FIELD_NAMES
    from ..map import patient_png

    _, profile, errors = read_profile(items)
    if errors:
        raise errors[0]
    with _MAP_SLOTS:  # a drawing takes about 0.1 s of one core: at most two at a time
        return patient_png({n: getattr(profile, n) for n in FIELD_NAMES if getattr(profile, n) is not None})


def render(clinic: Clinic, items: list[tuple[str, str]]) -> tuple[int, str]:
    """(HTTP status, page): the empty form, the form with the answer, or the form with its errors (400).
    The answer's heading takes the focus (it is scrolled into view); its map is the image at
    /map.png with the same query string. The last PAGE_CACHE_ENTRIES pages are kept by their query."""
    return _kept(clinic.pages, tuple(items), PAGE_CACHE_ENTRIES, lambda: _render(clinic, items))


def _render(clinic: Clinic, items: list[tuple[str, str]]) -> tuple[int, str]:
    from ..profile import plausibility_warnings
    from ..report.html import render_template, report_view

    view, status = None, 200
    raw, profile, errors = read_profile(items) if items else ({}, None, [])
    if profile is not None:
        view = report_view(clinic.answer(profile), profile, clinic.context, plausibility_warnings(profile))
        view["autofocus"] = True
        view["map_src"] = "/map.png?" + urllib.parse.urlencode([(k, v) for k, v in raw.items() if v != ""])
        view["map_size"] = f"{profile.size_mm:g}"
        # the address lands on the answer (its heading at the top of the screen, the summary under it)
        view["link"] = "/?" + urllib.parse.urlencode([(k, v) for k, v in raw.items() if v != ""]) + "#answer"
    if errors:
        status = 400
    return status, render_template("page.html", form=form_view(raw, errors), view=view,
                                   errors=[{"field": e.field, "message": one_line(str(e))} for e in errors])
