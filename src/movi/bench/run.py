"""One ``movi bench`` run: the same commands through each chosen mode, side by side."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field

from movi.bench.metrics import Example, Report, evaluate, load_dataset
from movi.bench.modes import MODES, BenchOptions, Mode, ModeUnavailable
from movi.errors import ConfigError


class BenchRun(BaseModel):
    """The reports of one run, and what the report file says about it."""

    dataset: str
    dataset_sha256: str
    started: datetime
    reports: list[Report]
    skipped: dict[str, str] = Field(default_factory=dict)
    """Modes ``all`` could not run here, and why."""


def expand(modes: list[str]) -> tuple[list[str], bool]:
    """The mode names to run, and whether unavailable ones are skipped (``all``) or an error."""
    if "all" in modes:
        return list(MODES), True
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        raise ConfigError(
            f"no benchmark mode {unknown[0]!r}; available: {', '.join([*MODES, 'all'])}"
        )
    return modes, False


def run_modes(
    dataset: str | Path,
    *,
    modes: list[str],
    options: BenchOptions | None = None,
    show_progress: bool = True,
) -> BenchRun:
    """Every mode on the same commands; ``all`` skips (and records) the modes it cannot run."""
    examples = load_dataset(dataset)
    names, skip_unavailable = expand(modes)
    started = datetime.now(UTC)
    reports: list[Report] = []
    skipped: dict[str, str] = {}
    with asyncio.Runner() as loop:
        base = options or BenchOptions()
        settings = BenchOptions(
            llm=base.llm, today=base.today, threshold=base.threshold, run=loop.run
        )
        for name in names:
            try:
                mode = MODES[name](settings)
            except ModeUnavailable as exc:
                if not skip_unavailable:
                    raise
                skipped[name] = exc.message
                continue
            try:
                reports.append(_measure(mode, examples, str(dataset), show_progress))
            finally:
                mode.close()
    digest = hashlib.sha256(Path(dataset).read_bytes()).hexdigest()
    return BenchRun(
        dataset=str(dataset),
        dataset_sha256=digest,
        started=started,
        reports=reports,
        skipped=skipped,
    )


def _measure(mode: Mode, examples: list[Example], dataset: str, show_progress: bool) -> Report:
    if mode.usage is None and examples:
        mode.parse(examples[0])  # compile the grammar outside the timings
    if show_progress and len(examples) >= 200:
        from rich.progress import Progress, TaskID

        with Progress(transient=True) as bar:
            task = bar.add_task(mode.name, total=len(examples))

            def advance(done: int, bar: Progress = bar, task: TaskID = task) -> None:
                bar.update(task, completed=done)

            report = evaluate(
                examples, mode.parse, mode=mode.name, dataset=dataset, progress=advance
            )
    else:
        report = evaluate(examples, mode.parse, mode=mode.name, dataset=dataset)
    return mode.finish(report)


def run_bench(
    dataset: str | Path,
    *,
    modes: list[str],
    options: BenchOptions | None = None,
    show_progress: bool = True,
) -> list[Report]:
    """The reports alone (see :func:`run_modes`)."""
    return run_modes(dataset, modes=modes, options=options, show_progress=show_progress).reports


def to_json(reports: list[Report]) -> str:
    return json.dumps([r.model_dump() for r in reports], indent=2, ensure_ascii=False)
