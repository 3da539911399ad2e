"""Departure warnings: the 30-minute check for trips about to leave without a vehicle or driver.

A live trip (SCHEDULED or DELAYED) whose departure, delay included, falls within
:data:`WARNING_MINUTES` of ``now`` and lacks a vehicle or a driver gets one ``notifications``
row per kind (``missing_vehicle``, ``missing_driver``). Several watchers may run at once: the
row is inserted with ``ON CONFLICT DO NOTHING`` against UNIQUE(trip_id, kind), so each warning
is written exactly once and only the watcher that wrote it reports it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from movi import events
from movi.store import mapped_errors, read_only, session_factory
from movi.store.queries import trip_label
from movi.store.schema import DailyTrip, Deployment, Notification, TripStatus

WARNING_MINUTES = 30
"""A trip departing within this many minutes without a vehicle or a driver is warned about."""

LIVE = (TripStatus.SCHEDULED, TripStatus.DELAYED)
Kind = Literal["missing_vehicle", "missing_driver"]


class DepartureWarning(BaseModel):
    """One notification row written by this check."""

    notification_id: int
    kind: Kind
    trip_id: int
    message: str
    created_at: datetime
    departs_at: datetime


def departs_at(trip_date: date, departure: time, delay_minutes: int) -> datetime:
    """When the trip really leaves (wall-clock time of the trip's day, delay included)."""
    return datetime.combine(trip_date, departure) + timedelta(minutes=delay_minutes or 0)


def _leaving_on(day: date, start: datetime, end: datetime) -> ColumnElement[bool]:
    """Trips of ``day`` that may leave within [start, end], for the (date, time) index.

    An on-time trip's departure time must fall in the window; a delayed one only needs to be
    scheduled before its end (its delay may carry it in). The caller checks the exact moment.
    """
    if end.date() < day:
        return false()
    until = end.time() if end.date() == day else time(23, 59, 59, 999_999)
    delayed = and_(
        DailyTrip.trip_date == day,
        DailyTrip.delay_minutes > 0,
        DailyTrip.departure_time <= until,
    )
    if start.date() > day:
        return delayed
    since = start.time() if start.date() == day else time()
    return or_(
        and_(DailyTrip.trip_date == day, DailyTrip.departure_time.between(since, until)),
        delayed,
    )


def _wall_clock(now: datetime) -> datetime:
    """Trip times are wall-clock times without a zone: compare ``now`` as one."""
    return now.replace(tzinfo=None)


async def check_departures(
    engine: AsyncEngine, now: datetime, *, minutes: int = WARNING_MINUTES
) -> list[DepartureWarning]:
    """Write the warnings that are due at ``now``; return the ones written by this call."""
    clock = _wall_clock(now)
    stamp = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    horizon = clock + timedelta(minutes=minutes)
    # A delay may carry yesterday's trip into the window; the window may cross midnight.
    days = sorted({clock.date() - timedelta(days=1), clock.date(), horizon.date()})
    with mapped_errors():
        async with read_only(engine) as session:
            rows = (
                await session.execute(
                    select(DailyTrip, Deployment.vehicle_id, Deployment.driver_id)
                    .outerjoin(Deployment, Deployment.trip_id == DailyTrip.trip_id)
                    .where(
                        or_(*(_leaving_on(day, clock, horizon) for day in days)),
                        DailyTrip.live_status.in_(LIVE),
                        or_(Deployment.vehicle_id.is_(None), Deployment.driver_id.is_(None)),
                    )
                    .order_by(DailyTrip.trip_date, DailyTrip.departure_time, DailyTrip.trip_id)
                )
            ).all()
    due: list[dict[str, Any]] = []
    leaving: dict[int, datetime] = {}
    for trip, vehicle_id, driver_id in rows:
        at = departs_at(trip.trip_date, trip.departure_time, trip.delay_minutes)
        if not clock <= at <= horizon:
            continue
        leaving[trip.trip_id] = at
        in_minutes = round((at - clock).total_seconds() / 60)
        label = trip_label(trip)
        for kind, missing, what in (
            ("missing_vehicle", vehicle_id is None, "a vehicle"),
            ("missing_driver", driver_id is None, "a driver"),
        ):
            if missing:
                due.append(
                    {
                        "kind": kind,
                        "trip_id": trip.trip_id,
                        "message": f"{label} departs at "
                        f"{at:%H:%M}, in {in_minutes} min, without {what}.",
                        "created_at": stamp,
                    }
                )
    if not due:
        return []
    return [
        DepartureWarning(**row, departs_at=leaving[row["trip_id"]])
        for row in await _insert_once(engine, due)
    ]


async def _insert_once(engine: AsyncEngine, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Insert what is not there yet; the rows this call inserted come back."""
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(Notification)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["trip_id", "kind"])
        .returning(
            Notification.notification_id,
            Notification.kind,
            Notification.trip_id,
            Notification.message,
            Notification.created_at,
        )
    )
    with mapped_errors():
        async with session_factory(engine)() as session, session.begin():
            result = await session.execute(statement)
            created = sorted(
                (dict(r._mapping) for r in result), key=lambda r: (r["trip_id"], r["kind"])
            )
            news = [
                events.notification(
                    row["notification_id"],
                    row["trip_id"],
                    row["kind"],
                    row["message"],
                    row["created_at"],
                )
                for row in created
            ]
            await events.announce(session, news)
    events.deliver_local(engine, news)
    return created


_EVERY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|hr)?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600}


def parse_interval(text: str) -> float:
    """Seconds in an interval such as ``30s``, ``5m`` or ``1h`` (a bare number is seconds).

    >>> parse_interval("5m")
    300.0
    """
    found = _EVERY.match(text)
    if found is None or float(found.group(1)) <= 0:
        raise ValueError(f"{text!r} is not an interval like 30s, 5m or 1h")
    unit = (found.group(2) or "s").lower()
    return float(found.group(1)) * _UNIT_SECONDS[unit]
