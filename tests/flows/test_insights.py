"""Insights on busDashboard: each answer is checked against the rows it claims to summarise.

The shared demo is read at the demo's 07:00 of 2026-11-28 (a fixed clock), so "within the next
hours" means the same thing on every run.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select
from tests.flows.support import TODAY, Db, Demo, mentions, say

from movi.actions.insights import ATTENTION_HOURS, RISK_THRESHOLD
from movi.engine import Movi
from movi.store.queries import OVERLAP
from movi.store.schema import (
    Booking,
    DailyTrip,
    Deployment,
    Path,
    PathStop,
    Route,
    Stop,
    Vehicle,
)

URGENT = {"no_vehicle", "no_driver", "vehicle_not_available", "driver_not_available", "overbooked"}


def ids(data: list[dict[str, Any]]) -> list[int]:
    return [int(row["trip_id"]) for row in data]


async def test_trips_needing_attention(read_movi: Movi, shared_demo: Demo) -> None:
    reply = await say(read_movi, "which trips need attention today", session="i-attention")
    assert (reply.status, reply.action) == ("completed", "get_trips_needing_attention")
    found = {row["trip_id"]: row for row in reply.data}
    cases = shared_demo.cases
    expected = {
        cases["overbooked"][0]: "overbooked",
        cases["blocked_vehicle_deployed"][0]: "vehicle_not_available",
        cases["driver_on_leave_deployed"][0]: "driver_not_available",
        cases["no_vehicle"][0]: "no_vehicle",
        cases["no_driver"][0]: "no_driver",
    }
    for trip, signal in expected.items():
        assert trip in found, f"trip {trip} ({signal}) missing from {sorted(found)}"
        assert signal in found[trip]["signals"]
    horizon = f"{7 + ATTENTION_HOURS:02d}:00"
    for row in reply.data:
        assert set(row["signals"]) & URGENT, row
        if set(row["signals"]) <= {"no_vehicle", "no_driver"}:
            assert row["departure_time"] <= horizon, row  # staffing gaps: only the next hours
    mentions(reply, f"{len(found)} trips need attention on {TODAY.isoformat()}")


async def test_today_summary_counts_the_rows(read_movi: Movi, shared_db: Db) -> None:
    reply = await say(read_movi, "show today's summary", session="i-summary")
    assert (reply.status, reply.action) == ("completed", "get_today_summary")
    statuses = Counter(
        str(s)
        for (s,) in await shared_db.all(
            select(DailyTrip.live_status).where(DailyTrip.trip_date == TODAY)
        )
    )
    live = select(DailyTrip.trip_id).where(
        DailyTrip.trip_date == TODAY,
        DailyTrip.live_status.in_(["SCHEDULED", "DELAYED", "IN_PROGRESS"]),
    )
    booked = await shared_db.scalar(
        select(func.count())
        .select_from(Booking)
        .where(Booking.trip_id.in_(live), Booking.status == "CONFIRMED")
    )
    assert reply.data["trips"] == sum(statuses.values())
    assert reply.data["by_status"] == dict(statuses)
    assert reply.data["bookings"] == booked
    assert reply.data["problems"]["overbooked"] == 1
    mentions(reply, f"{sum(statuses.values())} trips", f"{booked} bookings")


async def test_high_demand_offices_come_from_the_bookings(read_movi: Movi, shared_db: Db) -> None:
    reply = await say(read_movi, "which offices have the highest demand today", session="i-offices")
    assert (reply.status, reply.action) == ("completed", "get_high_demand_offices")
    rows = await shared_db.all(
        select(Booking.office, func.count())
        .join(DailyTrip, DailyTrip.trip_id == Booking.trip_id)
        .where(DailyTrip.trip_date == TODAY, Booking.status == "CONFIRMED")
        .group_by(Booking.office)
    )
    counts = {office: int(n) for office, n in rows if office is not None}
    assert reply.data
    for row in reply.data:
        assert counts[row["office"]] == row["bookings"]
    shown = [row["bookings"] for row in reply.data]
    assert shown == sorted(shown, reverse=True)
    assert shown[0] == max(counts.values())
    top = reply.data[0]
    mentions(reply, f"{top['office']} ({top['bookings']})")


async def test_detect_overbooking_finds_the_overbooked_trip(
    read_movi: Movi, shared_demo: Demo, shared_db: Db
) -> None:
    reply = await say(read_movi, "are any trips overbooked today", session="i-over")
    assert (reply.status, reply.action) == ("completed", "detect_overbooking")
    trip = shared_demo.cases["overbooked"][0]
    assert ids(reply.data) == [trip]
    capacity = await shared_db.scalar(
        select(Vehicle.capacity)
        .join(Deployment, Deployment.vehicle_id == Vehicle.vehicle_id)
        .where(Deployment.trip_id == trip)
    )
    booked = await shared_db.confirmed(trip)
    assert booked > capacity
    assert (reply.data[0]["booked"], reply.data[0]["capacity"]) == (booked, capacity)
    mentions(reply, f"trip {trip}", f"{booked} booked for {capacity} seats")


async def test_predict_problem_trips_says_which_signals_fired(
    read_movi: Movi, shared_demo: Demo
) -> None:
    reply = await say(read_movi, "which trips are likely to have problems today", session="i-risk")
    assert (reply.status, reply.action) == ("completed", "predict_problem_trips")
    scores = [row["score"] for row in reply.data]
    assert scores == sorted(scores, reverse=True)
    assert all(
        score >= RISK_THRESHOLD and row["signals"]
        for score, row in zip(scores, reply.data, strict=True)
    )
    both = set(shared_demo.cases["no_vehicle"]) & set(shared_demo.cases["no_driver"])
    by_id = {row["trip_id"]: row for row in reply.data}
    for trip in both:  # no vehicle and no driver: the highest risk
        assert {"no_vehicle", "no_driver"} <= set(by_id[trip]["signals"])
        assert by_id[trip]["score"] == scores[0]
    assert "overbooked" in by_id[shared_demo.cases["overbooked"][0]]["signals"]
    first = reply.data[0]
    mentions(reply, f"score {first['score']} ({', '.join(first['signals'])})", "Score = sum")


async def test_trip_readiness_ready_and_not_ready(read_movi: Movi, shared_demo: Demo) -> None:
    ready_trip = shared_demo.cases["remove_vehicle_with_bookings"][0]
    ready = await say(read_movi, f"is trip {ready_trip} ready", session="i-ready")
    assert (ready.status, ready.action) == ("completed", "check_trip_readiness")
    assert ready.data["signals"] == []
    mentions(ready, "is ready")

    empty = shared_demo.cases["no_vehicle"][0]
    missing = await say(read_movi, f"is trip {empty} ready", session="i-ready")
    assert "no_vehicle" in missing.data["signals"]
    mentions(missing, "is not ready", "no vehicle")

    over = shared_demo.cases["overbooked"][0]
    overbooked = await say(read_movi, f"is trip {over} ready", session="i-ready")
    mentions(overbooked, "is not ready", "overbooked")


async def test_trip_suggestions_follow_the_trip_state(read_movi: Movi, shared_demo: Demo) -> None:
    empty = shared_demo.cases["no_vehicle"][0]
    reply = await say(read_movi, f"what can I do with trip {empty}", session="i-ideas")
    assert (reply.status, reply.action) == ("completed", "show_trip_suggestions")
    assert any("assign a vehicle" in s for s in reply.data["suggestions"])
    cancelled = shared_demo.cases["cancelled"][0]
    other = await say(read_movi, f"what can I do with trip {cancelled}", session="i-ideas")
    assert other.status == "completed"
    assert any("duplicate" in s for s in other.data["suggestions"])
    assert not any("cancel it" in s for s in other.data["suggestions"])


async def _eligible(db: Db, trip_id: int, seats: int) -> dict[int, int]:
    """Vehicle id → capacity of the vehicles free for ``trip_id`` with ``seats`` or more."""
    trip = await db.trip(trip_id)
    rows = await db.all(
        select(Deployment.vehicle_id, DailyTrip.departure_time)
        .join(DailyTrip, DailyTrip.trip_id == Deployment.trip_id)
        .where(
            DailyTrip.trip_date == trip.trip_date,
            DailyTrip.trip_id != trip_id,
            DailyTrip.live_status != "CANCELLED",
            Deployment.vehicle_id.is_not(None),
        )
    )
    mine = trip.departure_time.hour * 60 + trip.departure_time.minute
    window = OVERLAP.total_seconds() / 60
    busy = {v for v, at in rows if abs(at.hour * 60 + at.minute - mine) < window}
    vehicles = await db.all(
        select(Vehicle.vehicle_id, Vehicle.capacity).where(
            Vehicle.status == "AVAILABLE", Vehicle.capacity >= seats
        )
    )
    return {int(v): int(c) for v, c in vehicles if v not in busy}


async def test_recommend_vehicle_fits_the_passengers_closest_first(
    read_movi: Movi, shared_demo: Demo, shared_db: Db
) -> None:
    trip = shared_demo.cases["no_vehicle"][0]
    reply = await say(
        read_movi, f"recommend a vehicle for trip {trip} for 30 passengers", session="i-rec"
    )
    assert (reply.status, reply.action) == ("completed", "recommend_vehicle_for_trip")
    eligible = await _eligible(shared_db, trip, 30)
    assert reply.data
    got = [row["vehicle_id"] for row in reply.data]
    assert set(got) <= set(eligible), "a suggested vehicle is busy, unavailable or too small"
    capacities = [row["capacity"] for row in reply.data]
    assert capacities == sorted(capacities)
    assert capacities[0] == min(eligible.values())
    mentions(reply, reply.data[0]["registration_number"], "30 seats needed")


async def test_recommend_vehicle_without_a_count_covers_the_bookings(
    read_movi: Movi, shared_demo: Demo, shared_db: Db
) -> None:
    trip = shared_demo.cases["no_vehicle"][0]
    booked = await shared_db.confirmed(trip)
    reply = await say(read_movi, f"recommend a vehicle for trip {trip}", session="i-rec2")
    eligible = await _eligible(shared_db, trip, max(booked, 1))
    assert reply.data and reply.data[0]["capacity"] == min(eligible.values())
    assert all(row["capacity"] >= booked for row in reply.data)


async def test_suggest_alternate_vehicle_never_offers_the_current_one(
    read_movi: Movi, shared_demo: Demo, shared_db: Db
) -> None:
    trip = shared_demo.cases["blocked_vehicle_deployed"][0]
    current = await shared_db.scalar(
        select(Deployment.vehicle_id).where(Deployment.trip_id == trip)
    )
    booked = await shared_db.confirmed(trip)
    reply = await say(read_movi, f"suggest an alternate vehicle for trip {trip}", session="i-alt")
    assert (reply.status, reply.action) == ("completed", "suggest_alternate_vehicle")
    eligible = await _eligible(shared_db, trip, max(booked, 1))
    got = [row["vehicle_id"] for row in reply.data]
    assert got and current not in got
    assert set(got) <= set(eligible)
    assert all(row["status"] == "AVAILABLE" and row["capacity"] >= booked for row in reply.data)


async def test_trip_stops_in_order(read_movi: Movi, shared_demo: Demo, shared_db: Db) -> None:
    trip = shared_demo.cases["remove_vehicle_with_bookings"][0]
    reply = await say(read_movi, f"show stops for trip {trip}", session="i-stops")
    assert (reply.status, reply.action) == ("completed", "get_trip_stops")
    rows = await shared_db.all(
        select(Stop.name)
        .join(PathStop, PathStop.stop_id == Stop.stop_id)
        .join(Path, Path.path_id == PathStop.path_id)
        .join(Route, Route.path_id == Path.path_id)
        .join(DailyTrip, DailyTrip.route_id == Route.route_id)
        .where(DailyTrip.trip_id == trip)
        .order_by(PathStop.position)
    )
    names = [r[0] for r in rows]
    assert len(names) >= 2
    assert [s["name"] for s in reply.data] == names
    mentions(reply, " → ".join(names))


# --- insights that follow writes ---------------------------------------------------------------


async def test_recent_changes_list_a_write(movi: Movi, db: Db, demo: Demo) -> None:
    quiet = await say(movi, "show recent changes", session="watcher")
    assert (quiet.status, quiet.action) == ("completed", "get_recent_changes")
    assert quiet.data == []
    trip = demo.cases["remove_vehicle_with_bookings"][0]
    asked = await say(movi, f"delay trip {trip} by 10 minutes")
    if asked.status == "needs_confirmation":
        asked = await say(movi, "yes")
    assert asked.status == "completed"
    reply = await say(movi, "what changed in the last 30 minutes", session="watcher")
    assert reply.status == "completed"
    [change] = reply.data
    assert (change["action"], change["entity_type"], change["entity_id"]) == (
        "delay_trip",
        "trip",
        trip,
    )
    assert change["user_id"] == "ops-7"
    mentions(reply, f"delay_trip on trip {trip}")


async def test_duplicate_trip_to_a_new_day(movi: Movi, db: Db, demo: Demo) -> None:
    trip = demo.cases["remove_vehicle_with_bookings"][0]
    original = await db.trip(trip)
    since = await db.last_log_id()
    reply = await say(movi, f"copy trip {trip} to 3 Dec")
    assert (reply.status, reply.action) == ("completed", "duplicate_trip")
    copy = await db.trip(reply.data["trip_id"])
    assert (copy.route_id, copy.departure_time, str(copy.trip_date)) == (
        original.route_id,
        original.departure_time,
        "2026-12-03",
    )
    assert str(copy.live_status) == "SCHEDULED"
    assert await db.confirmed(copy.trip_id) == 0
    await db.one_audit(since, action="duplicate_trip", entity_type="trip", entity_id=copy.trip_id)


async def test_duplicate_trip_to_a_day_it_already_runs_is_refused(
    movi: Movi, db: Db, demo: Demo
) -> None:
    trip = demo.cases["remove_vehicle_with_bookings"][0]
    before = await db.counts()
    reply = await say(movi, f"duplicate trip {trip} for tomorrow")
    assert (reply.status, reply.action) == ("rejected", "duplicate_trip")
    mentions(reply, "already runs on 2026-11-29")
    assert await db.counts() == before
