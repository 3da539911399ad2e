"""Undo: restore the session's last successful write from its audit rows.

The audit row's ``before_state`` is what comes back. If the entity changed since (its state no
longer matches the row's ``after_state``), the undo is refused and says who changed it, so that
an undo never silently overwrites someone else's work. The undo writes audit rows of its own;
an undone write is not undone twice.
"""

from __future__ import annotations

from datetime import date, time
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from movi.actions.registry import AuditEntry, Job, NotApplicable, Outcome, check, executor
from movi.policy.decision import Context
from movi.reply import Consequence
from movi.store.queries import trip_view
from movi.store.schema import (
    AuditLog,
    Booking,
    BookingStatus,
    DailyTrip,
    Deployment,
    Direction,
    Driver,
    DriverStatus,
    Path,
    PathStop,
    Route,
    RouteStatus,
    Stop,
    TripStatus,
    Vehicle,
    VehicleStatus,
)

UNDO = "undo_last_action"

#: The fields whose current value must still equal the audit row's ``after_state``.
WATCHED = {
    "trip": ("version", "confirmed_bookings"),
    "vehicle": ("status", "notes"),
    "driver": ("status",),
    "stop": ("name",),
    "route": ("status",),
    "path": ("stops",),
}


async def last_batch(session: AsyncSession, session_id: str) -> list[AuditLog]:
    """The audit rows of the session's last write that has not been undone yet."""
    rows = list(
        await session.scalars(
            select(AuditLog)
            .where(AuditLog.session_id == session_id, AuditLog.success.is_(True))
            .order_by(AuditLog.log_id.desc())
            .limit(500)
        )
    )
    undone = {
        int(i) for r in rows if r.action == UNDO for i in (r.after_state or {}).get("undid", [])
    }
    undone |= {r.log_id for r in rows if r.action == UNDO}
    for row in rows:
        if row.log_id in undone or row.action == UNDO:
            continue
        return [
            r
            for r in rows
            if r.action == row.action and r.created_at == row.created_at and r.log_id not in undone
        ]
    return []


async def current(session: AsyncSession, entity: str, entity_id: int) -> dict[str, Any] | None:
    """The entity's state now, in the shape the executors write to the audit log."""
    if entity == "trip":
        view = await trip_view(session, entity_id)
        return view.state() if view else None
    if entity == "vehicle":
        v = await session.get(Vehicle, entity_id)
        return {"status": str(v.status), "notes": v.notes} if v else None
    if entity == "driver":
        d = await session.get(Driver, entity_id)
        return {"status": str(d.status)} if d else None
    if entity == "stop":
        s = await session.get(Stop, entity_id)
        return {"name": s.name} if s else None
    if entity == "route":
        r = await session.get(Route, entity_id)
        return {"status": str(r.status)} if r else None
    if entity == "path":
        p = await session.get(Path, entity_id)
        if p is None:
            return None
        stops = await session.scalars(
            select(PathStop.stop_id)
            .where(PathStop.path_id == entity_id)
            .order_by(PathStop.position)
        )
        return {"stops": list(stops)}
    return None


def _matches(now: dict[str, Any] | None, after: dict[str, Any] | None, entity: str) -> bool:
    if after is None:  # the write deleted it: it must still be gone
        return now is None
    if now is None:
        return False
    return all(now.get(k) == after.get(k) for k in WATCHED.get(entity, ()) if k in after)


async def _undo_check(session: AsyncSession, job: Job, ctx: Context) -> list[Consequence]:
    rows = await last_batch(session, ctx.session_id)
    if not rows:
        message = "There is nothing to undo in this session."
        return [Consequence(code="nothing_to_do", message=message, data={"message": message})]
    found: list[Consequence] = []
    for row in rows:
        if row.entity_id is None:
            continue
        now = await current(session, row.entity_type, row.entity_id)
        if _matches(now, row.after_state, row.entity_type):
            continue
        later = await session.scalar(
            select(AuditLog)
            .where(
                AuditLog.entity_type == row.entity_type,
                AuditLog.entity_id == row.entity_id,
                AuditLog.log_id > row.log_id,
            )
            .order_by(AuditLog.log_id.desc())
            .limit(1)
        )
        by = f"{later.user_id} ({later.action})" if later is not None else "a change outside movi"
        at = str(later.created_at) if later is not None else ""
        found.append(
            Consequence(
                code="undo_changed",
                message=f"{row.entity_type} {row.entity_id} changed since: {by}.",
                data={"entity": f"{row.entity_type} {row.entity_id}", "by": by, "at": at},
            )
        )
    return found


@executor(UNDO, write=True)
async def undo_last_action(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    rows = await last_batch(session, ctx.session_id)
    if not rows:
        raise NotApplicable("There is nothing to undo in this session.")
    audit = []
    for row in sorted(rows, key=lambda r: r.log_id, reverse=True):
        before_now = await current(session, row.entity_type, row.entity_id or 0)
        await _restore(session, row)
        after_now = await current(session, row.entity_type, row.entity_id or 0)
        audit.append(
            AuditEntry(
                row.entity_type,
                row.entity_id,
                before_now,
                {**(after_now or {}), "undid": [row.log_id]},
            )
        )
    first = rows[0]
    return Outcome(
        f"Undid {first.action.replace('_', ' ')} ({len(rows)} change"
        f"{'s' if len(rows) > 1 else ''}).",
        data={"undid": [r.log_id for r in rows], "action": first.action},
        audit=audit,
    )


check(UNDO)(_undo_check)  # registered once the executor exists


async def _restore(session: AsyncSession, row: AuditLog) -> None:
    before, after = row.before_state, row.after_state or {}
    entity, entity_id = row.entity_type, row.entity_id
    if entity_id is None:
        return
    if entity == "trip":
        await _restore_trip(session, entity_id, before, after)
    elif entity == "vehicle":
        vehicle = await session.get(Vehicle, entity_id)
        if vehicle is not None and before is None:
            await session.delete(vehicle)
        elif vehicle is not None and before is not None:
            vehicle.status = VehicleStatus(before["status"])
            vehicle.notes = before.get("notes")
    elif entity == "driver":
        driver = await session.get(Driver, entity_id)
        if driver is not None and before is None:
            await session.delete(driver)
        elif driver is not None and before is not None:
            driver.status = DriverStatus(before["status"])
    elif entity == "stop":
        stop = await session.get(Stop, entity_id)
        if before is None and stop is not None:
            await session.delete(stop)
        elif before is not None and stop is None:
            session.add(
                Stop(
                    stop_id=entity_id,
                    name=before["name"],
                    latitude=before.get("latitude"),
                    longitude=before.get("longitude"),
                )
            )
        elif before is not None and stop is not None:
            stop.name = before["name"]
    elif entity == "route":
        route = await session.get(Route, entity_id)
        if before is None and route is not None:
            await session.delete(route)
        elif before is not None and route is None:  # the write deleted it: put it back
            session.add(
                Route(
                    route_id=entity_id,
                    path_id=before["path_id"],
                    route_display_name=before["route_display_name"],
                    shift_time=time.fromisoformat(before["shift_time"]),
                    direction=Direction(before["direction"]),
                    status=RouteStatus(before["status"]),
                )
            )
        elif before is not None and route is not None:
            route.status = RouteStatus(before["status"])
        await _restore_route_trips(session, after)
    elif entity == "path":
        path = await session.get(Path, entity_id)
        if before is None and path is not None:
            await session.delete(path)
        elif before is not None:
            if path is None:
                session.add(Path(path_id=entity_id, path_name=before["path_name"]))
                await session.flush()
            await session.execute(delete(PathStop).where(PathStop.path_id == entity_id))
            for position, stop_id in enumerate(before.get("stops", []), start=1):
                session.add(PathStop(path_id=entity_id, position=position, stop_id=stop_id))
    await session.flush()


async def _restore_route_trips(session: AsyncSession, after: dict[str, Any]) -> None:
    """Trips and bookings a route's deactivation or deletion cancelled come back."""
    for trip_id, status in (after.get("cancelled_trips") or {}).items():
        await session.execute(
            update(DailyTrip)
            .where(DailyTrip.trip_id == int(trip_id), DailyTrip.live_status == TripStatus.CANCELLED)
            .values(live_status=TripStatus(status), version=DailyTrip.version + 1)
        )
    bookings = after.get("cancelled_booking_ids") or []
    if bookings:
        await session.execute(
            update(Booking)
            .where(Booking.booking_id.in_(bookings))
            .values(status=BookingStatus.CONFIRMED)
        )


async def _restore_trip(
    session: AsyncSession, trip_id: int, before: dict[str, Any] | None, after: dict[str, Any]
) -> None:
    view = await trip_view(session, trip_id, lock=True)
    if view is None:
        return
    if before is None:  # the write created it (a copy): remove it again
        await session.delete(view.trip)
        return
    trip = view.trip
    trip.live_status = TripStatus(before["live_status"])
    trip.delay_minutes = int(before.get("delay_minutes") or 0)
    trip.departure_time = time.fromisoformat(before["departure_time"])
    trip.display_name = before.get("display_name", trip.display_name)
    trip.trip_date = date.fromisoformat(before["trip_date"])
    if "vehicle_id" in before or "driver_id" in before:
        deployment = view.deployment
        if deployment is None and (before.get("vehicle_id") or before.get("driver_id")):
            deployment = Deployment(trip_id=trip_id)
            session.add(deployment)
        if deployment is not None:
            deployment.vehicle_id = before.get("vehicle_id")
            deployment.driver_id = before.get("driver_id")
    cancelled = after.get("cancelled_booking_ids") or []
    if cancelled:
        await session.execute(
            update(Booking)
            .where(Booking.booking_id.in_(cancelled))
            .values(status=BookingStatus.CONFIRMED)
        )
    added = after.get("added_booking_ids") or []
    if added:
        await session.execute(
            update(Booking)
            .where(Booking.booking_id.in_(added))
            .values(status=BookingStatus.CANCELLED)
        )
