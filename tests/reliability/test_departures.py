"""Departure warnings (issue 7, item 5): the right trips, once each, even with several watchers."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as daytime

import pytest
from sqlalchemy import func, select, update
from tests.engine.support import TODAY, Demo, Rows

from movi.departures import departs_at, parse_interval
from movi.engine import Movi
from movi.store.schema import DailyTrip, Deployment, Notification, TripStatus


def at(hhmm: str) -> datetime:
    hour, minute = map(int, hhmm.split(":"))
    return datetime.combine(TODAY, datetime.min.time(), tzinfo=UTC).replace(
        hour=hour, minute=minute
    )


async def expected(rows: Rows, now: datetime) -> set[tuple[int, str]]:
    """The warnings due at ``now``, from the tests' own reading of the rows."""
    found = await rows.all(
        select(
            DailyTrip.trip_id,
            DailyTrip.trip_date,
            DailyTrip.departure_time,
            DailyTrip.delay_minutes,
            DailyTrip.live_status,
            Deployment.vehicle_id,
            Deployment.driver_id,
        ).outerjoin(Deployment, Deployment.trip_id == DailyTrip.trip_id)
    )
    clock = now.replace(tzinfo=None)
    due = set()
    for trip_id, day, departure, delay, status, vehicle, driver in found:
        leaves = departs_at(day, departure, delay)
        if str(status) not in ("SCHEDULED", "DELAYED") or not (
            clock <= leaves <= clock + timedelta(minutes=30)
        ):
            continue
        if vehicle is None:
            due.add((trip_id, "missing_vehicle"))
        if driver is None:
            due.add((trip_id, "missing_driver"))
    return due


async def notifications(rows: Rows) -> list[tuple[int, str]]:
    return [
        (r.trip_id, r.kind) for r in await rows.all(select(Notification.trip_id, Notification.kind))
    ]


async def departure(rows: Rows, trip_id: int) -> datetime:
    trip = await rows.trip(trip_id)
    leaves = departs_at(trip["trip_date"], trip["departure_time"], trip["delay_minutes"])
    return leaves.replace(tzinfo=UTC)


async def test_the_right_trips_are_warned_once(demo: Demo, rows: Rows) -> None:
    (trip,) = sorted(set(demo.cases["no_vehicle"]) - set(demo.cases["no_driver"]))
    now = await departure(rows, trip) - timedelta(minutes=20)
    movi = await Movi.open(demo.url, today=TODAY, role="admin", create=False)
    try:
        warned = await movi.check_departures(now)
        assert (trip, "missing_vehicle") in {(w.trip_id, w.kind) for w in warned}
        assert {(w.trip_id, w.kind) for w in warned} == await expected(rows, now)
        mine = next(w for w in warned if w.trip_id == trip)
        assert "without a vehicle" in mine.message and "in 20 min" in mine.message
        # Both kinds of the evening trip are hours away: not yet.
        evening = (set(demo.cases["no_vehicle"]) & set(demo.cases["no_driver"])).pop()
        assert evening not in {w.trip_id for w in warned}

        assert await movi.check_departures(now) == []
        later = await movi.check_departures(now + timedelta(minutes=5))
        assert trip not in {w.trip_id for w in later}
        assert sorted(await notifications(rows)).count((trip, "missing_vehicle")) == 1
    finally:
        await movi.close()


async def test_both_kinds_for_a_trip_without_vehicle_and_driver(demo: Demo, rows: Rows) -> None:
    (trip,) = sorted(set(demo.cases["no_vehicle"]) & set(demo.cases["no_driver"]))
    now = await departure(rows, trip) - timedelta(minutes=29)
    movi = await Movi.open(demo.url, today=TODAY, role="admin", create=False)
    try:
        warned = {(w.trip_id, w.kind) for w in await movi.check_departures(now)}
    finally:
        await movi.close()
    assert {(trip, "missing_vehicle"), (trip, "missing_driver")} <= warned
    assert warned == await expected(rows, now)


async def test_concurrent_watchers_write_each_warning_once(demo: Demo, rows: Rows) -> None:
    (trip,) = sorted(set(demo.cases["no_vehicle"]) & set(demo.cases["no_driver"]))
    now = await departure(rows, trip) - timedelta(minutes=10)
    watchers = [await Movi.open(demo.url, today=TODAY, role="admin") for _ in range(3)]
    try:
        results = await asyncio.gather(*(w.check_departures(now) for w in watchers))
    finally:
        for watcher in watchers:
            await watcher.close()
    written = [(w.trip_id, w.kind) for result in results for w in result]
    assert len(written) == len(set(written))  # each reported by exactly one watcher
    assert set(written) == await expected(rows, now)
    assert sorted(await notifications(rows)) == sorted(written)


async def test_cancelled_staffed_and_far_trips_are_not_warned(demo: Demo, rows: Rows) -> None:
    (cancelled,) = [
        t for t in demo.cases["cancelled"] if (await rows.trip(t))["trip_date"] == TODAY
    ]
    now = await departure(rows, cancelled) - timedelta(minutes=15)
    staffed = [
        r.trip_id
        for r in await rows.all(
            select(DailyTrip.trip_id)
            .join(Deployment, Deployment.trip_id == DailyTrip.trip_id)
            .where(
                DailyTrip.trip_date == TODAY,
                DailyTrip.live_status == TripStatus.SCHEDULED,
                Deployment.vehicle_id.is_not(None),
                Deployment.driver_id.is_not(None),
            )
        )
    ]
    movi = await Movi.open(demo.url, today=TODAY, role="admin", create=False)
    try:
        first = await movi.check_departures(now)
        far = await movi.check_departures(now + timedelta(hours=3))
    finally:
        await movi.close()
    warned = {w.trip_id for w in first}
    assert cancelled not in warned
    assert not warned & set(staffed)
    for warning in far:  # nothing outside the window
        leaves = await departure(rows, warning.trip_id)
        assert now + timedelta(hours=3) <= leaves <= now + timedelta(hours=3, minutes=30)
    assert int(await rows.scalar(select(func.count()).select_from(Notification))) == len(
        first
    ) + len(far)


def test_intervals() -> None:
    assert parse_interval("30s") == 30
    assert parse_interval("5m") == 300
    assert parse_interval("1h") == 3600
    assert parse_interval("2") == 2


async def test_movi_watch_once_prints_the_warnings(demo: Demo, rows: Rows) -> None:
    (trip,) = sorted(set(demo.cases["no_vehicle"]) - set(demo.cases["no_driver"]))
    now = await departure(rows, trip) - timedelta(minutes=20)
    command = [
        sys.executable, "-m", "movi.cli", "watch", "--db", demo.url, "--once",
        "--now", now.isoformat(),
    ]  # fmt: skip
    done = await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert f"[missing_vehicle] {(await rows.trip(trip))['display_name']}" in done.stdout
    assert f"trip {trip}" in done.stdout
    again = await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, timeout=60
    )
    assert again.returncode == 0 and again.stdout == "", again.stdout


async def test_movi_watch_loops_and_stops_cleanly_on_ctrl_c(demo: Demo, rows: Rows) -> None:
    (trip,) = sorted(set(demo.cases["no_vehicle"]) - set(demo.cases["no_driver"]))
    now = await departure(rows, trip) - timedelta(minutes=20)
    command = [
        sys.executable, "-m", "movi.cli", "watch", "--db", demo.url, "--every", "1s",
        "--now", now.isoformat(),
    ]  # fmt: skip

    def watch() -> tuple[int, str, str]:
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # A shell's background job may ignore SIGINT; the watcher gets it as a terminal would.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        assert process.stdout is not None
        first = process.stdout.readline()  # the first check has run
        time.sleep(1.5)  # and the loop sleeps or checks again
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
        return process.returncode, first + out, err

    code, out, err = await asyncio.to_thread(watch)
    assert code == 0, err
    assert out.count("[missing_vehicle]") >= 1 and out.count(f"trip {trip},") == 1
    assert "stopped" in err


async def _move(rows: Rows, trip_id: int, day: date, departure: daytime, delay: int) -> None:
    async with rows.engine.begin() as conn:
        await conn.execute(
            update(DailyTrip)
            .where(DailyTrip.trip_id == trip_id)
            .values(trip_date=day, departure_time=departure, delay_minutes=delay)
        )


@pytest.mark.parametrize(
    ("day_offset", "departure", "delay", "now_hhmm", "warned"),
    [
        (-1, daytime(23, 50), 30, "00:05", True),  # yesterday's, carried past midnight by a delay
        (-1, daytime(23, 50), 0, "00:05", False),  # yesterday's, on time: gone
        (0, daytime(23, 55), 0, "23:40", True),  # late tonight
        (1, daytime(0, 5), 0, "23:45", True),  # the window crosses midnight
        (1, daytime(0, 40), 0, "23:45", False),  # ... but not that far
        (0, daytime(6, 0), 45, "06:30", True),  # scheduled before the window, delayed into it
        (0, daytime(6, 0), 5, "06:30", False),  # delayed, still before the window
    ],
)
async def test_the_window_follows_delays_and_midnight(
    demo: Demo,
    rows: Rows,
    day_offset: int,
    departure: daytime,
    delay: int,
    now_hhmm: str,
    warned: bool,
) -> None:
    """What the SQL narrowing lets through is exactly what the window says, at its edges."""
    (trip,) = sorted(set(demo.cases["no_vehicle"]) - set(demo.cases["no_driver"]))
    await _move(rows, trip, TODAY + timedelta(days=day_offset), departure, delay)
    now = at(now_hhmm)
    movi = await Movi.open(demo.url, today=TODAY, role="admin", create=False)
    try:
        found = {(w.trip_id, w.kind) for w in await movi.check_departures(now)}
    finally:
        await movi.close()
    assert ((trip, "missing_vehicle") in found) is warned
    assert found == await expected(rows, now)
