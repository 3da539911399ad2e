"""``--report DIR``: the Markdown report always, the chart when matplotlib is installed."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest
from tests.bench.support import MODEL, Script, answer, line, write_dataset

from movi.bench import BenchOptions, render, run_modes, write_report
from movi.bench.report import CHART, CHART_HINT, MARKDOWN
from movi.cli import main
from movi.llm import LLMConfig

PNG = b"\x89PNG\r\n\x1a\n"
LINES = [line("cancel trip 42", "cancel_trip", trip_id=42), line("the bus", "unknown")]


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    return write_dataset(tmp_path / "tiny.jsonl", LINES)


def _all(dataset: Path) -> Any:
    config = LLMConfig(model=MODEL, completion_kwargs={"mock_response": answer("unknown")})
    return run_modes(dataset, modes=["all"], options=BenchOptions(llm=config), show_progress=False)


def test_report_writes_markdown_and_chart(tmp_path: Path, dataset: Path, llm: Script) -> None:
    pytest.importorskip("matplotlib", reason="the chart needs matplotlib (movi[report])")
    written = write_report(_all(dataset), tmp_path / "out")
    assert written == [tmp_path / "out" / MARKDOWN, tmp_path / "out" / CHART]
    assert (tmp_path / "out" / CHART).read_bytes().startswith(PNG)
    text = (tmp_path / "out" / MARKDOWN).read_text(encoding="utf-8")
    assert "| metric | rules | llm | hybrid |" in text
    assert "| LLM cost (USD) | $0.0000 | n/a | " in text
    assert f"`{MODEL}`" in text and "tiny.jsonl" in text and "machine:" in text
    assert f"]({CHART})" in text


def test_report_without_matplotlib_says_how_to_get_the_chart(
    tmp_path: Path, dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.import_module

    def no_matplotlib(name: str, package: str | None = None) -> Any:
        if name.startswith("matplotlib"):
            raise ImportError(f"No module named {name!r}")
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", no_matplotlib)
    run = run_modes(dataset, modes=["rules"], show_progress=False)
    assert write_report(run, tmp_path) == [tmp_path / MARKDOWN]
    assert CHART_HINT in (tmp_path / MARKDOWN).read_text(encoding="utf-8")
    assert not (tmp_path / CHART).exists()


def test_render_shows_the_modes_side_by_side(dataset: Path, llm: Script) -> None:
    run = _all(dataset)
    table = render(run.reports, skipped={"embed": "not installed"})
    header = next(row for row in table.splitlines() if "metric" in row)
    assert header.index("rules") < header.index("llm") < header.index("hybrid")
    for label in ("LLM calls / 100 commands", "LLM tokens", "LLM cost (USD)", "latency p95"):
        assert label in table
    assert "skipped embed: not installed" in table


def test_cli_json_has_the_llm_fields(dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--dataset", str(dataset), "--json"]) == 0
    (report,) = json.loads(capsys.readouterr().out)
    for field in ("llm_calls_per_100", "llm_tokens", "llm_cost_usd", "model", "exact_match"):
        assert field in report
    assert report["llm_calls_per_100"] == 0.0


def test_cli_hybrid_with_report(
    tmp_path: Path, dataset: Path, llm: Script, capsys: pytest.CaptureFixture[str]
) -> None:
    llm.default = answer("unknown", confidence=0.3)
    args = ["bench", "--dataset", str(dataset), "--mode", "all", "--json", "--model", MODEL]
    assert main([*args, "--report", str(tmp_path / "r")]) == 0
    reports = json.loads(capsys.readouterr().out)
    assert [r["mode"] for r in reports] == ["rules", "llm", "hybrid"]
    assert reports[1]["llm_calls_per_100"] == 100.0
    assert reports[1]["llm_cost_usd"] is None and reports[1]["llm_tokens"] > 0
    assert reports[2]["model"] == MODEL
    assert (tmp_path / "r" / MARKDOWN).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--mode", "llm"], "MOVI_LLM_MODEL"), (["--mode", "bogus"], "no benchmark mode 'bogus'")],
)
def test_cli_mode_errors_say_what_to_do(
    dataset: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", "--dataset", str(dataset), *args]) == 2
    assert message in capsys.readouterr().err
