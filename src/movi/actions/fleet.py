"""Vehicles and drivers: assignment to trips, their state, and the fleet and roster reads."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from movi.actions.registry import AuditEntry, Job, NotApplicable, Outcome, check, executor
from movi.actions.trips import bookings_affected, load, trip_state
from movi.policy.decision import Context
from movi.reply import Consequence
from movi.store.queries import (
    OVERLAP,
    TripView,
    cancel_bookings,
    overlapping_trip,
    trip_label,
)
from movi.store.schema import (
    DailyTrip,
    Deployment,
    Driver,
    DriverStatus,
    TripStatus,
    Vehicle,
    VehicleStatus,
    VehicleType,
)

LIST_LIMIT = 50
"""Rows a list answer carries in ``reply.data`` (the message counts them all)."""


def vehicle_label(vehicle: Vehicle) -> str:
    return f"{vehicle.registration_number} ({vehicle.vehicle_type}, {vehicle.capacity} seats)"


def vehicle_row(vehicle: Vehicle) -> dict[str, Any]:
    return {
        "vehicle_id": vehicle.vehicle_id,
        "registration_number": vehicle.registration_number,
        "vehicle_type": str(vehicle.vehicle_type),
        "capacity": vehicle.capacity,
        "color": vehicle.color,
        "status": str(vehicle.status),
        "notes": vehicle.notes,
    }


def driver_row(driver: Driver) -> dict[str, Any]:
    return {
        "driver_id": driver.driver_id,
        "name": driver.name,
        "phone_number": driver.phone_number,
        "status": str(driver.status),
    }


async def _vehicle(session: AsyncSession, job: Job) -> Vehicle:
    vehicle = await session.get(Vehicle, job.ids["vehicle"])
    if vehicle is None:
        raise NotApplicable("that vehicle no longer exists")
    return vehicle


async def _driver(session: AsyncSession, job: Job) -> Driver:
    driver = await session.get(Driver, job.ids["driver"])
    if driver is None:
        raise NotApplicable("that driver no longer exists")
    return driver


# --- assignment ------------------------------------------------------------------------------


async def _vehicle_consequences(
    session: AsyncSession, view: TripView, vehicle: Vehicle
) -> list[Consequence]:
    found: list[Consequence] = []
    if view.vehicle is not None and view.vehicle.vehicle_id == vehicle.vehicle_id:
        return [
            Consequence(
                code="nothing_to_do",
                message=f"{vehicle.registration_number} is already on {view.label}.",
                data={"message": f"{vehicle.registration_number} is already on {view.label}."},
            )
        ]
    if vehicle.status != VehicleStatus.AVAILABLE:
        found.append(
            Consequence(
                code="vehicle_unavailable",
                message=f"{vehicle.registration_number} is {vehicle.status}.",
                data={
                    "vehicle": vehicle.registration_number,
                    "status": str(vehicle.status),
                    "notes": vehicle.notes or "",
                },
            )
        )
    other = await overlapping_trip(session, trip=view.trip, vehicle_id=vehicle.vehicle_id)
    if other is not None:
        found.append(
            Consequence(
                code="vehicle_busy",
                message=f"{vehicle.registration_number} is on {trip_label(other)}.",
                data={
                    "vehicle": vehicle.registration_number,
                    "other_trip_label": other.display_name,  # the template adds its id
                    "other_trip_id": other.trip_id,
                },
            )
        )
    if view.vehicle is not None:
        found.append(
            Consequence(
                code="reassignment",
                message=f"{view.label} already has {view.vehicle.registration_number}.",
                data={
                    "trip_label": view.label,
                    "current": view.vehicle.registration_number,
                    "new": vehicle.registration_number,
                },
            )
        )
    if view.booked > vehicle.capacity:
        found.append(
            Consequence(
                code="capacity_short",
                message=f"{vehicle.registration_number} seats {vehicle.capacity}, "
                f"{view.booked} are booked.",
                data={
                    "vehicle": vehicle.registration_number,
                    "capacity": vehicle.capacity,
                    "booked": view.booked,
                },
            )
        )
    return found


async def _driver_consequences(
    session: AsyncSession, view: TripView, driver: Driver
) -> list[Consequence]:
    if view.driver is not None and view.driver.driver_id == driver.driver_id:
        message = f"{driver.name} already drives {view.label}."
        return [Consequence(code="nothing_to_do", message=message, data={"message": message})]
    found: list[Consequence] = []
    if driver.status != DriverStatus.AVAILABLE:
        found.append(
            Consequence(
                code="driver_unavailable",
                message=f"{driver.name} is {driver.status}.",
                data={"driver": driver.name, "status": str(driver.status)},
            )
        )
    other = await overlapping_trip(session, trip=view.trip, driver_id=driver.driver_id)
    if other is not None:
        found.append(
            Consequence(
                code="driver_busy",
                message=f"{driver.name} drives {trip_label(other)}.",
                data={
                    "driver": driver.name,
                    "other_trip_label": other.display_name,  # the template adds its id
                    "other_trip_id": other.trip_id,
                },
            )
        )
    if view.driver is not None:
        found.append(
            Consequence(
                code="reassignment",
                message=f"{view.label} already has driver {view.driver.name}.",
                data={"trip_label": view.label, "current": view.driver.name, "new": driver.name},
            )
        )
    return found


async def _deploy(
    session: AsyncSession,
    view: TripView,
    *,
    vehicle_id: int | None = None,
    driver_id: int | None = None,
    clear_vehicle: bool = False,
    clear_driver: bool = False,
) -> None:
    deployment = view.deployment
    if deployment is None:
        deployment = Deployment(trip_id=view.trip.trip_id)
        session.add(deployment)
    if vehicle_id is not None:
        deployment.vehicle_id = vehicle_id
    if driver_id is not None:
        deployment.driver_id = driver_id
    if clear_vehicle:
        deployment.vehicle_id = None
    if clear_driver:
        deployment.driver_id = None
    # Any change to what runs the trip is a change to the trip: flagging it makes the ORM bump
    # the trip's ``version`` at this flush.
    flag_modified(view.trip, "delay_minutes")
    await session.flush()


async def _assign(
    session: AsyncSession, job: Job, ctx: Context, *, vehicle: bool, driver: bool
) -> Outcome:
    view = await load(session, job, lock=True)
    before = view.state()
    new_vehicle = await _vehicle(session, job) if vehicle else None
    new_driver = await _driver(session, job) if driver else None
    await _deploy(
        session,
        view,
        vehicle_id=new_vehicle.vehicle_id if new_vehicle else None,
        driver_id=new_driver.driver_id if new_driver else None,
    )
    await session.flush()
    after = {**before, "version": view.trip.version}
    words = []
    if new_vehicle is not None:
        after.update(vehicle_id=new_vehicle.vehicle_id, vehicle=new_vehicle.registration_number)
        words.append(new_vehicle.registration_number)
    if new_driver is not None:
        after.update(driver_id=new_driver.driver_id, driver=new_driver.name)
        words.append(f"driver {new_driver.name}")
    return Outcome(
        f"Assigned {' and '.join(words)} to {view.label}.",
        data=after,
        audit=[AuditEntry("trip", view.trip.trip_id, before, after)],
    )


@executor("assign_vehicle", needs=("trip", "vehicle_ref"), write=True)
async def assign_vehicle(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    return await _assign(session, job, ctx, vehicle=True, driver=False)


@check("assign_vehicle")
async def _assign_vehicle_check(session: AsyncSession, job: Job, ctx: Context) -> list[Consequence]:
    view = await load(session, job)
    return [
        *trip_state(view, ctx),
        *await _vehicle_consequences(session, view, await _vehicle(session, job)),
    ]


@executor("assign_driver", needs=("trip", "driver"), write=True)
async def assign_driver(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    return await _assign(session, job, ctx, vehicle=False, driver=True)


@check("assign_driver")
async def _assign_driver_check(session: AsyncSession, job: Job, ctx: Context) -> list[Consequence]:
    view = await load(session, job)
    return [
        *trip_state(view, ctx),
        *await _driver_consequences(session, view, await _driver(session, job)),
    ]


@executor("assign_vehicle_and_driver", needs=("trip", "vehicle", "driver"), write=True)
async def assign_vehicle_and_driver(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    return await _assign(session, job, ctx, vehicle=True, driver=True)


@check("assign_vehicle_and_driver")
async def _assign_both_check(session: AsyncSession, job: Job, ctx: Context) -> list[Consequence]:
    view = await load(session, job)
    found = [
        *trip_state(view, ctx),
        *await _vehicle_consequences(session, view, await _vehicle(session, job)),
        *await _driver_consequences(session, view, await _driver(session, job)),
    ]
    # Both already in place is nothing to do; one of them already in place is not.
    nothing = [c for c in found if c.code == "nothing_to_do"]
    if len(nothing) == 1:
        found.remove(nothing[0])
    return found


@executor("remove_vehicle", needs=("trip",), write=True)
async def remove_vehicle(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    view = await load(session, job, lock=True)
    if view.vehicle is None:
        raise NotApplicable(f"{view.label} has no vehicle.")
    before = view.state()
    removed = view.vehicle.registration_number
    await _deploy(session, view, clear_vehicle=True)
    # Without a vehicle there are no seats: the bookings go, as the confirmation said.
    cancelled = await cancel_bookings(session, view.trip.trip_id)
    await session.flush()
    after = {
        **before,
        "vehicle_id": None,
        "vehicle": None,
        "confirmed_bookings": 0,
        "version": view.trip.version,
        "cancelled_booking_ids": cancelled,
    }
    note = f"; {len(cancelled)} bookings cancelled" if cancelled else ""
    return Outcome(
        f"Removed {removed} from {view.label}{note}.",
        data=after,
        audit=[AuditEntry("trip", view.trip.trip_id, before, after)],
    )


@check("remove_vehicle")
async def _remove_vehicle_check(session: AsyncSession, job: Job, ctx: Context) -> list[Consequence]:
    view = await load(session, job)
    if view.vehicle is None:
        message = f"{view.label} has no vehicle to remove."
        return [Consequence(code="nothing_to_do", message=message, data={"message": message})]
    return [*trip_state(view, ctx), *bookings_affected(view)]


@executor("remove_driver", needs=("trip",), write=True)
async def remove_driver(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    view = await load(session, job, lock=True)
    if view.driver is None:
        raise NotApplicable(f"{view.label} has no driver.")
    before = view.state()
    removed = view.driver.name
    await _deploy(session, view, clear_driver=True)
    await session.flush()
    after = {**before, "driver_id": None, "driver": None, "version": view.trip.version}
    return Outcome(
        f"Removed driver {removed} from {view.label}.",
        data=after,
        audit=[AuditEntry("trip", view.trip.trip_id, before, after)],
    )


@check("remove_driver")
async def _remove_driver_check(session: AsyncSession, job: Job, ctx: Context) -> list[Consequence]:
    view = await load(session, job)
    if view.driver is None:
        message = f"{view.label} has no driver to remove."
        return [Consequence(code="nothing_to_do", message=message, data={"message": message})]
    return [*trip_state(view, ctx), *bookings_affected(view)]


# --- vehicles --------------------------------------------------------------------------------


def _day(job: Job, ctx: Context) -> date:
    value = job.slots.get("date")
    return date.fromisoformat(str(value)) if value else ctx.today


@executor("list_all_vehicles")
async def list_all_vehicles(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    vehicles = list(await session.scalars(select(Vehicle).order_by(Vehicle.registration_number)))
    counts: dict[str, int] = {}
    for v in vehicles:
        counts[str(v.status)] = counts.get(str(v.status), 0) + 1
    summary = ", ".join(f"{n} {status.lower()}" for status, n in sorted(counts.items()))
    return Outcome(
        f"{len(vehicles)} vehicles ({summary}).",
        data=[vehicle_row(v) for v in vehicles[:LIST_LIMIT]],
    )


@executor("get_unassigned_vehicles")
async def get_unassigned_vehicles(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    day = _day(job, ctx)
    busy = (
        select(Deployment.vehicle_id)
        .join(DailyTrip, DailyTrip.trip_id == Deployment.trip_id)
        .where(
            DailyTrip.trip_date == day,
            Deployment.vehicle_id.is_not(None),
            DailyTrip.live_status != TripStatus.CANCELLED,
        )
    )
    free = list(
        await session.scalars(
            select(Vehicle)
            .where(Vehicle.status == VehicleStatus.AVAILABLE, Vehicle.vehicle_id.not_in(busy))
            .order_by(Vehicle.capacity.desc(), Vehicle.registration_number)
        )
    )
    names = ", ".join(v.registration_number for v in free[:5])
    more = f" and {len(free) - 5} more" if len(free) > 5 else ""
    message = (
        f"{len(free)} vehicles are free on {day.isoformat()}: {names}{more}."
        if free
        else f"Every available vehicle has a trip on {day.isoformat()}."
    )
    return Outcome(message, data=[vehicle_row(v) for v in free[:LIST_LIMIT]])


@executor("get_most_used_vehicles")
async def get_most_used_vehicles(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    days = int(job.slots.get("days") or 7)
    since = ctx.today - timedelta(days=days)
    rows = (
        await session.execute(
            select(Vehicle, func.count(DailyTrip.trip_id).label("trips"))
            .join(Deployment, Deployment.vehicle_id == Vehicle.vehicle_id)
            .join(DailyTrip, DailyTrip.trip_id == Deployment.trip_id)
            .where(
                DailyTrip.trip_date >= since,
                DailyTrip.trip_date <= ctx.today,
                DailyTrip.live_status != TripStatus.CANCELLED,
            )
            .group_by(Vehicle.vehicle_id)
            .order_by(func.count(DailyTrip.trip_id).desc(), Vehicle.registration_number)
            .limit(10)
        )
    ).all()
    top = ", ".join(f"{v.registration_number} ({n})" for v, n in rows[:5])
    return Outcome(
        f"Most used in the last {days} days: {top}." if rows else "No trips in that period.",
        data=[{**vehicle_row(v), "trips": int(n)} for v, n in rows],
    )


@executor("get_vehicle_status", needs=("vehicle",))
async def get_vehicle_status(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    vehicle = await _vehicle(session, job)
    notes = f" ({vehicle.notes})" if vehicle.notes else ""
    return Outcome(
        f"{vehicle_label(vehicle)} is {vehicle.status}{notes}.", data=vehicle_row(vehicle)
    )


async def _trips_of(
    session: AsyncSession,
    day: date,
    *,
    vehicle_id: int | None = None,
    driver_id: int | None = None,
) -> list[DailyTrip]:
    column = Deployment.vehicle_id if vehicle_id is not None else Deployment.driver_id
    wanted = vehicle_id if vehicle_id is not None else driver_id
    return list(
        await session.scalars(
            select(DailyTrip)
            .join(Deployment, Deployment.trip_id == DailyTrip.trip_id)
            .where(DailyTrip.trip_date == day, column == wanted)
            .order_by(DailyTrip.departure_time)
        )
    )


def _trip_rows(trips: list[DailyTrip]) -> list[dict[str, Any]]:
    return [
        {
            "trip_id": t.trip_id,
            "display_name": t.display_name,
            "departure_time": t.departure_time.strftime("%H:%M"),
            "live_status": str(t.live_status),
        }
        for t in trips
    ]


@executor("get_vehicle_trips_today", needs=("vehicle",))
async def get_vehicle_trips_today(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    vehicle = await _vehicle(session, job)
    trips = await _trips_of(session, ctx.today, vehicle_id=vehicle.vehicle_id)
    listed = ", ".join(t.display_name for t in trips)
    message = (
        f"{vehicle.registration_number} runs {len(trips)} trips today: {listed}."
        if trips
        else f"{vehicle.registration_number} has no trips today."
    )
    return Outcome(message, data=_trip_rows(trips))


async def _future_trips(session: AsyncSession, ctx: Context, **who: int) -> list[DailyTrip]:
    column = Deployment.vehicle_id if "vehicle_id" in who else Deployment.driver_id
    wanted = next(iter(who.values()))
    return list(
        await session.scalars(
            select(DailyTrip)
            .join(Deployment, Deployment.trip_id == DailyTrip.trip_id)
            .where(
                column == wanted,
                DailyTrip.trip_date >= ctx.today,
                DailyTrip.live_status.in_([TripStatus.SCHEDULED, TripStatus.DELAYED]),
            )
            .order_by(DailyTrip.trip_date, DailyTrip.departure_time)
        )
    )


@executor("block_vehicle", needs=("vehicle",), write=True)
async def block_vehicle(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    vehicle = await _vehicle(session, job)
    if vehicle.status == VehicleStatus.BLOCKED:
        raise NotApplicable(f"{vehicle.registration_number} is already blocked.")
    before = vehicle_row(vehicle)
    vehicle.status = VehicleStatus.BLOCKED
    reason = job.slots.get("reason")
    if reason:
        vehicle.notes = str(reason)
    await session.flush()
    after = vehicle_row(vehicle)
    why = f" ({reason})" if reason else ""
    return Outcome(
        f"Blocked {vehicle.registration_number}{why}.",
        data=after,
        audit=[AuditEntry("vehicle", vehicle.vehicle_id, before, after)],
    )


@check("block_vehicle")
async def _block_check(session: AsyncSession, job: Job, ctx: Context) -> list[Consequence]:
    vehicle = await _vehicle(session, job)
    if vehicle.status == VehicleStatus.BLOCKED:
        message = f"{vehicle.registration_number} is already blocked."
        return [Consequence(code="nothing_to_do", message=message, data={"message": message})]
    trips = await _future_trips(session, ctx, vehicle_id=vehicle.vehicle_id)
    if not trips:
        return []
    return [
        Consequence(
            code="vehicle_has_trips",
            message=f"{vehicle.registration_number} is on {len(trips)} upcoming trips.",
            data={
                "vehicle": vehicle.registration_number,
                "count": len(trips),
                "trips": [trip_label(t) for t in trips[:5]],
            },
        )
    ]


@executor("unblock_vehicle", needs=("vehicle",), write=True)
async def unblock_vehicle(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    vehicle = await _vehicle(session, job)
    if vehicle.status == VehicleStatus.AVAILABLE:
        raise NotApplicable(f"{vehicle.registration_number} is not blocked.")
    before = vehicle_row(vehicle)
    vehicle.status = VehicleStatus.AVAILABLE
    await session.flush()
    after = vehicle_row(vehicle)
    return Outcome(
        f"{vehicle.registration_number} is available again.",
        data=after,
        audit=[AuditEntry("vehicle", vehicle.vehicle_id, before, after)],
    )


@executor("add_vehicle", write=True)
async def add_vehicle(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    registration = str(job.slots.get("vehicle") or "").strip()
    kind = str(job.slots.get("vehicle_type") or "").upper()
    capacity = job.slots.get("capacity")
    missing = [
        name
        for name, value in (("registration", registration), ("type", kind), ("capacity", capacity))
        if not value
    ]
    if missing:
        raise NotApplicable(
            "To add a vehicle I need its "
            + ", ".join(missing)
            + " (e.g. 'add bus KA-01-AB-1234, 40 seater')."
        )
    if kind not in VehicleType.__members__:
        raise NotApplicable("The type must be BUS or CAB.")
    from movi.store.schema import registration_key

    clash = await session.scalar(
        select(Vehicle).where(Vehicle.registration_key == registration_key(registration))
    )
    if clash is not None:
        raise NotApplicable(f"{clash.registration_number} is already in the fleet.")
    vehicle = Vehicle(
        registration_number=registration,
        vehicle_type=VehicleType(kind),
        capacity=int(str(capacity)),
        color=job.slots.get("color"),
        status=VehicleStatus.AVAILABLE,
    )
    session.add(vehicle)
    await session.flush()
    after = {
        "vehicle_id": vehicle.vehicle_id,
        "registration_number": registration,
        "vehicle_type": kind,
        "capacity": vehicle.capacity,
        "color": vehicle.color,
        "status": "AVAILABLE",
    }
    return Outcome(
        f"Added {vehicle_label(vehicle)}.",
        data=after,
        audit=[AuditEntry("vehicle", vehicle.vehicle_id, None, after)],
    )


async def _candidates(session: AsyncSession, view: TripView, needed: int) -> list[Vehicle]:
    """Available vehicles big enough and not on another trip within ``OVERLAP`` of this one."""
    same_day = await session.execute(
        select(Deployment.vehicle_id, DailyTrip.departure_time)
        .join(DailyTrip, DailyTrip.trip_id == Deployment.trip_id)
        .where(
            DailyTrip.trip_date == view.trip.trip_date,
            Deployment.vehicle_id.is_not(None),
            DailyTrip.live_status != TripStatus.CANCELLED,
            DailyTrip.trip_id != view.trip.trip_id,
        )
    )
    mine = view.trip.departure_time.hour * 60 + view.trip.departure_time.minute
    window = OVERLAP.total_seconds() / 60
    busy = {
        vehicle_id
        for vehicle_id, departure in same_day.all()
        if abs(departure.hour * 60 + departure.minute - mine) < window
    }
    rows = await session.scalars(
        select(Vehicle)
        .where(Vehicle.status == VehicleStatus.AVAILABLE, Vehicle.capacity >= needed)
        .order_by(Vehicle.capacity, Vehicle.registration_number)
    )
    return [v for v in rows if v.vehicle_id not in busy][:5]


async def _recommend(session: AsyncSession, job: Job, *, alternate: bool) -> Outcome:
    view = await load(session, job)
    needed = max(int(job.slots.get("count") or 0), view.booked, 1)
    found = await _candidates(session, view, needed)
    if alternate and view.vehicle is not None:
        found = [v for v in found if v.vehicle_id != view.vehicle.vehicle_id]
    if not found:
        return Outcome(
            f"No free vehicle with at least {needed} seats on {view.trip.trip_date.isoformat()}.",
            data=[],
        )
    best = found[0]
    others = ", ".join(vehicle_label(v) for v in found[1:4])
    rest = f" Also free: {others}." if others else ""
    return Outcome(
        f"For {view.label} ({needed} seats needed) I suggest {vehicle_label(best)}.{rest}",
        data=[vehicle_row(v) for v in found],
    )


@executor("recommend_vehicle_for_trip", needs=("trip",))
async def recommend_vehicle_for_trip(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    return await _recommend(session, job, alternate=False)


@executor("suggest_alternate_vehicle", needs=("trip",))
async def suggest_alternate_vehicle(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    return await _recommend(session, job, alternate=True)


# --- drivers ---------------------------------------------------------------------------------


@executor("list_all_drivers")
async def list_all_drivers(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    drivers = list(await session.scalars(select(Driver).order_by(Driver.name)))
    counts: dict[str, int] = {}
    for d in drivers:
        counts[str(d.status)] = counts.get(str(d.status), 0) + 1
    summary = ", ".join(f"{n} {status.lower()}" for status, n in sorted(counts.items()))
    return Outcome(
        f"{len(drivers)} drivers ({summary}).", data=[driver_row(d) for d in drivers[:LIST_LIMIT]]
    )


@executor("get_available_drivers")
async def get_available_drivers(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    day = _day(job, ctx)
    busy = (
        select(Deployment.driver_id)
        .join(DailyTrip, DailyTrip.trip_id == Deployment.trip_id)
        .where(
            DailyTrip.trip_date == day,
            Deployment.driver_id.is_not(None),
            DailyTrip.live_status != TripStatus.CANCELLED,
        )
    )
    free = list(
        await session.scalars(
            select(Driver)
            .where(Driver.status == DriverStatus.AVAILABLE, Driver.driver_id.not_in(busy))
            .order_by(Driver.name)
        )
    )
    names = ", ".join(d.name for d in free[:5])
    more = f" and {len(free) - 5} more" if len(free) > 5 else ""
    message = (
        f"{len(free)} drivers are free on {day.isoformat()}: {names}{more}."
        if free
        else f"No available driver is free on {day.isoformat()}."
    )
    return Outcome(message, data=[driver_row(d) for d in free[:LIST_LIMIT]])


@executor("get_driver_status", needs=("driver",))
async def get_driver_status(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    driver = await _driver(session, job)
    return Outcome(f"{driver.name} is {driver.status}.", data=driver_row(driver))


@executor("get_driver_trips_today", needs=("driver",))
async def get_driver_trips_today(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    driver = await _driver(session, job)
    trips = await _trips_of(session, ctx.today, driver_id=driver.driver_id)
    listed = ", ".join(t.display_name for t in trips)
    message = (
        f"{driver.name} drives {len(trips)} trips today: {listed}."
        if trips
        else f"{driver.name} has no trips today."
    )
    return Outcome(message, data=_trip_rows(trips))


@executor("set_driver_availability", needs=("driver",), write=True)
async def set_driver_availability(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    raw = str(job.slots.get("status") or "").upper()
    if raw not in DriverStatus.__members__:
        raise NotApplicable("Is the driver AVAILABLE, UNAVAILABLE or ON_LEAVE?")
    driver = await _driver(session, job)
    status = DriverStatus(raw)
    if driver.status == status:
        raise NotApplicable(f"{driver.name} is already {status}.")
    before = driver_row(driver)
    driver.status = status
    await session.flush()
    after = driver_row(driver)
    day = job.slots.get("date")
    note = (
        f" (from now on: movi keeps current availability, not a calendar, so change it again "
        f"when that no longer holds; you mentioned {day})"
        if day and str(day) != ctx.today.isoformat()
        else ""
    )
    return Outcome(
        f"{driver.name} is now {status}{note}.",
        data=after,
        audit=[AuditEntry("driver", driver.driver_id, before, after)],
    )


@check("set_driver_availability")
async def _availability_check(session: AsyncSession, job: Job, ctx: Context) -> list[Consequence]:
    driver = await _driver(session, job)
    if str(driver.status) == str(job.slots.get("status") or "").upper():
        message = f"{driver.name} is already {driver.status}."
        return [Consequence(code="nothing_to_do", message=message, data={"message": message})]
    if str(job.slots.get("status") or "").upper() == "AVAILABLE":
        return []
    # movi keeps a driver's current availability (no leave calendar), so the change holds from
    # now on, whatever day was named: every upcoming trip of the driver is affected.
    trips = await _future_trips(session, ctx, driver_id=driver.driver_id)
    day = job.slots.get("date")
    if not trips:
        return []
    return [
        Consequence(
            code="driver_has_trips",
            message=f"{driver.name} drives {len(trips)} upcoming trips.",
            data={
                "driver": driver.name,
                "count": len(trips),
                "date": str(day or ctx.today),
                "trips": [trip_label(t) for t in trips[:5]],
            },
        )
    ]


@executor("add_driver", write=True)
async def add_driver(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    name = str(job.slots.get("driver") or "").strip()
    phone = str(job.slots.get("phone") or "").strip()
    if not name or not phone:
        raise NotApplicable("To add a driver I need a name and a phone number.")
    digits = "".join(ch for ch in phone if ch.isdigit())[-10:]
    clash = await session.scalar(select(Driver).where(Driver.phone_number.contains(digits)))
    if clash is not None:
        raise NotApplicable(f"{digits} is already the phone of {clash.name}.")
    driver = Driver(name=name, phone_number=digits, status=DriverStatus.AVAILABLE)
    session.add(driver)
    await session.flush()
    after = driver_row(driver)
    return Outcome(
        f"Added driver {name} ({digits}).",
        data=after,
        audit=[AuditEntry("driver", driver.driver_id, None, after)],
    )
