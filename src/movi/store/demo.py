"""Deterministic demo data: a Bangalore shuttle network at any scale, with hard cases on purpose.

Everything is drawn from one ``random.Random(seed)`` in a fixed order and every timestamp is
derived from ``today``, so one (seed, today, trips) always gives the same rows, on SQLite and on
PostgreSQL alike: tests, benchmarks and bug reports can all point at "trip 62 of seed 7".

The awkward situations an operator meets (one name at several times, a full and an overbooked
trip, a blocked vehicle still deployed, ...) are placed deliberately on fixed routes of yesterday,
today and tomorrow, whatever the size; :attr:`DemoSummary.hard_cases` says where they are. The
bulk around them is generated day by day and written with bulk inserts (``COPY`` on PostgreSQL)
inside one transaction, so a million trips build in minutes and a failed build leaves nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import math
import random
import time as clock
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import bindparam, insert, literal, select, text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from movi.errors import ConfigError
from movi.store.database import mapped_errors
from movi.store.schema import (
    Base,
    BookingStatus,
    DailyTrip,
    Direction,
    Driver,
    DriverStatus,
    Path,
    Route,
    RouteStatus,
    Stop,
    TripStatus,
    Vehicle,
    VehicleStatus,
    VehicleType,
    registration_key,
)

DEFAULT_TRIPS = 300
"""Trips in the default demo: small enough to read in a SQL shell, large enough for every case."""

MIN_TRIPS = 100
"""Below this the deliberate hard cases of yesterday, today and tomorrow no longer fit."""

BATCH_ROWS = 10_000
"""Rows per ``executemany`` (SQLite) or per ``COPY`` (PostgreSQL)."""

OVERLAP_MINUTES = 120
"""Trips of one day departing at most this far apart never share a vehicle or a driver."""

NOTIONAL_NOW = time(7, 0)
"""The demo's "now" on ``today``: earlier trips of today are under way or done, later ones ahead."""

NOMINAL_CAPACITY = 20
"""Demand assumed for a trip without a vehicle when drawing its bookings."""

TRIPS_PER_VEHICLE_DAY = 3
"""Target load that sets how many days the trips spread over (vehicles ≈ trips / 100)."""


# --- the static world: Bangalore stops, offices and names ---------------------------------------

_STOPS: tuple[tuple[str, float, float], ...] = (
    ("Peenya", 13.0329, 77.5273),
    ("Gavipuram", 12.9456, 77.5660),
    ("Temple", 13.0098, 77.5511),
    ("BTM", 12.9166, 77.6101),
    ("Hebbal", 13.0358, 77.5970),
    ("Madiwala", 12.9226, 77.6174),
    ("Koramangala", 12.9352, 77.6245),
    ("Electronic City", 12.8452, 77.6602),
    ("Whitefield", 12.9698, 77.7500),
    ("Manyata Tech Park", 13.0475, 77.6216),
    ("Silk Board", 12.9177, 77.6238),
    ("Marathahalli", 12.9569, 77.7011),
    ("Yelahanka", 13.1007, 77.5963),
    ("Jayanagar", 12.9250, 77.5938),
    ("Indiranagar", 12.9784, 77.6408),
    ("HSR Layout", 12.9121, 77.6446),
    ("Bellandur", 12.9260, 77.6762),
    ("Sarjapur", 12.8996, 77.7001),
    ("Bagur", 12.8733, 77.6277),
    ("Majestic", 12.9767, 77.5713),
    ("Yeshwanthpur", 13.0285, 77.5409),
    ("Banashankari", 12.9255, 77.5468),
    ("Domlur", 12.9610, 77.6387),
    ("KR Puram", 13.0076, 77.6950),
    ("Malleshwaram", 13.0031, 77.5643),
    ("Rajajinagar", 12.9910, 77.5525),
    ("Basavanagudi", 12.9421, 77.5738),
    ("JP Nagar", 12.9063, 77.5857),
    ("Bannerghatta Road", 12.8876, 77.5970),
    ("Kudlu Gate", 12.8917, 77.6404),
    ("Bommanahalli", 12.9081, 77.6238),
    ("CV Raman Nagar", 12.9817, 77.6633),
    ("Hoodi", 12.9916, 77.7160),
    ("Mahadevapura", 12.9911, 77.6986),
    ("Kadugodi", 12.9980, 77.7606),
    ("Nagawara", 13.0422, 77.6233),
    ("RT Nagar", 13.0216, 77.5951),
    ("Jalahalli", 13.0466, 77.5483),
    ("Vijayanagar", 12.9719, 77.5340),
    ("Kengeri", 12.9081, 77.4851),
    ("RR Nagar", 12.9274, 77.5155),
    ("Hosa Road", 12.8795, 77.6608),
    ("Ulsoor", 12.9817, 77.6200),
    ("Frazer Town", 12.9970, 77.6140),
    ("Banaswadi", 13.0141, 77.6518),
    ("Kalyan Nagar", 13.0280, 77.6400),
)

#: Office → the stop it is served from; a path's riders mostly work at the office it ends at.
_OFFICES: dict[str, str] = {
    "Manyata Tech Park": "Manyata Tech Park",
    "Ecospace": "Bellandur",
    "Bagmane Tech Park": "CV Raman Nagar",
    "RMZ Infinity": "KR Puram",
    "EGL": "Domlur",
    "Electronic City Phase 1": "Electronic City",
    "ITPL": "Whitefield",
    "Prestige Tech Park": "Marathahalli",
    "Bagur Tech Park": "Bagur",
    "Global Village": "RR Nagar",
}
_OFFICE_NAMES = tuple(_OFFICES)
_OFFICE_STOPS = frozenset(_OFFICES.values())

_DRIVER_FIRST = (
    "Ramesh", "Suresh", "Mahesh", "Ganesh", "Rajesh", "Manjunath", "Venkatesh", "Prakash",
    "Naveen", "Kiran", "Ravi", "Srinivas", "Nagaraj", "Basavaraj", "Shivakumar", "Anil", "Sunil",
    "Mohan", "Raghu", "Harish", "Girish", "Santosh", "Vinod", "Murali", "Lokesh", "Chandru",
    "Praveen", "Yogesh", "Umesh", "Dinesh", "Satish", "Shankar", "Krishna", "Raju", "Arun",
    "Mallikarjun", "Siddaraju", "Thimmaiah", "Imran", "Abdul", "Joseph", "Anthony", "Salim",
    "Farooq", "Lakshmi", "Savitha",
)  # fmt: skip
_DRIVER_LAST = (
    "Kumar", "Gowda", "Reddy", "Naik", "Shetty", "Rao", "Patil", "Hegde", "Murthy", "Swamy",
    "Prasad", "Babu", "Khan", "Pasha", "D'Souza", "Singh", "Yadav", "Nayak", "Achar", "Poojary",
)  # fmt: skip
_EMPLOYEE_FIRST = (
    "Aarav", "Aditi", "Akash", "Ananya", "Anjali", "Arjun", "Deepa", "Divya", "Gaurav", "Harini",
    "Ishaan", "Kavya", "Keerthi", "Meera", "Neha", "Nikhil", "Pooja", "Priya", "Rahul", "Rohan",
    "Sahana", "Sandeep", "Shreya", "Sneha", "Swathi", "Tanvi", "Varun", "Vikram", "Vivek", "Yash",
    "Zoya", "Farhan", "Ayesha", "Rohit", "Sanjay", "Lakshmi", "Karthik", "Madhu", "Nandini",
    "Pallavi", "Rakesh", "Sowmya", "Tejas", "Usha", "Vidya", "Anusha", "Bhavana", "Chetan",
    "Darshan", "Fathima", "Gayathri", "Hemant", "Jyothi", "Kiran", "Manoj", "Nisha", "Prakash",
    "Ramya", "Siddharth", "Tarun",
)  # fmt: skip
_EMPLOYEE_LAST = (
    "Sharma", "Iyer", "Nair", "Menon", "Rao", "Reddy", "Gupta", "Patel", "Kulkarni", "Joshi",
    "Desai", "Bhat", "Hegde", "Shetty", "Pillai", "Krishnan", "Subramanian", "Agarwal", "Verma",
    "Mehta", "Chatterjee", "Banerjee", "Das", "Mukherjee", "Khan", "Fernandes", "D'Souza",
    "Kamath", "Pai", "Gowda", "Naidu", "Chowdhury", "Saxena", "Srinivasan", "Venkataraman",
    "Ahmed", "Singh", "Malhotra", "Kapoor", "Jain",
)  # fmt: skip
_EMPLOYEES = tuple(f"{first} {last}" for first in _EMPLOYEE_FIRST for last in _EMPLOYEE_LAST)

#: (state-RTO, weight): most of the fleet is registered in Bangalore's RTOs.
_RTOS = (
    ("KA-01", 5), ("KA-02", 2), ("KA-03", 3), ("KA-04", 2), ("KA-05", 4), ("KA-41", 1),
    ("KA-50", 1), ("KA-51", 4), ("KA-53", 3), ("TN-09", 1),
)  # fmt: skip
_SERIES_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
_BUS_CAPACITIES = (20, 24, 26, 30, 32, 35, 40, 45, 50)
_CAB_CAPACITIES = (4, 4, 6, 7)
_BUS_COLORS = ("White", "Yellow", "Blue", "Silver", "Red", "Orange")
_CAB_COLORS = ("White", "Silver", "Grey", "Black", "Blue", "Red")
_BLOCKED_NOTES = ("Brake issue reported", "Fitness certificate expired", "Accident damage")
_MAINTENANCE_NOTES = ("Scheduled service", "AC repair", "Tyre replacement")

#: Shift slots of the generated paths, with weights that make the office peaks busier.
_LOGIN_SLOTS = tuple(time(h, m) for h in range(6, 12) for m in (0, 30) if (h, m) != (11, 30))
_LOGOUT_SLOTS = tuple(time(h, m) for h in range(16, 23) for m in (0, 30))
_SLOTS = _LOGIN_SLOTS + _LOGOUT_SLOTS
_SLOT_WEIGHTS = tuple(
    3 if time(7, 30) <= t <= time(9, 30) or time(17, 0) <= t <= time(19, 30) else 1 for t in _SLOTS
)
_LOGOUT_FROM = time(13, 0)


@dataclass(frozen=True)
class _PathDef:
    name: str
    stops: tuple[str, ...]
    office: str
    shifts: tuple[str, ...]
    deactivated: tuple[str, ...] = ()


#: The paths every demo has, whose routes carry the hard cases (see ``_TODAY``).
_ANCHOR_PATHS = (
    _PathDef("Path-1", ("Peenya", "Gavipuram", "Temple", "BTM"), "EGL",
             ("07:00", "08:00", "09:30", "18:00")),
    _PathDef("Path-2", ("Hebbal", "Madiwala", "Koramangala", "Electronic City"),
             "Electronic City Phase 1", ("08:00", "17:30")),
    _PathDef("Path-3", ("Yelahanka", "Hebbal", "Manyata Tech Park"), "Manyata Tech Park",
             ("08:00", "19:00")),
    _PathDef("Bagur Tech Park", ("Jayanagar", "BTM", "Silk Board", "Bagur"), "Bagur Tech Park",
             ("08:30", "19:30")),
    _PathDef("Manyata Express", ("Majestic", "Yeshwanthpur", "Hebbal", "Manyata Tech Park"),
             "Manyata Tech Park", ("07:30", "09:00", "18:30")),
)  # fmt: skip
#: Named paths of a real network; each has one route switched off on purpose.
_NAMED_PATHS = (
    _PathDef("Whitefield Shuttle", ("Indiranagar", "Domlur", "Marathahalli", "Whitefield"),
             "ITPL", ("07:00", "08:30", "17:00", "19:00"), ("21:00",)),
    _PathDef("ORR Express", ("KR Puram", "Marathahalli", "Bellandur", "Sarjapur"), "Ecospace",
             ("07:30", "09:00", "18:00", "20:00"), ("06:00",)),
    _PathDef("Electronic City Express",
             ("Banashankari", "Jayanagar", "BTM", "Silk Board", "Hosa Road", "Electronic City"),
             "Electronic City Phase 1", ("06:30", "08:00", "17:30", "19:30"), ("22:00",)),
    _PathDef("Hebbal Connect", ("RT Nagar", "Hebbal", "Nagawara", "Manyata Tech Park"),
             "Manyata Tech Park", ("08:00", "09:30", "18:00"), ("20:30",)),
)  # fmt: skip

#: The one registration every operator example uses, and the other vehicles the hard cases need.
_RESERVED_VEHICLES: dict[str, tuple[str, VehicleType, int, str, VehicleStatus, str | None]] = {
    "remove": ("KA-01-AB-1234", VehicleType.BUS, 40, "White", VehicleStatus.AVAILABLE, None),
    "full": ("KA01MN4521", VehicleType.BUS, 24, "Yellow", VehicleStatus.AVAILABLE, None),
    "overbooked": ("KA-05-MX-7788", VehicleType.CAB, 7, "Silver", VehicleStatus.AVAILABLE, None),
    "no_driver": ("KA51AC3030", VehicleType.BUS, 32, "Blue", VehicleStatus.AVAILABLE, None),
    "blocked": (
        "KA-53-GH-0999", VehicleType.BUS, 35, "White", VehicleStatus.BLOCKED,
        "Brake issue reported",
    ),
    "out_of_state": ("TN-09-BX-4410", VehicleType.CAB, 6, "White", VehicleStatus.AVAILABLE, None),
}  # fmt: skip
_RESERVED_DRIVERS: dict[str, tuple[str, str, DriverStatus]] = {
    "on_leave": ("Suresh Gowda", "9845012345", DriverStatus.ON_LEAVE),
}


@dataclass(frozen=True)
class _Role:
    """What one deliberate trip must look like.

    ``vehicle`` and ``driver`` are "pool" (any free one), "none", or a reserved key.
    """

    cases: tuple[str, ...]
    status: TripStatus = TripStatus.SCHEDULED
    delay: int = 0
    vehicle: str = "pool"
    driver: str = "pool"
    confirmed: int | None = None
    over_capacity: bool = False
    extra_cancelled: int = 0


_SAME_NAME = "same_name_several_times"
_SAME_TIME = "same_time_several_paths"

#: Today's deliberate trips, by route display name.
_TODAY: dict[str, _Role] = {
    "Path-1 - 07:00": _Role((_SAME_NAME,)),
    "Path-1 - 08:00": _Role(
        (_SAME_NAME, _SAME_TIME, "remove_vehicle_with_bookings"),
        vehicle="remove", confirmed=10, extra_cancelled=2,
    ),
    "Path-1 - 09:30": _Role((_SAME_NAME, "no_vehicle"), vehicle="none"),
    "Path-2 - 08:00": _Role(
        (_SAME_TIME, "full"), vehicle="full", confirmed=0, over_capacity=True, extra_cancelled=1
    ),
    "Path-2 - 17:30": _Role(
        ("cancelled",), status=TripStatus.CANCELLED, vehicle="none", driver="none", confirmed=6
    ),
    "Path-3 - 08:00": _Role((_SAME_TIME, "no_driver"), vehicle="no_driver", driver="none"),
    "Path-3 - 19:00": _Role(("no_vehicle", "no_driver"), vehicle="none", driver="none"),
    "Bagur Tech Park - 08:30": _Role(
        ("blocked_vehicle_deployed",), vehicle="blocked", confirmed=12
    ),
    "Bagur Tech Park - 19:30": _Role(("bagur_tech_park_1930",), confirmed=14),
    "Manyata Express - 07:30": _Role(("driver_on_leave_deployed",), driver="on_leave"),
    "Manyata Express - 09:00": _Role(
        ("overbooked",), vehicle="overbooked", confirmed=3, over_capacity=True
    ),
    "Manyata Express - 18:30": _Role(("delayed",), status=TripStatus.DELAYED, delay=20),
}  # fmt: skip
_TOMORROW: dict[str, _Role] = {
    "Path-3 - 08:00": _Role(
        ("cancelled",), status=TripStatus.CANCELLED, vehicle="none", driver="none", confirmed=4
    ),
}
_PAST = _Role(("past",), status=TripStatus.COMPLETED)

HARD_CASES = (
    _SAME_NAME, _SAME_TIME, "no_vehicle", "no_driver", "full", "overbooked", "cancelled", "past",
    "delayed", "blocked_vehicle_deployed", "driver_on_leave_deployed",
    "remove_vehicle_with_bookings", "bagur_tech_park_1930", "blocked_vehicles",
    "maintenance_vehicles", "unavailable_drivers", "on_leave_drivers", "deactivated_routes",
)  # fmt: skip
"""Every key of :attr:`DemoSummary.hard_cases`; the ``*_vehicles``/``*_drivers``/``*_routes``
lists hold vehicle, driver and route ids, all others trip ids."""


# --- public surface ---------------------------------------------------------------------------


class DemoSpec(BaseModel):
    """What to build: the same spec always gives the same rows."""

    model_config = ConfigDict(frozen=True)

    trips: int | None = None
    """Daily trips to generate; None means the small default network (300 trips)."""
    seed: int = 7
    today: date


class DemoSummary(BaseModel):
    """What a build wrote, and where each hard case is (ids to try commands on)."""

    model_config = ConfigDict(frozen=True)

    seed: int
    today: date
    first_date: date
    last_date: date
    counts: dict[str, int]
    """Rows written per table."""
    trips_by_status: dict[str, int]
    bookings_by_status: dict[str, int]
    vehicles_by_status: dict[str, int]
    drivers_by_status: dict[str, int]
    hard_cases: dict[str, list[int]] = Field(default_factory=dict)
    build_seconds: float = 0.0

    def hard_case_counts(self) -> dict[str, int]:
        """How many deliberate instances of each hard case the build holds."""
        return {name: len(ids) for name, ids in self.hard_cases.items()}


async def build_demo(engine: AsyncEngine, spec: DemoSpec) -> DemoSummary:
    """Fill an empty movi schema with the demo network of ``spec``, in one transaction.

    Raises :class:`ConfigError` when the database already holds a network or trips (the demo's
    ids and names would collide) or when ``spec.trips`` is too small for the hard cases.
    """
    started = clock.perf_counter()
    total = DEFAULT_TRIPS if spec.trips is None else spec.trips
    if total < MIN_TRIPS:
        raise ConfigError(
            f"--trips {total} is too few: the demo needs at least {MIN_TRIPS} trips to hold "
            "every hard case; leave --trips out for the small default network"
        )
    rng = random.Random(spec.seed)
    network = _plan_network(total, rng)
    ledger = _Ledger()
    with mapped_errors():
        async with engine.connect() as conn:
            try:
                async with conn.begin():
                    await _refuse_filled(conn)
                    sink = await _Sink.open(conn)
                    await sink.write_network(network)
                    await _pipeline(_generate_days(network, spec.today, rng, ledger), sink)
                    await sink.finish()
            except BaseException:
                await conn.invalidate()  # never pool a connection with the build's settings
                raise
            await sink.release()
    counts = dict(network.counts())
    counts.update(ledger.counts)
    return DemoSummary(
        seed=spec.seed,
        today=spec.today,
        first_date=spec.today - timedelta(days=1),
        last_date=spec.today + timedelta(days=network.days - 2),
        counts=counts,
        trips_by_status=dict(sorted(ledger.trips_by_status.items())),
        bookings_by_status=dict(sorted(ledger.bookings_by_status.items())),
        vehicles_by_status=dict(sorted(Counter(v[5] for v in network.vehicles).items())),
        drivers_by_status=dict(sorted(Counter(d[3] for d in network.drivers).items())),
        hard_cases={
            name: sorted(set(ledger.hard_cases.get(name, []) + network.hard_cases.get(name, [])))
            for name in HARD_CASES
        },
        build_seconds=round(clock.perf_counter() - started, 3),
    )


async def _pipeline(days: Iterator[_DayRows], sink: _Sink) -> None:
    """Generate the next day in a worker thread while the database takes the current one.

    The generator still runs strictly one day after the other, so the rows stay deterministic;
    only its CPU time now overlaps the database's work (about 10% off a PostgreSQL build).
    """
    pending = asyncio.create_task(asyncio.to_thread(next, days, None))
    try:
        while (rows := await pending) is not None:
            pending = asyncio.create_task(asyncio.to_thread(next, days, None))
            await sink.write_day(rows)
    finally:
        if not pending.done():
            with contextlib.suppress(Exception):
                await pending


def describe(summary: DemoSummary) -> str:
    """A few lines for ``movi demo``: what is there, and trip ids worth trying commands on."""
    c = summary.counts
    vs, ds, ts = summary.vehicles_by_status, summary.drivers_by_status, summary.trips_by_status
    statuses = ", ".join(
        f"{ts[s.value]:,} {s.value.lower().replace('_', ' ')}" for s in TripStatus if s.value in ts
    )
    confirmed = summary.bookings_by_status.get(BookingStatus.CONFIRMED.value, 0)
    cases = [
        f"{name.replace('_', ' ')} " + " ".join(f"#{i}" for i in ids[:3])
        + (f" (+{len(ids) - 3})" if len(ids) > 3 else "")
        for name, ids in summary.hard_cases.items()
        if ids and not name.endswith(("_vehicles", "_drivers", "_routes"))
    ]  # fmt: skip
    lines = [
        f"demo network (seed {summary.seed}, today {summary.today}), "
        f"built in {summary.build_seconds:.2f} s:",
        f"  network: {c['stops']} stops, {c['paths']:,} paths, {c['routes']:,} routes "
        f"({len(summary.hard_cases['deactivated_routes'])} deactivated)",
        f"  vehicles: {c['vehicles']:,} ({vs.get('BLOCKED', 0):,} blocked, "
        f"{vs.get('MAINTENANCE', 0):,} in maintenance)",
        f"  drivers: {c['drivers']:,} ({ds.get('UNAVAILABLE', 0):,} unavailable, "
        f"{ds.get('ON_LEAVE', 0):,} on leave)",
        f"  trips: {c['daily_trips']:,} from {summary.first_date} to {summary.last_date}, "
        f"{c['deployments']:,} with a vehicle or driver",
        f"    {statuses}",
        f"  bookings: {c['bookings']:,} ({confirmed:,} confirmed)",
    ]
    line = "  hard cases (trip ids):"
    for case in cases:
        if len(line) + len(case) + 2 > 100:
            lines.append(line + ";")
            line = "    " + case
        else:
            line += (" " if line.endswith(":") else "; ") + case
    return "\n".join([*lines, line])


# --- planning the static network --------------------------------------------------------------


@dataclass
class _Network:
    """The static rows (small even at a million trips), plus what the day generator needs."""

    stops: list[tuple[Any, ...]] = field(default_factory=list)
    paths: list[tuple[Any, ...]] = field(default_factory=list)
    path_stops: list[tuple[Any, ...]] = field(default_factory=list)
    routes: list[tuple[Any, ...]] = field(default_factory=list)
    vehicles: list[tuple[Any, ...]] = field(default_factory=list)
    drivers: list[tuple[Any, ...]] = field(default_factory=list)
    #: Active routes in the order days take them: (route_id, display name, shift, path office).
    active: list[tuple[int, str, time, str]] = field(default_factory=list)
    reserved_vehicles: dict[str, int] = field(default_factory=dict)
    reserved_drivers: dict[str, int] = field(default_factory=dict)
    hard_cases: dict[str, list[int]] = field(default_factory=dict)
    days: int = 0
    trips: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "stops": len(self.stops),
            "paths": len(self.paths),
            "path_stops": len(self.path_stops),
            "routes": len(self.routes),
            "vehicles": len(self.vehicles),
            "drivers": len(self.drivers),
        }


def _vehicle_count(trips: int) -> int:
    return max(40, math.ceil(trips / 100))


def _days(trips: int, vehicles: int) -> int:
    """Days from yesterday on, so that each vehicle has about three trips a day."""
    return min(60, max(5, math.ceil(trips / (TRIPS_PER_VEHICLE_DAY * vehicles))))


def _direction(shift: time) -> Direction:
    return Direction.LOGIN if shift < _LOGOUT_FROM else Direction.LOGOUT


def _plan_network(trips: int, rng: random.Random) -> _Network:
    net = _Network(trips=trips)
    stop_ids = {name: i for i, (name, _, _) in enumerate(_STOPS, start=1)}
    coords = {name: (lat, lon) for name, lat, lon in _STOPS}
    net.stops = [(stop_ids[name], name, lat, lon) for name, lat, lon in _STOPS]

    vehicle_count = _vehicle_count(trips)
    net.days = _days(trips, vehicle_count)
    needed = math.ceil(trips / net.days)
    deactivated: list[int] = []

    def add_path(name: str, stops: Sequence[str], office: str) -> int:
        path_id = len(net.paths) + 1
        net.paths.append((path_id, name))
        net.path_stops.extend(
            (path_id, pos, stop_ids[stop]) for pos, stop in enumerate(stops, start=1)
        )
        return path_id

    def add_route(path_id: int, path_name: str, shift: time, office: str, active: bool) -> None:
        route_id = len(net.routes) + 1
        display = f"{path_name} - {shift:%H:%M}"
        status = RouteStatus.ACTIVE if active else RouteStatus.DEACTIVATED
        net.routes.append(
            (route_id, path_id, display, shift, _direction(shift).value, status.value)
        )
        if active:
            net.active.append((route_id, display, shift, office))
        else:
            deactivated.append(route_id)

    for p in _ANCHOR_PATHS + _NAMED_PATHS:
        path_id = add_path(p.name, p.stops, p.office)
        planned = sorted([(s, True) for s in p.shifts] + [(s, False) for s in p.deactivated])
        for hhmm, active in planned:
            add_route(path_id, p.name, time.fromisoformat(hhmm), p.office, active)

    number = 3  # Path-1 … Path-3 are anchors
    while len(net.active) < needed:
        number += 1
        office = rng.choice(_OFFICE_NAMES)
        name = f"Path-{number}"
        path_id = add_path(name, _corridor(office, rng.randint(2, 6), coords, rng), office)
        shifts: set[time] = set()
        want = rng.randint(3, 7)
        while len(shifts) < want:
            shifts.add(rng.choices(_SLOTS, weights=_SLOT_WEIGHTS)[0])
        for shift in sorted(shifts):
            add_route(path_id, name, shift, office, rng.random() >= 0.03)

    net.hard_cases["deactivated_routes"] = deactivated
    _plan_fleet(net, vehicle_count, rng)
    return net


def _corridor(
    office: str, pickups: int, coords: dict[str, tuple[float, float]], rng: random.Random
) -> list[str]:
    """Stops a real shuttle would run: from a far origin towards the office, in order.

    Candidates lie roughly along the origin-office line (within ~3 km of it); the path keeps up
    to ``pickups`` of them, sorted by how far along the way they are.
    """
    end = _OFFICES[office]
    ex, ey = coords[end]
    residential = [s for s, _, _ in _STOPS if s not in _OFFICE_STOPS and s != end]
    far = [s for s in residential if math.dist(coords[s], (ex, ey)) > 0.05]
    along: list[tuple[float, str]] = []
    while not along:  # an origin with nothing on the way would make a two-stop path
        origin = rng.choice(far)
        ox, oy = coords[origin]
        dx, dy = ex - ox, ey - oy
        length = math.hypot(dx, dy)
        for stop in residential:
            sx, sy = coords[stop]
            t = ((sx - ox) * dx + (sy - oy) * dy) / (length * length)
            off = abs((sx - ox) * dy - (sy - oy) * dx) / length
            if stop != origin and 0.05 < t < 0.95 and off < 0.03:
                along.append((t, stop))
    middle = rng.sample(along, min(len(along), pickups - 1))
    return [origin, *(stop for _, stop in sorted(middle)), end]


def _registration(rng: random.Random) -> str:
    rto = rng.choices([r for r, _ in _RTOS], weights=[w for _, w in _RTOS])[0]
    series = rng.choice(_SERIES_LETTERS) + rng.choice(_SERIES_LETTERS)
    number = rng.randint(1, 9999)
    if rng.random() < 0.5:
        return f"{rto}-{series}-{number:04d}"
    return f"{rto.replace('-', '')}{series}{number:04d}"


def _plan_fleet(net: _Network, vehicle_count: int, rng: random.Random) -> None:
    """Vehicles and drivers; the few that hard cases need come first with fixed ids."""
    keys: set[str] = set()
    for key, (reg, vtype, cap, color, status, notes) in _RESERVED_VEHICLES.items():
        vehicle_id = len(net.vehicles) + 1
        net.reserved_vehicles[key] = vehicle_id
        keys.add(registration_key(reg))
        net.vehicles.append((vehicle_id, reg, vtype.value, cap, color, status.value, notes))
    while len(net.vehicles) < vehicle_count:
        reg = _registration(rng)
        if registration_key(reg) in keys:
            continue
        keys.add(registration_key(reg))
        bus = rng.random() < 0.55
        vtype = VehicleType.BUS if bus else VehicleType.CAB
        cap = rng.choice(_BUS_CAPACITIES if bus else _CAB_CAPACITIES)
        color = rng.choice(_BUS_COLORS if bus else _CAB_COLORS)
        vehicle_id = len(net.vehicles) + 1
        available = VehicleStatus.AVAILABLE.value
        net.vehicles.append((vehicle_id, reg, vtype.value, cap, color, available, None))

    reserved = len(_RESERVED_VEHICLES)
    share = max(2, round(0.03 * vehicle_count))
    blocked_extra, maintenance = share - 1, share
    ids = rng.sample(range(reserved + 1, vehicle_count + 1), blocked_extra + maintenance)
    for i, vehicle_id in enumerate(ids):
        blocked = i < blocked_extra
        vstatus = VehicleStatus.BLOCKED if blocked else VehicleStatus.MAINTENANCE
        note = rng.choice(_BLOCKED_NOTES if blocked else _MAINTENANCE_NOTES)
        row = net.vehicles[vehicle_id - 1]
        net.vehicles[vehicle_id - 1] = (*row[:5], vstatus.value, note)
    net.hard_cases["blocked_vehicles"] = sorted(
        v[0] for v in net.vehicles if v[5] == VehicleStatus.BLOCKED.value
    )
    net.hard_cases["maintenance_vehicles"] = sorted(
        v[0] for v in net.vehicles if v[5] == VehicleStatus.MAINTENANCE.value
    )

    driver_count = max(44, vehicle_count + vehicle_count // 10)
    phones: set[str] = set()
    for key, (name, phone, dstatus) in _RESERVED_DRIVERS.items():
        driver_id = len(net.drivers) + 1
        net.reserved_drivers[key] = driver_id
        phones.add(phone)
        net.drivers.append((driver_id, name, phone, dstatus.value))
    while len(net.drivers) < driver_count:
        phone = f"{rng.choice('6789')}{rng.randrange(10**9):09d}"
        if phone in phones:
            continue
        phones.add(phone)
        name = f"{rng.choice(_DRIVER_FIRST)} {rng.choice(_DRIVER_LAST)}"
        net.drivers.append((len(net.drivers) + 1, name, phone, DriverStatus.AVAILABLE.value))
    reserved = len(_RESERVED_DRIVERS)
    share = max(2, round(0.04 * driver_count))
    on_leave_extra, unavailable = share - 1, share
    ids = rng.sample(range(reserved + 1, driver_count + 1), on_leave_extra + unavailable)
    for i, driver_id in enumerate(ids):
        dstatus = DriverStatus.ON_LEAVE if i < on_leave_extra else DriverStatus.UNAVAILABLE
        row = net.drivers[driver_id - 1]
        net.drivers[driver_id - 1] = (*row[:3], dstatus.value)
    net.hard_cases["on_leave_drivers"] = sorted(
        d[0] for d in net.drivers if d[3] == DriverStatus.ON_LEAVE.value
    )
    net.hard_cases["unavailable_drivers"] = sorted(
        d[0] for d in net.drivers if d[3] == DriverStatus.UNAVAILABLE.value
    )


# --- generating the days ----------------------------------------------------------------------


@dataclass
class _Ledger:
    """Running totals of the day generator: the summary is known without a count query."""

    counts: Counter[str] = field(default_factory=Counter)
    trips_by_status: Counter[str] = field(default_factory=Counter)
    bookings_by_status: Counter[str] = field(default_factory=Counter)
    hard_cases: dict[str, list[int]] = field(default_factory=dict)


@dataclass
class _DayRows:
    trips: list[tuple[Any, ...]]
    deployments: list[tuple[Any, ...]]
    bookings: list[tuple[Any, ...]]


class _Pool:
    """Who is free for a trip of one day: least recently used first, never two trips too close.

    Trips are taken in departure order, so the earliest "last departure" in the heap decides
    whether anyone at all is free; that keeps assignment O(log n) at ten thousand vehicles.
    """

    def __init__(self, ids: list[int], rng: random.Random) -> None:
        rng.shuffle(ids)
        self._heap = [(-(10**6), order, i) for order, i in enumerate(ids)]
        heapq.heapify(self._heap)
        self._order = len(ids)

    def take(self, minute: int) -> int | None:
        if not self._heap or self._heap[0][0] + OVERLAP_MINUTES >= minute:
            return None
        _, _, ident = heapq.heappop(self._heap)
        self._order += 1
        heapq.heappush(self._heap, (minute, self._order, ident))
        return ident


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _random_status(rel: int, shift: time, rng: random.Random) -> tuple[TripStatus, int]:
    r = rng.random()
    if rel < 0:
        if r < 0.04:
            return TripStatus.CANCELLED, 0
        return TripStatus.COMPLETED, rng.randint(5, 30) if r > 0.9 else 0
    if rel == 0:
        if shift < time(6, 15):
            return TripStatus.COMPLETED, 0
        if shift < NOTIONAL_NOW:
            return TripStatus.IN_PROGRESS, 0
        if r < 0.02:
            return TripStatus.CANCELLED, 0
        if r < 0.05:
            return TripStatus.DELAYED, rng.randint(5, 45)
        return TripStatus.SCHEDULED, 0
    return (TripStatus.CANCELLED, 0) if r < 0.01 else (TripStatus.SCHEDULED, 0)


def _booking_count(capacity: int, rng: random.Random) -> int:
    """Mostly a handful, sometimes half full, rarely near full; never above ``capacity``."""
    r = rng.random()
    if r < 0.15:
        return 0
    if r < 0.80:
        return rng.randint(1, max(1, capacity // 6))
    if r < 0.95:
        return rng.randint(capacity // 4, max(capacity // 4, capacity // 2))
    return rng.randint(capacity // 2, capacity)


_BOOKING_AGES = tuple(timedelta(minutes=m) for m in range(0, 6 * 24 * 60, 7))


def _generate_days(
    net: _Network, today: date, rng: random.Random, ledger: _Ledger
) -> Iterator[_DayRows]:
    """Yield one day's trips, deployments and bookings at a time, with ids assigned here."""
    stamp = datetime.combine(today, time(0, 0), tzinfo=UTC)
    capacity = {v[0]: v[3] for v in net.vehicles}
    usable_vehicles = [v[0] for v in net.vehicles if v[5] == VehicleStatus.AVAILABLE.value]
    usable_drivers = [d[0] for d in net.drivers if d[3] == DriverStatus.AVAILABLE.value]
    today_reserved = {
        net.reserved_vehicles[r.vehicle]
        for r in _TODAY.values()
        if r.vehicle in net.reserved_vehicles
    }
    base, extra = divmod(net.trips, net.days)
    trip_id = deployment_id = booking_id = 0
    confirmed_s, cancelled_s = BookingStatus.CONFIRMED.value, BookingStatus.CANCELLED.value
    anchors = {route[0] for route in net.active[: _anchor_route_count()]}
    expected_roles = {-1: len(anchors), 0: len(_TODAY), 1: len(_TOMORROW)}

    for index in range(net.days):
        rel = index - 1
        day = today + timedelta(days=rel)
        routes = net.active[: base + (1 if index < extra else 0)]
        routes = sorted(routes, key=lambda r: (r[2], r[0]))
        vehicles = _Pool([v for v in usable_vehicles if rel != 0 or v not in today_reserved], rng)
        drivers = _Pool(list(usable_drivers), rng)
        roles = _TODAY if rel == 0 else _TOMORROW if rel == 1 else {}
        rows = _DayRows([], [], [])
        booked_from = datetime.combine(min(day, today), time(0, 0), tzinfo=UTC)
        seen_roles = 0

        for route_id, display, shift, office in routes:
            trip_id += 1
            minute = _minutes(shift)
            role = roles.get(display)
            if role is None and rel < 0 and route_id in anchors:
                role = _PAST
            if role is not None:
                seen_roles += 1
                status, delay = role.status, role.delay
                for case in role.cases:
                    ledger.hard_cases.setdefault(case, []).append(trip_id)
                want_vehicle, want_driver = role.vehicle, role.driver
            else:
                status, delay = _random_status(rel, shift, rng)
                want_vehicle, want_driver = _random_deployment(rel, status, rng)

            vehicle_id = _pick(want_vehicle, net.reserved_vehicles, vehicles, minute, role)
            driver_id = _pick(want_driver, net.reserved_drivers, drivers, minute, role)
            rows.trips.append(
                (trip_id, route_id, display, day, shift, status.value, delay, 1, stamp)
            )
            ledger.trips_by_status[status.value] += 1
            if vehicle_id is not None or driver_id is not None:
                deployment_id += 1
                rows.deployments.append((deployment_id, trip_id, vehicle_id, driver_id, 1, stamp))

            cap = capacity[vehicle_id] if vehicle_id is not None else NOMINAL_CAPACITY
            if role is not None and role.confirmed is not None:
                # Only the deliberate overbooking may exceed the seats of whatever vehicle came.
                confirmed = role.confirmed + cap if role.over_capacity else min(role.confirmed, cap)
                cancelled = role.extra_cancelled
            else:
                confirmed = _booking_count(cap, rng)
                cancelled = rng.randint(1, 2) if rng.random() < 0.12 else 0
            if status is TripStatus.CANCELLED:
                confirmed, cancelled = 0, confirmed + cancelled
            n = confirmed + cancelled
            if n:
                names = rng.choices(_EMPLOYEES, k=n)
                ages = rng.choices(_BOOKING_AGES, k=n)
                for k in range(n):
                    booking_id += 1
                    where = office if rng.random() < 0.85 else rng.choice(_OFFICE_NAMES)
                    rows.bookings.append(
                        (
                            booking_id,
                            trip_id,
                            names[k],
                            where,
                            confirmed_s if k < confirmed else cancelled_s,
                            booked_from - timedelta(hours=6) - ages[k],
                        )
                    )
                ledger.bookings_by_status[confirmed_s] += confirmed
                ledger.bookings_by_status[cancelled_s] += cancelled

        if seen_roles != expected_roles.get(rel, 0):
            raise RuntimeError(f"demo generator: only {seen_roles} deliberate trips on day {rel}")
        ledger.counts["daily_trips"] += len(rows.trips)
        ledger.counts["deployments"] += len(rows.deployments)
        ledger.counts["bookings"] += len(rows.bookings)
        yield rows


def _anchor_route_count() -> int:
    return sum(len(p.shifts) for p in _ANCHOR_PATHS)


def _random_deployment(rel: int, status: TripStatus, rng: random.Random) -> tuple[str, str]:
    if status is TripStatus.CANCELLED:
        return "none", "none"
    if rel < 0 or status in (TripStatus.COMPLETED, TripStatus.IN_PROGRESS):
        return "pool", "pool"  # a trip that ran had a vehicle and a driver
    r = rng.random()
    if r < 0.80:
        return "pool", "pool"
    if r < 0.86:
        return "pool", "none"
    if r < 0.91:
        return "none", "pool"
    return "none", "none"


def _pick(
    want: str, reserved: dict[str, int], pool: _Pool, minute: int, role: _Role | None
) -> int | None:
    if want == "none":
        return None
    if want != "pool":
        return reserved[want]
    picked = pool.take(minute)
    if picked is None and role is not None:
        raise RuntimeError(f"demo generator: nobody free for the deliberate trip {role.cases}")
    return picked


# --- writing ----------------------------------------------------------------------------------

_T = Base.metadata.tables
_COLUMNS: dict[str, tuple[str, ...]] = {
    "stops": ("stop_id", "name", "latitude", "longitude"),
    "paths": ("path_id", "path_name"),
    "path_stops": ("path_id", "position", "stop_id"),
    "routes": ("route_id", "path_id", "route_display_name", "shift_time", "direction", "status"),
    "vehicles": (
        "vehicle_id", "registration_number", "vehicle_type", "capacity", "color", "status",
        "notes",
    ),
    "drivers": ("driver_id", "name", "phone_number", "status"),
    "daily_trips": (
        "trip_id", "route_id", "display_name", "trip_date", "departure_time", "live_status",
        "delay_minutes", "version", "updated_at",
    ),
    "deployments": ("deployment_id", "trip_id", "vehicle_id", "driver_id", "version", "updated_at"),
    "bookings": ("booking_id", "trip_id", "employee_name", "office", "status", "created_at"),
}  # fmt: skip
_SERIAL_KEYS = {
    "stops": "stop_id",
    "paths": "path_id",
    "routes": "route_id",
    "vehicles": "vehicle_id",
    "drivers": "driver_id",
    "daily_trips": "trip_id",
    "deployments": "deployment_id",
    "bookings": "booking_id",
}
_SQLITE_BUILD_CACHE_KIB = 256 * 1024


async def _refuse_filled(conn: AsyncConnection) -> None:
    """The demo assigns its own ids and names: refuse a database that already has some."""
    for model in (DailyTrip, Route, Path, Stop, Vehicle, Driver):
        if (await conn.execute(select(literal(1)).select_from(model).limit(1))).first():
            raise ConfigError(
                f"the database already has rows in {model.__tablename__}: demo data goes into "
                "an empty schema; use `movi db init --reset --demo` (destroys the data) "
                "or another --db"
            )


class _Sink:
    """Bulk writer: ``COPY`` through asyncpg on PostgreSQL, ``executemany`` on SQLite.

    On PostgreSQL the foreign keys of the three big tables are dropped for the load and added
    back before commit (the recipe of the PostgreSQL manual, "Populating a Database"): checking
    them once with a join instead of row by row nearly halves the build, and the transaction
    keeps it all-or-nothing. On SQLite the rows go through the Core ``insert()``'s compiled SQL
    with the columns' own bind processors (memoised: dates and times repeat), about a third
    faster than letting SQLAlchemy build and process a parameter dict per row.
    """

    def __init__(self, conn: AsyncConnection, copy_to: Any) -> None:
        self._conn = conn
        self._copy_to = copy_to
        self._dropped: list[tuple[str, str, str]] = []
        self._inserts: dict[str, tuple[str, Callable[[_Row], _Row]]] = {}

    @classmethod
    async def open(cls, conn: AsyncConnection) -> _Sink:
        if conn.dialect.name == "postgresql":
            raw = await conn.get_raw_connection()
            sink = cls(conn, raw.driver_connection)
            # Read from the catalogue, not the metadata: SQLAlchemy's AddConstraint would mark
            # the shared metadata's constraints as "added later" and drop them from CREATE TABLE.
            found = await conn.execute(text(_PG_FOREIGN_KEYS))
            sink._dropped = [(table, name, definition) for table, name, definition in found]
            for table, name, _ in sink._dropped:
                await conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
            return sink
        # A bigger page cache keeps index inserts in memory; restored by ``release``.
        await conn.exec_driver_sql(f"PRAGMA cache_size=-{_SQLITE_BUILD_CACHE_KIB}")
        return cls(conn, None)

    async def write(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        columns = _COLUMNS[table]
        if self._copy_to is not None:
            for start in range(0, len(rows), BATCH_ROWS):
                await self._copy_to.copy_records_to_table(
                    table, records=rows[start : start + BATCH_ROWS], columns=list(columns)
                )
            return
        if table not in self._inserts:
            self._inserts[table] = _sqlite_insert(table, self._conn.dialect)
        sql, convert = self._inserts[table]
        for start in range(0, len(rows), BATCH_ROWS):
            chunk = [convert(row) for row in rows[start : start + BATCH_ROWS]]
            await self._conn.exec_driver_sql(sql, chunk)

    async def write_network(self, net: _Network) -> None:
        for table in ("stops", "paths", "path_stops", "routes", "vehicles", "drivers"):
            await self.write(table, getattr(net, table))

    async def write_day(self, rows: _DayRows) -> None:
        await self.write("daily_trips", rows.trips)
        await self.write("deployments", rows.deployments)
        await self.write("bookings", rows.bookings)

    async def finish(self) -> None:
        """Restore the foreign keys, and let later inserts without ids continue after ours."""
        if self._copy_to is None:
            return
        for table, name, definition in self._dropped:
            await self._conn.execute(
                text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            )
        for table, key in _SERIAL_KEYS.items():
            await self._conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', '{key}'), "
                    f"COALESCE(MAX({key}), 0) + 1, false) FROM {table}"
                )
            )
        await self._conn.execute(text(f"ANALYZE {', '.join(_SERIAL_KEYS)}"))

    async def release(self) -> None:
        if self._copy_to is None:
            await self._conn.exec_driver_sql("PRAGMA cache_size=-2000")
            await self._conn.commit()


_PG_FOREIGN_KEYS = """
SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
WHERE contype = 'f'
  AND conrelid IN ('daily_trips'::regclass, 'deployments'::regclass, 'bookings'::regclass)
ORDER BY 1, 2
"""
_Row = tuple[Any, ...]


def _sqlite_insert(table: str, dialect: Dialect) -> tuple[str, Callable[[_Row], _Row]]:
    """The Core insert's SQL with positional parameters, and a row converter using the column
    types' bind processors, each memoised."""
    columns = _COLUMNS[table]
    stmt = insert(_T[table]).values({name: bindparam(name) for name in columns})
    compiled = stmt.compile(dialect=dialect)
    if list(compiled.positiontup or ()) != list(columns):
        raise RuntimeError(f"expected positional parameters in column order: {compiled}")
    processors: list[Callable[[Any], Any] | None] = []
    for name in columns:
        process = _T[table].c[name].type.dialect_impl(dialect).bind_processor(dialect)
        processors.append(_memoised(process) if process is not None else None)

    def convert(row: _Row) -> _Row:
        return tuple(
            v if p is None or v is None else p(v) for v, p in zip(row, processors, strict=True)
        )

    return str(compiled), convert


def _memoised(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    cache: dict[Any, Any] = {}

    def run(value: Any) -> Any:
        try:
            return cache[value]
        except KeyError:
            result = cache[value] = process(value)
            return result

    return run
