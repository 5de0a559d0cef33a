"""Service blueprints: the designed process of each journey type, loaded with pm4py.

One file per journey type in ``conf/blueprints/``: ``<type>.bpmn`` (BPMN 2.0) or
``<type>.pnml`` (a Petri net with initial and final marking). A blueprint is turned into a
workflow net and checked for soundness (pm4py's WOFLAN) at load; a file that does not
parse, has no activity, or is not sound is rejected with an error naming it. The version
of a blueprint is a hash of the file's bytes: conformance results are cached per version,
so editing a blueprint recomputes its variants and nothing else.

Example::

    >>> bp = load_blueprint(Path("conf/blueprints/cancellation.bpmn"))   # doctest: +SKIP
    >>> bp.activities
    ('cancel_requested', 'retention_offer', 'cancellation_confirmed', 'final_bill_issued')
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cxspark.core.config import Settings
from cxspark.core.errors import ConfigError

__all__ = ["BLUEPRINT_SUFFIXES", "Blueprint", "load_blueprint", "load_blueprints", "quiet_pm4py"]

log = logging.getLogger(__name__)

BLUEPRINT_SUFFIXES = (".bpmn", ".pnml")


def quiet_pm4py() -> None:
    """No progress bars, banners or internal warnings from pm4py (jobs log their own progress)."""
    os.environ.setdefault("PM4PY_TQDM_DISABLE", "True")
    import pm4py.util.constants as c

    c.SHOW_PROGRESS_BAR = False
    c.SHOW_INTERNAL_WARNINGS = False


@dataclass(frozen=True)
class Blueprint:
    """A loaded, sound blueprint: its Petri net and what the journey tables need from it."""

    journey_type: str
    path: str
    version: str
    net: Any = field(repr=False, compare=False)
    initial_marking: Any = field(repr=False, compare=False)
    final_marking: Any = field(repr=False, compare=False)
    activities: tuple[str, ...]
    """Visible activities in the designed order (by distance from the start)."""
    end_activities: frozenset[str]
    """Activities after which the process can end: reaching one completes a journey."""
    bpmn: Any = field(default=None, repr=False, compare=False)

    @property
    def order(self) -> dict[str, int]:
        return {a: i for i, a in enumerate(self.activities)}

    @property
    def model(self) -> tuple[Any, Any, Any]:
        return self.net, self.initial_marking, self.final_marking


def _read(path: Path) -> tuple[Any, Any, Any, Any]:
    import pm4py

    if path.suffix == ".bpmn":
        bpmn = pm4py.read_bpmn(str(path))
        net, im, fm = pm4py.convert_to_petri_net(bpmn)
        return net, im, fm, bpmn
    net, im, fm = pm4py.read_pnml(str(path))
    return net, im, fm, None


def _visible_order(net: Any, im: Any) -> tuple[str, ...]:
    """Visible labels ordered by the fewest visible steps needed to reach them (breadth first)."""
    depth: dict[str, int] = {}
    seen_places = set(im)
    queue: deque[tuple[Any, int]] = deque((p, 0) for p in im)
    while queue:
        place, d = queue.popleft()
        for arc in sorted(place.out_arcs, key=lambda a: str(a.target.name)):
            t = arc.target
            nd = d + (1 if t.label is not None else 0)
            if t.label is not None and t.label not in depth:
                depth[t.label] = nd
            for out in t.out_arcs:
                if out.target not in seen_places:
                    seen_places.add(out.target)
                    queue.append((out.target, nd))
    return tuple(sorted(depth, key=lambda a: (depth[a], a)))


def _end_activities(net: Any, fm: Any) -> frozenset[str]:
    """Visible transitions from whose output the final marking is reached by silent moves only."""
    sinks = set(fm)
    ends = set()
    for t in net.transitions:
        if t.label is None:
            continue
        stack = [a.target for a in t.out_arcs]
        seen = set(stack)
        while stack:
            p = stack.pop()
            if p in sinks:
                ends.add(t.label)
                break
            for a in p.out_arcs:
                if a.target.label is None:
                    for b in a.target.out_arcs:
                        if b.target not in seen:
                            seen.add(b.target)
                            stack.append(b.target)
    return frozenset(ends)


def load_blueprint(path: Path, journey_type: str | None = None) -> Blueprint:
    """Load and check one blueprint file; raises :class:`ConfigError` naming the file."""
    quiet_pm4py()
    if not path.is_file():
        raise ConfigError(f"blueprint {path} not found")
    if path.suffix not in BLUEPRINT_SUFFIXES:
        raise ConfigError(f"blueprint {path}: expected a .bpmn or .pnml file")
    data = path.read_bytes()
    try:
        net, im, fm, bpmn = _read(path)
    except Exception as exc:  # pm4py raises anything from XML errors to KeyErrors on bad files
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"blueprint {path} cannot be read: {first}") from None
    if not im or not fm:
        raise ConfigError(f"blueprint {path}: the model has no initial or no final marking")
    labels = {t.label for t in net.transitions if t.label is not None}
    if not labels:
        raise ConfigError(f"blueprint {path}: the model has no activity")
    from pm4py.algo.analysis.woflan import algorithm as woflan

    try:
        sound = woflan.apply(
            net,
            im,
            fm,
            parameters={
                woflan.Parameters.PRINT_DIAGNOSTICS: False,
                woflan.Parameters.RETURN_ASAP_WHEN_NOT_SOUND: True,
            },
        )
    except Exception as exc:
        raise ConfigError(f"blueprint {path}: soundness check failed: {exc}") from None
    if not sound:
        raise ConfigError(
            f"blueprint {path} is not a sound workflow net (a journey could deadlock or leave work behind)"
        )
    ends = _end_activities(net, fm)
    if not ends:
        raise ConfigError(f"blueprint {path}: no activity leads to the end")
    return Blueprint(
        journey_type=journey_type or path.stem,
        path=str(path),
        version=hashlib.sha256(data).hexdigest()[:12],
        net=net,
        initial_marking=im,
        final_marking=fm,
        activities=_visible_order(net, im),
        end_activities=ends,
        bpmn=bpmn,
    )


def load_blueprints(settings: Settings) -> dict[str, Blueprint]:
    """The blueprint of every configured journey type that has a file.

    A configured type without a file is logged and left out (its journeys are built and
    measured but marked ``no_blueprint`` in conformance); a file for a type that is not
    configured is an error, as are two files for one type.
    """
    folder = settings.conf_path(settings.journeys.blueprints_dir)
    if not folder.is_dir():
        raise ConfigError(f"blueprint folder {folder} not found (journeys.blueprints_dir)")
    files = sorted(p for p in folder.iterdir() if p.suffix in BLUEPRINT_SUFFIXES)
    types = settings.journeys.types
    out: dict[str, Blueprint] = {}
    for p in files:
        if p.stem not in types:
            raise ConfigError(
                f"blueprint {p}: no journey type '{p.stem}' in journeys.types (known: {', '.join(types)})"
            )
        if p.stem in out:
            raise ConfigError(f"two blueprints for journey type '{p.stem}': {out[p.stem].path} and {p}")
        out[p.stem] = load_blueprint(p)
    for name in types:
        if name not in out:
            log.warning("journey type %s has no blueprint in %s: its journeys are not conformance-checked",
                        name, folder)  # fmt: skip
    return out
