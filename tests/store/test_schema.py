"""The schema of SPEC section 1 on a real SQLite file and a real PostgreSQL server.

The expected tables and columns are written here from the SPEC text, not read from the models,
so a renamed column fails this test. Every refused write is checked through ``mapped_errors``:
callers only ever see movi's exception tree.
"""

from __future__ import annotations

import asyncio
import warnings
from datetime import date, time
from typing import Any

import pytest
from sqlalchemy import delete, func, insert, inspect, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SAWarning
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import Executable

from movi.errors import (
    ConfigError,
    IntegrityViolation,
    SchemaVersionError,
    StorageError,
)
from movi.store import (
    SCHEMA_VERSION,
    create_schema,
    database_url,
    drop_pg_schema,
    make_engine,
    mapped_errors,
    registration_key,
    schema_version,
)
from movi.store.database import SQLITE_BUSY_TIMEOUT_MS
from movi.store.schema import (
    Booking,
    DailyTrip,
    Deployment,
    Direction,
    Driver,
    Notification,
    Path,
    PathStop,
    Route,
    SchemaInfo,
    Stop,
    Vehicle,
    VehicleType,
)

# --- SPEC section 1, transcribed ---------------------------------------------------------------

SPEC_COLUMNS: dict[str, set[str]] = {
    "stops": {"stop_id", "name", "latitude", "longitude"},
    "paths": {"path_id", "path_name"},
    "path_stops": {"path_id", "stop_id", "position"},
    "routes": {
        "route_id",
        "path_id",
        "route_display_name",
        "shift_time",
        "direction",
        "status",
    },
    "vehicles": {
        "vehicle_id",
        "registration_number",
        "vehicle_type",
        "capacity",
        "color",
        "status",
        "notes",
    },
    "drivers": {"driver_id", "name", "phone_number", "status"},
    "daily_trips": {
        "trip_id",
        "route_id",
        "display_name",
        "trip_date",
        "departure_time",
        "live_status",
        "delay_minutes",
        "version",
        "updated_at",
    },
    "deployments": {"deployment_id", "trip_id", "vehicle_id", "driver_id", "version", "updated_at"},
    "bookings": {"booking_id", "trip_id", "employee_name", "office", "status", "created_at"},
    # "pending confirmations and clarifications per session": the SPEC names only the session.
    "agent_sessions": {"session_id"},
    "audit_log": {
        "log_id",
        "created_at",
        "user_id",
        "session_id",
        "action",
        "entity_type",
        "entity_id",
        "before_state",
        "after_state",
        "success",
        "source",
    },
    # "every handled message with its action, confidence and source (rules|llm)"
    "interactions": {"action", "confidence", "source"},
    "notifications": {"notification_id", "kind", "trip_id", "message", "created_at"},
}
#: Tables whose SPEC column list is complete: the database must have exactly these columns.
SPEC_EXACT = {"audit_log"}

SPEC_UNIQUE: dict[str, set[str]] = {
    "stops": {"name"},
    "paths": {"path_name"},
    "routes": {"route_display_name"},
    "vehicles": {"registration_number"},
    "drivers": {"phone_number"},
    "deployments": {"trip_id"},
}

SPEC_FOREIGN_KEYS: dict[tuple[str, str], str] = {
    ("path_stops", "path_id"): "paths",
    ("path_stops", "stop_id"): "stops",
    ("routes", "path_id"): "paths",
    ("daily_trips", "route_id"): "routes",
    ("deployments", "trip_id"): "daily_trips",
    ("deployments", "vehicle_id"): "vehicles",
    ("deployments", "driver_id"): "drivers",
    ("bookings", "trip_id"): "daily_trips",
    ("notifications", "trip_id"): "daily_trips",
}

# A row that is valid except for the enum value ``:v``; ``:u`` keeps each row unique.
# Raw SQL, so that nothing in SQLAlchemy checks the value: only the database can refuse it.
_RAW_ROWS = {
    "vehicles": "INSERT INTO vehicles (registration_number, vehicle_type, capacity, status) "
    "VALUES (:u, 'BUS', 40, :v)",
    "vehicle_type": "INSERT INTO vehicles (registration_number, vehicle_type, capacity, status) "
    "VALUES (:u, :v, 40, 'AVAILABLE')",
    "drivers": "INSERT INTO drivers (name, phone_number, status) VALUES ('Ravi', :u, :v)",
    "routes": "INSERT INTO routes (path_id, route_display_name, shift_time, direction, status) "
    "VALUES (:path_id, :u, '08:00:00', 'LOGIN', :v)",
    "direction": "INSERT INTO routes (path_id, route_display_name, shift_time, direction, status) "
    "VALUES (:path_id, :u, '08:00:00', :v, 'ACTIVE')",
    "daily_trips": "INSERT INTO daily_trips (route_id, display_name, trip_date, departure_time, "
    "live_status, delay_minutes, version, updated_at) "
    "VALUES (:route_id, :u, '2026-11-28', '08:00:00', :v, 0, 1, CURRENT_TIMESTAMP)",
    "bookings": "INSERT INTO bookings (trip_id, employee_name, office, status, created_at) "
    "VALUES (:trip_id, :u, 'HQ', :v, CURRENT_TIMESTAMP)",
}

SPEC_ENUMS: list[tuple[str, Any, str, list[str]]] = [
    ("vehicles", Vehicle, "status", ["AVAILABLE", "BLOCKED", "MAINTENANCE"]),
    ("vehicle_type", Vehicle, "vehicle_type", ["BUS", "CAB"]),
    ("drivers", Driver, "status", ["AVAILABLE", "UNAVAILABLE", "ON_LEAVE"]),
    ("routes", Route, "status", ["ACTIVE", "DEACTIVATED"]),
    ("direction", Route, "direction", ["LOGIN", "LOGOUT"]),
    (
        "daily_trips",
        DailyTrip,
        "live_status",
        ["SCHEDULED", "IN_PROGRESS", "COMPLETED", "CANCELLED", "DELAYED"],
    ),
    ("bookings", Booking, "status", ["CONFIRMED", "CANCELLED"]),
]


# --- helpers -----------------------------------------------------------------------------------


async def _insert(engine: AsyncEngine, entity: Any, pk: Any, **values: Any) -> int:
    async with engine.begin() as conn:
        result = await conn.execute(insert(entity).values(**values).returning(pk))
        return int(result.scalar_one())


async def _refused(engine: AsyncEngine, statement: Executable, **params: Any) -> str:
    """Run ``statement`` in its own transaction; it must be refused. Returns the reason."""
    with pytest.raises(IntegrityViolation) as info, mapped_errors():
        async with engine.begin() as conn:
            await conn.execute(statement, params)
    return info.value.message.lower()


async def _count(engine: AsyncEngine, entity: Any, *where: Any) -> int:
    async with engine.connect() as conn:
        return int(
            (
                await conn.execute(select(func.count()).select_from(entity).where(*where))
            ).scalar_one()
        )


class Net:
    """A small network: two stops on a path, a route on it, one trip, a vehicle and a driver."""

    stop_a: int
    stop_b: int
    path_id: int
    route_id: int
    trip_id: int
    vehicle_id: int
    driver_id: int


async def _network(engine: AsyncEngine) -> Net:
    net = Net()
    net.stop_a = await _insert(engine, Stop, Stop.stop_id, name="Peenya")
    net.stop_b = await _insert(engine, Stop, Stop.stop_id, name="Temple")
    net.path_id = await _insert(engine, Path, Path.path_id, path_name="Path-1")
    async with engine.begin() as conn:
        await conn.execute(
            insert(PathStop),
            [
                {"path_id": net.path_id, "stop_id": net.stop_a, "position": 1},
                {"path_id": net.path_id, "stop_id": net.stop_b, "position": 2},
            ],
        )
    net.route_id = await _insert(
        engine,
        Route,
        Route.route_id,
        path_id=net.path_id,
        route_display_name="Path-1 - 08:00",
        shift_time=time(8, 0),
        direction=Direction.LOGIN,
    )
    net.trip_id = await _insert(
        engine,
        DailyTrip,
        DailyTrip.trip_id,
        route_id=net.route_id,
        display_name="Path-1 - 08:00",
        trip_date=date(2026, 11, 28),
        departure_time=time(8, 0),
    )
    net.vehicle_id = await _insert(
        engine,
        Vehicle,
        Vehicle.vehicle_id,
        registration_number="KA-01-AB-1234",
        vehicle_type=VehicleType.BUS,
        capacity=40,
    )
    net.driver_id = await _insert(
        engine, Driver, Driver.driver_id, name="Ramesh", phone_number="+91 98450 00001"
    )
    return net


# --- tables and columns ------------------------------------------------------------------------


def _describe(sync: Connection) -> dict[str, Any]:
    with warnings.catch_warnings():
        # SQLite cannot reflect expression indexes (lower(name)); they are not what we look for.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", SAWarning)
        return _describe_inner(sync)


def _describe_inner(sync: Connection) -> dict[str, Any]:
    insp = inspect(sync)
    tables = set(insp.get_table_names())
    columns = {t: {c["name"]: c for c in insp.get_columns(t)} for t in tables}
    unique: dict[str, set[tuple[str, ...]]] = {t: set() for t in tables}
    for t in tables:
        for uc in insp.get_unique_constraints(t):
            unique[t].add(tuple(uc["column_names"]))
        for ix in insp.get_indexes(t):
            names = ix["column_names"]
            if ix.get("unique") and all(isinstance(c, str) for c in names):
                unique[t].add(tuple(str(c) for c in names))
    fks = {
        (t, col): fk["referred_table"]
        for t in tables
        for fk in insp.get_foreign_keys(t)
        for col in fk["constrained_columns"]
    }
    return {"tables": tables, "columns": columns, "unique": unique, "fks": fks}


async def test_every_spec_table_has_every_spec_column(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        found = await conn.run_sync(_describe)
    missing_tables = set(SPEC_COLUMNS) - found["tables"]
    assert not missing_tables, f"tables missing: {sorted(missing_tables)}"
    for table, expected in SPEC_COLUMNS.items():
        actual = set(found["columns"][table])
        assert expected <= actual, f"{table} lacks {sorted(expected - actual)}"
        if table in SPEC_EXACT:
            assert actual == expected, f"{table} has extra columns {sorted(actual - expected)}"


async def test_spec_unique_columns_and_foreign_keys(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        found = await conn.run_sync(_describe)
    for table, columns in SPEC_UNIQUE.items():
        for column in columns:
            assert (column,) in found["unique"][table], f"{table}.{column} is not UNIQUE"
    for (table, column), referred in SPEC_FOREIGN_KEYS.items():
        assert found["fks"].get((table, column)) == referred, f"{table}.{column} → {referred}"
    deployments = found["columns"]["deployments"]
    assert deployments["vehicle_id"]["nullable"] and deployments["driver_id"]["nullable"]
    assert not deployments["trip_id"]["nullable"]


# --- schema version ----------------------------------------------------------------------------


async def test_create_schema_is_idempotent_and_records_the_version(engine: AsyncEngine) -> None:
    assert await schema_version(engine) == SCHEMA_VERSION
    assert await create_schema(engine) == SCHEMA_VERSION
    assert await create_schema(engine) == SCHEMA_VERSION
    assert await schema_version(engine) == SCHEMA_VERSION
    assert await _count(engine, SchemaInfo) == 1


async def test_drop_pg_schema_removes_the_urls_schema_and_leaves_others_alone(
    pg_url: str, sqlite_url: str
) -> None:
    engine = make_engine(pg_url)
    try:
        await create_schema(engine)
        schema = pg_url.rsplit("schema=", 1)[1]
        exists = text("SELECT count(*) FROM pg_namespace WHERE nspname = :name")
        async with engine.connect() as conn:
            assert (await conn.execute(exists, {"name": schema})).scalar_one() == 1
        await drop_pg_schema(pg_url)
        async with engine.connect() as conn:
            assert (await conn.execute(exists, {"name": schema})).scalar_one() == 0
            assert (await conn.execute(exists, {"name": "public"})).scalar_one() == 1
    finally:
        await engine.dispose()
    await drop_pg_schema(pg_url)  # again: nothing left to drop, no error
    await drop_pg_schema(sqlite_url)  # no schema to drop on SQLite: nothing happens


async def test_fresh_database_has_no_version_until_created(db_url: str) -> None:
    first, second = make_engine(db_url), make_engine(db_url)
    try:
        assert await schema_version(first) is None
        # Two processes starting at once on an empty database both succeed.
        versions = await asyncio.gather(create_schema(first), create_schema(second))
        assert versions == [SCHEMA_VERSION, SCHEMA_VERSION]
        assert await schema_version(second) == SCHEMA_VERSION
        assert await _count(first, SchemaInfo) == 1
    finally:
        await first.dispose()
        await second.dispose()


async def test_a_database_of_another_version_is_refused(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(update(SchemaInfo).values(version=SCHEMA_VERSION + 1))
    with pytest.raises(SchemaVersionError) as info:
        await create_schema(engine)
    assert isinstance(info.value, StorageError)
    assert str(SCHEMA_VERSION + 1) in info.value.message
    # Refusing is all it does: the recorded version is left as found.
    assert await schema_version(engine) == SCHEMA_VERSION + 1


# --- constraints -------------------------------------------------------------------------------


async def test_duplicate_registration_is_refused(engine: AsyncEngine) -> None:
    await _network(engine)
    reason = await _refused(
        engine,
        insert(Vehicle).values(
            registration_number="KA-01-AB-1234", vehicle_type=VehicleType.CAB, capacity=4
        ),
    )
    assert "registration" in reason
    assert await _count(engine, Vehicle) == 1


@pytest.mark.parametrize("other_style", ["KA01AB1234", "ka 01 ab 1234", "Ka.01.Ab.1234"])
async def test_the_same_plate_in_another_style_is_refused(
    engine: AsyncEngine, other_style: str
) -> None:
    await _network(engine)
    async with engine.connect() as conn:
        key = (await conn.execute(select(Vehicle.registration_key))).scalar_one()
    assert key == "KA01AB1234" == registration_key("KA-01-AB-1234") == registration_key(other_style)
    reason = await _refused(
        engine,
        insert(Vehicle).values(
            registration_number=other_style, vehicle_type=VehicleType.BUS, capacity=40
        ),
    )
    assert "registration_key" in reason  # the normalised key refused it, not the raw text
    # A different plate is still welcome.
    await _insert(
        engine,
        Vehicle,
        Vehicle.vehicle_id,
        registration_number="KA01AB1235",
        vehicle_type=VehicleType.BUS,
        capacity=40,
    )


@pytest.mark.parametrize(("case", "entity", "column", "values"), SPEC_ENUMS)
async def test_enum_columns_accept_spec_values_and_refuse_others(
    engine: AsyncEngine, case: str, entity: Any, column: str, values: list[str]
) -> None:
    net = await _network(engine)
    ids = {"path_id": net.path_id, "route_id": net.route_id, "trip_id": net.trip_id}
    raw = text(_RAW_ROWS[case])
    params = {k: v for k, v in ids.items() if f":{k}" in _RAW_ROWS[case]}
    for i, value in enumerate(values):
        async with engine.begin() as conn:
            await conn.execute(raw, {"u": f"ok-{case}-{i}", "v": value, **params})

    before = await _count(engine, entity)
    # The real guarantee: the database itself refuses the value. A lower-case spelling fits the
    # column, so the CHECK constraint must be what refuses it; "BROKEN" may also be too long for
    # the column (PostgreSQL then refuses it by length), still an IntegrityViolation.
    reason = await _refused(engine, raw, u=f"bad-{case}-0", v=values[0].lower(), **params)
    assert "check" in reason
    for i, bad in enumerate(["BROKEN", "", values[0][:-1]], start=1):
        await _refused(engine, raw, u=f"bad-{case}-{i}", v=bad, **params)
    # Through SQLAlchemy the Enum type refuses first; still one of movi's errors.
    core = insert(entity).values(**{column: "BROKEN"})
    with pytest.raises(IntegrityViolation), mapped_errors():
        async with engine.begin() as conn:
            await conn.execute(core)
    assert await _count(engine, entity) == before


async def test_orphan_deployment_is_refused(engine: AsyncEngine) -> None:
    net = await _network(engine)
    reason = await _refused(engine, insert(Deployment).values(trip_id=net.trip_id + 999))
    assert "foreign key" in reason
    reason = await _refused(
        engine, insert(Deployment).values(trip_id=net.trip_id, vehicle_id=net.vehicle_id + 999)
    )
    assert "foreign key" in reason
    assert await _count(engine, Deployment) == 0


async def test_a_second_deployment_for_one_trip_is_refused(engine: AsyncEngine) -> None:
    net = await _network(engine)
    await _insert(
        engine,
        Deployment,
        Deployment.deployment_id,
        trip_id=net.trip_id,
        vehicle_id=net.vehicle_id,
    )
    reason = await _refused(
        engine, insert(Deployment).values(trip_id=net.trip_id, driver_id=net.driver_id)
    )
    assert "trip_id" in reason
    assert await _count(engine, Deployment) == 1


async def test_a_stop_used_by_a_path_cannot_be_deleted(engine: AsyncEngine) -> None:
    net = await _network(engine)
    await _refused(engine, delete(Stop).where(Stop.stop_id == net.stop_a))
    assert await _count(engine, Stop) == 2
    unused = await _insert(engine, Stop, Stop.stop_id, name="Hebbal")
    async with engine.begin() as conn:
        await conn.execute(delete(Stop).where(Stop.stop_id == unused))
    assert await _count(engine, Stop) == 2


async def test_deleting_a_path_cascades_its_stops_but_not_while_a_route_uses_it(
    engine: AsyncEngine,
) -> None:
    net = await _network(engine)
    path_id = await _insert(engine, Path, Path.path_id, path_name="Path-2")
    async with engine.begin() as conn:
        await conn.execute(
            insert(PathStop),
            [
                {"path_id": path_id, "stop_id": net.stop_b, "position": 1},
                {"path_id": path_id, "stop_id": net.stop_a, "position": 2},
            ],
        )
    route_id = await _insert(
        engine,
        Route,
        Route.route_id,
        path_id=path_id,
        route_display_name="Path-2 - 19:30",
        shift_time=time(19, 30),
        direction=Direction.LOGOUT,
    )
    await _refused(engine, delete(Path).where(Path.path_id == path_id))
    assert await _count(engine, PathStop, PathStop.path_id == path_id) == 2

    async with engine.begin() as conn:
        await conn.execute(delete(Route).where(Route.route_id == route_id))
        await conn.execute(delete(Path).where(Path.path_id == path_id))
    assert await _count(engine, PathStop, PathStop.path_id == path_id) == 0
    assert await _count(engine, PathStop, PathStop.path_id == net.path_id) == 2
    assert await _count(engine, Stop) == 2  # the stops themselves stay


async def test_a_route_with_trips_cannot_be_deleted(engine: AsyncEngine) -> None:
    net = await _network(engine)
    await _refused(engine, delete(Route).where(Route.route_id == net.route_id))
    assert await _count(engine, DailyTrip) == 1


async def test_deleting_a_trip_cascades_its_deployment_bookings_and_notifications(
    engine: AsyncEngine,
) -> None:
    net = await _network(engine)
    other = await _insert(
        engine,
        DailyTrip,
        DailyTrip.trip_id,
        route_id=net.route_id,
        display_name="Path-1 - 08:00",
        trip_date=date(2026, 11, 29),
        departure_time=time(8, 0),
    )
    async with engine.begin() as conn:
        for trip in (net.trip_id, other):
            await conn.execute(insert(Deployment).values(trip_id=trip, vehicle_id=net.vehicle_id))
            await conn.execute(
                insert(Booking),
                [{"trip_id": trip, "employee_name": f"E{i}", "office": "HQ"} for i in range(3)],
            )
            await conn.execute(
                insert(Notification).values(trip_id=trip, kind="overbooked", message="!")
            )
        await conn.execute(delete(DailyTrip).where(DailyTrip.trip_id == net.trip_id))
    for entity in (Deployment, Booking, Notification):
        assert await _count(engine, entity, entity.trip_id == net.trip_id) == 0
    assert await _count(engine, Deployment, Deployment.trip_id == other) == 1
    assert await _count(engine, Booking, Booking.trip_id == other) == 3
    assert await _count(engine, Vehicle) == 1  # the vehicle is not the trip's to delete


@pytest.mark.parametrize("capacity", [0, -5])
async def test_capacity_must_be_positive(engine: AsyncEngine, capacity: int) -> None:
    reason = await _refused(
        engine,
        insert(Vehicle).values(
            registration_number="KA01Z1", vehicle_type=VehicleType.CAB, capacity=capacity
        ),
    )
    assert "capacity" in reason


async def test_duplicate_phone_is_refused(engine: AsyncEngine) -> None:
    await _network(engine)
    reason = await _refused(
        engine, insert(Driver).values(name="Suresh", phone_number="+91 98450 00001")
    )
    assert "phone_number" in reason
    assert await _count(engine, Driver) == 1


async def test_duplicate_route_display_name_is_refused(engine: AsyncEngine) -> None:
    net = await _network(engine)
    reason = await _refused(
        engine,
        insert(Route).values(
            path_id=net.path_id,
            route_display_name="Path-1 - 08:00",
            shift_time=time(9, 0),
            direction=Direction.LOGOUT,
        ),
    )
    assert "route_display_name" in reason
    assert await _count(engine, Route) == 1


# --- engine factory ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "mysql://user@localhost/movi",
        "mysql+aiomysql://user@localhost/movi",
        "sqlite:///x.db",
        "sqlite+pysqlite:///x.db",
        "postgresql://postgres@127.0.0.1/test",
        "postgresql+psycopg2://postgres@127.0.0.1/test",
    ],
)
def test_unsupported_urls_are_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError):
        make_engine(url)


@pytest.mark.parametrize(
    "schema", ["bad-name", "x;DROP TABLE stops", '"quoted"', "1starts_with_digit", "a" * 64]
)
def test_a_bad_schema_name_is_a_config_error(schema: str) -> None:
    with pytest.raises(ConfigError):
        make_engine(f"postgresql+asyncpg://postgres@127.0.0.1/test?schema={schema}")


def test_database_url_prefers_argument_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOVI_DB_URL", raising=False)
    assert database_url() == "sqlite+aiosqlite:///movi.db"
    monkeypatch.setenv("MOVI_DB_URL", "sqlite+aiosqlite:///other.db")
    assert database_url() == "sqlite+aiosqlite:///other.db"
    assert database_url("sqlite+aiosqlite:///arg.db") == "sqlite+aiosqlite:///arg.db"


async def test_unreachable_postgres_is_a_storage_error() -> None:
    engine = make_engine("postgresql+asyncpg://postgres@127.0.0.1:1/test?schema=nowhere")
    try:
        with pytest.raises(StorageError) as info:
            await create_schema(engine)
        assert type(info.value) is StorageError
        assert isinstance(info.value.__cause__, OSError)
        with pytest.raises(StorageError):
            await schema_version(engine)
    finally:
        await engine.dispose()


async def test_postgres_schema_parameter_isolates_the_tables(pg_url: str) -> None:
    engine = make_engine(pg_url)
    schema = pg_url.rsplit("schema=", 1)[1]
    try:
        await create_schema(engine)
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT current_schema()"))).scalar_one() == schema
            tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names(schema)))
            public = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names("public")))
        assert set(SPEC_COLUMNS) <= tables
        assert not (set(SPEC_COLUMNS) & public)
    finally:
        await engine.dispose()


async def test_sqlite_pragmas_are_in_force_on_a_fresh_connection(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        for _ in range(2):  # two brand-new connections, one after the other
            async with engine.connect() as conn:
                mode = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar_one()
                assert str(mode).lower() == "wal"
                assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar_one() == 1
                busy = (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar_one()
                assert busy == SQLITE_BUSY_TIMEOUT_MS == 30_000
            await engine.dispose()
    finally:
        await engine.dispose()
