"""What `/query` accepts before a query reaches the Oxigraph server: no federation.

A `SERVICE` clause makes a SPARQL server fetch from another address (server-side request forgery:
`SERVICE <http://127.0.0.1:PORT/>` reaches ports that only this machine can reach). The check works on
the query as the SPARQL parser sees it: SPARQL 1.1 (section 19.2) replaces the code point escapes
`\\uXXXX` and `\\UXXXXXXXX` anywhere in the text *before* parsing, so `\\u0053ERVICE` is the keyword
SERVICE. The check is therefore:

1. replace the code point escapes (repeatedly, which finds at least what one pass finds); if the
   letters "service" appear nowhere in any form, in any case, the query cannot contain the keyword
   (the fast path of every ordinary query);
2. otherwise parse the query once (one pass of escapes, as the standard says) with rdflib's SPARQL
   grammar and refuse it when the parse tree holds a SERVICE pattern, or when it cannot be parsed
   (a query that mentions "service" and cannot be shown to be free of it is refused).

The Oxigraph child is also denied `connect()` by a seccomp filter (see child.py), so a query that got
past this check still could not reach the network.
"""

from __future__ import annotations

import re
import threading

_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
MAX_PARSED_CHARS = 200_000  # a longer text that mentions "service" is refused unparsed


class QueryRefused(ValueError):
    """A query that this endpoint does not run: the message is one line for the HTTP 400 body."""


def _unescape_once(text: str) -> str:
    def repl(m: re.Match) -> str:
        code = int(m.group(1) or m.group(2), 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return m.group(0)
        return chr(code)

    return _CODEPOINT.sub(repl, text)


def unescape_codepoints(text: str) -> str:
    """The text after SPARQL's code point escape step (one pass, as the standard specifies)."""
    return _unescape_once(text)


def mentions_service(text: str) -> bool:
    """True when the letters of SERVICE occur in the text, also after any number of escape passes."""
    seen = text
    for _ in range(8):
        if "service" in seen.casefold():
            return True
        nxt = _unescape_once(seen)
        if nxt == seen:
            return False
        seen = nxt
    return True  # escapes nested this deep: treat as suspicious


_PARSER = None
_PARSER_LOCK = threading.Lock()


def _parser():
    """rdflib's SPARQL query grammar (imported once, on first need; 0.3 s)."""
    global _PARSER
    with _PARSER_LOCK:
        if _PARSER is None:
            from rdflib.plugins.sparql import parser

            _PARSER = parser.Query
        return _PARSER


def preload() -> None:
    """Import the parser ahead of the first request that needs it."""
    _parser()


def _pattern_names(node, out: set[str], depth: int = 0) -> None:
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    if depth > 2000:
        raise RecursionError
    if isinstance(node, CompValue):
        out.add(node.name)
        for v in node.values():
            _pattern_names(v, out, depth + 1)
    elif isinstance(node, (list, tuple, ParseResults)):
        for v in node:
            _pattern_names(v, out, depth + 1)


def check_query(text: str) -> None:
    """QueryRefused when the query uses SERVICE (or mentions it and cannot be parsed to show it does not)."""
    if not mentions_service(text):
        return
    if len(text) > MAX_PARSED_CHARS:
        raise QueryRefused(f"federated queries (SERVICE) are not allowed here, and this query mentions "
                           f"'service' and is too long ({len(text):,} characters) to check that it uses none")
    try:
        tree = _parser().parse_string(unescape_codepoints(text), parse_all=True)
        names: set[str] = set()
        _pattern_names(tree, names)
    except RecursionError:
        raise QueryRefused("federated queries (SERVICE) are not allowed here, and this query mentions "
                           "'service' and is nested too deeply to check that it uses none") from None
    except Exception as e:  # a ParseException, or anything the grammar trips on
        detail = " ".join(str(e).split())[:120]
        raise QueryRefused("federated queries (SERVICE) are not allowed here, and this query mentions "
                           f"'service' but could not be parsed to check that it uses none ({detail})") from None
    if "ServiceGraphPattern" in names:
        raise QueryRefused("federated queries (SERVICE) are not allowed on this endpoint: "
                           "it answers from the rnetkg graph only")
