"""Contact-centre teams, their agents and their monthly employee-engagement scores.

A few teams are planted with low engagement (always below 60) and their journeys are a
driver of dissatisfaction.  Engagement is drawn from its own seed-derived stream, so
every chunk can compute it without coordination.

Example::

    >>> t = TEAMS["tech-cardiff"]
    >>> t.department, t.low_engagement
    ('technical_support', True)
    >>> rows = engagement_scores(1, date(2025, 1, 1), 2)
    >>> len(rows) == 2 * len(TEAMS)
    True
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from cxspark.generate.reference import AGENT_FIRST_NAMES
from cxspark.generate.rng import derive_seed
from cxspark.generate.timeutil import iso_date, month_starts

__all__ = [
    "LOW_ENGAGEMENT_THRESHOLD",
    "TEAMS",
    "TEAMS_BY_DEPARTMENT",
    "EngagementRow",
    "Team",
    "agent_name",
    "engagement_lookup",
    "engagement_scores",
]

LOW_ENGAGEMENT_THRESHOLD = 60.0
AGENTS_PER_TEAM = 24


@dataclass(frozen=True)
class Team:
    """A team of agents in one department, with its engagement baseline."""

    name: str
    index: int
    department: str
    queue: str
    base_engagement: float

    @property
    def low_engagement(self) -> bool:
        return self.base_engagement < LOW_ENGAGEMENT_THRESHOLD

    def agent(self, rng: random.Random) -> str:
        """A random agent id of this team, e.g. ``AG0307``."""
        return f"AG{self.index:02d}{int(rng.random() * AGENTS_PER_TEAM):02d}"


_TEAM_SPECS = (
    ("tech-leeds", "technical_support", "TECH", 78.0),
    ("tech-glasgow", "technical_support", "TECH", 72.0),
    ("tech-cardiff", "technical_support", "TECH", 51.0),
    ("tech-belfast", "technical_support", "TECH", 81.0),
    ("billing-london", "billing", "BILLING", 74.0),
    ("billing-manchester", "billing", "BILLING", 53.0),
    ("billing-bristol", "billing", "BILLING", 77.0),
    ("retention-birmingham", "retention", "RETENTION", 79.0),
    ("retention-newcastle", "retention", "RETENTION", 54.0),
    ("onboarding-liverpool", "onboarding", "SALES", 76.0),
    ("onboarding-edinburgh", "onboarding", "SALES", 70.0),
    ("service-sheffield", "customer_service", "GENERAL", 73.0),
    ("service-nottingham", "customer_service", "GENERAL", 68.0),
)

TEAMS: dict[str, Team] = {
    name: Team(name, i + 1, dept, queue, base) for i, (name, dept, queue, base) in enumerate(_TEAM_SPECS)
}

TEAMS_BY_DEPARTMENT: dict[str, tuple[Team, ...]] = {
    dept: tuple(t for t in TEAMS.values() if t.department == dept)
    for dept in dict.fromkeys(t.department for t in TEAMS.values())
}


def agent_name(agent_id: str) -> str:
    """The first name an agent uses with customers (fixed per agent id)."""
    n = int(agent_id[2:])
    return AGENT_FIRST_NAMES[(n * 7 + n // 100) % len(AGENT_FIRST_NAMES)]


@dataclass(frozen=True)
class EngagementRow:
    """One team-month of the engagement survey."""

    record_id: str
    team: str
    month: str
    month_index: int
    score: float
    respondents: int
    headcount: int


def engagement_scores(seed: int, start: date, months: int) -> list[EngagementRow]:
    """Engagement by team and month: low teams stay in [45, 58], the others in [62, 92]."""
    rng = random.Random(derive_seed(seed, "engagement"))
    starts = month_starts(start, months)
    rows = []
    for m in range(months):
        month = iso_date(starts[m])[:8] + "01"
        for team in TEAMS.values():
            score = team.base_engagement + rng.gauss(0.0, 2.5)
            score = min(58.0, max(45.0, score)) if team.low_engagement else min(92.0, max(62.0, score))
            headcount = 18 + int(rng.random() * 40)
            respondents = int(headcount * (0.55 + 0.4 * rng.random()))
            rows.append(
                EngagementRow(
                    f"ENG-{team.name}-{month[:7]}",
                    team.name,
                    month,
                    m,
                    round(score, 1),
                    respondents,
                    headcount,
                )
            )
    return rows


def engagement_lookup(rows: list[EngagementRow]) -> dict[tuple[str, int], float]:
    """(team, month index) -> engagement score."""
    return {(r.team, r.month_index): r.score for r in rows}
