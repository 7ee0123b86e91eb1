"""A small reader of the report and page HTML for the tests: elements with their attributes and
text, found by attribute (the report marks each guideline, recommendation, pair and field)."""

from __future__ import annotations

import html.parser
from dataclasses import dataclass, field

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parts: list = field(default_factory=list)  # str or Element

    @property
    def text(self) -> str:
        return " ".join("".join(p if isinstance(p, str) else " " + p.text + " " for p in self.parts).split())

    def iter(self):
        yield self
        for p in self.parts:
            if isinstance(p, Element):
                yield from p.iter()

    def find_all(self, tag: str | None = None, **attrs: str | bool) -> list["Element"]:
        out = []
        for e in self.iter():
            if tag is not None and e.tag != tag:
                continue
            if all((k.replace("_", "-") in e.attrs) if v is True else e.attrs.get(k.replace("_", "-")) == v
                   for k, v in attrs.items()):
                out.append(e)
        return out

    def find(self, tag: str | None = None, **attrs) -> "Element":
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag or '*'}> with {attrs}"
        return found[0]


class _Builder(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        e = Element(tag, {k: (v if v is not None else "") for k, v in attrs})
        self.stack[-1].parts.append(e)
        if tag not in VOID:
            self.stack.append(e)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].parts.append(Element(tag, {k: (v if v is not None else "") for k, v in attrs}))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        self.stack[-1].parts.append(data)


def parse(text: str) -> Element:
    b = _Builder()
    b.feed(text)
    b.close()
    return b.root


def assert_self_contained(text: str) -> None:
    """Nothing on the page is fetched: no script, no external style sheet, image, frame or font."""
    doc = parse(text)
    assert not doc.find_all("script"), "the page has a script"
    for e in doc.iter():
        # an inlined image (a data: URI, the patient's map) fetches nothing; anything else would
        assert "src" not in e.attrs or e.attrs["src"].startswith("data:image/png;base64,"), \
            f"<{e.tag} src=...> fetches something"
        if e.tag == "link":
            assert e.attrs.get("rel") not in ("stylesheet", "preload", "icon"), e.attrs
    assert "@import" not in text and "url(" not in text
