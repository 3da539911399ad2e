"""The harness behind ``movi bench``: its metrics, datasets, and the floors the rules keep."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from benchmarks.make_phrasebook import SOURCES as PHRASEBOOK_SOURCES

from movi.benchmark import Example, evaluate, load_dataset, rules_parser
from movi.grammar.spec import load_spec
from movi.intent import Intent

DATA = Path(__file__).resolve().parents[1] / "benchmarks" / "data"
SPLITS = sorted(DATA.glob("commands_*.jsonl"))
TUNING = PHRASEBOOK_SOURCES  # the tuning splits: what the phrasebook is built from

# Regression floors on the frozen test split, a little under the measured figures (README).
# The product targets are higher (action accuracy 0.97); raise these as the grammar improves.
FLOOR_ACTION_ACCURACY = 0.965
FLOOR_SLOT_F1 = 0.97
FLOOR_UNKNOWN_RECALL = 0.96


def _fixed(answers: dict[str, Intent]):  # type: ignore[no-untyped-def]
    return lambda example: answers[example.text]


def test_metrics_count_actions_slots_and_unknowns() -> None:
    examples = [
        Example(text="a", action="cancel_trip", slots={"trip_id": 1}),
        Example(text="b", action="cancel_trip", slots={"trip_id": 2}),
        Example(text="c", action="unknown"),
        Example(text="d", action="delay_trip", slots={"trip_id": 3, "minutes": 15}),
    ]
    answers = {
        "a": Intent(action="cancel_trip", slots={"trip_id": 1}, confidence=0.9),
        "b": Intent(action="cancel_trip", slots={"trip_id": 20}, confidence=0.9),
        "c": Intent(action="delay_trip", slots={}, confidence=0.5),
        "d": Intent(action="delay_trip", slots={"trip_id": 3}, confidence=0.9),
    }
    report = evaluate(examples, _fixed(answers), mode="fixed", dataset="inline")
    assert report.action_accuracy == 0.75
    assert report.exact_match == 0.25
    # slots: tp = a.trip_id, d.trip_id; fp = b.trip_id; fn = b.trip_id, d.minutes
    assert report.slot_precision == pytest.approx(2 / 3)
    assert report.slot_recall == pytest.approx(2 / 4)
    assert report.unknown_recall == 0.0
    assert report.confusions == [("unknown", "delay_trip", 1)]
    assert {e["text"] for e in report.errors} == {"b", "c", "d"}


def test_slot_values_compare_without_case_or_spacing() -> None:
    examples = [Example(text="x", action="assign_driver", slots={"driver": "Suresh  Kumar"})]
    answers = {"x": Intent(action="assign_driver", slots={"driver": "suresh kumar"}, confidence=1)}
    assert evaluate(examples, _fixed(answers), mode="m", dataset="d").exact_match == 1.0


@pytest.mark.parametrize("path", SPLITS, ids=[p.name for p in SPLITS])
def test_dataset_lines_use_the_catalogue(path: Path) -> None:
    actions = set(load_spec().actions)
    examples = load_dataset(path)
    assert len(examples) >= 500
    assert {e.action for e in examples} <= actions
    assert len({e.text.lower() for e in examples}) == len(examples)


def test_datasets_do_not_share_lines() -> None:
    """No text is in two splits (case-insensitive), every tuning split included.

    The frozen split is read first, so an overlap is reported with the tuning split's line:
    the check never shows a line of the frozen split to whoever is tuning.
    """
    frozen = DATA / "commands_test.jsonl"
    assert set(TUNING) <= {p.name for p in SPLITS}
    seen: dict[str, str] = {}
    shared: list[str] = []
    for path in [frozen, *(p for p in SPLITS if p != frozen)]:
        for example in load_dataset(path):
            key = example.text.lower()
            if key in seen:
                shared.append(f"{example.text!r} ({path.name}) is also in {seen[key]}")
            else:
                seen[key] = path.name
    assert not shared, "\n".join(shared)


def test_the_phrasebook_holds_tuning_lines_only() -> None:
    """``data/phrasebook.jsonl`` comes from the tuning splits (``TUNING``), never the frozen one."""
    book = DATA.parents[1] / "data" / "phrasebook.jsonl"
    texts = [json.loads(line)["text"] for line in book.read_text(encoding="utf-8").splitlines()]
    tuning = {e.text for name in TUNING for e in load_dataset(DATA / name)}
    frozen = {e.text.lower() for e in load_dataset(DATA / "commands_test.jsonl")}
    assert set(texts) == tuning
    leaked = sum(1 for text in texts if text.lower() in frozen)
    assert leaked == 0, f"{leaked} phrasebook lines are in the frozen split"


def test_test_split_is_large_and_covers_every_action() -> None:
    examples = load_dataset(DATA / "commands_test.jsonl")
    counts: dict[str, int] = {}
    for e in examples:
        counts[e.action] = counts.get(e.action, 0) + 1
    assert set(counts) == set(load_spec().actions)
    assert min(counts.values()) >= 6
    assert counts["unknown"] >= 50


def test_rules_stay_above_the_floor_on_the_frozen_test_split() -> None:
    examples = load_dataset(DATA / "commands_test.jsonl")
    report = evaluate(examples, rules_parser(), mode="rules", dataset="test")
    assert report.action_accuracy >= FLOOR_ACTION_ACCURACY
    assert report.slot_f1 >= FLOOR_SLOT_F1
    assert report.unknown_recall >= FLOOR_UNKNOWN_RECALL


def test_cli_bench_json(tmp_path: Path) -> None:
    dataset = tmp_path / "tiny.jsonl"
    dataset.write_text(
        "\n".join(
            json.dumps(line)
            for line in [
                {
                    "text": "cancel trip 42",
                    "page": "busDashboard",
                    "action": "cancel_trip",
                    "slots": {"trip_id": 42},
                },
                {
                    "text": "write me a poem",
                    "page": "busDashboard",
                    "action": "unknown",
                    "slots": {},
                },
            ]
        ),
        encoding="utf-8",
    )
    out = subprocess.run(
        [sys.executable, "-m", "movi.cli", "bench", "--dataset", str(dataset), "--json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (report,) = json.loads(out)
    assert report["mode"] == "rules"
    assert report["examples"] == 2
    assert report["action_accuracy"] == 1.0
    assert report["latency_ms_p50"] > 0


#: Each newer tuning split's promise (README of benchmarks/data): (file, lines per action at least,
#: unknown lines at least, of them remarks that use the domain's words at least).
SPLIT_PROMISES = [
    ("commands_dev3.jsonl", 10, 80, 0),
    ("commands_dev4.jsonl", 4, 80, 25),
    ("commands_dev5.jsonl", 6, 75, 30),  # terse dispatchers, Hinglish/Kannada, dictation
    ("commands_dev6.jsonl", 6, 75, 30),  # office e-mail voice
    ("commands_dev7.jsonl", 6, 75, 30),  # a mixed shift log
    ("commands_dev8.jsonl", 6, 75, 30),  # an ordinary week
    ("commands_dev9.jsonl", 6, 75, 30),  # the morning peak (the next round's holdout)
]


@pytest.mark.parametrize(("name", "per_action", "unknown", "remarks"), SPLIT_PROMISES)
def test_each_newer_split_covers_every_action_and_remarks(
    name: str, per_action: int, unknown: int, remarks: int
) -> None:
    """Every action of the catalogue, each at least ``per_action`` times; many unknown lines, a
    good part of them remarks and complaints that use the domain's words ("the driver was very
    polite today")."""
    examples = load_dataset(DATA / name)
    counts: dict[str, int] = {}
    for e in examples:
        counts[e.action] = counts.get(e.action, 0) + 1
    assert set(counts) == set(load_spec().actions)
    assert min(n for action, n in counts.items() if action != "unknown") >= per_action
    assert counts["unknown"] >= unknown
    domain = ("driver", "bus", "cab", "stop", "trip", "route", "vehicle", "employee", "drv")
    found = [
        e for e in examples if e.action == "unknown" and any(w in e.text.lower() for w in domain)
    ]
    assert len(found) >= remarks
