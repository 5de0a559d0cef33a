"""The one place a Spark session is configured.

Library code never creates a session; entry points (the command line, ``jobs/*.py``,
tests, notebooks) call :func:`spark_builder` and decide when to ``getOrCreate()``::

    >>> from cxspark.core.config import load_settings          # doctest: +SKIP
    >>> spark = start_session(load_settings("local"))      # doctest: +SKIP

Under ``spark-submit`` the master and any ``--conf`` given there win: the builder only
fills what is not set already.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import sys
from pathlib import Path

from pyspark.sql import SparkSession

from cxspark.core.config import Settings
from cxspark.core.errors import ConfigError

__all__ = [
    "SESSION_DEFAULTS",
    "cached_jars",
    "delta_coordinate",
    "installation_root",
    "ivy_path",
    "spark_builder",
    "start_session",
    "under_spark_submit",
]

# Always on: Delta, UTC everywhere, no surprises from the local time zone of a machine.
SESSION_DEFAULTS: dict[str, str] = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
    "spark.sql.session.timeZone": "UTC",
    "spark.databricks.delta.schema.autoMerge.enabled": "false",
}


def delta_coordinate() -> str:
    """Maven coordinate of the Delta jar matching the installed pyspark and delta-spark."""
    import pyspark

    spark_mm = ".".join(pyspark.__version__.split(".")[:2])
    delta_version = importlib.metadata.version("delta-spark")
    return f"io.delta:delta-spark_{spark_mm}_2.13:{delta_version}"


_VERSIONED_JAR = re.compile(r"^(?P<artifact>.+?)-\d[\w.\-]*\.jar$")


def _artifact(jar_name: str) -> str:
    m = _VERSIONED_JAR.match(jar_name)
    return m.group("artifact") if m else jar_name


def cached_jars(ivy_dir: str, coordinate: str) -> list[str]:
    """Jars of ``coordinate`` and its dependencies in the Ivy cache, minus what Spark ships.

    The install step resolves the coordinate once into ``<ivy_dir>/jars`` (named
    ``<org>_<artifact>-<version>.jar``).  Adding those jars by path needs no network and
    no resolution at start-up; a library Spark already ships is not added twice.  Returns
    an empty list when the coordinate's own jar is not cached.
    """
    import pyspark

    folder = Path(ivy_dir) / "jars"
    org, artifact, version = coordinate.split(":")
    if not (folder / f"{org}_{artifact}-{version}.jar").is_file():
        return []
    shipped = {_artifact(p.name) for p in (Path(pyspark.__file__).parent / "jars").glob("*.jar")}
    keep = []
    for jar in sorted(folder.glob("*.jar")):
        name = jar.name.split("_", 1)[1] if "_" in jar.name else jar.name
        if _artifact(name) not in shipped:
            keep.append(str(jar.resolve()))
    return keep


def installation_root() -> Path:
    """The folder the ``cxspark`` package is installed in: the checkout, for the editable
    install ``scripts/setup.sh`` makes (where it caches Delta's jars in ``.ivy``)."""
    return Path(__file__).resolve().parents[2]


def ivy_path(ivy_dir: str) -> Path:
    """``spark.ivy_dir`` as a path: a relative one is taken from the installation, not from
    the folder a job happens to be started in (which would fetch the jars again)."""
    path = Path(ivy_dir).expanduser()
    return path if path.is_absolute() else installation_root() / path


def under_spark_submit() -> bool:
    """True when this Python process was started by ``spark-submit``.

    spark-submit starts the JVM first and hands the Python process its gateway port; the
    master, jars and confs given to spark-submit then stay as they are.
    """
    return "PYSPARK_GATEWAY_PORT" in os.environ


def spark_builder(settings: Settings) -> SparkSession.Builder:
    """A builder with Delta, the master and every Spark conf from ``settings``."""
    s = settings.spark
    builder = SparkSession.builder.appName(s.app_name)
    submitted = under_spark_submit()
    if s.master and not submitted:
        builder = builder.master(s.master)
    for key, value in SESSION_DEFAULTS.items():
        builder = builder.config(key, value)
    if s.delta_package != "provided" and not submitted:
        coordinate = delta_coordinate() if s.delta_package == "auto" else s.delta_package
        cached = cached_jars(str(ivy_path(s.ivy_dir)), coordinate) if s.ivy_dir else []
        if cached:
            builder = builder.config("spark.jars", ",".join(cached))
        else:
            builder = builder.config("spark.jars.packages", coordinate)
            if s.ivy_dir:
                builder = builder.config("spark.jars.ivy", str(ivy_path(s.ivy_dir)))
    if not submitted:
        # Python workers (pandas UDFs) must run this interpreter with its packages, not the
        # `python3` on PATH; PySpark takes the workers' interpreter from this variable
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    log_config = Path(settings.conf_dir) / "log4j2.properties"
    if log_config.is_file() and not submitted and "spark.driver.extraJavaOptions" not in s.conf:
        builder = builder.config(
            "spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={log_config.resolve().as_uri()}"
        )
    for key, value in s.conf.items():
        builder = builder.config(key, value)
    return builder


def start_session(settings: Settings) -> SparkSession:
    """Entry points only: get or create the session and quieten its logs."""
    import warnings

    # pyspark 4.2 warns that pandas 3 is not fully supported; cxspark's pandas use is tested
    warnings.filterwarnings(
        "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
    )
    try:
        spark = spark_builder(settings).getOrCreate()
    except Exception as exc:  # the JVM did not start: say why in one line
        raise ConfigError(f"Spark could not start: {_first_line(exc)}{_jars_hint(settings)}") from exc
    spark.sparkContext.setLogLevel(settings.spark.log_level)
    # Spark checks a SQL setting only when a query reads it: check them all now, so a typo
    # is one line naming the setting before any job starts, not a traceback mid-run
    for key, value in settings.spark.conf.items():
        if key.startswith("spark.sql."):
            try:
                spark.conf.set(key, value)
            except Exception as exc:
                raise ConfigError(f"spark.conf.{key}: {_first_line(exc)}") from None
    return spark


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return " ".join(text.splitlines()[0].split()) if text else type(exc).__name__


def _jars_hint(settings: Settings) -> str:
    s = settings.spark
    if s.delta_package == "provided" or not s.ivy_dir:
        return ""
    coordinate = delta_coordinate() if s.delta_package == "auto" else s.delta_package
    if cached_jars(str(ivy_path(s.ivy_dir)), coordinate):
        return ""
    return (
        f" (Delta's jars are not in {ivy_path(s.ivy_dir)}/jars and could not be fetched:"
        " run scripts/setup.sh once with network)"
    )


def _fetch_jars() -> None:
    """Resolve Delta's jars into the configured Ivy cache (the install step calls this)."""
    from cxspark.core.config import load_settings

    settings = load_settings()
    spark = start_session(settings)
    spark.range(1).count()
    spark.stop()
    print(f"Delta jars for {delta_coordinate()} cached in {ivy_path(settings.spark.ivy_dir or '.ivy')}")


if __name__ == "__main__":  # pragma: no cover
    import sys

    if sys.argv[1:] == ["--fetch-jars"]:
        _fetch_jars()
    else:
        sys.exit("usage: python -m cxspark.core.session --fetch-jars")
