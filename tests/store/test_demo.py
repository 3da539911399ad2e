"""Demo data: deterministic for a seed, hard cases present on purpose, bulk scale on both backends.

Every hard case is checked against the rows themselves, not against what ``DemoSummary`` claims.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.schema import CreateTable

from movi.cli import main
from movi.errors import ConfigError
from movi.store import create_schema, make_engine, registration_key
from movi.store.demo import HARD_CASES, DemoSpec, DemoSummary, build_demo, describe
from movi.store.schema import (
    Base,
    Booking,
    DailyTrip,
    Deployment,
    Driver,
    Path,
    PathStop,
    Route,
    Stop,
    Vehicle,
)

TODAY = date(2026, 11, 28)
YESTERDAY = TODAY - timedelta(days=1)
DEMO_TABLES = (Stop, Path, PathStop, Route, Vehicle, Driver, DailyTrip, Deployment, Booking)
UNUSABLE_VEHICLE = {"BLOCKED", "MAINTENANCE"}
UNUSABLE_DRIVER = {"UNAVAILABLE", "ON_LEAVE"}
NOT_AHEAD = {"COMPLETED", "CANCELLED"}


async def _build(url: str, **spec: Any) -> DemoSummary:
    engine = make_engine(url)
    try:
        await create_schema(engine)
        return await build_demo(engine, DemoSpec(today=TODAY, **spec))
    finally:
        await engine.dispose()


def _plain(value: Any) -> Any:
    """SQLite hands datetimes back naive (UTC), PostgreSQL aware: compare them as naive UTC."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


async def _dump(url: str, tables: tuple[type[Base], ...] = DEMO_TABLES) -> dict[str, list[Any]]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            dump = {}
            for model in tables:
                table = Base.metadata.tables[model.__tablename__]
                rows = await conn.execute(select(table).order_by(*table.primary_key.columns))
                dump[table.name] = [tuple(_plain(v) for v in row) for row in rows]
            return dump
    finally:
        await engine.dispose()


@dataclass
class World:
    """The demo as read back from the database, indexed for the assertions."""

    summary: DemoSummary
    trips: dict[int, Row[Any]]
    deployments: dict[int, Row[Any]]  # by trip_id
    vehicles: dict[int, Row[Any]]
    drivers: dict[int, Row[Any]]
    routes: dict[int, Row[Any]]
    stops: dict[int, str]
    paths: dict[int, str]
    path_stops: dict[int, list[int]]
    confirmed: Counter[int]
    cancelled: Counter[int]

    def vehicle_of(self, trip_id: int) -> int | None:
        dep = self.deployments.get(trip_id)
        return None if dep is None else dep.vehicle_id

    def driver_of(self, trip_id: int) -> int | None:
        dep = self.deployments.get(trip_id)
        return None if dep is None else dep.driver_id

    def case(self, name: str) -> list[Row[Any]]:
        ids = self.summary.hard_cases[name]
        assert ids, f"hard case {name} is missing"
        return [self.trips[i] for i in ids]


async def _world(engine: AsyncEngine, summary: DemoSummary) -> World:
    async with engine.connect() as conn:

        async def rows(model: type[Base]) -> list[Row[Any]]:
            table = Base.metadata.tables[model.__tablename__]
            return list(await conn.execute(select(table)))

        path_stops: dict[int, list[int]] = defaultdict(list)
        for ps in sorted(await rows(PathStop), key=lambda r: (r.path_id, r.position)):
            path_stops[ps.path_id].append(ps.stop_id)
        confirmed: Counter[int] = Counter()
        cancelled: Counter[int] = Counter()
        for b in await rows(Booking):
            (confirmed if b.status == "CONFIRMED" else cancelled)[b.trip_id] += 1
        return World(
            summary=summary,
            trips={t.trip_id: t for t in await rows(DailyTrip)},
            deployments={d.trip_id: d for d in await rows(Deployment)},
            vehicles={v.vehicle_id: v for v in await rows(Vehicle)},
            drivers={d.driver_id: d for d in await rows(Driver)},
            routes={r.route_id: r for r in await rows(Route)},
            stops={s.stop_id: s.name for s in await rows(Stop)},
            paths={p.path_id: p.path_name for p in await rows(Path)},
            path_stops=dict(path_stops),
            confirmed=confirmed,
            cancelled=cancelled,
        )


@pytest.fixture(
    params=[{}, {"trips": 100, "seed": 3}, {"trips": 2_500, "seed": 11}],
    ids=["default", "smallest-seed3", "2500-seed11"],
)
async def world(engine: AsyncEngine, request: pytest.FixtureRequest) -> AsyncIterator[World]:
    """The default demo, the smallest one and a larger one, on each backend: the hard cases are
    placed on purpose, so no seed or size may lose one."""
    summary = await build_demo(engine, DemoSpec(today=TODAY, **request.param))
    yield await _world(engine, summary)


def _stem(display_name: str) -> str:
    return display_name.rsplit(" - ", 1)[0]


# --- determinism ------------------------------------------------------------------------------


async def test_same_seed_gives_identical_rows_and_another_seed_does_not(tmp_path: Any) -> None:
    urls = [f"sqlite+aiosqlite:///{tmp_path / name}.db" for name in ("a", "b", "c")]
    first = await _build(urls[0])
    second = await _build(urls[1])
    other = await _build(urls[2], seed=8)

    a, b, c = [await _dump(url) for url in urls]
    assert a == b
    assert first.model_dump(exclude={"build_seconds"}) == second.model_dump(
        exclude={"build_seconds"}
    )
    for table in ("daily_trips", "deployments", "bookings", "vehicles", "drivers"):
        assert a[table] != c[table], table
    assert other.counts["daily_trips"] == first.counts["daily_trips"] == 300


async def test_same_rows_on_both_backends(sqlite_url: str, pg_url: str) -> None:
    await _build(sqlite_url)
    await _build(pg_url)
    assert await _dump(sqlite_url) == await _dump(pg_url)


# --- the hard cases, read from the rows -------------------------------------------------------


async def test_summary_names_every_hard_case(world: World) -> None:
    cases = world.summary.hard_cases
    assert list(cases) == list(HARD_CASES)
    assert all(cases[name] for name in HARD_CASES), world.summary.hard_case_counts()
    text = describe(world.summary)
    summary = world.summary
    assert f"trips: {len(world.trips):,} from 2026-11-27" in text
    assert f"seed {summary.seed}" in text
    assert len(text.splitlines()) <= 12 and max(map(len, text.splitlines())) <= 100


async def test_one_name_at_several_times_and_one_time_on_several_paths(world: World) -> None:
    today = [t for t in world.trips.values() if t.trip_date == TODAY]
    times_by_stem: dict[str, set[time]] = defaultdict(set)
    stems_by_time: dict[time, set[str]] = defaultdict(set)
    for t in today:
        times_by_stem[_stem(t.display_name)].add(t.departure_time)
        stems_by_time[t.departure_time].add(_stem(t.display_name))
    assert len(times_by_stem["Path-1"]) >= 3
    assert {time(7), time(8), time(9, 30)} <= times_by_stem["Path-1"]
    assert len(stems_by_time[time(8)]) >= 2

    same_name = world.case("same_name_several_times")
    assert {_stem(t.display_name) for t in same_name} == {"Path-1"}
    assert len({t.departure_time for t in same_name}) == len(same_name) >= 3
    assert len({t.display_name for t in same_name}) == len(same_name)  # names differ by time
    same_time = world.case("same_time_several_paths")
    assert len({t.departure_time for t in same_time}) == 1
    assert len({_stem(t.display_name) for t in same_time}) == len(same_time) >= 2
    for t in same_name + same_time:
        assert t.trip_date == TODAY and t.live_status == "SCHEDULED"
        assert t.display_name == f"{_stem(t.display_name)} - {t.departure_time:%H:%M}"


async def test_trips_with_and_without_vehicle_and_driver(world: World) -> None:
    ahead = [t for t in world.trips.values() if t.live_status not in NOT_AHEAD]
    kinds = Counter(
        (world.vehicle_of(t.trip_id) is not None, world.driver_of(t.trip_id) is not None)
        for t in ahead
    )
    assert all(kinds[k] > 0 for k in [(True, True), (True, False), (False, True), (False, False)])
    for t in world.case("no_vehicle"):
        assert t.trip_date == TODAY and t.live_status == "SCHEDULED"
        assert world.vehicle_of(t.trip_id) is None
    for t in world.case("no_driver"):
        assert t.trip_date == TODAY and t.live_status == "SCHEDULED"
        assert world.driver_of(t.trip_id) is None


async def test_full_overbooked_and_remove_vehicle_trips(world: World) -> None:
    def seats(trip_id: int) -> int:
        vehicle_id = world.vehicle_of(trip_id)
        assert vehicle_id is not None
        capacity: int = world.vehicles[vehicle_id].capacity
        return capacity

    [full] = world.case("full")
    assert world.confirmed[full.trip_id] == seats(full.trip_id)
    assert world.cancelled[full.trip_id] >= 1  # cancelled bookings do not take seats
    [over] = world.case("overbooked")
    assert world.confirmed[over.trip_id] > seats(over.trip_id)
    [remove] = world.case("remove_vehicle_with_bookings")
    assert remove.trip_date == TODAY and remove.live_status == "SCHEDULED"
    assert (world.confirmed[remove.trip_id], seats(remove.trip_id)) == (10, 40)
    # Apart from the deliberate one, nothing is overbooked.
    overbooked = {
        trip_id
        for trip_id, n in world.confirmed.items()
        if world.vehicle_of(trip_id) is not None and n > seats(trip_id)
    }
    assert overbooked == {over.trip_id}


async def test_cancelled_past_and_delayed_trips(world: World) -> None:
    for t in world.case("cancelled"):
        assert t.live_status == "CANCELLED" and t.trip_date >= TODAY
        assert world.cancelled[t.trip_id] > 0 and world.confirmed[t.trip_id] == 0
    for t in world.trips.values():
        if t.live_status == "CANCELLED":
            assert world.confirmed[t.trip_id] == 0
        if t.trip_date < TODAY:
            assert t.live_status in NOT_AHEAD
    for t in world.case("past"):
        assert t.trip_date == YESTERDAY and t.live_status == "COMPLETED"
    [delayed] = world.case("delayed")
    assert delayed.live_status == "DELAYED" and delayed.delay_minutes > 0
    dates = {t.trip_date for t in world.trips.values()}
    assert min(dates) == YESTERDAY == world.summary.first_date
    assert max(dates) == world.summary.last_date > TODAY + timedelta(days=1)


async def test_unusable_vehicles_and_drivers_are_deployed_once_on_purpose(world: World) -> None:
    cases = world.summary.hard_cases
    by_status: dict[str, list[int]] = defaultdict(list)
    for v in world.vehicles.values():
        by_status[v.status].append(v.vehicle_id)
    for d in world.drivers.values():
        by_status[d.status].append(d.driver_id)
    assert sorted(by_status["BLOCKED"]) == cases["blocked_vehicles"]
    assert sorted(by_status["MAINTENANCE"]) == cases["maintenance_vehicles"]
    assert sorted(by_status["UNAVAILABLE"]) == cases["unavailable_drivers"]
    assert sorted(by_status["ON_LEAVE"]) == cases["on_leave_drivers"]
    assert all(len(cases[n]) >= 2 for n in ("blocked_vehicles", "maintenance_vehicles"))
    assert all(len(cases[n]) >= 2 for n in ("unavailable_drivers", "on_leave_drivers"))

    ahead = [
        t for t in world.trips.values() if t.trip_date >= TODAY and t.live_status not in NOT_AHEAD
    ]
    bad_vehicle = [
        t.trip_id
        for t in ahead
        if (vehicle := world.vehicle_of(t.trip_id)) is not None
        and world.vehicles[vehicle].status in UNUSABLE_VEHICLE
    ]
    bad_driver = [
        t.trip_id
        for t in ahead
        if (driver := world.driver_of(t.trip_id)) is not None
        and world.drivers[driver].status in UNUSABLE_DRIVER
    ]
    assert bad_vehicle == cases["blocked_vehicle_deployed"]
    assert bad_driver == cases["driver_on_leave_deployed"]
    [blocked] = world.case("blocked_vehicle_deployed")
    [on_leave] = world.case("driver_on_leave_deployed")
    for t in (blocked, on_leave):
        assert t.trip_date == TODAY and t.live_status == "SCHEDULED"
    assert world.vehicles[world.vehicle_of(blocked.trip_id) or 0].status == "BLOCKED"
    assert world.drivers[world.driver_of(on_leave.trip_id) or 0].status == "ON_LEAVE"
    assert world.confirmed[blocked.trip_id] > 0  # so blocking it has consequences


async def test_no_vehicle_or_driver_on_two_overlapping_trips(world: World) -> None:
    busy: dict[tuple[str, int, date], list[int]] = defaultdict(list)
    for t in world.trips.values():
        minute = t.departure_time.hour * 60 + t.departure_time.minute
        if (v := world.vehicle_of(t.trip_id)) is not None:
            busy["vehicle", v, t.trip_date].append(minute)
        if (d := world.driver_of(t.trip_id)) is not None:
            busy["driver", d, t.trip_date].append(minute)
    assert busy
    for key, minutes in busy.items():
        minutes.sort()
        gaps = [b - a for a, b in itertools.pairwise(minutes)]
        assert all(gap > 120 for gap in gaps), (key, minutes)


async def test_bagur_tech_park_1930_today(world: World) -> None:
    [trip] = world.case("bagur_tech_park_1930")
    assert trip.display_name == "Bagur Tech Park - 19:30"
    assert (trip.trip_date, trip.departure_time) == (TODAY, time(19, 30))
    assert world.routes[trip.route_id].direction == "LOGOUT"
    assert world.confirmed[trip.trip_id] > 0


async def test_network_and_fleet_look_real(world: World) -> None:
    assert {
        "Peenya",
        "Gavipuram",
        "Temple",
        "BTM",
        "Hebbal",
        "Electronic City",
        "Whitefield",
        "Manyata Tech Park",
        "Silk Board",
        "Majestic",
        "KR Puram",
    } <= set(world.stops.values())
    assert world.path_stops[1] == [
        s
        for name in ("Peenya", "Gavipuram", "Temple", "BTM")
        for s, n in world.stops.items()
        if n == name
    ]
    for path_id, stops in world.path_stops.items():
        assert 3 <= len(stops) <= 7, world.paths[path_id]
        assert len(set(stops)) == len(stops)
    assert {"Path-1", "Path-2", "Bagur Tech Park", "Manyata Express"} <= set(world.paths.values())
    statuses = Counter(r.status for r in world.routes.values())
    assert statuses["DEACTIVATED"] >= 2 and statuses["ACTIVE"] > statuses["DEACTIVATED"]
    for r in world.routes.values():
        assert r.route_display_name == f"{world.paths[r.path_id]} - {r.shift_time:%H:%M}"
        assert r.direction == ("LOGIN" if r.shift_time < time(13) else "LOGOUT")
    deactivated = set(world.summary.hard_cases["deactivated_routes"])
    assert deactivated == {r.route_id for r in world.routes.values() if r.status == "DEACTIVATED"}
    for t in world.trips.values():
        route = world.routes[t.route_id]
        assert t.display_name == route.route_display_name
        assert t.departure_time == route.shift_time and route.status == "ACTIVE"

    regs = [v.registration_number for v in world.vehicles.values()]
    assert any(re.fullmatch(r"[A-Z]{2}-\d{2}-[A-Z]{2}-\d{4}", r) for r in regs)
    assert any(re.fullmatch(r"[A-Z]{2}\d{2}[A-Z]{2}\d{4}", r) for r in regs)
    assert len({registration_key(r) for r in regs}) == len(regs)
    assert {"KA-01", "KA-05", "KA-51", "KA-53", "TN-09"} <= {
        registration_key(r)[:2] + "-" + registration_key(r)[2:4] for r in regs
    }
    for v in world.vehicles.values():
        assert v.registration_key == registration_key(v.registration_number)
        assert (20 <= v.capacity <= 50) if v.vehicle_type == "BUS" else (4 <= v.capacity <= 7)
    assert {v.vehicle_type for v in world.vehicles.values()} == {"BUS", "CAB"}
    assert len(world.vehicles) >= 40 and len(world.drivers) >= 40
    phones = [d.phone_number for d in world.drivers.values()]
    assert len(set(phones)) == len(phones)
    assert all(re.fullmatch(r"[6-9]\d{9}", p) for p in phones)


# --- scale, sequences, refusal ----------------------------------------------------------------


async def _insert_without_ids(engine: AsyncEngine, summary: DemoSummary) -> None:
    """New rows from the application (no explicit ids) land after the demo's."""
    async with engine.begin() as conn:

        async def add(model: type[Base], **values: Any) -> int:
            table = Base.metadata.tables[model.__tablename__]
            [key] = table.primary_key.columns
            new_id: int = (
                await conn.execute(insert(table).values(**values).returning(key))
            ).scalar_one()
            assert new_id > summary.counts[table.name], table.name
            return new_id

        stop = await add(Stop, name="Test Stop")
        path = await add(Path, path_name="Test Path")
        await conn.execute(insert(PathStop).values(path_id=path, position=1, stop_id=stop))
        route = await add(
            Route, path_id=path, route_display_name="Test Path - 08:15", shift_time=time(8, 15),
            direction="LOGIN", status="ACTIVE",
        )  # fmt: skip
        vehicle = await add(
            Vehicle, registration_number="KA-99-ZZ-9999", vehicle_type="BUS", capacity=30
        )
        driver = await add(Driver, name="Test Driver", phone_number="0000000000")
        trip = await add(
            DailyTrip, route_id=route, display_name="Test Path - 08:15", trip_date=TODAY,
            departure_time=time(8, 15),
        )  # fmt: skip
        await add(Deployment, trip_id=trip, vehicle_id=vehicle, driver_id=driver)
        await add(Booking, trip_id=trip, employee_name="Test Employee", office="EGL")


async def test_scale_build(engine: AsyncEngine) -> None:
    summary = await build_demo(engine, DemoSpec(today=TODAY, trips=20_000))
    assert summary.counts["daily_trips"] == 20_000
    assert summary.counts["vehicles"] == 200 and summary.counts["drivers"] == 220
    async with engine.connect() as conn:
        for model in DEMO_TABLES:
            table = Base.metadata.tables[model.__tablename__]
            found = (await conn.execute(select(func.count()).select_from(table))).scalar_one()
            assert found == summary.counts[table.name], table.name
    assert summary.counts["bookings"] <= 5 * 20_000
    assert summary.counts["deployments"] > 0.8 * 20_000
    assert (summary.last_date - summary.first_date).days >= 20  # spread over the days
    assert all(summary.hard_cases[name] for name in HARD_CASES)
    await _insert_without_ids(engine, summary)


async def test_scale_build_is_the_same_on_both_backends(sqlite_url: str, pg_url: str) -> None:
    on_sqlite = await _build(sqlite_url, trips=20_000, seed=11)
    on_pg = await _build(pg_url, trips=20_000, seed=11)
    exclude = {"build_seconds"}
    assert on_sqlite.model_dump(exclude=exclude) == on_pg.model_dump(exclude=exclude)
    tables = (DailyTrip, Deployment)
    assert await _dump(sqlite_url, tables) == await _dump(pg_url, tables)


async def test_constraints_hold_after_the_build(engine: AsyncEngine) -> None:
    """The PostgreSQL build drops and restores foreign keys; they must all be back, and the
    shared metadata must still create them for the next database."""
    summary = await build_demo(engine, DemoSpec(today=TODAY))
    cases = summary.hard_cases
    [bare] = set(cases["no_vehicle"]) & set(cases["no_driver"])  # a trip without deployment
    orphans: list[tuple[type[Base], dict[str, Any]]] = [
        (Booking, {"trip_id": 10**8, "employee_name": "Ghost", "status": "CONFIRMED"}),
        (Deployment, {"trip_id": 10**8}),
        (Deployment, {"trip_id": bare, "vehicle_id": 10**8}),
        (Deployment, {"trip_id": bare, "driver_id": 10**8}),
        (DailyTrip, {"route_id": 10**8, "display_name": "x", "trip_date": TODAY,
                     "departure_time": time(8)}),
    ]  # fmt: skip
    for model, values in orphans:
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(insert(model).values(**values))
    async with engine.begin() as conn:  # the same trip with a real vehicle is fine
        await conn.execute(insert(Deployment).values(trip_id=bare, vehicle_id=1))
    for table in ("daily_trips", "deployments", "bookings"):
        ddl = str(CreateTable(Base.metadata.tables[table]).compile(dialect=engine.dialect))
        assert "FOREIGN KEY" in ddl, table


async def test_refuses_a_database_that_has_trips(engine: AsyncEngine) -> None:
    await build_demo(engine, DemoSpec(today=TODAY))
    with pytest.raises(ConfigError, match="--reset"):
        await build_demo(engine, DemoSpec(today=TODAY, seed=8))
    async with engine.connect() as conn:
        trips = (await conn.execute(select(func.count()).select_from(DailyTrip))).scalar_one()
    assert trips == 300


async def test_refuses_too_few_trips(engine: AsyncEngine) -> None:
    with pytest.raises(ConfigError, match="at least"):
        await build_demo(engine, DemoSpec(today=TODAY, trips=10))


def test_spec_is_frozen() -> None:
    spec = DemoSpec(today=TODAY)
    assert (spec.trips, spec.seed) == (None, 7)
    with pytest.raises(ValueError):
        spec.seed = 8  # type: ignore[misc]


# --- the command line -------------------------------------------------------------------------


def test_cli_db_init_demo(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["db", "init", "--db", db_url, "--demo", "--seed", "7", "--today", "2026-11-28"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "schema version" in out
    assert "trips: 300 from 2026-11-27" in out and "remove vehicle with bookings #" in out
    # Again on the same database: refused with a hint, not a traceback.
    assert main(argv) == 2
    assert "--reset" in capsys.readouterr().err
    assert main([*argv, "--reset"]) == 0


def test_cli_demo_rebuilds_the_sqlite_database(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(2):  # the second run replaces the first one's data
        assert main(["demo", "--db", sqlite_url, "--today", "2026-11-28"]) == 0
        out = capsys.readouterr().out
        assert f"movi demo database: {sqlite_url}" in out and "trips: 300 from" in out
