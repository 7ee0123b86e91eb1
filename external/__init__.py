"""Other SPARQL engines, run on this machine for the conformance tests (tests/) and the benchmark
(bench/), never by the rnetkg package: Apache Jena (ARQ and SHACL, from Debian's jars; jvm.py and
jena.py), the OWL API (jvm.py) and a Virtuoso 7 server on loopback (virtuoso.py). Nothing here is
downloaded: an engine that is not installed is reported as such (`have_jena`, `have_owlapi`,
`have_virtuoso`). The Java runners are in java/ (compiled with javac on first use).

Import it with the checkout's root on sys.path (pytest's `pythonpath`, `python -m bench.*` run from
the root).
"""
