"""Deterministic synthetic customer-experience landing data, with ground truth.

Generates raw landing files for every source in :mod:`cxspark.core.sources` (CRM, billing,
calls, web, tickets, chats, surveys, engagement) for a population of customers who follow
service blueprints with planted deviations, identifier noise, PII in free text, bad
records and a planted dissatisfaction model; the truth of all of it is written as Parquet
under ``_truth/`` so later stages can be measured.

Example::

    >>> import tempfile
    >>> from cxspark.generate import generate, GeneratorSettings
    >>> with tempfile.TemporaryDirectory() as d:
    ...     summary = generate(d, GeneratorSettings(customers=50, seed=7), workers=1)
    >>> summary.customers
    50
"""

from __future__ import annotations

from cxspark.generate.runner import GENERATOR_VERSION, GenerationSummary, generate
from cxspark.generate.settings import GeneratorSettings, NoiseSettings
from cxspark.generate.vocabulary import load_generator_vocabulary

__all__ = [
    "GENERATOR_VERSION",
    "GenerationSummary",
    "GeneratorSettings",
    "NoiseSettings",
    "generate",
    "load_generator_vocabulary",
]
