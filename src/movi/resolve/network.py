"""Stops, paths and routes of the static network, by name as the operator types it.

The network tables are small (thousands of rows at most), so each resolver reads the names it
needs and lets :func:`movi.resolve.names.pick_name` decide: "path 2", "Path2" and "path-2" are
all "Path-2". A route is "<path name> - HH:MM": its name part is matched like a trip's and a
time, when the operator gave one, must be the shift time exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from movi.resolve.names import (
    NamePick,
    Scored,
    Status,
    counted,
    pick_name,
    shown,
    split_display_name,
    split_time_suffix,
)
from movi.resolve.resolution import MAX_OPTIONS, Entity, Match, Resolution
from movi.store.schema import Path, Route, RouteStatus, Stop

T = TypeVar("T")


def _from_pick(
    entity: Entity,
    query: str,
    pick: NamePick[T],
    to_match: Callable[[T, float], Match],
    *,
    total: int,
    noun: str,
) -> Resolution:
    trace = (counted(total, noun), *pick.trace)
    options = tuple(to_match(s.item, s.score) for s in pick.ranked[:MAX_OPTIONS])
    if pick.status == "found":
        return Resolution(entity=entity, status="found", query=query, match=options[0], trace=trace)
    if pick.status == "ambiguous":
        return Resolution(
            entity=entity,
            status="ambiguous",
            query=query,
            options=options,
            trace=(
                *trace,
                f"{counted(len(pick.ranked), noun)} could be {query!r}{shown(len(pick.ranked))}",
            ),
        )
    return Resolution(
        entity=entity,
        status="missing",
        query=query,
        note=f"There is no {noun} called {query!r}." if query else f"Which {noun}?",
        options=options,
        trace=trace,
    )


def stop_match(stop: Stop, score: float) -> Match:
    return Match(
        id=stop.stop_id,
        label=f"{stop.name} (stop {stop.stop_id})",
        score=score,
        detail={
            "stop_id": stop.stop_id,
            "name": stop.name,
            "latitude": stop.latitude,
            "longitude": stop.longitude,
        },
    )


def path_match(path: Path, score: float) -> Match:
    return Match(
        id=path.path_id,
        label=f"{path.path_name} (path {path.path_id})",
        score=score,
        detail={"path_id": path.path_id, "path_name": path.path_name},
    )


def route_match(route: Route, score: float) -> Match:
    state = "" if route.status is RouteStatus.ACTIVE else f", {route.status.value}"
    return Match(
        id=route.route_id,
        label=(
            f"{route.route_display_name} (route {route.route_id}, {route.direction.value}{state})"
        ),
        score=score,
        detail={
            "route_id": route.route_id,
            "route_display_name": route.route_display_name,
            "path_id": route.path_id,
            "shift_time": f"{route.shift_time:%H:%M}",
            "direction": route.direction.value,
            "status": route.status.value,
        },
    )


async def resolve_stop(session: AsyncSession, name: str) -> Resolution:
    """The stop called ``name``."""
    query = " ".join(name.split())
    stops = list(await session.scalars(select(Stop)))
    pick = pick_name(query, [(s, s.name) for s in stops], noun="stop")
    return _from_pick("stop", query, pick, stop_match, total=len(stops), noun="stop")


async def resolve_path(session: AsyncSession, name: str) -> Resolution:
    """The path called ``name`` ("path 2" is "Path-2")."""
    query = " ".join(name.split())
    paths = list(await session.scalars(select(Path)))
    pick = pick_name(query, [(p, p.path_name) for p in paths], noun="path")
    return _from_pick("path", query, pick, path_match, total=len(paths), noun="path")


async def resolve_route(session: AsyncSession, name: str) -> Resolution:
    """The route called ``name``: "Path-1 - 08:00", "path1 8am", or a path name alone (then
    every route of that path fits, and several are ambiguous). A DEACTIVATED route is found
    with a note saying so."""
    query = " ".join(name.split())
    typed_name, at = split_time_suffix(query)
    routes = list(await session.scalars(select(Route)))
    by_name: dict[str, list[Route]] = {}
    for route in routes:
        by_name.setdefault(split_display_name(route.route_display_name)[0], []).append(route)
    pick = pick_name(typed_name, [(n, n) for n in sorted(by_name)], noun="route name")
    trace = [f"{counted(len(routes), 'route')}, {counted(len(by_name), 'route name')}", *pick.trace]
    if pick.status == "missing":
        suggested = [Scored(r, n.name, n.score) for n in pick.ranked for r in by_name[n.item]]
        return _routes(query, "missing", suggested, trace)
    fits = [Scored(r, n.name, n.score) for n in pick.ranked for r in by_name[n.item]]
    if at is not None:
        timed = [s for s in fits if s.item.shift_time == at]
        trace.append(f"{len(timed)} of {len(fits)} at {at:%H:%M}")
        if not timed:
            return _routes(query, "missing", fits, trace)
        fits = timed
    if len(fits) == 1:
        return _routes(query, "found", fits, trace)
    return _routes(query, "ambiguous", fits, trace)


def _routes(
    query: str,
    status: Status,
    scored: Sequence[Scored[Route]],
    trace: list[str],
) -> Resolution:
    ranked = sorted(
        scored,
        key=lambda s: (
            -s.score,
            s.item.status is not RouteStatus.ACTIVE,
            s.item.shift_time,
            s.item.route_id,
        ),
    )
    matches = tuple(route_match(s.item, s.score) for s in ranked[:MAX_OPTIONS])
    if status == "found":
        route = ranked[0].item
        note = None
        if route.status is not RouteStatus.ACTIVE:
            note = f"route {route.route_id} ({route.route_display_name}) is {route.status.value}"
            trace.append(note)
        return Resolution(
            entity="route", status="found", query=query, match=matches[0], note=note,
            trace=tuple(trace),
        )  # fmt: skip
    if status == "ambiguous":
        trace.append(f"{counted(len(ranked), 'route')} could be {query!r}{shown(len(ranked))}")
        return Resolution(
            entity="route", status="ambiguous", query=query, options=matches, trace=tuple(trace)
        )
    return Resolution(
        entity="route",
        status="missing",
        query=query,
        note=f"There is no route {query!r}." if query else "Which route?",
        options=matches,
        trace=tuple(trace),
    )
