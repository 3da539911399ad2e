"""Wizards: one question at a time, each answer checked, cancellable, and alive across restarts."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import func, select
from tests.flows.support import BUS, ROUTES, Db, Demo, mentions, open_movi, say

from movi.engine import Movi
from movi.reply import Reply
from movi.store.schema import DailyTrip, Deployment, Driver, Route, Vehicle

NEW_DAY = date(2026, 12, 3)
"""A day without any trip in the demo, so every vehicle and driver is free."""


def asked(reply: Reply, *words: str) -> None:
    assert reply.status == "needs_clarification", reply.message
    mentions(reply, *words)


async def trips_on(db: Db, day: date) -> list[int]:
    rows = await db.all(select(DailyTrip.trip_id).where(DailyTrip.trip_date == day))
    return [int(r[0]) for r in rows]


async def free_driver(db: Db) -> tuple[int, str]:
    """An available driver whose name no other driver shares."""
    rows = await db.all(
        select(Driver.driver_id, Driver.name, Driver.status).order_by(Driver.driver_id)
    )
    names = [name for _, name, _ in rows]
    return next(
        (int(i), name)
        for i, name, status in rows
        if str(status) == "AVAILABLE" and names.count(name) == 1
    )


async def test_create_trip_from_scratch_step_by_step(movi: Movi, db: Db) -> None:
    route = await db.route("Path-2 - 08:00")
    driver_id, driver = await free_driver(db)
    since = await db.last_log_id()

    asked(await say(movi, "create a new trip"), "Which route")
    asked(await say(movi, "Path-2 - 08:00"), "On which day")
    asked(await say(movi, "yesterday"), "2026-11-27 is in the past", "On which day")
    asked(await say(movi, "3 Dec"), "Which vehicle")
    asked(await say(movi, "KA-99-ZZ-9999"), "KA-99-ZZ-9999", "Which vehicle")
    asked(await say(movi, "KA-01-AB-1234"), "Which driver")
    summary = await say(movi, driver)
    assert (summary.status, summary.action) == ("needs_confirmation", "create_trip_from_scratch")
    mentions(summary, "Path-2 - 08:00", NEW_DAY.isoformat(), "KA-01-AB-1234", driver)
    assert await trips_on(db, NEW_DAY) == []  # nothing before the "yes"

    done = await say(movi, "yes")
    assert (done.status, done.action) == ("completed", "create_trip_from_scratch")
    [trip_id] = await trips_on(db, NEW_DAY)
    trip = await db.trip(trip_id)
    assert (trip.route_id, trip.departure_time, str(trip.live_status)) == (
        route.route_id,
        time(8, 0),
        "SCHEDULED",
    )
    [deployment] = await db.all(
        select(Vehicle.registration_number, Deployment.driver_id)
        .join(Deployment, Deployment.vehicle_id == Vehicle.vehicle_id)
        .where(Deployment.trip_id == trip_id)
    )
    assert tuple(deployment) == ("KA-01-AB-1234", driver_id)
    await db.one_audit(
        since, action="create_trip_from_scratch", entity_type="trip", entity_id=trip_id
    )
    assert (await say(movi, "yes")).status == "rejected"  # the wizard is over


async def test_optional_steps_can_be_skipped(movi: Movi, db: Db) -> None:
    await say(movi, "create a new trip")
    await say(movi, "Path-2 - 17:30")
    await say(movi, "3 Dec")
    asked(await say(movi, "skip"), "Which driver")
    summary = await say(movi, "skip")
    assert summary.status == "needs_confirmation"
    assert (await say(movi, "yes")).status == "completed"
    [trip_id] = await trips_on(db, NEW_DAY)
    assert (
        await db.scalar(select(Deployment.vehicle_id).where(Deployment.trip_id == trip_id)) is None
    )


async def test_cancel_midway_creates_nothing_and_frees_the_session(
    movi: Movi, db: Db, demo: Demo
) -> None:
    before = await db.counts()
    asked(await say(movi, "create a new trip"), "Which route")
    asked(await say(movi, "Path-2 - 17:30"), "On which day")
    stopped = await say(movi, "cancel")
    assert (stopped.status, stopped.action) == ("cancelled", "create_trip_from_scratch")
    mentions(stopped, "nothing was created")
    assert await db.counts() == before
    # The session waits for nothing now: "yes" has nothing to confirm, a command runs normally.
    after = await say(movi, "yes")
    assert after.status == "rejected"
    mentions(after, "nothing waiting")
    trip = demo.cases["remove_vehicle_with_bookings"][0]
    read = await say(movi, f"show details of trip {trip}")
    assert (read.status, read.action) == ("completed", "get_trip_details")
    assert await db.counts() == before


async def test_no_at_the_summary_creates_nothing(movi: Movi, db: Db) -> None:
    before = await db.counts()
    await say(movi, "create stop", page=ROUTES)
    summary = await say(movi, "Hebbal Flyover", page=ROUTES)
    assert summary.status == "needs_confirmation"
    assert (await say(movi, "no", page=ROUTES)).status == "cancelled"
    assert await db.counts() == before


async def test_a_wizard_resumes_in_a_new_engine(demo: Demo, db: Db) -> None:
    first = await open_movi(demo.url)
    try:
        asked(await say(first, "create a new trip", session="restart"), "Which route")
        asked(await say(first, "Path-2 - 08:00", session="restart"), "On which day")
    finally:
        await first.close()
    second = await open_movi(demo.url)  # a new process: only agent_sessions remembers
    try:
        asked(await say(second, "3 Dec", session="restart"), "Which vehicle")
        asked(await say(second, "skip", session="restart"), "Which driver")
        summary = await say(second, "skip", session="restart")
        assert summary.status == "needs_confirmation"
        mentions(summary, "Path-2 - 08:00", NEW_DAY.isoformat())
        other = await say(second, "yes", session="someone-else")  # another session: not theirs
        assert other.status == "rejected"
        assert await trips_on(db, NEW_DAY) == []
        done = await say(second, "yes", session="restart")
        assert done.status == "completed"
    finally:
        await second.close()
    assert len(await trips_on(db, NEW_DAY)) == 1


async def test_create_stop_without_a_name_asks_for_it(movi: Movi, db: Db) -> None:
    asked(await say(movi, "create stop", page=ROUTES), "What is the new stop called")
    summary = await say(movi, "Hebbal Flyover", page=ROUTES)
    assert (summary.status, summary.action) == ("needs_confirmation", "create_stop")
    assert (await say(movi, "yes", page=ROUTES)).status == "completed"
    assert await db.stop_id("Hebbal Flyover") is not None


async def test_create_path_asks_for_name_and_stops(movi: Movi, db: Db) -> None:
    asked(await say(movi, "create path", page=ROUTES), "What is the new path called")
    asked(await say(movi, "Outer Ring", page=ROUTES), "Which stops, in order")
    asked(await say(movi, "Peenya", page=ROUTES), "at least two stops")
    summary = await say(movi, "Peenya, Temple and BTM", page=ROUTES)
    assert (summary.status, summary.action) == ("needs_confirmation", "create_path")
    assert (await say(movi, "yes", page=ROUTES)).status == "completed"
    assert await db.path_stop_names("Outer Ring") == ["Peenya", "Temple", "BTM"]


async def test_create_route_asks_for_each_missing_slot(movi: Movi, db: Db) -> None:
    routes = await db.scalar(select(func.count()).select_from(Route))
    asked(await say(movi, "create route", page=ROUTES), "On which path")
    asked(await say(movi, "Path-77", page=ROUTES), "Path-77", "On which path")
    asked(await say(movi, "Path-2", page=ROUTES), "shift time")
    asked(await say(movi, "noonish", page=ROUTES), "not a time", "shift time")
    asked(await say(movi, "11:15", page=ROUTES), "pickup (LOGIN) or a drop (LOGOUT)")
    asked(await say(movi, "sideways", page=ROUTES), "pickup (LOGIN) or a drop (LOGOUT)")
    summary = await say(movi, "pickup", page=ROUTES)
    assert (summary.status, summary.action) == ("needs_confirmation", "create_route")
    assert await db.scalar(select(func.count()).select_from(Route)) == routes
    assert (await say(movi, "yes", page=ROUTES)).status == "completed"
    route = await db.route("Path-2 - 11:15")
    assert route is not None and str(route.direction) == "LOGIN"
    assert route.path_id == await db.path_id("Path-2")


async def test_create_route_with_some_slots_asks_only_for_the_rest(movi: Movi, db: Db) -> None:
    asked(await say(movi, "create a route on Path-2", page=ROUTES), "shift time")
    asked(await say(movi, "10:45", page=ROUTES), "pickup (LOGIN) or a drop (LOGOUT)")
    summary = await say(movi, "drop", page=ROUTES)
    assert summary.status == "needs_confirmation"
    mentions(summary, "10:45", "LOGOUT")
    assert (await say(movi, "yes", page=ROUTES)).status == "completed"
    route = await db.route("Path-2 - 10:45")
    assert route is not None and str(route.direction) == "LOGOUT"


async def test_the_trip_wizard_is_allowed_on_any_page(movi: Movi) -> None:
    for page in (BUS, ROUTES):
        reply = await say(movi, "create a new trip", page=page, session=f"any-{page}")
        assert (reply.status, reply.action) == ("needs_clarification", "create_trip_from_scratch")
