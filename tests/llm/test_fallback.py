"""``LLMFallback`` on its own: one call, one retry at most, a hard timeout, a breaker, a cache."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import pytest
from tests.llm.conftest import Calls
from tests.llm.support import answer, mock

from movi.grammar.spec import load_spec
from movi.intent import Intent
from movi.llm import LLMConfig, LLMFallback

TODAY = date(2026, 11, 28)
SPEC = load_spec()
TEXT = "do something about trip 7"


def fallback(config: LLMConfig, **kwargs: Any) -> LLMFallback:
    return LLMFallback(config, spec=SPEC, **kwargs)


async def ask(llm: LLMFallback, text: str = TEXT, **kwargs: Any) -> Any:
    return await llm.ask(text, page="busDashboard", today=TODAY, **kwargs)


async def test_an_answer_is_read_and_its_cost_kept(calls: Calls) -> None:
    llm = fallback(mock(answer("get_trip_status", {"trip_id": "7"}, 0.8)))
    result = await ask(llm)
    assert result.error is None
    assert result.intent is not None
    assert (result.intent.action, result.intent.slots) == ("get_trip_status", {"trip_id": 7})
    assert (result.calls, len(calls), result.tokens) == (1, 1, 30)
    assert result.cost_usd is not None and result.cost_usd > 0
    assert result.prompt_hash is not None and len(result.prompt_hash) == 16
    sent = calls.sent[0]
    assert sent["temperature"] == 0
    assert sent["response_format"] == {"type": "json_object"}
    assert sent["timeout"] == 10.0
    assert "api_key" not in sent  # no base URL, no key: litellm's own provider settings apply


async def test_the_rules_guess_is_named_in_the_prompt_but_not_its_slots(calls: Calls) -> None:
    llm = fallback(mock(answer("help")))
    rules = Intent(action="get_trip_status", slots={"trip_id": 7}, confidence=0.37)
    await ask(llm, rules=rules)
    system = calls.sent[0]["messages"][0]["content"]
    assert "best guess was get_trip_status (confidence 0.37)" in system


async def test_invalid_output_is_retried_once(calls: Calls) -> None:
    calls.answers = ["Sure! It is get_trip_status.", answer("get_trip_status", {"trip_id": 7})]
    llm = fallback(mock("unused"))
    result = await ask(llm)
    assert result.intent is not None and result.intent.action == "get_trip_status"
    assert (result.calls, result.tokens) == (2, 60)
    retry = calls.sent[1]["messages"]
    assert [m["role"] for m in retry] == ["system", "user", "assistant", "user"]
    assert "not JSON" in retry[-1]["content"]
    assert TEXT not in retry[-1]["content"]  # the command is in the data field only


async def test_invalid_output_twice_is_a_failure_not_an_exception(calls: Calls) -> None:
    llm = fallback(mock('{"action": "cancel_trip"}'))
    result = await ask(llm)
    assert result.intent is None
    assert (result.calls, len(calls)) == (2, 2)
    assert result.error is not None and "M601" in result.error and "confidence" in result.error


async def test_an_exception_is_a_failure_not_an_exception(calls: Calls) -> None:
    result = await ask(fallback(mock(Exception("provider down"))))
    assert result.intent is None
    assert result.calls == 1
    assert result.error is not None and "provider down" in result.error


async def test_a_provider_timeout_is_a_failure(calls: Calls) -> None:
    provider_timeout = {"mock_timeout": True, "timeout": 0.05}  # litellm gives up first
    llm = fallback(mock(answer("help"), timeout_s=1, completion_kwargs=provider_timeout))
    started = time.perf_counter()
    result = await ask(llm)
    assert time.perf_counter() - started < 2
    assert result.intent is None
    assert result.error is not None and "Timeout" in result.error


async def test_a_slow_model_is_cut_off_by_the_hard_timeout(calls: Calls) -> None:
    llm = fallback(mock(answer("help"), timeout_s=0.2, completion_kwargs={"mock_delay": 5}))
    started = time.perf_counter()
    result = await ask(llm)
    assert time.perf_counter() - started < 2
    assert result.intent is None
    assert result.error is not None and "0.2 s timeout" in result.error


async def test_the_cache_answers_a_repeated_command_without_a_call(calls: Calls) -> None:
    llm = fallback(mock(answer("get_trip_status", {"trip_id": 7})))
    first = await ask(llm)
    again = await ask(llm, "  do something   about trip 7 ")
    assert len(calls) == 1
    assert (first.cached, again.cached) == (False, True)
    assert again.intent == first.intent
    assert (again.calls, again.tokens, again.cost_usd) == (0, 0, 0.0)
    other_day = await llm.ask(TEXT, page="busDashboard", today=date(2026, 11, 29))
    other_page = await llm.ask(TEXT, page="manageRoute", today=TODAY)
    assert not other_day.cached and not other_page.cached
    assert len(calls) == 3


async def test_failures_are_not_cached(calls: Calls) -> None:
    llm = fallback(mock("nope"))
    await ask(llm)
    await ask(llm)
    assert len(calls) == 4  # two commands, each with its one retry


async def test_the_breaker_opens_after_repeated_failures_and_closes_after_a_success(
    calls: Calls,
) -> None:
    now = [1000.0]
    llm = fallback(
        mock(Exception("down"), breaker_failures=3, breaker_cooldown_s=60),
        clock=lambda: now[0],
    )
    for _ in range(3):
        assert (await ask(llm)).error is not None
    assert len(calls) == 3
    skipped = await ask(llm)
    assert skipped.intent is None and skipped.calls == 0
    assert skipped.error is not None and "circuit breaker" in skipped.error
    assert len(calls) == 3
    now[0] += 61
    calls.answers = [answer("help")]
    recovered = await ask(llm, "what can you do for me")
    assert recovered.intent is not None and len(calls) == 4
    assert llm.breaker.allow() and not llm.breaker.open


async def test_a_provider_without_json_mode_is_asked_without_it(
    calls: Calls, litellm: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    recording = litellm.acompletion

    async def strict(**kwargs: Any) -> Any:
        if "response_format" in kwargs:
            await recording(**kwargs)
            raise litellm.BadRequestError(
                "response_format is not supported", model=kwargs["model"], llm_provider="openai"
            )
        return await recording(**kwargs)

    monkeypatch.setattr(litellm, "acompletion", strict)
    llm = fallback(mock(answer("help")))
    assert (await ask(llm)).intent is not None
    assert (await ask(llm, "what now")).intent is not None
    assert ["response_format" in sent for sent in calls.sent] == [True, False, False]


@pytest.mark.parametrize(
    ("intent", "wanted"),
    [
        (Intent(action="cancel_trip", confidence=0.91), False),
        (Intent(action="cancel_trip", confidence=0.59), True),
        (Intent(action="unknown", confidence=0.15), True),
        (Intent(action="unknown", confidence=0.1), False),  # a request from another domain
        (Intent(action="unknown", confidence=0.05), False),  # gibberish, injection
    ],
)
def test_only_unsure_readings_are_worth_a_call(intent: Intent, wanted: bool) -> None:
    assert fallback(mock("x")).wanted(intent) is wanted
