# rnetkg: every target sets up the virtual environment it needs; CI calls only make targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PROFILE ?= examples/profile-15mm-g1.json

.DEFAULT_GOAL := help
.PHONY: help setup test run check bench serve map docs docs-page release clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip "setuptools>=77" wheel
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

setup: $(STAMP) ## create .venv and install rnetkg with its test extra

test: $(STAMP) ## run the whole test suite
	$(BIN)/python -m pytest -q

run: $(STAMP) ## compare the example 1-2 cm profile across all eight guidelines
	$(BIN)/rnetkg compare $(PROFILE)

check: $(STAMP) ## SHACL, OWL reasoning and QC checks over ontology + kg
	$(BIN)/rnetkg check

bench: $(STAMP) ## benchmark: cohorts of 1k to 1M profiles (SPARQL path also on Jena and Virtuoso), cold compare, check; rnetkg serve (queries, page, CDS Hooks) under bounded load
	$(BIN)/python -m bench.cohorts
	$(BIN)/python -m bench.server
	$(BIN)/python -m bench.clinic

serve: $(STAMP) ## serve the clinician page, the CDS Hooks service and the graph read-only (SPARQL endpoint and UI)
	$(BIN)/rnetkg serve

map: $(STAMP) ## draw the disagreement map to out/disagreement-map.png
	$(BIN)/rnetkg map --out out/disagreement-map.png --data out/disagreement-map.csv

docs: $(STAMP) ## ontology reference docs/ontology.html, its module's docs/ontology-app.html (pyLODE), the generated lists of docs/data-model.md, README's compare sessions
	$(BIN)/python -m rnetkg.cli.release docs --out docs/ontology.html --data-model docs/data-model.md
	RNETKG_UPDATE_DOCS=1 $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_docs_commands.py -k "compare_sessions"

docs-page: $(STAMP) ## docs/clinician-page.png: the page in headless chromium, with the summary it states (tests/test_page_ward.py checks it)
	RNETKG_UPDATE_DOCS=1 $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_page_ward.py -k "docs_screenshot"

release: $(STAMP) ## ontology and its module as RDF/XML, whole graph as Turtle and JSON-LD, in out/release/
	$(BIN)/python -m rnetkg.cli.release release --out out/release

clean: ## remove the virtual environment and generated output
	rm -rf $(VENV) out build dist src/*.egg-info
