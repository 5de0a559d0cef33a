"""Typed settings: ``conf/base.yaml``, then ``conf/<env>.yaml``, then environment variables.

Every layer is checked as it is read, so an unknown key or a bad value is reported with
the file (or variable) it came from and the dotted field path::

    >>> settings = load_settings("local")            # doctest: +SKIP
    >>> settings.lakehouse.root
    './lakehouse'

Environment overrides use ``CXSPARK__`` plus the field path with ``__`` between levels,
for example ``CXSPARK__SPARK__MASTER=spark://host:7077`` or
``CXSPARK__LAKEHOUSE__ROOT=s3a://bucket/cx``.  Values are parsed as YAML scalars.
Secrets never live in files: the pseudonymisation key is read from the variable named by
``privacy.key_env`` (``CXSPARK_HMAC_KEY`` by default).
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator

from cxspark.core.errors import ConfigError
from cxspark.core.paths import join_uri
from cxspark.core.sections import (
    DriverSettings,
    GenerateSettings,
    IdentitySettings,
    IngestSettings,
    JourneySettings,
    PrivacySettings,
    RedactionSettings,
    _Strict,
)

__all__ = [
    "ENV_PREFIX",
    "Settings",
    "default_conf_dir",
    "load_settings",
]


log = logging.getLogger(__name__)

ENV_PREFIX = "CXSPARK__"


ENV_NAME_VAR = "CXSPARK_ENV"


CONF_DIR_VAR = "CXSPARK_CONF_DIR"


class LakehouseSettings(_Strict):
    root: str = "./lakehouse"
    landing: str | None = Field(default=None, description="Raw landing folder; default <root>/landing.")
    check_writable: bool = True

    @field_validator("root")
    @classmethod
    def _non_empty(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be empty")
        return v

    @property
    def landing_dir(self) -> str:
        return self.landing or join_uri(self.root, "landing")


class SparkSettings(_Strict):
    master: str | None = Field(
        default="local[*]",
        description="Spark master; null leaves it to spark-submit.",
    )
    app_name: str = "cxspark"
    log_level: Literal["ALL", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF"] = "WARN"
    delta_package: str = Field(
        default="auto",
        description=(
            "'auto' = io.delta:delta-spark_<spark major.minor>_2.13:<installed delta-spark>; "
            "'provided' = the cluster already has Delta on its classpath; or a Maven coordinate."
        ),
    )
    ivy_dir: str | None = Field(
        default=".ivy", description="Ivy cache the install step fills; jobs then run offline."
    )
    conf: dict[str, str] = Field(default_factory=dict)

    @field_validator("conf", mode="before")
    @classmethod
    def _stringify(cls, v: Any) -> Any:
        if isinstance(v, Mapping):
            return {str(k): _conf_value(val) for k, val in v.items()}
        return v

    @field_validator("conf")
    @classmethod
    def _utc_only(cls, v: dict[str, str]) -> dict[str, str]:
        tz = v.get("spark.sql.session.timeZone")
        if tz is not None and tz != "UTC":
            raise ValueError("spark.sql.session.timeZone must stay UTC (every stored time is UTC)")
        for key, value in v.items():  # the ones a typo breaks only later, mid-run
            kind = _CHECKED_CONF.get(key)
            if kind == "count" and not (value.isdigit() and int(value) > 0):
                raise ValueError(f"{key} must be a whole number above 0, not '{value}'")
            if kind == "bool" and value not in ("true", "false"):
                raise ValueError(f"{key} must be true or false, not '{value}'")
            if kind == "size" and not _SIZE.fullmatch(value):
                raise ValueError(f"{key} must be a size such as 512m or 4g, not '{value}'")
        return v


_SIZE = re.compile(r"\d+[kmgtp]?b?", re.IGNORECASE)
_CHECKED_CONF = {
    "spark.sql.shuffle.partitions": "count",
    "spark.default.parallelism": "count",
    "spark.executor.cores": "count",
    "spark.executor.instances": "count",
    "spark.sql.adaptive.enabled": "bool",
    "spark.python.worker.reuse": "bool",
    "spark.driver.memory": "size",
    "spark.executor.memory": "size",
    "spark.driver.maxResultSize": "size",
}
"""Spark settings checked at load (Spark checks the rest when the session starts)."""


def _conf_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


class QualitySettings(_Strict):
    """Quality gates (cxspark.quality; docs/quality.md)."""

    enabled: bool = Field(default=True, description="check every gated write against its suite")
    suites: str = Field(default="quality", description="folder of suites, relative to the conf dir")


class PathsSettings(_Strict):
    activities: str = Field(default="activities.yaml", description="relative to the conf dir")


class Settings(_Strict):
    env: str = "local"
    conf_dir: str = "conf"
    lakehouse: LakehouseSettings = LakehouseSettings()
    spark: SparkSettings = SparkSettings()
    generate: GenerateSettings = GenerateSettings()
    ingest: IngestSettings = IngestSettings()
    privacy: PrivacySettings = PrivacySettings()
    identity: IdentitySettings = IdentitySettings()
    redaction: RedactionSettings = RedactionSettings.model_construct()
    journeys: JourneySettings = JourneySettings()
    drivers: DriverSettings = DriverSettings()
    paths: PathsSettings = PathsSettings()
    quality: QualitySettings = QualitySettings()

    def conf_path(self, relative: str) -> Path:
        """A file in the config folder (blueprints, activity vocabulary)."""
        return Path(self.conf_dir) / relative

    def fingerprint(self) -> str:
        """A stable hash of the effective settings, recorded with every run.

        Where things are (the config folder, the lakehouse root and landing folder) is left
        out: it changes no result, so a lakehouse copied or restored elsewhere still knows
        which runs would change nothing.
        """
        payload = self.model_dump(mode="json", exclude={"conf_dir": True, "lakehouse": {"root", "landing"}})
        blob = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def default_conf_dir() -> Path:
    """``$CXSPARK_CONF_DIR`` or ``./conf``."""
    return Path(os.environ.get(CONF_DIR_VAR, "conf"))


def _read_yaml(path: Path, *, required: bool) -> dict[str, Any]:
    if not path.exists():
        if required:
            raise ConfigError(f"config file {path} not found")
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"config file {path}{where}: malformed YAML: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path}: top level must be a mapping, got {type(data).__name__}")
    return data


def _env_overrides(environ: Mapping[str, str]) -> tuple[dict[str, Any], dict[tuple[str, ...], str]]:
    tree: dict[str, Any] = {}
    origin: dict[tuple[str, ...], str] = {}
    for name, raw in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX):
            continue
        path = tuple(p.lower() for p in name[len(ENV_PREFIX) :].split("__") if p)
        if not path:
            continue
        if path[:2] == ("spark", "conf") and len(path) > 2:
            # Spark conf keys contain dots and case: CXSPARK__SPARK__CONF__spark.sql.shuffle.partitions
            path = ("spark", "conf", name[len(ENV_PREFIX) :].split("__", 2)[2])
        try:
            value = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError:
            value = raw
        node = tree
        for key in path[:-1]:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                raise ConfigError(f"environment variable {name}: conflicts with another override")
        node[path[-1]] = value
        origin[path] = f"environment variable {name}"
    return tree, origin


_ENV_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
NOT_SETTINGS = frozenset({ENV_NAME_VAR, CONF_DIR_VAR, "CXSPARK_CODE_VERSION"})
"""``CXSPARK_`` variables that are not settings (besides the pseudonymisation key's, ``privacy.key_env``)."""


def _leaf_paths(tree: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for key, value in tree.items():
        if isinstance(value, Mapping):
            out += _leaf_paths(value, (*prefix, key))
        else:
            out.append((*prefix, key))
    return out


def _warn_unknown_variables(environ: Mapping[str, str], key_env: str) -> None:
    """A ``CXSPARK_`` variable that is no setting (one underscore too few) would be ignored
    silently: say so, with the name it probably meant."""
    key_var = environ.get("CXSPARK__PRIVACY__KEY_ENV", "CXSPARK_HMAC_KEY")
    for name in sorted(environ):
        if (
            name.startswith("CXSPARK_")
            and not name.startswith(ENV_PREFIX)
            and name not in NOT_SETTINGS | {key_var}
        ):
            meant = ENV_PREFIX + name[len("CXSPARK_") :]
            log.warning(
                "environment variable %s is no cxspark setting and is ignored (did you mean %s?)", name, meant
            )


def _merge(
    base: dict[str, Any],
    layer: dict[str, Any],
    origin: dict[tuple[str, ...], str],
    source: str,
    prefix: tuple[str, ...] = (),
) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in layer.items():
        path = (*prefix, str(key))
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value, origin, source, path)
        else:
            out[key] = copy.deepcopy(value)
            _record(origin, path, value, source)
    return out


def _record(origin: dict[tuple[str, ...], str], path: tuple[str, ...], value: Any, source: str) -> None:
    origin[path] = source
    if isinstance(value, dict):
        for k, v in value.items():
            _record(origin, (*path, str(k)), v, source)


def _origin_of(loc: tuple[str, ...], origin: dict[tuple[str, ...], str], message: str = "") -> str:
    # an error about a mapping may be caused by one of its keys: name the layer that set that key
    for path, where in origin.items():
        if len(path) > len(loc) and path[: len(loc)] == loc and f"'{path[-1]}'" in message:
            return where
    for n in range(len(loc), 0, -1):
        if loc[:n] in origin:
            return origin[loc[:n]]
    return "defaults"


def _validation_message(exc: ValidationError, origin: dict[tuple[str, ...], str]) -> str:
    err = exc.errors()[0]
    loc = tuple(str(p) for p in err["loc"])
    field = ".".join(loc)
    where = _origin_of(loc, origin, str(err["msg"]))
    if err["type"] == "extra_forbidden":
        return f"{where}: unknown field '{field}'{_suggestion(loc)}"
    more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    msg = str(err["msg"]).removeprefix("Value error, ")
    return f"{where}: field '{field}': {msg}{more}"


def _suggestion(loc: tuple[str, ...]) -> str:
    import difflib

    model: type[BaseModel] | None = Settings
    for part in loc[:-1]:
        field = model.model_fields.get(part) if model else None
        ann = field.annotation if field else None
        model = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
    if model is None:
        return ""
    close = difflib.get_close_matches(loc[-1], list(model.model_fields), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def load_settings(
    env: str | None = None,
    conf_dir: str | Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Load and validate settings for ``env`` (default ``$CXSPARK_ENV`` or ``local``).

    ``overrides`` is a nested mapping applied last (used by the command line for
    options such as ``--lakehouse``).  Raises :class:`ConfigError` naming the file or
    variable and the field for anything missing, unknown or invalid.
    """
    environ = os.environ if environ is None else environ
    env = env or environ.get(ENV_NAME_VAR) or "local"
    if not _ENV_NAME.fullmatch(env):
        raise ConfigError(
            f"environment '{env}' is not an environment name: give the name of conf/<env>.yaml "
            "(letters, digits, - and _; the folder goes to --conf-dir)"
        )
    conf = Path(conf_dir) if conf_dir is not None else Path(environ.get(CONF_DIR_VAR, "conf"))
    if not conf.is_dir():
        raise ConfigError(f"config folder {conf} not found (set {CONF_DIR_VAR} or pass --conf-dir)")
    origin: dict[tuple[str, ...], str] = {}
    base_file = conf / "base.yaml"
    env_file = conf / f"{env}.yaml"
    merged = _merge({}, _read_yaml(base_file, required=True), origin, f"config file {base_file}")
    if not env_file.exists():
        known = sorted(p.stem for p in conf.glob("*.yaml") if p.stem not in {"base", "activities"})
        raise ConfigError(
            f"config file {env_file} not found: unknown environment '{env}' (known: {', '.join(known)})"
        )
    merged = _merge(merged, _read_yaml(env_file, required=True), origin, f"config file {env_file}")
    env_tree, env_origin = _env_overrides(environ)
    merged = _merge(merged, env_tree, origin, "environment")
    origin.update(env_origin)
    if overrides:
        for path in _leaf_paths(dict(overrides)):
            if path in env_origin:
                log.warning("%s: the command line wins over %s", ".".join(path), env_origin[path])
        merged = _merge(merged, dict(overrides), origin, "command line")
    merged["env"] = env
    merged["conf_dir"] = str(conf)
    try:
        settings = Settings.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(_validation_message(exc, origin)) from None
    _warn_unknown_variables(environ, settings.privacy.key_env)
    return settings
