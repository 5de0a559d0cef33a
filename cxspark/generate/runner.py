"""The generator's entry point: run every chunk (in parallel) and write the manifest.

Example::

    >>> import tempfile
    >>> from cxspark.generate.settings import GeneratorSettings
    >>> with tempfile.TemporaryDirectory() as d:
    ...     s = generate(d, GeneratorSettings(customers=20, seed=1), workers=1)
    >>> s.customers, s.row_counts["crm"] >= 20
    (20, True)
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from cxspark.core.sources import SOURCES
from cxspark.generate import outcome
from cxspark.generate.chunk import ChunkResult, ChunkTask, run_chunk
from cxspark.generate.phones import REGIONS, phone_capacity
from cxspark.generate.settings import GeneratorSettings
from cxspark.generate.truth import SCHEMAS, TRUTH_DIR
from cxspark.generate.vocabulary import load_generator_vocabulary

__all__ = ["GENERATOR_VERSION", "GenerationSummary", "generate"]

GENERATOR_VERSION = "1.0.0"
MANIFEST = "manifest.json"


@dataclass
class GenerationSummary:
    """What a generation run wrote."""

    landing_dir: str
    customers: int
    chunks: int
    journeys: int
    journey_events: int
    events_total: int
    bad_records: int
    pii_spans: int
    row_counts: dict[str, int] = field(default_factory=dict)
    files: dict[str, list[str]] = field(default_factory=dict)
    elapsed_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready values."""
        return asdict(self)


def generate(
    landing_dir: str | Path,
    settings: GeneratorSettings,
    workers: int | None = None,
    *,
    activities_path: str | Path | None = None,
    overwrite: bool = False,
) -> GenerationSummary:
    """Generate synthetic landing files with ground truth under ``landing_dir``.

    Chunks of ``settings.chunk_size`` customers run in ``workers`` processes (default:
    ``os.cpu_count()``); the output is byte-identical for the same settings whatever
    ``workers`` is.  ``activities_path`` is the activity vocabulary (default
    ``conf/activities.yaml``).  A non-empty ``landing_dir`` is refused unless
    ``overwrite`` is true, in which case only the generator's own outputs are replaced.
    """
    t0 = time.perf_counter()
    if not isinstance(settings, GeneratorSettings):
        raise TypeError(f"settings must be a GeneratorSettings, got {type(settings).__name__}")
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    vocab = load_generator_vocabulary(activities_path)
    _check_capacity(settings)
    root = Path(landing_dir)
    _prepare(root, overwrite)
    tasks = [ChunkTask(str(root), settings, k, vocab) for k in range(settings.chunks)]
    n_workers = min(workers or os.cpu_count() or 1, len(tasks))
    if n_workers == 1:
        results = [run_chunk(t) for t in tasks]
    else:
        # spawn, not fork: the caller may already run a JVM gateway whose threads and
        # sockets must not be copied into the workers
        with ProcessPoolExecutor(
            max_workers=n_workers, mp_context=multiprocessing.get_context("spawn")
        ) as pool:
            results = list(pool.map(run_chunk, tasks))
    summary = _summarise(root, settings, results)
    _write_json(root / TRUTH_DIR / "drivers.json", outcome.drivers_document(_observed(results)))
    _write_json(root / MANIFEST, _manifest(settings, vocab.sha256, summary, results))
    summary.elapsed_seconds = round(time.perf_counter() - t0, 3)
    return summary


def _check_capacity(settings: GeneratorSettings) -> None:
    for region in REGIONS:
        for kind in ("mobile", "landline"):
            cap = phone_capacity(region, kind)
            if settings.customers > cap:
                raise ValueError(
                    f"customers must be at most {cap} (unique {region} {kind} numbers available)"
                )


def _prepare(root: Path, overwrite: bool) -> None:
    if _has_content(root):
        if not overwrite:
            raise FileExistsError(f"{root} is not empty (pass overwrite=True to replace generated data)")
        for name in [*SOURCES, TRUTH_DIR]:
            if (root / name).is_dir():
                shutil.rmtree(root / name)
        (root / MANIFEST).unlink(missing_ok=True)
    root.mkdir(parents=True, exist_ok=True)


def _has_content(root: Path) -> bool:
    """True if ``root`` holds a file or a non-empty folder (hidden names do not count)."""
    if not root.is_dir():
        return False
    for p in root.iterdir():
        if p.name.startswith("."):
            continue
        if p.is_file() or any(p.iterdir()):
            return True
    return False


def _summarise(root: Path, settings: GeneratorSettings, results: list[ChunkResult]) -> GenerationSummary:
    counts = {name: sum(r.row_counts.get(name, 0) for r in results) for name in SOURCES}
    files = {name: [r.files[name] for r in results if name in r.files] for name in SOURCES}
    return GenerationSummary(
        landing_dir=str(root),
        customers=settings.customers,
        chunks=settings.chunks,
        journeys=sum(r.journeys for r in results),
        journey_events=sum(r.journey_events for r in results),
        events_total=sum(counts.values()),
        bad_records=sum(r.bad_records for r in results),
        pii_spans=sum(r.pii_spans for r in results),
        row_counts=counts,
        files=files,
    )


def _observed(results: list[ChunkResult]) -> dict[str, Any]:
    n = sum(r.journeys for r in results)
    return {
        "journeys": n,
        "mean_p_dissatisfied": round(sum(r.p_sum for r in results) / n, 6) if n else None,
        "dissatisfied_rate": round(sum(r.dissatisfied for r in results) / n, 6) if n else None,
        "surveyed_journeys": sum(r.surveyed for r in results),
    }


def _manifest(
    settings: GeneratorSettings, vocab_sha: str, s: GenerationSummary, results: list[ChunkResult]
) -> dict[str, Any]:
    truth = {t: [r.truth_files[t] for r in results if t in r.truth_files] for t in SCHEMAS}
    return {
        "generator": "cxspark.generate",
        "generator_version": GENERATOR_VERSION,
        **settings.to_dict(),
        "chunks": settings.chunks,
        "activities_sha256": vocab_sha,
        "phonenumbers_version": _package_version("phonenumbers"),
        "row_counts": s.row_counts,
        "files": [f for name in SOURCES for f in s.files[name]],
        "files_by_source": s.files,
        "truth": {**truth, "drivers": [f"{TRUTH_DIR}/drivers.json"]},
        "journeys": s.journeys,
        "journey_events": s.journey_events,
        "events_total": s.events_total,
        "bad_records": s.bad_records,
        "pii_spans": s.pii_spans,
    }


def _package_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def _write_json(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, sort_keys=False) + "\n", encoding="utf-8")
