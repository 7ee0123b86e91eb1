"""rnetkg: a knowledge graph of the international guidelines for rectal neuroendocrine tumours."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    # the version is read from the installed package's metadata when asked for (importlib.metadata
    # costs a command's start-up some 20 ms)
    if name != "__version__":
        raise AttributeError(f"module 'rnetkg' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("rnetkg")
    except PackageNotFoundError:  # running from a checkout that was never installed
        value = "0.0.0+checkout"
    globals()["__version__"] = value
    return value
