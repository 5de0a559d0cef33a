"""The planted dissatisfaction model: journey features, a true logit, survey answers.

Each journey's probability of dissatisfaction is ``sigmoid(INTERCEPT + sum(coef * x))``
over the features in :data:`DRIVERS`; a Bernoulli draw decides whether the customer is
dissatisfied, and survey answers (CSAT, NPS, CES, verbatim sentiment) follow from it.

Example::

    >>> p = probability({d.name: 0.0 for d in DRIVERS})
    >>> round(p, 4) == round(base_rate(), 4)
    True
    >>> probability({**{d.name: 0.0 for d in DRIVERS}, "premium_segment": 1.0}) < p
    True
"""

from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["DRIVERS", "INTERCEPT", "Driver", "base_rate", "drivers_document", "probability", "survey_answers"]


@dataclass(frozen=True)
class Driver:
    """One planted driver: a journey feature and its true logit coefficient."""

    name: str
    description: str
    feature: str
    coefficient: float


INTERCEPT = -2.3

DRIVERS: tuple[Driver, ...] = (
    Driver(
        "missing_confirmation",
        "The journey never reached its blueprint's confirmation/resolution step.",
        "1 if no event of the blueprint's key activity (onboarding: welcome_call, technical_support: "
        "resolution_confirmed, billing_dispute: adjustment_issued, cancellation: cancellation_confirmed) "
        "is in the journey (skipped or abandoned before it), else 0",
        1.3,
    ),
    Driver(
        "rework_events",
        "Rework: steps repeated in loops.",
        "number of journey events whose activity already occurred earlier in the same journey, "
        "not counting status_chased (repeat contacts)",
        0.30,
    ),
    Driver(
        "wrong_order",
        "Steps done out of the designed order.",
        "number of planted adjacent swaps of blueprint steps still present in the journey",
        0.50,
    ),
    Driver(
        "channel_switches",
        "The customer had to move between channels.",
        "number of changes of channel (call/chat/web) between consecutive customer-initiated contact events",
        0.45,
    ),
    Driver(
        "repeat_contacts",
        "The customer had to chase progress.",
        "number of status_chased events in the journey",
        0.60,
    ),
    Driver(
        "resolution_days",
        "Time from the first to the last event of the journey.",
        "(end_utc - start_utc) in days",
        0.06,
    ),
    Driver(
        "low_engagement_team",
        "The journey was handled by a team with low employee engagement.",
        "1 if the journey's team scored below 60 in the engagement survey of the month the journey started",
        0.90,
    ),
    Driver(
        "abandoned",
        "The journey stopped before its last blueprint step.",
        "1 if the journey is not completed, else 0",
        1.00,
    ),
    Driver(
        "premium_segment",
        "Premium customers are more forgiving (protective).",
        "1 if the customer's CRM segment is premium, else 0",
        -0.80,
    ),
)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def probability(features: dict[str, float]) -> float:
    """True probability of dissatisfaction given a journey's features."""
    z = INTERCEPT
    for d in DRIVERS:
        z += d.coefficient * features[d.name]
    return _sigmoid(z)


def base_rate() -> float:
    """Probability of dissatisfaction of a journey with every feature at zero."""
    return _sigmoid(INTERCEPT)


def survey_answers(rng: random.Random, dissatisfied: bool) -> tuple[int, int, int, str]:
    """CSAT (1-5), NPS (0-10), CES (1-7) and verbatim sentiment consistent with the outcome."""
    r = rng.random()
    if dissatisfied:
        csat = 1 if r < 0.45 else (2 if r < 0.9 else 3)
        nps = int(rng.random() * 7) if rng.random() < 0.85 else 7 + int(rng.random() * 2)
        ces = 5 + int(rng.random() * 3) if rng.random() < 0.8 else 4
        sentiment = "negative" if rng.random() < 0.85 else "neutral"
    else:
        csat = 5 if r < 0.5 else (4 if r < 0.9 else 3)
        r2 = rng.random()
        nps = (
            9 + int(rng.random() * 2)
            if r2 < 0.5
            else (7 + int(rng.random() * 2) if r2 < 0.85 else 5 + int(rng.random() * 2))
        )
        ces = 1 + int(rng.random() * 3) if rng.random() < 0.8 else 4
        sentiment = "positive" if rng.random() < 0.7 else "neutral"
    return csat, nps, ces, sentiment


def drivers_document(observed: dict[str, Any]) -> dict[str, Any]:
    """The content of ``_truth/drivers.json``: model, coefficients, base and observed rates."""
    return {
        "model": "logistic",
        "outcome": "dissatisfied (journeys.dissatisfied), drawn as Bernoulli(p_dissatisfied)",
        "intercept": INTERCEPT,
        "base_rate": round(base_rate(), 6),
        "drivers": [
            {
                **asdict(d),
                "sign": "+" if d.coefficient > 0 else "-",
                "odds_ratio": round(math.exp(d.coefficient), 4),
            }
            for d in DRIVERS
        ],
        "survey_mapping": {
            "dissatisfied": "CSAT 1-2 (90%) else 3; NPS 0-6 (85%) else 7-8; CES 5-7 (80%) else 4; "
            "verbatim negative 85%",
            "satisfied": "CSAT 4-5 (90%) else 3; NPS 9-10 (50%), 7-8 (35%), 5-6 (15%); CES 1-3 (80%) else 4; "
            "verbatim positive 70%",
        },
        "observed": observed,
    }
