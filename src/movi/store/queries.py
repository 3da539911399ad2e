"""Reads the executors share: a trip with its deployment, vehicle, driver and booking count.

``lock=True`` selects the trip and its deployment ``FOR UPDATE`` (PostgreSQL); on SQLite the
write transaction already holds the database lock (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from movi.store.database import for_update
from movi.store.schema import (
    Booking,
    BookingStatus,
    DailyTrip,
    Deployment,
    Driver,
    Route,
    TripStatus,
    Vehicle,
)

#: Two trips of one vehicle or driver closer than this overlap (a shuttle run and its return).
OVERLAP = timedelta(hours=2)


@dataclass
class TripView:
    trip: DailyTrip
    deployment: Deployment | None
    vehicle: Vehicle | None
    driver: Driver | None
    booked: int

    @property
    def label(self) -> str:
        return trip_label(self.trip)

    def state(self) -> dict[str, Any]:
        """The trip as the audit log keeps it (before/after)."""
        return {
            "trip_id": self.trip.trip_id,
            "display_name": self.trip.display_name,
            "trip_date": self.trip.trip_date.isoformat(),
            "departure_time": self.trip.departure_time.strftime("%H:%M"),
            "live_status": str(self.trip.live_status),
            "delay_minutes": self.trip.delay_minutes,
            "version": self.trip.version,
            "vehicle_id": self.deployment.vehicle_id if self.deployment else None,
            "driver_id": self.deployment.driver_id if self.deployment else None,
            "vehicle": self.vehicle.registration_number if self.vehicle else None,
            "driver": self.driver.name if self.driver else None,
            "confirmed_bookings": self.booked,
        }


def trip_label(trip: DailyTrip) -> str:
    return f"{trip.display_name} (trip {trip.trip_id}, {trip.trip_date.isoformat()})"


async def booked(session: AsyncSession, trip_id: int) -> int:
    found = await session.scalar(
        select(func.count())
        .select_from(Booking)
        .where(Booking.trip_id == trip_id, Booking.status == BookingStatus.CONFIRMED)
    )
    return int(found or 0)


async def trip_view(session: AsyncSession, trip_id: int, *, lock: bool = False) -> TripView | None:
    """The trip with its deployment, vehicle, driver and confirmed bookings, or None.

    A read is one statement (outer joins and a counted subquery): ``handle`` reads a trip on
    almost every message, and each statement is a round trip. A locking read keeps one
    statement per row, since PostgreSQL cannot lock the nullable side of an outer join.
    """
    if lock:
        return await _locked_trip_view(session, trip_id)
    confirmed = (
        select(func.count())
        .select_from(Booking)
        .where(Booking.trip_id == DailyTrip.trip_id, Booking.status == BookingStatus.CONFIRMED)
        .scalar_subquery()
    )
    row = (
        await session.execute(
            select(DailyTrip, Deployment, Vehicle, Driver, confirmed)
            .outerjoin(Deployment, Deployment.trip_id == DailyTrip.trip_id)
            .outerjoin(Vehicle, Vehicle.vehicle_id == Deployment.vehicle_id)
            .outerjoin(Driver, Driver.driver_id == Deployment.driver_id)
            .where(DailyTrip.trip_id == trip_id)
        )
    ).first()
    if row is None:
        return None
    trip, deployment, vehicle, driver, count = row
    return TripView(trip, deployment, vehicle, driver, int(count or 0))


async def _locked_trip_view(session: AsyncSession, trip_id: int) -> TripView | None:
    statement = for_update(select(DailyTrip).where(DailyTrip.trip_id == trip_id))
    trip = await session.scalar(statement)
    if trip is None:
        return None
    deployment = await session.scalar(
        for_update(select(Deployment).where(Deployment.trip_id == trip_id))
    )
    vehicle = driver = None
    if deployment is not None and deployment.vehicle_id is not None:
        vehicle = await session.get(Vehicle, deployment.vehicle_id)
    if deployment is not None and deployment.driver_id is not None:
        driver = await session.get(Driver, deployment.driver_id)
    return TripView(trip, deployment, vehicle, driver, await booked(session, trip_id))


async def lock_for_write(
    session: AsyncSession,
    *,
    trip_id: int | None,
    vehicle_ids: Iterable[int] = (),
    driver_ids: Iterable[int] = (),
) -> TripView | None:
    """Lock what a write's checks depend on; the locked trip's view (None without a trip).

    A trip's lock alone does not serialise two writes on *different* trips that share a vehicle
    or driver (assign V to T1 and V to T2 at once: both re-checks would see V free). So the
    vehicles and drivers named by the job and those on the trip now are locked as well, always
    in one order — vehicles, then drivers, by id, then the trip — so that two writes never wait
    for each other in a cycle. A deployment changed between the first read and the trip's lock
    brings its newcomers in last (rare; PostgreSQL would report a deadlock rather than hang).
    On SQLite ``BEGIN IMMEDIATE`` has already serialised every writer and these are plain reads.
    """
    vehicles, drivers = set(vehicle_ids), set(driver_ids)
    if trip_id is not None:
        current = (
            await session.execute(
                select(Deployment.vehicle_id, Deployment.driver_id).where(
                    Deployment.trip_id == trip_id
                )
            )
        ).first()
        if current is not None:
            vehicles.update(v for v in (current.vehicle_id,) if v is not None)
            drivers.update(d for d in (current.driver_id,) if d is not None)
    await _lock_ids(session, Vehicle.vehicle_id, vehicles)
    await _lock_ids(session, Driver.driver_id, drivers)
    if trip_id is None:
        return None
    view = await trip_view(session, trip_id, lock=True)
    if view is not None and view.deployment is not None:
        late_vehicle, late_driver = view.deployment.vehicle_id, view.deployment.driver_id
        if late_vehicle is not None and late_vehicle not in vehicles:
            await _lock_ids(session, Vehicle.vehicle_id, {late_vehicle})
        if late_driver is not None and late_driver not in drivers:
            await _lock_ids(session, Driver.driver_id, {late_driver})
    return view


async def _lock_ids(session: AsyncSession, column: Any, ids: set[int]) -> None:
    if ids:
        await session.execute(
            for_update(select(column).where(column.in_(sorted(ids))).order_by(column))
        )


async def cancel_bookings(
    session: AsyncSession, trip_id: int, limit: int | None = None
) -> list[int]:
    """Cancel a trip's confirmed bookings (the latest ``limit`` ones); their ids, for undo."""
    statement = (
        select(Booking)
        .where(Booking.trip_id == trip_id, Booking.status == BookingStatus.CONFIRMED)
        .order_by(Booking.created_at.desc(), Booking.booking_id.desc())
    )
    if limit is not None:
        statement = statement.limit(limit)
    rows = list(await session.scalars(statement))
    for booking in rows:
        booking.status = BookingStatus.CANCELLED
    await session.flush()
    return [b.booking_id for b in rows]


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


async def overlapping_trip(
    session: AsyncSession,
    *,
    trip: DailyTrip,
    vehicle_id: int | None = None,
    driver_id: int | None = None,
) -> DailyTrip | None:
    """Another live trip that day, within ``OVERLAP`` of this one, with the same vehicle/driver."""
    column = Deployment.vehicle_id if vehicle_id is not None else Deployment.driver_id
    wanted = vehicle_id if vehicle_id is not None else driver_id
    rows = await session.scalars(
        select(DailyTrip)
        .join(Deployment, Deployment.trip_id == DailyTrip.trip_id)
        .where(
            DailyTrip.trip_date == trip.trip_date,
            DailyTrip.trip_id != trip.trip_id,
            DailyTrip.live_status.not_in([TripStatus.CANCELLED, TripStatus.COMPLETED]),
            column == wanted,
        )
    )
    mine = _minutes(trip.departure_time)
    window = OVERLAP.total_seconds() / 60
    for other in rows:
        if abs(_minutes(other.departure_time) - mine) < window:
            return other
    return None


async def route_of(session: AsyncSession, trip: DailyTrip) -> Route | None:
    return await session.get(Route, trip.route_id)


def is_past(trip: DailyTrip, now: datetime) -> bool:
    """Whether the trip's departure (plus its delay) is already behind us."""
    departure = datetime.combine(trip.trip_date, trip.departure_time, tzinfo=now.tzinfo)
    return departure + timedelta(minutes=trip.delay_minutes or 0) < now


def trip_day_is_past(trip: DailyTrip, today: date) -> bool:
    return trip.trip_date < today
