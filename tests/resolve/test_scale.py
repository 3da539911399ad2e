"""A 20,000-trip demo: every route runs on about thirty days, so only narrowing by date makes
"Path-17 at 08:00" one trip. Correctness only; speed is for the benchmarks."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from tests.resolve.conftest import SCALE_TRIPS as TRIPS
from tests.resolve.support import TODAY, Demo, all_rows, stem

from movi.resolve import MAX_OPTIONS, resolve_trip
from movi.store.schema import DailyTrip


@pytest.fixture
def demo(scale_demo: Demo) -> Demo:
    """Overrides the default demo of ``conftest.py`` for this module: the 20,000-trip one."""
    return scale_demo


async def _trips(session: AsyncSession) -> list[Row[Any]]:
    return await all_rows(session, DailyTrip)


async def test_the_build_has_one_route_on_many_days(demo: Demo, session: AsyncSession) -> None:
    trips = await _trips(session)
    assert len(trips) == TRIPS
    days = defaultdict(set)
    for t in trips:
        days[t.display_name].add(t.trip_date)
    assert max(len(d) for d in days.values()) >= 20


async def test_name_and_time_find_the_trip_of_the_asked_day(session: AsyncSession) -> None:
    trips = await _trips(session)
    sample = random.Random(5).sample(trips, 40)
    for t in sample:
        slots = {
            "trip_name": stem(t.display_name).lower().replace("-", ""),
            "trip_time": f"{t.departure_time:%H:%M}",
            "date": t.trip_date.isoformat(),
        }
        res = await resolve_trip(session, slots, today=TODAY, selected_trip_id=None)
        assert res.status == "found" and res.match is not None, (slots, res.trace)
        assert res.match.id == t.trip_id
        assert res.match.detail["trip_date"] == t.trip_date.isoformat()


async def test_two_digit_paths_are_not_their_one_digit_neighbours(session: AsyncSession) -> None:
    trips = [t for t in await _trips(session) if t.trip_date == TODAY]
    target = next(t for t in trips if stem(t.display_name) == "Path-17")
    assert {stem(t.display_name) for t in trips} >= {"Path-1", "Path-7"}
    hour, minute = target.departure_time.hour, target.departure_time.minute
    spoken = f"{hour % 12 or 12}:{minute:02d}{'am' if hour < 12 else 'pm'}"
    for slots in (
        {"trip_name": "path17", "trip_time": f"{hour:02d}:{minute:02d}"},
        {"trip_name": f"path17 {spoken}"},  # a time left in the name is read off it
    ):
        res = await resolve_trip(session, slots, today=TODAY, selected_trip_id=None)
        assert res.status == "found" and res.match is not None, res.trace
        assert res.match.id == target.trip_id


async def test_a_name_alone_is_ambiguous_within_its_day(session: AsyncSession) -> None:
    trips = await _trips(session)
    day = TODAY + timedelta(days=9)
    by_name: dict[str, list[int]] = defaultdict(list)
    for t in trips:
        if t.trip_date == day:
            by_name[stem(t.display_name)].append(t.trip_id)
    name = max(by_name, key=lambda n: (len(by_name[n]), n))
    res = await resolve_trip(
        session, {"trip_name": name, "date": day.isoformat()}, today=TODAY, selected_trip_id=None
    )
    assert res.status == "ambiguous" and len(res.options) == min(MAX_OPTIONS, len(by_name[name]))
    assert {o.id for o in res.options} <= set(by_name[name])
    assert f"{len(by_name[name])} trips match {name!r} on {day.isoformat()}" in res.trace[-1]


async def test_a_typo_and_a_time_alone_stay_within_the_day(session: AsyncSession) -> None:
    trips = await _trips(session)
    day: date = TODAY + timedelta(days=20)
    target = next(
        t for t in trips if t.trip_date == day and stem(t.display_name) == "Whitefield Shuttle"
    )
    slots = {
        "trip_name": "whitefeld shuttle",
        "trip_time": f"{target.departure_time:%H:%M}",
        "date": day.isoformat(),
    }
    res = await resolve_trip(session, slots, today=TODAY, selected_trip_id=None)
    assert res.status == "found" and res.match is not None and res.match.id == target.trip_id

    at = await resolve_trip(
        session,
        {"trip_time": f"{target.departure_time:%H:%M}", "date": day.isoformat()},
        today=TODAY,
        selected_trip_id=None,
    )
    assert at.status == "ambiguous"
    assert all(o.detail["trip_date"] == day.isoformat() for o in at.options)
