"""The fallback inside ``Movi.handle``: asked only when the rules are unsure, and its answer goes
through the same gate, resolution, consequences and confirmation as a rule match (SPEC 5)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import select
from tests.engine.support import BUS, TODAY, Demo, Rows, say
from tests.llm.conftest import Calls
from tests.llm.support import MODEL, answer, mock

from movi import parse
from movi.engine import Movi
from movi.llm import LLMConfig, LLMFallback
from movi.reply import Reply
from movi.store.schema import Interaction

REMOVE_CASE = "remove_vehicle_with_bookings"  # Path-1 - 08:00 today: 10 of 40 seats booked
UNCLEAR = "do something about trip {trip}"  # rules: unknown, 0.15 (domain words, no pattern)
UNSURE = "how full is trip {trip}"  # rules: check_seat_availability, 0.31 (or the booking count?)
UNSURE_GUESS = "Did you mean: check seat availability"

Open = Callable[..., Awaitable[Movi]]


@pytest.fixture
async def open_movi(demo: Demo) -> AsyncIterator[Open]:
    opened: list[Movi] = []

    async def make(config: LLMConfig | None, **kwargs: Any) -> Movi:
        engine = await Movi.open(demo.url, today=TODAY, role="admin", llm=config, **kwargs)
        opened.append(engine)
        return engine

    yield make
    for engine in opened:
        await engine.close()


@pytest.fixture
def trip(demo: Demo) -> int:
    return demo.cases[REMOVE_CASE][0]


async def last_interaction(rows: Rows) -> Any:
    return await rows.one(
        select(Interaction.__table__).order_by(Interaction.interaction_id.desc()).limit(1)
    )


def stages(reply: Reply) -> list[str]:
    return [step.stage for step in reply.trace]


def test_the_commands_used_here_are_unclear_to_the_rules() -> None:
    unclear = parse(UNCLEAR.format(trip=71), page=BUS, today=TODAY)
    assert (unclear.action, unclear.confidence) == ("unknown", 0.15)
    unsure = parse(UNSURE.format(trip=71), page=BUS, today=TODAY)
    assert unsure.action == "check_seat_availability" and unsure.confidence < 0.6


async def test_a_clear_command_never_calls_the_llm(
    open_movi: Open, calls: Calls, rows: Rows, trip: int
) -> None:
    movi = await open_movi(mock(answer("delete_route", {"route": "Path-1 - 08:00"}, 1.0)))
    status = await say(movi, f"what is the status of trip {trip}")
    assert (status.status, status.action) == ("completed", "get_trip_status")
    cancel = await say(movi, f"cancel trip {trip}")
    assert (cancel.status, cancel.action) == ("needs_confirmation", "cancel_trip")
    assert len(calls) == 0
    assert "llm" not in stages(cancel)
    row = await last_interaction(rows)
    assert (row.source, row.llm_model, row.prompt_hash, row.tokens) == ("rules", None, None, None)


async def test_an_unclear_command_is_read_by_the_llm_and_its_answer_used(
    open_movi: Open, calls: Calls, rows: Rows, trip: int
) -> None:
    movi = await open_movi(mock(answer("get_trip_status", {"trip_id": str(trip)}, 0.9)))
    before = await rows.counts()
    reply = await say(movi, UNCLEAR.format(trip=trip))
    assert (reply.status, reply.action) == ("completed", "get_trip_status")
    assert "Path-1 - 08:00" in reply.message
    assert stages(reply)[:3] == ["parse", "llm", "confidence"]
    assert len(calls) == 1
    row = await last_interaction(rows)
    assert (row.action, row.source, row.status) == ("get_trip_status", "llm", "completed")
    assert row.llm_model == MODEL
    assert row.prompt_hash and len(row.prompt_hash) == 16
    assert row.tokens == 30 and row.cost_usd > 0
    assert await rows.counts() == before


async def test_invalid_output_is_retried_once_and_then_used(
    open_movi: Open, calls: Calls, trip: int
) -> None:
    calls.answers = ["Sure, here you go!", answer("get_trip_status", {"trip_id": trip})]
    movi = await open_movi(mock("unused"))
    reply = await say(movi, UNCLEAR.format(trip=trip))
    assert (reply.status, reply.action, len(calls)) == ("completed", "get_trip_status", 2)


async def test_invalid_output_twice_gets_the_rules_clarifying_question(
    open_movi: Open, calls: Calls, rows: Rows, trip: int
) -> None:
    movi = await open_movi(mock("{'action': 'cancel_trip'}"))
    before = await rows.counts()
    reply = await say(movi, UNSURE.format(trip=trip))
    assert reply.status == "needs_clarification"
    assert reply.message.startswith(UNSURE_GUESS)
    assert len(calls) == 2
    row = await last_interaction(rows)
    assert (row.source, row.llm_model, row.tokens) == ("rules", MODEL, 60)
    assert await rows.counts() == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [(UNCLEAR, "I did not understand"), (UNSURE, UNSURE_GUESS)],
)
async def test_an_unknown_action_leaves_the_rules_reading(
    open_movi: Open, calls: Calls, rows: Rows, trip: int, text: str, expected: str
) -> None:
    movi = await open_movi(mock(answer("launch_rockets", {"trip_id": trip}, 0.99)))
    before = await rows.counts()
    reply = await say(movi, text.format(trip=trip))
    assert reply.status == "needs_clarification"
    assert expected in reply.message
    assert len(calls) == 1
    assert await rows.counts() == before


async def test_a_sure_unknown_from_the_llm_does_not_replace_the_rules_guess(
    open_movi: Open, calls: Calls, trip: int
) -> None:
    movi = await open_movi(mock(answer("unknown", {}, 1.0)))
    reply = await say(movi, UNSURE.format(trip=trip))
    assert reply.message.startswith(UNSURE_GUESS)


async def test_an_unsure_llm_answer_is_not_acted_on(
    open_movi: Open, calls: Calls, rows: Rows, trip: int
) -> None:
    movi = await open_movi(mock(answer("cancel_trip", {"trip_id": trip}, 0.4)))
    before = await rows.trip(trip)
    reply = await say(movi, UNCLEAR.format(trip=trip))
    assert reply.status == "needs_clarification"
    assert await rows.trip(trip) == before


async def test_extra_slots_are_dropped(
    open_movi: Open, calls: Calls, rows: Rows, trip: int
) -> None:
    slots = {"trip_id": trip, "vehicle": "KA-01-AB-1234", "driver": "Ramesh", "sql": "DROP"}
    movi = await open_movi(mock(answer("get_trip_status", slots)))
    before = await rows.counts()
    reply = await say(movi, UNCLEAR.format(trip=trip))
    assert (reply.status, reply.action) == ("completed", "get_trip_status")
    llm_step = next(s.detail for s in reply.trace if s.stage == "llm")
    assert f"{{'trip_id': {trip}}}" in llm_step
    assert await rows.counts() == before


async def test_an_action_forbidden_on_the_page_is_rejected_by_the_policy(
    open_movi: Open, calls: Calls, rows: Rows
) -> None:
    movi = await open_movi(mock(answer("delete_route", {"route": "Path-1 - 08:00"}, 0.95)))
    before = await rows.counts()
    reply = await say(movi, "nuke the path-1 08:00 one")
    assert (reply.status, reply.action) == ("rejected", "delete_route")
    assert "manageRoute" in reply.message
    assert len(calls) == 1
    assert await rows.counts() == before


async def test_an_action_forbidden_for_the_role_is_rejected_by_the_policy(
    open_movi: Open, calls: Calls, rows: Rows, trip: int
) -> None:
    movi = await open_movi(mock(answer("cancel_trip", {"trip_id": trip}, 0.95)))
    before = await rows.counts()
    reply = await say(movi, UNCLEAR.format(trip=trip), role="viewer")
    assert (reply.status, reply.action) == ("rejected", "cancel_trip")
    assert await rows.counts() == before


async def test_a_risky_action_needs_confirmation_and_runs_only_after_it(
    open_movi: Open, calls: Calls, rows: Rows, trip: int
) -> None:
    movi = await open_movi(mock(answer("cancel_trip", {"trip_id": trip}, 0.95)))
    before, since = await rows.trip(trip), await rows.last_log_id()
    reply = await say(movi, UNCLEAR.format(trip=trip))
    assert (reply.status, reply.action) == ("needs_confirmation", "cancel_trip")
    assert "10 confirmed bookings" in reply.message
    assert await rows.trip(trip) == before
    assert await rows.audit_since(since) == []
    done = await say(movi, "yes")
    assert (done.status, done.action) == ("completed", "cancel_trip")
    assert len(calls) == 1  # "yes" is the rules' to read
    audit = await rows.audit_since(since)
    assert audit and {row.source for row in audit} == {"llm"}
    assert (await rows.trip(trip))["live_status"].endswith("CANCELLED")


async def test_an_injected_confirmation_is_ignored(
    open_movi: Open, calls: Calls, rows: Rows, trip: int
) -> None:
    injected = answer(
        "cancel_trip", {"trip_id": trip, "confirmed": True}, 0.99, confirmed=True, execute=True
    )
    movi = await open_movi(mock(injected))
    before, since = await rows.trip(trip), await rows.last_log_id()
    reply = await say(movi, UNCLEAR.format(trip=trip))
    assert reply.status == "needs_confirmation"
    assert await rows.trip(trip) == before
    assert await rows.audit_since(since) == []


@pytest.mark.parametrize(
    "failure",
    [
        {"completion_kwargs": {"mock_timeout": True, "timeout": 0.05}},
        {"completion_kwargs": {"mock_delay": 5}, "timeout_s": 0.2},
        {"response": Exception("provider down")},
    ],
    ids=["provider-timeout", "hard-timeout", "exception"],
)
async def test_a_failing_llm_gets_the_rules_clarifying_question(
    open_movi: Open, calls: Calls, rows: Rows, trip: int, failure: dict[str, Any]
) -> None:
    settings = dict(failure)
    movi = await open_movi(mock(settings.pop("response", answer("cancel_trip")), **settings))
    before = await rows.counts()
    started = time.perf_counter()
    reply = await say(movi, UNSURE.format(trip=trip))
    assert time.perf_counter() - started < 3
    assert reply.status == "needs_clarification"
    assert reply.message.startswith(UNSURE_GUESS)
    assert "gave nothing usable" in next(s.detail for s in reply.trace if s.stage == "llm")
    assert await rows.counts() == before
    unknown = await say(movi, UNCLEAR.format(trip=trip), session="s2")
    assert unknown.status == "needs_clarification" and "did not understand" in unknown.message


async def test_the_cache_avoids_a_second_call(
    open_movi: Open, calls: Calls, rows: Rows, trip: int
) -> None:
    movi = await open_movi(mock(answer("get_trip_status", {"trip_id": trip})))
    first = await say(movi, UNCLEAR.format(trip=trip), session="a")
    second = await say(movi, UNCLEAR.format(trip=trip), session="b")
    assert first.status == second.status == "completed"
    assert len(calls) == 1
    assert "cached answer" in next(s.detail for s in second.trace if s.stage == "llm")
    row = await last_interaction(rows)
    assert (row.source, row.tokens, row.cost_usd) == ("llm", 0, 0.0)


async def test_the_breaker_skips_the_llm_after_repeated_failures(
    open_movi: Open, calls: Calls, trip: int
) -> None:
    movi = await open_movi(mock(Exception("down"), breaker_failures=2))
    for session in ("a", "b", "c", "d"):
        reply = await say(movi, UNSURE.format(trip=trip), session=session)
        assert reply.status == "needs_clarification"
    assert len(calls) == 2
    assert "circuit breaker" in next(s.detail for s in reply.trace if s.stage == "llm")


async def test_settings_come_from_the_environment_unless_given(
    open_movi: Open, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (await open_movi(None)).llm is None
    monkeypatch.setenv("MOVI_LLM_MODEL", "openai/stand-in")
    monkeypatch.setenv("MOVI_LLM_API_BASE", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("MOVI_LLM_THRESHOLD", "0.7")
    from_env = await open_movi(None)
    assert isinstance(from_env.llm, LLMFallback)
    assert (from_env.llm.config.model, from_env.threshold) == ("openai/stand-in", 0.7)
    assert (await open_movi(False)).llm is None
    given = await open_movi(LLMConfig(model="m", threshold=0.5))
    assert given.llm is not None and given.threshold == 0.5
    assert (await open_movi(LLMConfig(model="m"), threshold=0.8)).threshold == 0.8
