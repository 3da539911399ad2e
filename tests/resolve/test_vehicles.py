"""Vehicles by registration (no case, no separators) and by description (colour, type, seats).

What is "free" is recomputed here from the rows, independently of the resolver's SQL.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from tests.resolve.support import TODAY, Demo, all_rows, trip_row

from movi.resolve import (
    BUSY_WINDOW_MINUTES,
    MAX_OPTIONS,
    read_description,
    resolve_vehicle,
    resolve_vehicle_desc,
)
from movi.store.schema import DailyTrip, Deployment, Vehicle, VehicleType


async def _vehicle(session: AsyncSession, vehicle_id: int) -> Row[Any]:
    return next(v for v in await all_rows(session, Vehicle) if v.vehicle_id == vehicle_id)


async def _free(session: AsyncSession, day: date, at: time | None = None) -> list[Row[Any]]:
    """AVAILABLE vehicles without a live trip that day (or within the window of ``at``)."""
    trips = {t.trip_id: t for t in await all_rows(session, DailyTrip)}

    def busy(trip: Row[Any]) -> bool:
        if trip.trip_date != day or trip.live_status == "CANCELLED":
            return False
        if at is None:
            return True
        gap = (trip.departure_time.hour - at.hour) * 60 + trip.departure_time.minute - at.minute
        return bool(abs(gap) <= BUSY_WINDOW_MINUTES)

    taken = {
        d.vehicle_id
        for d in await all_rows(session, Deployment)
        if d.vehicle_id is not None and busy(trips[d.trip_id])
    }
    return [
        v
        for v in await all_rows(session, Vehicle)
        if v.status == "AVAILABLE" and v.vehicle_id not in taken
    ]


# --- by registration ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [
        lambda r: r,
        lambda r: r.lower(),
        lambda r: r.replace("-", ""),
        lambda r: r.replace("-", " ").lower(),
        lambda r: r.replace("-", "."),
    ],
    ids=["as-stored", "lower", "no-separators", "spaces-lower", "dots"],
)
async def test_registration_without_case_or_separators_is_found(
    demo: Demo, session: AsyncSession, spelling: Any
) -> None:
    vehicle_id = demo.summary.hard_cases["blocked_vehicles"][0]
    vehicle = await _vehicle(session, vehicle_id)
    res = await resolve_vehicle(session, spelling(vehicle.registration_number))
    assert res.status == "found" and res.match is not None
    assert res.match.id == vehicle_id
    assert res.match.label == (
        f"{vehicle.registration_number} ({vehicle.vehicle_type}, {vehicle.capacity} seats, BLOCKED)"
    )
    assert res.match.detail == {
        "vehicle_id": vehicle_id,
        "registration_number": vehicle.registration_number,
        "status": "BLOCKED",
        "capacity": vehicle.capacity,
        "vehicle_type": vehicle.vehicle_type,
        "color": vehicle.color,
        "notes": vehicle.notes,
    }
    assert res.match.detail["notes"]


async def test_a_plate_one_letter_off_is_missing_with_a_suggestion(
    demo: Demo, session: AsyncSession
) -> None:
    vehicle_id = demo.summary.hard_cases["blocked_vehicles"][0]
    reg = (await _vehicle(session, vehicle_id)).registration_number
    last = reg[-1]
    typo = reg[:-1] + ("0" if last != "0" else "1")
    assert {v.registration_number for v in await all_rows(session, Vehicle)}.isdisjoint({typo})
    res = await resolve_vehicle(session, typo.lower())
    assert res.status == "missing" and res.match is None
    assert res.options and res.options[0].id == vehicle_id
    assert res.options[0].score == 90.0
    assert f"Did you mean {reg}?" in (res.note or "")
    assert "never taken" in res.trace[0]


@pytest.mark.parametrize("typed", ["XX-99-ZZ-0000", "", "   "])
async def test_unknown_or_empty_registration_is_missing(session: AsyncSession, typed: str) -> None:
    res = await resolve_vehicle(session, typed)
    assert res.status == "missing" and res.options == ()


# --- by description -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "color", "vtype", "capacity", "bigger"),
    [
        ("blue bus", "blue", VehicleType.BUS, None, False),
        ("the 40 seater", None, None, 40, False),
        ("a 40-seater bus", None, VehicleType.BUS, 40, False),
        ("free cab", None, VehicleType.CAB, None, False),
        ("bigger bus", None, VehicleType.BUS, None, True),
        ("grey car for 4 passengers", "grey", VehicleType.CAB, 4, False),
        ("gray taxi", "grey", VehicleType.CAB, None, False),
    ],
)
def test_descriptions_are_read(
    text: str, color: str | None, vtype: VehicleType | None, capacity: int | None, bigger: bool
) -> None:
    wish = read_description(text)
    assert (wish.color, wish.vehicle_type, wish.capacity, wish.bigger) == (
        color,
        vtype,
        capacity,
        bigger,
    )


async def test_colour_and_type_on_a_free_day(demo: Demo, session: AsyncSession) -> None:
    """Every colour-type pair: one free vehicle is found, several are ambiguous, ranked."""
    day = demo.summary.last_date + timedelta(days=7)  # no trips: every AVAILABLE one is free
    free = await _free(session, day)
    pairs = {(v.color.lower(), v.vehicle_type) for v in free}
    seen = set()
    for color, vtype in sorted(pairs):
        want = [v for v in free if v.color.lower() == color and v.vehicle_type == vtype]
        res = await resolve_vehicle_desc(session, f"the {color} {vtype.lower()}", trip_date=day)
        got = [res.match] if res.match else list(res.options)
        assert res.status == ("found" if len(want) == 1 else "ambiguous")
        seen.add(res.status)
        assert len(got) == min(len(want), MAX_OPTIONS)
        assert {m.id for m in got} <= {v.vehicle_id for v in want}
        caps = [m.detail["capacity"] for m in got]
        assert caps == sorted(caps)  # closest fit (to one seat) first
        assert caps[0] == min(v.capacity for v in want)
        assert all(m.detail["color"].lower() == color for m in got)
    assert seen == {"found", "ambiguous"}


async def test_around_a_departure_only_free_vehicles_are_offered(
    demo: Demo, session: AsyncSession
) -> None:
    trip = await trip_row(session, demo.summary.hard_cases["no_vehicle"][0])
    free = await _free(session, TODAY, trip.departure_time)
    free_ids = {v.vehicle_id for v in free}
    blocked = set(demo.summary.hard_cases["blocked_vehicles"])
    seen = set()
    for text in ("bus", "cab", "blue bus", "red bus", "white cab", "vehicle"):
        res = await resolve_vehicle_desc(
            session, text, trip_date=TODAY, departure_time=trip.departure_time
        )
        got = [res.match] if res.match else list(res.options)
        if res.status != "missing":
            assert {m.id for m in got} <= free_ids
        assert not {m.id for m in got} & blocked
        wish = read_description(text)
        want = [
            v
            for v in free
            if (wish.vehicle_type is None or v.vehicle_type == wish.vehicle_type)
            and (wish.color is None or v.color.lower() == wish.color)
        ]
        expected = "missing" if not want else "found" if len(want) == 1 else "ambiguous"
        assert res.status == expected, (text, res.trace)
        seen.add(res.status)
    assert {"found", "ambiguous"} <= seen


async def test_whole_day_means_no_live_trip_that_day(demo: Demo, session: AsyncSession) -> None:
    free = await _free(session, TODAY)
    res = await resolve_vehicle_desc(session, "free cab", trip_date=TODAY)
    cabs = [v for v in free if v.vehicle_type == "CAB"]
    expected = "missing" if not cabs else "found" if len(cabs) == 1 else "ambiguous"
    assert res.status == expected
    if expected == "missing":
        assert res.note == f"No free CAB on {TODAY.isoformat()}."


async def test_seats_exact_else_bigger_suggested(demo: Demo, session: AsyncSession) -> None:
    day = demo.summary.last_date + timedelta(days=7)
    free = await _free(session, day)
    capacities = sorted({v.capacity for v in free if v.vehicle_type == "BUS"})
    seats = capacities[len(capacities) // 2]
    res = await resolve_vehicle_desc(session, f"{seats} seater", trip_date=day)
    got = [res.match] if res.match else list(res.options)
    assert res.status != "missing"
    assert all(m.detail["capacity"] == seats for m in got)

    unheard = next(n for n in range(seats + 1, 100) if n not in {v.capacity for v in free})
    res = await resolve_vehicle_desc(session, f"a {unheard} seater bus", trip_date=day)
    assert res.status == "missing"
    caps = [m.detail["capacity"] for m in res.options]
    assert caps == sorted(caps) and all(c > unheard for c in caps)
    assert all(m.detail["vehicle_type"] == "BUS" for m in res.options)


async def test_bigger_bus_than_the_current_one(demo: Demo, session: AsyncSession) -> None:
    day = demo.summary.last_date + timedelta(days=7)
    free = await _free(session, day)
    full = await trip_row(session, demo.summary.hard_cases["full"][0])
    current = next(
        d.vehicle_id for d in await all_rows(session, Deployment) if d.trip_id == full.trip_id
    )
    seats = (await _vehicle(session, current)).capacity
    res = await resolve_vehicle_desc(session, "bigger bus", trip_date=day, min_capacity=seats)
    got = [res.match] if res.match else list(res.options)
    assert got and all(m.detail["capacity"] > seats for m in got)
    assert got[0].detail["capacity"] == min(
        v.capacity for v in free if v.vehicle_type == "BUS" and v.capacity > seats
    )
    assert any("≥ " + str(seats + 1) in line for line in res.trace)
