"""Seed derivation and small sampling helpers on ``random.Random``.

Every chunk gets its own generator seeded from ``(seed, chunk)`` so chunks are
independent of each other and of the number of worker processes.

Example::

    >>> derive_seed(42, "chunk", 3) == derive_seed(42, "chunk", 3)
    True
    >>> rng = random.Random(1)
    >>> weighted(rng, (("a", 0.0), ("b", 1.0)))
    'b'
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Sequence
from typing import TypeVar

__all__ = ["chunk_rng", "derive_seed", "geometric", "log_uniform", "pick", "poisson", "weighted"]

T = TypeVar("T")


def derive_seed(*parts: object) -> int:
    """A 64-bit seed from any parts (stable across processes and Python versions)."""
    text = ":".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def chunk_rng(seed: int, chunk: int, stream: str = "main") -> random.Random:
    """The random generator of one chunk (and named stream)."""
    return random.Random(derive_seed(seed, "chunk", chunk, stream))


def pick(rng: random.Random, seq: Sequence[T]) -> T:
    """A uniformly random element (cheaper than ``rng.choice``)."""
    return seq[int(rng.random() * len(seq))]


def weighted(rng: random.Random, options: Sequence[tuple[T, float]]) -> T:
    """Pick a value from ``(value, weight)`` pairs."""
    total = 0.0
    for _, w in options:
        total += w
    x = rng.random() * total
    for value, w in options:
        x -= w
        if x < 0:
            return value
    return options[-1][0]


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (Knuth's method; fine for the small means used here)."""
    if lam <= 0:
        return 0
    limit = math.exp(-lam)
    k, p = 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def log_uniform(rng: random.Random, low: float, high: float) -> float:
    """A value between ``low`` and ``high`` uniform on a log scale (``low`` may be 0)."""
    if high <= 0:
        return 0.0
    low = max(low, high / 1000.0)
    return low * (high / low) ** rng.random()


def geometric(rng: random.Random, p: float, cap: int) -> int:
    """Number of trials until the first success (>= 1), capped."""
    k = 1
    while k < cap and rng.random() > p:
        k += 1
    return k
