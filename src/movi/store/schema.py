"""The operations database: every table of SPEC section 1, with the engine's own tables.

Table and column names are part of the contract. Enumerations are stored as text with a CHECK
constraint (portable across SQLite and PostgreSQL, readable in a SQL shell). Foreign keys say on
purpose what a delete does: a stop used by a path, a path used by a route and a route with trips
cannot vanish (RESTRICT); what belongs to one row alone goes with it (CASCADE).
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SCHEMA_VERSION = 2
"""Bumped when a table or column changes; ``create_schema`` refuses other versions' databases.
Version 2 added ``daily_trips.name_key``."""

#: Separators an operator may type inside a registration ("KA-01-AB-1234", "KA 01 AB 1234").
REGISTRATION_SEPARATORS = ("-", " ", ".", "/", "_")


def registration_key(registration: str) -> str:
    """The form registrations are compared in: upper case, separators removed.

    >>> registration_key("ka-01 ab.1234")
    'KA01AB1234'
    """
    key = registration.upper()
    for sep in REGISTRATION_SEPARATORS:
        key = key.replace(sep, "")
    return key


def _registration_key_sql(column: str) -> str:
    expr = f"upper({column})"
    for sep in REGISTRATION_SEPARATORS:
        expr = f"replace({expr}, '{sep}', '')"
    return expr


TRIP_NAME_SEPARATORS = (" ", "-", "_", ".", "/", ",", "'", ":", "(", ")")
"""Characters dropped from a trip's name in ``daily_trips.name_key``: the same as
``movi.resolve.names.NAME_SEPARATORS`` (a test holds them equal; the store cannot import the
resolver, which imports the store)."""

_TIME_SUFFIX_LENGTH = len(" - HH:MM")


def _trip_name_sql(column: str) -> str:
    """SQL for the name part of a trip's display name.

    The name part is the display name without a final " - HH:MM" (hours 00-23, minutes 00-59),
    the form of every trip movi writes, as :func:`movi.resolve.names.split_display_name` reads
    it (before stripping). A name written by hand in another form (" - 8:00") is read whole.
    """
    n = f"length({column})"

    def chars(first: str, length: int) -> str:
        return f"substr({column}, {first}, {length})"

    def one_of(values: list[str]) -> str:
        return "(" + ", ".join(f"'{v}'" for v in values) + ")"

    head = f"substr({column}, 1, {n} - {_TIME_SUFFIX_LENGTH})"
    suffix = " AND ".join(
        (
            f"{chars(f'{n} - {_TIME_SUFFIX_LENGTH - 1}', 3)} = ' - '",
            f"{chars(f'{n} - 4', 2)} IN {one_of([f'{h:02d}' for h in range(24)])}",
            f"{chars(f'{n} - 2', 1)} = ':'",
            f"{chars(f'{n} - 1', 1)} IN {one_of([str(d) for d in range(6)])}",
            f"{chars(n, 1)} IN {one_of([str(d) for d in range(10)])}",
            f"trim({head}) <> ''",
        )
    )
    # Nested, so that ``head`` (a negative length on PostgreSQL) is only read for long names.
    return (
        f"CASE WHEN {n} > {_TIME_SUFFIX_LENGTH} "
        f"THEN CASE WHEN {suffix} THEN {head} ELSE {column} END ELSE {column} END"
    )


def trip_name_key_sql(column: str) -> str:
    """``name_key(split_display_name(column)[0])`` in SQL that SQLite and PostgreSQL share.

    A name written by hand in another form than " - HH:MM" keeps its time in the key, and
    ``lower`` folds only ASCII on SQLite: such names miss the indexed exact lookup, and the
    resolver finds them by its slower comparison of names in Python instead.
    """
    expr = f"lower({_trip_name_sql(column)})"
    for sep in TRIP_NAME_SEPARATORS:
        quoted = sep.replace("'", "''")
        expr = f"replace({expr}, '{quoted}', '')"
    return expr


def utcnow() -> datetime:
    return datetime.now(UTC)


class Direction(enum.StrEnum):
    LOGIN = "LOGIN"
    LOGOUT = "LOGOUT"


class RouteStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    DEACTIVATED = "DEACTIVATED"


class VehicleType(enum.StrEnum):
    BUS = "BUS"
    CAB = "CAB"


class VehicleStatus(enum.StrEnum):
    AVAILABLE = "AVAILABLE"
    BLOCKED = "BLOCKED"
    MAINTENANCE = "MAINTENANCE"


class DriverStatus(enum.StrEnum):
    AVAILABLE = "AVAILABLE"
    UNAVAILABLE = "UNAVAILABLE"
    ON_LEAVE = "ON_LEAVE"


class TripStatus(enum.StrEnum):
    SCHEDULED = "SCHEDULED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    DELAYED = "DELAYED"


class BookingStatus(enum.StrEnum):
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    """A text column limited to ``cls``'s values by a named CHECK constraint."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in cls),
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


# --- static network (manageRoute) -------------------------------------------------------------


class Stop(Base):
    __tablename__ = "stops"

    stop_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (
        CheckConstraint("latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name="latitude"),
        CheckConstraint("longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name="longitude"),
        Index("ix_stops_name_lower", func.lower(name)),
    )


class Path(Base):
    __tablename__ = "paths"

    path_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path_name: Mapped[str] = mapped_column(String(120), unique=True)

    __table_args__ = (Index("ix_paths_path_name_lower", func.lower(path_name)),)


class PathStop(Base):
    """One stop at one position of a path; a path's stops are ordered by ``position``."""

    __tablename__ = "path_stops"

    path_id: Mapped[int] = mapped_column(
        ForeignKey("paths.path_id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    stop_id: Mapped[int] = mapped_column(
        ForeignKey("stops.stop_id", ondelete="RESTRICT"), index=True
    )

    __table_args__ = (CheckConstraint("position >= 1", name="position"),)


class Route(Base):
    __tablename__ = "routes"

    route_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path_id: Mapped[int] = mapped_column(
        ForeignKey("paths.path_id", ondelete="RESTRICT"), index=True
    )
    route_display_name: Mapped[str] = mapped_column(String(160), unique=True)
    shift_time: Mapped[time] = mapped_column(Time)
    direction: Mapped[Direction] = mapped_column(_enum(Direction, "direction"))
    status: Mapped[RouteStatus] = mapped_column(
        _enum(RouteStatus, "status"), default=RouteStatus.ACTIVE
    )

    __table_args__ = (Index("ix_routes_display_name_lower", func.lower(route_display_name)),)


# --- daily operations (busDashboard) ----------------------------------------------------------


class Vehicle(Base):
    __tablename__ = "vehicles"

    vehicle_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registration_number: Mapped[str] = mapped_column(String(32), unique=True)
    registration_key: Mapped[str] = mapped_column(
        String(32), Computed(_registration_key_sql("registration_number"), persisted=True)
    )
    vehicle_type: Mapped[VehicleType] = mapped_column(_enum(VehicleType, "vehicle_type"))
    capacity: Mapped[int] = mapped_column(Integer)
    color: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[VehicleStatus] = mapped_column(
        _enum(VehicleStatus, "status"), default=VehicleStatus.AVAILABLE
    )
    notes: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity"),
        # "KA01AB1234" and "KA-01-AB-1234" are one vehicle: the normalised key is unique too.
        Index("ix_vehicles_registration_key", "registration_key", unique=True),
    )


class Driver(Base):
    __tablename__ = "drivers"

    driver_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    phone_number: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[DriverStatus] = mapped_column(
        _enum(DriverStatus, "status"), default=DriverStatus.AVAILABLE
    )

    __table_args__ = (Index("ix_drivers_name_lower", func.lower(name)),)


class DailyTrip(Base):
    """One run of a route on one day. ``version`` makes every ORM update a compare-and-set.

    ``name_key`` is the name part of ``display_name`` ("Path-2" of "Path-2 - 08:00") as names
    are compared exactly: lower case, separators dropped. The database computes it, so every
    writer keeps it right (the ORM, Core updates, the demo's ``COPY``, hand-written SQL).
    """

    __tablename__ = "daily_trips"

    trip_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    route_id: Mapped[int] = mapped_column(
        ForeignKey("routes.route_id", ondelete="RESTRICT"), index=True
    )
    display_name: Mapped[str] = mapped_column(String(160))
    name_key: Mapped[str] = mapped_column(
        String(160), Computed(trip_name_key_sql("display_name"), persisted=True)
    )
    trip_date: Mapped[date] = mapped_column(Date)
    departure_time: Mapped[time] = mapped_column(Time)
    live_status: Mapped[TripStatus] = mapped_column(
        _enum(TripStatus, "live_status"), default=TripStatus.SCHEDULED
    )
    delay_minutes: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy reads it once)
    __table_args__ = (
        CheckConstraint("delay_minutes >= 0", name="delay_minutes"),
        # The resolver always narrows by day first, then by name or time within the day: one
        # name is a handful of rows even when a day has tens of thousands of trips.
        Index("ix_daily_trips_date_name_key", trip_date, name_key, departure_time),
        Index("ix_daily_trips_date_time", trip_date, departure_time),
    )


class Deployment(Base):
    """Which vehicle and driver run a trip; at most one row per trip."""

    __tablename__ = "deployments"

    deployment_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trip_id: Mapped[int] = mapped_column(
        ForeignKey("daily_trips.trip_id", ondelete="CASCADE"), unique=True
    )
    vehicle_id: Mapped[int | None] = mapped_column(
        ForeignKey("vehicles.vehicle_id", ondelete="RESTRICT"), index=True
    )
    driver_id: Mapped[int | None] = mapped_column(
        ForeignKey("drivers.driver_id", ondelete="RESTRICT"), index=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy reads it once)


class Booking(Base):
    __tablename__ = "bookings"

    booking_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trip_id: Mapped[int] = mapped_column(ForeignKey("daily_trips.trip_id", ondelete="CASCADE"))
    employee_name: Mapped[str] = mapped_column(String(120))
    office: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[BookingStatus] = mapped_column(
        _enum(BookingStatus, "status"), default=BookingStatus.CONFIRMED
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        Index("ix_bookings_trip_status", trip_id, status),
        Index("ix_bookings_employee_lower", func.lower(employee_name)),
    )


# --- the engine's own tables ------------------------------------------------------------------


class AgentSession(Base):
    """A conversation's state: what is pending (confirmation, clarification, wizard), last decision.

    Kept in the database so that any engine process, after any restart, answers "yes" to the
    right question. ``version`` makes claiming a pending action a compare-and-set, so that a
    confirmation executes at most once even when two processes receive it.
    """

    __tablename__ = "agent_sessions"

    session_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    user_id: Mapped[str | None] = mapped_column(String(128))
    pending_kind: Mapped[str | None] = mapped_column(String(32))
    pending: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    pending_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_decision: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy reads it once)
    __table_args__ = (
        CheckConstraint(
            "pending_kind IS NULL OR pending_kind IN ('confirmation', 'clarification', 'wizard')",
            name="pending_kind",
        ),
    )


class AuditLog(Base):
    __tablename__ = "audit_log"

    log_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    user_id: Mapped[str | None] = mapped_column(String(128))
    session_id: Mapped[str | None] = mapped_column(String(128), index=True)
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    before_state: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after_state: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    success: Mapped[bool] = mapped_column(default=True)
    source: Mapped[str] = mapped_column(String(8), default="rules")

    __table_args__ = (
        CheckConstraint("source IN ('rules', 'llm')", name="source"),
        Index("ix_audit_log_entity", entity_type, entity_id),
    )


class Interaction(Base):
    """Every handled message, kept for learning from the low-confidence ones."""

    __tablename__ = "interactions"

    interaction_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    session_id: Mapped[str | None] = mapped_column(String(128))
    user_id: Mapped[str | None] = mapped_column(String(128))
    page: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(64))
    confidence: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(8), default="rules")
    status: Mapped[str | None] = mapped_column(String(32))
    latency_ms: Mapped[float | None] = mapped_column(Float)
    llm_model: Mapped[str | None] = mapped_column(String(128))
    prompt_hash: Mapped[str | None] = mapped_column(String(64))
    tokens: Mapped[int | None] = mapped_column(Integer)
    cost_usd: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (
        CheckConstraint("source IN ('rules', 'llm')", name="source"),
        CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence"),
        Index("ix_interactions_confidence", confidence),
    )


class Notification(Base):
    __tablename__ = "notifications"

    notification_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    trip_id: Mapped[int | None] = mapped_column(
        ForeignKey("daily_trips.trip_id", ondelete="CASCADE")
    )
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    # Several watchers may run at once: a warning is written once per trip and kind.
    __table_args__ = (UniqueConstraint("trip_id", "kind"),)


class SchemaInfo(Base):
    """One row: the schema version this database was created with."""

    __tablename__ = "movi_schema"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


TABLES = Base.metadata.sorted_tables
