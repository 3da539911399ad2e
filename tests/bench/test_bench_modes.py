"""Modes side by side on the same commands: rules, llm, hybrid, all; the LLM is litellm's mock."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.bench.support import MODEL, Script, answer, line, write_dataset

from movi.bench import (
    MODES,
    BenchOptions,
    Example,
    Mode,
    ModeUnavailable,
    prefer,
    register_mode,
    rules_parser,
    run_bench,
    run_modes,
)
from movi.intent import Intent
from movi.llm import LLMConfig, LLMFallback

CLEAR = "cancel trip 42"
POEM = "write me a poem"  # another domain: the rules are sure it is unknown, no call
VAGUE = "the bus"  # domain words, no pattern: unknown at the floor, worth a call
UNSURE = "is TN-09-W-5962 available?"

LINES = [
    line(CLEAR, "cancel_trip", trip_id=42),
    line(POEM, "unknown"),
    line(VAGUE, "unknown"),
    line(UNSURE, "get_vehicle_status", vehicle="TN-09-W-5962"),
]


def config(**settings: object) -> LLMConfig:
    return LLMConfig(
        model=MODEL,
        completion_kwargs={"mock_response": answer("unknown", confidence=0.2)},
        **settings,  # type: ignore[arg-type]
    )


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    return write_dataset(tmp_path / "tiny.jsonl", LINES)


def test_rules_mode_spends_nothing(dataset: Path) -> None:
    (report,) = run_bench(dataset, modes=["rules"], show_progress=False)
    assert report.mode == "rules"
    assert report.action_accuracy == 1.0
    assert (report.llm_calls, report.llm_tokens, report.llm_cost_usd) == (0, 0, 0.0)
    assert report.model is None


def test_llm_mode_sends_every_command(dataset: Path, llm: Script) -> None:
    llm.answers = {
        CLEAR: answer("cancel_trip", {"trip_id": 42}),
        UNSURE: answer("get_vehicle_status", {"vehicle": "TN-09-W-5962"}),
    }
    (report,) = run_bench(
        dataset, modes=["llm"], options=BenchOptions(llm=config()), show_progress=False
    )
    assert sorted(llm.commands) == sorted(item["text"] for item in LINES)
    assert report.action_accuracy == 1.0
    assert report.exact_match == 1.0
    assert report.llm_commands == report.llm_calls == 4
    assert report.llm_calls_per_100 == 100.0
    assert report.llm_tokens > 0
    assert report.llm_cost_usd is None  # litellm has no price for openai/test
    assert report.model == MODEL


def test_llm_mode_counts_a_failed_answer_as_unknown(dataset: Path, llm: Script) -> None:
    llm.default = "not json at all"
    (report,) = run_bench(
        dataset, modes=["llm"], options=BenchOptions(llm=config()), show_progress=False
    )
    assert report.llm_errors == 4
    # one retry each, and the breaker opens after three failures: the fourth costs no call
    assert report.llm_calls == 6
    assert report.action_accuracy == 0.5  # the two unknown lines


def _expected_sends(threshold: float) -> list[str]:
    rules, gate = rules_parser(), LLMFallback(config()).wanted
    examples = [Example.model_validate(item) for item in LINES]
    return [e.text for e in examples if gate(rules(e), threshold)]


def test_hybrid_sends_only_the_unsure_lines_and_uses_the_answer(dataset: Path, llm: Script) -> None:
    sent = _expected_sends(0.6)
    assert VAGUE in sent and UNSURE in sent, "the grammar's confidences moved: pick other lines"
    assert CLEAR not in sent and POEM not in sent
    llm.answers = {
        VAGUE: answer("list_all_vehicles", confidence=0.9),  # used: a named action at 0.9
        UNSURE: answer("list_all_drivers", confidence=0.5),  # below the threshold: not used
    }
    (report,) = run_bench(
        dataset, modes=["hybrid"], options=BenchOptions(llm=config()), show_progress=False
    )
    assert llm.commands == sent
    assert report.threshold == 0.6
    assert report.llm_commands == len(sent)
    assert report.llm_calls_per_100 == pytest.approx(100 * len(sent) / len(LINES))
    wrong = {error["text"]: error["got"]["action"] for error in report.errors}
    assert wrong == {VAGUE: "list_all_vehicles"}


def test_hybrid_threshold_option_overrides_the_config(dataset: Path, llm: Script) -> None:
    (report,) = run_bench(
        dataset,
        modes=["hybrid"],
        options=BenchOptions(llm=config(threshold=0.6), threshold=0.0),
        show_progress=False,
    )
    assert llm.commands == []
    assert report.threshold == 0.0
    assert report.llm_calls == 0


def test_all_runs_every_mode_with_a_cache_of_its_own(dataset: Path, llm: Script) -> None:
    run = run_modes(dataset, modes=["all"], options=BenchOptions(llm=config()), show_progress=False)
    assert [r.mode for r in run.reports] == ["rules", "llm", "hybrid"]
    assert run.skipped == {}
    assert llm.commands.count(VAGUE) == 2  # once for llm, once again for hybrid
    assert len(run.dataset_sha256) == 64


def test_all_without_an_llm_skips_and_says_why(dataset: Path) -> None:
    run = run_modes(dataset, modes=["all"], show_progress=False)
    assert [r.mode for r in run.reports] == ["rules"]
    assert set(run.skipped) == {"llm", "hybrid"}
    assert "MOVI_LLM_MODEL" in run.skipped["llm"]


@pytest.mark.parametrize("mode", ["llm", "hybrid"])
def test_a_chosen_llm_mode_without_an_llm_is_an_error(dataset: Path, mode: str) -> None:
    with pytest.raises(ModeUnavailable, match="MOVI_LLM_MODEL"):
        run_bench(dataset, modes=[mode], show_progress=False)


def test_a_peer_registers_a_mode(dataset: Path) -> None:
    def factory(options: BenchOptions) -> Mode:
        return Mode("echo", lambda example: Intent(action=example.action, confidence=1.0))

    register_mode("echo", factory)
    try:
        run = run_modes(dataset, modes=["all"], show_progress=False)
        assert [r.mode for r in run.reports] == ["rules", "echo"]
        with pytest.raises(ValueError, match="already"):
            register_mode("echo", factory)
    finally:
        MODES.pop("echo", None)
    assert "echo" not in MODES


def test_prefer_is_the_engines_rule() -> None:
    rules = Intent(action="cancel_trip", confidence=0.4)
    named = Intent(action="delay_trip", confidence=0.7, source="llm")
    assert prefer(rules, named, 0.6) is named
    assert prefer(rules, named, 0.8) is rules  # the answer must reach the threshold
    assert prefer(rules, Intent(action="unknown", confidence=0.99), 0.6) is rules
    assert prefer(rules, None, 0.6) is rules
