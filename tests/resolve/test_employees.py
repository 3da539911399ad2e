"""Employees, from the names on bookings: exact, first name, fuzzy."""

from __future__ import annotations

from collections import Counter, defaultdict

from sqlalchemy.ext.asyncio import AsyncSession
from tests.resolve.support import TODAY, all_rows

from movi.resolve import (
    MAX_OPTIONS,
    resolve_employee,
)
from movi.store.schema import Booking, DailyTrip

# --- employees ----------------------------------------------------------------------------------


async def _booked(session: AsyncSession) -> dict[str, list[int]]:
    """Employee name → booking ids, in booking order."""
    names: dict[str, list[int]] = defaultdict(list)
    for b in sorted(await all_rows(session, Booking), key=lambda b: b.booking_id):
        names[b.employee_name].append(b.booking_id)
    return names


async def test_an_employee_by_full_name_in_any_case(session: AsyncSession) -> None:
    booked = await _booked(session)
    trips = {t.trip_id: t for t in await all_rows(session, DailyTrip)}
    name = max(booked, key=lambda n: (len(booked[n]), n))
    upcoming = sum(
        1
        for b in await all_rows(session, Booking)
        if b.employee_name == name
        and b.status == "CONFIRMED"
        and trips[b.trip_id].trip_date >= TODAY
    )
    for typed in (name, name.lower()):
        res = await resolve_employee(session, typed, today=TODAY)
        assert res.status == "found" and res.match is not None
        assert res.match.id == booked[name][0]
        assert res.match.detail["employee_name"] == name
        assert res.match.detail["bookings"] == len(booked[name])
        assert res.match.detail["upcoming_bookings"] == upcoming
        assert res.match.label == f"{name} ({upcoming} upcoming bookings)"


async def test_an_employee_first_name_shared_by_several_is_ambiguous(session: AsyncSession) -> None:
    booked = await _booked(session)
    firsts = Counter(n.split()[0] for n in booked)
    first, count = firsts.most_common(1)[0]
    res = await resolve_employee(session, first, today=TODAY)
    assert res.status == "ambiguous" and len(res.options) == min(count, MAX_OPTIONS)
    assert all(o.detail["employee_name"].startswith(f"{first} ") for o in res.options)
    ahead = [o.detail["upcoming_bookings"] for o in res.options]
    assert ahead == sorted(ahead, reverse=True)


async def test_an_employee_typo_and_a_stranger(session: AsyncSession) -> None:
    booked = await _booked(session)
    name = max(booked, key=lambda n: (len(booked[n]), n))
    first, last = name.split(maxsplit=1)
    typo = f"{first} {last[:-1]}"  # last letter dropped
    res = await resolve_employee(session, typo, today=TODAY)
    assert res.status == "found" and res.match is not None, res.trace
    assert res.match.detail["employee_name"] == name and res.match.score < 100
    stranger = await resolve_employee(session, "Zebulon Quartermaine", today=TODAY)
    assert stranger.status == "missing" and stranger.options == ()
