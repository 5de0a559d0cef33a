"""Everything one chunk's generation shares: its generator, buffers, ids and truth lists.

Example::

    >>> from cxspark.generate.settings import GeneratorSettings
    >>> from cxspark.lake.vocabulary import load_vocabulary
    >>> ctx = ChunkContext(GeneratorSettings(customers=10, seed=1), 0, load_vocabulary())
    >>> ctx.new_id("calls")
    'CL-00000-0000001'
"""

from __future__ import annotations

from typing import Any

from cxspark.core.sources import SOURCES
from cxspark.generate.identity import IdentifierWriter, Person
from cxspark.generate.journeys import JourneyPlanner
from cxspark.generate.output import SourceBuffer
from cxspark.generate.rng import chunk_rng
from cxspark.generate.settings import GeneratorSettings
from cxspark.generate.teams import engagement_lookup, engagement_scores
from cxspark.generate.text import Span
from cxspark.generate.timeutil import month_starts
from cxspark.lake.vocabulary import Vocabulary

__all__ = ["ChunkContext"]

_ID_FORMATS = {
    "billing": ("BE", 7),
    "calls": ("CL", 7),
    "web": ("ev", 8),
    "tickets": ("TE", 7),
    "chats": ("CH", 6),
    "surveys": ("R", 6),
    "ticket": ("TKT", 6),
    "session": ("S", 7),
    "invoice": ("INV", 7),
    "invitation": ("SV", 6),
    "journey": ("J", 6),
    "case": ("CASE", 6),
}
"""Id kind -> (prefix, minimum digits of the running number); ids are ``PREFIX-chunk-number``."""


class ChunkContext:
    """State of one chunk: generator, identifier writer, planner, source buffers, truth."""

    def __init__(self, settings: GeneratorSettings, chunk: int, vocab: Vocabulary) -> None:
        self.settings = settings
        self.noise = settings.noise
        self.chunk = chunk
        self.vocab = vocab
        self.rng = chunk_rng(settings.seed, chunk)
        self.ids = IdentifierWriter(self.rng, settings.noise)
        self.month_starts = month_starts(settings.start_date, settings.months)
        self.window = (self.month_starts[0], self.month_starts[-1])
        self.engagement_rows = engagement_scores(settings.seed, settings.start_date, settings.months)
        self.planner = JourneyPlanner(
            self.rng, settings.noise, self.month_starts, engagement_lookup(self.engagement_rows)
        )
        self.buffers = {name: SourceBuffer(src, chunk) for name, src in SOURCES.items()}
        self._counters = {kind: 0 for kind in _ID_FORMATS}
        self._id_prefix = {kind: f"{p}-{chunk:05d}-" for kind, (p, _) in _ID_FORMATS.items()}
        self._id_width = {kind: w for kind, (_, w) in _ID_FORMATS.items()}
        self.pii: list[tuple[str, str, str, int, int, str, str]] = []
        self.journey_events: list[tuple[Any, ...]] = []
        self.journeys: list[Any] = []
        self.persons: list[Person] = []

    def new_id(self, kind: str) -> str:
        """A new id of ``kind`` (a source name or ticket/session/invoice/...), unique across chunks."""
        n = self._counters[kind] + 1
        self._counters[kind] = n
        return self._id_prefix[kind] + str(n).zfill(self._id_width[kind])

    def add_pii(self, source: str, record_id: str, field: str, spans: list[Span]) -> None:
        """Record the PII spans of one text field of a record."""
        for start, end, entity, value in spans:
            self.pii.append((source, record_id, field, start, end, entity, value))

    def chance(self, p: float) -> bool:
        """True with probability ``p``."""
        return self.rng.random() < p
