"""The benchmark (`make bench`), outside the rnetkg package: run from the checkout's root with
`python -m bench.cohorts` (cohorts of 1k to 1M profiles on both paths and on the other engines, a
cold `rnetkg compare`, `rnetkg check`, the cohort files against a plain scan), `python -m
bench.server` (the SPARQL endpoint of `rnetkg serve` under bounded load) and `python -m bench.clinic`
(the clinician page and the CDS Hooks service under bounded load). Each prints Markdown tables;
`--help` gives its options. common.py holds the table's cells and `rnetkg` run as a new process;
engines.py the SPARQL path on Apache Jena and Virtuoso (through external/, beside tests/).
"""
