"""Helpers for the engine tests: the demo database, a way to talk to movi, and the tests' own
view of the rows (plain SQL, never through the engine) to check what a reply claims.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import Select, func, insert, select
from sqlalchemy import table as sql_table
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.conftest import PG_SKIP_REASON, drop_pg_test_schema, pg_dsn

from movi.engine import Movi
from movi.reply import Reply
from movi.store import create_schema, make_engine, pg_schema_url
from movi.store.demo import DemoSpec, build_demo
from movi.store.schema import (
    AuditLog,
    Booking,
    BookingStatus,
    DailyTrip,
    Deployment,
    Driver,
    DriverStatus,
    Interaction,
    TripStatus,
    Vehicle,
    VehicleStatus,
)

TODAY = date(2026, 11, 28)
TOMORROW = TODAY + timedelta(days=1)
BUS = "busDashboard"
ROUTES = "manageRoute"
USER = "ops-7"
OVERLAP_MINUTES = 120
"""Trips of one vehicle or driver closer than this overlap (``movi.store.queries.OVERLAP``)."""

COUNTED = ("daily_trips", "deployments", "bookings", "audit_log", "vehicles", "drivers")
"""The tables whose row counts tell whether anything was written."""


@dataclass(frozen=True)
class Demo:
    """A built demo database: its URL and where the deliberate hard cases are."""

    url: str
    cases: dict[str, list[int]]


async def build(url: str) -> Demo:
    engine = make_engine(url)
    try:
        await create_schema(engine)
        summary = await build_demo(engine, DemoSpec(today=TODAY))
    finally:
        await engine.dispose()
    return Demo(url, summary.hard_cases)


def build_once(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """Build the demo on ``backend`` in a loop of its own; remove it afterwards."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("engine") / "movi.db"
        yield asyncio.run(build(f"sqlite+aiosqlite:///{path}"))
        return
    dsn = pg_dsn()
    if dsn is None:
        pytest.skip(PG_SKIP_REASON)
    url = pg_schema_url(dsn, f"movi_e_{uuid.uuid4().hex[:12]}")
    try:
        yield asyncio.run(build(url))
    finally:
        drop_pg_test_schema(url)


async def say(
    movi: Movi,
    text: str | bytes,
    *,
    session: str = "s1",
    user: str = USER,
    page: str | None = BUS,
    selected: int | None = None,
    role: str | None = None,
) -> Reply:
    """One operator message, as the dashboard sends it."""
    return await movi.handle(
        text, page=page, session_id=session, user_id=user, role=role, selected_trip_id=selected
    )


def minutes(value: time) -> int:
    return value.hour * 60 + value.minute


class Rows:
    """The tests' own reads and direct writes, on an engine of their own."""

    def __init__(self, url: str) -> None:
        self.engine: AsyncEngine = make_engine(url)

    async def close(self) -> None:
        await self.engine.dispose()

    async def one(self, statement: Select[Any]) -> Any:
        async with self.engine.connect() as conn:
            return (await conn.execute(statement)).one()

    async def all(self, statement: Select[Any]) -> list[Any]:
        async with self.engine.connect() as conn:
            return list(await conn.execute(statement))

    async def scalar(self, statement: Select[Any]) -> Any:
        async with self.engine.connect() as conn:
            return await conn.scalar(statement)

    # --- counts ---------------------------------------------------------------------------

    async def counts(self) -> dict[str, int]:
        """Row counts of the tables a write would touch (and of its audit trail)."""
        found = {}
        async with self.engine.connect() as conn:
            for table in COUNTED:
                found[table] = int(
                    await conn.scalar(select(func.count()).select_from(sql_table(table)))
                )
        return found

    async def confirmed(self, trip_id: int) -> int:
        return int(
            await self.scalar(
                select(func.count())
                .select_from(Booking)
                .where(Booking.trip_id == trip_id, Booking.status == BookingStatus.CONFIRMED)
            )
        )

    async def interactions(self) -> int:
        return int(await self.scalar(select(func.count()).select_from(Interaction)))

    # --- rows -----------------------------------------------------------------------------

    async def trip(self, trip_id: int) -> dict[str, Any]:
        """The trip as an operator sees it: its row, what runs it, its confirmed bookings."""
        row = await self.one(
            select(
                DailyTrip.trip_id,
                DailyTrip.display_name,
                DailyTrip.trip_date,
                DailyTrip.departure_time,
                DailyTrip.live_status,
                DailyTrip.delay_minutes,
                DailyTrip.version,
                Deployment.vehicle_id,
                Deployment.driver_id,
            )
            .outerjoin(Deployment, Deployment.trip_id == DailyTrip.trip_id)
            .where(DailyTrip.trip_id == trip_id)
        )
        state = dict(row._mapping)
        state["live_status"] = str(state["live_status"])
        state["booked"] = await self.confirmed(trip_id)
        return state

    async def trip_id(self, display_name: str, day: date = TODAY) -> int:
        return int(
            await self.scalar(
                select(DailyTrip.trip_id).where(
                    DailyTrip.display_name == display_name, DailyTrip.trip_date == day
                )
            )
        )

    async def vehicle(self, *, vehicle_id: int | None = None, reg: str | None = None) -> Any:
        column, value = (
            (Vehicle.vehicle_id, vehicle_id)
            if vehicle_id is not None
            else (Vehicle.registration_number, reg)
        )
        return await self.one(select(Vehicle.__table__).where(column == value))

    async def driver(self, *, driver_id: int | None = None, name: str | None = None) -> Any:
        column, value = (
            (Driver.driver_id, driver_id) if driver_id is not None else (Driver.name, name)
        )
        return await self.one(select(Driver.__table__).where(column == value))

    async def registration(self, vehicle_id: int | None) -> str | None:
        if vehicle_id is None:
            return None
        return str((await self.vehicle(vehicle_id=vehicle_id)).registration_number)

    # --- finding rows a test needs --------------------------------------------------------

    async def _busy(self, column: Any, trip_id: int) -> set[int]:
        """Vehicles (or drivers) on a live trip within the overlap window of ``trip_id``."""
        trip = await self.trip(trip_id)
        rows = await self.all(
            select(column, DailyTrip.departure_time)
            .join(DailyTrip, DailyTrip.trip_id == Deployment.trip_id)
            .where(
                DailyTrip.trip_date == trip["trip_date"],
                DailyTrip.trip_id != trip_id,
                DailyTrip.live_status.not_in([TripStatus.CANCELLED, TripStatus.COMPLETED]),
                column.is_not(None),
            )
        )
        mine = minutes(trip["departure_time"])
        return {int(who) for who, at in rows if abs(minutes(at) - mine) < OVERLAP_MINUTES}

    async def free_vehicles(self, trip_id: int, *, seats: int = 1) -> list[str]:
        """Available vehicles with ``seats`` or more that no overlapping trip uses."""
        busy = await self._busy(Deployment.vehicle_id, trip_id)
        rows = await self.all(
            select(Vehicle.vehicle_id, Vehicle.registration_number)
            .where(Vehicle.status == VehicleStatus.AVAILABLE, Vehicle.capacity >= seats)
            .order_by(Vehicle.vehicle_id)
        )
        return [reg for vid, reg in rows if vid not in busy]

    async def free_drivers(self, trip_id: int) -> list[str]:
        """Available drivers with a name of their own that no overlapping trip uses."""
        busy = await self._busy(Deployment.driver_id, trip_id)
        rows = await self.all(select(Driver.driver_id, Driver.name, Driver.status))
        names = [name for _, name, _ in rows]
        return [
            name
            for did, name, status in sorted(rows)
            if status == DriverStatus.AVAILABLE and did not in busy and names.count(name) == 1
        ]

    async def trips_without_bookings(self, day: date = TODAY) -> list[int]:
        """Scheduled trips of ``day`` with no confirmed booking, in id order."""
        booked = select(Booking.trip_id).where(Booking.status == BookingStatus.CONFIRMED)
        rows = await self.all(
            select(DailyTrip.trip_id)
            .where(
                DailyTrip.trip_date == day,
                DailyTrip.live_status == TripStatus.SCHEDULED,
                DailyTrip.trip_id.not_in(booked),
            )
            .order_by(DailyTrip.trip_id)
        )
        return [int(r[0]) for r in rows]

    # --- the audit trail ------------------------------------------------------------------

    async def last_log_id(self) -> int:
        return int(await self.scalar(select(func.coalesce(func.max(AuditLog.log_id), 0))))

    async def audit_since(self, log_id: int) -> list[Any]:
        return await self.all(
            select(AuditLog.__table__).where(AuditLog.log_id > log_id).order_by(AuditLog.log_id)
        )

    async def one_audit(
        self, since: int, *, action: str, entity_type: str, entity_id: int | None = None
    ) -> Any:
        """Exactly one audit row was written since ``since``, and it says what was done."""
        rows = await self.audit_since(since)
        assert len(rows) == 1, f"expected one audit row, found {len(rows)}: {rows}"
        row = rows[0]
        assert row.action == action
        assert row.entity_type == entity_type
        if entity_id is not None:
            assert row.entity_id == entity_id
        assert row.success is True
        assert row.user_id == USER
        assert row.source == "rules"
        return row

    # --- direct writes (what another system does behind the engine's back) ----------------

    async def add_bookings(self, trip_id: int, count: int) -> None:
        now = datetime.now()
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(Booking),
                [
                    {
                        "trip_id": trip_id,
                        "employee_name": f"Walk-in {i}",
                        "office": "EGL",
                        "status": BookingStatus.CONFIRMED,
                        "created_at": now,
                    }
                    for i in range(count)
                ],
            )

    async def add_vehicle(self, reg: str, *, seats: int) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(Vehicle).values(
                    registration_number=reg,
                    vehicle_type="BUS" if seats > 7 else "CAB",
                    capacity=seats,
                    color="Green",
                    status=VehicleStatus.AVAILABLE,
                )
            )


def mentions(reply: Reply, *words: str | int) -> None:
    """The reply's message names each of ``words`` (ids, labels, registrations, numbers)."""
    for word in words:
        assert str(word) in reply.message, f"{word!r} not in {reply.message!r}"


def no_labels(reply: Reply, labels: Sequence[str]) -> None:
    """The reply reveals none of these trip labels or names."""
    for label in labels:
        assert label not in reply.message, f"{label!r} leaked in {reply.message!r}"
