"""The wheel's data: ontology/, shapes/, kg/ and queries/ stay at the top of the checkout (STYLE.md)
and are copied into the wheel as rnetkg/data/<folder>/ (every *.ttl, *.rq and *.md, subfolders
included); rnetkg.paths finds them in either place. Everything else is in pyproject.toml.

They are copied by build_py rather than mapped as packages with `package-dir`, so that the package's
only source folder is src/: an editable install (`pip install -e .`) is then a plain path entry for
src/, and reads the data from the checkout.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
DATA_FOLDERS = ("ontology", "shapes", "kg", "queries")
DATA_SUFFIXES = (".ttl", ".rq", ".md")


def data_files() -> list[tuple[Path, str]]:
    """(file in the checkout, its path inside the wheel) for every shipped data file."""
    out = []
    for folder in DATA_FOLDERS:
        for f in sorted((ROOT / folder).rglob("*")):
            if f.is_file() and f.suffix in DATA_SUFFIXES:
                out.append((f, "/".join(("rnetkg", "data", folder, *f.relative_to(ROOT / folder).parts))))
    return out


class BuildPyWithData(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:   # an editable install reads the checkout's folders
            return
        for source, target in data_files():
            dest = Path(self.build_lib, target)
            self.mkpath(str(dest.parent))
            self.copy_file(str(source), str(dest))

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        extra = [] if self.editable_mode else [str(Path(self.build_lib, t)) for _, t in data_files()]
        return super().get_outputs(include_bytecode) + extra


setup(cmdclass={"build_py": BuildPyWithData})
