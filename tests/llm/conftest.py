"""Fixtures of the LLM tests: no network, litellm's own ``mock_response`` at the boundary.

litellm is imported once per session (it costs seconds). ``calls`` wraps ``litellm.acompletion``
so a test can count the calls, read what was sent, and queue a different mock answer per call;
the real litellm still runs, and so do movi's prompt building, parsing and validation.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from tests.engine.support import Demo, Rows, build

from movi.llm.fallback import import_litellm

ENV = (
    "MOVI_LLM_MODEL",
    "MOVI_LLM_API_BASE",
    "MOVI_LLM_API_KEY",
    "MOVI_LLM_THRESHOLD",
    "MOVI_LLM_TIMEOUT",
)


@pytest.fixture(autouse=True)
def no_llm_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's MOVI_LLM_* settings must not reach a real provider from these tests."""
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def litellm() -> Any:
    return import_litellm()


@dataclass
class Calls:
    """What reached ``litellm.acompletion``; ``answers`` replace ``mock_response`` in order."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    answers: list[Any] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.sent)


@pytest.fixture
def calls(litellm: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Calls]:
    real = litellm.acompletion
    log = Calls()

    async def recording(**kwargs: Any) -> Any:
        log.sent.append(kwargs)
        if log.answers:
            kwargs = {**kwargs, "mock_response": log.answers.pop(0)}
        return await real(**kwargs)

    monkeypatch.setattr(litellm, "acompletion", recording)
    yield log


@pytest.fixture
async def demo(sqlite_url: str) -> Demo:
    """The default demo (today 2026-11-28) on a SQLite file of this test's own."""
    return await build(sqlite_url)


@pytest.fixture
async def rows(demo: Demo) -> AsyncIterator[Rows]:
    found = Rows(demo.url)
    try:
        yield found
    finally:
        await found.close()
