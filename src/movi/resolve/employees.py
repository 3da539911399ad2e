"""Which employee the operator means, from the names on bookings.

Employees have no table of their own: a name is whatever bookings carry. A match's ``id`` is
therefore the employee's first booking (the smallest ``booking_id``), and its ``detail`` holds
the name as booked with counts of bookings, so the engine searches by name.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from movi.resolve.names import PERSON_CUTOFFS, Scored, counted, name_key, pick_name, shown
from movi.resolve.resolution import MAX_OPTIONS, Match, Resolution
from movi.store.schema import Booking, BookingStatus, DailyTrip

EMPLOYEE_WINDOW_DAYS = 14
"""A name that is not on any booking exactly is looked for (by first name, surname or fuzzily)
among the bookings of trips this many days either side of today: the people an operator asks
about travel now, and the bookings table grows without bound."""


async def _stats(session: AsyncSession, names: list[str], today: date) -> dict[str, Match]:
    """One match per booked name: first booking id, bookings, upcoming confirmed bookings."""
    upcoming = func.sum(
        case(
            (and_(DailyTrip.trip_date >= today, Booking.status == BookingStatus.CONFIRMED), 1),
            else_=0,
        )
    )
    rows = await session.execute(
        select(Booking.employee_name, func.min(Booking.booking_id), func.count(), upcoming)
        .join(DailyTrip, DailyTrip.trip_id == Booking.trip_id)
        .where(Booking.employee_name.in_(names))
        .group_by(Booking.employee_name)
    )
    return {
        employee: Match(
            id=first,
            label=f"{employee} ({int(ahead or 0)} upcoming bookings)",
            score=100.0,
            detail={
                "employee_name": employee,
                "first_booking_id": first,
                "bookings": int(total),
                "upcoming_bookings": int(ahead or 0),
            },
        )
        for employee, first, total, ahead in rows
    }


async def resolve_employee(session: AsyncSession, name: str, *, today: date) -> Resolution:
    """The employee called ``name`` on bookings: exact, by first name or surname, or fuzzy."""
    query = " ".join(name.split())
    if not query:
        return Resolution(
            entity="employee",
            status="missing",
            query="",
            note="Which employee? Give their name.",
            trace=("no employee name given",),
        )
    exact = list(
        await session.scalars(
            select(Booking.employee_name)
            .where(func.lower(Booking.employee_name) == query.lower())
            .distinct()
        )
    )
    if exact:
        scored = [Scored(n, n, 100.0) for n in exact]
        trace = [f"{query!r} is on bookings as {', '.join(sorted(exact))}"]
        status = "found"
    else:
        first = today - timedelta(days=EMPLOYEE_WINDOW_DAYS)
        last = today + timedelta(days=EMPLOYEE_WINDOW_DAYS)
        names = sorted(
            await session.scalars(
                select(Booking.employee_name)
                .join(DailyTrip, DailyTrip.trip_id == Booking.trip_id)
                .where(DailyTrip.trip_date >= first, DailyTrip.trip_date <= last)
                .distinct()
            )
        )
        pick = pick_name(
            query, [(n, n) for n in names], noun="employee", cutoffs=PERSON_CUTOFFS, person=True
        )
        trace = [
            f"{counted(len(names), 'employee')} booked from {first.isoformat()} "
            f"to {last.isoformat()}",
            *pick.trace,
        ]
        scored = list(pick.ranked)
        status = pick.status
        if status == "found" or (
            status == "ambiguous" and len({name_key(s.name) for s in scored}) == 1
        ):
            status = "found"
    stats = await _stats(session, [s.name for s in scored], today)
    matches = sorted(
        (stats[s.name].model_copy(update={"score": s.score}) for s in scored if s.name in stats),
        key=lambda m: (-m.score, -m.detail["upcoming_bookings"], m.detail["employee_name"]),
    )
    if status == "found" and matches:
        # One person, perhaps booked under several spellings of one name: the busiest one.
        return Resolution(
            entity="employee", status="found", query=query, match=matches[0], trace=tuple(trace)
        )
    if status == "ambiguous":
        trace.append(f"{counted(len(matches), 'employee')} could be {query!r}{shown(len(matches))}")
        return Resolution(
            entity="employee",
            status="ambiguous",
            query=query,
            options=tuple(matches[:MAX_OPTIONS]),
            trace=tuple(trace),
        )
    return Resolution(
        entity="employee",
        status="missing",
        query=query,
        note=f"No booking is under the name {query!r}.",
        options=tuple(matches[:MAX_OPTIONS]),
        trace=tuple(trace),
    )
