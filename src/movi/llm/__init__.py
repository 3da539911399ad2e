"""The LLM fallback: consulted only when the rules are unsure, and never trusted.

``LLMFallback(LLMConfig(...)).ask(text, page=..., today=...)`` returns an :class:`LLMResult`
whose intent has been checked against the catalogue like any rules parse; the engine then runs
it through the same policy, resolution and confirmation steps. litellm is imported on the first
call only.
"""

from movi.llm.answer import InvalidAnswer, read_answer
from movi.llm.breaker import CircuitBreaker
from movi.llm.catalogue import Catalogue
from movi.llm.config import LLMConfig
from movi.llm.fallback import LLMFallback, LLMResult
from movi.llm.prompt import Example, Examples, build_messages, prompt_hash

__all__ = [
    "Catalogue",
    "CircuitBreaker",
    "Example",
    "Examples",
    "InvalidAnswer",
    "LLMConfig",
    "LLMFallback",
    "LLMResult",
    "build_messages",
    "prompt_hash",
    "read_answer",
]
