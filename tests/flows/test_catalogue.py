"""Every action of SPEC section 2 has an executor, or is answered by the engine itself."""

from __future__ import annotations

import pytest
from tests.spec_catalogue import snapshot

from movi.actions import EXECUTORS
from movi.engine import Movi

ENGINE_HANDLED = {
    "help": "completed",
    "explain_decision": "completed",
    "simulate_action": "needs_clarification",  # without a target it asks what to simulate
    "confirm": "rejected",  # nothing waiting for an answer
    "deny": "rejected",
    "choose_option": "rejected",
    "unknown": "needs_clarification",
}
"""Actions about the conversation itself, with what the engine answers in a fresh session."""

SAY = {
    "help": "help",
    "explain_decision": "why?",
    "simulate_action": "what happens if I",
    "confirm": "yes",
    "deny": "no",
    "choose_option": "the second one",
    "unknown": "purple elephants sing",
}


def test_every_catalogue_action_has_an_executor_or_the_engine_handles_it() -> None:
    catalogue = snapshot()
    missing = sorted(a for a in catalogue if a not in EXECUTORS and a not in ENGINE_HANDLED)
    assert not missing, f"no executor and not handled by the engine: {missing}"
    both = sorted(a for a in ENGINE_HANDLED if a in EXECUTORS)
    assert not both, f"an executor that the engine never calls: {both}"
    strays = sorted(set(EXECUTORS) - set(catalogue))
    assert not strays, f"executors for actions the SPEC does not list: {strays}"


def test_executors_write_exactly_when_the_catalogue_says_they_change_something() -> None:
    catalogue = snapshot()
    wrong = sorted(
        name
        for name, executor in EXECUTORS.items()
        if executor.write != (catalogue[name]["kind"] in ("write", "risky", "bulk"))
    )
    assert not wrong, f"write flag disagrees with the SPEC kind: {wrong}"


@pytest.mark.parametrize("action", sorted(ENGINE_HANDLED))
async def test_the_engine_answers_its_own_actions(sqlite_url: str, action: str) -> None:
    movi = await Movi.open(sqlite_url, role="viewer")
    try:
        reply = await movi.handle(
            SAY[action], page="busDashboard", session_id=f"cat-{action}", user_id="u"
        )
    finally:
        await movi.close()
    assert reply.action == action, (reply.action, reply.message)
    assert reply.status == ENGINE_HANDLED[action], reply.message
    assert reply.message.strip()
