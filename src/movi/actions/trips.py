"""Trip actions: reads, changes of time, date and status, cancellation, copies, bulk cancel."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from movi.actions.registry import AuditEntry, Job, NotApplicable, Outcome, check, executor
from movi.policy.decision import Context
from movi.reply import Consequence
from movi.store.queries import TripView, cancel_bookings, trip_label, trip_view
from movi.store.schema import (
    Booking,
    BookingStatus,
    DailyTrip,
    Deployment,
    Driver,
    DriverStatus,
    PathStop,
    Route,
    Stop,
    TripStatus,
    Vehicle,
    VehicleStatus,
)

BULK_PREVIEW = 5
"""How many trips a bulk preview names before "and N more"."""


async def load(session: AsyncSession, job: Job, *, lock: bool = False) -> TripView:
    view = await trip_view(session, job.ids["trip"], lock=lock)
    if view is None:
        raise NotApplicable(f"trip {job.ids['trip']} no longer exists")
    return view


def trip_state(view: TripView, ctx: Context) -> list[Consequence]:
    """What the trip's own state says about changing it: completed, cancelled, past, running."""
    trip, label = view.trip, view.label
    data = {"trip_label": label, "trip_id": trip.trip_id, "status": str(trip.live_status)}
    if trip.live_status == TripStatus.COMPLETED:
        return [Consequence(code="trip_completed", message=f"{label} is completed.", data=data)]
    if trip.live_status == TripStatus.CANCELLED:
        return [Consequence(code="trip_cancelled", message=f"{label} is cancelled.", data=data)]
    if trip.trip_date < ctx.today:
        return [Consequence(code="trip_past", message=f"{label} was on a past day.", data=data)]
    if trip.live_status == TripStatus.IN_PROGRESS:
        return [Consequence(code="trip_in_progress", message=f"{label} is under way.", data=data)]
    return []


def bookings_affected(view: TripView) -> list[Consequence]:
    if view.booked <= 0:
        return []
    data: dict[str, Any] = {
        "trip_label": view.trip.display_name,
        "trip_id": view.trip.trip_id,
        "booked": view.booked,
    }
    if view.vehicle is not None:  # without a vehicle there are no seats to count against
        data["capacity"] = view.vehicle.capacity
        data["percent"] = round(100 * view.booked / view.vehicle.capacity)
    return [
        Consequence(
            code="bookings_affected",
            message=f"{view.label} has {view.booked} confirmed bookings.",
            data=data,
        )
    ]


def describe(view: TripView) -> str:
    trip = view.trip
    parts = [f"{view.label} departs {trip.departure_time.strftime('%H:%M')}"]
    status = str(trip.live_status)
    if trip.delay_minutes:
        status += f", {trip.delay_minutes} min late"
    parts.append(status)
    parts.append(
        f"vehicle {view.vehicle.registration_number} ({view.vehicle.capacity} seats)"
        if view.vehicle
        else "no vehicle"
    )
    parts.append(f"driver {view.driver.name}" if view.driver else "no driver")
    seats = f" of {view.vehicle.capacity}" if view.vehicle else ""
    parts.append(f"{view.booked}{seats} seats booked")
    return "; ".join(parts) + "."


# --- reads -----------------------------------------------------------------------------------


@executor("get_trip_details", needs=("trip",))
async def get_trip_details(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    view = await load(session, job)
    return Outcome(describe(view), data=view.state())


@executor("get_trip_status", needs=("trip",))
async def get_trip_status(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    view = await load(session, job)
    trip = view.trip
    late = f", running {trip.delay_minutes} min late" if trip.delay_minutes else ""
    return Outcome(f"{view.label} is {trip.live_status}{late}.", data=view.state())


@executor("get_trip_summary", needs=("trip",))
async def get_trip_summary(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    view = await load(session, job)
    return Outcome(describe(view), data=view.state())


async def path_stops(session: AsyncSession, path_id: int) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(PathStop.position, Stop.stop_id, Stop.name)
        .join(Stop, Stop.stop_id == PathStop.stop_id)
        .where(PathStop.path_id == path_id)
        .order_by(PathStop.position)
    )
    return [{"position": p, "stop_id": s, "name": n} for p, s, n in rows]


@executor("get_trip_stops", needs=("trip",))
async def get_trip_stops(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    view = await load(session, job)
    route = await session.get(Route, view.trip.route_id)
    stops = await path_stops(session, route.path_id) if route else []
    names = " → ".join(s["name"] for s in stops) or "no stops"
    return Outcome(f"{view.label} stops: {names}.", data=stops)


# --- writes ----------------------------------------------------------------------------------


async def _changing(session: AsyncSession, job: Job, ctx: Context) -> list[Consequence]:
    view = await load(session, job)
    return [*trip_state(view, ctx), *bookings_affected(view)]


def _bump(view: TripView, **values: Any) -> None:
    for key, value in values.items():
        setattr(view.trip, key, value)


@executor("cancel_trip", needs=("trip",), write=True)
async def cancel_trip(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    view = await load(session, job, lock=True)
    before = view.state()
    _bump(view, live_status=TripStatus.CANCELLED)
    cancelled = await cancel_bookings(session, view.trip.trip_id)
    await session.flush()
    after = {
        **before,
        "live_status": "CANCELLED",
        "confirmed_bookings": 0,
        "version": view.trip.version,
        "cancelled_booking_ids": cancelled,
    }
    note = f" and its {view.booked} bookings" if view.booked else ""
    return Outcome(
        f"Cancelled {view.label}{note}.",
        data=after,
        audit=[AuditEntry("trip", view.trip.trip_id, before, after)],
    )


check("cancel_trip")(_changing)


@executor("delay_trip", needs=("trip",), write=True)
async def delay_trip(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    minutes = int(job.slots.get("minutes") or 0)
    if minutes <= 0:
        raise NotApplicable("By how many minutes? Say for example 'delay it by 15 minutes'.")
    view = await load(session, job, lock=True)
    before = view.state()
    total = (view.trip.delay_minutes or 0) + minutes
    _bump(view, delay_minutes=total, live_status=TripStatus.DELAYED)
    await session.flush()
    after = {
        **before,
        "delay_minutes": total,
        "live_status": "DELAYED",
        "version": view.trip.version,
    }
    return Outcome(
        f"Delayed {view.label} by {minutes} min (now {total} min late).",
        data=after,
        audit=[AuditEntry("trip", view.trip.trip_id, before, after)],
    )


@check("delay_trip")
async def _delay_check(session: AsyncSession, job: Job, ctx: Context) -> list[Consequence]:
    view = await load(session, job)
    # A trip under way may still be running late; only finished or cancelled ones may not.
    state = [c for c in trip_state(view, ctx) if c.code != "trip_in_progress"]
    return [*state, *bookings_affected(view)]


@executor("update_trip_time", needs=("trip",), write=True)
async def update_trip_time(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    new_time = _time(job.slots.get("new_time"))
    if new_time is None:
        raise NotApplicable("To what time? Say for example 'move it to 9:15'.")
    view = await load(session, job, lock=True)
    if view.trip.departure_time == new_time:
        raise NotApplicable(f"{view.label} already departs at {new_time.strftime('%H:%M')}.")
    before = view.state()
    _bump(view, departure_time=new_time, display_name=_retimed(view.trip.display_name, new_time))
    await session.flush()
    after = {
        **before,
        "departure_time": new_time.strftime("%H:%M"),
        "display_name": view.trip.display_name,
        "version": view.trip.version,
    }
    return Outcome(
        f"{view.label} now departs at {new_time.strftime('%H:%M')}.",
        data=after,
        audit=[AuditEntry("trip", view.trip.trip_id, before, after)],
    )


check("update_trip_time")(_changing)


@executor("reschedule_trip", needs=("trip",), write=True)
async def reschedule_trip(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    new_date = _date(job.slots.get("new_date"))
    if new_date is None:
        raise NotApplicable("To which day? Say for example 'move it to tomorrow'.")
    if new_date < ctx.today:
        raise NotApplicable(f"{new_date.isoformat()} is in the past; pick today or a later day.")
    new_time = _time(job.slots.get("new_time"))
    view = await load(session, job, lock=True)
    before = view.state()
    values: dict[str, Any] = {"trip_date": new_date}
    if new_time is not None:
        values["departure_time"] = new_time
        values["display_name"] = _retimed(view.trip.display_name, new_time)
    _bump(view, **values)
    await session.flush()
    after = {**before, "trip_date": new_date.isoformat(), "version": view.trip.version}
    if new_time is not None:
        after["departure_time"] = new_time.strftime("%H:%M")
    at = f" at {new_time.strftime('%H:%M')}" if new_time else ""
    return Outcome(
        f"Moved {view.trip.display_name} (trip {view.trip.trip_id}) to {new_date.isoformat()}{at}.",
        data=after,
        audit=[AuditEntry("trip", view.trip.trip_id, before, after)],
    )


check("reschedule_trip")(_changing)


@executor("update_trip_status", needs=("trip",), write=True)
async def update_trip_status(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    raw = str(job.slots.get("status") or "").upper()
    if raw not in TripStatus.__members__ or raw == "CANCELLED":
        raise NotApplicable(
            "Which status? SCHEDULED, IN_PROGRESS, COMPLETED or DELAYED (to cancel, say 'cancel')."
        )
    status = TripStatus(raw)
    view = await load(session, job, lock=True)
    if view.trip.live_status == status:
        raise NotApplicable(f"{view.label} is already {status}.")
    before = view.state()
    _bump(view, live_status=status)
    await session.flush()
    after = {**before, "live_status": str(status), "version": view.trip.version}
    return Outcome(
        f"{view.label} is now {status}.",
        data=after,
        audit=[AuditEntry("trip", view.trip.trip_id, before, after)],
    )


@check("update_trip_status")
async def _status_check(session: AsyncSession, job: Job, ctx: Context) -> list[Consequence]:
    view = await load(session, job)
    # Marking a running trip completed is the normal end of its day.
    return [c for c in trip_state(view, ctx) if c.code != "trip_in_progress"]


@executor("duplicate_trip", needs=("trip",), write=True)
async def duplicate_trip(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    new_date = _date(job.slots.get("new_date")) or _date(job.slots.get("date"))
    if new_date is None:
        raise NotApplicable("For which day should I copy it? Say for example 'for tomorrow'.")
    if new_date < ctx.today:
        raise NotApplicable(f"{new_date.isoformat()} is in the past; pick today or a later day.")
    view = await load(session, job)
    exists = await session.scalar(
        select(DailyTrip.trip_id).where(
            DailyTrip.route_id == view.trip.route_id,
            DailyTrip.trip_date == new_date,
            DailyTrip.departure_time == view.trip.departure_time,
            DailyTrip.live_status != TripStatus.CANCELLED,
        )
    )
    if exists is not None:
        raise NotApplicable(
            f"{view.trip.display_name} already runs on {new_date.isoformat()} (trip {exists})."
        )
    copy = DailyTrip(
        route_id=view.trip.route_id,
        display_name=view.trip.display_name,
        trip_date=new_date,
        departure_time=view.trip.departure_time,
        live_status=TripStatus.SCHEDULED,
        delay_minutes=0,
    )
    session.add(copy)
    await session.flush()
    after = {
        "trip_id": copy.trip_id,
        "display_name": copy.display_name,
        "trip_date": new_date.isoformat(),
        "copied_from": view.trip.trip_id,
    }
    return Outcome(
        f"Copied {view.label} to {new_date.isoformat()} as trip {copy.trip_id}.",
        data=after,
        audit=[AuditEntry("trip", copy.trip_id, None, after)],
    )


# --- bulk ------------------------------------------------------------------------------------


async def _bulk_targets(session: AsyncSession, job: Job, ctx: Context) -> list[DailyTrip]:
    day = _date(job.slots.get("date"))
    if day is None:
        raise NotApplicable("Which day's trips? Say for example 'cancel all trips tomorrow'.")
    statement = select(DailyTrip).where(
        DailyTrip.trip_date == day,
        DailyTrip.live_status.in_([TripStatus.SCHEDULED, TripStatus.DELAYED]),
    )
    name = job.slots.get("trip_name")
    if name:
        key = _name_key(str(name))
        rows = list(await session.scalars(statement.order_by(DailyTrip.departure_time)))
        return [t for t in rows if _name_key(t.display_name.rsplit(" - ", 1)[0]) == key]
    return list(await session.scalars(statement.order_by(DailyTrip.departure_time)))


def _name_key(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


@executor("bulk_cancel_trips", write=True)
async def bulk_cancel_trips(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    trips = await _bulk_targets(session, job, ctx)
    if not trips:
        raise NotApplicable("There are no scheduled trips to cancel for that day.")
    ids = [t.trip_id for t in trips]
    booked: dict[int, list[int]] = {trip_id: [] for trip_id in ids}
    for trip_id, booking_id in await session.execute(
        select(Booking.trip_id, Booking.booking_id).where(
            Booking.trip_id.in_(ids), Booking.status == BookingStatus.CONFIRMED
        )
    ):
        booked[trip_id].append(booking_id)
    befores = {}
    for trip in trips:
        # The whole state undo restores, as cancel_trip records it.
        befores[trip.trip_id] = {
            "trip_id": trip.trip_id,
            "display_name": trip.display_name,
            "trip_date": trip.trip_date.isoformat(),
            "departure_time": trip.departure_time.strftime("%H:%M"),
            "live_status": str(trip.live_status),
            "delay_minutes": trip.delay_minutes,
            "version": trip.version,
            "confirmed_bookings": len(booked[trip.trip_id]),
        }
        trip.live_status = TripStatus.CANCELLED
    result = await session.execute(
        update(Booking)
        .where(Booking.trip_id.in_(ids), Booking.status == BookingStatus.CONFIRMED)
        .values(status=BookingStatus.CANCELLED)
    )
    await session.flush()
    cancelled = int(getattr(result, "rowcount", 0) or 0)
    audit = [
        AuditEntry(
            "trip",
            trip.trip_id,
            befores[trip.trip_id],
            {
                **befores[trip.trip_id],
                "live_status": "CANCELLED",
                "version": trip.version,
                "confirmed_bookings": 0,
                "cancelled_booking_ids": booked[trip.trip_id],
            },
        )
        for trip in trips
    ]
    return Outcome(
        f"Cancelled {len(ids)} trips and {cancelled} bookings.",
        data={"trip_ids": ids, "bookings_cancelled": cancelled},
        audit=audit,
    )


@check("bulk_cancel_trips")
async def _bulk_preview(session: AsyncSession, job: Job, ctx: Context) -> list[Consequence]:
    trips = await _bulk_targets(session, job, ctx)
    ids = [t.trip_id for t in trips]
    bookings = 0
    if ids:
        bookings = int(
            await session.scalar(
                select(func.count())
                .select_from(Booking)
                .where(Booking.trip_id.in_(ids), Booking.status == BookingStatus.CONFIRMED)
            )
            or 0
        )
    first = [trip_label(t) for t in trips[:BULK_PREVIEW]]
    more = max(0, len(trips) - BULK_PREVIEW)
    day = str(job.slots.get("date"))
    return [
        Consequence(
            code="bulk_preview",
            message=f"{len(trips)} trips on {day}, {bookings} bookings",
            data={
                "count": len(trips),
                "bookings": bookings,
                "first": first,
                "more": more,
                "date": day,
                "and_more": f" and {more} more" if more else "",
                "trip_ids": ids,
            },
        )
    ]


# --- slot values -----------------------------------------------------------------------------


def _retimed(display_name: str, new_time: time) -> str:
    """ "Path-2 - 08:00" moved to 09:15 reads "Path-2 - 09:15": the label follows the time."""
    return f"{display_name.rsplit(' - ', 1)[0]} - {new_time.strftime('%H:%M')}"


def _time(value: Any) -> time | None:
    if not value:
        return None
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        return None


def _date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


# --- a new trip ------------------------------------------------------------------------------


@executor("create_trip_from_scratch", needs=("route", "vehicle?", "driver?"), write=True)
async def create_trip_from_scratch(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    route = await session.get(Route, job.ids["route"])
    if route is None:
        raise NotApplicable("that route no longer exists")
    day = _date(job.slots.get("date")) or ctx.today
    departure = _time(job.slots.get("trip_time")) or route.shift_time
    name = f"{route.route_display_name.rsplit(' - ', 1)[0]} - {departure.strftime('%H:%M')}"
    trip = DailyTrip(
        route_id=route.route_id,
        display_name=name,
        trip_date=day,
        departure_time=departure,
        live_status=TripStatus.SCHEDULED,
        delay_minutes=0,
    )
    session.add(trip)
    await session.flush()
    vehicle_id, driver_id = job.ids.get("vehicle"), job.ids.get("driver")
    if vehicle_id is not None or driver_id is not None:
        session.add(Deployment(trip_id=trip.trip_id, vehicle_id=vehicle_id, driver_id=driver_id))
        await session.flush()
    view = await trip_view(session, trip.trip_id)
    after = view.state() if view else {"trip_id": trip.trip_id}
    return Outcome(
        f"Created {trip_label(trip)}" + (f": {describe(view)}" if view else "."),
        data=after,
        audit=[AuditEntry("trip", trip.trip_id, None, after)],
    )


@check("create_trip_from_scratch")
async def _new_trip_check(session: AsyncSession, job: Job, ctx: Context) -> list[Consequence]:
    route = await session.get(Route, job.ids["route"])
    found: list[Consequence] = []
    if route is None:
        return found
    day = _date(job.slots.get("date")) or ctx.today
    departure = _time(job.slots.get("trip_time")) or route.shift_time
    if day < ctx.today:
        label = f"{route.route_display_name} on {day.isoformat()}"
        found.append(
            Consequence(
                code="trip_past",
                message=f"{label} is in the past.",
                data={"trip_label": label, "trip_date": day.isoformat()},
            )
        )
    existing = await session.scalar(
        select(DailyTrip.trip_id).where(
            DailyTrip.route_id == route.route_id,
            DailyTrip.trip_date == day,
            DailyTrip.departure_time == departure,
            DailyTrip.live_status != TripStatus.CANCELLED,
        )
    )
    if existing is not None:
        message = f"{route.route_display_name} already runs on {day.isoformat()} (trip {existing})."
        found.append(Consequence(code="nothing_to_do", message=message, data={"message": message}))
    if "vehicle" in job.ids:
        vehicle = await session.get(Vehicle, job.ids["vehicle"])
        if vehicle is not None and vehicle.status != VehicleStatus.AVAILABLE:
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
    if "driver" in job.ids:
        driver = await session.get(Driver, job.ids["driver"])
        if driver is not None and driver.status != DriverStatus.AVAILABLE:
            found.append(
                Consequence(
                    code="driver_unavailable",
                    message=f"{driver.name} is {driver.status}.",
                    data={"driver": driver.name, "status": str(driver.status)},
                )
            )
    return found
