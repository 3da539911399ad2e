"""Undo, simulate and explain: the conversation's own tools, checked against the rows.

Undo restores the session's last write from its audit row and is audited itself; it refuses when
someone changed the entity since. A simulation writes nothing at all. "Why?" explains the last
decision with its numbers and the rule behind it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from tests.flows.support import BUS, ROUTES, Db, Demo, mentions, say

from movi.engine import Movi
from movi.store.schema import Booking, DailyTrip, Path, PathStop, Route, Stop

# --- undo --------------------------------------------------------------------------------------


async def confirmed_ids(db: Db, trip_id: int) -> set[int]:
    rows = await db.all(
        select(Booking.booking_id).where(Booking.trip_id == trip_id, Booking.status == "CONFIRMED")
    )
    return {int(r[0]) for r in rows}


async def test_undo_restores_a_cancelled_trip_and_its_bookings(
    movi: Movi, db: Db, demo: Demo
) -> None:
    trip = demo.cases["remove_vehicle_with_bookings"][0]
    bookings = await confirmed_ids(db, trip)
    assert bookings
    before = await db.trip(trip)
    start = await db.last_log_id()
    assert (await say(movi, f"cancel trip {trip}")).status == "needs_confirmation"
    assert (await say(movi, "yes")).status == "completed"
    assert str((await db.trip(trip)).live_status) == "CANCELLED"
    assert await confirmed_ids(db, trip) == set()
    [cancel] = await db.audit_since(start)
    assert (cancel.action, cancel.entity_id) == ("cancel_trip", trip)

    undone = await say(movi, "undo")
    assert (undone.status, undone.action) == ("completed", "undo_last_action")
    mentions(undone, "Undid cancel trip")
    after = await db.trip(trip)
    assert str(after.live_status) == str(before.live_status) == "SCHEDULED"
    assert await confirmed_ids(db, trip) == bookings
    audit = await db.one_audit(
        cancel.log_id, action="undo_last_action", entity_type="trip", entity_id=trip
    )
    assert audit.after_state["undid"] == [cancel.log_id]

    since = await db.last_log_id()
    again = await say(movi, "undo")
    assert (again.status, again.action) == ("rejected", "undo_last_action")
    mentions(again, "nothing to undo")
    assert await db.audit_since(since) == []
    assert await confirmed_ids(db, trip) == bookings


async def test_undo_a_bulk_cancel_restores_every_trip(movi: Movi, db: Db) -> None:
    tomorrow = date(2026, 11, 29)
    rows = await db.all(
        select(DailyTrip.trip_id, DailyTrip.live_status).where(
            DailyTrip.trip_date == tomorrow,
            DailyTrip.display_name.like("Path-1 - %"),
            DailyTrip.live_status.in_(["SCHEDULED", "DELAYED"]),
        )
    )
    trips = {int(t): str(s) for t, s in rows}
    assert len(trips) > 1
    bookings = {t: await confirmed_ids(db, t) for t in trips}
    assert (await say(movi, "cancel all Path-1 trips tomorrow")).status == "needs_confirmation"
    since = await db.last_log_id()
    assert (await say(movi, "yes")).status == "completed"
    written = await db.audit_since(since)
    assert sorted(r.entity_id for r in written) == sorted(trips)
    assert len({r.created_at for r in written}) == 1  # one write, one moment

    undo_from = await db.last_log_id()
    undone = await say(movi, "undo")
    assert undone.status == "completed", undone.message
    mentions(undone, f"{len(trips)} changes")
    for trip, status in trips.items():
        assert str((await db.trip(trip)).live_status) == status
        assert await confirmed_ids(db, trip) == bookings[trip]
    audit = await db.audit_since(undo_from)
    assert sorted(r.entity_id for r in audit) == sorted(trips)
    assert {r.action for r in audit} == {"undo_last_action"}


async def test_undo_only_concerns_the_own_session(movi: Movi, db: Db, demo: Demo) -> None:
    trip = demo.cases["remove_vehicle_with_bookings"][0]
    assert (await say(movi, f"cancel trip {trip}", session="a")).status == "needs_confirmation"
    assert (await say(movi, "yes", session="a")).status == "completed"
    since = await db.last_log_id()
    other = await say(movi, "undo", session="b")
    assert other.status == "rejected"
    mentions(other, "nothing to undo")
    assert await db.audit_since(since) == []
    assert str((await db.trip(trip)).live_status) == "CANCELLED"


async def test_undo_is_refused_when_the_trip_changed_meanwhile(
    movi: Movi, db: Db, demo: Demo
) -> None:
    trip = demo.cases["remove_vehicle_with_bookings"][0]
    first = await say(movi, f"delay trip {trip} by 10 minutes", session="a")
    if first.status == "needs_confirmation":
        first = await say(movi, "yes", session="a")
    assert first.status == "completed"
    later = await say(movi, f"delay trip {trip} by 5 minutes", session="b", user="ops-8")
    if later.status == "needs_confirmation":
        later = await say(movi, "yes", session="b", user="ops-8")
    assert later.status == "completed"
    assert (await db.trip(trip)).delay_minutes == 15

    since = await db.last_log_id()
    refused = await say(movi, "undo", session="a")
    assert (refused.status, refused.action) == ("rejected", "undo_last_action")
    mentions(refused, f"trip {trip}", "changed again", "ops-8", "delay_trip")
    assert [c.code for c in refused.consequences] == ["undo_changed"]
    assert (await db.trip(trip)).delay_minutes == 15
    assert await db.audit_since(since) == []


async def test_undo_a_stop_rename(movi: Movi, db: Db) -> None:
    stop = await db.stop_id("Temple")
    assert (await say(movi, "rename stop Temple to Temple Road", page=ROUTES)).status == "completed"
    since = await db.last_log_id()
    undone = await say(movi, "undo", page=ROUTES)
    assert undone.status == "completed"
    assert await db.stop_id("Temple") == stop
    assert await db.stop_id("Temple Road") is None
    await db.one_audit(since, action="undo_last_action", entity_type="stop", entity_id=stop)


async def test_undo_a_route_deactivation_brings_its_trips_back(movi: Movi, db: Db) -> None:
    name = "Path-2 - 08:00"
    trips = await db.upcoming_trips(name)
    bookings = {t: await confirmed_ids(db, t) for t in trips}
    assert (await say(movi, f"deactivate route {name}", page=ROUTES)).status == (
        "needs_confirmation"
    )
    assert (await say(movi, "yes", page=ROUTES)).status == "completed"
    assert await db.upcoming_trips(name) == {}
    undone = await say(movi, "undo", page=ROUTES)
    assert undone.status == "completed"
    assert str((await db.route(name)).status) == "ACTIVE"
    assert await db.upcoming_trips(name) == trips
    assert {t: await confirmed_ids(db, t) for t in trips} == bookings


async def test_undo_a_route_deletion_puts_it_back(movi: Movi, db: Db) -> None:
    name = "Path-9 - 21:00"
    route = await db.route(name)
    assert (await say(movi, f"delete route {name}", page=ROUTES)).status == "completed"
    assert await db.route(name) is None
    undone = await say(movi, "undo", page=ROUTES)
    assert undone.status == "completed"
    assert await db.route(name) == route


NETWORK_WRITES = {
    "create_path": "create path Outer Ring with Peenya and BTM",
    "update_path_stops": "change the stops of Path-2 to Hebbal, Silk Board and Electronic City",
    "delete_stop": "delete stop Malleshwaram",
    "duplicate_route": "duplicate route Path-2 - 08:00 at 9:15",
    "create_route": "create a route on Path-2 at 10:45 for drop",
}


async def network(db: Db) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the static network, to compare before and after."""
    tables = {"stops": Stop, "paths": Path, "path_stops": PathStop, "routes": Route}
    found = {}
    for name, model in tables.items():
        rows = await db.all(select(model.__table__))
        found[name] = sorted(tuple(r) for r in rows)
    return found


@pytest.mark.parametrize("action", list(NETWORK_WRITES))
async def test_undo_a_network_write_restores_the_network(movi: Movi, db: Db, action: str) -> None:
    before = await network(db)
    reply = await say(movi, NETWORK_WRITES[action], page=ROUTES)
    if reply.status == "needs_confirmation":
        reply = await say(movi, "yes", page=ROUTES)
    assert (reply.status, reply.action) == ("completed", action), reply.message
    assert await network(db) != before
    undone = await say(movi, "undo", page=ROUTES)
    assert undone.status == "completed", undone.message
    assert await network(db) == before


async def test_undo_a_created_trip_removes_it(movi: Movi, db: Db) -> None:
    for answer in ("create a new trip", "Path-2 - 08:00", "3 Dec", "skip", "skip"):
        await say(movi, answer)
    assert (await say(movi, "yes")).status == "completed"
    day = select(DailyTrip.trip_id).where(DailyTrip.trip_date == date(2026, 12, 3))
    assert len(await db.all(day)) == 1
    assert (await say(movi, "undo")).status == "completed"
    assert await db.all(day) == []


# --- simulate ----------------------------------------------------------------------------------


async def test_simulate_remove_vehicle_writes_nothing_and_gives_the_numbers(
    movi: Movi, db: Db, demo: Demo
) -> None:
    trip = demo.cases["remove_vehicle_with_bookings"][0]
    booked = await db.confirmed(trip)
    before = await db.counts()
    state = await db.trip(trip)
    reply = await say(movi, f"what happens if I remove the vehicle from trip {trip}")
    assert (reply.status, reply.action) == ("completed", "simulate_action")
    assert reply.data["target_action"] == "remove_vehicle"
    assert reply.data["verdict"] == "confirm"
    mentions(reply, f"{booked} of 40 seats", "cancel these bookings", "Nothing was changed")
    assert [c.code for c in reply.consequences] == ["bookings_affected"]
    assert await db.counts() == before
    assert await db.trip(trip) == state
    # Nothing is left waiting: a "yes" now confirms nothing.
    after = await say(movi, "yes")
    assert after.status == "rejected"
    assert await db.counts() == before
    assert await db.confirmed(trip) == booked


SIMULATIONS: dict[str, tuple[str, str, str]] = {
    "refused": (BUS, "what happens if I assign KA-53-GH-0999 to trip {empty}", "refuse"),
    "bulk": (BUS, "what happens if I cancel all trips tomorrow", "confirm"),
    "cancel": (BUS, "what happens if I cancel trip {busy}", "confirm"),
    "network": (ROUTES, "what happens if I deactivate route Path-2 - 08:00", "confirm"),
}


@pytest.mark.parametrize("name", list(SIMULATIONS))
async def test_simulations_write_nothing(movi: Movi, db: Db, demo: Demo, name: str) -> None:
    page, text, verdict = SIMULATIONS[name]
    words: dict[str, Any] = {
        "empty": demo.cases["no_vehicle"][0],
        "busy": demo.cases["remove_vehicle_with_bookings"][0],
    }
    before = await db.counts()
    reply = await say(movi, text.format(**words), page=page)
    assert (reply.status, reply.action) == ("completed", "simulate_action"), reply.message
    assert reply.data["verdict"] == verdict
    mentions(reply, "Nothing was changed")
    assert await db.counts() == before
    assert (await say(movi, "yes", page=page)).status == "rejected"
    assert await db.counts() == before


# --- explain -----------------------------------------------------------------------------------


async def test_why_explains_a_confirmation_with_numbers_and_rule(
    movi: Movi, db: Db, demo: Demo
) -> None:
    trip = demo.cases["remove_vehicle_with_bookings"][0]
    booked = await db.confirmed(trip)
    assert (await say(movi, f"remove the vehicle from trip {trip}")).status == "needs_confirmation"
    before = await db.counts()
    why = await say(movi, "why?")
    assert (why.status, why.action) == ("completed", "explain_decision")
    mentions(
        why,
        "I asked for confirmation",
        f"trip {trip}",
        f"{booked} confirmed bookings",
        "remove_vehicle",
        "bookings > 0",
    )
    assert why.data["rule"] == "actions.remove_vehicle.confirm.bookings_affected"
    assert await db.counts() == before
    # Asking why does not drop the question: the "yes" still runs it.
    done = await say(movi, "yes")
    assert (done.status, done.action) == ("completed", "remove_vehicle")
    assert await db.confirmed(trip) == 0


async def test_why_explains_a_refusal(movi: Movi, db: Db) -> None:
    paths = await db.paths_using_stop("Peenya")
    assert (await say(movi, "delete stop Peenya", page=ROUTES)).status == "rejected"
    why = await say(movi, "why?", page=ROUTES)
    assert why.status == "completed"
    mentions(why, "I refused", "delete_stop", "Peenya", f"{len(paths)} path", "paths still use")


async def test_why_before_any_decision(movi: Movi) -> None:
    why = await say(movi, "why?", session="fresh")
    assert why.status == "completed"
    mentions(why, "not made a decision")


async def test_a_new_change_supersedes_an_open_question(movi: Movi, db: Db, demo: Demo) -> None:
    """A "yes" after another change must not run what was asked about before it."""
    asked = await say(movi, "rename stop Temple Flyover to Temple Gate", page=ROUTES)
    assert asked.status == "not_found" and asked.options  # "did you mean Temple?"
    assert (await say(movi, "rename stop BTM to BTM Layout", page=ROUTES)).status == "completed"
    since = await db.last_log_id()
    stale = await say(movi, "yes", page=ROUTES)
    assert stale.status == "rejected"
    assert await db.stop_id("Temple") is not None
    assert await db.audit_since(since) == []
