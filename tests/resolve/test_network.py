"""Stops, paths and routes of the static network, by name as operators type it."""

from __future__ import annotations

from collections import Counter

from sqlalchemy.ext.asyncio import AsyncSession
from tests.resolve.support import Demo, all_rows, stem

from movi.resolve import (
    MAX_OPTIONS,
    resolve_path,
    resolve_route,
    resolve_stop,
)
from movi.store.schema import Path, Route, Stop

# --- stops and paths ----------------------------------------------------------------------------


async def test_stops_exact_typo_and_unknown(session: AsyncSession) -> None:
    stops = {s.name: s.stop_id for s in await all_rows(session, Stop)}
    name = max(stops, key=len)  # a long name, so one typo stays recognisable
    res = await resolve_stop(session, name.lower())
    assert res.status == "found" and res.match is not None and res.match.id == stops[name]
    typo = name[:3] + name[4:]
    res = await resolve_stop(session, typo)
    assert res.status == "found" and res.match is not None and res.match.id == stops[name]
    assert res.match.score < 100
    res = await resolve_stop(session, "Atlantis Junction")
    assert res.status == "missing"


async def test_path_spellings_are_one_path(session: AsyncSession) -> None:
    paths = {p.path_name: p.path_id for p in await all_rows(session, Path)}
    for typed in ("path 2", "Path2", "PATH-2", "path_2"):
        res = await resolve_path(session, typed)
        assert res.status == "found" and res.match is not None, typed
        assert res.match.id == paths["Path-2"]
        assert res.match.label == f"Path-2 (path {paths['Path-2']})"


async def test_path_numbers_are_never_fuzzy(session: AsyncSession) -> None:
    names = {p.path_name for p in await all_rows(session, Path)}
    assert "Path-17" not in names
    res = await resolve_path(session, "path 17")
    assert res.status == "missing"
    assert {"Path-1", "Path-7"} <= {o.detail["path_name"] for o in res.options}


async def test_a_word_shared_by_several_paths_is_ambiguous(session: AsyncSession) -> None:
    names = [p.path_name for p in await all_rows(session, Path)]
    word = Counter(w for n in names for w in n.split() if not w.startswith("Path")).most_common(1)
    shared, count = word[0]
    assert count >= 2
    res = await resolve_path(session, shared.lower())
    assert res.status == "ambiguous"
    assert all(shared in o.detail["path_name"] for o in res.options)


# --- routes -------------------------------------------------------------------------------------


async def test_routes_by_display_name_or_name_and_time(session: AsyncSession) -> None:
    routes = await all_rows(session, Route)
    route = next(r for r in routes if r.route_display_name == "Path-1 - 08:00")
    for typed in ("Path-1 - 08:00", "path1 8am", "path 1 08:00", "PATH-1 at 8:00 am"):
        res = await resolve_route(session, typed)
        assert res.status == "found" and res.match is not None, (typed, res.trace)
        assert res.match.id == route.route_id
        assert res.match.detail["shift_time"] == "08:00"


async def test_a_path_name_alone_is_ambiguous_among_its_routes(session: AsyncSession) -> None:
    routes = [r for r in await all_rows(session, Route) if stem(r.route_display_name) == "Path-1"]
    res = await resolve_route(session, "Path-1")
    assert res.status == "ambiguous"
    assert {o.id for o in res.options} == {r.route_id for r in routes[:MAX_OPTIONS]}


async def test_a_deactivated_route_is_found_with_a_note(demo: Demo, session: AsyncSession) -> None:
    route_id = demo.summary.hard_cases["deactivated_routes"][0]
    route = next(r for r in await all_rows(session, Route) if r.route_id == route_id)
    res = await resolve_route(session, route.route_display_name.lower())
    assert res.status == "found" and res.match is not None and res.match.id == route_id
    assert res.note == f"route {route_id} ({route.route_display_name}) is DEACTIVATED"
    assert "DEACTIVATED" in res.match.label


async def test_a_route_at_another_time_is_missing_with_its_times(session: AsyncSession) -> None:
    res = await resolve_route(session, "Path-1 - 10:15")
    assert res.status == "missing"
    assert res.options and all(o.label.startswith("Path-1 - ") for o in res.options)
