"""Which vehicle the operator means: by registration, or by a description ("the blue bus").

A registration is compared through the stored, indexed ``registration_key`` (upper case, no
separators), so "ka01ab1234" is "KA-01-AB-1234". A plate one letter off is never taken for
another vehicle: it is ``missing``, with the near plates as suggestions.

A description picks among the vehicles that could take a trip: AVAILABLE, not deployed on a live
trip of that day (or, given the trip's departure, within :data:`BUSY_WINDOW_MINUTES` of it),
filtered by the colour, type and capacity words it holds, closest capacity fit first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time

from rapidfuzz import fuzz, process
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from movi.resolve.names import counted, shown
from movi.resolve.resolution import MAX_OPTIONS, Match, Resolution
from movi.store.schema import (
    DailyTrip,
    Deployment,
    TripStatus,
    Vehicle,
    VehicleStatus,
    VehicleType,
    registration_key,
)

REGISTRATION_SUGGEST_CUTOFF = 70.0
"""Least ``ratio`` between registration keys for a plate to be suggested. Keys are about ten
characters: one wrong or swapped character scores 90, two 80, three 70. A suggestion is only
ever offered, never taken for the plate typed."""

BUSY_WINDOW_MINUTES = 120
"""A vehicle deployed on a trip departing this close to the asked departure is busy (the demo
data keeps its vehicles' trips at least this far apart too)."""

COLOR_WORDS: dict[str, str] = {
    "white": "white", "yellow": "yellow", "blue": "blue", "silver": "silver", "red": "red",
    "orange": "orange", "grey": "grey", "gray": "grey", "black": "black", "green": "green",
    "brown": "brown", "maroon": "maroon", "gold": "gold", "golden": "gold", "purple": "purple",
    "pink": "pink", "beige": "beige",
}  # fmt: skip
"""Colour words of descriptions, to the colour compared case-insensitively with ``color``."""

TYPE_WORDS: dict[str, VehicleType] = {
    "bus": VehicleType.BUS, "buses": VehicleType.BUS, "coach": VehicleType.BUS,
    "minibus": VehicleType.BUS, "cab": VehicleType.CAB, "cabs": VehicleType.CAB,
    "car": VehicleType.CAB, "taxi": VehicleType.CAB, "sedan": VehicleType.CAB,
    "suv": VehicleType.CAB,
}  # fmt: skip
"""Type words of descriptions."""

BIGGER_WORDS = frozenset({"bigger", "larger", "big", "large", "biggest", "largest"})
"""Words asking for more seats than ``min_capacity`` (strictly more)."""

_SEATS = re.compile(
    r"(\d{1,3})\s*-?\s*(?:seater|seats?|passengers?|pax|people|persons?)\b", re.IGNORECASE
)
_NUMBER = re.compile(r"^\d{1,3}$")
_WORD = re.compile(r"[a-z]+|\d+")


def vehicle_label(vehicle: Vehicle) -> str:
    """ "KA-01-AB-1234 (BUS, 40 seats)", with the status when it is not AVAILABLE."""
    state = "" if vehicle.status is VehicleStatus.AVAILABLE else f", {vehicle.status.value}"
    return (
        f"{vehicle.registration_number} ({vehicle.vehicle_type.value}, "
        f"{vehicle.capacity} seats{state})"
    )


def vehicle_match(vehicle: Vehicle, score: float) -> Match:
    return Match(
        id=vehicle.vehicle_id,
        label=vehicle_label(vehicle),
        score=score,
        detail={
            "vehicle_id": vehicle.vehicle_id,
            "registration_number": vehicle.registration_number,
            "status": vehicle.status.value,
            "capacity": vehicle.capacity,
            "vehicle_type": vehicle.vehicle_type.value,
            "color": vehicle.color,
            "notes": vehicle.notes,
        },
    )


async def resolve_vehicle(session: AsyncSession, registration: str) -> Resolution:
    """The vehicle with this registration, compared without case or separators."""
    query = registration.strip()
    key = registration_key(query)
    if not key:
        return Resolution(
            entity="vehicle",
            status="missing",
            query=query,
            note="Which vehicle? Give its registration, e.g. KA-01-AB-1234.",
            trace=("no registration given",),
        )
    found = (await session.scalars(select(Vehicle).where(Vehicle.registration_key == key))).first()
    if found is not None:
        return Resolution(
            entity="vehicle",
            status="found",
            query=query,
            match=vehicle_match(found, 100.0),
            trace=(f"registration key {key} is {found.registration_number}",),
        )
    keys = {
        vid: vkey
        for vid, vkey in await session.execute(select(Vehicle.vehicle_id, Vehicle.registration_key))
    }
    near = process.extract(
        key, keys, scorer=fuzz.ratio, limit=MAX_OPTIONS, score_cutoff=REGISTRATION_SUGGEST_CUTOFF
    )
    rows = {
        v.vehicle_id: v
        for v in await session.scalars(
            select(Vehicle).where(Vehicle.vehicle_id.in_([vid for _, _, vid in near]))
        )
    }
    options = tuple(vehicle_match(rows[vid], round(score, 1)) for _, score, vid in near)
    best = f"best {near[0][0]} {near[0][1]:.1f}" if near else "none close"
    hint = f" Did you mean {options[0].detail['registration_number']}?" if options else ""
    return Resolution(
        entity="vehicle",
        status="missing",
        query=query,
        note=f"There is no vehicle {query}.{hint}",
        options=options,
        trace=(
            f"no registration key {key} among {len(keys)} vehicles; {best} "
            f"(suggest ≥ {REGISTRATION_SUGGEST_CUTOFF:.1f}, never taken)",
        ),
    )


@dataclass(frozen=True, slots=True)
class VehicleWish:
    """What a description asks for; ``None`` means "any"."""

    color: str | None = None
    vehicle_type: VehicleType | None = None
    capacity: int | None = None
    bigger: bool = False
    ignored: tuple[str, ...] = ()

    def describe(self) -> str:
        parts = [
            self.color or "",
            "bigger" if self.bigger else "",
            f"{self.capacity}-seat" if self.capacity else "",
            self.vehicle_type.value if self.vehicle_type else "vehicle",
        ]
        return " ".join(p for p in parts if p)


def read_description(desc: str) -> VehicleWish:
    """The colour, type, seats and "bigger" words of a description; other words are ignored.

    >>> read_description("the bigger blue 40-seater bus")
    VehicleWish(color='blue', vehicle_type=<VehicleType.BUS: 'BUS'>, capacity=40, bigger=True, \
ignored=('the',))
    """
    text = desc.lower()
    capacity = None
    seats = _SEATS.search(text)
    if seats:
        capacity = int(seats.group(1))
        text = text[: seats.start()] + " " + text[seats.end() :]
    color = vehicle_type = None
    bigger = False
    ignored: list[str] = []
    for word in _WORD.findall(text):
        if word in COLOR_WORDS:
            color = COLOR_WORDS[word]
        elif word in TYPE_WORDS:
            vehicle_type = TYPE_WORDS[word]
        elif word in BIGGER_WORDS:
            bigger = True
        elif _NUMBER.match(word) and capacity is None:
            capacity = int(word)
        else:
            ignored.append(word)
    return VehicleWish(color, vehicle_type, capacity, bigger, tuple(ignored))


def _window(at: time) -> tuple[time, time]:
    """Departures within :data:`BUSY_WINDOW_MINUTES` of ``at``, kept inside the day."""
    minutes = at.hour * 60 + at.minute
    low = max(minutes - BUSY_WINDOW_MINUTES, 0)
    high = min(minutes + BUSY_WINDOW_MINUTES, 24 * 60 - 1)
    return time(low // 60, low % 60), time(high // 60, high % 60, 59, 999_999)


def _free_vehicles(trip_date: date, departure_time: time | None) -> Select[Vehicle]:
    busy = (
        select(Deployment.vehicle_id)
        .join(DailyTrip, DailyTrip.trip_id == Deployment.trip_id)
        .where(
            DailyTrip.trip_date == trip_date,
            DailyTrip.live_status != TripStatus.CANCELLED,
            Deployment.vehicle_id.is_not(None),
        )
    )
    if departure_time is not None:
        low, high = _window(departure_time)
        busy = busy.where(DailyTrip.departure_time.between(low, high))
    return select(Vehicle).where(
        Vehicle.status == VehicleStatus.AVAILABLE, Vehicle.vehicle_id.not_in(busy)
    )


def _fit_score(capacity: int, wanted: int) -> float:
    """100 for an exact fit, one less per spare seat."""
    return float(max(0, 100 - abs(capacity - wanted)))


async def resolve_vehicle_desc(
    session: AsyncSession,
    desc: str,
    *,
    trip_date: date,
    min_capacity: int = 0,
    departure_time: time | None = None,
) -> Resolution:
    """A free vehicle fitting ``desc`` on ``trip_date``: closest capacity fit first.

    "40 seater" asks for exactly 40 seats (bigger ones are suggested when none is free; whether
    40 are enough for the bookings is the policy's question); "bigger" asks for more than
    ``min_capacity``; any other description for at least ``min_capacity`` seats.
    Without ``departure_time`` a vehicle with any live trip that day is busy; with it, only one
    with a trip within :data:`BUSY_WINDOW_MINUTES`.
    """
    wish = read_description(desc)
    query = desc.strip()
    floor = min_capacity + 1 if wish.bigger else max(min_capacity, 1)
    when = trip_date.isoformat() + (f" around {departure_time:%H:%M}" if departure_time else "")
    trace = [
        f"{query!r} read as {wish.describe()}"
        + (f" (ignored: {', '.join(wish.ignored)})" if wish.ignored else "")
    ]
    stmt = _free_vehicles(trip_date, departure_time)
    if wish.vehicle_type is not None:
        stmt = stmt.where(Vehicle.vehicle_type == wish.vehicle_type)
    if wish.capacity is not None:
        wanted = wish.capacity
        exact = stmt.where(Vehicle.capacity == wanted)
    else:
        wanted = floor
        exact = stmt.where(Vehicle.capacity >= floor)
    if wish.color is not None:
        exact = exact.where(func.lower(Vehicle.color) == wish.color)
    fits = _by_fit(list(await session.scalars(exact)), wanted)
    trace.append(
        f"{counted(len(fits), 'free vehicle')} fit on {when} (AVAILABLE, not deployed, "
        + (f"{wanted} seats)" if wish.capacity is not None else f"≥ {floor} seats)")
        + shown(len(fits))
    )
    if len(fits) == 1:
        return Resolution(
            entity="vehicle",
            status="found",
            query=query,
            match=vehicle_match(fits[0], _fit_score(fits[0].capacity, wanted)),
            trace=tuple(trace),
        )
    if fits:
        return Resolution(
            entity="vehicle",
            status="ambiguous",
            query=query,
            options=tuple(
                vehicle_match(v, _fit_score(v.capacity, wanted)) for v in fits[:MAX_OPTIONS]
            ),
            trace=tuple(trace),
        )
    # Nothing fits: offer the free vehicles of the right type with enough seats, any colour.
    near = _by_fit(list(await session.scalars(stmt.where(Vehicle.capacity >= wanted))), wanted)
    trace.append(
        f"{counted(len(near), 'free vehicle')} of that type with ≥ {wanted} seats, any colour"
    )
    return Resolution(
        entity="vehicle",
        status="missing",
        query=query,
        note=f"No free {wish.describe()} on {when}.",
        options=tuple(vehicle_match(v, _fit_score(v.capacity, wanted)) for v in near[:MAX_OPTIONS]),
        trace=tuple(trace),
    )


def _by_fit(vehicles: Sequence[Vehicle], wanted: int) -> list[Vehicle]:
    return sorted(vehicles, key=lambda v: (abs(v.capacity - wanted), v.capacity, v.vehicle_id))
