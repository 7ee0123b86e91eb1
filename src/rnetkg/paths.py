"""Where the project's artifacts live: in a checkout, or inside an installed wheel.

In a checkout, ``ontology/``, ``shapes/``, ``kg/`` and ``queries/`` sit at the top of the
repository (two levels above this file's package folder). In a wheel they are shipped as
``rnetkg/data/<name>/``. The seed articles are never shipped: they are looked up in
``$RNETKG_SEEDS``, then ``../shared/seeds`` beside the checkout or the working directory.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_ARTIFACTS = ("ontology", "shapes", "kg", "queries")


@lru_cache(maxsize=None)
def checkout_root() -> Path | None:
    """The repository root when running from a checkout (editable install or src on path)."""
    root = _PACKAGE_DIR.parent.parent
    if all((root / name).is_dir() for name in _ARTIFACTS) and (root / "pyproject.toml").is_file():
        return root
    return None


@lru_cache(maxsize=None)
def artifact_dir(name: str) -> Path:
    """The folder holding one kind of artifact: ontology, shapes, kg or queries."""
    if name not in _ARTIFACTS:
        raise ValueError(f"unknown artifact folder {name!r}; expected one of {', '.join(_ARTIFACTS)}")
    root = checkout_root()
    if root is not None:
        return root / name
    shipped = _PACKAGE_DIR / "data" / name
    if shipped.is_dir():
        return shipped
    raise FileNotFoundError(f"cannot find the {name}/ folder in a checkout or in the installed package")


def ontology_file() -> Path:
    """The domain ontology, ontology/rnet.ttl: the classes, properties and individuals of the rNET
    guidelines, which say nothing about the software (what a loader loads is ``ontology_files()``)."""
    return artifact_dir("ontology") / "rnet.ttl"


def app_module_file() -> Path:
    """The application module, ontology/rnet-app.ttl: the terms and assertions that exist only for the
    software (keys of the JSON answers, the flattened criteria, set bits ...); it imports the domain
    ontology."""
    return artifact_dir("ontology") / "rnet-app.ttl"


def ontology_files() -> list[Path]:
    """Every Turtle file of ontology/: the domain ontology first, then the modules beside it, sorted.
    Whatever loads the TBox loads all of them."""
    domain = ontology_file()
    return [domain, *sorted(p for p in artifact_dir("ontology").glob("*.ttl") if p != domain)]


EXTRA_KG_ENV = "RNETKG_EXTRA_KG"


def extra_kg_files() -> list[Path]:
    """Turtle files loaded beside kg/: $RNETKG_EXTRA_KG names files or folders (every *.ttl in
    them), separated by the path separator (':' on Linux). A guideline added this way appears in
    every answer, cohort column, map and check, like one added to kg/."""
    out: list[Path] = []
    for part in os.environ.get(EXTRA_KG_ENV, "").split(os.pathsep):
        if not part:
            continue
        p = Path(part)
        if p.is_dir():
            out.extend(sorted(p.rglob("*.ttl")))
        elif p.is_file():
            out.append(p)
        else:
            from .errors import UsageError

            raise UsageError(f"${EXTRA_KG_ENV}: {part!r} is neither a Turtle file nor a folder")
    return out


def shipped_kg_files() -> list[Path]:
    """The instance-data Turtle files of kg/, sorted, one per source document."""
    return sorted(artifact_dir("kg").rglob("*.ttl"))


def kg_files() -> list[Path]:
    """Every instance-data Turtle file, sorted, one per source document; then the extra files."""
    return shipped_kg_files() + extra_kg_files()


def shape_files() -> list[Path]:
    return sorted(artifact_dir("shapes").glob("*.ttl"))


def query_dir() -> Path:
    return artifact_dir("queries")


def seeds_dir() -> Path | None:
    """The folder with the seed articles, or None when it cannot be found."""
    candidates = []
    if os.environ.get("RNETKG_SEEDS"):
        candidates.append(Path(os.environ["RNETKG_SEEDS"]))
    root = checkout_root()
    if root is not None:
        candidates.append(root.parent / "shared" / "seeds")
    candidates.append(Path.cwd().parent / "shared" / "seeds")
    candidates.append(Path.cwd() / "shared" / "seeds")
    for c in candidates:
        if c.is_dir():
            return c
    return None
