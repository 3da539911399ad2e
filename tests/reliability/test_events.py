"""Live updates (issue 7, item 6): ``engine.subscribe`` on both backends, and across processes on
PostgreSQL through LISTEN/NOTIFY."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from tests.engine.support import TODAY, TOMORROW, Demo, Rows, build, say

from movi.engine import Movi
from movi.events import Event
from movi.store import drop_pg_schema
from movi.store.schema import DailyTrip

WAIT_S = 20.0
"""How long a test waits for an event that must come (generous: the machine may be busy)."""


class Inbox:
    """Collects events; ``wait`` returns once ``count`` have arrived."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._arrived = asyncio.Event()

    def __call__(self, event: Event) -> None:
        self.events.append(event)
        self._arrived.set()

    async def wait(self, count: int = 1) -> list[Event]:
        async with asyncio.timeout(WAIT_S):
            while len(self.events) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.events

    async def quiet(self) -> list[Event]:
        """What arrived after giving in-flight deliveries a moment (for 'nothing came')."""
        for _ in range(20):
            await asyncio.sleep(0.05)
        return self.events


async def removable_trip(rows: Rows) -> int:
    """A trip of today with a vehicle and no bookings: removing its vehicle needs no yes."""
    for trip in await rows.trips_without_bookings():
        if (await rows.trip(trip))["vehicle_id"]:
            return trip
    raise AssertionError("the demo has no trip with a vehicle and no bookings")


async def test_a_write_announces_the_trip_it_changed(demo: Demo, rows: Rows) -> None:
    trip = await removable_trip(rows)
    inbox = Inbox()
    async with await Movi.open(demo.url, today=TODAY, role="admin") as movi:
        await movi.subscribe(inbox)
        reply = await say(movi, f"remove the vehicle from trip {trip}", session="ev-1")
        assert reply.status == "completed", reply.message
        (event,) = await inbox.wait()
    assert event.kind == "trip_updated"
    assert event.trip_id == trip
    assert event.action == "remove_vehicle"
    assert event.changes["vehicle_id"] is None
    assert "display_name" not in event.changes  # only what changed
    assert (event.user_id, event.session_id, event.origin) == ("ops-7", "ev-1", os.getpid())


async def test_reads_refusals_and_declined_writes_announce_nothing(demo: Demo, rows: Rows) -> None:
    risky = demo.cases["remove_vehicle_with_bookings"][0]
    inbox = Inbox()
    async with await Movi.open(demo.url, today=TODAY, role="admin") as movi:
        await movi.subscribe(inbox)
        assert (await say(movi, f"show details of trip {risky}")).status == "completed"
        asked = await say(movi, f"remove the vehicle from trip {risky}", session="ev-2")
        assert asked.status == "needs_confirmation"
        assert (await say(movi, "no", session="ev-2")).status == "cancelled"
        viewer = await say(movi, f"cancel trip {risky}", session="ev-3", role="viewer")
        assert viewer.status == "rejected"
        assert await inbox.quiet() == []
        assert (await rows.trip(risky))["vehicle_id"] is not None


async def test_every_subscriber_of_the_database_hears_a_write_and_closed_ones_do_not(
    demo: Demo, rows: Rows
) -> None:
    """Two engines on one database in this process: a write through either reaches both."""
    first_trip = await removable_trip(rows)
    first, second, gone = Inbox(), Inbox(), Inbox()
    async with (
        await Movi.open(demo.url, today=TODAY, role="admin") as writer,
        await Movi.open(demo.url, today=TODAY, role="admin") as reader,
    ):
        await writer.subscribe(first)
        await reader.subscribe(second)
        closed = await reader.subscribe(gone)
        await closed.close()
        await say(writer, f"remove the vehicle from trip {first_trip}", session="ev-4")
        assert [e.trip_id for e in await first.wait()] == [first_trip]
        assert [e.trip_id for e in await second.wait()] == [first_trip]
        assert await gone.quiet() == []


async def test_a_failing_subscriber_does_not_break_the_write_or_the_others(
    demo: Demo, rows: Rows
) -> None:
    trip = await removable_trip(rows)
    inbox = Inbox()

    def broken(event: Event) -> None:
        raise RuntimeError("subscriber bug")

    async def slow(event: Event) -> None:  # a coroutine callback works as well
        await asyncio.sleep(0.01)
        inbox(event)

    async with await Movi.open(demo.url, today=TODAY, role="admin") as movi:
        await movi.subscribe(broken)
        await movi.subscribe(slow)
        reply = await say(movi, f"remove the vehicle from trip {trip}", session="ev-5")
        assert reply.status == "completed", reply.message
        assert [e.trip_id for e in await inbox.wait()] == [trip]
    assert (await rows.trip(trip))["vehicle_id"] is None


async def test_departure_warnings_are_announced_once(demo: Demo, rows: Rows) -> None:
    inbox = Inbox()
    bare = await rows.trip(demo.cases["no_vehicle"][0])
    leaves = datetime.combine(bare["trip_date"], bare["departure_time"], tzinfo=UTC)
    now = leaves - timedelta(minutes=10 - bare["delay_minutes"])
    async with await Movi.open(demo.url, today=TODAY, role="admin") as movi:
        await movi.subscribe(inbox)
        written = await movi.check_departures(now)
        assert written, "the demo has trips leaving soon without a vehicle or driver"
        again = await movi.check_departures(now)
        events = await inbox.wait(len(written))
        assert again == []
        assert await inbox.quiet() == events
    assert {(e.kind, e.notification_id, e.notification_kind) for e in events} == {
        ("notification", w.notification_id, w.kind) for w in written
    }


async def test_a_bulk_write_announces_every_trip(demo: Demo, rows: Rows) -> None:
    inbox = Inbox()
    async with await Movi.open(demo.url, today=TODAY, role="admin") as movi:
        await movi.subscribe(inbox)
        live = await rows.all(
            select(DailyTrip.trip_id).where(
                DailyTrip.trip_date == TOMORROW,
                DailyTrip.live_status.in_(("SCHEDULED", "DELAYED")),
            )
        )
        asked = await say(movi, "cancel all trips tomorrow", session="ev-6")
        assert asked.status == "needs_confirmation", asked.message
        done = await say(movi, "yes", session="ev-6")
        assert done.status == "completed", done.message
        events = await inbox.wait(len(live))
    assert sorted(e.trip_id for e in events) == sorted(t for (t,) in live)
    assert {e.changes.get("live_status") for e in events} == {"CANCELLED"}


# --- across processes (PostgreSQL) ------------------------------------------------------------


def _events_process(url: str, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "movi.cli", "events", "--db", url, "--count", str(count)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def test_a_change_in_one_process_reaches_a_subscriber_in_another(
    pg_url: str,
) -> None:
    demo = await build(pg_url)
    rows = Rows(demo.url)
    try:
        trip = await removable_trip(rows)
        listener = _events_process(demo.url, count=1)
        try:
            assert listener.stderr is not None
            ready = await asyncio.wait_for(asyncio.to_thread(listener.stderr.readline), WAIT_S)
            assert "listening" in ready
            async with await Movi.open(demo.url, today=TODAY, role="admin") as movi:
                reply = await say(movi, f"remove the vehicle from trip {trip}", session="x-1")
                assert reply.status == "completed", reply.message
            out, err = await asyncio.wait_for(asyncio.to_thread(listener.communicate), WAIT_S)
        finally:
            if listener.poll() is None:
                listener.kill()
        assert listener.returncode == 0, err
        event = Event.model_validate_json(out.strip())
        assert (event.kind, event.trip_id, event.action) == ("trip_updated", trip, "remove_vehicle")
        assert event.origin == os.getpid() != listener.pid
    finally:
        await rows.close()


async def test_a_subscriber_hears_writes_made_by_another_process(
    pg_url: str, tmp_path: Path
) -> None:
    demo = await build(pg_url)
    rows = Rows(demo.url)
    inbox = Inbox()
    try:
        trip = await removable_trip(rows)
        script = Path(tmp_path) / "script.jsonl"
        line = json.dumps({"text": f"remove the vehicle from trip {trip}"}) + "\n"
        await asyncio.to_thread(script.write_text, line, encoding="utf-8")
        async with await Movi.open(demo.url, today=TODAY, role="admin") as movi:
            await movi.subscribe(inbox)
            command = [
                sys.executable, "-m", "movi.cli", "chat", "--db", demo.url,
                "--today", TODAY.isoformat(), "--script", str(script), "--json",
            ]  # fmt: skip
            done = await asyncio.to_thread(
                subprocess.run, command, capture_output=True, text=True, timeout=120
            )
            assert done.returncode == 0, done.stderr
            assert json.loads(done.stdout)["status"] == "completed", done.stdout
            (event,) = await inbox.wait()
        assert (event.trip_id, event.action) == (trip, "remove_vehicle")
        assert event.origin not in (0, os.getpid())  # written by the chat process
    finally:
        await rows.close()


async def test_schemas_on_one_server_do_not_hear_each_other(pg_url: str) -> None:
    """Tenants (schemas) share the server, not their events."""
    demo = await build(pg_url)
    base, schema = pg_url.rsplit("schema=", 1)
    other_url = f"{base}schema={schema}_b"  # a second tenant beside the fixture's
    rows = Rows(demo.url)
    mine, theirs = Inbox(), Inbox()
    try:
        trip = await removable_trip(rows)
        other = await Movi.open(other_url, today=TODAY, role="admin")
        try:
            await other.subscribe(theirs)
            async with await Movi.open(demo.url, today=TODAY, role="admin") as movi:
                await movi.subscribe(mine)
                await say(movi, f"remove the vehicle from trip {trip}", session="x-3")
                await mine.wait()
            assert await theirs.quiet() == []
        finally:
            await other.close()
            await drop_pg_schema(other_url)
    finally:
        await rows.close()


async def test_a_write_from_another_thread_reaches_the_subscriber_in_its_own_loop(
    demo: Demo, rows: Rows
) -> None:
    """A web server may run engines in worker threads, each with its own event loop."""
    trip = await removable_trip(rows)
    inbox = Inbox()

    async def write() -> str:
        async with await Movi.open(demo.url, today=TODAY, role="admin") as movi:
            reply = await say(movi, f"remove the vehicle from trip {trip}", session="ev-7")
            return reply.status

    async with await Movi.open(demo.url, today=TODAY, role="admin") as movi:
        subscription = await movi.subscribe(inbox)
        assert await asyncio.to_thread(asyncio.run, write()) == "completed"
        assert [e.trip_id for e in await inbox.wait()] == [trip]
        await subscription.close()
        assert subscription.closed
