"""rnetkg: a knowledge graph of the international guidelines for rectal neuroendocrine tumours."""

# the one place of the version: pyproject.toml reads it from here (tool.setuptools.dynamic), the
# ontology's owl:versionInfo must equal it (rnetkg release), and every answer's provenance names it
__version__ = "0.1.0"
