"""CDS Hooks 2.0 feedback for the cards the service issued, kept in a SQLite file
(`rnetkg serve --feedback-db FILE`, default rnetkg-feedback.sqlite in the working folder).

The store holds, per card, its uuid, kind and graph version (when it was issued) and, per feedback, the
outcome, the coded override reason and the time: no patient-identifying data and no free text (a
`userComment` is not stored). The file is a regular file, never a symbolic link, and bounded in size;
recording an issued card never blocks or fails the hook (a store that cannot be written is logged and
the cards are returned all the same).
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import threading
import uuid as uuidlib
from collections import OrderedDict
from pathlib import Path
from typing import Any

from ..errors import UsageError

DEFAULT_NAME = "rnetkg-feedback.sqlite"
MAX_BYTES = 64 << 20          # the store never grows beyond this (SQLite max_page_count)
MAX_CARDS = 200_000           # issued cards kept; the oldest go first
MAX_ITEMS = 50                # feedback items in one request
OUTCOMES = ("accepted", "overridden")
OVERRIDE_SYSTEM = "https://w3id.org/rnetkg/fhir/CodeSystem/override-reason"
OVERRIDE_REASONS = {
    "other-guideline": "Another guideline recommends otherwise",
    "mdt-decision": "A multidisciplinary team decided otherwise",
    "patient-preference": "The patient's preference",
}
_log = logging.getLogger("rnetkg.serve")


class FeedbackError(Exception):
    """Feedback the service refuses: the HTTP status and one line."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def override_reasons() -> list[dict[str, str]]:
    """The card's overrideReasons (CDS Hooks 2.0: Codings with displays)."""
    return [{"system": OVERRIDE_SYSTEM, "code": c, "display": d} for c, d in OVERRIDE_REASONS.items()]


def check_store_path(path: Path, option: str = "--feedback-db", inputs=()) -> Path:
    """The feedback store's path, checked by rnetkg's routine for a file a database writes in place
    (outputs.prepare_in_place: a regular file or created empty without following a link, never an input
    nor a file of the graph, at most MAX_BYTES long); UsageError in one line."""
    from ..outputs import prepare_in_place

    return prepare_in_place(Path(path), option, inputs, max_bytes=MAX_BYTES)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS card (uuid TEXT PRIMARY KEY, kind TEXT NOT NULL, graph_version TEXT NOT NULL,
                                 issued TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS feedback (id INTEGER PRIMARY KEY, card TEXT NOT NULL, kind TEXT NOT NULL,
                                     graph_version TEXT NOT NULL, outcome TEXT NOT NULL, reason TEXT,
                                     time TEXT NOT NULL);
"""


class FeedbackStore:
    """The SQLite store (one connection), the issued cards also in memory at once. Issued cards are
    written by one thread of the store's own, in one transaction per batch: a hook never waits for
    the disk, and a burst of calls costs one commit, not two per call."""

    def __init__(self, path: Path):
        self.path = check_store_path(path)
        self._lock = threading.Lock()           # the connection
        self._mem = threading.Lock()            # the cards in memory
        self._recent: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self._pending: list[tuple[str, str, str, str]] = []
        self._wake = threading.Condition()
        self._writer: threading.Thread | None = None
        self._writing = False
        self._closed = False
        try:
            self._db = sqlite3.connect(str(self.path), timeout=0.2, check_same_thread=False, isolation_level=None)
            page = self._db.execute("PRAGMA page_size").fetchone()[0]
            self._db.execute(f"PRAGMA max_page_count = {MAX_BYTES // page}")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as e:
            raise UsageError(f"--feedback-db {self.path}: not a feedback store ({e})") from None

    def remember(self, cards: list[dict[str, Any]], kinds: list[str], graph_version: str) -> None:
        """Cards just issued, in memory at once (feedback may name them before SQLite has them)."""
        with self._mem:
            for card, kind in zip(cards, kinds):
                self._recent[card["uuid"]] = (kind, graph_version)
                self._recent.move_to_end(card["uuid"])
            while len(self._recent) > MAX_CARDS:
                self._recent.popitem(last=False)

    def issued(self, cards: list[dict[str, Any]], kinds: list[str], graph_version: str) -> None:
        """The cards of one response: in memory at once, queued for SQLite (never blocks on the disk;
        a failure to write is logged, never raised). ``flush`` waits until they are written."""
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        self.remember(cards, kinds, graph_version)
        with self._wake:
            if self._closed:
                return
            self._pending.extend((c["uuid"], k, graph_version, now) for c, k in zip(cards, kinds))
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_loop, name="rnetkg-feedback", daemon=True)
                self._writer.start()
            self._wake.notify_all()

    def _write_loop(self) -> None:
        while True:
            with self._wake:
                while not self._pending and not self._closed:
                    self._wake.wait()
                if not self._pending:
                    return
                rows, self._pending, self._writing = self._pending, [], True
            self._write(rows)
            with self._wake:
                self._writing = False
                self._wake.notify_all()

    def _write(self, rows: list[tuple[str, str, str, str]]) -> None:
        with self._lock:
            try:
                self._db.execute("BEGIN")
                try:
                    self._db.executemany("INSERT OR IGNORE INTO card VALUES (?, ?, ?, ?)", rows)
                    self._db.execute("DELETE FROM card WHERE rowid <= (SELECT MAX(rowid) FROM card) - ?",
                                     (MAX_CARDS,))
                    self._db.execute("COMMIT")
                except sqlite3.Error:
                    self._db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as e:
                _log.warning("feedback store %s: %d cards not recorded (%s)", self.path, len(rows), e)

    def flush(self) -> None:
        """Wait until every card issued so far is written (or its failure logged)."""
        with self._wake:
            while self._pending or self._writing:
                self._wake.wait()

    def _card(self, card: str) -> tuple[str, str] | None:
        with self._mem:
            known = self._recent.get(card)
        if known is not None:
            return known
        row = self._db.execute("SELECT kind, graph_version FROM card WHERE uuid = ?", (card,)).fetchone()
        return tuple(row) if row else None

    def record(self, body: Any) -> int:
        """Validate a feedback request (CDS Hooks 2.0) and store it; the number of items stored."""
        rows = [self._row(item, i) for i, item in enumerate(_items(body))]
        with self._lock:
            try:
                self._db.executemany("INSERT INTO feedback (card, kind, graph_version, outcome, reason, time) "
                                     "VALUES (?, ?, ?, ?, ?, ?)", rows)
            except sqlite3.Error as e:
                raise FeedbackError(503, f"the feedback store cannot be written ({e})") from None
        return len(rows)

    def _row(self, item: Any, i: int) -> tuple:
        where = f"feedback[{i}]"
        if not isinstance(item, dict):
            raise FeedbackError(400, f"{where} must be a JSON object")
        card = item.get("card")
        try:
            card = str(uuidlib.UUID(card)) if isinstance(card, str) else None
        except ValueError:
            card = None
        if card is None:
            raise FeedbackError(400, f"{where}.card must be the uuid of a card")
        with self._lock:
            known = self._card(card)
        if known is None:
            raise FeedbackError(404, f"{where}.card {card} is not a card this service issued")
        outcome = item.get("outcome")
        if outcome not in OUTCOMES:
            raise FeedbackError(400, f"{where}.outcome must be one of {', '.join(OUTCOMES)}")
        if item.get("acceptedSuggestions"):
            raise FeedbackError(400, f"{where}.acceptedSuggestions: the card {card} has no suggestions")
        reason = None
        override = item.get("overrideReason")
        if override is not None:
            if outcome != "overridden":
                raise FeedbackError(400, f"{where}.overrideReason is allowed only with outcome overridden")
            coding = override.get("reason") if isinstance(override, dict) else None
            if not isinstance(coding, dict) or coding.get("system") != OVERRIDE_SYSTEM \
                    or coding.get("code") not in OVERRIDE_REASONS:
                raise FeedbackError(400, f"{where}.overrideReason.reason must be a Coding of {OVERRIDE_SYSTEM} "
                                    f"({', '.join(OVERRIDE_REASONS)})")
            reason = coding["code"]
        stamp = item.get("outcomeTimestamp")
        try:
            when = dt.datetime.fromisoformat(stamp) if isinstance(stamp, str) and len(stamp) <= 40 else None
        except ValueError:
            when = None
        if when is None or when.tzinfo is None:
            raise FeedbackError(400, f"{where}.outcomeTimestamp must be an instant with a time zone "
                                "(e.g. 2026-01-15T10:00:00Z)")
        time = when.astimezone(dt.timezone.utc).isoformat(timespec="seconds")
        return (card, known[0], known[1], outcome, reason, time)

    def close(self) -> None:
        """Write what is queued, then close the connection."""
        self.flush()
        with self._wake:
            self._closed = True
            self._wake.notify_all()
        with self._lock:
            self._db.close()


def _items(body: Any) -> list[Any]:
    items = body.get("feedback") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise FeedbackError(400, "the body must be {\"feedback\": [...]} with at least one item (CDS Hooks 2.0)")
    if len(items) > MAX_ITEMS:
        raise FeedbackError(413, f"at most {MAX_ITEMS} feedback items in one request")
    return items


def summary(path: Path) -> list[tuple[str, str, str | None, int]]:
    """(card kind, outcome, reason, count) of a store, read-only (UsageError when it is not one)."""
    path = Path(path)
    if path.is_symlink() or not path.is_file():
        raise UsageError(f"feedback: {path} is not a regular file (a store written by rnetkg serve --feedback-db)")
    try:
        db = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)
        try:
            return [tuple(r) for r in db.execute(
                "SELECT kind, outcome, reason, COUNT(*) FROM feedback GROUP BY kind, outcome, reason "
                "ORDER BY kind, outcome, reason")]
        finally:
            db.close()
    except sqlite3.Error as e:
        raise UsageError(f"feedback: {path} is not a feedback store written by rnetkg serve ({e})") from None
