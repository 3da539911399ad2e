"""Several OS processes, each with its own ``Movi``, racing on one database (issue 7, item 1).

``procs_worker.py`` lays out the arena (five scenarios, see there) and runs it: every round each
worker process waits at a barrier, then sends its message, so the processes hit the same rows at
the same moment. Afterwards this module checks, from the database alone on a fresh connection:

- no lost update: per trip, the audit rows chain (each row's ``before_state`` is the previous
  row's ``after_state``, the first is the seeded state) and the trip now is the last
  ``after_state``; each completed write has exactly one audit row, and no other write has one;
- a vehicle is never on two overlapping live trips;
- bookings go above a vehicle's capacity only in a session whose "yes" confirmed the override;
- each pending confirmation executes at most once;

and, from what the workers saw, that every loser got a clear reply (a status that is not
``completed``, with words that say why) and no exception or failure.

CI size: ``MOVI_PROCS_OPS`` racing messages per backend (default 1,000) over
``MOVI_PROCS_WORKERS`` processes (default 2). A full-size run, e.g.::

    MOVI_PROCS_OPS=10000 MOVI_PROCS_WORKERS=4 .venv/bin/python -m pytest -s \\
        tests/reliability/test_processes.py

Speed is printed (operations per second, conflict rate), never asserted;
``benchmarks/concurrency.py`` measures it.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.conftest import PG_SKIP_REASON, drop_pg_test_schema, pg_dsn
from tests.reliability.procs_worker import (
    SCENARIOS,
    Arena,
    RaceResult,
    layout,
    race,
    seed,
    summary,
)

from movi.store import make_engine, pg_schema_url
from movi.store.queries import OVERLAP
from movi.store.schema import (
    AgentSession,
    AuditLog,
    Booking,
    BookingStatus,
    DailyTrip,
    Deployment,
    Interaction,
    TripStatus,
    Vehicle,
)

OPS = int(os.environ.get("MOVI_PROCS_OPS", "1000"))
WORKERS = int(os.environ.get("MOVI_PROCS_WORKERS", "2"))

CORE = ("version", "vehicle_id", "live_status", "confirmed_bookings")
"""What a trip's audit states must agree on with the trip itself."""

LOSING: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "one_trip_many_vehicles": (frozenset({"needs_confirmation"}), ("already has",)),
    "one_vehicle_overlapping_trips": (frozenset({"rejected"}), ("overlaps",)),
    "bookings_to_capacity": (frozenset({"needs_confirmation"}), ("exceed",)),
    "same_confirmation": (
        frozenset({"cancelled", "rejected"}),
        ("already used", "nothing waiting"),
    ),
    "cancel_while_assigning": (
        frozenset({"rejected", "needs_confirmation"}),
        ("cancelled", "already has"),
    ),
}
"""Per scenario: the statuses a message that lost may get, and words one of which it must say."""

ONE_WINNER = ("one_trip_many_vehicles", "one_vehicle_overlapping_trips", "same_confirmation")
"""Scenarios where exactly one message of each round may complete."""


@dataclass
class Raced:
    backend: str
    url: str
    arena: Arena
    result: RaceResult
    seeded: dict[int, dict[str, Any]]

    @property
    def replies(self) -> list[dict[str, Any]]:
        return self.result.replies


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def raced(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Raced]:
    """The arena raced once per backend; the tests below read what it left."""
    backend: str = request.param
    dsn = pg_dsn()
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{Path(tmp_path_factory.mktemp('procs')) / 'movi.db'}"
    elif dsn is None:
        pytest.skip(PG_SKIP_REASON)
    else:
        url = pg_schema_url(dsn, f"movi_p_{uuid.uuid4().hex[:12]}")
    try:
        arena = layout(WORKERS, OPS)
        asyncio.run(seed(url, arena))
        seeded = asyncio.run(trips_now(url))
        result = race(url, arena)
        yield Raced(backend, url, arena, result, seeded)
    finally:
        if backend != "sqlite":
            drop_pg_test_schema(url)


# --- the database's own account --------------------------------------------------------------


async def trips_now(url: str) -> dict[int, dict[str, Any]]:
    """Every trip as the audit log describes one: version, vehicle, status, confirmed bookings."""
    engine = make_engine(url)
    booked = (
        select(Booking.trip_id, func.count().label("n"))
        .where(Booking.status == BookingStatus.CONFIRMED)
        .group_by(Booking.trip_id)
        .subquery()
    )
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(
                    DailyTrip.trip_id,
                    DailyTrip.version,
                    DailyTrip.live_status,
                    DailyTrip.trip_date,
                    DailyTrip.departure_time,
                    Deployment.vehicle_id,
                    Vehicle.capacity,
                    func.coalesce(booked.c.n, 0),
                )
                .outerjoin(Deployment, Deployment.trip_id == DailyTrip.trip_id)
                .outerjoin(Vehicle, Vehicle.vehicle_id == Deployment.vehicle_id)
                .outerjoin(booked, booked.c.trip_id == DailyTrip.trip_id)
            )
            return {
                trip_id: {
                    "version": version,
                    "vehicle_id": vehicle_id,
                    "live_status": str(status),
                    "confirmed_bookings": int(n),
                    "trip_date": day,
                    "departure_time": at,
                    "capacity": capacity,
                }
                for trip_id, version, status, day, at, vehicle_id, capacity, n in rows
            }
    finally:
        await engine.dispose()


async def table(url: str, *columns: Any, order: Any = None) -> list[Any]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            statement = select(*columns)
            if order is not None:
                statement = statement.order_by(order)
            return list(await conn.execute(statement))
    finally:
        await engine.dispose()


async def audit(url: str) -> list[Any]:
    return await table(url, AuditLog.__table__, order=AuditLog.log_id)


def core(state: dict[str, Any]) -> dict[str, Any]:
    return {key: state.get(key) for key in CORE}


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


# --- the checks ------------------------------------------------------------------------------


def test_the_race_was_big_and_the_processes_met(
    raced: Raced, capsys: pytest.CaptureFixture[str]
) -> None:
    racing = [r for r in raced.replies if not r["follow"]]
    rounds: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for r in racing:
        rounds[(r["scenario"], r["round"])].append(r)
    # The messages of a round were in flight at the same moment: each began before any ended.
    met = Counter(
        scenario
        for (scenario, _), said in rounds.items()
        if max(r["started"] for r in said) < min(r["finished"] for r in said)
    )
    with capsys.disabled():
        print("\n" + summary(raced.arena, raced.result, raced.backend))
        shares = ", ".join(f"{s} {met[s] / raced.arena.rounds:.0%}" for s in SCENARIOS)
        print(f"  rounds whose messages were in flight together: {shares}")
    assert len(racing) == raced.arena.racing >= OPS
    assert Counter(r["worker"] for r in racing) == dict.fromkeys(
        range(WORKERS), raced.arena.racing // WORKERS
    )
    assert all(len(said) == WORKERS for said in rounds.values())
    assert set(met) == set(SCENARIOS), f"in some scenario the processes never met: {met}"


def test_every_loser_got_a_clear_reply(raced: Raced) -> None:
    broken = [r for r in raced.replies if r["status"] in ("exception", "failed")]
    assert not broken, f"{len(broken)} messages crashed or failed, e.g. {broken[:3]}"
    unclear = []
    for r in raced.replies:
        if r["status"] == "completed" or r["follow"]:
            continue
        statuses, words = LOSING[r["scenario"]]
        said = r["message"].lower()
        if r["status"] not in statuses or not any(w in said for w in words):
            unclear.append((r["scenario"], r["text"], r["status"], r["message"]))
    assert not unclear, f"{len(unclear)} unclear replies to losers, e.g. {unclear[:3]}"


def test_exactly_one_message_of_a_contested_round_completes(raced: Raced) -> None:
    completed: Counter[tuple[str, int]] = Counter(
        (r["scenario"], r["round"]) for r in raced.replies if r["status"] == "completed"
    )
    wrong = [
        (scenario, n, completed[(scenario, n)])
        for scenario in ONE_WINNER
        for n in range(raced.arena.rounds)
        if completed[(scenario, n)] != 1
    ]
    example = [
        r["message"] for r in raced.replies if wrong and (r["scenario"], r["round"]) == wrong[0][:2]
    ]
    assert not wrong, (
        f"{len(wrong)} rounds where not exactly one message completed "
        f"(scenario, round, completed), e.g. {wrong[:5]}; replies of the first: {example}"
    )
    cancels = Counter(
        r["round"]
        for r in raced.replies
        if r["scenario"] == "cancel_while_assigning"
        and r["status"] == "completed"
        and r["text"].startswith("cancel")
    )
    assert cancels == dict.fromkeys(range(raced.arena.rounds), 1)


async def test_no_update_is_lost(raced: Raced) -> None:
    rows = await audit(raced.url)
    now = await trips_now(raced.url)
    assert {row.entity_type for row in rows} <= {"trip"}
    history: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        history[row.entity_id].append(row)
    for trip_id, seeded in raced.seeded.items():
        state = core(seeded)
        for row in history[trip_id]:
            assert core(row.before_state) == state, (
                f"trip {trip_id}: audit row {row.log_id} ({row.action}) starts from "
                f"{core(row.before_state)}, but the previous write left {state}"
            )
            state = core(row.after_state)
        assert core(now[trip_id]) == state, (
            f"trip {trip_id} is {core(now[trip_id])}, its last audited state is {state}"
        )
    completed = Counter(r["session_id"] for r in raced.replies if r["status"] == "completed")
    audited = Counter(row.session_id for row in rows)
    assert audited == completed, "a completed write without its one audit row, or the reverse"
    trip_of = {r["session_id"]: r["trip_id"] for r in raced.replies}
    assert all(row.entity_id == trip_of[row.session_id] for row in rows)


async def test_a_vehicle_is_never_on_two_overlapping_trips(raced: Raced) -> None:
    now = await trips_now(raced.url)
    live = [
        (t["vehicle_id"], t["trip_date"], _minutes(t["departure_time"]), trip_id)
        for trip_id, t in now.items()
        if t["vehicle_id"] is not None and t["live_status"] not in ("CANCELLED", "COMPLETED")
    ]
    by_day: dict[tuple[int, Any], list[tuple[int, int]]] = defaultdict(list)
    for vehicle, day, at, trip_id in live:
        by_day[(vehicle, day)].append((at, trip_id))
    window = OVERLAP.total_seconds() / 60
    twice = [
        (vehicle, day, a, b)
        for (vehicle, day), trips in by_day.items()
        for i, a in enumerate(sorted(trips))
        for b in sorted(trips)[i + 1 :]
        if b[0] - a[0] < window
    ]
    assert not twice, (
        f"{len(twice)} times a vehicle is on two overlapping trips "
        f"(vehicle, day, (minute, trip), (minute, trip)), e.g. {twice[:3]}"
    )


async def test_bookings_exceed_capacity_only_with_a_confirmed_override(raced: Raced) -> None:
    now = await trips_now(raced.url)
    rows = [r for r in await audit(raced.url) if r.action == "add_bookings"]
    said = await table(raced.url, Interaction.session_id, Interaction.action, Interaction.status)
    confirmed = Counter(
        s for s, action, status in said if (action, status) == ("confirm", "completed")
    )
    overrides: Counter[str] = Counter()
    for row in rows:
        capacity = now[row.entity_id]["capacity"]
        if row.after_state["confirmed_bookings"] > capacity:
            overrides[row.session_id] += 1
    unconfirmed = {s: n for s, n in overrides.items() if n > confirmed[s]}
    assert not unconfirmed, f"over capacity without a confirmed yes in the session: {unconfirmed}"
    for trip_id in raced.arena.trips_of["bookings_to_capacity"]:
        trip = now[trip_id]
        over = sum(1 for r in rows if r.entity_id == trip_id and r.session_id in overrides)
        assert trip["confirmed_bookings"] <= trip["capacity"] + over, trip
    asked_yes = [r for r in raced.replies if r["follow"] and r["status"] == "completed"]
    assert sum(overrides.values()) == len(asked_yes) > 0, "the overrides did not happen"


async def test_a_pending_confirmation_executes_at_most_once(raced: Raced) -> None:
    sessions = {op.session_id: op.trip_id for op in raced.arena.asks}
    rows = [r for r in await audit(raced.url) if r.session_id in sessions]
    per_session = Counter(r.session_id for r in rows)
    assert per_session == dict.fromkeys(sessions, 1), "a confirmation ran twice or never"
    assert all(r.entity_id == sessions[r.session_id] for r in rows)
    said = await table(raced.url, Interaction.session_id, Interaction.action, Interaction.status)
    ran = Counter(s for s, action, status in said if s in sessions and status == "completed")
    assert ran == dict.fromkeys(sessions, 1)
    left = await table(raced.url, AgentSession.session_id, AgentSession.pending_kind)
    assert not [s for s, kind in left if s in sessions and kind is not None]


async def test_a_trip_cancelled_while_assigned_stays_cancelled(raced: Raced) -> None:
    now = await trips_now(raced.url)
    rows = await audit(raced.url)
    for trip_id in raced.arena.trips_of["cancel_while_assigning"]:
        assert now[trip_id]["live_status"] == TripStatus.CANCELLED
        actions = [r.action for r in rows if r.entity_id == trip_id]
        assert actions.count("cancel_trip") == 1, actions
        assert actions[-1] == "cancel_trip", (
            f"trip {trip_id} was changed after its cancel: {actions}"
        )
        assert actions.count("assign_vehicle") <= 1, actions
