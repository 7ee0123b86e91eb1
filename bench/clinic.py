"""Bounded load on the clinician page and the CDS Hooks service of `rnetkg serve` (`make bench`,
`python -m bench.clinic`): loopback only.

Starts `rnetkg serve` on a free 127.0.0.1 port as its own process; 8 client threads (one kept-alive
connection each) send 2,000 page requests (GET `/?fields`), then 2,000 CDS Hooks calls (POST
`/cds-services/rnet-guideline-comparison` with the patient's Observations and Procedures as
prefetch), each cycling through 200 distinct generated profiles (rnetkg cohort generate: every
boundary of the graph), so no answer is served twice in a row. Then the same with 64 clients, and the
page once more with every request a profile not seen before (nothing served from the page's cache).
Targets (issue 23): with 8 clients p99 <= 50 ms and at least 600 answers/s for each; with 64 clients no
error. Last, a cold `rnetkg compare` against a bare `python -c pass`, measured in the same run: at most
8 times as long. The exit code is 1 when a target is missed or an answer is wrong.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import urllib.parse
from pathlib import Path

from .common import cold_ratio
from .server import _free_port, _peak_rss_mib, run_load, start

TARGET_P99_MS, TARGET_PER_S, TARGET_COLD_RATIO = 50.0, 600.0, 8.0
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


def _page_ok(status: int, body: bytes) -> bool:
    return status == 200 and b'data-guideline="' in body


def _cds_ok(status: int, body: bytes) -> bool:
    return status == 200 and body.startswith(b'{"cards":[{')


def run(clients: int = 8, total: int = 2000, n_profiles: int = 200, many: int = 64) -> dict[str, dict]:
    cases = profiles(max(n_profiles, total) + n_profiles)
    seen, fresh = cases[:n_profiles], cases[n_profiles:n_profiles + total]
    pages = [("GET", "/?" + urllib.parse.urlencode(items), None, {}) for items in seen]
    new_pages = [("GET", "/?" + urllib.parse.urlencode(items), None, {}) for items in fresh]
    calls = [("POST", CDS_PATH, cds_request(items, f"bench-{i}"), {"Content-Type": "application/json"})
             for i, items in enumerate(seen)]
    port = _free_port()
    proc, _child = start(port)
    try:
        out = {"page": run_load(port, pages, _page_ok, clients=clients, total=total),
               "cds": run_load(port, calls, _cds_ok, clients=clients, total=total),
               "page_many": run_load(port, pages, _page_ok, clients=many, total=total),
               "cds_many": run_load(port, calls, _cds_ok, clients=many, total=total),
               "page_new": run_load(port, new_pages, _page_ok, clients=clients, total=len(new_pages))}
        out["peak_rss_front_mib"] = _peak_rss_mib(proc.pid)
    finally:
        proc.terminate()
        proc.wait(15)
    return out


def meets_target(r: dict) -> bool:
    return r["errors"] == 0 and r["p99_ms"] <= TARGET_P99_MS and r["throughput"] >= TARGET_PER_S


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.clinic", description=__doc__.split("\n\n")[0].replace("\n", " "))
    ap.add_argument("--clients", type=int, default=8, help="client threads, one kept-alive connection each")
    ap.add_argument("--requests", type=int, default=2000, help="page requests, and as many CDS Hooks calls")
    ap.add_argument("--profiles", type=int, default=200, help="distinct generated profiles to cycle through")
    ap.add_argument("--many", type=int, default=64, help="client threads of the second run (no error allowed)")
    ap.add_argument("--cold-repeats", type=int, default=5, help="cold compares (and bare pythons) measured")
    args = ap.parse_args(argv)
    res = run(args.clients, args.requests, args.profiles, args.many)
    page, cds = res["page"], res["cds"]
    print(f"| rnetkg serve, {args.requests:,} requests per row, {args.profiles:,} distinct profiles (loopback) "
          "| page `/` | CDS Hooks call |\n|---|---|---|")

    def row(label: str, a: dict, b: dict | None) -> None:
        cell = lambda r: (f"{r['throughput']:,.0f}/s, p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, "
                          f"{r['errors']} errors") if r else "-"
        print(f"| {label} | {cell(a)} | {cell(b)} |")

    row(f"{args.clients} clients", page, cds)
    row(f"{args.many} clients", res["page_many"], res["cds_many"])
    row(f"{args.clients} clients, every page a new profile (none from the page cache)", res["page_new"], None)
    print(f"| target, {args.clients} clients: p99 <= {TARGET_P99_MS:g} ms, >= {TARGET_PER_S:g}/s | "
          f"{'met' if meets_target(page) else 'MISSED'} | {'met' if meets_target(cds) else 'MISSED'} |")
    many_ok = res["page_many"]["errors"] == 0 and res["cds_many"]["errors"] == 0
    print(f"| target, {args.many} clients: no error | {'met' if res['page_many']['errors'] == 0 else 'MISSED'} | "
          f"{'met' if res['cds_many']['errors'] == 0 else 'MISSED'} |")
    print(f"| peak RSS of the web front | {res['peak_rss_front_mib'] or 0:.0f} MiB | |")
    for name in ("page", "cds", "page_many", "cds_many", "page_new"):
        if res[name]["errors"]:
            print(f"{name}: first error: {res[name]['first_error']}", file=sys.stderr)
    cold_ok = True
    example = Path(__file__).resolve().parents[1] / "examples" / "profile-15mm-g1.json"
    if example.is_file():
        cold, bare, ratio = cold_ratio(["compare", str(example)], args.cold_repeats)
        cold_ok = ratio <= TARGET_COLD_RATIO
        print(f"\ncold `rnetkg compare` {cold:.2f} s, bare `python -c pass` {bare:.3f} s (medians of "
              f"{args.cold_repeats}, one run): {ratio:.1f}x, target <= {TARGET_COLD_RATIO:g}x: "
              f"{'met' if cold_ok else 'MISSED'}")
    return 0 if meets_target(page) and meets_target(cds) and many_ok and cold_ok else 1

if __name__ == "__main__":
    sys.exit(main())
