"""Real OS processes racing on one movi database (issue 7): the arena, the workers, the crash hook.

A module of its own because every worker is a fresh interpreter (multiprocessing "spawn", or
``python -m tests.reliability.procs_worker`` for the crash test) that imports it and opens a
``Movi`` of its own on the shared URL: its own connection pool, its own event loop, nothing shared
with the other processes but the database. ``test_processes.py``, ``test_crash.py`` and
``benchmarks/concurrency.py`` drive it.

The arena is a handful of rows per round laid out so that the only conflicts are the intended
ones: each round gets trips of its own on a day and time "cell" of its own (cells are two hours
apart, which is not an overlap), and vehicles are shared only where a scenario wants them shared.
Every round, each worker waits at a barrier and then sends its message, so the processes hit the
same rows at the same moment:

- ``one_trip_many_vehicles``: each worker assigns its own vehicle to the round's trip;
- ``one_vehicle_overlapping_trips``: each worker assigns the round's one vehicle to its own trip,
  all of the round's trips within the overlap window of each other;
- ``bookings_to_capacity``: every worker adds one booking to a trip with one seat more than there
  are workers, three rounds per trip; in the third round worker 0 answers "yes" when asked, a
  deliberate override of the capacity;
- ``same_confirmation``: a confirmation is asked before the race (cancel trip / remove its vehicle,
  both with bookings), then every worker says "yes" in that same session;
- ``cancel_while_assigning``: even workers cancel the round's trip, odd ones assign a vehicle to it.

Sessions and users are unique per message (except the shared session of ``same_confirmation``), so
the only thing the messages share is the rows, and the policy's per-user rate limit never speaks.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time as clock
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from multiprocessing import get_context
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from movi.actions.registry import EXECUTORS, Job, Outcome
from movi.engine import Movi
from movi.policy import Context
from movi.store import create_schema, make_engine
from movi.store.schema import (
    Booking,
    BookingStatus,
    DailyTrip,
    Deployment,
    Direction,
    PathStop,
    Route,
    Stop,
    TripStatus,
    Vehicle,
    VehicleStatus,
)
from movi.store.schema import Path as PathRow

TODAY = date(2026, 11, 28)
BUS = "busDashboard"
CELLS_PER_DAY = 12
"""Trip slots per day, two hours apart: trips in different cells never overlap (``OVERLAP``)."""

BARRIER_TIMEOUT = 300.0
"""Seconds a worker waits for the others at a round's start before the race is declared broken."""

SCENARIOS = (
    "one_trip_many_vehicles",
    "one_vehicle_overlapping_trips",
    "bookings_to_capacity",
    "same_confirmation",
    "cancel_while_assigning",
)
BOOKED_FOR_CONFIRMATION = 3
"""Bookings on each ``same_confirmation`` trip: what makes cancelling it ask first."""


@dataclass(frozen=True)
class Op:
    """One message a worker sends in one round."""

    scenario: str
    round: int
    text: str
    session_id: str
    user_id: str
    trip_id: int
    override: bool = False
    """Answer "yes" when the message is asked to be confirmed (a deliberate override)."""


@dataclass
class Arena:
    """The rows to seed, the confirmations to ask before the race, and each worker's messages."""

    workers: int
    rounds: int
    vehicles: list[dict[str, Any]] = field(default_factory=list)
    trips: list[dict[str, Any]] = field(default_factory=list)
    deployments: list[dict[str, Any]] = field(default_factory=list)
    bookings: list[dict[str, Any]] = field(default_factory=list)
    asks: list[Op] = field(default_factory=list)
    plan: list[list[Op]] = field(default_factory=list)
    trips_of: dict[str, list[int]] = field(default_factory=dict)

    @property
    def racing(self) -> int:
        """Messages sent in the race (not counting the "yes" of an override)."""
        return sum(len(ops) for ops in self.plan)


class _Layout:
    """Hands out trip cells, trip ids and vehicle registrations while a plan is laid out."""

    def __init__(self, arena: Arena) -> None:
        self.arena = arena
        self.cell = 0
        self.next_trip = 1
        self.next_vehicle = 1

    def day_and_time(self) -> tuple[date, time]:
        day = TODAY + timedelta(days=1 + self.cell // CELLS_PER_DAY)
        at = time(2 * (self.cell % CELLS_PER_DAY), 0)
        self.cell += 1
        return day, at

    def trip(self, scenario: str, day: date, at: time) -> int:
        trip_id = self.next_trip
        self.next_trip += 1
        self.arena.trips.append(
            {
                "trip_id": trip_id,
                "route_id": 1,
                "display_name": f"Race {trip_id} - {at.strftime('%H:%M')}",
                "trip_date": day,
                "departure_time": at,
                "live_status": TripStatus.SCHEDULED,
                "delay_minutes": 0,
                "version": 1,
            }
        )
        self.arena.trips_of.setdefault(scenario, []).append(trip_id)
        return trip_id

    def vehicle(self, seats: int = 40) -> str:
        number = self.next_vehicle
        self.next_vehicle += 1
        registration = f"KA-{50 + number // 10000:02d}-PX-{number % 10000:04d}"
        self.arena.vehicles.append(
            {
                "vehicle_id": number,
                "registration_number": registration,
                "vehicle_type": "BUS" if seats > 7 else "CAB",
                "capacity": seats,
                "color": "White",
                "status": VehicleStatus.AVAILABLE,
            }
        )
        return registration

    def deploy(self, trip_id: int, registration: str) -> None:
        vehicle_id = next(
            v["vehicle_id"]
            for v in reversed(self.arena.vehicles)
            if v["registration_number"] == registration
        )
        self.arena.deployments.append({"trip_id": trip_id, "vehicle_id": vehicle_id})

    def book(self, trip_id: int, count: int) -> None:
        created = datetime(2026, 11, 1, tzinfo=UTC)
        self.arena.bookings.extend(
            {
                "trip_id": trip_id,
                "employee_name": f"Employee {trip_id}-{n}",
                "office": "EGL",
                "status": BookingStatus.CONFIRMED,
                "created_at": created,
            }
            for n in range(count)
        )


def layout(workers: int, ops: int) -> Arena:
    """An arena of about ``ops`` racing messages, spread evenly over the five scenarios."""
    if workers < 2:
        raise ValueError("a race needs at least two worker processes")
    rounds = max(3, -(-ops // (workers * len(SCENARIOS))))
    rounds += -rounds % 3  # bookings_to_capacity plays three rounds per trip
    arena = Arena(workers=workers, rounds=rounds, plan=[[] for _ in range(workers)])
    place = _Layout(arena)
    seq = 0

    def send(worker: int, op: Op) -> None:
        arena.plan[worker].append(op)

    def ids(scenario: str, r: int, w: int) -> tuple[str, str]:
        nonlocal seq
        seq += 1
        return f"{scenario}-{r}-{w}-{seq}", f"{scenario[:12]}-{r}-{w}"

    own = [place.vehicle() for _ in range(workers)]
    for r in range(rounds):
        trip = place.trip("one_trip_many_vehicles", *place.day_and_time())
        for w in range(workers):
            session, user = ids("one_trip_many_vehicles", r, w)
            text = f"assign {own[w]} to trip {trip}"
            send(w, Op("one_trip_many_vehicles", r, text, session, user, trip))

    for r in range(rounds):
        day, at = place.day_and_time()
        shared = place.vehicle()
        for w in range(workers):
            trip = place.trip("one_vehicle_overlapping_trips", day, time(at.hour, (15 * w) % 60))
            session, user = ids("one_vehicle_overlapping_trips", r, w)
            text = f"assign {shared} to trip {trip}"
            send(w, Op("one_vehicle_overlapping_trips", r, text, session, user, trip))

    trip = 0
    for r in range(rounds):
        if r % 3 == 0:
            trip = place.trip("bookings_to_capacity", *place.day_and_time())
            place.deploy(trip, place.vehicle(seats=workers + 1))
        for w in range(workers):
            session, user = ids("bookings_to_capacity", r, w)
            override = r % 3 == 2 and w == 0
            text = f"add 1 booking to trip {trip}"
            send(w, Op("bookings_to_capacity", r, text, session, user, trip, override))

    for r in range(rounds):
        trip = place.trip("same_confirmation", *place.day_and_time())
        place.deploy(trip, place.vehicle())
        place.book(trip, BOOKED_FOR_CONFIRMATION)
        session, user = f"same_confirmation-{r}", f"same-confirmation-{r}"
        asked = f"cancel trip {trip}" if r % 2 == 0 else f"remove the vehicle from trip {trip}"
        arena.asks.append(Op("same_confirmation", r, asked, session, user, trip))
        for w in range(workers):
            send(w, Op("same_confirmation", r, "yes", session, user, trip))

    for r in range(rounds):
        trip = place.trip("cancel_while_assigning", *place.day_and_time())
        for w in range(workers):
            session, user = ids("cancel_while_assigning", r, w)
            text = f"cancel trip {trip}" if w % 2 == 0 else f"assign {own[w]} to trip {trip}"
            send(w, Op("cancel_while_assigning", r, text, session, user, trip))
    return arena


async def seed(url: str, arena: Arena) -> None:
    """The schema and the arena's rows, then the confirmations asked before the race."""
    engine = make_engine(url)
    try:
        await create_schema(engine)
        async with engine.begin() as conn:
            await conn.execute(insert(Stop).values(stop_id=1, name="Race Depot"))
            await conn.execute(insert(PathRow).values(path_id=1, path_name="Race Path"))
            await conn.execute(insert(PathStop).values(path_id=1, position=1, stop_id=1))
            await conn.execute(
                insert(Route).values(
                    route_id=1,
                    path_id=1,
                    route_display_name="Race Route",
                    shift_time=time(8, 0),
                    direction=Direction.LOGIN,
                )
            )
            for table, rows in (
                (Vehicle, arena.vehicles),
                (DailyTrip, arena.trips),
                (Deployment, arena.deployments),
                (Booking, arena.bookings),
            ):
                if rows:
                    await conn.execute(insert(table), rows)
    finally:
        await engine.dispose()
    movi = await Movi.open(url, today=TODAY, role="admin", create=False, llm=False)
    try:
        for op in arena.asks:
            reply = await movi.handle(
                op.text, page=BUS, session_id=op.session_id, user_id=op.user_id
            )
            if reply.status != "needs_confirmation":
                raise RuntimeError(f"{op.text!r} should ask first, got {reply.status}: {reply}")
    finally:
        await movi.close()


# --- the workers ---------------------------------------------------------------------------


async def _say(movi: Movi, worker: int, op: Op) -> list[dict[str, Any]]:
    """Send one message (and the "yes" of an override); what came back, never an exception."""
    said = [await _one(movi, worker, op, op.text, follow=False)]
    if op.override and said[0]["status"] == "needs_confirmation":
        said.append(await _one(movi, worker, op, "yes", follow=True))
    return said


async def _one(movi: Movi, worker: int, op: Op, text: str, *, follow: bool) -> dict[str, Any]:
    record: dict[str, Any] = {
        **asdict(op),
        "worker": worker,
        "text": text,
        "follow": follow,
        "started": clock.time(),
    }
    try:
        reply = await movi.handle(text, page=BUS, session_id=op.session_id, user_id=op.user_id)
    except Exception as exc:  # a crash is a finding: record it, the test fails on it
        record.update(status="exception", message=repr(exc), action=None)
    else:
        record.update(status=reply.status, message=reply.message, action=reply.action)
    record["finished"] = clock.time()
    return record


def work(url: str, worker: int, ops: list[Op], barrier: Any, out: str) -> None:
    """A worker process: open movi, then one message per round, all workers starting together."""

    async def play() -> list[dict[str, Any]]:
        movi = await Movi.open(url, today=TODAY, role="admin", create=False, llm=False)
        said: list[dict[str, Any]] = []
        try:
            for op in ops:
                barrier.wait(BARRIER_TIMEOUT)
                said.extend(await _say(movi, worker, op))
        finally:
            await movi.close()
        return said

    try:
        said = asyncio.run(play())
    except BaseException:
        barrier.abort()  # the others must not wait for a worker that is gone
        raise
    Path(out).write_text(json.dumps(said, default=str))


@dataclass
class RaceResult:
    """Every reply the workers saw, and how long the race took."""

    replies: list[dict[str, Any]]
    seconds: float

    @property
    def calls(self) -> int:
        return len(self.replies)


def race(url: str, arena: Arena) -> RaceResult:
    """Run the arena's plan on ``url``, one spawned process per worker (seed it first)."""
    context = get_context("spawn")
    barrier = context.Barrier(arena.workers)
    with tempfile.TemporaryDirectory(prefix="movi-procs-") as folder:
        outs = [str(Path(folder) / f"worker-{w}.json") for w in range(arena.workers)]
        processes = [
            context.Process(
                target=work, args=(url, w, arena.plan[w], barrier, outs[w]), daemon=True
            )
            for w in range(arena.workers)
        ]
        for process in processes:
            process.start()
        running = list(processes)
        while running:
            wait([p.sentinel for p in running])
            running = [p for p in running if p.exitcode is None]
            if any(p.exitcode for p in processes if p.exitcode is not None):
                for process in running:  # one failed: the others would wait for it forever
                    process.kill()
                break
        for process in processes:
            process.join()
        failed = [(w, p.exitcode) for w, p in enumerate(processes) if p.exitcode != 0]
        if failed:
            raise RuntimeError(f"worker processes exited with errors (worker, code): {failed}")
        replies = [r for out in outs for r in json.loads(Path(out).read_text())]
    started = min(r["started"] for r in replies)
    finished = max(r["finished"] for r in replies)
    return RaceResult(replies=replies, seconds=finished - started)


def summary(arena: Arena, result: RaceResult, backend: str) -> str:
    """Operations per second and the conflict rate (share of racing messages that lost)."""
    lines = [
        f"{backend}: {arena.workers} processes, {arena.racing} racing messages "
        f"({result.calls} handle calls) in {result.seconds:.1f} s: "
        f"{result.calls / result.seconds:.0f} ops/s, conflict rate "
        f"{conflict_rate(result.replies):.0%}"
    ]
    for scenario in SCENARIOS:
        mine = [r for r in result.replies if r["scenario"] == scenario]
        seconds = max(r["finished"] for r in mine) - min(r["started"] for r in mine)
        lines.append(
            f"  {scenario:<30} {len(mine):>6} calls {len(mine) / seconds:>7.0f} ops/s "
            f"conflict rate {conflict_rate(mine):.0%}"
        )
    return "\n".join(lines)


def conflict_rate(replies: list[dict[str, Any]]) -> float:
    """The share of racing messages (not the "yes" of an override) that did not complete."""
    racing = [r for r in replies if not r["follow"]]
    lost = sum(1 for r in racing if r["status"] != "completed")
    return lost / max(1, len(racing))


# --- the crash hook (test_crash.py) --------------------------------------------------------


def pause_inside_write(action: str) -> None:
    """Make ``action``'s executor stop for good after its real run, inside the open transaction.

    The wrapped run flushes what the executor wrote (sent to the database, not committed), prints
    a ``{"paused": pid}`` line and sleeps: the test reads the line and kills the process there,
    as a power cut or the OOM killer would.
    """
    executor = EXECUTORS[action]
    real = executor.run

    async def run_then_pause(session: Any, job: Job, ctx: Context) -> Outcome:
        outcome = await real(session, job, ctx)
        await session.flush()
        print(json.dumps({"paused": os.getpid(), "message": outcome.message}), flush=True)
        await asyncio.sleep(3600)
        return outcome

    executor.run = run_then_pause


async def _converse(url: str, session_id: str, texts: list[str], pause: str | None) -> None:
    """Say ``texts`` in one session, printing each reply as a JSON line (the crash test reads
    them); with ``pause``, the last text's write of that action stops inside its transaction."""
    movi = await Movi.open(url, today=TODAY, role="admin", create=False, llm=False)
    try:
        for n, text in enumerate(texts):
            if pause is not None and n == len(texts) - 1:
                pause_inside_write(pause)
            reply = await movi.handle(text, page=BUS, session_id=session_id, user_id="crash-ops")
            line = {"text": text, "status": reply.status, "message": reply.message}
            print(json.dumps(line), flush=True)
    finally:
        await movi.close()


def main(argv: list[str] | None = None) -> None:
    """``python -m tests.reliability.procs_worker URL SESSION TEXT... [--pause ACTION]``"""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("url")
    parser.add_argument("session")
    parser.add_argument("texts", nargs="+")
    parser.add_argument("--pause", help="stop inside this action's write transaction")
    args = parser.parse_args(argv)
    asyncio.run(_converse(args.url, args.session, args.texts, args.pause))


if __name__ == "__main__":
    main(sys.argv[1:])
