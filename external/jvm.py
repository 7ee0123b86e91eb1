"""Java engines from Debian's jars in /usr/share/java: the classpaths of Apache Jena (libapache-jena-java)
and of the OWL API (libowlapi-java), and the small runners of java/, compiled with javac into a
working folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

JAVA_DIR = Path("/usr/share/java")
JAVA_SOURCES = Path(__file__).resolve().parent / "java"

JENA_JARS = ["jena-arq", "jena-base", "jena-core", "jena-iri", "jena-shacl", "jena-shex", "jena-cmds",
             "jena-rdfconnection", "jena-dboe-base", "jena-dboe-index", "jena-dboe-storage",
             "jena-dboe-trans-data", "jena-dboe-transaction", "jena-tdb", "jena-tdb2",
             "commons-cli", "commons-codec", "commons-compress", "commons-csv", "commons-io", "commons-lang3",
             "dexx.collection", "gson", "guava", "httpclient", "httpcore", "jackson-core", "jackson-databind",
             "jackson-annotations", "jsonld-java", "jakarta.json-api", "protobuf", "thrift", "titanium-json-ld",
             "slf4j-api", "slf4j-nop"]
OWLAPI_JARS = ["owlapi-distribution", "owlapi-api", "owlapi-apibinding", "owlapi-impl", "owlapi-parsers",
               "owlapi-rio", "owlapi-tools", "owlapi-oboformat", "owlapi-compatibility", "atinject-jsr330-api",
               "caffeine", "commons-codec", "commons-io", "commons-logging", "commons-rdf-api", "guava", "hppcrt",
               "httpclient", "httpcore", "jackson-annotations", "jackson-core", "jackson-databind", "jsr305",
               "rdf4j-model", "rdf4j-model-api", "rdf4j-model-vocabulary", "rdf4j-rio-api", "rdf4j-rio-turtle",
               "rdf4j-rio-datatypes", "rdf4j-rio-languages", "rdf4j-util", "rdf4j-rio-ntriples",
               "rdf4j-rio-rdfxml", "rdf4j-rio-trig", "rdf4j-rio-nquads", "slf4j-api", "slf4j-nop", "xz"]


def _jars(names: list[str]) -> list[Path] | None:
    jars = [JAVA_DIR / f"{n}.jar" for n in names]
    have_jdk = shutil.which("javac") is not None and shutil.which("java") is not None
    return jars if have_jdk and all(j.is_file() for j in jars) else None


def have_jena() -> bool:
    return _jars(JENA_JARS) is not None


def have_owlapi() -> bool:
    return _jars(OWLAPI_JARS) is not None


def jena_classpath(workdir: Path) -> str:
    """Debian's Jena jars plus one folder that repairs jena-core 4.5.0.

    Debian's jena-core moves the Xerces classes Jena shades (org.apache.jena.ext.xerces) to the
    package `xerces` but leaves their message files at the old place, so the first XSD datatype
    fails with "internal error" at start-up. The folder holds the same files under xerces/."""
    jars = _jars(JENA_JARS)
    if jars is None:
        raise FileNotFoundError(f"Apache Jena's jars (Debian libapache-jena-java) or javac are missing in {JAVA_DIR}")
    fix = Path(workdir) / "jena-xerces-messages"
    old = "org/apache/jena/ext/xerces/"
    with zipfile.ZipFile(JAVA_DIR / "jena-core.jar") as jar:
        for name in jar.namelist():
            if name.startswith(old) and name.endswith(".properties"):
                target = fix / "xerces" / name[len(old):]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(jar.read(name))
    return os.pathsep.join([str(fix), *map(str, jars)])


def owlapi_classpath() -> str:
    jars = _jars(OWLAPI_JARS)
    if jars is None:
        raise FileNotFoundError(f"the OWL API's jars (Debian libowlapi-java) or javac are missing in {JAVA_DIR}")
    return os.pathsep.join(map(str, jars))


def compile_java(name: str, classpath: str, workdir: Path) -> str:
    """Compile java/<name>.java into a folder of workdir; the classpath to run it."""
    out = Path(workdir) / f"{name}-classes"
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["javac", "-nowarn", "-d", str(out), "-cp", classpath, str(JAVA_SOURCES / f"{name}.java")],
                   check=True, capture_output=True, text=True)
    return os.pathsep.join([str(out), classpath])


def run_jena(classpath: str, script: list[str], workdir: Path, timeout: float = 600) -> None:
    """Run a script of java/JenaRunner.java's commands (one JVM for the whole script)."""
    path = Path(workdir) / "jena-script.txt"
    path.write_text("\n".join(script) + "\n", encoding="utf-8")
    subprocess.run(["java", "-Xss8m", "-cp", classpath, "JenaRunner", str(path)], check=True, timeout=timeout,
                   capture_output=True, text=True)
