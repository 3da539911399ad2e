"""The paths that keep trip resolution flat at a million trips, checked for what they find.

An exact name is read through the stored ``daily_trips.name_key``; a misspelt name is ranked
against the names at the asked time, or against the day's names holding its numbers. Each test
compares with the tests' own reading of the rows: the key as :mod:`movi.resolve.names` computes
it, and :func:`pick_name` over every name at that time or on that day. Correctness only; speed
is for ``benchmarks/scale.py``.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, time, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select, text, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from tests.resolve.conftest import SCALE_TRIPS as TRIPS
from tests.resolve.support import TODAY, Demo, all_rows, scratch

from movi.engine import Movi
from movi.resolve import Resolution, resolve_trip
from movi.resolve.names import NAME_SEPARATORS, PLACE_CUTOFFS, pick_name, split_display_name
from movi.resolve.names import name_key as py_key
from movi.store import create_schema, make_engine, read_only
from movi.store.demo import DemoSpec, build_demo
from movi.store.schema import TRIP_NAME_SEPARATORS, DailyTrip


@pytest.fixture
def demo(scale_demo: Demo) -> Demo:
    """Overrides the default demo of ``conftest.py`` for this module: the 20,000-trip one."""
    return scale_demo


def _name(row: Row[Any]) -> str:
    return split_display_name(row.display_name)[0]


async def _resolve(session: AsyncSession, **slots: object) -> Resolution:
    return await resolve_trip(session, slots, today=TODAY, selected_trip_id=None)


def _typos(word: str, rng: random.Random) -> list[str]:
    """Two neighbouring letters of ``word`` swapped ("Path" → "Ptah"), and one dropped ("Pth")."""
    i, j = rng.randrange(len(word) - 1), rng.randrange(1, len(word))
    return [word[:i] + word[i + 1] + word[i] + word[i + 2 :], word[:j] + word[j + 1 :]]


# --- the stored key ----------------------------------------------------------------------------


def test_the_schema_drops_the_separators_the_resolver_drops() -> None:
    assert TRIP_NAME_SEPARATORS == NAME_SEPARATORS


async def test_every_trip_stores_the_key_of_its_name(session: AsyncSession) -> None:
    rows = list(await session.execute(select(DailyTrip.display_name, DailyTrip.name_key)))
    assert len(rows) == TRIPS
    wrong = [(d, k) for d, k in rows if k != py_key(split_display_name(d)[0])]
    assert wrong == []
    assert {k for _, k in rows} >= {"path17", "whitefieldshuttle", "bagurtechpark"}


async def _key_of(session: AsyncSession, trip_id: int) -> str:
    found = await session.scalar(select(DailyTrip.name_key).where(DailyTrip.trip_id == trip_id))
    assert found is not None
    return found


async def test_the_key_follows_every_writer(demo: Demo, session: AsyncSession) -> None:
    route_id = int((await all_rows(session, DailyTrip))[0].route_id)
    async with scratch(demo) as rw:
        trip = DailyTrip(
            route_id=route_id,
            display_name="Night Owl - 23:15",
            trip_date=TODAY,
            departure_time=time(23, 15),
        )
        rw.add(trip)
        await rw.flush()
        assert await _key_of(rw, trip.trip_id) == "nightowl"
        res = await _resolve(rw, trip_name="night owl", trip_time="23:15")
        assert res.status == "found" and res.match is not None and res.match.id == trip.trip_id

        # The ORM renames (as a retime or an undo does): the key follows, the old name is gone.
        trip.display_name = "Night Hawk - 23:45"
        trip.departure_time = time(23, 45)
        await rw.flush()
        assert await _key_of(rw, trip.trip_id) == "nighthawk"
        res = await _resolve(rw, trip_name="NIGHT-HAWK", trip_time="23:45")
        assert res.status == "found" and res.match is not None and res.match.id == trip.trip_id
        gone = await _resolve(rw, trip_name="night owl", trip_time="23:15")
        assert gone.status == "missing"

        # A Core update and a hand-written INSERT, which no ORM hook sees.
        await rw.execute(
            update(DailyTrip)
            .where(DailyTrip.trip_id == trip.trip_id)
            .values(display_name="Dawn Patrol - 05:10", departure_time=time(5, 10))
        )
        assert await _key_of(rw, trip.trip_id) == "dawnpatrol"
        await rw.execute(
            text(
                "INSERT INTO daily_trips (route_id, display_name, trip_date, departure_time, "
                "live_status, delay_minutes, version, updated_at) VALUES (:r, 'Late Lark (B) - "
                "22:05', :d, '22:05:00', 'SCHEDULED', 0, 1, CURRENT_TIMESTAMP)"
            ).bindparams(r=route_id, d=TODAY + timedelta(days=1)),
        )
        res = await _resolve(
            rw,
            trip_name="late lark b",
            trip_time="22:05",
            date=(TODAY + timedelta(days=1)).isoformat(),
        )
        assert res.status == "found" and res.match is not None
        assert res.match.detail["display_name"] == "Late Lark (B) - 22:05"


async def test_a_name_written_in_another_form_is_still_found(
    demo: Demo, session: AsyncSession
) -> None:
    """ "- 8:00" is not the " - HH:MM" movi writes: the stored key keeps the time, so the exact
    lookup misses, and the names at that time (compared in Python) find it all the same."""
    route_id = int((await all_rows(session, DailyTrip))[0].route_id)
    async with scratch(demo) as rw:
        trip_id = (
            await rw.execute(
                insert(DailyTrip)
                .values(
                    route_id=route_id,
                    display_name="Quarry Run - 8:00",
                    trip_date=TODAY,
                    departure_time=time(8, 0),
                )
                .returning(DailyTrip.trip_id)
            )
        ).scalar_one()
        assert await _key_of(rw, trip_id) == "quarryrun800"
        for slots in (
            {"trip_name": "quarry run", "trip_time": "08:00"},
            {"trip_name": "Quarry Run"},
        ):
            res = await _resolve(rw, **slots)
            assert res.status == "found" and res.match is not None, res.trace
            assert res.match.id == trip_id


# --- misspelt names: the narrowed pick is the pick over every name ------------------------------


def _expected(
    query: str, at: time, rows: list[Row[Any]]
) -> tuple[str, set[str]]:  # (status family, names)
    """What ranking every name decides: found at that time, else the pick over the day."""
    at_time = sorted({_name(r) for r in rows if r.departure_time == at})
    pick = pick_name(query, [(n, n) for n in at_time], noun="trip name", cutoffs=PLACE_CUTOFFS)
    if pick.status == "found":
        return "at_time", set(pick.names)
    day = sorted({_name(r) for r in rows})
    pick = pick_name(query, [(n, n) for n in day], noun="trip name", cutoffs=PLACE_CUTOFFS)
    return ("day" if pick.status != "missing" else "missing"), set(pick.names)


def _queries(rows: list[Row[Any]], rng: random.Random) -> list[tuple[str, time, Row[Any]]]:
    """Misspelt names with their own time, and with a time at which they do not run."""
    times = sorted({r.departure_time for r in rows})
    by_name: dict[str, set[time]] = defaultdict(set)
    for r in rows:
        by_name[_name(r)].add(r.departure_time)
    queries = []
    for row in rng.sample(rows, 40):
        word, _, rest = _name(row).partition(" " if " " in _name(row) else "-")
        other = rng.choice([t for t in times if t not in by_name[_name(row)]])
        for typo in _typos(word, rng):
            typed = f"{typo} {rest}".strip().lower()
            queries += [(typed, row.departure_time, row), (typed, other, row)]
    return queries


async def test_a_misspelt_name_finds_what_ranking_every_name_finds(
    session: AsyncSession,
) -> None:
    rows = [r for r in await all_rows(session, DailyTrip) if r.trip_date == TODAY]
    seen: dict[str, int] = defaultdict(int)
    for query, at, row in _queries(rows, random.Random(11)):
        res = await _resolve(session, trip_name=query, trip_time=f"{at:%H:%M}")
        family, names = _expected(query, at, rows)
        seen[family] += 1
        offered = {o.detail["name"] for o in res.options}
        context = (query, at, family, names, res.status, res.trace)
        if family == "at_time":
            assert res.status == "found" and res.match is not None, context
            assert res.match.detail["name"] in names and res.match.detail["departure_time"] == (
                f"{at:%H:%M}"
            )
        elif family == "day":
            # Found or ambiguous among the names ranking every name keeps; when none of them
            # runs at that time, their other times are offered.
            chosen = {res.match.detail["name"]} if res.match is not None else offered
            assert res.status != "missing" or "runs at" in (res.note or ""), context
            assert chosen and chosen <= names, context
        else:
            assert res.status == "missing" and res.match is None, context
            assert not any("runs at" in line for line in res.trace), context
        if row.display_name.startswith("Path-") and family != "missing":
            assert any(" hold " in line for line in res.trace) or family == "at_time", context
    # The sample covers each way a misspelt name can end.
    assert seen["at_time"] and seen["day"] and seen["missing"], dict(seen)


async def test_a_number_narrows_the_names_and_says_so(session: AsyncSession) -> None:
    rows = [r for r in await all_rows(session, DailyTrip) if r.trip_date == TODAY]
    target = next(r for r in rows if _name(r) == "Path-17")
    res = await _resolve(session, trip_name="pth 17", trip_time=f"{target.departure_time:%H:%M}")
    assert res.status == "found" and res.match is not None, res.trace
    assert res.match.id == target.trip_id
    holding = [line for line in res.trace if line.endswith(" hold 17")]
    assert len(holding) == 1
    # Path-17, Path-117 … at that time: fewer than all the names at that time.
    at_time = {_name(r) for r in rows if r.departure_time == target.departure_time}
    kept = int(holding[0].split()[0])
    assert 1 <= kept < len(at_time)
    assert kept == len({n for n in at_time if "17" in py_key(n)})


# --- the same name on nearby days ---------------------------------------------------------------


async def test_a_past_trip_offers_its_name_on_the_next_days(session: AsyncSession) -> None:
    rows = await all_rows(session, DailyTrip)
    yesterday = TODAY - timedelta(days=1)
    past = next(r for r in rows if r.trip_date == yesterday and _name(r).startswith("Path-"))
    res = await _resolve(
        session,
        trip_name=_name(past),
        trip_time=f"{past.departure_time:%H:%M}",
        date=yesterday.isoformat(),
    )
    assert res.status == "found" and res.match is not None and res.match.id == past.trip_id
    expected = {
        r.trip_id
        for r in rows
        if _name(r) == _name(past)
        and TODAY <= r.trip_date <= TODAY + timedelta(days=3)
        and r.live_status not in ("CANCELLED", "COMPLETED")
    }
    assert expected and {o.id for o in res.options} <= expected
    assert len(res.options) == min(len(expected), 5)


# --- through the executors ---------------------------------------------------------------------


async def _handled(movi: Movi, message: str) -> dict[str, Any]:
    reply = await movi.handle(message, page="busDashboard", session_id="sync", user_id="ops")
    if reply.status == "needs_confirmation":
        reply = await movi.handle("yes", page="busDashboard", session_id="sync", user_id="ops")
    assert reply.status == "completed", reply.message
    return dict(reply.data or {})


async def test_copied_and_retimed_trips_are_found_by_name(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        await create_schema(engine)
        await build_demo(engine, DemoSpec(today=TODAY))
        async with read_only(engine) as ro:
            row = next(
                r
                for r in await all_rows(ro, DailyTrip)
                if r.trip_date == TODAY + timedelta(days=1) and r.live_status == "SCHEDULED"
            )
        movi = await Movi.open(db_url, today=TODAY, role="admin", llm=False)
        try:
            copy = (await _handled(movi, f"duplicate trip {row.trip_id} for 2026-12-10"))["trip_id"]
            await _handled(movi, f"change the time of trip {row.trip_id} to 05:55")
        finally:
            await movi.close()
        day = TODAY + timedelta(days=1)
        async with read_only(engine) as ro:
            by_copy = await _resolve(
                ro,
                trip_name=_name(row).lower(),
                trip_time=f"{row.departure_time:%H:%M}",
                date=date(2026, 12, 10).isoformat(),
            )
            retimed = await _resolve(
                ro, trip_name=_name(row).upper(), trip_time="05:55", date=day.isoformat()
            )
            old_time = await _resolve(
                ro,
                trip_name=_name(row),
                trip_time=f"{row.departure_time:%H:%M}",
                date=day.isoformat(),
            )
        assert by_copy.status == "found" and by_copy.match is not None
        assert by_copy.match.id == copy
        assert retimed.status == "found" and retimed.match is not None
        assert retimed.match.id == row.trip_id
        assert retimed.match.detail["display_name"] == f"{_name(row)} - 05:55"
        assert old_time.match is None or old_time.match.id != row.trip_id
    finally:
        await engine.dispose()
