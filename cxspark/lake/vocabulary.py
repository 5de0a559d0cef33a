"""The activity vocabulary (``conf/activities.yaml``): canonical activities and native codes.

The timeline maps each source's native code (a call ``wrap_code``, a ticket ``activity``,
a web ``page`` ...) to a canonical activity with this file, the drivers read the owning
department of each activity from it, and the synthetic generator writes its codes from it,
so the mapping lives in one place.  The file is validated on load and errors name the file
and the offending entry; it says nothing about which activities a deployment must have
(the generator checks its own needs in :mod:`cxspark.generate.vocabulary`).

Example::

    >>> vocab = load_vocabulary()
    >>> vocab.canonical("calls", "TECH_ISSUE")
    'issue_reported'
    >>> vocab.codes("tickets", "fix_applied")
    ('fix_applied', 'Fix Applied')
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cxspark.core.errors import ConfigError
from cxspark.core.sources import SOURCES

__all__ = ["Vocabulary", "VocabularyError", "default_vocabulary_path", "load_vocabulary"]


class VocabularyError(ConfigError):
    """The activity vocabulary file is missing or malformed (one line naming file and entry)."""


@dataclass(frozen=True)
class Vocabulary:
    """Canonical activities and, per source, the native code column and code mapping."""

    path: str
    sha256: str
    activities: dict[str, str]
    fields: dict[str, str]
    mappings: dict[str, dict[str, str]]
    natives: dict[str, dict[str, tuple[str, ...]]]
    departments: dict[str, str]

    def canonical(self, source: str, code: str) -> str:
        """Canonical activity of a source's native code (KeyError if unmapped)."""
        return self.mappings[source][code]

    def codes(self, source: str, activity: str) -> tuple[str, ...]:
        """Native codes of an activity in a source, most common first."""
        return self.natives[source][activity]


def default_vocabulary_path() -> Path:
    """``conf/activities.yaml`` of the repository (or of the working directory)."""
    here = Path(__file__).resolve().parents[2] / "conf" / "activities.yaml"
    if here.exists():
        return here
    return Path.cwd() / "conf" / "activities.yaml"


def load_vocabulary(path: str | Path | None = None) -> Vocabulary:
    """Load and validate the vocabulary file; fail naming the file and field on any problem."""
    p = Path(path) if path is not None else default_vocabulary_path()
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise VocabularyError(f"{p}: cannot read activity vocabulary ({exc})") from None
    try:
        doc = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise VocabularyError(f"{p}: invalid YAML ({exc})") from None
    activities = _activities(p, doc)
    fields, mappings = _mappings(p, doc, activities)
    natives = _natives(mappings)
    departments = _departments(p, doc, activities)
    return Vocabulary(
        str(p), hashlib.sha256(raw).hexdigest(), activities, fields, mappings, natives, departments
    )


def _departments(p: Path, doc: dict[str, Any], activities: dict[str, str]) -> dict[str, str]:
    """Optional ``departments: {department: [activity, ...]}`` -> activity -> department."""
    raw = doc.get("departments") or {}
    if not isinstance(raw, dict):
        raise VocabularyError(f"{p}: 'departments' must be a mapping of department -> list of activities")
    out: dict[str, str] = {}
    for dept, acts in raw.items():
        if not isinstance(acts, list):
            raise VocabularyError(f"{p}: departments.{dept}: must be a list of activities")
        for act in acts:
            if act not in activities:
                raise VocabularyError(f"{p}: departments.{dept}: unknown activity '{act}'")
            if act in out:
                raise VocabularyError(f"{p}: departments: activity '{act}' is listed under two departments")
            out[str(act)] = str(dept)
    return out


def _activities(p: Path, doc: Any) -> dict[str, str]:
    if not isinstance(doc, dict) or not isinstance(doc.get("activities"), dict):
        raise VocabularyError(f"{p}: 'activities' must be a mapping of name -> description")
    out = {}
    for name, desc in doc["activities"].items():
        if not isinstance(name, str) or not name.replace("_", "").isalnum() or name != name.lower():
            raise VocabularyError(f"{p}: activities: '{name}' must be a lower_snake_case name")
        out[name] = str(desc or "")
    return out


def _mappings(
    p: Path, doc: dict[str, Any], activities: dict[str, str]
) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    maps = doc.get("mappings")
    if not isinstance(maps, dict):
        raise VocabularyError(f"{p}: 'mappings' must be a mapping of source -> {{field, codes}}")
    fields: dict[str, str] = {}
    mappings: dict[str, dict[str, str]] = {}
    for src, spec in maps.items():
        if src not in SOURCES:
            raise VocabularyError(
                f"{p}: mappings.{src}: unknown source (known: {', '.join(sorted(SOURCES))})"
            )
        if not isinstance(spec, dict) or not isinstance(spec.get("codes"), dict):
            raise VocabularyError(f"{p}: mappings.{src}: needs 'field' and a 'codes' mapping")
        column = spec.get("field")
        if column not in SOURCES[src].columns:
            raise VocabularyError(f"{p}: mappings.{src}.field: '{column}' is not a column of {src}")
        for code, act in spec["codes"].items():
            if act not in activities:
                raise VocabularyError(f"{p}: mappings.{src}.codes.{code}: unknown activity '{act}'")
        fields[src] = str(column)
        mappings[src] = {str(c): str(a) for c, a in spec["codes"].items()}
    return fields, mappings


def _natives(mappings: dict[str, dict[str, str]]) -> dict[str, dict[str, tuple[str, ...]]]:
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for src, codes in mappings.items():
        by_act: dict[str, list[str]] = {}
        for code, act in codes.items():
            by_act.setdefault(act, []).append(code)
        out[src] = {a: tuple(c) for a, c in by_act.items()}
    return out
