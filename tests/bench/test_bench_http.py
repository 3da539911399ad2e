"""``movi bench --mode all`` through real litellm and real HTTP, against a stand-in server on
127.0.0.1: the llm and hybrid modes share one event loop, and each its own cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.bench.support import answer, line, write_dataset
from tests.llm.test_http import StandIn

from movi.cli import main


def test_bench_all_against_a_local_openai_compatible_server(
    tmp_path: Path, stand_in: StandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    dataset = write_dataset(
        tmp_path / "tiny.jsonl",
        [line("cancel trip 42", "cancel_trip", trip_id=42), line("the bus", "unknown")],
    )
    stand_in.answer = answer("unknown", confidence=0.9)
    code = main(
        [
            "bench",
            "--dataset",
            str(dataset),
            "--mode",
            "all",
            "--json",
            "--model",
            "openai/stand-in",
            "--api-base",
            stand_in.url,
        ]
    )
    assert code == 0
    rules, llm, hybrid = json.loads(capsys.readouterr().out)
    assert (llm["llm_calls"], llm["llm_errors"], llm["llm_tokens"]) == (2, 0, 2 * 925)
    assert llm["llm_cost_usd"] is None  # a local model has no price
    assert (hybrid["llm_calls"], hybrid["llm_errors"]) == (1, 0)  # only "the bus"
    assert hybrid["action_accuracy"] == rules["action_accuracy"] == 1.0
    assert len(stand_in.requests) == 3
