"""The ``generate`` job: synthetic landing files from config and command-line options.

The generator itself is pure Python (``cxspark.generate``); this module maps settings to
it and protects a landing folder that holds other data.  Generating again with the same
parameters into the same folder is a no-op; other parameters need ``--force``, which
replaces the generator's own folders (one per source, and ``_truth``) and its manifest.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from cxspark.core.config import Settings
from cxspark.core.errors import ConfigError, InputError

__all__ = ["noise_settings", "run_generate"]

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"


def _local_dir(uri: str) -> Path:
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(parsed.path)
    if parsed.scheme and len(parsed.scheme) > 1:  # a one-letter scheme is a Windows drive
        raise InputError(
            f"landing folder {uri}: the generator writes local files; generate into a local "
            "folder with --output and copy it to the cluster's storage"
        )
    return Path(uri)


def noise_settings(rates: dict[str, float]) -> Any:
    """The generator's noise rates from ``generate.noise``; an unknown name fails naming it."""
    import dataclasses
    import difflib

    from cxspark.generate.settings import NoiseSettings

    known = [f.name for f in dataclasses.fields(NoiseSettings)]
    for key in rates:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(f"generate.noise.{key}: unknown noise rate '{key}'{hint}")
    return NoiseSettings(**rates)


def run_generate(
    settings: Settings,
    *,
    output: str | None = None,
    customers: int | None = None,
    seed: int | None = None,
    months: int | None = None,
    workers: int | None = None,
    force: bool = False,
    run: Any = None,
) -> dict[str, Any]:
    from cxspark.generate import (
        GENERATOR_VERSION,
        GeneratorSettings,
        generate,
        load_generator_vocabulary,
    )

    g = settings.generate
    try:
        gen = GeneratorSettings(
            customers=customers if customers is not None else g.customers,
            seed=seed if seed is not None else g.seed,
            start_date=g.start_date,
            months=months if months is not None else g.months,
            chunk_size=g.chunk_size,
            noise=noise_settings(g.noise),
        )
    except (TypeError, ValueError) as exc:
        raise InputError(f"generate settings: {exc}") from None
    target = _local_dir(output or settings.lakehouse.landing_dir)
    activities = settings.conf_path(settings.paths.activities)
    wanted = {
        "generator_version": GENERATOR_VERSION,
        "activities_sha256": load_generator_vocabulary(activities).sha256,
        "seed": gen.seed,
        "customers": gen.customers,
        "months": gen.months,
        "start_date": gen.start_date.isoformat(),
        "chunk_size": gen.chunk_size,
    }
    manifest_path = target / MANIFEST
    if manifest_path.exists():
        old = json.loads(manifest_path.read_text())
        same = (
            all(str(old.get(k)) == str(v) for k, v in wanted.items())
            and old.get("noise") == gen.noise.to_dict()
        )
        if same and not force:
            log.warning("landing folder %s already holds this data set; nothing to generate", target)
            _count(run, old)
            return {"landing": str(target), "generated": False, **wanted}
        if not force:
            raise InputError(
                f"landing folder {target} holds data generated with other parameters "
                f"(seed {old.get('seed')}, {old.get('customers')} customers); use --force to replace it"
            )
    try:
        summary = generate(
            target,
            gen,
            workers=workers or g.workers,
            activities_path=activities,
            overwrite=force,
        )
    except FileExistsError:
        raise InputError(
            f"landing folder {target} is not empty and was not written by the generator; use --force "
            "to replace the generator's folders in it"
        ) from None
    except ValueError as exc:
        raise InputError(f"generate: {exc}") from None
    out = {k: v for k, v in summary.to_dict().items() if k != "files"}
    _count(run, out)
    return {"landing": str(target), "generated": True, **out}


def _count(run: Any, manifest: dict[str, Any]) -> None:
    if run is None:
        return
    for source, n in (manifest.get("row_counts") or {}).items():
        run.count(f"rows_{source}", int(n))
