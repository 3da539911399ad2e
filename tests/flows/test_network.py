"""manageRoute end to end: every network action through ``handle(..., page="manageRoute")``.

Reads are checked against the rows; each write changes the row it names and leaves exactly one
audit row; a risky change lists what depends on it and is refused or confirmed as the policy says.
"""

from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy import insert, select
from tests.flows.support import ROUTES, Db, mentions, say

from movi.engine import Movi
from movi.store.schema import DailyTrip, Path, PathStop, Route, Stop

# --- reads -------------------------------------------------------------------------------------


async def test_list_all_stops(read_movi: Movi, shared_db: Db) -> None:
    reply = await say(read_movi, "list all stops", page=ROUTES, session="n-stops")
    assert (reply.status, reply.action) == ("completed", "list_all_stops")
    names = sorted(r[0] for r in await shared_db.all(select(Stop.name)))
    assert sorted(s["name"] for s in reply.data) == names
    mentions(reply, f"{len(names)} stops")


async def test_list_all_paths(read_movi: Movi, shared_db: Db) -> None:
    reply = await say(read_movi, "list all paths", page=ROUTES, session="n-paths")
    assert (reply.status, reply.action) == ("completed", "list_all_paths")
    names = sorted(r[0] for r in await shared_db.all(select(Path.path_name)))
    assert sorted(p["path_name"] for p in reply.data) == names
    mentions(reply, f"{len(names)} paths", "Path-2")


async def test_list_all_routes(read_movi: Movi, shared_db: Db) -> None:
    reply = await say(read_movi, "list all routes", page=ROUTES, session="n-routes")
    assert (reply.status, reply.action) == ("completed", "list_all_routes")
    rows = await shared_db.all(select(Route.route_display_name, Route.status))
    active = sum(1 for _, status in rows if str(status) == "ACTIVE")
    mentions(reply, f"{len(rows)} routes ({active} active)")
    assert {r["route_display_name"] for r in reply.data} <= {name for name, _ in rows}


async def test_stops_for_a_path_in_order(read_movi: Movi, shared_db: Db) -> None:
    reply = await say(read_movi, "show all stops on Path-2", page=ROUTES, session="n-pstops")
    assert (reply.status, reply.action) == ("completed", "list_stops_for_path")
    ordered = await shared_db.path_stop_names("Path-2")
    assert len(ordered) >= 2
    assert [s["name"] for s in reply.data] == ordered
    assert [s["position"] for s in reply.data] == list(range(1, len(ordered) + 1))
    mentions(reply, " → ".join(ordered))


async def test_routes_using_a_path(read_movi: Movi, shared_db: Db) -> None:
    reply = await say(read_movi, "list routes using Path-2", page=ROUTES, session="n-using")
    assert (reply.status, reply.action) == ("completed", "list_routes_using_path")
    expected = await shared_db.routes_of_path("Path-2")
    assert expected
    assert sorted(r["route_display_name"] for r in reply.data) == expected
    mentions(reply, *expected)


async def test_validate_a_valid_route(read_movi: Movi) -> None:
    reply = await say(read_movi, "validate route Path-2 - 08:00", page=ROUTES, session="n-val")
    assert (reply.status, reply.action) == ("completed", "validate_route")
    assert reply.data["valid"] is True and reply.data["problems"] == []
    mentions(reply, "Path-2 - 08:00 is valid", "08:00", "active")


async def test_create_new_route_help_explains_the_steps(read_movi: Movi) -> None:
    reply = await say(read_movi, "how do I create a new route", page=ROUTES, session="n-help")
    assert (reply.status, reply.action) == ("completed", "create_new_route_help")
    steps = ("1. Stops", "2. Path", "3. Route", "4. Trips")
    mentions(reply, *steps)
    positions = [reply.message.index(step) for step in steps]
    assert positions == sorted(positions), reply.message


async def test_an_unknown_path_is_not_found(read_movi: Movi) -> None:
    reply = await say(read_movi, "show all stops on Path-77", page=ROUTES, session="n-nf")
    assert reply.status == "not_found"
    assert reply.action == "list_stops_for_path"


# --- validation of a broken route --------------------------------------------------------------


async def test_validate_a_route_whose_path_has_one_stop(movi: Movi, db: Db) -> None:
    stop = await db.stop_id("Peenya")
    await db.write(insert(Path).values(path_name="Path-Solo"))
    path = await db.path_id("Path-Solo")
    await db.write(
        insert(PathStop).values(path_id=path, stop_id=stop, position=1),
        insert(Route).values(
            path_id=path,
            route_display_name="Path-Solo - 09:00",
            shift_time=time(9, 0),
            direction="LOGIN",
            status="ACTIVE",
        ),
    )
    reply = await say(movi, "validate route Path-Solo - 09:00", page=ROUTES)
    assert (reply.status, reply.action) == ("completed", "validate_route")
    assert reply.data["valid"] is False
    assert any("1 stop" in p for p in reply.data["problems"]), reply.data
    mentions(reply, "has problems", "at least 2")


# --- stops -------------------------------------------------------------------------------------


async def test_create_stop_with_coordinates(movi: Movi, db: Db) -> None:
    since = await db.last_log_id()
    # A complete creation (kind "write", nothing found by its check) runs at once.
    done = await say(movi, "create stop Hebbal Flyover at 13.04, 77.59", page=ROUTES)
    assert (done.status, done.action) == ("completed", "create_stop")
    mentions(done, "Hebbal Flyover")
    row = (await db.all(select(Stop.__table__).where(Stop.name == "Hebbal Flyover")))[0]
    assert (row.latitude, row.longitude) == pytest.approx((13.04, 77.59))
    audit = await db.one_audit(
        since, action="create_stop", entity_type="stop", entity_id=row.stop_id
    )
    assert audit.before_state is None
    assert audit.after_state["name"] == "Hebbal Flyover"


async def test_create_an_existing_stop_is_refused_not_duplicated(movi: Movi, db: Db) -> None:
    before = await db.counts()
    reply = await say(movi, "create stop peenya", page=ROUTES)
    assert (reply.status, reply.action) == ("rejected", "create_stop")
    mentions(reply, "Peenya already exists")
    after_yes = await say(movi, "yes", page=ROUTES)
    assert after_yes.status == "rejected"
    assert await db.counts() == before


async def test_a_near_duplicate_stop_is_asked_about(movi: Movi, db: Db) -> None:
    before = await db.counts()
    asked = await say(movi, "create stop Peenyaa", page=ROUTES)
    assert (asked.status, asked.action) == ("needs_confirmation", "create_stop")
    mentions(asked, "Peenya already exists")
    assert [c.code for c in asked.consequences] == ["near_duplicate"]
    declined = await say(movi, "no", page=ROUTES)
    assert declined.status == "cancelled"
    assert await db.counts() == before


async def test_rename_stop(movi: Movi, db: Db) -> None:
    stop = await db.stop_id("Temple")
    since = await db.last_log_id()
    reply = await say(movi, "rename stop Temple to Temple Road", page=ROUTES)
    assert (reply.status, reply.action) == ("completed", "rename_stop")
    assert await db.stop_id("Temple") is None
    assert await db.stop_id("Temple Road") == stop
    audit = await db.one_audit(since, action="rename_stop", entity_type="stop", entity_id=stop)
    assert (audit.before_state["name"], audit.after_state["name"]) == ("Temple", "Temple Road")


async def test_rename_stop_to_a_taken_name_is_refused(movi: Movi, db: Db) -> None:
    before = await db.counts()
    reply = await say(movi, "rename stop Temple to BTM", page=ROUTES)
    assert reply.status == "rejected"
    mentions(reply, "BTM")
    assert await db.stop_id("Temple") is not None
    assert await db.counts() == before


async def test_delete_a_stop_in_use_is_refused_naming_the_paths(movi: Movi, db: Db) -> None:
    paths = await db.paths_using_stop("Peenya")
    assert paths
    before = await db.counts()
    reply = await say(movi, "delete stop Peenya", page=ROUTES)
    assert (reply.status, reply.action) == ("rejected", "delete_stop")
    mentions(reply, "Peenya", *paths)
    assert [c.code for c in reply.consequences] == ["stop_in_use"]
    assert await db.counts() == before


async def test_delete_an_unused_stop(movi: Movi, db: Db) -> None:
    stop = await db.stop_id("Malleshwaram")
    assert stop is not None and await db.paths_using_stop("Malleshwaram") == []
    since = await db.last_log_id()
    reply = await say(movi, "delete stop Malleshwaram", page=ROUTES)
    assert (reply.status, reply.action) == ("completed", "delete_stop")
    assert await db.stop_id("Malleshwaram") is None
    audit = await db.one_audit(since, action="delete_stop", entity_type="stop", entity_id=stop)
    assert audit.after_state is None and audit.before_state["name"] == "Malleshwaram"


# --- paths -------------------------------------------------------------------------------------


async def test_create_path_from_an_ordered_list(movi: Movi, db: Db) -> None:
    since = await db.last_log_id()
    done = await say(movi, "create path Path-20 with Temple, Peenya and BTM", page=ROUTES)
    assert (done.status, done.action) == ("completed", "create_path")
    assert await db.path_stop_names("Path-20") == ["Temple", "Peenya", "BTM"]
    path = await db.path_id("Path-20")
    await db.one_audit(since, action="create_path", entity_type="path", entity_id=path)


async def test_create_path_with_an_unknown_stop_creates_nothing(movi: Movi, db: Db) -> None:
    before = await db.counts()
    reply = await say(movi, "create path Path-21 with Peenya, Xyzzy Nagar and BTM", page=ROUTES)
    assert (reply.status, reply.action) == ("rejected", "create_path")
    mentions(reply, "Xyzzy Nagar", "No path was created")
    assert (await say(movi, "yes", page=ROUTES)).status == "rejected"
    assert await db.path_id("Path-21") is None
    assert await db.counts() == before


async def test_update_path_stops_of_a_path_in_use_asks_then_changes_them(
    movi: Movi, db: Db
) -> None:
    routes = await db.routes_of_path("Path-2")
    old = await db.path_stop_names("Path-2")
    new = ["Hebbal", "Silk Board", "Electronic City"]
    assert new != old
    since = await db.last_log_id()
    asked = await say(
        movi, "change the stops of Path-2 to Hebbal, Silk Board and Electronic City", page=ROUTES
    )
    assert (asked.status, asked.action) == ("needs_confirmation", "update_path_stops")
    mentions(asked, "Path-2", *routes)
    assert await db.path_stop_names("Path-2") == old
    done = await say(movi, "yes", page=ROUTES)
    assert (done.status, done.action) == ("completed", "update_path_stops")
    assert await db.path_stop_names("Path-2") == new
    path = await db.path_id("Path-2")
    await db.one_audit(since, action="update_path_stops", entity_type="path", entity_id=path)


async def test_delete_a_path_in_use_is_refused_naming_the_routes(movi: Movi, db: Db) -> None:
    routes = await db.routes_of_path("Path-2")
    before = await db.counts()
    reply = await say(movi, "delete path Path-2", page=ROUTES)
    assert (reply.status, reply.action) == ("rejected", "delete_path")
    mentions(reply, *routes)
    assert await db.counts() == before


async def test_delete_an_unused_path(movi: Movi, db: Db) -> None:
    await db.write(insert(Path).values(path_name="Sarjapur Loop"))
    path = await db.path_id("Sarjapur Loop")
    await db.write(
        insert(PathStop).values(path_id=path, stop_id=await db.stop_id("Peenya"), position=1),
        insert(PathStop).values(path_id=path, stop_id=await db.stop_id("BTM"), position=2),
    )
    since = await db.last_log_id()
    reply = await say(movi, "delete path Sarjapur Loop", page=ROUTES)
    assert (reply.status, reply.action) == ("completed", "delete_path")
    assert await db.path_id("Sarjapur Loop") is None
    assert await db.path_stop_names("Sarjapur Loop") == []
    await db.one_audit(since, action="delete_path", entity_type="path", entity_id=path)


# --- routes ------------------------------------------------------------------------------------


async def test_create_route(movi: Movi, db: Db) -> None:
    since = await db.last_log_id()
    done = await say(movi, "create a route on Path-2 at 10:45 for drop", page=ROUTES)
    assert (done.status, done.action) == ("completed", "create_route")
    route = await db.route("Path-2 - 10:45")
    assert route is not None
    assert (route.path_id, route.shift_time, str(route.direction), str(route.status)) == (
        await db.path_id("Path-2"),
        time(10, 45),
        "LOGOUT",
        "ACTIVE",
    )
    await db.one_audit(since, action="create_route", entity_type="route", entity_id=route.route_id)


async def test_create_an_existing_route_is_refused(movi: Movi, db: Db) -> None:
    before = await db.counts()
    reply = await say(movi, "create a route on Path-2 at 8am for pickup", page=ROUTES)
    assert (reply.status, reply.action) == ("rejected", "create_route")
    mentions(reply, "Path-2 - 08:00 already exists")
    assert await db.counts() == before


async def test_duplicate_route_at_another_shift_time(movi: Movi, db: Db) -> None:
    original = await db.route("Path-2 - 08:00")
    since = await db.last_log_id()
    reply = await say(movi, "duplicate route Path-2 - 08:00 at 9:15", page=ROUTES)
    assert (reply.status, reply.action) == ("completed", "duplicate_route")
    copy = await db.route("Path-2 - 09:15")
    assert copy is not None
    assert (copy.path_id, copy.direction, copy.shift_time) == (
        original.path_id,
        original.direction,
        time(9, 15),
    )
    await db.one_audit(
        since, action="duplicate_route", entity_type="route", entity_id=copy.route_id
    )


async def test_deactivate_a_route_with_trips_asks_then_cancels_them(movi: Movi, db: Db) -> None:
    trips = await db.upcoming_trips("Path-2 - 08:00")
    assert trips and "IN_PROGRESS" not in trips.values()
    booked = await db.confirmed(*trips)
    assert booked > 0
    before = await db.counts()
    asked = await say(movi, "deactivate route Path-2 - 08:00", page=ROUTES)
    assert (asked.status, asked.action) == ("needs_confirmation", "update_route_status")
    mentions(asked, "Path-2 - 08:00", f"{len(trips)} scheduled trips", f"{booked} bookings")
    [found] = asked.consequences
    assert (found.code, found.data["trips"], found.data["bookings"]) == (
        "route_has_trips",
        len(trips),
        booked,
    )
    assert await db.counts() == before  # asking wrote nothing
    assert str((await db.route("Path-2 - 08:00")).status) == "ACTIVE"

    since = await db.last_log_id()
    done = await say(movi, "yes", page=ROUTES)
    assert (done.status, done.action) == ("completed", "update_route_status")
    route = await db.route("Path-2 - 08:00")
    assert str(route.status) == "DEACTIVATED"
    assert await db.upcoming_trips("Path-2 - 08:00") == {}
    for trip in trips:
        assert str((await db.trip(trip)).live_status) == "CANCELLED"
    assert await db.confirmed(*trips) == 0
    await db.one_audit(
        since, action="update_route_status", entity_type="route", entity_id=route.route_id
    )


async def test_activate_a_deactivated_route(movi: Movi, db: Db) -> None:
    name = "Whitefield Shuttle - 21:00"
    route = await db.route(name)
    assert str(route.status) == "DEACTIVATED"
    since = await db.last_log_id()
    reply = await say(movi, f"activate route {name}", page=ROUTES)
    assert (reply.status, reply.action) == ("completed", "update_route_status")
    assert str((await db.route(name)).status) == "ACTIVE"
    await db.one_audit(
        since, action="update_route_status", entity_type="route", entity_id=route.route_id
    )


async def test_a_route_with_a_running_trip_is_not_deactivated(movi: Movi, db: Db) -> None:
    [name] = await db.all(
        select(Route.route_display_name)
        .join(DailyTrip, DailyTrip.route_id == Route.route_id)
        .where(DailyTrip.live_status == "IN_PROGRESS")
    )
    before = await db.counts()
    reply = await say(movi, f"deactivate route {name[0]}", page=ROUTES)
    assert (reply.status, reply.action) == ("rejected", "update_route_status")
    mentions(reply, "running")
    assert await db.counts() == before


async def test_delete_a_route_with_trips_asks_then_retires_it(movi: Movi, db: Db) -> None:
    name = "Path-1 - 08:00"
    trips = await db.upcoming_trips(name)
    booked = await db.confirmed(*trips)
    asked = await say(movi, f"delete route {name}", page=ROUTES)
    assert (asked.status, asked.action) == ("needs_confirmation", "delete_route")
    mentions(asked, name, f"{len(trips)} scheduled trips", f"{booked} bookings")
    assert await db.upcoming_trips(name) == trips
    since = await db.last_log_id()
    done = await say(movi, "yes", page=ROUTES)
    assert (done.status, done.action) == ("completed", "delete_route")
    route = await db.route(name)
    # Its past trips keep it for the record: retired (deactivated), not erased.
    assert route is not None and str(route.status) == "DEACTIVATED"
    assert await db.upcoming_trips(name) == {}
    assert await db.confirmed(*trips) == 0
    await db.one_audit(since, action="delete_route", entity_type="route", entity_id=route.route_id)


async def test_delete_a_route_without_trips(movi: Movi, db: Db) -> None:
    name = "Path-9 - 21:00"
    route = await db.route(name)
    assert route is not None
    assert (
        await db.scalar(select(DailyTrip.trip_id).where(DailyTrip.route_id == route.route_id))
        is None
    )
    since = await db.last_log_id()
    reply = await say(movi, f"delete route {name}", page=ROUTES)
    assert (reply.status, reply.action) == ("completed", "delete_route")
    assert await db.route(name) is None
    await db.one_audit(since, action="delete_route", entity_type="route", entity_id=route.route_id)


async def test_network_changes_are_refused_on_the_dashboard(movi: Movi, db: Db) -> None:
    before = await db.counts()
    reply = await say(movi, "rename stop Peenya to Peenya Metro")
    assert reply.status == "rejected"
    mentions(reply, "manageRoute")
    assert await db.counts() == before
