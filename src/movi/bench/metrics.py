"""Scoring one parser on a labelled dataset: the figures every mode of ``movi bench`` shares.

A dataset is JSON lines ``{"text", "page", "action", "slots"}`` (optionally ``selected_trip_id``).
The report gives action accuracy and macro-F1, per-slot precision/recall/F1 (a slot counts as
right when its value equals the label's, strings compared without case or extra spaces), exact
match (action and every slot), unknown precision/recall, the most confused action pairs, and
latency percentiles measured around each parse call. The LLM fields are filled in by the mode
that used one (see :mod:`movi.bench.modes`).
"""

from __future__ import annotations

import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from movi.intent import Intent

REFERENCE_DAY = date(2026, 11, 28)
"""The day the datasets' relative dates were labelled against (see benchmarks/data/README.md)."""


class Example(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: str
    page: str | None = None
    action: str
    slots: dict[str, Any] = Field(default_factory=dict)
    selected_trip_id: int | None = None


class SlotScore(BaseModel):
    slot: str
    precision: float
    recall: float
    f1: float
    support: int


class Report(BaseModel):
    """One mode's figures on one dataset."""

    mode: str
    dataset: str
    examples: int
    action_accuracy: float
    macro_f1: float
    slot_precision: float
    slot_recall: float
    slot_f1: float
    exact_match: float
    unknown_precision: float
    unknown_recall: float
    latency_ms_p50: float
    latency_ms_p95: float
    latency_ms_p99: float
    commands_per_second: float
    per_slot: list[SlotScore]
    confusions: list[tuple[str, str, int]]
    errors: list[dict[str, Any]]
    model: str | None = None
    """The LLM this mode consulted (None: no LLM)."""
    threshold: float | None = None
    """The rules confidence below which this mode asked the LLM (hybrid only)."""
    llm_commands: int = 0
    """Commands sent to the LLM (a cached answer counts: it was asked for)."""
    llm_calls: int = 0
    """Completion calls made, retries included."""
    llm_calls_per_100: float = 0.0
    llm_tokens: int = 0
    llm_cost_usd: float | None = 0.0
    """Sum of litellm's cost estimates; None when a model's price is unknown (a local server)."""
    llm_errors: int = 0
    """Consultations that gave no usable answer (timeout, invalid JSON twice, breaker open)."""


Parser = Callable[[Example], Intent]


def load_dataset(path: str | Path) -> list[Example]:
    examples = []
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                examples.append(Example.model_validate_json(line))
            except ValueError as exc:
                raise ValueError(f"{path}:{number}: not a dataset line: {exc}") from exc
    return examples


def normal(value: Any) -> Any:
    """The comparison form of a slot value: strings without case or repeated spaces."""
    if isinstance(value, str):
        return " ".join(value.lower().split())
    if isinstance(value, list | tuple):
        return [normal(v) for v in value]
    if isinstance(value, float):
        return round(value, 4)
    return value


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def evaluate(
    examples: Iterable[Example],
    parser: Parser,
    *,
    mode: str,
    dataset: str,
    progress: Callable[[int], None] | None = None,
) -> Report:
    examples = list(examples)
    latencies: list[float] = []
    correct = exact = 0
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    action_tp: Counter[str] = Counter()
    action_fp: Counter[str] = Counter()
    action_fn: Counter[str] = Counter()
    confusions: Counter[tuple[str, str]] = Counter()
    errors: list[dict[str, Any]] = []
    started = time.perf_counter()
    for i, example in enumerate(examples):
        t0 = time.perf_counter()
        intent = parser(example)
        latencies.append((time.perf_counter() - t0) * 1000)
        gold_slots = {k: normal(v) for k, v in example.slots.items()}
        pred_slots = {k: normal(v) for k, v in intent.slots.items()}
        if intent.action == example.action:
            correct += 1
            action_tp[example.action] += 1
        else:
            action_fp[intent.action] += 1
            action_fn[example.action] += 1
            confusions[(example.action, intent.action)] += 1
        for slot in gold_slots.keys() | pred_slots.keys():
            gold, pred = gold_slots.get(slot, _MISSING), pred_slots.get(slot, _MISSING)
            if gold is not _MISSING and pred == gold:
                tp[slot] += 1
            else:
                if pred is not _MISSING:
                    fp[slot] += 1
                if gold is not _MISSING:
                    fn[slot] += 1
        if matches(example, intent):
            exact += 1
        else:
            errors.append(
                {
                    "text": example.text,
                    "page": example.page,
                    "gold": {"action": example.action, "slots": example.slots},
                    "got": {"action": intent.action, "slots": intent.slots},
                    "confidence": intent.confidence,
                }
            )
        if progress is not None:
            progress(i + 1)
    elapsed = time.perf_counter() - started
    n = len(examples) or 1
    actions = set(action_tp) | set(action_fp) | set(action_fn)
    per_action_f1 = []
    for action in actions:
        p = action_tp[action] / (action_tp[action] + action_fp[action] or 1)
        r = action_tp[action] / (action_tp[action] + action_fn[action] or 1)
        per_action_f1.append(_f1(p, r))
    per_slot = []
    for slot in sorted(tp.keys() | fp.keys() | fn.keys()):
        p = tp[slot] / (tp[slot] + fp[slot] or 1)
        r = tp[slot] / (tp[slot] + fn[slot] or 1)
        per_slot.append(
            SlotScore(slot=slot, precision=p, recall=r, f1=_f1(p, r), support=tp[slot] + fn[slot])
        )
    all_tp, all_fp, all_fn = sum(tp.values()), sum(fp.values()), sum(fn.values())
    slot_p = all_tp / (all_tp + all_fp or 1)
    slot_r = all_tp / (all_tp + all_fn or 1)
    unk_tp = action_tp["unknown"]
    return Report(
        mode=mode,
        dataset=dataset,
        examples=len(examples),
        action_accuracy=correct / n,
        macro_f1=statistics.fmean(per_action_f1) if per_action_f1 else 0.0,
        slot_precision=slot_p,
        slot_recall=slot_r,
        slot_f1=_f1(slot_p, slot_r),
        exact_match=exact / n,
        unknown_precision=unk_tp / (unk_tp + action_fp["unknown"] or 1),
        unknown_recall=unk_tp / (unk_tp + action_fn["unknown"] or 1),
        latency_ms_p50=_percentile(latencies, 50),
        latency_ms_p95=_percentile(latencies, 95),
        latency_ms_p99=_percentile(latencies, 99),
        commands_per_second=len(examples) / elapsed if elapsed else 0.0,
        per_slot=per_slot,
        confusions=[(g, p, c) for (g, p), c in confusions.most_common(10)],
        errors=errors,
    )


_MISSING = object()


def matches(example: Example, intent: Intent) -> bool:
    """Exact match: the label's action and every one of its slots, nothing more."""
    return intent.action == example.action and {k: normal(v) for k, v in example.slots.items()} == {
        k: normal(v) for k, v in intent.slots.items()
    }


def per_action_errors(report: Report) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for error in report.errors:
        counts[error["gold"]["action"]] += 1
    return dict(counts)
