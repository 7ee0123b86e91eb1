"""rnetkg: a knowledge graph of the international guidelines for rectal neuroendocrine tumours."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("rnetkg")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+checkout"
