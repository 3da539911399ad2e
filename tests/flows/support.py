"""Helpers of the flow tests: the demo database, a way to talk to movi, and the tests' own view
of the rows (plain SQL on an engine of their own) to check what a reply claims.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Executable, Select, func, select
from sqlalchemy import table as sql_table
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.engine.support import (  # one demo, built one way, for every suite
    BUS,
    ROUTES,
    TODAY,
    USER,
    Demo,
    build,
    build_once,
    mentions,
)

from movi.engine import Movi
from movi.reply import Reply
from movi.store import make_engine
from movi.store.schema import (
    AuditLog,
    Booking,
    BookingStatus,
    DailyTrip,
    Path,
    PathStop,
    Route,
    Stop,
)

__all__ = [
    "BUS",
    "COUNTED",
    "MORNING",
    "ROUTES",
    "TODAY",
    "USER",
    "Db",
    "Demo",
    "build",
    "build_once",
    "mentions",
    "open_movi",
    "say",
]

MORNING = datetime(2026, 11, 28, 7, 0, tzinfo=UTC)
"""The demo's notional "now" (``movi.store.demo.NOTIONAL_NOW`` on ``TODAY``)."""

COUNTED = (
    "stops",
    "paths",
    "path_stops",
    "routes",
    "daily_trips",
    "deployments",
    "bookings",
    "vehicles",
    "drivers",
    "audit_log",
)
"""The tables whose row counts tell whether anything was written."""


async def open_movi(url: str, *, clock: datetime | None = None) -> Movi:
    """movi as an admin with ``TODAY`` fixed (and, given ``clock``, a fixed "now" too)."""
    if clock is None:
        return await Movi.open(url, today=TODAY, role="admin")
    return Movi(make_engine(url), today=TODAY, role="admin", clock_now=lambda: clock)


async def say(
    movi: Movi,
    text: str,
    *,
    page: str | None = BUS,
    session: str = "flow",
    user: str = USER,
    selected: int | None = None,
) -> Reply:
    """One operator message, as the console sends it."""
    return await movi.handle(
        text, page=page, session_id=session, user_id=user, selected_trip_id=selected
    )


class Db:
    """The tests' own reads and direct writes, on an engine of their own."""

    def __init__(self, url: str) -> None:
        self.engine: AsyncEngine = make_engine(url)

    async def close(self) -> None:
        await self.engine.dispose()

    async def scalar(self, statement: Select[Any]) -> Any:
        async with self.engine.connect() as conn:
            return await conn.scalar(statement)

    async def all(self, statement: Select[Any]) -> list[Any]:
        async with self.engine.connect() as conn:
            return list(await conn.execute(statement))

    async def write(self, *statements: Executable) -> None:
        """Change rows behind movi's back, in one transaction."""
        async with self.engine.begin() as conn:
            for statement in statements:
                await conn.execute(statement)

    async def counts(self) -> dict[str, int]:
        found = {}
        async with self.engine.connect() as conn:
            for name in COUNTED:
                found[name] = int(
                    await conn.scalar(select(func.count()).select_from(sql_table(name)))
                )
        return found

    # --- the network ----------------------------------------------------------------------

    async def stop_id(self, name: str) -> int | None:
        found = await self.scalar(select(Stop.stop_id).where(Stop.name == name))
        return None if found is None else int(found)

    async def path_id(self, name: str) -> int | None:
        found = await self.scalar(select(Path.path_id).where(Path.path_name == name))
        return None if found is None else int(found)

    async def route(self, name: str) -> Any:
        rows = await self.all(select(Route.__table__).where(Route.route_display_name == name))
        return rows[0] if rows else None

    async def path_stop_names(self, path: str) -> list[str]:
        rows = await self.all(
            select(Stop.name)
            .join(PathStop, PathStop.stop_id == Stop.stop_id)
            .join(Path, Path.path_id == PathStop.path_id)
            .where(Path.path_name == path)
            .order_by(PathStop.position)
        )
        return [r[0] for r in rows]

    async def paths_using_stop(self, stop: str) -> list[str]:
        rows = await self.all(
            select(Path.path_name)
            .join(PathStop, PathStop.path_id == Path.path_id)
            .join(Stop, Stop.stop_id == PathStop.stop_id)
            .where(Stop.name == stop)
            .distinct()
        )
        return sorted(r[0] for r in rows)

    async def routes_of_path(self, path: str) -> list[str]:
        rows = await self.all(
            select(Route.route_display_name)
            .join(Path, Path.path_id == Route.path_id)
            .where(Path.path_name == path)
        )
        return sorted(r[0] for r in rows)

    async def upcoming_trips(self, route: str) -> dict[int, str]:
        """Trip id → status of the route's trips from today on that are not over."""
        rows = await self.all(
            select(DailyTrip.trip_id, DailyTrip.live_status)
            .join(Route, Route.route_id == DailyTrip.route_id)
            .where(
                Route.route_display_name == route,
                DailyTrip.trip_date >= TODAY,
                DailyTrip.live_status.in_(["SCHEDULED", "DELAYED", "IN_PROGRESS"]),
            )
        )
        return {int(t): str(s) for t, s in rows}

    # --- trips and bookings ---------------------------------------------------------------

    async def trip(self, trip_id: int) -> Any:
        return (await self.all(select(DailyTrip.__table__).where(DailyTrip.trip_id == trip_id)))[0]

    async def confirmed(self, *trip_ids: int) -> int:
        return int(
            await self.scalar(
                select(func.count())
                .select_from(Booking)
                .where(Booking.trip_id.in_(trip_ids), Booking.status == BookingStatus.CONFIRMED)
            )
        )

    # --- the audit trail ------------------------------------------------------------------

    async def last_log_id(self) -> int:
        return int(await self.scalar(select(func.coalesce(func.max(AuditLog.log_id), 0))))

    async def audit_since(self, log_id: int) -> list[Any]:
        return await self.all(
            select(AuditLog.__table__).where(AuditLog.log_id > log_id).order_by(AuditLog.log_id)
        )

    async def one_audit(
        self, since: int, *, action: str, entity_type: str, entity_id: int | None = None
    ) -> Any:
        """Exactly one audit row was written since ``since``, and it says what was done."""
        rows = await self.audit_since(since)
        assert len(rows) == 1, f"expected one audit row, found {len(rows)}: {rows}"
        row = rows[0]
        assert (row.action, row.entity_type) == (action, entity_type)
        if entity_id is not None:
            assert row.entity_id == entity_id
        assert row.success is True
        assert row.user_id == USER
        return row
