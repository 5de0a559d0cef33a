"""The generator's use of the activity vocabulary: every code it writes comes from it.

The platform reads ``conf/activities.yaml`` with :func:`cxspark.lake.vocabulary.load_vocabulary`
and asks nothing of its contents beyond being well formed. The generator needs more: a
native code for every activity its own blueprints emit in each source, so it checks that
here, and picks among an activity's codes the way a source system's agents would.
"""

from __future__ import annotations

import random
from pathlib import Path

from cxspark.generate.blueprints import required_codes
from cxspark.lake.vocabulary import Vocabulary, VocabularyError, load_vocabulary

__all__ = ["load_generator_vocabulary", "pick_code"]


def load_generator_vocabulary(path: str | Path | None = None) -> Vocabulary:
    """The vocabulary, checked to hold a native code for every activity the generator emits."""
    vocab = load_vocabulary(path)
    missing = [
        f"{src}:{act}"
        for src, acts in sorted(required_codes().items())
        for act in sorted(acts)
        if act not in vocab.natives.get(src, {})
    ]
    if missing:
        raise VocabularyError(
            f"{vocab.path}: the generator needs a native code in mappings for: {', '.join(missing)}"
        )
    return vocab


def pick_code(vocab: Vocabulary, rng: random.Random, source: str, activity: str) -> str:
    """A native code for an activity: the first listed 80% of the time, else another."""
    codes = vocab.natives[source][activity]
    if len(codes) == 1 or rng.random() < 0.8:
        return codes[0]
    return codes[1 + int(rng.random() * (len(codes) - 1))]
