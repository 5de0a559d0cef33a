"""Journey simulation: which journeys a person has, their events, deviations and outcome.

A journey instantiates a blueprint, then deviations are planted in this order: skipped
step, loop (rework), inserted step, repeat contacts, wrong order (adjacent swap),
abandonment; then channels (with planted channel switches), timing (business hours for
staffed channels, slower for low-engagement teams), the team and the outcome.

Example::

    >>> import random
    >>> from datetime import date
    >>> from cxspark.generate.settings import NoiseSettings
    >>> from cxspark.generate.timeutil import month_starts
    >>> from cxspark.generate.teams import engagement_lookup, engagement_scores
    >>> starts = month_starts(date(2025, 1, 1), 6)
    >>> planner = JourneyPlanner(random.Random(1), NoiseSettings(), starts,
    ...                          engagement_lookup(engagement_scores(1, date(2025, 1, 1), 6)))
    >>> j = planner.build("technical_support", starts[1], premium=False, journey_id="J1", case_ref="C1")
    >>> j.events[0].activity
    'issue_reported'
"""

from __future__ import annotations

import bisect
import random

from cxspark.generate import outcome
from cxspark.generate.blueprints import (
    BLUEPRINTS,
    CONTACT_CHANNELS,
    EXTRA_STEPS,
    REPEAT_CONTACT,
    Blueprint,
    Step,
)
from cxspark.generate.identity import Person
from cxspark.generate.rng import geometric, log_uniform, pick, poisson, weighted
from cxspark.generate.settings import NoiseSettings
from cxspark.generate.teams import LOW_ENGAGEMENT_THRESHOLD, TEAMS_BY_DEPARTMENT
from cxspark.generate.timeutil import DAY, HOUR, business_time

__all__ = ["JOURNEY_RATES", "Deviation", "Event", "Journey", "JourneyPlanner"]

JOURNEY_RATES = {"technical_support": 0.08, "billing_dispute": 0.035, "cancellation": 0.008}
"""Expected journeys per customer per month (onboarding: every customer who signs up)."""

_STAFFED = ("call", "chat", "ticket")
_LOW_TEAM_SLOWDOWN = 1.6


class Event:
    """One event of a journey (before it is rendered into a source record)."""

    __slots__ = ("activity", "channel", "department", "initiator", "step", "team", "ts")

    def __init__(self, step: Step) -> None:
        self.step = step
        self.activity = step.activity
        self.department = step.department
        self.initiator = step.initiator
        self.channel = ""
        self.ts = 0
        self.team = ""


class Deviation:
    """A planted deviation; its position is the index of ``ref`` in the final journey."""

    __slots__ = ("activity", "kind", "ref")

    def __init__(self, kind: str, activity: str, ref: Event | None) -> None:
        self.kind = kind
        self.activity = activity
        self.ref = ref


class Journey:
    """A simulated journey with its ground truth."""

    __slots__ = (
        "blueprint",
        "case_ref",
        "completed",
        "deviations",
        "dissatisfied",
        "events",
        "features",
        "invitation_id",
        "journey_id",
        "loop_repeats",
        "p_dissatisfied",
        "person",
        "response_id",
        "survey_ts",
        "surveyed",
        "team",
        "team_engagement",
    )  # fmt: skip

    def __init__(self, journey_id: str, blueprint: str, case_ref: str) -> None:
        self.journey_id = journey_id
        self.person: Person | None = None
        self.blueprint = blueprint
        self.case_ref = case_ref
        self.events: list[Event] = []
        self.deviations: list[tuple[str, str, int]] = []
        self.completed = True
        self.team = ""
        self.team_engagement = 0.0
        self.loop_repeats = 0
        self.features: dict[str, float] = {}
        self.p_dissatisfied = 0.0
        self.dissatisfied = False
        self.surveyed = False
        self.survey_ts = 0
        self.invitation_id: str | None = None
        self.response_id: str | None = None

    @property
    def start(self) -> int:
        return self.events[0].ts

    @property
    def end(self) -> int:
        return self.events[-1].ts


class JourneyPlanner:
    """Plans the journeys of persons within the window, using one chunk's generator."""

    def __init__(
        self,
        rng: random.Random,
        noise: NoiseSettings,
        month_starts: list[int],
        engagement: dict[tuple[str, int], float],
    ) -> None:
        self.rng = rng
        self.noise = noise
        self.month_starts = month_starts
        self.engagement = engagement
        self.window = (month_starts[0], month_starts[-1])

    def month_index(self, ts: int) -> int:
        """Index of the window month containing ``ts`` (clamped to the window)."""
        i = bisect.bisect_right(self.month_starts, ts) - 1
        return min(max(i, 0), len(self.month_starts) - 2)

    def journey_starts(self, person: Person) -> list[tuple[int, str]]:
        """(start, blueprint) of each journey of a person, in time order."""
        rng = self.rng
        start, end = self.window
        months = len(self.month_starts) - 1
        out: list[tuple[int, str]] = []
        if person.is_new:
            out.append((person.created_ts, "onboarding"))
        lo = max(start, person.created_ts + 3 * DAY)
        hi = end - 5 * DAY
        if hi > lo:
            for name, rate in JOURNEY_RATES.items():
                for _ in range(poisson(rng, rate * months)):
                    out.append((lo + int(rng.random() * (hi - lo)), name))
        out.sort()
        return out

    def build(self, blueprint: str, start: int, premium: bool, journey_id: str, case_ref: str) -> Journey:
        """Instantiate one journey of ``blueprint`` starting at ``start``."""
        bp = BLUEPRINTS[blueprint]
        rng = self.rng
        j = Journey(journey_id, blueprint, case_ref)
        seq = [Event(s) for s in bp.steps]
        devs: list[Deviation] = []
        self._skip(seq, devs, bp.key_activity)
        j.loop_repeats = self._loop(seq, devs, bp)
        self._insert(seq, devs, bp.extras)
        self._repeat_contacts(seq, devs)
        self._swap(seq, devs)
        seq, j.completed = self._abandon(seq, devs)
        self._channels(seq, devs)
        team = pick(rng, TEAMS_BY_DEPARTMENT[bp.department])
        j.team = team.name
        j.team_engagement = self.engagement[(team.name, self.month_index(start))]
        low = j.team_engagement < LOW_ENGAGEMENT_THRESHOLD
        self._times(seq, start, low)
        self._teams(seq, bp.department, team.name)
        j.events = seq
        pos = {id(e): i for i, e in enumerate(seq)}
        j.deviations = [(d.kind, d.activity, pos[id(d.ref)] if d.ref is not None else len(seq)) for d in devs]
        j.features = _features(j, bp.key_activity, low, premium)
        j.p_dissatisfied = outcome.probability(j.features)
        j.dissatisfied = rng.random() < j.p_dissatisfied
        j.surveyed = rng.random() < self.noise.survey_response_rate
        j.survey_ts = j.end + int(log_uniform(rng, 0.5, 72) * HOUR) + 3600
        return j

    # --- deviations ---------------------------------------------------------------

    def _skip(self, seq: list[Event], devs: list[Deviation], key: str) -> None:
        rng = self.rng
        if rng.random() >= self.noise.skip_rate:
            return
        key_idx = next(i for i, e in enumerate(seq) if e.activity == key)
        i = key_idx if rng.random() < 0.5 else 1 + int(rng.random() * (len(seq) - 1))
        removed = seq.pop(i)
        devs.append(Deviation("skipped_step", removed.activity, seq[i] if i < len(seq) else None))

    def _loop(self, seq: list[Event], devs: list[Deviation], bp: Blueprint) -> int:
        rng = self.rng
        if rng.random() >= self.noise.loop_rate:
            return 0
        present = {e.activity for e in seq}
        options = [lp for lp in bp.loops if lp[-1] in present]
        if not options:
            return 0
        loop = pick(rng, options)
        if rng.random() < self.noise.long_loop_rate:
            k = min(60, 5 + int(rng.paretovariate(1.1) * 3))
        else:
            k = geometric(rng, 0.55, 4)
        pos = max(i for i, e in enumerate(seq) if e.activity == loop[-1]) + 1
        new = [Event(bp.step(a)) for _ in range(k) for a in loop]
        seq[pos:pos] = new
        devs.append(Deviation("loop", loop[0], new[0]))
        return k

    def _insert(self, seq: list[Event], devs: list[Deviation], extras: tuple[str, ...]) -> None:
        rng = self.rng
        if rng.random() >= self.noise.insert_rate:
            return
        act = pick(rng, extras)
        ev = Event(EXTRA_STEPS[act])
        seq.insert(1 + int(rng.random() * len(seq)), ev)
        devs.append(Deviation("inserted_step", act, ev))

    def _repeat_contacts(self, seq: list[Event], devs: list[Deviation]) -> None:
        rng = self.rng
        if rng.random() >= self.noise.repeat_contact_rate:
            return
        for _ in range(geometric(rng, 0.6, 5)):
            ev = Event(EXTRA_STEPS[REPEAT_CONTACT])
            seq.insert(1 + int(rng.random() * len(seq)), ev)
            devs.append(Deviation("inserted_step", REPEAT_CONTACT, ev))

    def _swap(self, seq: list[Event], devs: list[Deviation]) -> None:
        rng = self.rng
        if rng.random() >= self.noise.wrong_order_rate or len(seq) < 3:
            return
        candidates = [i for i in range(1, len(seq) - 1) if seq[i].activity != seq[i + 1].activity]
        if not candidates:
            return
        i = pick(rng, candidates)
        seq[i], seq[i + 1] = seq[i + 1], seq[i]
        devs.append(Deviation("wrong_order", seq[i].activity, seq[i]))

    def _abandon(self, seq: list[Event], devs: list[Deviation]) -> tuple[list[Event], bool]:
        rng = self.rng
        if rng.random() >= self.noise.abandon_rate or len(seq) < 2:
            return seq, True
        cut = 1 + int(rng.random() * (len(seq) - 1))
        dropped, seq = seq[cut:], seq[:cut]
        kept = {id(e) for e in seq}
        devs[:] = [d for d in devs if d.ref is not None and id(d.ref) in kept]
        devs.append(Deviation("abandoned", dropped[0].activity, None))
        return seq, False

    def _channels(self, seq: list[Event], devs: list[Deviation]) -> None:
        rng = self.rng
        pref = ""
        for ev in seq:
            names = ev.step.channel_names
            if len(names) == 1:
                ev.channel = names[0]
            elif pref in names and rng.random() < 0.92:
                ev.channel = pref
            else:
                ev.channel = weighted(rng, ev.step.channels)
            if ev.initiator == "customer" and ev.channel in CONTACT_CHANNELS:
                pref = ev.channel
        if rng.random() >= self.noise.channel_switch_rate:
            return
        cust = [i for i, e in enumerate(seq) if e.initiator == "customer" and e.channel in CONTACT_CHANNELS]
        eligible = []
        for n, i in enumerate(cust[1:], start=1):
            prev = seq[cust[n - 1]].channel
            opts = [
                (c, w)
                for c, w in seq[i].step.channels
                if c in CONTACT_CHANNELS and c not in (prev, seq[i].channel)
            ]
            if opts and seq[i].channel == prev:
                eligible.append((i, opts))
        if not eligible:
            return
        i, opts = pick(rng, eligible)
        new = weighted(rng, opts)
        for j in cust:
            if j >= i and new in seq[j].step.channel_names:
                seq[j].channel = new
        devs.append(Deviation("channel_switch", seq[i].activity, seq[i]))

    # --- time and teams -------------------------------------------------------------

    def _times(self, seq: list[Event], start: int, low_team: bool) -> None:
        rng = self.rng
        t = start
        for n, ev in enumerate(seq):
            if n:
                lo, hi = ev.step.delay_hours
                gap = log_uniform(rng, lo, hi) * HOUR
                if low_team and ev.initiator == "agent":
                    gap *= _LOW_TEAM_SLOWDOWN
                t = t + int(gap) + 60 + int(rng.random() * 600)
            if ev.channel in _STAFFED:
                t = business_time(rng, t)
            ev.ts = t

    def _teams(self, seq: list[Event], department: str, team: str) -> None:
        rng = self.rng
        for ev in seq:
            if ev.channel not in _STAFFED:
                continue
            if ev.department == department and rng.random() < 0.92:
                ev.team = team
            else:
                ev.team = pick(rng, TEAMS_BY_DEPARTMENT[ev.department]).name


def _features(j: Journey, key: str, low_team: bool, premium: bool) -> dict[str, float]:
    seen: set[str] = set()
    rework = 0
    repeats = 0
    switches = 0
    prev = ""
    for ev in j.events:
        act = ev.activity
        if act == REPEAT_CONTACT:
            repeats += 1
        elif act in seen:
            rework += 1
        else:
            seen.add(act)
        if ev.initiator == "customer" and ev.channel in CONTACT_CHANNELS:
            if prev and ev.channel != prev:
                switches += 1
            prev = ev.channel
    return {
        "missing_confirmation": 0.0 if key in seen else 1.0,
        "rework_events": float(rework),
        "wrong_order": float(sum(1 for d in j.deviations if d[0] == "wrong_order")),
        "channel_switches": float(switches),
        "repeat_contacts": float(repeats),
        "resolution_days": (j.end - j.start) / DAY,
        "low_engagement_team": 1.0 if low_team else 0.0,
        "abandoned": 0.0 if j.completed else 1.0,
        "premium_segment": 1.0 if premium else 0.0,
    }
