"""How a run is shown: a table in the terminal, and ``--report DIR`` (Markdown and a chart).

The chart needs matplotlib, an optional extra (``pip install movi[report]``); without it the
Markdown is written all the same and says how to get the chart.
"""

from __future__ import annotations

import importlib
import os
import platform
import sys
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

from movi.bench.metrics import REFERENCE_DAY, Report
from movi.bench.run import BenchRun

MARKDOWN = "report.md"
CHART = "accuracy_latency.png"
CHART_HINT = "pip install 'movi[report]'"


def _cost(value: float | None) -> str:
    return "n/a" if value is None else f"${value:.4f}"


def _fixed(fmt: str) -> Callable[[Any], str]:
    return fmt.format


HEADLINE: list[tuple[str, str, Callable[[Any], str]]] = [
    ("action accuracy", "action_accuracy", _fixed("{:.3f}")),
    ("macro-F1", "macro_f1", _fixed("{:.3f}")),
    ("slot precision", "slot_precision", _fixed("{:.3f}")),
    ("slot recall", "slot_recall", _fixed("{:.3f}")),
    ("slot F1", "slot_f1", _fixed("{:.3f}")),
    ("exact match", "exact_match", _fixed("{:.3f}")),
    ("unknown precision", "unknown_precision", _fixed("{:.3f}")),
    ("unknown recall", "unknown_recall", _fixed("{:.3f}")),
    ("latency p50 (ms)", "latency_ms_p50", _fixed("{:.3f}")),
    ("latency p95 (ms)", "latency_ms_p95", _fixed("{:.3f}")),
    ("latency p99 (ms)", "latency_ms_p99", _fixed("{:.3f}")),
    ("commands/s", "commands_per_second", _fixed("{:,.0f}")),
    ("LLM calls / 100 commands", "llm_calls_per_100", _fixed("{:.1f}")),
    ("LLM tokens", "llm_tokens", _fixed("{:,}")),
    ("LLM cost (USD)", "llm_cost_usd", _cost),
    ("LLM errors", "llm_errors", str),
    ("threshold", "threshold", lambda v: "–" if v is None else f"{v:.2f}"),
    ("model", "model", lambda v: "–" if v is None else str(v)),
]
"""The side-by-side rows: label, report field, format."""


def headline(reports: list[Report]) -> list[tuple[str, list[str]]]:
    return [
        (label, [fmt(getattr(report, attr)) for report in reports]) for label, attr, fmt in HEADLINE
    ]


def render(reports: list[Report], *, skipped: dict[str, str] | None = None) -> str:
    """A side-by-side table of the headline figures, then each mode's slots and confusions."""
    from rich.console import Console
    from rich.table import Table

    buffer = StringIO()
    console = Console(file=buffer, width=110, force_terminal=False)
    if reports:
        name = Path(reports[0].dataset).name
        table = Table(title=f"movi bench — {name} ({reports[0].examples} commands)")
        table.add_column("metric")
        for report in reports:
            table.add_column(report.mode, justify="right")
        for label, cells in headline(reports):
            table.add_row(label, *cells)
        console.print(table)
    for name, why in (skipped or {}).items():
        console.print(f"skipped {name}: {why}", highlight=False, markup=False)
    for report in reports:
        slots = Table(title=f"{report.mode}: slots")
        for column in ("slot", "precision", "recall", "F1", "support"):
            slots.add_column(column, justify="left" if column == "slot" else "right")
        for s in report.per_slot:
            slots.add_row(
                s.slot, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}", str(s.support)
            )
        console.print(slots)
        if report.confusions:
            confused = Table(title=f"{report.mode}: most confused (label → parsed)")
            confused.add_column("label")
            confused.add_column("parsed")
            confused.add_column("count", justify="right")
            for gold, pred, count in report.confusions:
                confused.add_row(gold, pred, str(count))
            console.print(confused)
    return buffer.getvalue()


def machine() -> str:
    """One line on where the numbers were measured: they mean little without it."""
    cpu = platform.processor() or platform.machine()
    return (
        f"{platform.system()} {platform.release()} {platform.machine()}, {cpu}, "
        f"{os.cpu_count()} CPU(s), Python {sys.version.split()[0]}"
    )


def markdown(run: BenchRun, *, chart: str | None) -> str:
    """``report.md``: the table, the dataset, the date, the models, the machine."""
    reports = run.reports
    examples = reports[0].examples if reports else 0
    lines = [
        "# movi bench",
        "",
        f"- date: {run.started:%Y-%m-%d %H:%M} UTC",
        f"- dataset: `{run.dataset}` ({examples} commands, sha256 `{run.dataset_sha256[:16]}…`),"
        f" relative dates read against {REFERENCE_DAY.isoformat()}",
        f"- modes: {', '.join(r.mode for r in reports) or 'none'}",
    ]
    models = sorted({r.model for r in reports if r.model})
    lines.append(f"- models: {', '.join(f'`{m}`' for m in models) or 'none (rules only)'}")
    lines.append(f"- machine: {machine()}")
    for name, why in run.skipped.items():
        lines.append(f"- skipped `{name}`: {why}")
    lines += ["", "| metric | " + " | ".join(r.mode for r in reports) + " |"]
    lines.append("|---|" + "---:|" * len(reports))
    for label, cells in headline(reports):
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(
        "Latency is measured around each parse call on this machine; LLM cost is litellm's "
        "estimate (n/a: the model's price is unknown, e.g. a local server)."
    )
    lines.append("")
    if chart:
        lines.append(f"![accuracy against p50 latency]({chart})")
    else:
        lines.append(f"The chart needs matplotlib: `{CHART_HINT}`, then run again.")
    lines.append("")
    return "\n".join(lines)


def chart(reports: list[Report], path: Path) -> bool:
    """Action accuracy against p50 latency (log x), one point per mode; False without
    matplotlib."""
    try:
        matplotlib: Any = importlib.import_module("matplotlib")
    except ImportError:
        return False
    matplotlib.use("Agg")
    pyplot: Any = importlib.import_module("matplotlib.pyplot")
    figure, axes = pyplot.subplots(figsize=(6.4, 4.2), dpi=120)
    try:
        for report in reports:
            x = max(report.latency_ms_p50, 1e-3)  # a log axis has no zero
            axes.scatter([x], [report.action_accuracy], s=60, label=report.mode)
        axes.legend(loc="lower left")  # points of close modes overlap; a legend never does
        axes.set_xscale("log")
        plain = importlib.import_module("matplotlib.ticker").FuncFormatter(lambda v, _: f"{v:g}")
        axes.xaxis.set_major_formatter(plain)
        axes.xaxis.set_minor_formatter(plain)
        axes.set_xlabel("p50 latency per command (ms, log scale)")
        axes.set_ylabel("action accuracy")
        axes.set_ylim(0.0, 1.05)
        axes.grid(True, which="both", alpha=0.3)
        title = f"movi bench — {Path(reports[0].dataset).name}" if reports else "movi bench"
        axes.set_title(title)
        figure.tight_layout()
        figure.savefig(path, format="png")
    finally:
        pyplot.close(figure)
    return True


def write_report(run: BenchRun, directory: str | Path) -> list[Path]:
    """Write ``report.md`` (and the chart when matplotlib is there); the files written."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    png = folder / CHART
    drew = chart(run.reports, png)
    if drew:
        written.append(png)
    md = folder / MARKDOWN
    md.write_text(markdown(run, chart=CHART if drew else None), encoding="utf-8")
    written.insert(0, md)
    return written
