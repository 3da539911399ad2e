"""The static network (manageRoute): stops, paths and routes, and what depends on each.

Deleting or changing something others depend on is risky: the check lists the dependants (paths
using a stop, routes using a path, live trips and bookings on a route) and the policy decides
whether it may go ahead after a confirmation or is refused until they are dealt with.
"""

from __future__ import annotations

import itertools
from datetime import time
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from movi.actions.registry import AuditEntry, Job, NotApplicable, Outcome, check, executor
from movi.actions.trips import path_stops
from movi.policy.decision import Context
from movi.reply import Consequence
from movi.resolve import resolve_stop
from movi.store.schema import (
    Booking,
    BookingStatus,
    DailyTrip,
    Direction,
    Path,
    PathStop,
    Route,
    RouteStatus,
    Stop,
    TripStatus,
)

NEAR_DUPLICATE = 90.0
"""A new stop name this similar to an existing one (rapidfuzz ratio, case-insensitive) is asked
about instead of created: "peenya" when "Peenya" exists."""


def _time(value: Any) -> time | None:
    try:
        return time.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


async def _get(session: AsyncSession, model: type[Any], job: Job, key: str) -> Any:
    row = await session.get(model, job.ids[key])
    if row is None:
        raise NotApplicable(f"that {key} no longer exists")
    return row


def route_row(route: Route) -> dict[str, Any]:
    return {
        "route_id": route.route_id,
        "route_display_name": route.route_display_name,
        "path_id": route.path_id,
        "shift_time": route.shift_time.strftime("%H:%M"),
        "direction": str(route.direction),
        "status": str(route.status),
    }


def _nothing(message: str) -> Consequence:
    """A creation that cannot happen, found before the operator is asked to confirm it."""
    return Consequence(code="nothing_to_do", message=message, data={"message": message})


# --- reads -----------------------------------------------------------------------------------


@executor("list_all_stops")
async def list_all_stops(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    stops = list(await session.scalars(select(Stop).order_by(Stop.name)))
    names = ", ".join(s.name for s in stops[:15])
    more = f" and {len(stops) - 15} more" if len(stops) > 15 else ""
    return Outcome(
        f"{len(stops)} stops: {names}{more}.",
        data=[
            {"stop_id": s.stop_id, "name": s.name, "latitude": s.latitude, "longitude": s.longitude}
            for s in stops
        ],
    )


@executor("list_all_paths")
async def list_all_paths(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    paths = list(await session.scalars(select(Path).order_by(Path.path_name)))
    names = ", ".join(p.path_name for p in paths[:15])
    more = f" and {len(paths) - 15} more" if len(paths) > 15 else ""
    return Outcome(
        f"{len(paths)} paths: {names}{more}.",
        data=[{"path_id": p.path_id, "path_name": p.path_name} for p in paths],
    )


@executor("list_all_routes")
async def list_all_routes(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    routes = list(await session.scalars(select(Route).order_by(Route.route_display_name)))
    active = sum(1 for r in routes if r.status == RouteStatus.ACTIVE)
    names = ", ".join(r.route_display_name for r in routes[:10])
    more = f" and {len(routes) - 10} more" if len(routes) > 10 else ""
    return Outcome(
        f"{len(routes)} routes ({active} active): {names}{more}.",
        data=[route_row(r) for r in routes[:200]],
    )


@executor("list_stops_for_path", needs=("path",))
async def list_stops_for_path(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    path = await _get(session, Path, job, "path")
    stops = await path_stops(session, path.path_id)
    names = " → ".join(s["name"] for s in stops) or "no stops yet"
    return Outcome(f"{path.path_name}: {names}.", data=stops)


@executor("list_routes_using_path", needs=("path",))
async def list_routes_using_path(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    path = await _get(session, Path, job, "path")
    routes = list(
        await session.scalars(
            select(Route).where(Route.path_id == path.path_id).order_by(Route.shift_time)
        )
    )
    if not routes:
        return Outcome(f"No route uses {path.path_name}.", data=[])
    names = ", ".join(f"{r.route_display_name} ({r.direction}, {r.status})" for r in routes)
    return Outcome(
        f"{len(routes)} routes use {path.path_name}: {names}.", data=[route_row(r) for r in routes]
    )


@executor("validate_route", needs=("route",))
async def validate_route(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    route = await _get(session, Route, job, "route")
    problems = []
    path = await session.get(Path, route.path_id)
    stops = await path_stops(session, route.path_id) if path else []
    if path is None:
        problems.append("its path does not exist")
    if len(stops) < 2:
        problems.append(f"its path has {len(stops)} stop(s); a route needs at least 2")
    repeated = [a["name"] for a, b in itertools.pairwise(stops) if a["stop_id"] == b["stop_id"]]
    if repeated:
        problems.append("a stop repeats consecutively: " + ", ".join(repeated))
    if route.shift_time is None:
        problems.append("it has no shift time")
    if route.status != RouteStatus.ACTIVE:
        problems.append("it is deactivated")
    if problems:
        return Outcome(
            f"{route.route_display_name} has problems: " + "; ".join(problems) + ".",
            data={"route": route_row(route), "valid": False, "problems": problems},
        )
    return Outcome(
        f"{route.route_display_name} is valid: {len(stops)} stops, shift "
        f"{route.shift_time.strftime('%H:%M')}, {route.direction}, active.",
        data={"route": route_row(route), "valid": True, "problems": []},
    )


@executor("create_new_route_help")
async def create_new_route_help(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    steps = [
        "1. Stops: make sure every pickup point exists ('create stop Hebbal Flyover at 13.04, "
        "77.59').",
        "2. Path: an ordered list of stops ('create path Path-9 with Peenya, Temple and BTM').",
        "3. Route: a path at a shift time and direction ('create a route on Path-9 at 8am for "
        "pickup').",
        "4. Trips: daily runs of the route, managed on busDashboard ('create a new trip').",
    ]
    return Outcome("A route is built in four steps:\n" + "\n".join(steps), data=steps)


# --- stops -----------------------------------------------------------------------------------


@executor("create_stop", write=True)
async def create_stop(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    name = str(job.slots.get("stop") or "").strip()
    if not name:
        raise NotApplicable("What is the new stop called? e.g. 'create stop Hebbal Flyover'.")
    existing = await session.scalar(select(Stop).where(func.lower(Stop.name) == name.lower()))
    if existing is not None:
        raise NotApplicable(f"Stop {existing.name} already exists.")
    stop = Stop(name=name, latitude=job.slots.get("latitude"), longitude=job.slots.get("longitude"))
    session.add(stop)
    await session.flush()
    after = {
        "stop_id": stop.stop_id,
        "name": name,
        "latitude": stop.latitude,
        "longitude": stop.longitude,
    }
    at = f" at {stop.latitude}, {stop.longitude}" if stop.latitude is not None else ""
    return Outcome(
        f"Created stop {name}{at}.",
        data=after,
        audit=[AuditEntry("stop", stop.stop_id, None, after)],
    )


@check("create_stop")
async def _create_stop_check(session: AsyncSession, job: Job, ctx: Context) -> list[Consequence]:
    name = str(job.slots.get("stop") or "").strip()
    if not name:
        return []
    names = list(await session.scalars(select(Stop.name)))
    same = next((n for n in names if n.lower() == name.lower()), None)
    if same is not None:
        return [_nothing(f"Stop {same} already exists; nothing was created.")]
    near = process.extractOne(
        name, names, scorer=fuzz.ratio, processor=str.lower, score_cutoff=NEAR_DUPLICATE
    )
    if near is None or near[0].lower() == name.lower():
        return []
    return [
        Consequence(
            code="near_duplicate",
            message=f"A stop named {near[0]} already exists ({near[1]:.0f}% alike).",
            data={"stop": name, "existing": near[0]},
        )
    ]


@executor("rename_stop", needs=("stop",), write=True)
async def rename_stop(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    stop = await _get(session, Stop, job, "stop")
    new_name = str(job.slots.get("new_name") or "").strip()
    if not new_name:
        raise NotApplicable(f"What should {stop.name} be called?")
    if new_name == stop.name:
        raise NotApplicable(f"The stop is already called {stop.name}; nothing was changed.")
    clash = await session.scalar(
        select(Stop).where(func.lower(Stop.name) == new_name.lower(), Stop.stop_id != stop.stop_id)
    )
    if clash is not None:
        raise NotApplicable(f"Another stop is already called {clash.name}.")
    before = {"stop_id": stop.stop_id, "name": stop.name}
    stop.name = new_name
    await session.flush()
    after = {"stop_id": stop.stop_id, "name": new_name}
    return Outcome(
        f"Renamed stop {before['name']} to {new_name}.",
        data=after,
        audit=[AuditEntry("stop", stop.stop_id, before, after)],
    )


@executor("delete_stop", needs=("stop",), write=True)
async def delete_stop(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    stop = await _get(session, Stop, job, "stop")
    before = {
        "stop_id": stop.stop_id,
        "name": stop.name,
        "latitude": stop.latitude,
        "longitude": stop.longitude,
    }
    await session.delete(stop)
    await session.flush()
    return Outcome(
        f"Deleted stop {before['name']}.",
        data=before,
        audit=[AuditEntry("stop", before["stop_id"], before, None)],
    )


@check("delete_stop")
async def _delete_stop_check(session: AsyncSession, job: Job, ctx: Context) -> list[Consequence]:
    stop = await _get(session, Stop, job, "stop")
    paths = list(
        await session.scalars(
            select(Path.path_name)
            .join(PathStop, PathStop.path_id == Path.path_id)
            .where(PathStop.stop_id == stop.stop_id)
            .distinct()
            .order_by(Path.path_name)
        )
    )
    if not paths:
        return []
    return [
        Consequence(
            code="stop_in_use",
            message=f"{stop.name} is on {len(paths)} paths.",
            data={"stop": stop.name, "paths": paths},
        )
    ]


# --- paths -----------------------------------------------------------------------------------


async def _stop_ids(session: AsyncSession, names: list[str]) -> list[int]:
    """Each named stop, matched exactly or by a clear fuzzy match; never invented."""
    ids = []
    for name in names:
        found = await resolve_stop(session, name)
        if found.status != "found" or found.match is None:
            hint = ", ".join(o.label for o in found.options[:3])
            suffix = f" Did you mean {hint}?" if hint else " Create it first."
            raise NotApplicable(f"I don't know the stop '{name}'.{suffix}")
        ids.append(found.match.id)
    return ids


async def _set_stops(session: AsyncSession, path_id: int, stop_ids: list[int]) -> None:
    await session.execute(delete(PathStop).where(PathStop.path_id == path_id))
    for position, stop_id in enumerate(stop_ids, start=1):
        session.add(PathStop(path_id=path_id, position=position, stop_id=stop_id))
    await session.flush()


@executor("create_path", write=True)
async def create_path(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    name = str(job.slots.get("path") or "").strip()
    stops = [str(s) for s in job.slots.get("stops") or []]
    if not name or len(stops) < 2:
        raise NotApplicable(
            "A path needs a name and at least two stops in order, e.g. "
            "'create path Path-9 with Peenya, Temple and BTM'."
        )
    if await session.scalar(select(Path).where(func.lower(Path.path_name) == name.lower())):
        raise NotApplicable(f"A path called {name} already exists.")
    stop_ids = await _stop_ids(session, stops)
    path = Path(path_name=name)
    session.add(path)
    await session.flush()
    await _set_stops(session, path.path_id, stop_ids)
    after = {"path_id": path.path_id, "path_name": name, "stop_ids": stop_ids}
    return Outcome(
        f"Created path {name}: {' → '.join(stops)}.",
        data=after,
        audit=[AuditEntry("path", path.path_id, None, after)],
    )


@check("create_path")
async def _create_path_check(session: AsyncSession, job: Job, ctx: Context) -> list[Consequence]:
    name = str(job.slots.get("path") or "").strip()
    stops = [str(s) for s in job.slots.get("stops") or []]
    if not name or len(stops) < 2:
        return []
    if await session.scalar(select(Path).where(func.lower(Path.path_name) == name.lower())):
        return [_nothing(f"A path called {name} already exists; nothing was created.")]
    try:
        await _stop_ids(session, stops)
    except NotApplicable as exc:
        return [_nothing(f"{exc} No path was created.")]
    return []


@executor("update_path_stops", needs=("path",), write=True)
async def update_path_stops(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    path = await _get(session, Path, job, "path")
    stops = [str(s) for s in job.slots.get("stops") or []]
    if len(stops) < 2:
        raise NotApplicable("Give the new stops in order, at least two.")
    stop_ids = await _stop_ids(session, stops)
    before = {
        "path_id": path.path_id,
        "stops": [s["stop_id"] for s in await path_stops(session, path.path_id)],
    }
    await _set_stops(session, path.path_id, stop_ids)
    after = {"path_id": path.path_id, "stops": stop_ids}
    return Outcome(
        f"{path.path_name} now runs {' → '.join(stops)}.",
        data=after,
        audit=[AuditEntry("path", path.path_id, before, after)],
    )


async def _routes_of_path(session: AsyncSession, path_id: int) -> list[Route]:
    return list(await session.scalars(select(Route).where(Route.path_id == path_id)))


async def _path_in_use(session: AsyncSession, job: Job, ctx: Context) -> list[Consequence]:
    """The routes that run on the path: changing or deleting it touches each of them."""
    path = await _get(session, Path, job, "path")
    routes = await _routes_of_path(session, path.path_id)
    if not routes:
        return []
    return [
        Consequence(
            code="path_in_use",
            message=f"{len(routes)} routes use {path.path_name}.",
            data={"path": path.path_name, "routes": [r.route_display_name for r in routes]},
        )
    ]


check("update_path_stops")(_path_in_use)


@executor("delete_path", needs=("path",), write=True)
async def delete_path(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    path = await _get(session, Path, job, "path")
    before = {
        "path_id": path.path_id,
        "path_name": path.path_name,
        "stops": [s["stop_id"] for s in await path_stops(session, path.path_id)],
    }
    await session.delete(path)
    await session.flush()
    return Outcome(
        f"Deleted path {before['path_name']}.",
        data=before,
        audit=[AuditEntry("path", before["path_id"], before, None)],
    )


check("delete_path")(_path_in_use)


# --- routes ----------------------------------------------------------------------------------


@executor("create_route", needs=("path",), write=True)
async def create_route(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    path = await _get(session, Path, job, "path")
    shift = _time(job.slots.get("shift_time"))
    direction = str(job.slots.get("direction") or "").upper()
    if shift is None or direction not in Direction.__members__:
        raise NotApplicable(
            "A route needs a shift time and a direction (pickup/LOGIN or "
            "drop/LOGOUT), e.g. 'create a route on Path-9 at 8am for pickup'."
        )
    name = str(job.slots.get("route") or f"{path.path_name} - {shift.strftime('%H:%M')}")
    if await session.scalar(
        select(Route).where(func.lower(Route.route_display_name) == name.lower())
    ):
        raise NotApplicable(f"Route {name} already exists.")
    route = Route(
        path_id=path.path_id,
        route_display_name=name,
        shift_time=shift,
        direction=Direction(direction),
        status=RouteStatus.ACTIVE,
    )
    session.add(route)
    await session.flush()
    after = route_row(route)
    return Outcome(
        f"Created route {name} ({direction}).",
        data=after,
        audit=[AuditEntry("route", route.route_id, None, after)],
    )


@check("create_route")
async def _create_route_check(session: AsyncSession, job: Job, ctx: Context) -> list[Consequence]:
    path = await _get(session, Path, job, "path")
    shift = _time(job.slots.get("shift_time"))
    if shift is None:
        return []
    name = str(job.slots.get("route") or f"{path.path_name} - {shift.strftime('%H:%M')}")
    if await session.scalar(
        select(Route).where(func.lower(Route.route_display_name) == name.lower())
    ):
        return [_nothing(f"Route {name} already exists; nothing was created.")]
    return []


@executor("duplicate_route", needs=("route",), write=True)
async def duplicate_route(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    route = await _get(session, Route, job, "route")
    shift = _time(job.slots.get("shift_time")) or route.shift_time
    path = await session.get(Path, route.path_id)
    base = path.path_name if path else route.route_display_name.rsplit(" - ", 1)[0]
    name = f"{base} - {shift.strftime('%H:%M')}"
    if await session.scalar(
        select(Route).where(func.lower(Route.route_display_name) == name.lower())
    ):
        raise NotApplicable(f"Route {name} already exists; give another shift time.")
    copy = Route(
        path_id=route.path_id,
        route_display_name=name,
        shift_time=shift,
        direction=route.direction,
        status=RouteStatus.ACTIVE,
    )
    session.add(copy)
    await session.flush()
    after = {**route_row(copy), "copied_from": route.route_id}
    return Outcome(
        f"Created {name} as a copy of {route.route_display_name}.",
        data=after,
        audit=[AuditEntry("route", copy.route_id, None, after)],
    )


async def _live_trips(session: AsyncSession, route: Route, ctx: Context) -> list[DailyTrip]:
    return list(
        await session.scalars(
            select(DailyTrip).where(
                DailyTrip.route_id == route.route_id,
                DailyTrip.trip_date >= ctx.today,
                DailyTrip.live_status.in_(
                    [TripStatus.SCHEDULED, TripStatus.DELAYED, TripStatus.IN_PROGRESS]
                ),
            )
        )
    )


async def _route_consequences(
    session: AsyncSession, route: Route, ctx: Context
) -> list[Consequence]:
    trips = await _live_trips(session, route, ctx)
    running = [t for t in trips if t.live_status == TripStatus.IN_PROGRESS]
    if running:
        labels = [f"{t.display_name} (trip {t.trip_id})" for t in running]
        return [
            Consequence(
                code="route_trip_running",
                message="a trip is under way",
                data={"route": route.route_display_name, "running": labels},
            )
        ]
    if not trips:
        return []
    bookings = int(
        await session.scalar(
            select(func.count())
            .select_from(Booking)
            .where(
                Booking.trip_id.in_([t.trip_id for t in trips]),
                Booking.status == BookingStatus.CONFIRMED,
            )
        )
        or 0
    )
    return [
        Consequence(
            code="route_has_trips",
            message=f"{len(trips)} upcoming trips with {bookings} bookings",
            data={"route": route.route_display_name, "trips": len(trips), "bookings": bookings},
        )
    ]


async def _cancel_route_trips(session: AsyncSession, route: Route, ctx: Context) -> dict[str, Any]:
    """Cancel the route's upcoming trips and their bookings; what was cancelled, for undo."""
    trips = await _live_trips(session, route, ctx)
    ids = [t.trip_id for t in trips]
    statuses = {str(t.trip_id): str(t.live_status) for t in trips}
    booking_ids: list[int] = []
    if ids:
        booking_ids = list(
            await session.scalars(
                select(Booking.booking_id).where(
                    Booking.trip_id.in_(ids), Booking.status == BookingStatus.CONFIRMED
                )
            )
        )
        await session.execute(
            update(DailyTrip)
            .where(DailyTrip.trip_id.in_(ids))
            .values(live_status=TripStatus.CANCELLED, version=DailyTrip.version + 1)
        )
        if booking_ids:
            await session.execute(
                update(Booking)
                .where(Booking.booking_id.in_(booking_ids))
                .values(status=BookingStatus.CANCELLED)
            )
    return {
        "trips_cancelled": len(ids),
        "cancelled_trips": statuses,
        "cancelled_booking_ids": booking_ids,
    }


@executor("update_route_status", needs=("route",), write=True)
async def update_route_status(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    route = await _get(session, Route, job, "route")
    raw = str(job.slots.get("status") or "").upper()
    if raw not in RouteStatus.__members__:
        raise NotApplicable("Should the route be ACTIVE or DEACTIVATED?")
    status = RouteStatus(raw)
    if route.status == status:
        raise NotApplicable(f"{route.route_display_name} is already {status}.")
    before = route_row(route)
    undone: dict[str, Any] = (
        await _cancel_route_trips(session, route, ctx)
        if status == RouteStatus.DEACTIVATED
        else {"trips_cancelled": 0}
    )
    cancelled = undone["trips_cancelled"]
    route.status = status
    await session.flush()
    after = {**route_row(route), **undone}
    note = f"; {cancelled} upcoming trips cancelled" if cancelled else ""
    return Outcome(
        f"{route.route_display_name} is now {status}{note}.",
        data=after,
        audit=[AuditEntry("route", route.route_id, before, after)],
    )


@check("update_route_status")
async def _route_status_check(session: AsyncSession, job: Job, ctx: Context) -> list[Consequence]:
    if str(job.slots.get("status") or "").upper() != "DEACTIVATED":
        return []
    return await _route_consequences(session, await _get(session, Route, job, "route"), ctx)


@executor("delete_route", needs=("route",), write=True)
async def delete_route(session: AsyncSession, job: Job, ctx: Context) -> Outcome:
    route = await _get(session, Route, job, "route")
    before = route_row(route)
    undone = await _cancel_route_trips(session, route, ctx)
    cancelled = undone["trips_cancelled"]
    has_trips = await session.scalar(
        select(func.count()).select_from(DailyTrip).where(DailyTrip.route_id == route.route_id)
    )
    if has_trips:
        # Past trips keep their route for the record: the route is retired, not erased.
        route.status = RouteStatus.DEACTIVATED
        await session.flush()
        after = {**route_row(route), **undone, "kept_for_history": True}
        note = f", {cancelled} upcoming trips cancelled" if cancelled else ""
        return Outcome(
            f"Retired {route.route_display_name}: deactivated (its past trips keep "
            f"it for the record){note}.",
            data=after,
            audit=[AuditEntry("route", route.route_id, before, after)],
        )
    await session.delete(route)
    await session.flush()
    return Outcome(
        f"Deleted route {before['route_display_name']}.",
        data=before,
        audit=[AuditEntry("route", before["route_id"], before, None)],
    )


@check("delete_route")
async def _delete_route_check(session: AsyncSession, job: Job, ctx: Context) -> list[Consequence]:
    return await _route_consequences(session, await _get(session, Route, job, "route"), ctx)
