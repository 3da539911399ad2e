"""``LLMConfig``: which model the fallback asks, and the limits it keeps to.

Every number here is a named, documented setting (the benchmark harness calibrates them). The
environment variables of SPEC section 4 map onto the fields; an unset ``MOVI_LLM_MODEL`` means
no LLM at all, and low-confidence commands then get a clarifying question.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from movi.errors import ConfigError

ENV_MODEL = "MOVI_LLM_MODEL"
ENV_API_BASE = "MOVI_LLM_API_BASE"
ENV_API_KEY = "MOVI_LLM_API_KEY"
ENV_THRESHOLD = "MOVI_LLM_THRESHOLD"
ENV_TIMEOUT = "MOVI_LLM_TIMEOUT"

PLACEHOLDER_KEY = "movi-no-key"
"""Sent with ``api_base`` and no key: litellm refuses to call without some key ("Missing
credentials"), and a local OpenAI-compatible server does not check it."""


class LLMConfig(BaseModel):
    """The LLM fallback's settings; ``LLMConfig.from_env()`` reads them from the environment."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str = Field(min_length=1, description="a litellm model string, e.g. openai/gpt-4o-mini")
    api_base: str | None = None
    api_key: str | None = Field(default=None, repr=False)
    threshold: float = Field(default=0.6, ge=0.0, le=1.0)
    """Below this rules confidence the LLM is asked; its own answer must reach it to be used."""
    unknown_floor: float = Field(default=0.15, ge=0.0, le=1.0)
    """An ``unknown`` reading goes to the LLM only from this rules confidence up: 0.15 is the
    grammar's "domain words but no pattern"; gibberish and injection (0.05) and requests from
    another domain (0.1) never cost a call."""
    timeout_s: float = Field(default=10.0, gt=0.0)
    """Hard limit for one command's exchange with the model, the retry included."""
    max_examples: int = Field(default=6, ge=0)
    """Labelled examples from the phrasebook put into the prompt, the most similar first."""
    max_tokens: int = Field(default=300, gt=0)
    """The answer is one small JSON object; this caps what a rambling model costs."""
    cache_size: int = Field(default=512, ge=0)
    """Answers kept in the in-process LRU cache (0 turns the cache off)."""
    breaker_failures: int = Field(default=3, ge=1)
    """Consecutive failures after which the LLM is skipped for ``breaker_cooldown_s``."""
    breaker_cooldown_s: float = Field(default=60.0, ge=0.0)
    completion_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Passed through to ``litellm.acompletion`` last (e.g. ``mock_response`` in tests)."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> LLMConfig | None:
        """The configuration in ``MOVI_LLM_*``, or None when ``MOVI_LLM_MODEL`` is unset."""
        env = os.environ if environ is None else environ
        model = env.get(ENV_MODEL, "").strip()
        if not model:
            return None
        settings: dict[str, Any] = {"model": model}
        if env.get(ENV_API_BASE, "").strip():
            settings["api_base"] = env[ENV_API_BASE].strip()
        if env.get(ENV_API_KEY, "").strip():
            settings["api_key"] = env[ENV_API_KEY].strip()
        for name, field in ((ENV_THRESHOLD, "threshold"), (ENV_TIMEOUT, "timeout_s")):
            raw = env.get(name, "").strip()
            if raw:
                settings[field] = _number(name, raw)
        try:
            return cls(**settings)
        except ValueError as exc:
            raise ConfigError(f"the MOVI_LLM_* settings are invalid: {exc}") from exc

    def call_kwargs(self) -> dict[str, Any]:
        """Connection arguments for ``litellm.acompletion`` (model, base URL, key)."""
        kwargs: dict[str, Any] = {"model": self.model}
        if self.api_base:
            kwargs["api_base"] = self.api_base
            kwargs["api_key"] = self.api_key or PLACEHOLDER_KEY
        elif self.api_key:
            kwargs["api_key"] = self.api_key
        return kwargs


def _number(name: str, raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number; set it to e.g. 0.6") from None
