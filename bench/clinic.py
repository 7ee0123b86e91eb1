"""Bounded load on the clinician page and the CDS Hooks service of `rnetkg serve` (`make bench`,
`python -m bench.clinic`): loopback only.

Starts `rnetkg serve` on a free 127.0.0.1 port as its own process; 8 client threads (one kept-alive
connection each) send 2,000 page requests (GET `/?fields`), then 2,000 CDS Hooks calls (POST
`/cds-services/rnet-guideline-comparison` with the patient's Observations and Procedures as
prefetch), each cycling through 200 distinct generated profiles (rnetkg cohort generate: every
boundary of the graph), so no answer is served twice in a row. Target: p50 <= 20 ms and p99 <= 100 ms
for each; the exit code is 1 when a target is missed or an answer is wrong.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import urllib.parse
from pathlib import Path

from .server import _free_port, _peak_rss_mib, run_load, start

TARGET_P50_MS, TARGET_P99_MS = 20.0, 100.0
CDS_PATH = "/cds-services/rnet-guideline-comparison"


def profiles(n: int = 200, seed: int = 7) -> list[list[tuple[str, str]]]:
    """n generated profiles as form items (field, text), empty fields left out."""
    from rnetkg.cohort.generate import generate

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cohort.csv"
        generate(n, seed, out)
        with out.open(newline="", encoding="utf-8") as f:
            return [[(k, v) for k, v in row.items() if v != ""] for row in csv.DictReader(f)]


def cds_request(items: list[tuple[str, str]], patient: str) -> bytes:
    """A patient-view call whose prefetch holds the profile's Observations and Procedures."""
    from rnetkg.serve.cds import request_for_profile
    from rnetkg.serve.page import read_form

    _, data, errors = read_form(items)
    if errors:
        raise ValueError(f"generated profile {patient}: {errors[0]}")
    return json.dumps(request_for_profile(data, patient)).encode()


def run(clients: int = 8, total: int = 2000, n_profiles: int = 200) -> dict[str, dict]:
    cases = profiles(n_profiles)
    pages = [("GET", "/?" + urllib.parse.urlencode(items), None, {}) for items in cases]
    calls = [("POST", CDS_PATH, cds_request(items, f"bench-{i}"), {"Content-Type": "application/json"})
             for i, items in enumerate(cases)]
    port = _free_port()
    proc, _child = start(port)
    try:
        page = run_load(port, pages, lambda status, body: status == 200 and b'data-guideline="' in body,
                        clients=clients, total=total)
        cds = run_load(port, calls, lambda status, body: status == 200 and body.startswith(b'{"cards":[{'),
                       clients=clients, total=total)
        rss = _peak_rss_mib(proc.pid)
    finally:
        proc.terminate()
        proc.wait(15)
    return {"page": page, "cds": cds, "peak_rss_front_mib": rss}


def meets_target(r: dict) -> bool:
    return r["errors"] == 0 and r["p50_ms"] <= TARGET_P50_MS and r["p99_ms"] <= TARGET_P99_MS


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.clinic", description=__doc__.split("\n\n")[0].replace("\n", " "))
    ap.add_argument("--clients", type=int, default=8, help="client threads, one kept-alive connection each")
    ap.add_argument("--requests", type=int, default=2000, help="page requests, and as many CDS Hooks calls")
    ap.add_argument("--profiles", type=int, default=200, help="distinct generated profiles to cycle through")
    args = ap.parse_args(argv)
    res = run(args.clients, args.requests, args.profiles)
    print(f"| rnetkg serve, {args.clients} clients, {args.requests:,} requests each, {args.profiles:,} distinct "
          "profiles (loopback) | page `/` | CDS Hooks call |\n|---|---|---|")
    page, cds = res["page"], res["cds"]
    print(f"| throughput | {page['throughput']:,.0f} requests/s | {cds['throughput']:,.0f} requests/s |")
    print(f"| latency p50 / p99 | {page['p50_ms']:.1f} ms / {page['p99_ms']:.1f} ms | "
          f"{cds['p50_ms']:.1f} ms / {cds['p99_ms']:.1f} ms |")
    print(f"| errors | {page['errors']} | {cds['errors']} |")
    print(f"| target p50 <= {TARGET_P50_MS:g} ms, p99 <= {TARGET_P99_MS:g} ms | "
          f"{'met' if meets_target(page) else 'MISSED'} | {'met' if meets_target(cds) else 'MISSED'} |")
    print(f"| peak RSS of the web front | {res['peak_rss_front_mib'] or 0:.0f} MiB | |")
    for name, r in (("page", page), ("cds", cds)):
        if r["errors"]:
            print(f"{name}: first error: {r['first_error']}", file=sys.stderr)
    return 0 if meets_target(page) and meets_target(cds) else 1


if __name__ == "__main__":
    sys.exit(main())
