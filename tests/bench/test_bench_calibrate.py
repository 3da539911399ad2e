"""``--calibrate``: the best hybrid threshold within the LLM budget, from one pass of each."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.bench.support import MODEL, Script, answer, line, write_dataset

from movi.bench import BenchOptions, Example, calibrate, choose
from movi.cli import main
from movi.intent import Intent
from movi.llm import LLMConfig, LLMFallback

RIGHT = Intent(action="cancel_trip", slots={"trip_id": 1}, confidence=0.95, source="llm")


def _constructed() -> tuple[list[Example], dict[str, Intent]]:
    """40 lines: 37 the rules get right at 0.9, and three they get wrong at 0.3, 0.5 and 0.7.
    The LLM is right on all three, but the budget (5% of 40) pays for two calls: the best
    threshold sends the 0.3 and 0.5 lines and not the 0.7 one, so it lies in (0.5, 0.7];
    the lowest of those on the 0.01 grid is 0.51."""
    examples = [Example(text=f"ok {i}", action="list_all_drivers") for i in range(37)]
    rules = {e.text: Intent(action="list_all_drivers", confidence=0.9) for e in examples}
    for confidence in (0.3, 0.5, 0.7):
        text = f"unsure {confidence}"
        examples.append(Example(text=text, action="cancel_trip", slots={"trip_id": 1}))
        rules[text] = Intent(action="delay_trip", confidence=confidence)
    return examples, rules


def test_choose_picks_the_best_threshold_within_the_budget() -> None:
    examples, rules = _constructed()
    asked: list[str] = []

    def ask(example: Example, reading: Intent) -> Intent | None:
        asked.append(example.text)
        return RIGHT

    gate = LLMFallback(LLMConfig(model=MODEL)).wanted
    best, curve, rules_exact = choose(examples, lambda e: rules[e.text], ask, gate)
    assert best.threshold == 0.51
    assert best.sent == 2
    assert best.exact_match == pytest.approx(39 / 40)
    assert rules_exact == pytest.approx(37 / 40)
    assert sorted(asked) == ["unsure 0.3", "unsure 0.5"]  # once each; never the 0.7 line
    assert max(p.threshold for p in curve) == 0.7  # 0.71 would send three
    assert all(p.share <= 0.05 for p in curve)


def test_choose_prefers_fewer_calls_when_the_llm_does_not_help() -> None:
    examples, rules = _constructed()
    gate = LLMFallback(LLMConfig(model=MODEL)).wanted
    best, _, _ = choose(examples, lambda e: rules[e.text], lambda e, r: None, gate)
    assert (best.threshold, best.sent) == (0.0, 0)


LINES = [
    line("cancel trip 42", "cancel_trip", trip_id=42),
    line("write me a poem", "unknown"),
    line("the bus", "unknown"),
    *[line(f"cancel trip {n}", "cancel_trip", trip_id=n) for n in range(100, 117)],
]


def test_calibrate_asks_each_command_once_at_most(tmp_path: Path, llm: Script) -> None:
    dataset = write_dataset(tmp_path / "dev.jsonl", LINES)
    llm.default = answer("list_all_vehicles", confidence=0.9)  # always wrong
    config = LLMConfig(model=MODEL, completion_kwargs={"mock_response": llm.default})
    found = calibrate(dataset, options=BenchOptions(llm=config))
    assert len(llm.commands) == len(set(llm.commands)) <= 1  # 5% of 20 lines: one command
    assert found.llm_calls == len(llm.commands)
    assert found.sent == 0  # a wrong LLM is worth no call
    assert found.exact_match == found.rules_exact_match
    assert "MOVI_LLM_THRESHOLD=" in found.advice()


def test_cli_calibrate_prints_the_threshold_and_how_to_set_it(
    tmp_path: Path, llm: Script, capsys: pytest.CaptureFixture[str]
) -> None:
    dataset = write_dataset(tmp_path / "dev.jsonl", LINES)
    code = main(["bench", "--calibrate", "--dataset", str(dataset), "--model", MODEL])
    out = capsys.readouterr().out
    assert code == 0
    assert "MOVI_LLM_THRESHOLD=" in out and "LLMConfig(threshold=" in out


def test_cli_calibrate_without_an_llm_says_what_to_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dataset = write_dataset(tmp_path / "dev.jsonl", LINES)
    assert main(["bench", "--calibrate", "--dataset", str(dataset)]) == 2
    assert "MOVI_LLM_MODEL" in capsys.readouterr().err
