"""Answers a model might give, and configurations that make litellm give them."""

from __future__ import annotations

import json
from typing import Any

from movi.llm import LLMConfig

MODEL = "openai/gpt-4o-mini"
"""A model litellm knows the price of, so cost is recorded; ``mock_response`` means no call
ever leaves the process."""


def answer(
    action: str, slots: dict[str, Any] | None = None, confidence: Any = 0.9, **extra: Any
) -> str:
    return json.dumps({"action": action, "slots": slots or {}, "confidence": confidence, **extra})


def mock(response: Any, **settings: Any) -> LLMConfig:
    """A configuration whose every call answers ``response`` (a string or an exception)."""
    kwargs = {"mock_response": response, **settings.pop("completion_kwargs", {})}
    return LLMConfig(model=MODEL, completion_kwargs=kwargs, **settings)
