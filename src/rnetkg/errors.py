"""The errors rnetkg reports to a user: one base class carrying its exit code.

The command line catches RnetkgError only, prints its message as one line on stderr and exits with
``exit_code`` (2: bad input or usage). Anything else that escapes is a defect of rnetkg itself.
"""

from __future__ import annotations

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class RnetkgError(Exception):
    """Bad input or usage, reported as one line; ``exit_code`` is what the command exits with."""

    exit_code = EXIT_USAGE


class UsageError(RnetkgError):
    """A command line that cannot be carried out as given."""


class ProfileError(RnetkgError, ValueError):
    """A profile that cannot be evaluated; the message names the field and what is allowed."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


class CohortError(RnetkgError):
    """A cohort file that cannot be read at all (unknown column, not UTF-8, ...)."""


class QueryError(RnetkgError, ValueError):
    """A query that does not exist, or a parameter that it does not take."""


class EndpointError(RnetkgError):
    """An endpoint that cannot be reached, times out or answers with an HTTP error."""


class ReasonerUnavailable(RnetkgError):
    """The OWL reasoner cannot run (no Java runtime on PATH)."""


class ServeError(RnetkgError):
    """The server cannot start (no oxigraph binary, the address is taken, ...)."""


class ModelError(RnetkgError):
    """Criteria in the graph that rnetkg cannot evaluate (a field no profile has, an unknown kind)."""


MAX_LINE = 300


def printable(text: str) -> str:
    """Text that is safe on a terminal: tab, CR and LF as spaces; every other control character (ESC
    sequences included) and lone surrogates escaped as ``\\xNN`` / ``\\uNNNN``."""
    out = []
    for ch in str(text):
        code = ord(ch)
        if ch in "\n\r\t":
            out.append(" ")
        elif code < 32 or code == 127 or 0x80 <= code < 0xA0 or 0xD800 <= code <= 0xDFFF:
            out.append(f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def one_line(message: str, limit: int = MAX_LINE) -> str:
    """A message as one line of at most ``limit`` characters: control characters and lone
    surrogates escaped (printable), long values shortened in the middle."""
    text = printable(message)
    if len(text) > limit:
        keep = limit - 5
        head, tail = text[: keep * 2 // 3], text[-(keep - keep * 2 // 3):]
        # cut between words where there is a space near the cut (no half word on either side)
        cut = head.rfind(" ")
        head = head[:cut] if cut > len(head) - 40 else head
        cut = tail.find(" ")
        tail = tail[cut + 1:] if 0 <= cut < 40 else tail
        text = head + " ... " + tail
    return text


class ExtraGraphError(RnetkgError):
    """An extra graph ($RNETKG_EXTRA_KG) that cannot be loaded: not valid Turtle, not UTF-8, or one that
    would change or extend the shipped graph."""
