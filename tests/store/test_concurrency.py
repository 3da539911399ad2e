"""Concurrent writers on one trip, on a real SQLite file and a real PostgreSQL server.

Each task has its own session and so its own connection, as two engine processes would. The lock
discipline (``for_update`` inside ``session.begin()``; ``BEGIN IMMEDIATE`` on SQLite) must lose no
update; without it, on PostgreSQL, the ``version`` column turns the lost update into an error.
"""

from __future__ import annotations

import asyncio
from datetime import date, time

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from movi.errors import ConcurrencyError, IntegrityViolation
from movi.store import (
    create_schema,
    for_update,
    make_engine,
    mapped_errors,
    read_only,
    session_factory,
)
from movi.store.schema import DailyTrip, Deployment, Direction, Path, Route, Vehicle, VehicleType

INCREMENTS = 25


async def _trip(engine: AsyncEngine) -> int:
    """One path, one route, one trip (delay 0, version 1); returns the trip id."""
    async with engine.begin() as conn:
        path_id = (
            await conn.execute(insert(Path).values(path_name="Path-2").returning(Path.path_id))
        ).scalar_one()
        route_id = (
            await conn.execute(
                insert(Route)
                .values(
                    path_id=path_id,
                    route_display_name="Path-2 - 08:00",
                    shift_time=time(8, 0),
                    direction=Direction.LOGIN,
                )
                .returning(Route.route_id)
            )
        ).scalar_one()
        trip_id = (
            await conn.execute(
                insert(DailyTrip)
                .values(
                    route_id=route_id,
                    display_name="Path-2 - 08:00",
                    trip_date=date(2026, 11, 28),
                    departure_time=time(8, 0),
                )
                .returning(DailyTrip.trip_id)
            )
        ).scalar_one()
    return int(trip_id)


async def _delay_and_version(engine: AsyncEngine, trip_id: int) -> tuple[int, int]:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(DailyTrip.delay_minutes, DailyTrip.version).where(
                    DailyTrip.trip_id == trip_id
                )
            )
        ).one()
    return int(row.delay_minutes), int(row.version)


@pytest.mark.parametrize("tasks", [2, 4])
async def test_locked_read_modify_write_loses_no_update(engine: AsyncEngine, tasks: int) -> None:
    trip_id = await _trip(engine)
    sessions = session_factory(engine)
    holders = 0
    most_holders = 0

    async def worker() -> None:
        nonlocal holders, most_holders
        for _ in range(INCREMENTS):
            async with sessions() as session:
                with mapped_errors():
                    async with session.begin():
                        stmt = for_update(select(DailyTrip).where(DailyTrip.trip_id == trip_id))
                        trip = (await session.execute(stmt)).scalar_one()
                        holders += 1
                        most_holders = max(most_holders, holders)
                        seen = trip.delay_minutes
                        await asyncio.sleep(0)  # let the other tasks run mid-transaction
                        trip.delay_minutes = seen + 1
                        await session.flush()
                        holders -= 1

    await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(tasks))), timeout=60)

    delay, version = await _delay_and_version(engine, trip_id)
    assert delay == tasks * INCREMENTS
    assert version == 1 + tasks * INCREMENTS
    assert most_holders == 1  # the lock really excluded the others between read and write


async def test_plain_read_then_write_loses_an_update_on_postgres(pg_url: str) -> None:
    """The counter-proof: without a lock or a version check, READ COMMITTED loses an update."""
    engine = make_engine(pg_url)
    try:
        await create_schema(engine)
        trip_id = await _trip(engine)
        both_read = asyncio.Barrier(2)

        async def plain_increment() -> None:
            async with engine.begin() as conn:
                seen = (
                    await conn.execute(
                        select(DailyTrip.delay_minutes).where(DailyTrip.trip_id == trip_id)
                    )
                ).scalar_one()
                await both_read.wait()  # each has read 0 before either writes
                await conn.execute(
                    update(DailyTrip)
                    .where(DailyTrip.trip_id == trip_id)
                    .values(delay_minutes=seen + 1)
                )

        await asyncio.wait_for(asyncio.gather(plain_increment(), plain_increment()), timeout=20)
        delay, _ = await _delay_and_version(engine, trip_id)
        assert delay == 1  # two increments, one survived: the lost update this module prevents
    finally:
        await engine.dispose()


async def test_the_version_column_refuses_a_stale_write_on_postgres(pg_url: str) -> None:
    """Same interleaving through the ORM: the loser gets ConcurrencyError, nothing is lost."""
    engine = make_engine(pg_url)
    try:
        await create_schema(engine)
        trip_id = await _trip(engine)
        sessions = session_factory(engine)
        both_read = asyncio.Barrier(2)

        async def unlocked_increment() -> int:
            async with sessions() as session:
                with mapped_errors():
                    async with session.begin():
                        trip = await session.get(DailyTrip, trip_id)
                        assert trip is not None and trip.version == 1
                        await both_read.wait()
                        trip.delay_minutes += 1
                return trip.delay_minutes

        results = await asyncio.wait_for(
            asyncio.gather(unlocked_increment(), unlocked_increment(), return_exceptions=True),
            timeout=20,
        )
        assert sorted(type(r).__name__ for r in results) == ["ConcurrencyError", "int"]
        loser = next(r for r in results if isinstance(r, BaseException))
        assert isinstance(loser, ConcurrencyError)
        assert "retry" in loser.message
        assert await _delay_and_version(engine, trip_id) == (1, 2)

        # The loser does what the error says: read again and retry, now under the lock.
        async with sessions() as session:
            with mapped_errors():
                async with session.begin():
                    stmt = for_update(select(DailyTrip).where(DailyTrip.trip_id == trip_id))
                    trip = (await session.execute(stmt)).scalar_one()
                    trip.delay_minutes += 1
        assert await _delay_and_version(engine, trip_id) == (2, 3)
    finally:
        await engine.dispose()


async def test_two_tasks_creating_one_deployment_one_wins(engine: AsyncEngine) -> None:
    trip_id = await _trip(engine)
    async with engine.begin() as conn:
        vehicles = (
            (
                await conn.execute(
                    insert(Vehicle).returning(Vehicle.vehicle_id),
                    [
                        {
                            "registration_number": f"KA01AB{n}",
                            "vehicle_type": VehicleType.BUS,
                            "capacity": 40,
                        }
                        for n in (1001, 1002, 1003)
                    ],
                )
            )
            .scalars()
            .all()
        )
    sessions = session_factory(engine)
    postgres = engine.dialect.name == "postgresql"
    # On PostgreSQL every task first sees that the trip has no deployment, then all insert at
    # once: a true check-then-act race. SQLite's BEGIN IMMEDIATE already serialises whole
    # transactions (a barrier inside one would deadlock), so there the tasks insert blindly.
    all_looked = asyncio.Barrier(len(vehicles))

    async def deploy(vehicle_id: int) -> int:
        async with sessions() as session:
            with mapped_errors():
                async with session.begin():
                    if postgres:
                        existing = await session.scalar(
                            select(Deployment).where(Deployment.trip_id == trip_id)
                        )
                        assert existing is None
                        await all_looked.wait()
                    session.add(Deployment(trip_id=trip_id, vehicle_id=vehicle_id))
        return vehicle_id

    results = await asyncio.wait_for(
        asyncio.gather(*(deploy(v) for v in vehicles), return_exceptions=True), timeout=30
    )
    winners = [r for r in results if isinstance(r, int)]
    losers = [r for r in results if isinstance(r, BaseException)]
    assert len(winners) == 1, results
    assert len(losers) == len(vehicles) - 1
    assert all(isinstance(r, IntegrityViolation) for r in losers), losers

    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(Deployment.vehicle_id, Deployment.version).where(
                    Deployment.trip_id == trip_id
                )
            )
        ).all()
    assert [tuple(r) for r in rows] == [(winners[0], 1)]


async def test_read_only_does_not_wait_for_a_writer(engine: AsyncEngine) -> None:
    trip_id = await _trip(engine)
    sessions = session_factory(engine)
    has_lock = asyncio.Event()
    release = asyncio.Event()

    async def writer() -> None:
        async with sessions() as session, session.begin():
            stmt = for_update(select(DailyTrip).where(DailyTrip.trip_id == trip_id))
            trip = (await session.execute(stmt)).scalar_one()
            trip.delay_minutes = 45
            await session.flush()
            has_lock.set()
            await release.wait()

    async def second_writer() -> int:
        async with sessions() as session, session.begin():
            stmt = for_update(select(DailyTrip.delay_minutes).where(DailyTrip.trip_id == trip_id))
            return int((await session.execute(stmt)).scalar_one())

    async def reader() -> int:
        async with read_only(engine) as session:
            stmt = select(DailyTrip.delay_minutes).where(DailyTrip.trip_id == trip_id)
            return int((await session.execute(stmt)).scalar_one())

    holder = asyncio.create_task(writer())
    waiting: asyncio.Task[int] | None = None
    try:
        await asyncio.wait_for(has_lock.wait(), timeout=10)
        # The lock is real: another writer waits (SQLite: at BEGIN IMMEDIATE; PostgreSQL: the row).
        waiting = asyncio.create_task(second_writer())
        await asyncio.sleep(0.3)
        assert not waiting.done()
        # A reader does not wait, and sees the last committed value, not the open write.
        assert await asyncio.wait_for(reader(), timeout=5) == 0
        assert not holder.done()
    finally:
        release.set()
        await asyncio.wait_for(holder, timeout=10)
    assert waiting is not None
    assert await asyncio.wait_for(waiting, timeout=10) == 45
    async with read_only(engine) as session:
        count = await session.scalar(select(func.count()).select_from(DailyTrip))
    assert count == 1
