"""Insights: what needs attention, how the day looks, demand, overbooking, risk, recent changes.

Every insight is a read built from plain signals an operator can check, and says which signals
fired: a trip without a vehicle, a driver on leave, more bookings than seats. The problem-trip
score is a transparent sum of those signals, not a model.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from movi.actions.registry import Job, Outcome, executor
from movi.actions.trips import load
from movi.policy.decision import Context
from movi.store.queries import trip_label
from movi.store.schema import (
    AuditLog,
    Booking,
    BookingStatus,
    DailyTrip,
    Deployment,
    Driver,
    DriverStatus,
    TripStatus,
    Vehicle,
    VehicleStatus,
)

ATTENTION_HOURS = 12
"""A trip departing within this many hours without a vehicle or a driver needs attention."""

#: Weight of each signal in the problem-trip score (a transparent sum, shown with the result).
RISK_WEIGHTS = {
    "no_vehicle": 3,
    "no_driver": 3,
    "vehicle_not_available": 3,
    "driver_not_available": 3,
    "overbooked": 2,
    "nearly_full": 1,
    "already_delayed": 1,
}
RISK_THRESHOLD = 2
"""A trip whose score reaches this is listed as a likely problem."""


@dataclass
class Signals:
    trip: DailyTrip
    booked: int
    capacity: int | None
    fired: list[str] = field(default_factory=list)

    @property
    def score(self) -> int:
        return sum(RISK_WEIGHTS[s] for s in self.fired)

    def row(self) -> dict[str, Any]:
        return {
            "trip_id": self.trip.trip_id,
            "label": trip_label(self.trip),
            "departure_time": self.trip.departure_time.strftime("%H:%M"),
            "booked": self.booked,
            "capacity": self.capacity,
            "signals": self.fired,
            "score": self.score,
        }


def _day(job: Job, ctx: Context) -> date:
    value = job.slots.get("date")
    return date.fromisoformat(str(value)) if value else ctx.today


async def _signals(session: AsyncSession, day: date) -> list[Signals]:
    """Every live trip of the day with the signals that fire for it (one query per table)."""
    trips = list(
        await session.scalars(
            select(DailyTrip)
            .where(
                DailyTrip.trip_date == day,
                DailyTrip.live_status.in_(
                    [TripStatus.SCHEDULED, TripStatus.DELAYED, TripStatus.IN_PROGRESS]
                ),
            )
            .order_by(DailyTrip.departure_time, DailyTrip.trip_id)
        )
    )
    ids = [t.trip_id for t in trips]
    if not ids:
        return []
    deployments = {
        d.trip_id: d
        for d in await session.scalars(select(Deployment).where(Deployment.trip_id.in_(ids)))
    }
    vehicle_ids = {d.vehicle_id for d in deployments.values() if d.vehicle_id}
    driver_ids = {d.driver_id for d in deployments.values() if d.driver_id}
    vehicles = (
        {
            v.vehicle_id: v
            for v in await session.scalars(
                select(Vehicle).where(Vehicle.vehicle_id.in_(vehicle_ids))
            )
        }
        if vehicle_ids
        else {}
    )
    drivers = (
        {
            d.driver_id: d
            for d in await session.scalars(select(Driver).where(Driver.driver_id.in_(driver_ids)))
        }
        if driver_ids
        else {}
    )
    counts = dict(
        (
            await session.execute(
                select(Booking.trip_id, func.count())
                .where(Booking.trip_id.in_(ids), Booking.status == BookingStatus.CONFIRMED)
                .group_by(Booking.trip_id)
            )
        ).all()
    )
    found = []
    for trip in trips:
        deployment = deployments.get(trip.trip_id)
        vehicle = (
            vehicles.get(deployment.vehicle_id) if deployment and deployment.vehicle_id else None
        )
        driver = drivers.get(deployment.driver_id) if deployment and deployment.driver_id else None
        booked = int(counts.get(trip.trip_id, 0))
        signals = Signals(trip, booked, vehicle.capacity if vehicle else None)
        if vehicle is None:
            signals.fired.append("no_vehicle")
        elif vehicle.status != VehicleStatus.AVAILABLE:
            signals.fired.append("vehicle_not_available")
        if driver is None:
            signals.fired.append("no_driver")
        elif driver.status != DriverStatus.AVAILABLE:
            signals.fired.append("driver_not_available")
        if vehicle is not None and booked > vehicle.capacity:
            signals.fired.append("overbooked")
        elif vehicle is not None and booked >= 0.9 * vehicle.capacity:
            signals.fired.append("nearly_full")
        if trip.live_status == TripStatus.DELAYED or trip.delay_minutes:
            signals.fired.append("already_delayed")
        found.append(signals)
    return found


_URGENT = ("no_vehicle", "no_driver", "vehicle_not_available", "driver_not_available", "overbooked")


@executor("get_trips_needing_attention")
async def get_trips_needing_attention(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    day = _day(job, ctx)
    rows = [s for s in await _signals(session, day) if set(s.fired) & set(_URGENT)]
    if day == ctx.today:
        horizon = ctx.now + timedelta(hours=ATTENTION_HOURS)
        rows = [
            s
            for s in rows
            if _departure(s.trip, ctx) <= horizon or set(s.fired) - {"no_vehicle", "no_driver"}
        ]
    if not rows:
        return Outcome(f"Nothing needs attention on {day.isoformat()}.", data=[])
    shown = "; ".join(f"{trip_label(s.trip)}: {', '.join(s.fired)}" for s in rows[:5])
    more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
    return Outcome(
        f"{len(rows)} trips need attention on {day.isoformat()}: {shown}{more}.",
        data=[s.row() for s in rows],
    )


def _departure(trip: DailyTrip, ctx: Context) -> datetime:
    return datetime.combine(trip.trip_date, trip.departure_time, tzinfo=ctx.now.tzinfo or UTC)


@executor("get_today_summary")
async def get_today_summary(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    day = _day(job, ctx)
    statuses = Counter(
        str(status)
        for status in await session.scalars(
            select(DailyTrip.live_status).where(DailyTrip.trip_date == day)
        )
    )
    signals = await _signals(session, day)
    booked = sum(s.booked for s in signals)
    problems = Counter(f for s in signals for f in s.fired if f in _URGENT)
    total = sum(statuses.values())
    parts = ", ".join(
        f"{n} {status.lower().replace('_', ' ')}" for status, n in sorted(statuses.items())
    )
    issues = ", ".join(f"{n} {code.replace('_', ' ')}" for code, n in problems.most_common())
    message = f"{day.isoformat()}: {total} trips ({parts}); {booked} bookings on live trips" + (
        f"; to fix: {issues}." if issues else "; nothing to fix."
    )
    return Outcome(
        message,
        data={
            "date": day.isoformat(),
            "trips": total,
            "by_status": dict(statuses),
            "bookings": booked,
            "problems": dict(problems),
        },
    )


@executor("get_high_demand_offices")
async def get_high_demand_offices(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    day = _day(job, ctx)
    rows = (
        await session.execute(
            select(Booking.office, func.count().label("n"))
            .join(DailyTrip, DailyTrip.trip_id == Booking.trip_id)
            .where(
                DailyTrip.trip_date == day,
                Booking.status == BookingStatus.CONFIRMED,
                Booking.office.is_not(None),
            )
            .group_by(Booking.office)
            .order_by(func.count().desc(), Booking.office)
            .limit(10)
        )
    ).all()
    if not rows:
        return Outcome(f"No bookings on {day.isoformat()}.", data=[])
    top = ", ".join(f"{office} ({n})" for office, n in rows[:5])
    return Outcome(
        f"Offices by bookings on {day.isoformat()}: {top}.",
        data=[{"office": o, "bookings": int(n)} for o, n in rows],
    )


@executor("detect_overbooking")
async def detect_overbooking(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    day = _day(job, ctx)
    rows = [s for s in await _signals(session, day) if "overbooked" in s.fired]
    if not rows:
        return Outcome(f"No trip is overbooked on {day.isoformat()}.", data=[])
    shown = "; ".join(
        f"{trip_label(s.trip)}: {s.booked} booked for {s.capacity} seats" for s in rows[:5]
    )
    return Outcome(f"{len(rows)} overbooked trips: {shown}.", data=[s.row() for s in rows])


@executor("predict_problem_trips")
async def predict_problem_trips(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    day = _day(job, ctx)
    rows = sorted(
        (s for s in await _signals(session, day) if s.score >= RISK_THRESHOLD),
        key=lambda s: (-s.score, s.trip.departure_time),
    )
    if not rows:
        return Outcome(f"No trip on {day.isoformat()} shows problem signals.", data=[])
    shown = "; ".join(
        f"{trip_label(s.trip)} score {s.score} ({', '.join(s.fired)})" for s in rows[:5]
    )
    weights = ", ".join(f"{k} {v}" for k, v in RISK_WEIGHTS.items())
    return Outcome(
        f"{len(rows)} trips at risk on {day.isoformat()}: {shown}. "
        f"(Score = sum of signals: {weights}; listed from {RISK_THRESHOLD}.)",
        data=[s.row() for s in rows],
    )


@executor("get_recent_changes")
async def get_recent_changes(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    minutes = int(job.slots.get("minutes") or 60)
    since = ctx.now - timedelta(minutes=minutes)
    rows = list(
        await session.scalars(
            select(AuditLog)
            .where(AuditLog.created_at >= since)
            .order_by(AuditLog.log_id.desc())
            .limit(50)
        )
    )
    if not rows:
        return Outcome(f"No changes in the last {minutes} minutes.", data=[])
    shown = "; ".join(
        f"{r.action} on {r.entity_type} {r.entity_id} by {r.user_id or 'someone'}" for r in rows[:5]
    )
    return Outcome(
        f"{len(rows)} changes in the last {minutes} minutes, latest first: {shown}.",
        data=[
            {
                "log_id": r.log_id,
                "action": r.action,
                "entity_type": r.entity_type,
                "entity_id": r.entity_id,
                "user_id": r.user_id,
                "created_at": str(r.created_at),
            }
            for r in rows
        ],
    )


async def _trip_signals(session: AsyncSession, job: Job) -> Signals:
    view = await load(session, job)
    signals = Signals(view.trip, view.booked, view.vehicle.capacity if view.vehicle else None)
    if view.vehicle is None:
        signals.fired.append("no_vehicle")
    elif view.vehicle.status != VehicleStatus.AVAILABLE:
        signals.fired.append("vehicle_not_available")
    if view.driver is None:
        signals.fired.append("no_driver")
    elif view.driver.status != DriverStatus.AVAILABLE:
        signals.fired.append("driver_not_available")
    if view.vehicle is not None and view.booked > view.vehicle.capacity:
        signals.fired.append("overbooked")
    return signals


@executor("check_trip_readiness", needs=("trip",))
async def check_trip_readiness(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    signals = await _trip_signals(session, job)
    label = trip_label(signals.trip)
    if signals.trip.live_status in (TripStatus.CANCELLED, TripStatus.COMPLETED):
        return Outcome(f"{label} is {signals.trip.live_status}.", data=signals.row())
    if not signals.fired:
        return Outcome(
            f"{label} is ready: vehicle and driver assigned and available, "
            f"{signals.booked} booked.",
            data=signals.row(),
        )
    return Outcome(
        f"{label} is not ready: {', '.join(signals.fired).replace('_', ' ')}.", data=signals.row()
    )


_SUGGESTIONS = {
    "no_vehicle": "assign a vehicle ('recommend a vehicle for this trip')",
    "vehicle_not_available": "swap the vehicle ('suggest an alternate vehicle')",
    "no_driver": "assign a driver ('which drivers are available')",
    "driver_not_available": "assign another driver",
    "overbooked": "assign a bigger vehicle or reduce bookings",
}


@executor("show_trip_suggestions", needs=("trip",))
async def show_trip_suggestions(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    signals = await _trip_signals(session, job)
    label = trip_label(signals.trip)
    status = signals.trip.live_status
    if status == TripStatus.CANCELLED:
        ideas = ["duplicate it to another day", "look at its audit trail"]
    elif status == TripStatus.COMPLETED:
        ideas = ["look at its passengers or audit trail"]
    else:
        ideas = [_SUGGESTIONS[s] for s in signals.fired if s in _SUGGESTIONS]
        ideas += ["delay it", "cancel it", "check seat availability"]
    return Outcome(
        f"For {label} you can: " + "; ".join(ideas) + ".",
        data={"trip": signals.row(), "suggestions": ideas},
    )
