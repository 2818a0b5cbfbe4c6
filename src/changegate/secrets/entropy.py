"""Shannon entropy, the cheap signal that separates random tokens from words."""

from __future__ import annotations

import math
from collections import Counter


def shannon(value: str) -> float:
    """Bits per character of ``value`` (0.0 for the empty string)."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())
