"""Bounded load on `rnetkg serve` (`make bench`, `python -m bench.server`): loopback only.

Starts `rnetkg serve` on a free 127.0.0.1 port as its own process, then N client threads (each with
one kept-alive connection) send a fixed number of requests in total, cycling through the catalogue
queries that take no profile (SELECTs, as shipped). Reports throughput, p50, p99, errors and the peak
resident memory (VmHWM) of the two server processes (the web front and the Oxigraph child).
"""

from __future__ import annotations

import argparse
import http.client
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

from .common import child_env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _peak_rss_mib(pid: int) -> float | None:
    try:
        m = re.search(r"^VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.M)
    except OSError:
        return None
    return int(m.group(1)) / 1024 if m else None


def _bodies() -> list[bytes]:
    from rnetkg import queries

    out = []
    for name, q in sorted(queries.catalogue().items()):
        if q.is_qc or q.takes_profiles or re.search(r"^\s*CONSTRUCT\b", q.text, re.M | re.I):
            continue
        out.append(urllib.parse.urlencode({"query": q.text}).encode())
    return out


def run_load(port: int, requests: list[tuple[str, str, bytes | None, dict[str, str]]], check, *,
             clients: int = 8, total: int = 2000) -> dict:
    """Send `total` requests (method, path, body, headers), cycling through `requests`, from `clients`
    threads (one kept-alive connection each) to 127.0.0.1:port; ``check(status, body)`` says whether an
    answer is right. Latencies (p50, p99), throughput and errors."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(total))

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            method, path, body, headers = requests[i % len(requests)]
            t = time.perf_counter()
            try:
                conn.request(method, path, body, headers)
                resp = conn.getresponse()
                data = resp.read()
                ok = check(resp.status, data)
            except (OSError, http.client.HTTPException) as e:
                ok, data = False, str(e).encode()
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            elapsed = time.perf_counter() - t
            with lock:
                latencies.append(elapsed)
                if not ok:
                    errors.append(data[:100].decode("utf-8", "replace"))
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    latencies.sort()
    return {"requests": total, "clients": clients, "wall_s": wall, "throughput": total / wall,
            "p50_ms": 1000 * statistics.median(latencies),
            "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
            "errors": len(errors), "first_error": errors[0] if errors else ""}


def load_test(port: int, *, clients: int = 8, total: int = 2000) -> dict:
    """Send `total` requests from `clients` threads to 127.0.0.1:port/query; latencies and errors."""
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"}
    requests = [("POST", "/query", body, headers) for body in _bodies()]
    return run_load(port, requests, lambda status, data: status == 200 and data.startswith(b"{"),
                    clients=clients, total=total)


def start(port: int) -> tuple[subprocess.Popen, int]:
    """`rnetkg serve` on 127.0.0.1:port as its own process, once it answers: (process, Oxigraph child pid)."""
    proc = subprocess.Popen([sys.executable, "-m", "rnetkg", "serve", "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=child_env())
    out = ""
    while "Ctrl-C stops the server." not in out:
        line = proc.stdout.readline()
        if not line:
            proc.kill()
            proc.wait()
            raise RuntimeError("rnetkg serve did not start")
        out += line
    return proc, int(re.search(r"Oxigraph server pid (\d+)", out).group(1))


def run(clients: int = 8, total: int = 2000) -> dict:
    port = _free_port()
    proc, child = start(port)
    try:
        result = load_test(port, clients=clients, total=total)
        result["peak_rss_front_mib"] = _peak_rss_mib(proc.pid)
        result["peak_rss_oxigraph_mib"] = _peak_rss_mib(child)
        return result
    finally:
        proc.terminate()
        proc.wait(15)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.server", description=__doc__.split("\n\n")[0].replace("\n", " "))
    ap.add_argument("--clients", type=int, default=8, help="client threads, one kept-alive connection each")
    ap.add_argument("--requests", type=int, default=2000, help="requests in total")
    args = ap.parse_args(argv)
    r = run(args.clients, args.requests)
    print(f"| rnetkg serve, {r['clients']} clients, {r['requests']:,} catalogue queries (loopback) | |\n|---|---|")
    print(f"| throughput | {r['throughput']:,.0f} requests/s ({r['wall_s']:.1f} s) |")
    print(f"| latency p50 / p99 | {r['p50_ms']:.1f} ms / {r['p99_ms']:.1f} ms |")
    print(f"| errors | {r['errors']}{' (' + r['first_error'] + ')' if r['errors'] else ''} |")
    print(f"| peak RSS: web front / Oxigraph | {r['peak_rss_front_mib'] or 0:.0f} MiB / {r['peak_rss_oxigraph_mib'] or 0:.0f} MiB |")
    return 1 if r["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
