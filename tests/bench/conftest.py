"""Fixtures of the harness tests: no network, litellm's own ``mock_response`` at the boundary.

Every completion call goes through ``llm``: it records the command and answers with
``mock_response`` (the answer scripted for that command, else the default), so nothing ever
leaves the process, whichever configuration the code under test built.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from tests.bench.support import Script
from tests.llm.test_http import stand_in  # noqa: F401  (the stand-in server fixture)

from movi.bench import MODES
from movi.llm.fallback import import_litellm


@pytest.fixture(autouse=True)
def no_llm_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's MOVI_LLM_* settings must not reach a real provider from these tests."""
    for name in ("MODEL", "API_BASE", "API_KEY", "THRESHOLD", "TIMEOUT"):
        monkeypatch.delenv(f"MOVI_LLM_{name}", raising=False)


@pytest.fixture(autouse=True)
def no_embed_peer(monkeypatch: pytest.MonkeyPatch) -> None:
    """The harness tests run the modes they name: ``all`` must not load the embedding model on
    a machine that has the ``embed`` extra (tests/bench/test_embed.py registers its own)."""
    monkeypatch.delitem(MODES, "embed", raising=False)


@pytest.fixture(scope="session")
def litellm() -> Any:
    return import_litellm()


@pytest.fixture
def llm(litellm: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Script]:
    real = litellm.acompletion
    script = Script()

    async def scripted(**kwargs: Any) -> Any:
        command = json.loads(kwargs["messages"][1]["content"])["command"]
        script.commands.append(command)
        reply = script.answers.get(command, script.default)
        return await real(**{**kwargs, "mock_response": reply})

    monkeypatch.setattr(litellm, "acompletion", scripted)
    yield script
