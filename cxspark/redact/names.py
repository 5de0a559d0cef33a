"""Names nobody told us about: public name lists, titles and name particles.

The customers' own names come from the CRM inside the job (``KnownNamesRecognizer``);
a third party in a note, an agent, or any text analysed by ``redact-file`` has no such
list. :class:`NameListRecognizer` finds people by what names look like instead:

* a title and a capitalised word: ``Mr O'Brien``, ``Dr. Patel`` (0.8; the title stays);
* a first name from the public list followed by capitalised words or a name particle:
  ``Siobhán Ní Bhriain``, ``Priya Raghunathan`` (0.75);
* a first name and a surname both on the lists, written in lower case: ``siobhan kelly``
  (0.6), unless either word is a stop word or a word the texts use in lower case;
* capitalised words joined by a name particle: ``Annelies van den Broek`` (0.7);
* a lone listed first name next to a cue (``spoke to Niamh``, ``Ciarán said``) (0.6);
  without one it scores 0.35, under the threshold but inside the second scan's, except
  where it opens a sentence or a note ("Ran line test", "Hi there"), where it is no finding.

The words around names (titles, particles, cues) are in ``recognizers.yaml``; the name
lists are installed packages, read once per process: first names of many countries
from ``gender-guesser`` (Jörg Michael's ``nam_dict``, about 48,000 names) and the US
Census surnames from ``names`` (about 88,800). Words are compared without accents and
case, so ``Siobhán`` and ``siobhan`` are the same name.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from presidio_analyzer import EntityRecognizer

from cxspark.core.errors import ConfigError
from cxspark.redact.extra import _result

__all__ = ["NameListRecognizer", "NameLists", "fold", "name_lists"]


OPENERS = frozenset("|.;:!?-\n")
"""After these a capitalised word opens a sentence or a note: capitalisation says nothing."""


def fold(word: str) -> str:
    """Lower case without accents: ``Siobhán`` -> ``siobhan``."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.replace("’", "'"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


@dataclass(frozen=True)
class NameLists:
    first: frozenset[str]
    last: frozenset[str]

    @property
    def any(self) -> frozenset[str]:
        return self.first | self.last


def _nam_dict() -> set[str]:
    names: set[str] = set()
    text = resources.files("gender_guesser").joinpath("data/nam_dict.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("#") or line.startswith("=") or len(line) < 30:
            continue
        for word in line[3:29].strip().replace("+", " ").replace("-", " ").split():
            if len(word) >= 2:
                names.add(fold(word))
    return names


def _census(file: str, max_rank: int) -> set[str]:
    out = set()
    text = resources.files("names").joinpath(file).read_text(encoding="utf-8")
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 4 and int(parts[3]) <= max_rank:
            out.add(fold(parts[0]))
    return out


@cache
def name_lists(surname_max_rank: int = 40000) -> NameLists:
    """The public first-name and surname lists (accent- and case-folded), read once."""
    try:
        first = _nam_dict() | _census("dist.male.first", 10**6) | _census("dist.female.first", 10**6)
        last = _census("dist.all.last", surname_max_rank)
    except (ModuleNotFoundError, OSError) as exc:
        raise ConfigError(
            f"redaction: the name lists (packages gender-guesser and names) cannot be read ({exc}); "
            "reinstall cxspark's dependencies"
        ) from None
    stop = _stop_words()
    return NameLists(frozenset(first - stop), frozenset(last - stop))


@cache
def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(fold(w) for w in STOP_WORDS)


class NameListRecognizer(EntityRecognizer):
    """People found by titles, public first-name and surname lists and name particles."""

    def __init__(
        self,
        lists: NameLists,
        words: Any,
        *,
        common: frozenset[str] = frozenset(),
        not_names: frozenset[str] = frozenset(),
        **kwargs: Any,
    ) -> None:
        """``words``: the ``name_lists`` part of ``recognizers.yaml`` (titles, particles, cues, roles)."""
        self.lists, self.common = lists, frozenset(fold(w) for w in common)
        self.not_names = frozenset(fold(w) for w in not_names)
        self.stop = _stop_words()
        self.titles = frozenset(fold(w).rstrip(".") for w in words.titles)
        self.particles = frozenset(fold(w) for w in words.particles)
        self.cues_before = frozenset(fold(w) for w in words.cues_before)
        self.cues_after = frozenset(fold(w) for w in words.cues_after)
        self.roles = frozenset(fold(w) for w in words.roles)
        super().__init__(supported_entities=["PERSON"], name="NameListRecognizer", **kwargs)

    def load(self) -> None:
        pass

    def _first(self, word: str) -> bool:
        f = fold(word)
        return f in self.lists.first and f not in self.not_names

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
        if nlp_artifacts is None or "PERSON" not in entities:
            return []
        tokens = [t for t in nlp_artifacts.tokens if not t.is_space]
        out = []
        i = 0
        while i < len(tokens):
            found = self._at(tokens, i)
            if found is None:
                i += 1
                continue
            first, j, score = found
            end = tokens[j - 1].idx + len(tokens[j - 1].text)
            out.append(_result(self, "PERSON", tokens[first].idx, end, score))
            i = j
        return out

    def _capitalised_run(self, tokens: list[Any], j: int) -> int:
        """The end of the capitalised words (and particles before one) from ``j``."""
        while j < len(tokens):
            word = tokens[j].text
            k = j
            while k < len(tokens) and fold(tokens[k].text) in self.particles:
                k += 1  # "van den", "de la"
            if k > j and k < len(tokens) and _capitalised(tokens[k].text):
                j = k + 1
            elif _capitalised(word) and fold(word) not in self.not_names and len(word) > 1:
                j += 1
            elif word in ("'", "’", "-") and j + 1 < len(tokens) and _capitalised(tokens[j + 1].text):
                j += 2  # O'Brien, Smith-Jones split by the tokenizer
            else:
                break
        return j

    def _at(self, tokens: list[Any], i: int) -> tuple[int, int, float] | None:
        """``(first token, end token, score)`` of a name found at token ``i``, or None."""
        word = tokens[i].text
        key = fold(word.rstrip("."))
        # a title and the capitalised words after it (or, in lower-case text, a listed first name)
        if key in self.titles and i + 1 < len(tokens):
            j = i + 2 if tokens[i + 1].text == "." else i + 1
            end = self._capitalised_run(tokens, j)
            if end > j:
                return j, end, 0.8
            if j < len(tokens) and self._first(tokens[j].text) and fold(tokens[j].text) not in self.common:
                nxt = self._at(tokens, j)
                return (j, nxt[1], 0.7) if nxt else (j, j + 1, 0.6)
            return None
        # a role, then a capitalised word: "engineer Caomhan", "agent Priya"
        if (
            key in self.roles
            and i + 1 < len(tokens)
            and _capitalised(tokens[i + 1].text)
            and fold(tokens[i + 1].text) not in self.stop | self.not_names
        ):
            return i + 1, self._capitalised_run(tokens, i + 1), 0.6
        if (
            _capitalised(word)
            and key not in self.stop | self.not_names
            and i + 1 < len(tokens)
            and fold(tokens[i + 1].text) in self.particles
            and (end := self._capitalised_run(tokens, i + 1)) > i + 2
        ):
            return i, end, 0.7  # a name particle between capitalised words: "Annelies van den Broek"
        if not self._first(word):
            return None
        if _capitalised(word):
            end = self._capitalised_run(tokens, i + 1)
            if end > i + 1:
                return i, end, 0.75
            after = fold(tokens[i + 1].text) if i + 1 < len(tokens) else ""
            if key in self.common:
                return None
            if self._cue_before(tokens, i) or after in self.cues_after:
                return i, i + 1, 0.6
            opens = i == 0 or tokens[i - 1].text in OPENERS or "\n" in tokens[i - 1].whitespace_
            return None if opens else (i, i + 1, 0.35)  # "Ran line test", "Hi there": words
        # lower case: a listed first name, then a listed surname or (after a cue) any word,
        # neither a stop word nor a word the texts use in lower case
        if word.islower() and i + 1 < len(tokens):
            nxt = tokens[i + 1].text
            surname = fold(nxt)
            if (
                nxt.isalpha()
                and nxt.islower()
                and (surname in self.lists.last or self._cue_before(tokens, i))
                and surname not in self.stop
                and key not in self.common
                and surname not in self.common
                and surname not in self.not_names
            ):
                return i, i + 2, 0.6
        return None

    def _cue_before(self, tokens: list[Any], i: int) -> bool:
        """A cue word just before ``i`` (a comma or a title may stand between)."""
        j = i - 1
        while j >= 0 and (tokens[j].text in ",:;" or fold(tokens[j].text.rstrip(".")) in self.titles):
            j -= 1
        return j >= 0 and fold(tokens[j].text) in self.cues_before


def _capitalised(word: str) -> bool:
    return word[:1].isupper() and any(ch.islower() for ch in word[1:]) if len(word) > 1 else False
