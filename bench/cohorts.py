"""Benchmark (`make bench`, `python -m bench.cohorts` from the checkout's root): cohorts of 1k to 1M profiles end to end on the
fast path, the SPARQL path on pyoxigraph (in process, and as a new process up to 100k: ``sparql_rows``),
rdflib, Apache Jena ARQ and Virtuoso (``bench.engines``), a cold `rnetkg compare`, and `rnetkg check`;
then the cohort files against the cost of merely reading them (``cohort_io``).

Prints Markdown tables. Exit code 1 when the fast path's rows differ from the SPARQL path's, or another
engine's rows from pyoxigraph's.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from rnetkg import cohort, paths

from . import engines
from .common import child_env, cli_command, fmt_s, print_header, print_table, rate, scratch, time_command

RDFLIB_BATCH = 25   # measured best per profile for rdflib's engine: 1 -> 3.0 s, 10 -> 6.9 s, 25 -> 13.8 s, 100 -> 87 s


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)





def engine_rows(sample: Path, n: int, tmp: Path, log) -> tuple[list[tuple[str, str, str, str, str]], bool]:
    """The SPARQL path on pyoxigraph, Jena and Virtuoso (bench.engines) for the first n profiles of
    the sample: the table rows, and whether an engine's rows differ from pyoxigraph's."""
    runs = engines.engine_runs(sample, tmp / "engines", log, n)
    rows = [(engines.LABELS[r.engine], f"{r.profiles:,}", fmt_s(r.seconds), rate(r.profiles, r.seconds),
             r.note) for r in runs]
    failed = any(r.failed for r in runs)
    if failed:
        log("MISMATCH: another engine's rows differ from pyoxigraph's")
    return rows, failed


def _rdflib(sample: Path, n_target: int, n_measured: int, log) -> tuple[str, str, str, bool]:
    """rdflib's own engine with compare.cohort_rows (the SPARQL path of a cohort), in batches of RDFLIB_BATCH profiles:
    (time, profiles/s, note, same rows as pyoxigraph). Only n_measured profiles are run; the batches are
    independent, so the time for n_target is the measured time per batch times the number of batches."""
    from rnetkg.compare import cohort_rows
    from rnetkg.engine import RdflibEngine, StoreEngine

    raw = cohort.read_cohort(sample)
    profiles, _, _ = cohort.parse_rows(raw)
    profiles = profiles[:n_target]
    t = time.perf_counter()
    eng = RdflibEngine()
    load = time.perf_counter() - t
    measured = profiles[:n_measured]
    rows_rdflib = []
    t = time.perf_counter()
    for start in range(0, len(measured), RDFLIB_BATCH):
        rows_rdflib += cohort_rows(measured[start:start + RDFLIB_BATCH], eng)
    spent = time.perf_counter() - t
    same = rows_rdflib == cohort_rows(measured, StoreEngine())
    log(f"rdflib: graph loaded in {load:.1f} s; {len(measured)} profiles in {spent:.1f} s "
        f"({'same rows as pyoxigraph' if same else 'ROWS DIFFER from pyoxigraph'})")
    note = (f"batches of {RDFLIB_BATCH}; graph load {load:.1f} s; "
            + ("same rows as pyoxigraph" if same else "ROWS DIFFER from pyoxigraph"))
    if len(profiles) > len(measured):
        batches = -(-len(profiles) // RDFLIB_BATCH)
        est = spent / -(-len(measured) // RDFLIB_BATCH) * batches
        return (f"~{fmt_s(est)}", rate(len(measured), spent),
                f"extrapolated from {len(measured)} profiles measured ({spent:.1f} s): the batches are "
                f"independent, so the time grows with their number; " + note, same)
    return fmt_s(spent), rate(len(measured), spent), note, same


# ---------------------------------------------------------------- cohort files against a plain scan

# what merely reading the file costs: a csv.reader over every record, json.loads of every line
SCAN_CSV = ("import csv, sys\n"
            "with open(sys.argv[1], encoding='utf-8', newline='') as f:\n"
            "    for row in csv.reader(f):\n"
            "        pass\n")
SCAN_JSONL = ("import json, sys\n"
              "with open(sys.argv[1], encoding='utf-8') as f:\n"
              "    for line in f:\n"
              "        if line.strip():\n"
              "            json.loads(line)\n")


# A fresh, small process runs each measured command and reports the command's own figures: the peak
# resident memory of a child counts what its parent held when it was forked (Linux carries the
# parent's high-water mark across exec), so the child must not be forked from this large process.
RUNNER = ("import json, os, subprocess, sys, time\n"
          "t = time.perf_counter()\n"
          "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
          "_, status, u = os.wait4(p.pid, 0)\n"
          "wall = time.perf_counter() - t\n"
          "print(json.dumps([wall, u.ru_utime + u.ru_stime, u.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)]))\n")


def _measure(args: list[str]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak resident MiB) of one cold child process."""
    proc = subprocess.run([sys.executable, "-c", RUNNER, *args], env=child_env(), capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"benchmark runner failed: {proc.stderr.strip()[-300:]}")
    wall, cpu, peak, code = json.loads(proc.stdout)
    if code:
        raise RuntimeError(f"{' '.join(args[:4])} ... exited {code}")
    return wall, cpu, peak


def write_jsonl(csv_path: Path, out: Path) -> None:
    """The profiles of a cohort CSV as JSON Lines (an empty cell: the field left out; a row without an
    id gets its CSV line number, the id it has in the CSV, so that both give the same OUT)."""
    import csv

    from rnetkg.fields import FIELDS

    with open(csv_path, encoding="utf-8", newline="") as f, open(out, "w", encoding="utf-8") as o:
        for line, row in enumerate(csv.DictReader(f), start=2):
            d = {"id": row["id"] or str(line)}
            for name, cell in row.items():
                if cell == "":
                    continue
                kind = FIELDS[name].kind
                d[name] = float(cell) if kind == "number" else (cell == "true") if kind == "boolean" else cell
            o.write(json.dumps(d) + "\n")


def write_quoted_newlines(csv_path: Path, out: Path, every: int = 100) -> None:
    """The cohort with a quoted two-line id (with doubled quotes) on every ``every``-th row."""
    with open(csv_path, encoding="utf-8", newline="") as f, open(out, "w", encoding="utf-8", newline="") as o:
        o.write(f.readline())
        for i, line in enumerate(f, start=1):
            if i % every == 0:
                cut = line.index(",")
                line = f'"{line[:cut] or "x"}\nsecond line, with ""quotes"""' + line[cut:]
            o.write(line)


def cohort_io(files: dict[str, Path], tmp: Path, repeats: int, log) -> list[tuple[str, ...]]:
    """For each cohort file: cold `rnetkg compare --cohort FILE --out OUT` against a plain scan of the
    same file, run in alternation (scan, compare, scan, compare, ...) so that the machine's drift
    cancels; the ratio is the median of the pairs' ratios. Peak memory: the compare process's."""
    rows = []
    for label, path in files.items():
        scan = SCAN_JSONL if path.suffix == ".jsonl" else SCAN_CSV
        out = tmp / f"io-{path.stem}.out.csv"
        pairs = []
        for _ in range(repeats):
            plain = _measure([sys.executable, "-c", scan, str(path)])
            out.unlink(missing_ok=True)
            run = _measure(cli_command() + ["compare", "--quiet", "--cohort", str(path), "--out", str(out)])
            pairs.append((plain, run))
        ratio = statistics.median(r[0] / p[0] for p, r in pairs)
        cpu_ratio = statistics.median(r[1] / p[1] for p, r in pairs)
        scan_s = statistics.median(p[0] for p, _ in pairs)
        run_s = statistics.median(r[0] for _, r in pairs)
        peak = max(r[2] for _, r in pairs)
        size = path.stat().st_size / 2**20
        log(f"{label}: scan {scan_s:.2f} s, compare {run_s:.2f} s, x{ratio:.2f} (CPU x{cpu_ratio:.2f}), "
            f"peak {peak:.0f} MiB")
        # the targets are set for the million-profile files (smaller ones are mostly start-up)
        met = ("yes" if ratio <= 2 and peak <= 300 else "NO") if "1,000,000" in label else "-"
        rows.append((label, f"{size:.0f} MiB", fmt_s(scan_s), fmt_s(run_s), f"{ratio:.2f}", f"{cpu_ratio:.2f}",
                     f"{peak:.0f} MiB", met))
    return rows


def print_cohort_io(rows: list[tuple[str, ...]], repeats: int) -> None:
    print()
    print(f"Cohort files, cold CLI (`rnetkg compare --cohort FILE --out OUT`) against a plain scan of the same "
          f"file (CSV: csv.reader; JSON Lines: json.loads per line); {repeats} alternating pairs, medians; "
          "targets, for the 1,000,000-profile files: ratio (wall) <= 2, peak <= 300 MiB")
    print()
    print("| file | size | plain scan | compare | ratio (wall) | ratio (CPU) | peak memory | targets met |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


def generate_cohorts(sizes, seed: int, tmp: Path, log) -> dict[int, Path]:
    """A generated cohort of each size, tmp/cohort-N.csv."""
    files = {}
    for n in sorted(set(sizes)):
        files[n] = tmp / f"cohort-{n}.csv"
        t = time.perf_counter()
        cohort.generate(n, seed, files[n])
        log(f"generated {n:,} profiles in {time.perf_counter() - t:.1f} s")
    return files


def io_files(sizes: list[int], seed: int, tmp: Path, log, generated: dict[int, Path] | None = None) -> dict[str, Path]:
    """The generated cohorts of each size as CSV and JSON Lines, and the largest with quoted newlines."""
    files = {}
    for n in sizes:
        path = (generated or {}).get(n) or tmp / f"io-{n}.csv"
        if not path.exists():
            cohort.generate(n, seed, path)
        files[f"CSV, {n:,} profiles"] = path
        jsonl = tmp / f"io-{n}.jsonl"
        write_jsonl(path, jsonl)
        files[f"JSON Lines, {n:,} profiles"] = jsonl
    n = max(sizes)
    nl = tmp / f"io-{n}-newlines.csv"
    write_quoted_newlines(files[f"CSV, {n:,} profiles"], nl)
    files[f"CSV, {n:,} profiles, a quoted newline every 100 rows"] = nl
    log(f"cohort files for the scan comparison written ({', '.join(files)})")
    return files


def sparql_rows(files: dict[int, Path], sizes: list[int], fast_sizes: list[int], tmp: Path,
                log) -> tuple[list[tuple[str, str, str, str, str]], bool]:
    """The SPARQL path (--cohort-engine sparql) on pyoxigraph: in this process (the graph and the criteria
    already read) for each size, then as a new process (`rnetkg compare --cohort`, start-up included) up to
    100,000 profiles. Each OUT is compared with the fast path's of the same file where there is one
    (fast-N.csv in tmp, for the sizes in fast_sizes); sparql-10000.csv is kept for the JSON Lines check.
    Returns (rows, whether every comparison gave the same bytes)."""
    rows, same = [], True

    def target(n: int, seconds: float) -> str:   # the target is on 10,000 profiles and more
        return f"; target >= 5,000 profiles/s: {'met' if n >= 5000 * seconds else 'NOT MET'}" if n >= 10_000 else ""
    for n in sizes:
        t = time.perf_counter()
        s = cohort.run_cohort(files[n], tmp / f"sparql-{n}.csv", engine_name="sparql")
        dt = time.perf_counter() - t
        rows.append(("cohort, SPARQL path (pyoxigraph), in process", f"{n:,}", fmt_s(dt), rate(s["written"], dt),
                     f"{s['classes']:,} classes of profiles; the queries on {s['queried']:,} of them (one per set "
                     f"of statement statuses), {cohort.BATCH_SIZE} per query" + target(s["written"], dt)))
        log(f"SPARQL path {n:,}: {dt:.2f} s ({s['classes']:,} classes, {s['queried']:,} queried)")
        if n in fast_sizes:   # the fast path's file of the same cohort: the same bytes
            here = (tmp / f"fast-{n}.csv").read_bytes() == (tmp / f"sparql-{n}.csv").read_bytes()
            rows.append(("fast == SPARQL (byte-identical OUT)", f"{n:,}", "yes" if here else "NO", "", ""))
            same = same and here
    for n in [n for n in sizes if n <= 100_000]:
        repeats = 3 if n <= 10_000 else 1
        out = tmp / f"cold-{n}.csv"
        med, code, times = time_command(["compare", "--cohort", str(files[n]), "--cohort-engine", "sparql",
                                          "--out", str(out)], repeats)
        here = code == 0 and out.read_bytes() == (tmp / f"sparql-{n}.csv").read_bytes()
        same = same and here
        rows.append((f"cold `rnetkg compare --cohort FILE --cohort-engine sparql` (median of {repeats})", f"{n:,}",
                     fmt_s(med), rate(n, med),
                     f"a new process: start-up, the graph, the criteria, the queries{target(n, med)}; exit {code}; "
                     f"OUT the same as in process: {'yes' if here else 'NO'}; runs {', '.join(f'{x:.2f}' for x in times)}"))
        log(f"SPARQL path {n:,}, cold: {med:.2f} s")
        out.unlink(missing_ok=True)
    for n in sizes:
        if n != 10_000:
            (tmp / f"sparql-{n}.csv").unlink(missing_ok=True)
    return rows, same


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.cohorts", description=__doc__.split("\n\n")[0].replace("\n", " "))
    ap.add_argument("--sizes", default="1000,10000,100000,1000000",
                    help="cohort sizes for the fast path (comma-separated)")
    ap.add_argument("--quick", action="store_true",
                    help="1k and 10k only, fewer repeats, rdflib on 25 profiles, the other engines on 200")
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--io-sizes", default="100000,1000000",
                    help="cohort sizes for the comparison with a plain scan of the file (comma-separated)")
    ap.add_argument("--io-only", action="store_true", help="only the comparison with a plain scan")
    ap.add_argument("--io-repeats", type=int, default=3, help="alternating pairs per file")
    ap.add_argument("--sparql-only", action="store_true",
                    help="only the SPARQL path on pyoxigraph (1k, 10k, 100k: in process, and as a new process)")
    ap.add_argument("--engines-only", action="store_true",
                    help="only the SPARQL path on pyoxigraph, rdflib, Apache Jena ARQ and Virtuoso (1,000 profiles)")
    args = ap.parse_args(argv)
    io_sizes = [int(s) for s in args.io_sizes.split(",") if s.strip()]
    if args.quick:
        io_sizes = [s for s in io_sizes if s <= 100_000] or [10_000]
    n_rdflib = RDFLIB_BATCH if args.quick else 100
    n_engines = engines.ENGINE_BATCH if args.quick else 1000
    if args.engines_only:
        with scratch() as tmp:
            sample = generate_cohorts([1000], args.seed, tmp, _log)[1000]
            r_time, r_rate, r_note, r_same = _rdflib(sample, 1000, n_rdflib, _log)
            rows, failed = engine_rows(sample, n_engines, tmp, _log)
            rows.insert(1, ("cohort, SPARQL path (rdflib engine)", "1,000", r_time, r_rate, r_note))
            failed = failed or not r_same
        print_table(rows, args.seed)
        return 1 if failed else 0
    if args.sparql_only:
        with scratch() as tmp:
            files = generate_cohorts([1000, 10_000, 100_000], args.seed, tmp, _log)
            rows, same = sparql_rows(files, sorted(files), [], tmp, _log)
        print_table(rows, args.seed)
        return 0 if same else 1
    if args.io_only:
        with scratch() as tmp:
            rows = cohort_io(io_files(io_sizes, args.seed, tmp, _log), tmp, args.io_repeats, _log)
        print_header(args.seed)
        print_cohort_io(rows, args.io_repeats)
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.quick:
        sizes = [s for s in sizes if s <= 10_000] or [1000]
    repeats = 3 if args.quick else 5

    log = _log

    rows: list[tuple[str, str, str, str, str]] = []   # what, N, time, profiles/s, note
    failed = False
    with scratch() as tmp:
        files = generate_cohorts(set(sizes) | {1000, 10_000}, args.seed, tmp, log)
        # what a process pays once: load the graph, read the criteria (the runs below reuse them)
        from rnetkg import graph
        from rnetkg.criteria.load import load_model
        from rnetkg.engine import StoreEngine

        t = time.perf_counter()
        store = graph.load_store()
        t_load = time.perf_counter() - t
        t = time.perf_counter()
        load_model(StoreEngine(store))
        t_model = time.perf_counter() - t
        rows.append(("load the graph into pyoxigraph (once per process)", "", fmt_s(t_load), "", ""))
        rows.append(("read the criteria with SPARQL (once per process)", "", fmt_s(t_model), "",
                     "guidelines, modalities, criteria and recommendation-details queries"))
        for n in sizes:
            t = time.perf_counter()
            s = cohort.run_cohort(files[n], tmp / f"fast-{n}.csv", engine_name="fast")
            dt = time.perf_counter() - t
            note = "read CSV, validate, evaluate, write OUT" + (" (target <= 10 s)" if n == 1_000_000 else "")
            rows.append(("cohort, fast path (numpy)", f"{n:,}", fmt_s(dt), rate(s["written"], dt), note))
            log(f"fast path {n:,}: {dt:.2f} s")
        s_rows, same = sparql_rows(files, sorted(set(sizes) | {1000, 10_000}), sizes, tmp, log)
        rows += s_rows
        n_check = 10_000
        jsonl = tmp / f"check-{n_check}.jsonl"
        write_jsonl(files[n_check], jsonl)
        cohort.run_cohort(jsonl, tmp / "fast-check-jsonl.csv", engine_name="fast")
        same_jsonl = (tmp / "fast-check-jsonl.csv").read_bytes() == (tmp / f"sparql-{n_check}.csv").read_bytes()
        rows.append(("fast, the same profiles as JSON Lines == SPARQL (byte-identical OUT)", f"{n_check:,}",
                     "yes" if same_jsonl else "NO", "", ""))
        if not (same and same_jsonl):
            failed = True
            log("MISMATCH: the fast path's rows differ from the SPARQL path's")
        # rdflib's own SPARQL engine
        r_time, r_rate, r_note, r_same = _rdflib(files[1000], 1000, n_rdflib, log)
        rows.append(("cohort, SPARQL path (rdflib engine)", "1,000", r_time, r_rate, r_note))
        if not r_same:
            failed = True
            log("MISMATCH: rdflib's rows differ from pyoxigraph's")
        # the same sample on pyoxigraph, Apache Jena ARQ and Virtuoso
        e_rows, e_failed = engine_rows(files[1000], n_engines, tmp, log)
        rows += e_rows
        failed = failed or e_failed
        # a cold `rnetkg compare`
        root = paths.checkout_root()
        example = root / "examples" / "profile-15mm-g1.json" if root else None
        if example is not None and example.is_file():
            med, code, times = time_command(["compare", str(example)], repeats)
            rows.append((f"cold `rnetkg compare` (median of {repeats})", "1", fmt_s(med), "",
                         f"target <= 0.5 s; exit {code}; runs {', '.join(f'{x:.2f}' for x in times)}"))
        else:
            rows.append(("cold `rnetkg compare`", "1", "-", "", "examples/profile-15mm-g1.json not found"))
        med, code, _ = time_command(["check"], 1)
        rows.append(("`rnetkg check`", "", fmt_s(med), "", f"exit {code}"))
        io_rows = cohort_io(io_files(io_sizes, args.seed, tmp, log, files), tmp, args.io_repeats, log)

    print_table(rows, args.seed)
    print_cohort_io(io_rows, args.io_repeats)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
