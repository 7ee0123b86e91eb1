"""Issue 26 item 2: CDS Hooks 2.0 in full - card and suggestion uuids, coded override reasons, the card link
to the clinician page under --public-url, the feedback endpoint and its SQLite store, `rnetkg feedback`."""

from __future__ import annotations

import os
import sqlite3
import threading
import urllib.parse
import uuid

import httpx
import pytest

from conftest import free_port
from rnetkg import serve
from rnetkg.cli import main
from rnetkg.errors import UsageError
from rnetkg.serve import cds
from rnetkg.serve.feedback import MAX_BYTES, OVERRIDE_SYSTEM, FeedbackStore

# tests/fixtures/cases/initial-15mm-g1-low-risk.json: guidelines conflict (no strategy in common), and
# CSCO-2022 and PNNT-2022 are a level pair (local excision, transanal against endoscopic)
PROFILE = {"size_mm": 15, "ki67_percent": 1, "mitoses_per_2mm2": 1, "invasion_depth": "submucosa",
           "lymphovascular_invasion": False, "lymph_nodes": "N0", "distant_metastasis": False, "margin": "not_resected"}
URL = f"{cds.SERVICE_ID}"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    return tmp_path_factory.mktemp("fb") / "feedback.sqlite"


@pytest.fixture(scope="module")
def server(request, store_path):
    handle = serve.start_server(f"127.0.0.1:{free_port()}", public_url="https://ehr.example.org/rnet/",
                                feedback_db=str(store_path))
    request.addfinalizer(handle.stop)
    return handle


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, trust_env=False, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def cards(client):
    r = client.post(f"/cds-services/{URL}", json=cds.request_for_profile(PROFILE, "p1"))
    assert r.status_code == 200
    return r.json()["cards"]


def feedback(client, card, outcome="accepted", **extra):
    item = {"card": card, "outcome": outcome, "outcomeTimestamp": "2026-01-15T10:00:00Z", **extra}
    return client.post(f"/cds-services/{URL}/feedback", json={"feedback": [item]})


def test_issue26_every_card_has_a_uuid_and_coded_override_reasons(cards):
    assert len({c["uuid"] for c in cards}) == len(cards) >= 2
    assert all(str(uuid.UUID(c["uuid"])) == c["uuid"] for c in cards)
    warning = next(c for c in cards if c["indicator"] == "warning")
    codes = {(r["system"], r["code"]): r["display"] for r in warning["overrideReasons"]}
    assert codes == {(OVERRIDE_SYSTEM, "other-guideline"): "Another guideline recommends otherwise",
                     (OVERRIDE_SYSTEM, "mdt-decision"): "A multidisciplinary team decided otherwise",
                     (OVERRIDE_SYSTEM, "patient-preference"): "The patient's preference"}
    assert all("suggestions" not in c or all("uuid" in s for s in c["suggestions"]) for c in cards)


def test_issue26_the_card_links_to_the_clinician_page_under_the_public_url(cards):
    link = cards[0]["links"][0]
    assert link["type"] == "absolute"
    parts = urllib.parse.urlsplit(link["url"])
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "ehr.example.org", "/rnet/")
    assert dict(urllib.parse.parse_qsl(parts.query)) == {
        "size_mm": "15", "ki67_percent": "1", "mitoses_per_2mm2": "1", "invasion_depth": "submucosa",
        "lymphovascular_invasion": "false", "lymph_nodes": "N0", "distant_metastasis": "false", "margin": "not_resected"}


def test_issue26_info_summary_is_the_answer_summary_line_and_the_warning_names_level_pairs(cards):
    info, warning = cards[0], next(c for c in cards if c["indicator"] == "warning")
    assert info["summary"].startswith("rNET (G1, T1b): ") and "conflicting pair" not in info["summary"]
    assert len(info["summary"]) < 140
    assert warning["summary"].startswith("Guidelines conflict (no strategy in common): ")
    assert "CSCO-2022" not in warning["summary"]
    assert warning["detail"].endswith("Not conflicts: same strategy at another level (level pairs): CSCO-2022 vs "
                                      "PNNT-2022.")


def test_issue26_feedback_for_an_issued_card_is_stored_without_free_text(client, cards, store_path):
    warning = next(c for c in cards if c["indicator"] == "warning")
    r = feedback(client, warning["uuid"], "overridden",
                 overrideReason={"reason": {"system": OVERRIDE_SYSTEM, "code": "mdt-decision"},
                                 "userComment": "Mrs Smith, MRN 12345, prefers surgery"})
    assert r.status_code == 200 and r.json() == {"stored": 1}
    assert feedback(client, cards[0]["uuid"]).status_code == 200
    with sqlite3.connect(store_path) as db:
        rows = db.execute("SELECT card, kind, graph_version, outcome, reason, time FROM feedback ORDER BY id").fetchall()
    assert rows[0] == (warning["uuid"], "conflict", "0.1.0", "overridden", "mdt-decision", "2026-01-15T10:00:00+00:00")
    assert rows[1][1:5] == ("answer", "0.1.0", "accepted", None)
    assert b"Smith" not in store_path.read_bytes() and b"12345" not in store_path.read_bytes()


def test_issue26_feedback_for_a_card_never_issued_is_refused(client):
    never = str(uuid.uuid4())
    r = feedback(client, never)
    assert r.status_code == 404
    assert f"feedback[0].card {never} is not a card this service issued" in r.text


@pytest.mark.parametrize("extra,status,message", [
    ({"outcome": "ignored"}, 400, "feedback[0].outcome must be one of accepted, overridden"),
    ({"outcomeTimestamp": "yesterday"}, 400, "feedback[0].outcomeTimestamp must be an instant"),
    ({"overrideReason": {"reason": {"system": "x", "code": "y"}}, "outcome": "overridden"}, 400,
     "feedback[0].overrideReason.reason must be a Coding of"),
])
def test_issue26_invalid_feedback_is_refused_naming_the_field(client, cards, extra, status, message):
    item = {"card": cards[0]["uuid"], "outcome": "accepted", "outcomeTimestamp": "2026-01-15T10:00:00Z", **extra}
    r = client.post(f"/cds-services/{URL}/feedback", json={"feedback": [item]})
    assert r.status_code == status and message in r.text


def test_issue26_rnetkg_feedback_prints_accepted_and_overridden_by_kind_and_reason(client, cards, store_path,
                                                                                     capsys):
    assert main(["feedback", str(store_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["card", "kind", "accepted", "overridden"]
    assert "answer" in out[1].split()[0] and out[1].split()[1:] == ["1", "0"]
    assert out[2].split() == ["conflict", "0", "1"]
    assert out[3] == "overridden, by reason:"
    assert out[4].strip() == "conflict     mdt-decision (A multidisciplinary team decided otherwise): 1".strip()


def test_issue26_feedback_store_is_never_a_symbolic_link_nor_too_large(tmp_path):
    real = tmp_path / "real.sqlite"
    real.write_bytes(b"")
    link = tmp_path / "link.sqlite"
    link.symlink_to(real)
    with pytest.raises(UsageError, match="is a symbolic link"):
        FeedbackStore(link)
    big = tmp_path / "big.sqlite"
    with big.open("wb") as f:
        f.truncate(MAX_BYTES + 1)
    with pytest.raises(UsageError, match="more than the bound of 67,108,864"):
        FeedbackStore(big)
    with pytest.raises(UsageError, match="is a folder"):
        FeedbackStore(tmp_path)


def test_issue26_rnetkg_feedback_on_a_file_that_is_not_a_store_exits_2(tmp_path, capsys):
    bad = tmp_path / "x.sqlite"
    bad.write_text("not sqlite at all " * 100)
    assert main(["feedback", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is not a feedback store" in err[0] and len(err[0]) <= 300
    os.remove(bad)


def test_issue26_serve_refuses_a_feedback_db_that_is_a_symbolic_link(tmp_path, capsys):
    real = tmp_path / "real.sqlite"
    real.write_bytes(b"")
    link = tmp_path / "link.sqlite"
    link.symlink_to(real)
    assert main(["serve", "--bind", f"127.0.0.1:{free_port()}", "--feedback-db", str(link)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"rnetkg: --feedback-db {link}: is a symbolic link; give the path of a regular file"]


def test_issue26_a_card_issued_before_a_restart_still_takes_feedback(tmp_path):
    path = tmp_path / "fb.sqlite"
    first = FeedbackStore(path)
    card = {"uuid": str(uuid.uuid4())}
    first.issued([card], ["conflict"], "0.1.0")
    first.close()
    again = FeedbackStore(path)
    assert again.record({"feedback": [{"card": card["uuid"], "outcome": "accepted",
                                       "outcomeTimestamp": "2026-01-15T11:00:00+01:00"}]}) == 1
    again.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT kind, outcome, time FROM feedback").fetchall() == [
            ("conflict", "accepted", "2026-01-15T10:00:00+00:00")]


def test_issued_cards_are_written_in_batches_by_the_stores_thread(tmp_path):
    """A burst of hook calls queues its cards (none waits for the disk); flush waits until SQLite holds
    every one, each with its kind and graph version; the store's own thread writes them."""
    path = tmp_path / "fb.sqlite"
    store = FeedbackStore(path)
    cards = [{"uuid": str(uuid.uuid4())} for _ in range(300)]
    for i, card in enumerate(cards):
        store.issued([card], ["conflict" if i % 3 == 0 else "answer"], "0.1.0")
    store.flush()
    with sqlite3.connect(path) as db:
        rows = dict((u, k) for u, k in db.execute("SELECT uuid, kind FROM card"))
    assert len(rows) == 300
    assert [rows[c["uuid"]] for c in cards[:4]] == ["conflict", "answer", "answer", "conflict"]
    assert any(t.name == "rnetkg-feedback" for t in threading.enumerate())
    store.close()
    store.issued([{"uuid": str(uuid.uuid4())}], ["answer"], "0.1.0")   # after close: kept in memory only
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM card").fetchone() == (300,)
