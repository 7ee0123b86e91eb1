"""Other SPARQL engines, run on this machine for the conformance tests and the benchmark: Apache Jena
(ARQ and SHACL, from Debian's jars; jvm.py and jena.py) and a Virtuoso 7 server on loopback
(virtuoso.py). Nothing here is downloaded: an engine that is not installed is reported as such
(`have_jena`, `have_virtuoso`). The Java runners are in java/ (compiled with javac on first use).
"""
