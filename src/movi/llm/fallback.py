"""``LLMFallback``: ask a language model what an unclear command means, and never trust it.

One call per command, plus at most one retry when the answer is not the JSON object asked for;
the whole exchange runs under a hard timeout; a circuit breaker skips the model after repeated
failures; an LRU cache answers a repeated (text, page, model, day) without a call. Whatever goes
wrong, :meth:`LLMFallback.ask` returns an :class:`LLMResult` with ``intent=None`` and the
error: the engine then asks the operator instead, as it does without an LLM.

litellm is imported on the first call, never at import time: it costs seconds, and the rules
path must not pay that. ``LITELLM_LOCAL_MODEL_COST_MAP`` is set first, or the import would
download a price list (and hang where the network drops packets).
"""

from __future__ import annotations

import asyncio
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from movi.errors import LLMError
from movi.grammar.spec import GrammarSpec, default_path, load_spec
from movi.intent import Intent
from movi.llm.answer import InvalidAnswer, read_answer
from movi.llm.breaker import CircuitBreaker
from movi.llm.cache import LRUCache
from movi.llm.catalogue import UNKNOWN, Catalogue
from movi.llm.config import LLMConfig
from movi.llm.prompt import Examples, Message, build_messages, prompt_hash, retry_messages

CacheKey = tuple[str, str | None, str, date]


class LLMResult(BaseModel):
    """What one consultation gave: the intent (or None), and what it cost."""

    model_config = ConfigDict(frozen=True)

    model: str
    intent: Intent | None = None
    prompt_hash: str | None = None
    latency_ms: float = 0.0
    tokens: int | None = None
    cost_usd: float | None = None
    error: str | None = None
    cached: bool = False
    calls: int = 0

    def describe(self) -> str:
        """One line for the reply's trace."""
        spent = f"{self.latency_ms:.0f} ms, {self.calls} call(s)"
        if self.tokens:
            spent += f", {self.tokens} tokens"
        if self.intent is None:
            return f"{self.model} gave nothing usable: {self.error} ({spent})"
        intent = self.intent
        how = "cached answer" if self.cached else f"prompt {self.prompt_hash}"
        return (
            f"{self.model} read {intent.action} {intent.slots} confidence "
            f"{intent.confidence:.2f} ({how}; {spent})"
        )


@dataclass
class _Spent:
    calls: int = 0
    tokens: int | None = None
    cost_usd: float | None = None


def import_litellm() -> Any:
    """litellm, imported on first use with the local price list and without its banners."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    # litellm's typed dicts make pydantic warn (at import and at the first call); not ours to fix.
    warnings.filterwarnings("ignore", message=".*`ReadOnly` qualifier", category=UserWarning)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import litellm

    litellm.suppress_debug_info = True
    return litellm


class LLMFallback:
    """Consulted by the engine when the rules are unsure; see the module docstring."""

    def __init__(
        self,
        config: LLMConfig,
        *,
        spec: GrammarSpec | None = None,
        examples: Examples | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._spec = spec
        self._catalogue: Catalogue | None = None
        self._examples = examples
        self.breaker = CircuitBreaker(
            failures=config.breaker_failures, cooldown_s=config.breaker_cooldown_s, clock=clock
        )
        self.cache: LRUCache[CacheKey, LLMResult] = LRUCache(config.cache_size)
        self.calls = 0
        """Completion calls made so far (for the benchmark's LLM-call share)."""
        self._json_mode = True

    @property
    def catalogue(self) -> Catalogue:
        if self._catalogue is None:
            self._catalogue = Catalogue.from_spec(self._spec or load_spec())
        return self._catalogue

    @property
    def examples(self) -> Examples:
        if self._examples is None:
            name = (self._spec.settings.phrasebook if self._spec else None) or "phrasebook.jsonl"
            self._examples = Examples.read(Path(default_path()).parent / name)
        return self._examples

    def wanted(self, intent: Intent, threshold: float | None = None) -> bool:
        """Whether the rules' reading is unsure enough to be worth a call."""
        limit = self.config.threshold if threshold is None else threshold
        if intent.confidence >= limit:
            return False
        if intent.action == UNKNOWN:
            return intent.confidence >= self.config.unknown_floor
        return True

    def messages(
        self, text: str, *, page: str | None, today: date, rules: Intent | None = None
    ) -> list[Message]:
        """The prompt for ``text`` (exposed for tests and for the benchmark's report)."""
        guess = rules if rules is not None and rules.action != UNKNOWN else None
        return build_messages(
            text,
            catalogue=self.catalogue,
            page=page,
            today=today,
            examples=self.examples.nearest(text, self.config.max_examples),
            guess=(guess.action, guess.confidence) if guess else None,
        )

    async def ask(
        self, text: str, *, page: str | None, today: date, rules: Intent | None = None
    ) -> LLMResult:
        """The model's reading of ``text``; never raises (a failure is in ``error``)."""
        started = time.perf_counter()
        model = self.config.model

        def elapsed() -> float:
            return round((time.perf_counter() - started) * 1000, 1)

        key: CacheKey = (" ".join(text.split()), page, model, today)
        hit = self.cache.get(key)
        if hit is not None:
            return hit.model_copy(
                update={
                    "cached": True,
                    "latency_ms": elapsed(),
                    "calls": 0,
                    "tokens": 0,
                    "cost_usd": 0.0,
                }
            )
        if not self.breaker.allow():
            error = LLMError(
                f"skipped: {self.config.breaker_failures} consecutive failures opened the "
                f"circuit breaker; the next call is in {self.breaker.retry_in():.0f} s"
            )
            return LLMResult(model=model, error=str(error), latency_ms=elapsed())
        spent = _Spent()
        digest: str | None = None
        try:
            litellm = import_litellm()
            started = time.perf_counter()  # the import is a one-off cost, not the model's
            messages = self.messages(text, page=page, today=today, rules=rules)
            digest = prompt_hash(messages)
            intent = await asyncio.wait_for(
                self._exchange(litellm, messages, today, spent), timeout=self.config.timeout_s
            )
        except Exception as exc:
            self.breaker.failure()
            return LLMResult(
                model=model,
                prompt_hash=digest,
                latency_ms=elapsed(),
                tokens=spent.tokens,
                cost_usd=spent.cost_usd,
                error=_describe_error(exc, self.config.timeout_s),
                calls=spent.calls,
            )
        self.breaker.success()
        result = LLMResult(
            model=model,
            intent=intent,
            prompt_hash=digest,
            latency_ms=elapsed(),
            tokens=spent.tokens,
            cost_usd=spent.cost_usd,
            calls=spent.calls,
        )
        self.cache.put(key, result)
        return result

    async def _exchange(
        self, litellm: Any, messages: list[Message], today: date, spent: _Spent
    ) -> Intent:
        """One call, and one more only when the first answer is unusable."""
        content = await self._complete(litellm, messages, spent)
        try:
            return self._read(content, today)
        except InvalidAnswer as exc:
            retry = retry_messages(messages, content, exc.message)
        return self._read(await self._complete(litellm, retry, spent), today)

    def _read(self, content: str | None, today: date) -> Intent:
        return read_answer(content, catalogue=self.catalogue, today=today, model=self.config.model)

    async def _complete(self, litellm: Any, messages: list[Message], spent: _Spent) -> str | None:
        kwargs: dict[str, Any] = {
            **self.config.call_kwargs(),
            "messages": messages,
            "temperature": 0,
            "max_tokens": self.config.max_tokens,
            "timeout": self.config.timeout_s,
            "num_retries": 0,
            "drop_params": True,
        }
        if self._json_mode:
            kwargs["response_format"] = {"type": "json_object"}
        kwargs.update(self.config.completion_kwargs)
        self.calls += 1
        spent.calls += 1
        try:
            response = await litellm.acompletion(**kwargs)
        except (litellm.BadRequestError, litellm.UnsupportedParamsError) as exc:
            if "response_format" not in kwargs or "response_format" not in str(exc):
                raise
            # The provider has no JSON mode after all: ask without it from now on.
            self._json_mode = False
            kwargs.pop("response_format")
            self.calls += 1
            spent.calls += 1
            response = await litellm.acompletion(**kwargs)
        _add_usage(litellm, response, spent)
        content = response.choices[0].message.content
        return content if isinstance(content, str) else None


def _add_usage(litellm: Any, response: Any, spent: _Spent) -> None:
    usage = getattr(response, "usage", None)
    tokens = getattr(usage, "total_tokens", None)
    if isinstance(tokens, int):
        spent.tokens = (spent.tokens or 0) + tokens
    try:
        cost = float(litellm.completion_cost(completion_response=response))
    except Exception:
        return  # a model without a known price (a local server) costs "unknown", not an error
    spent.cost_usd = (spent.cost_usd or 0.0) + cost


def _describe_error(exc: Exception, timeout_s: float) -> str:
    if isinstance(exc, LLMError):
        return str(exc)
    if isinstance(exc, TimeoutError):
        return str(LLMError(f"no usable answer within the {timeout_s:g} s timeout"))
    first = (str(exc).strip().splitlines() or [""])[0][:300]
    return str(LLMError(f"the model call failed: {type(exc).__name__}: {first}"))


def prefer(rules: Intent, answer: Intent | None, threshold: float) -> Intent:
    """The reading to act on after consulting the LLM: the model's answer only when it names an
    action with confidence at the threshold (shared by the engine and the bench harness)."""
    if answer is None or answer.action == "unknown" or answer.confidence < threshold:
        return rules
    return answer
