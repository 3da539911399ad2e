"""The modes ``movi bench`` compares: what reads each command, and what that cost.

A mode is built by a factory registered by name in :data:`MODES`; ``all`` runs every registered
mode that is available. A factory raises :class:`ModeUnavailable` when it cannot run here (no
LLM configured, an optional extra missing), with the message saying how to make it run. The
``embed`` peer is built in (it needs the optional extra ``movi[embed]``); another peer joins with
``register_mode(name, factory)``.

Each mode that consults an LLM gets a fresh :class:`~movi.llm.LLMFallback`, so no mode is helped
by another's cache.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from movi.bench.metrics import REFERENCE_DAY, Example, Parser, Report
from movi.errors import ConfigError
from movi.intent import Intent
from movi.llm import LLMConfig, LLMFallback, LLMResult
from movi.llm.fallback import prefer


class ModeUnavailable(ConfigError):
    """A benchmark mode cannot run here; the message says what it needs."""

    code = "M110"


@dataclass(frozen=True)
class BenchOptions:
    """What every mode factory is given: the LLM settings, the reference day, and the loop."""

    llm: LLMConfig | None = None
    today: date = REFERENCE_DAY
    threshold: float | None = None
    """Overrides ``llm.threshold`` for the hybrid mode."""
    run: Callable[[Coroutine[Any, Any, Any]], Any] = asyncio.run
    """Runs one coroutine to completion; ``run_modes`` passes one event loop for the whole run
    (litellm keeps its HTTP clients per loop)."""


@dataclass
class LLMUsage:
    """What one mode spent on its LLM."""

    model: str
    commands: int = 0
    calls: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    priced: bool = True
    errors: int = 0

    def add(self, result: LLMResult) -> None:
        self.commands += 1
        self.calls += result.calls
        self.tokens += result.tokens or 0
        if result.cost_usd is not None:
            self.cost_usd += result.cost_usd
        elif result.calls:
            self.priced = False
        if result.intent is None:
            self.errors += 1

    def fields(self, examples: int) -> dict[str, Any]:
        """The report fields this usage fills in."""
        return {
            "model": self.model,
            "llm_commands": self.commands,
            "llm_calls": self.calls,
            "llm_calls_per_100": 100 * self.calls / examples if examples else 0.0,
            "llm_tokens": self.tokens,
            "llm_cost_usd": self.cost_usd if self.priced else None,
            "llm_errors": self.errors,
        }


@dataclass
class Mode:
    """A ready-to-run mode: a parser, and (when it asks an LLM) what it spent."""

    name: str
    parse: Parser
    usage: LLMUsage | None = None
    threshold: float | None = None
    close: Callable[[], None] = field(default=lambda: None)

    def finish(self, report: Report) -> Report:
        """The report with this mode's LLM figures."""
        update: dict[str, Any] = {"threshold": self.threshold}
        if self.usage is not None:
            update.update(self.usage.fields(report.examples))
        return report.model_copy(update=update)


ModeFactory = Callable[[BenchOptions], Mode]


def rules_parser(today: date = REFERENCE_DAY) -> Parser:
    """The offline grammar, with each line's page, selection and the reference day."""
    from movi.parser import grammar

    compiled = grammar()

    def run(example: Example) -> Intent:
        return compiled(
            example.text, page=example.page, today=today, selected_trip_id=example.selected_trip_id
        )

    return run


def fallback_for(options: BenchOptions, mode: str) -> LLMFallback:
    """A fresh fallback (its own cache and breaker), or ModeUnavailable without a model."""
    if options.llm is None:
        raise ModeUnavailable(
            f"mode {mode!r} needs an LLM: set MOVI_LLM_MODEL (a litellm model string, plus "
            "MOVI_LLM_API_BASE / MOVI_LLM_API_KEY as the provider needs) or pass --model"
        )
    from movi.llm.fallback import import_litellm
    from movi.parser import grammar

    import_litellm()  # one-off costs (the import, the catalogue, the phrasebook) are kept
    fallback = LLMFallback(options.llm, spec=grammar().spec)  # out of the latency figures
    fallback.catalogue, fallback.examples  # noqa: B018
    return fallback


def ask(
    options: BenchOptions, fallback: LLMFallback, example: Example, rules: Intent | None
) -> LLMResult:
    result: LLMResult = options.run(
        fallback.ask(example.text, page=example.page, today=options.today, rules=rules)
    )
    return result


def _rules_mode(options: BenchOptions) -> Mode:
    return Mode("rules", rules_parser(options.today))


def _llm_mode(options: BenchOptions) -> Mode:
    fallback = fallback_for(options, "llm")
    usage = LLMUsage(fallback.config.model)

    def parse(example: Example) -> Intent:
        result = ask(options, fallback, example, None)
        usage.add(result)
        if result.intent is None:
            return Intent(action="unknown", confidence=0.0, source="llm")
        return result.intent

    return Mode("llm", parse, usage)


def _hybrid_mode(options: BenchOptions) -> Mode:
    fallback = fallback_for(options, "hybrid")
    threshold = fallback.config.threshold if options.threshold is None else options.threshold
    rules = rules_parser(options.today)
    usage = LLMUsage(fallback.config.model)

    def parse(example: Example) -> Intent:
        intent = rules(example)
        if not fallback.wanted(intent, threshold):
            return intent
        result = ask(options, fallback, example, intent)
        usage.add(result)
        return prefer(intent, result.intent, threshold)

    return Mode("hybrid", parse, usage, threshold=threshold)


def _embed_mode(options: BenchOptions) -> Mode:
    """The embedding peer (:mod:`movi.bench.embed`), imported only when it runs: numpy, torch
    and the model are its cost, and it raises ModeUnavailable without ``movi[embed]``."""
    from movi.bench.embed import embed_mode

    return embed_mode(options)


MODES: dict[str, ModeFactory] = {
    "rules": _rules_mode,
    "embed": _embed_mode,
    "llm": _llm_mode,
    "hybrid": _hybrid_mode,
}
"""Mode name → factory, in the order ``all`` runs them."""


def register_mode(name: str, factory: ModeFactory) -> None:
    """Add a mode (another peer) to ``movi bench``; the name must be new."""
    if name in MODES or name == "all":
        raise ValueError(f"benchmark mode {name!r} is already registered")
    MODES[name] = factory
