"""Bookings: counts, seats, passengers, adding and removing bookings, and employees' trips."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from movi.actions.registry import AuditEntry, Job, NotApplicable, Outcome, check, executor
from movi.actions.trips import bookings_affected, load, trip_state
from movi.policy.decision import Context
from movi.reply import Consequence
from movi.store.queries import cancel_bookings, trip_label
from movi.store.schema import AuditLog, Booking, BookingStatus, DailyTrip

ADDED_BY_OPERATOR = "Added by operator"
"""Employee name on bookings an operator adds by count, without names."""


@executor("get_booking_count", needs=("trip",))
async def get_booking_count(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    view = await load(session, job)
    seats = f" of {view.vehicle.capacity} seats" if view.vehicle else " (no vehicle yet)"
    return Outcome(
        f"{view.label} has {view.booked} confirmed bookings{seats}.",
        data={
            "trip_id": view.trip.trip_id,
            "confirmed": view.booked,
            "capacity": view.vehicle.capacity if view.vehicle else None,
        },
    )


@executor("check_seat_availability", needs=("trip",))
async def check_seat_availability(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    view = await load(session, job)
    if view.vehicle is None:
        return Outcome(
            f"{view.label} has no vehicle yet, so no seats; {view.booked} booked.",
            data={"trip_id": view.trip.trip_id, "free": 0, "booked": view.booked},
        )
    free = view.vehicle.capacity - view.booked
    words = (
        f"{free} seats free"
        if free > 0
        else "no seats free"
        if free == 0
        else f"overbooked by {-free}"
    )
    return Outcome(
        f"{view.label}: {words} ({view.booked} of {view.vehicle.capacity} booked).",
        data={
            "trip_id": view.trip.trip_id,
            "free": max(free, 0),
            "booked": view.booked,
            "capacity": view.vehicle.capacity,
        },
    )


@executor("list_passengers", needs=("trip",))
async def list_passengers(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    view = await load(session, job)
    rows = list(
        await session.scalars(
            select(Booking)
            .where(Booking.trip_id == view.trip.trip_id, Booking.status == BookingStatus.CONFIRMED)
            .order_by(Booking.employee_name)
        )
    )
    names = ", ".join(b.employee_name for b in rows[:10])
    more = f" and {len(rows) - 10} more" if len(rows) > 10 else ""
    message = (
        f"{len(rows)} passengers on {view.label}: {names}{more}."
        if rows
        else f"Nobody is booked on {view.label}."
    )
    return Outcome(
        message,
        data=[
            {"booking_id": b.booking_id, "employee_name": b.employee_name, "office": b.office}
            for b in rows
        ],
    )


def _count(job: Job) -> int:
    count = int(job.slots.get("count") or 0)
    if count <= 0:
        raise NotApplicable("How many bookings? Say for example 'add 3 bookings to trip 42'.")
    return count


@executor("add_bookings", needs=("trip",), write=True)
async def add_bookings(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    count = _count(job)
    view = await load(session, job, lock=True)
    before = view.state()
    created = datetime.now(UTC)
    added = [
        Booking(
            trip_id=view.trip.trip_id,
            employee_name=ADDED_BY_OPERATOR,
            office=None,
            status=BookingStatus.CONFIRMED,
            created_at=created + timedelta(microseconds=i),
        )
        for i in range(count)
    ]
    session.add_all(added)
    await session.flush()
    after = {
        **before,
        "confirmed_bookings": view.booked + count,
        "added_booking_ids": [b.booking_id for b in added],
    }
    return Outcome(
        f"Added {count} bookings to {view.label} (now {view.booked + count}).",
        data=after,
        audit=[AuditEntry("trip", view.trip.trip_id, before, after)],
    )


@check("add_bookings")
async def _add_check(session: AsyncSession, job: Job, ctx: Context) -> list[Consequence]:
    view = await load(session, job)
    found = trip_state(view, ctx)  # a running trip too: the policy decides (it refuses)
    count = int(job.slots.get("count") or 0)
    capacity = view.vehicle.capacity if view.vehicle else 0
    if view.booked + count > capacity:
        found.append(
            Consequence(
                code="over_capacity",
                message=f"{view.label} would have {view.booked + count} bookings "
                f"for {capacity} seats.",
                data={
                    "trip_label": view.label,
                    "booked": view.booked,
                    "capacity": capacity,
                    "adding": count,
                },
            )
        )
    return found


@executor("reduce_bookings", needs=("trip",), write=True)
async def reduce_bookings(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    count = _count(job)
    view = await load(session, job, lock=True)
    if view.booked == 0:
        raise NotApplicable(f"{view.label} has no confirmed bookings.")
    before = view.state()
    cancelled = await cancel_bookings(session, view.trip.trip_id, limit=count)
    after = {
        **before,
        "confirmed_bookings": view.booked - len(cancelled),
        "cancelled_booking_ids": cancelled,
    }
    return Outcome(
        f"Cancelled the {len(cancelled)} latest bookings of {view.label}.",
        data=after,
        audit=[AuditEntry("trip", view.trip.trip_id, before, after)],
    )


@executor("cancel_all_bookings", needs=("trip",), write=True)
async def cancel_all_bookings(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    view = await load(session, job, lock=True)
    if view.booked == 0:
        raise NotApplicable(f"{view.label} has no confirmed bookings.")
    before = view.state()
    cancelled = await cancel_bookings(session, view.trip.trip_id)
    after = {**before, "confirmed_bookings": 0, "cancelled_booking_ids": cancelled}
    return Outcome(
        f"Cancelled all {len(cancelled)} bookings of {view.label}.",
        data=after,
        audit=[AuditEntry("trip", view.trip.trip_id, before, after)],
    )


async def _bookings_check(session: AsyncSession, job: Job, ctx: Context) -> list[Consequence]:
    view = await load(session, job)
    state = trip_state(view, ctx)  # a running trip too: the policy decides (it refuses)
    return [*state, *bookings_affected(view)]


check("reduce_bookings")(_bookings_check)
check("cancel_all_bookings")(_bookings_check)


@executor("find_employee_trips")
async def find_employee_trips(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    name = str(job.slots.get("employee") or "").strip()
    if not name:
        raise NotApplicable("Whose trips? Say for example 'find trips for Priya Sharma'.")
    rows = (
        await session.execute(
            select(Booking, DailyTrip)
            .join(DailyTrip, DailyTrip.trip_id == Booking.trip_id)
            .where(
                func.lower(Booking.employee_name).contains(name.lower()),
                Booking.status == BookingStatus.CONFIRMED,
                DailyTrip.trip_date >= ctx.today,
            )
            .order_by(DailyTrip.trip_date, DailyTrip.departure_time)
            .limit(20)
        )
    ).all()
    if not rows:
        return Outcome(f"No upcoming confirmed booking for {name}.", data=[])
    listed = "; ".join(f"{b.employee_name}: {trip_label(t)}" for b, t in rows[:5])
    return Outcome(
        f"{len(rows)} upcoming bookings — {listed}.",
        data=[
            {
                "employee_name": b.employee_name,
                "office": b.office,
                "trip_id": t.trip_id,
                "display_name": t.display_name,
                "trip_date": t.trip_date.isoformat(),
            }
            for b, t in rows
        ],
    )


@executor("get_audit_trail")
async def get_audit_trail(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    if "trip" in job.ids:
        entity, entity_id = "trip", job.ids["trip"]
    elif "vehicle" in job.ids:
        entity, entity_id = "vehicle", job.ids["vehicle"]
    elif "driver" in job.ids:
        entity, entity_id = "driver", job.ids["driver"]
    else:
        raise NotApplicable("Whose history? Name a trip, a vehicle or a driver.")
    rows = list(
        await session.scalars(
            select(AuditLog)
            .where(AuditLog.entity_type == entity, AuditLog.entity_id == entity_id)
            .order_by(AuditLog.log_id.desc())
            .limit(20)
        )
    )
    if not rows:
        return Outcome(f"No recorded changes for {entity} {entity_id}.", data=[])
    lines = "; ".join(f"{r.action} by {r.user_id or 'someone'} ({r.source})" for r in rows[:5])
    return Outcome(
        f"{len(rows)} changes to {entity} {entity_id}, latest first: {lines}.",
        data=[
            {
                "log_id": r.log_id,
                "created_at": str(r.created_at),
                "user_id": r.user_id,
                "action": r.action,
                "success": r.success,
                "before": r.before_state,
                "after": r.after_state,
            }
            for r in rows
        ],
    )
