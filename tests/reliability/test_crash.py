"""A process killed in the middle of a confirmed write (issue 7, item 2).

A worker process (``python -m tests.reliability.procs_worker``) opens movi, asks to remove the
vehicle from a trip with bookings (a risky action: movi asks first), then says "yes" with a hook
that stops the write inside its transaction, after the executor has written and before the
commit. The test reads the line the hook prints once paused and kills the process with SIGKILL,
as a power cut or the OOM killer would. Then, from fresh connections and fresh processes:

- nothing of the write is visible: the deployment, the bookings, the trip's version and the audit
  log are as they were (also while the writer was still paused: no dirty read);
- the database takes the next writer (on SQLite: the dead process's lock is gone, the WAL is
  recovered);
- SPEC: agent_sessions survive restarts and are shared by all processes, and a confirmation
  executes once. So the confirmation the killed process was carrying out is still pending: a new
  process saying "yes" in the same session executes it exactly once, and a further "yes" does
  nothing.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from asyncio.subprocess import PIPE
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, insert, select
from tests.engine.support import TODAY, Demo, Rows

from movi.store import read_only
from movi.store.schema import (
    AgentSession,
    AuditLog,
    Booking,
    BookingStatus,
    DailyTrip,
    Deployment,
    Notification,
    TripStatus,
)

ROOT = Path(__file__).resolve().parents[2]
SESSION = "crash-1"
WAIT = 120.0
"""Seconds to wait for the worker to reach the pause before giving up (a hang, not a timing)."""


@dataclass
class Killed:
    """What the test knows after the kill: the trip, its state before, what the worker said."""

    demo: Demo
    rows: Rows
    trip_id: int
    before: dict[str, Any]
    asked: dict[str, Any]
    seen_while_paused: dict[str, Any]


def worker(url: str, *texts: str, pause: str | None = None) -> list[str]:
    """The command line of a fresh worker process saying ``texts`` in the session."""
    command = [sys.executable, "-m", "tests.reliability.procs_worker", url, SESSION, *texts]
    return command + (["--pause", pause] if pause else [])


async def say(url: str, text: str) -> dict[str, Any]:
    """Run a fresh process that says ``text`` in the session; its reply."""
    process = await asyncio.create_subprocess_exec(
        *worker(url, text), cwd=ROOT, stdout=PIPE, stderr=PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), WAIT)
    assert process.returncode == 0, err.decode()
    reply: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return reply


async def state(rows: Rows, trip_id: int) -> dict[str, Any]:
    """Everything a committed removal would have changed, read without waiting for writers."""
    async with read_only(rows.engine) as session:
        vehicle_id, deployment_version, version = (
            await session.execute(
                select(Deployment.vehicle_id, Deployment.version, DailyTrip.version)
                .join(DailyTrip, DailyTrip.trip_id == Deployment.trip_id)
                .where(Deployment.trip_id == trip_id)
            )
        ).one()
        booked = await session.scalar(
            select(func.count())
            .select_from(Booking)
            .where(Booking.trip_id == trip_id, Booking.status == BookingStatus.CONFIRMED)
        )
        audit = await session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.entity_id == trip_id)
        )
    return {
        "vehicle_id": vehicle_id,
        "version": version,
        "deployment_version": deployment_version,
        "booked": int(booked or 0),
        "audit_rows": int(audit or 0),
    }


async def pending(rows: Rows) -> Any:
    async with read_only(rows.engine) as session:
        return await session.scalar(
            select(AgentSession.pending).where(AgentSession.session_id == SESSION)
        )


async def risky_trip(rows: Rows) -> int:
    """A scheduled trip from today on, with a vehicle and confirmed bookings."""
    booked = select(Booking.trip_id).where(Booking.status == BookingStatus.CONFIRMED)
    found = await rows.scalar(
        select(DailyTrip.trip_id)
        .join(Deployment, Deployment.trip_id == DailyTrip.trip_id)
        .where(
            DailyTrip.trip_date >= TODAY,
            DailyTrip.live_status == TripStatus.SCHEDULED,
            Deployment.vehicle_id.is_not(None),
            DailyTrip.trip_id.in_(booked),
        )
        .order_by(DailyTrip.trip_id)
        .limit(1)
    )
    assert found is not None, "the demo has no scheduled trip with a vehicle and bookings"
    return int(found)


@pytest.fixture
async def killed(demo: Demo, rows: Rows) -> AsyncIterator[Killed]:
    """A worker killed with SIGKILL while its confirmed removal sits inside the transaction."""
    trip_id = await risky_trip(rows)
    before = await state(rows, trip_id)
    ask = f"remove the vehicle from trip {trip_id}"
    process = await asyncio.create_subprocess_exec(
        *worker(demo.url, ask, "yes", pause="remove_vehicle"), cwd=ROOT, stdout=PIPE, stderr=PIPE
    )
    assert process.stdout is not None
    try:
        asked = json.loads(await asyncio.wait_for(process.stdout.readline(), WAIT) or "null")
        paused = json.loads(await asyncio.wait_for(process.stdout.readline(), WAIT) or "null")
        if not paused or "paused" not in paused:
            process.kill()
            _, err = await process.communicate()
            pytest.fail(f"the worker never reached the pause: {asked} {paused}\n{err.decode()}")
        seen = await state(rows, trip_id)
        os.kill(process.pid, signal.SIGKILL)
        await asyncio.wait_for(process.communicate(), WAIT)
    finally:
        if process.returncode is None:
            process.kill()
            await process.communicate()
    assert process.returncode == -signal.SIGKILL
    yield Killed(demo, rows, trip_id, before, asked, seen)


async def test_a_killed_write_leaves_nothing_behind(killed: Killed) -> None:
    assert killed.asked["status"] == "needs_confirmation", killed.asked
    assert killed.before["vehicle_id"] is not None and killed.before["booked"] > 0
    assert killed.seen_while_paused == killed.before, "another connection saw the unfinished write"
    assert await state(killed.rows, killed.trip_id) == killed.before


async def test_the_database_takes_the_next_writer(killed: Killed) -> None:
    # A fresh engine (another connection, after the killed one): BEGIN IMMEDIATE on SQLite.
    rows = Rows(killed.demo.url)
    try:
        async with rows.engine.begin() as conn:
            await conn.execute(
                insert(Notification).values(kind="crash_test", trip_id=None, message="written")
            )
        assert (
            await rows.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.kind == "crash_test")
            )
            == 1
        )
        async with rows.engine.begin() as conn:
            await conn.execute(delete(Notification).where(Notification.kind == "crash_test"))
    finally:
        await rows.close()


async def test_a_killed_confirmation_is_still_pending_and_runs_once(killed: Killed) -> None:
    waiting = await pending(killed.rows)
    assert waiting is not None and waiting["kind"] == "confirmation", (
        "SPEC: the pending confirmation survives the crash of the process that was carrying it "
        f"out, but agent_sessions holds {waiting!r} for the session (see /tmp/procs/FINDING.md)"
    )
    assert waiting["job"]["action"] == "remove_vehicle"
    assert waiting["job"]["ids"]["trip"] == killed.trip_id

    first = await say(killed.demo.url, "yes")
    assert first["status"] == "completed", first
    after = await state(killed.rows, killed.trip_id)
    assert after["vehicle_id"] is None and after["booked"] == 0
    assert after["audit_rows"] == killed.before["audit_rows"] + 1
    assert after["version"] > killed.before["version"]

    again = await say(killed.demo.url, "yes")
    assert again["status"] != "completed", again
    assert await state(killed.rows, killed.trip_id) == after
    assert await pending(killed.rows) is None
