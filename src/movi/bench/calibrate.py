"""``movi bench --calibrate``: the threshold that makes the hybrid best within an LLM budget.

The rules run once and the LLM is asked at most once per command (only the commands some
admissible threshold would send); every candidate threshold is then simulated from those
recorded readings, exactly as the engine would decide (``LLMFallback.wanted`` to ask, then
:func:`~movi.bench.modes.prefer`). Candidates are 0.00 to 1.00 in steps of 0.01; the winner has
the highest exact match with at most ``max_share`` of the commands sent, ties going to fewer
commands sent, then to the lower threshold.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from movi.bench.metrics import Example, Parser, load_dataset, matches
from movi.bench.modes import BenchOptions, LLMUsage, ask, fallback_for, rules_parser
from movi.intent import Intent
from movi.llm.fallback import prefer

DEV_SPLIT = "benchmarks/data/commands_dev.jsonl"
MAX_SHARE = 0.05
"""At most this share of the commands may go to the LLM (the issue's budget)."""
THRESHOLDS = [i / 100 for i in range(101)]


class ThresholdPoint(BaseModel):
    threshold: float
    sent: int
    share: float
    exact_match: float


class Calibration(BaseModel):
    """The chosen threshold, what it gives, and the curve it was chosen from."""

    dataset: str
    model: str | None
    examples: int
    max_share: float
    threshold: float
    exact_match: float
    sent: int
    share: float
    rules_exact_match: float
    llm_calls: int
    curve: list[ThresholdPoint]

    def advice(self) -> str:
        t = f"{self.threshold:.2f}"
        return (
            f"threshold {t}: hybrid exact match {self.exact_match:.3f} (rules alone "
            f"{self.rules_exact_match:.3f}) with {self.sent} of {self.examples} commands "
            f"({self.share:.1%}, budget {self.max_share:.0%}) sent to {self.model}.\n"
            f"Set it with MOVI_LLM_THRESHOLD={t} or LLMConfig(threshold={t})."
        )


def choose(
    examples: list[Example],
    rules: Parser,
    answer: Callable[[Example, Intent], Intent | None],
    wanted: Callable[[Intent, float], bool],
    *,
    max_share: float = MAX_SHARE,
    thresholds: list[float] = THRESHOLDS,
) -> tuple[ThresholdPoint, list[ThresholdPoint], float]:
    """The best point, the admissible curve, and the rules' own exact match (pure: the LLM is
    ``answer``, called once per command that an admissible threshold sends)."""
    n = len(examples)
    readings = [rules(example) for example in examples]
    budget = max_share * n + 1e-9
    sends = {t: [i for i, r in enumerate(readings) if wanted(r, t)] for t in thresholds}
    admissible = [t for t in thresholds if len(sends[t]) <= budget]
    needed = sorted({i for t in admissible for i in sends[t]})
    answers = {i: answer(examples[i], readings[i]) for i in needed}
    curve = []
    for t in admissible:
        sent = set(sends[t])
        exact = sum(
            matches(e, prefer(r, answers[i], t) if i in sent else r)
            for i, (e, r) in enumerate(zip(examples, readings, strict=True))
        )
        curve.append(
            ThresholdPoint(
                threshold=t,
                sent=len(sent),
                share=len(sent) / n if n else 0.0,
                exact_match=exact / n if n else 0.0,
            )
        )
    best = max(curve, key=lambda p: (p.exact_match, -p.sent, -p.threshold))
    rules_exact = sum(matches(e, r) for e, r in zip(examples, readings, strict=True))
    return best, curve, rules_exact / n if n else 0.0


def calibrate(
    dataset: str | Path = DEV_SPLIT,
    *,
    options: BenchOptions | None = None,
    max_share: float = MAX_SHARE,
) -> Calibration:
    """Choose the hybrid threshold on ``dataset`` (the dev split; never the frozen test split)."""
    examples = load_dataset(dataset)
    base = options or BenchOptions()
    with asyncio.Runner() as loop:
        settings = BenchOptions(llm=base.llm, today=base.today, run=loop.run)
        fallback = fallback_for(settings, "calibrate")
        usage = LLMUsage(fallback.config.model)

        def answer(example: Example, rules: Intent) -> Intent | None:
            result = ask(settings, fallback, example, rules)
            usage.add(result)
            return result.intent

        best, curve, rules_exact = choose(
            examples,
            rules_parser(base.today),
            answer,
            fallback.wanted,
            max_share=max_share,
        )
    return Calibration(
        dataset=str(dataset),
        model=fallback.config.model,
        examples=len(examples),
        max_share=max_share,
        threshold=best.threshold,
        exact_match=best.exact_match,
        sent=best.sent,
        share=best.share,
        rules_exact_match=rules_exact,
        llm_calls=usage.calls,
        curve=curve,
    )
