"""Conversations: questions and their answers, "this trip", refusals by page and role, "why?",
the interactions record, and the role the library insists on, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from tests.engine.support import BUS, ROUTES, TODAY, Demo, Rows, mentions, no_labels, say

from movi.engine import Movi
from movi.errors import ConfigError
from movi.reply import Reply
from movi.store.schema import Interaction

REMOVE_CASE = "remove_vehicle_with_bookings"  # Path-1 - 08:00 today: KA-01-AB-1234, 10 of 40 seats
SAME_NAME = "same_name_several_times"  # Path-1 today at 07:00, 08:00 and 09:30
PATH_1_LABELS = ("Path-1 - 07:00", "Path-1 - 08:00", "Path-1 - 09:30", "KA-01-AB-1234")


# --- clarification with options, then a choice ------------------------------------------------


async def ask_which_path_1_trip(movi: Movi, rows: Rows, session: str) -> Reply:
    asked = await say(movi, "show details of the Path-1 trip", session=session)
    assert asked.status == "needs_clarification", asked.message
    labels = [o.label for o in asked.options]
    assert [o.number for o in asked.options] == list(range(1, len(labels) + 1))
    assert labels[:3] == [
        f"{name} (trip {await rows.trip_id(name)}, {TODAY.isoformat()})"
        for name in PATH_1_LABELS[:3]
    ]
    mentions(asked, "Which one?", *(f"{o.number}. {o.label}" for o in asked.options))
    return asked


@pytest.mark.parametrize(
    ("answer", "chosen"),
    [
        ("2", "Path-1 - 08:00"),
        ("the second one", "Path-1 - 08:00"),
        ("option 2", "Path-1 - 08:00"),
        ("Path-1 - 09:30", "Path-1 - 09:30"),
        ("the 9:30 one", "Path-1 - 09:30"),
    ],
)
async def test_a_choice_answers_the_clarification(
    read_movi: Movi, shared_rows: Rows, answer: str, chosen: str
) -> None:
    session = f"choose-{answer}"
    asked = await ask_which_path_1_trip(read_movi, shared_rows, session)
    trip = await shared_rows.trip_id(chosen)
    assert trip in [o.id for o in asked.options]

    reply = await say(read_movi, answer, session=session)
    assert reply.status == "completed", reply.message
    assert reply.action == "get_trip_details"
    mentions(reply, chosen, f"trip {trip}")
    assert reply.data["trip_id"] == trip
    # The question is answered: the same answer again answers nothing.
    assert (await say(read_movi, answer, session=session)).status != "completed"


async def test_an_answer_that_fits_no_option_asks_again(read_movi: Movi, shared_rows: Rows) -> None:
    asked = await ask_which_path_1_trip(read_movi, shared_rows, "no-fit")
    for answer in ("yes", "option 9"):
        again = await say(read_movi, answer, session="no-fit")
        assert again.status == "needs_clarification", again.message
        assert again.options == asked.options
    chosen = await say(read_movi, "3", session="no-fit")
    assert chosen.status == "completed"
    mentions(chosen, "Path-1 - 09:30")


async def test_a_chosen_trip_is_changed_after_confirmation(
    movi: Movi, rows: Rows, demo: Demo
) -> None:
    trip = await rows.trip_id("Path-1 - 09:30")
    others = [t for t in demo.cases[SAME_NAME] if t != trip]
    before = {t: await rows.trip(t) for t in others}
    asked = await say(movi, "cancel the Path-1 trip")
    assert asked.status == "needs_clarification"
    confirm = await say(movi, "Path-1 - 09:30")
    assert confirm.status == "needs_confirmation", confirm.message
    mentions(confirm, "Path-1 - 09:30")
    assert (await rows.trip(trip))["live_status"] == "SCHEDULED"
    done = await say(movi, "yes")
    assert done.status == "completed", done.message
    assert (await rows.trip(trip))["live_status"] == "CANCELLED"
    assert {t: await rows.trip(t) for t in others} == before


# --- "this trip" -------------------------------------------------------------------------------


async def test_cancel_it_with_a_selected_trip_acts_on_that_trip(
    movi: Movi, rows: Rows, demo: Demo
) -> None:
    trip = demo.cases[REMOVE_CASE][0]
    asked = await say(movi, "cancel it", selected=trip)
    assert asked.status == "needs_confirmation", asked.message
    assert asked.action == "cancel_trip"
    mentions(asked, "Path-1 - 08:00", "10 confirmed bookings")
    assert (await rows.trip(trip))["live_status"] == "SCHEDULED"
    done = await say(movi, "yes")
    assert done.status == "completed", done.message
    assert (await rows.trip(trip))["live_status"] == "CANCELLED"


async def test_this_trip_is_the_selected_trip(movi: Movi, rows: Rows, demo: Demo) -> None:
    trip = demo.cases[REMOVE_CASE][0]
    asked = await say(movi, "remove the vehicle from this trip", selected=trip)
    assert asked.status == "needs_confirmation"
    mentions(asked, "Path-1 - 08:00 is already 25% booked by employees (10 of 40 seats)")
    done = await say(movi, "yes")
    assert done.status == "completed"
    assert (await rows.trip(trip))["vehicle_id"] is None


@pytest.mark.parametrize(
    "text",
    [
        "cancel it",
        "cancel this trip",
        "remove the vehicle from this trip",
        "delay it by 10 minutes",
    ],
)
async def test_this_trip_without_a_selection_asks_which_and_never_guesses(
    read_movi: Movi, text: str
) -> None:
    session = f"which-{text}"
    reply = await say(read_movi, text, session=session)
    assert reply.status == "needs_clarification", reply.message
    mentions(reply, "Which trip?")
    assert reply.options == []
    no_labels(reply, PATH_1_LABELS)
    # Nothing is waiting that a "yes" could run (read_movi checks that nothing was written).
    assert (await say(read_movi, "yes", session=session)).status == "rejected"


# --- refusals by page and by role --------------------------------------------------------------


def refused_without_data(reply: Reply) -> None:
    assert reply.status == "rejected", reply.message
    no_labels(reply, PATH_1_LABELS)
    assert "confirmed" not in reply.message and "seats" not in reply.message
    assert (reply.options, reply.consequences, reply.data) == ([], [], None)
    assert [step.stage for step in reply.trace if step.stage == "resolve"] == []


@pytest.mark.parametrize(
    ("text", "page", "where"),
    [
        ("cancel the 8am Path-1 trip", ROUTES, "busDashboard"),
        ("remove the vehicle from trip {trip}", ROUTES, "busDashboard"),
        ("show details of the 8am Path-1 trip", ROUTES, "busDashboard"),
        ("list all stops", BUS, "manageRoute"),
        ("rename stop Peenya to Peenya Metro", BUS, "manageRoute"),
        ("cancel the 8am Path-1 trip", None, "busDashboard"),
    ],
)
async def test_the_wrong_page_is_refused_before_anything_is_looked_up(
    read_movi: Movi, shared_demo: Demo, text: str, page: str | None, where: str
) -> None:
    text = text.format(trip=shared_demo.cases[REMOVE_CASE][0])
    reply = await say(read_movi, text, page=page, session=f"page-{text}-{page}")
    refused_without_data(reply)
    mentions(reply, where)


@pytest.mark.parametrize(
    ("role", "text"),
    [
        ("viewer", "cancel the 8am Path-1 trip"),
        ("viewer", "assign KA-01-AB-1234 to the Path-1 9:30 trip"),
        ("viewer", "add 2 bookings to trip {trip}"),
        ("planner", "cancel the 8am Path-1 trip"),
        ("planner", "remove the vehicle from trip {trip}"),
        ("operator", "cancel all trips tomorrow"),
        ("operator", "cancel all Path-1 trips tomorrow"),
        ("intern", "show details of the 8am Path-1 trip"),
    ],
)
async def test_a_role_that_may_not_is_refused_before_anything_is_looked_up(
    read_movi: Movi, shared_demo: Demo, role: str, text: str
) -> None:
    text = text.format(trip=shared_demo.cases[REMOVE_CASE][0])
    reply = await say(read_movi, text, role=role, session=f"role-{role}-{text}")
    refused_without_data(reply)
    mentions(reply, role)


async def test_a_viewer_may_read(read_movi: Movi) -> None:
    reply = await say(read_movi, "show details of the 8am Path-1 trip", role="viewer")
    assert reply.status == "completed"
    mentions(reply, "Path-1 - 08:00")


async def test_the_role_is_checked_again_when_the_confirmation_comes(
    movi: Movi, rows: Rows, demo: Demo
) -> None:
    trip = demo.cases[REMOVE_CASE][0]
    before = await rows.trip(trip)
    assert (await say(movi, f"cancel trip {trip}", role="operator")).status == "needs_confirmation"
    answer = await say(movi, "yes", role="viewer")
    assert answer.status == "rejected"
    mentions(answer, "viewer")
    assert await rows.trip(trip) == before


# --- why? --------------------------------------------------------------------------------------


async def test_explain_decision_after_a_confirmation(movi: Movi, rows: Rows, demo: Demo) -> None:
    trip = demo.cases[REMOVE_CASE][0]
    assert (await say(movi, f"remove the vehicle from trip {trip}")).status == "needs_confirmation"
    for question in ("why?", "explain your last decision"):
        why = await say(movi, question)
        assert why.status == "completed", why.message
        assert why.action == "explain_decision"
        mentions(why, "asked for confirmation", "remove_vehicle", "10 confirmed bookings")
        mentions(why, "the policy requires confirmation", "bookings > 0")
    # Asking why leaves the question open.
    done = await say(movi, "yes")
    assert done.status == "completed", done.message
    assert (await rows.trip(trip))["vehicle_id"] is None


async def test_explain_decision_after_a_refusal(read_movi: Movi, shared_demo: Demo) -> None:
    trip = shared_demo.cases["no_vehicle"][0]
    refused = await say(read_movi, f"assign KA-53-GH-0999 to trip {trip}", session="why-no")
    assert refused.status == "rejected"
    why = await say(read_movi, "why did you refuse that", session="why-no")
    assert why.status == "completed", why.message
    mentions(why, "I refused", "assign_vehicle", "BLOCKED", "not AVAILABLE")


async def test_explain_decision_before_any_decision(read_movi: Movi) -> None:
    why = await say(read_movi, "explain your last decision", session="why-nothing")
    assert why.status == "completed"
    mentions(why, "not made a decision")


# --- the record of every message ---------------------------------------------------------------


async def test_every_handled_message_adds_an_interaction(
    movi: Movi, rows: Rows, demo: Demo
) -> None:
    trip = demo.cases[REMOVE_CASE][0]
    script: list[tuple[str, dict[str, object]]] = [
        (f"show details of trip {trip}", {}),
        (f"remove the vehicle from trip {trip}", {}),
        ("why?", {}),
        ("no", {}),
        ("blah blah", {}),
        ("", {}),
        ("cancel it", {}),
        ("list all stops", {}),
        (f"cancel trip {trip}", {"role": "viewer"}),
        ("yes", {"session": "elsewhere"}),
    ]
    before = await rows.interactions()
    replies = [await say(movi, text, **options) for text, options in script]  # type: ignore[arg-type]
    assert await rows.interactions() == before + len(script)
    recorded = await rows.all(
        select(
            Interaction.text,
            Interaction.action,
            Interaction.status,
            Interaction.source,
            Interaction.session_id,
            Interaction.user_id,
            Interaction.confidence,
            Interaction.page,
        ).order_by(Interaction.interaction_id)
    )
    recorded = recorded[-len(script) :]
    assert [r.text for r in recorded] == [text for text, _ in script]
    assert [r.status for r in recorded] == [reply.status for reply in replies]
    assert [r.action for r in recorded[:4]] == [
        "get_trip_details",
        "remove_vehicle",
        "explain_decision",
        "deny",
    ]
    assert all(r.source == "rules" and r.user_id == "ops-7" and r.page == BUS for r in recorded)
    assert all(0.0 <= r.confidence <= 1.0 for r in recorded)
    assert recorded[-1].session_id == "elsewhere"


# --- the role is never assumed -----------------------------------------------------------------


async def test_without_any_role_handle_raises_config_error(demo: Demo, rows: Rows) -> None:
    movi = await Movi.open(demo.url, today=TODAY)
    try:
        with pytest.raises(ConfigError, match="role"):
            await say(movi, "show details of trip 71")
        assert (await say(movi, "show details of trip 71", role="viewer")).status == "completed"
    finally:
        await movi.close()
    assert await rows.interactions() == 1  # the refused call was not handled


async def test_a_role_function_that_knows_nobody_raises_config_error(demo: Demo) -> None:
    roles = {"ops-7": "operator"}
    movi = await Movi.open(demo.url, today=TODAY, role=roles.get)
    try:
        reply = await say(movi, "cancel all trips tomorrow", user="ops-7")
        assert reply.status == "rejected"
        mentions(reply, "operator")
        with pytest.raises(ConfigError):
            await say(movi, "show details of trip 71", user="stranger")
    finally:
        await movi.close()
