"""The phrasebook: labelled example commands, consulted only when no pattern matches.

Patterns are precise but can only match phrasings someone wrote down; operators keep inventing
new ones. When no pattern matches a command that does use domain words, the phrasebook finds the
most similar labelled examples (rapidfuzz ``token_sort_ratio`` on a *shape* of the text in which
times, dates, registrations, numbers and names are replaced by placeholders, so "cancel trip 42"
and "cancel trip 7" look the same) and lets them vote. Its answer always carries a low
confidence: the engine then asks the operator (or consults the LLM) rather than acting on it.

The examples come from the tuning splits of the benchmark (never from the frozen test split):
``python benchmarks/make_phrasebook.py`` writes ``data/phrasebook.jsonl`` (text and action per
line). Their shapes are computed by the grammar itself on first use, so that a change to
``patterns.yaml`` never leaves the phrasebook stale.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

#: Placeholder per mention kind in a command's shape.
PLACEHOLDERS = {
    "registration": "<reg>",
    "trip_id": "<trip>",
    "time": "<time>",
    "date": "<date>",
    "duration": "<duration>",
    "days": "<days>",
    "quantity": "<qty>",
    "number": "<num>",
    "ordinal": "<ord>",
    "phone": "<phone>",
    "latitude": "<lat>",
    "longitude": "<lon>",
    "display": "<trip_label>",
    "path": "<path>",
    "name": "<name>",
}


MIN_WORDS = 3
"""Shorter commands ("trip", "the bus") say too little to be guessed from their neighbours."""


@dataclass(frozen=True)
class Guess:
    action: str
    score: float
    votes: float
    neighbours: tuple[str, ...]


class Phrasebook:
    """Nearest labelled shapes; ``guess(shape)`` returns the winning action or None."""

    def __init__(
        self, examples: Iterable[tuple[str, str]], *, cutoff: float = 72.0, neighbours: int = 5
    ) -> None:
        self._shapes: list[str] = []
        self._sorted: list[str] = []
        self._actions: list[str] = []
        for shape, action in examples:
            self._shapes.append(shape)
            self._sorted.append(_sorted_tokens(shape))
            self._actions.append(action)
        self.cutoff = cutoff
        self.neighbours = neighbours

    def __len__(self) -> int:
        return len(self._shapes)

    @staticmethod
    def read(path: str | Path) -> list[tuple[str, str]]:
        """``(text, action)`` pairs from ``{"text": ..., "action": ...}`` lines."""
        pairs = []
        with Path(path).open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    item = json.loads(line)
                    pairs.append((str(item["text"]), str(item["action"])))
        return pairs

    def guess(self, shape: str) -> Guess | None:
        if not self._shapes or len(shape.split()) < MIN_WORDS:
            return None
        # token_sort_ratio is ratio on sorted tokens: the examples' tokens are sorted once.
        found = process.extract(
            _sorted_tokens(shape),
            self._sorted,
            scorer=fuzz.ratio,
            processor=None,
            limit=self.neighbours,
            score_cutoff=self.cutoff,
        )
        if not found:
            return None
        votes: dict[str, float] = defaultdict(float)
        for _, score, index in found:
            votes[self._actions[index]] += score
        action = max(votes, key=lambda a: votes[a])
        best = max(score for _, score, index in found if self._actions[index] == action)
        total = sum(votes.values())
        return Guess(
            action=action,
            score=best,
            votes=votes[action] / total,
            neighbours=tuple(self._shapes[i] for _, _, i in found[:3]),
        )


def _sorted_tokens(shape: str) -> str:
    """The shape's words in sorted order, as ``fuzz.token_sort_ratio`` compares them."""
    return " ".join(sorted(shape.split()))
