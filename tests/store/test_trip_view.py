"""``trip_view``: one joined statement for a read, one statement per row when it locks.

Both forms must describe every trip alike, and as the tests' own reading of the rows does.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine

from movi.store import read_only, session_factory
from movi.store.demo import DemoSpec, build_demo
from movi.store.queries import trip_view
from movi.store.schema import Booking, BookingStatus, DailyTrip, Deployment, Driver, Vehicle

TODAY = date(2026, 11, 28)


async def test_a_read_and_a_locking_read_describe_every_trip_alike(engine: AsyncEngine) -> None:
    summary = await build_demo(engine, DemoSpec(today=TODAY))
    async with engine.connect() as conn:
        confirmed = Counter(
            trip_id
            for (trip_id,) in await conn.execute(
                select(Booking.trip_id).where(Booking.status == BookingStatus.CONFIRMED)
            )
        )
        deployed = {
            row.trip_id: row
            for row in await conn.execute(
                select(Deployment.trip_id, Deployment.vehicle_id, Deployment.driver_id)
            )
        }
        vehicles = {
            v: reg
            for v, reg in await conn.execute(
                select(Vehicle.vehicle_id, Vehicle.registration_number)
            )
        }
        drivers = {d: name for d, name in await conn.execute(select(Driver.driver_id, Driver.name))}
        trip_ids = sorted(t for (t,) in await conn.execute(select(DailyTrip.trip_id)))
    assert len(trip_ids) == summary.counts["daily_trips"]

    async with read_only(engine) as ro:
        read = {t: await trip_view(ro, t) for t in trip_ids}
    async with session_factory(engine)() as rw, rw.begin():
        locked = {t: await trip_view(rw, t, lock=True) for t in trip_ids}

    for trip_id in trip_ids:
        view, other = read[trip_id], locked[trip_id]
        assert view is not None and other is not None
        assert view.state() == other.state()
        state = view.state()
        dep = deployed.get(trip_id)
        assert state["confirmed_bookings"] == confirmed[trip_id]
        assert state["vehicle_id"] == (dep.vehicle_id if dep else None)
        assert state["driver_id"] == (dep.driver_id if dep else None)
        assert state["vehicle"] == vehicles.get(dep.vehicle_id if dep else None)
        assert state["driver"] == drivers.get(dep.driver_id if dep else None)
    # The demo has trips with and without each part, and with and without bookings.
    states = [v.state() for v in read.values() if v is not None]
    assert {s["vehicle"] is None for s in states} == {True, False}
    assert {s["driver"] is None for s in states} == {True, False}
    assert {s["confirmed_bookings"] == 0 for s in states} == {True, False}


async def test_a_read_is_one_statement_and_a_missing_trip_is_none(engine: AsyncEngine) -> None:
    await build_demo(engine, DemoSpec(today=TODAY))
    async with engine.connect() as conn:
        trip_id = (
            await conn.execute(
                select(Deployment.trip_id)
                .where(Deployment.vehicle_id.is_not(None), Deployment.driver_id.is_not(None))
                .limit(1)
            )
        ).scalar_one()
        last = (await conn.execute(select(DailyTrip.trip_id).order_by(-DailyTrip.trip_id))).first()
    assert last is not None
    statements: list[str] = []

    def count(*args: object) -> None:
        if str(args[2]).startswith("SELECT"):  # not SQLite's BEGIN, emitted on first use
            statements.append(str(args[2]))

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        async with read_only(engine) as ro:
            statements.clear()
            view = await trip_view(ro, trip_id)
            assert len(statements) == 1, statements
            assert view is not None and view.vehicle is not None and view.driver is not None
            assert await trip_view(ro, last[0] + 1) is None
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
