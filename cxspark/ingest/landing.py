"""The landing folder: which files each source delivered, their batch ids, and whether each can be read.

A file's batch id is a hash of its name and the SHA-256 of its content. Before any row is
parsed, each file is checked as a whole (a safe name, not empty, the expected CSV header
or JSON keys): a file that fails is refused with one line naming it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, replace

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from cxspark.core.config import Settings
from cxspark.core.errors import InputError
from cxspark.core.sources import SOURCES, source
from cxspark.lake.io import hadoop_fs

log = logging.getLogger(__name__)

__all__ = ["MAX_FILE_BYTES", "LandingFile", "check_files", "discover", "with_content"]


_SAFE_NAME = re.compile(r"^[A-Za-z0-9._\-+=@ ]+$")


MAX_FILE_BYTES = 2_000_000_000
"""A landing file is read whole to hash it (Spark's binary files hold at most 2 GiB)."""


@dataclass(frozen=True)
class LandingFile:
    source: str
    name: str
    uri: str
    size: int
    modified_ms: int
    sha256: str | None = None
    """Of the file's bytes (:func:`with_content`); the batch id is made from it."""
    ends_with_newline: bool = True
    """False when the last line has no line break: the file may have been cut short."""

    @property
    def rel(self) -> str:
        """``<source>/<file name>``: how bronze and the manifest name the file."""
        return f"{self.source}/{self.name}"

    @property
    def batch_id(self) -> str:
        """The delivery: the file's name and content (a corrected file with the size and
        modification time of the old one is a new batch)."""
        if self.sha256 is None:
            raise ValueError(f"landing file {self.rel}: batch id asked before its content was hashed")
        return hashlib.sha256(f"{self.rel}|{self.sha256}".encode()).hexdigest()[:16]


def with_content(spark: SparkSession, files: list[LandingFile]) -> list[LandingFile]:
    """The files with the SHA-256 of their bytes and whether they end with a line break.

    One Spark job reads the files as binary (in the JVM, in parallel) and keeps two
    values per file, so nothing of their content reaches the driver.
    """
    if not files:
        return []
    big = [f for f in files if f.size > MAX_FILE_BYTES]
    if big:
        raise InputError(
            f"landing file {big[0].rel}: {big[0].size:,} bytes is over the {MAX_FILE_BYTES:,} a delivery "
            "may have; split the export into smaller files"
        )
    # an empty file has the empty content's hash (Spark's binary reader leaves it out)
    found = {_normal_uri(f.uri): (hashlib.sha256(b"").hexdigest(), True) for f in files if f.size == 0}
    readable = [f.uri for f in files if f.size > 0]
    if readable:
        rows = (
            spark.read.format("binaryFile")
            .load(readable)
            .select(
                "path",
                F.sha2("content", 256).alias("sha256"),
                (F.substring("content", -1, 1) == F.unhex(F.lit("0A"))).alias("newline"),
            )
            .collect()
        )
        found |= {_normal_uri(r["path"]): (r["sha256"], bool(r["newline"])) for r in rows}
    out = []
    for f in files:
        sha, newline = found.get(_normal_uri(f.uri), (None, True))
        if sha is None:
            raise InputError(f"landing file {f.rel}: could not be read to identify its content")
        out.append(replace(f, sha256=sha, ends_with_newline=newline))
    return out


def _normal_uri(uri: str) -> str:
    """``file:/x`` and ``file:///x`` are the same file."""
    return uri.replace("file:///", "file:/")


def discover(
    spark: SparkSession, settings: Settings, sources: list[str] | None = None
) -> tuple[list[LandingFile], list[str]]:
    """Files under ``<landing>/<source>/`` for each source, and unknown folders seen there.

    Only the top level of each source folder is read; names starting with ``_`` or ``.``
    are ignored (``_truth``, ``_SUCCESS``, hidden files).
    """
    wanted = [source(s).name for s in sources] if sources else sorted(SOURCES)
    landing = settings.lakehouse.landing_dir
    fs, root = hadoop_fs(spark, landing)
    if not fs.exists(root):
        raise InputError(f"landing folder {landing} not found; run 'cxspark generate' or deliver files there")
    unknown = [
        st.getPath().getName()
        for st in fs.listStatus(root)
        if st.isDirectory()
        and st.getPath().getName() not in SOURCES
        and not st.getPath().getName().startswith(("_", "."))
    ]
    files: list[LandingFile] = []
    for name in wanted:
        src = SOURCES[name]
        _, folder = hadoop_fs(spark, f"{landing.rstrip('/')}/{name}")
        if not fs.exists(folder):
            log.warning("source %s: no folder %s in the landing area", name, folder.toString())
            continue
        for st in fs.listStatus(folder):
            fname = st.getPath().getName()
            if st.isDirectory() or fname.startswith(("_", ".")):
                continue
            if not _SAFE_NAME.match(fname):
                raise InputError(
                    f"landing file {name}/{fname}: unsupported character in the file name "
                    "(allowed: letters, digits, space and . _ - + = @)"
                )
            if not fname.endswith(src.file_extension):
                raise InputError(
                    f"landing file {name}/{fname}: unexpected extension for source {name} "
                    f"(expected {src.file_extension})"
                )
            files.append(
                LandingFile(name, fname, st.getPath().toString(), st.getLen(), st.getModificationTime())
            )
    return sorted(files, key=lambda f: f.rel), sorted(unknown)


def _head(spark: SparkSession, uri: str, n: int = 1) -> list[str]:
    """The first ``n`` lines of a file on any Hadoop file system (BOM and CR stripped)."""
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    fs, path = hadoop_fs(spark, uri)
    stream = fs.open(path)
    lines: list[str] = []
    try:
        reader = jvm.java.io.BufferedReader(jvm.java.io.InputStreamReader(stream, "UTF-8"))
        while len(lines) < n:
            line = reader.readLine()
            if line is None:
                break
            lines.append(line.lstrip("\ufeff").rstrip("\r"))
    finally:
        stream.close()
    return lines


def _first_object_keys(spark: SparkSession, uri: str) -> list[str] | None:
    """Keys of the first JSON object among a file's first lines; None if none parses."""
    for line in _head(spark, uri, 20):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            return list(value)
    return None


def check_files(spark: SparkSession, settings: Settings, files: list[LandingFile]) -> list[LandingFile]:
    """Fail, naming the file, on an empty file or a CSV header that is not the contract's."""
    usable: list[LandingFile] = []
    for f in files:
        src = SOURCES[f.source]
        if f.size == 0:
            if settings.ingest.empty_files == "skip":
                log.warning("landing file %s is empty (0 bytes); skipped", f.rel)
                continue
            raise InputError(
                f"landing file {f.rel} is empty (0 bytes); a {src.name} export always has content"
            )
        if src.format == "jsonl":
            keys = _first_object_keys(spark, f.uri)
            missing = [c for c in src.columns if keys is not None and c not in keys]
            if missing:
                lacking = ", ".join(missing)
                raise InputError(f"landing file {f.rel}: records lack {src.name} contract keys: {lacking}")
            extra = [k for k in keys or [] if k not in src.columns]
            if extra:
                log.warning(
                    "landing file %s: keys not in the contract are ignored: %s", f.rel, ", ".join(extra)
                )
        if src.format == "csv":
            header = [h.strip().strip('"') for h in (_head(spark, f.uri) or [""])[0].split(",")]
            if header != src.columns:
                missing = [c for c in src.columns if c not in header]
                extra = [c for c in header if c not in src.columns]
                what = []
                if missing:
                    what.append(f"missing columns {', '.join(missing)}")
                if extra:
                    what.append(f"unexpected columns {', '.join(extra)}")
                if not what:
                    what.append("columns out of order")
                raise InputError(
                    f"landing file {f.rel}: header does not match the {src.name} contract: {'; '.join(what)}"
                )
        usable.append(f)
    return usable
