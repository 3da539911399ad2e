"""Trips by id, by name and time, by time alone, or selected; the demo's hard cases.

Ids are never written here: they come from the build's ``hard_cases`` and from the rows.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from tests.resolve.support import TODAY, Demo, all_rows, stem, trip_row

from movi.resolve import MAX_OPTIONS, Resolution, resolve_trip
from movi.store.schema import DailyTrip

LABEL = re.compile(r"^.+ - \d\d:\d\d \(trip \d+, \d{4}-\d\d-\d\d(, [A-Z_]+( \d+ min)?)?\)$")


async def _resolve(
    session: AsyncSession, selected: int | None = None, **slots: object
) -> Resolution:
    return await resolve_trip(session, slots, today=TODAY, selected_trip_id=selected)


async def test_by_id_is_found_with_a_label_and_detail(demo: Demo, session: AsyncSession) -> None:
    trip_id = demo.summary.hard_cases["full"][0]
    row = await trip_row(session, trip_id)
    res = await _resolve(session, trip_id=trip_id)
    assert res.status == "found" and res.match is not None
    assert res.match.id == trip_id
    assert res.match.label == f"{row.display_name} (trip {trip_id}, {TODAY.isoformat()})"
    assert LABEL.match(res.match.label)
    assert res.match.detail["departure_time"] == f"{row.departure_time:%H:%M}"
    assert res.match.detail["active"] is True
    assert res.note is None and res.options == ()
    assert res.trace == (f"trip {trip_id} by id",)


async def test_unknown_trip_id_is_missing(session: AsyncSession) -> None:
    unknown = (await session.scalar(select(func.max(DailyTrip.trip_id))) or 0) + 1
    res = await _resolve(session, trip_id=unknown)
    assert res.status == "missing" and res.match is None
    assert str(unknown) in (res.note or "")


async def test_trip_id_of_another_day_is_found(demo: Demo, session: AsyncSession) -> None:
    tomorrow = [
        t
        for t in await all_rows(session, DailyTrip)
        if t.trip_date == TODAY + timedelta(days=1) and t.live_status == "SCHEDULED"
    ]
    res = await _resolve(session, trip_id=tomorrow[0].trip_id)
    assert res.status == "found" and res.note is None


async def test_same_name_at_several_times_is_ambiguous(demo: Demo, session: AsyncSession) -> None:
    ids = demo.summary.hard_cases["same_name_several_times"]
    name = stem((await trip_row(session, ids[0])).display_name)
    same = [
        t.trip_id
        for t in await all_rows(session, DailyTrip)
        if t.trip_date == TODAY and stem(t.display_name) == name
    ]
    assert len(same) >= 3
    res = await _resolve(session, trip_name=name)
    assert res.status == "ambiguous" and res.match is None
    assert len(res.options) == min(len(same), MAX_OPTIONS)
    assert {o.id for o in res.options} <= set(same)
    assert set(ids) <= {o.id for o in res.options}
    assert all(o.label.startswith(f"{name} - ") and LABEL.match(o.label) for o in res.options)
    assert f"{len(same)} trips match {name!r} on {TODAY.isoformat()}" in res.trace


async def test_name_and_time_find_each_of_them(demo: Demo, session: AsyncSession) -> None:
    for trip_id in demo.summary.hard_cases["same_name_several_times"]:
        row = await trip_row(session, trip_id)
        res = await _resolve(
            session, trip_name=stem(row.display_name), trip_time=f"{row.departure_time:%H:%M}"
        )
        assert res.status == "found" and res.match is not None
        assert res.match.id == trip_id


@pytest.mark.parametrize("spelling", ["{lower}", "{spaced}", "{upper}", "{joined}", "{mixed}"])
async def test_path2_8am_spellings(demo: Demo, session: AsyncSession, spelling: str) -> None:
    """ "path2", "Path 2", "PATH-2", "path-2" all name "Path-2" (the full trip at 08:00)."""
    trip_id = demo.summary.hard_cases["full"][0]
    row = await trip_row(session, trip_id)
    name = stem(row.display_name)
    typed = spelling.format(
        lower=name.lower(),
        spaced=name.replace("-", " "),
        upper=name.upper(),
        joined=name.replace("-", "").lower(),
        mixed=name.replace("-", " - ").swapcase(),
    )
    res = await _resolve(session, trip_name=typed, trip_time=f"{row.departure_time:%H:%M}")
    assert res.status == "found" and res.match is not None, res.trace
    assert res.match.id == trip_id
    assert res.match.score == 100.0


async def test_a_near_time_is_a_suggestion_not_a_match(demo: Demo, session: AsyncSession) -> None:
    trip_id = demo.summary.hard_cases["full"][0]
    row = await trip_row(session, trip_id)
    near = (row.departure_time.hour * 60 + row.departure_time.minute + 10) % (24 * 60)
    res = await _resolve(
        session, trip_name=stem(row.display_name), trip_time=f"{near // 60:02d}:{near % 60:02d}"
    )
    assert res.status == "missing"
    assert trip_id in [o.id for o in res.options]
    assert all(o.label.startswith(stem(row.display_name)) for o in res.options)
    assert "runs at" in (res.note or "")


async def test_time_alone_on_several_paths_is_ambiguous(demo: Demo, session: AsyncSession) -> None:
    ids = demo.summary.hard_cases["same_time_several_paths"]
    at = (await trip_row(session, ids[0])).departure_time
    at_that_time = [
        t.trip_id
        for t in await all_rows(session, DailyTrip)
        if t.trip_date == TODAY and t.departure_time == at
    ]
    res = await _resolve(session, trip_time=f"{at:%H:%M}")
    assert res.status == "ambiguous"
    assert len(res.options) == min(MAX_OPTIONS, len(at_that_time))
    assert {o.id for o in res.options} <= set(at_that_time)
    assert res.trace[-1].startswith(f"{len(at_that_time)} trips at {at:%H:%M}")


async def test_time_alone_with_one_trip_is_found(session: AsyncSession) -> None:
    today = [t for t in await all_rows(session, DailyTrip) if t.trip_date == TODAY]
    times = [t.departure_time for t in today]
    lone = next(
        t for t in today if times.count(t.departure_time) == 1 and t.live_status != "CANCELLED"
    )
    res = await _resolve(session, trip_time=f"{lone.departure_time:%H:%M}")
    assert res.status == "found" and res.match is not None
    assert res.match.id == lone.trip_id


async def test_time_with_no_trip_is_missing_with_the_nearest(session: AsyncSession) -> None:
    today = [t for t in await all_rows(session, DailyTrip) if t.trip_date == TODAY]
    taken = {t.departure_time.hour * 60 + t.departure_time.minute for t in today}
    free = next(m for m in range(6 * 60, 23 * 60) if m not in taken)
    res = await _resolve(session, trip_time=f"{free // 60:02d}:{free % 60:02d}")
    assert res.status == "missing" and res.options
    gaps = [
        abs(int(o.detail["departure_time"][:2]) * 60 + int(o.detail["departure_time"][3:]) - free)
        for o in res.options
    ]
    assert gaps == sorted(gaps)
    assert gaps[0] == min(abs(m - free) for m in taken)


@pytest.mark.parametrize("case", ["cancelled_today", "cancelled_tomorrow"])
async def test_a_cancelled_trip_is_found_with_a_note_and_active_options(
    demo: Demo, session: AsyncSession, case: str
) -> None:
    cancelled = sorted(demo.summary.hard_cases["cancelled"])
    rows = [await trip_row(session, i) for i in cancelled]
    row = next(
        r
        for r in rows
        if r.trip_date == (TODAY if case == "cancelled_today" else TODAY + timedelta(days=1))
    )
    res = await _resolve(
        session,
        trip_name=stem(row.display_name),
        trip_time=f"{row.departure_time:%H:%M}",
        date=row.trip_date.isoformat(),
    )
    assert res.status == "found" and res.match is not None
    assert res.match.id == row.trip_id
    assert res.match.detail["active"] is False
    assert res.note is not None
    assert res.note.startswith(f"trip {row.trip_id} ({row.display_name}) is CANCELLED")
    assert 1 <= len(res.options) <= MAX_OPTIONS
    for option in res.options:
        assert option.detail["name"] == stem(row.display_name)
        assert option.detail["active"] is True
        assert option.detail["live_status"] not in ("CANCELLED", "COMPLETED")
        assert option.detail["trip_date"] >= TODAY.isoformat()
    # Same time on another day ranks before another time.
    assert res.options[0].detail["departure_time"] == f"{row.departure_time:%H:%M}"


async def test_a_past_trip_is_found_with_a_note_and_todays_run(
    demo: Demo, session: AsyncSession
) -> None:
    trip_id = demo.summary.hard_cases["past"][0]
    row = await trip_row(session, trip_id)
    assert row.trip_date < TODAY
    res = await _resolve(session, trip_id=trip_id)
    assert res.status == "found" and res.match is not None and res.note is not None
    assert "in the past" in res.note and row.display_name in res.note
    first = res.options[0]
    assert first.detail["trip_date"] == TODAY.isoformat()
    assert first.label.startswith(row.display_name)
    assert all(o.detail["active"] for o in res.options)

    by_name = await _resolve(
        session,
        trip_name=stem(row.display_name),
        trip_time=f"{row.departure_time:%H:%M}",
        date=row.trip_date.isoformat(),
    )
    assert by_name.status == "found" and by_name.match is not None
    assert by_name.match.id == trip_id and by_name.note == res.note


async def test_selected_trip_when_the_slots_name_none(demo: Demo, session: AsyncSession) -> None:
    trip_id = demo.summary.hard_cases["no_driver"][0]
    res = await _resolve(session, selected=trip_id)
    assert res.status == "found" and res.match is not None and res.match.id == trip_id
    assert "the selected trip" in res.trace[0]
    # Slots that name a trip win over the selection.
    other = demo.summary.hard_cases["full"][0]
    named = await _resolve(session, selected=trip_id, trip_id=other)
    assert named.match is not None and named.match.id == other


async def test_nothing_to_go_on_is_missing_with_a_question(session: AsyncSession) -> None:
    res = await _resolve(session)
    assert res.status == "missing" and res.query == "" and res.options == ()
    assert res.note is not None and res.note.startswith("Which trip?")


async def test_a_typo_in_a_long_name_is_found(demo: Demo, session: AsyncSession) -> None:
    trip_id = demo.summary.hard_cases["bagur_tech_park_1930"][0]
    row = await trip_row(session, trip_id)
    typo = stem(row.display_name).lower().replace("park", "prk")
    res = await _resolve(session, trip_name=typo, trip_time=f"{row.departure_time:%H:%M}")
    assert res.status == "found" and res.match is not None and res.match.id == trip_id
    assert res.match.score < 100
    assert any(line.startswith(f"best {stem(row.display_name)!r}") for line in res.trace)


async def test_numbers_in_a_name_are_never_fuzzy(session: AsyncSession) -> None:
    """ "Path-17" is not "Path-1" or "Path-7", however close the strings."""
    names = {stem(t.display_name) for t in await all_rows(session, DailyTrip)}
    assert "Path-1" in names and "Path-17" not in names
    res = await _resolve(session, trip_name="path17", trip_time="08:00")
    assert res.status == "missing"
    assert all(o.detail["name"] != "Path-17" for o in res.options)
    assert "not every word agrees" in " ".join(res.trace)


async def test_a_name_not_running_that_day_suggests_nearby_days(
    demo: Demo, session: AsyncSession
) -> None:
    trip_id = demo.summary.hard_cases["full"][0]
    row = await trip_row(session, trip_id)
    after = demo.summary.last_date + timedelta(days=1)
    res = await _resolve(
        session,
        trip_name=stem(row.display_name),
        trip_time=f"{row.departure_time:%H:%M}",
        date=after.isoformat(),
    )
    assert res.status == "missing" and res.options
    assert res.options[0].detail["trip_date"] == demo.summary.last_date.isoformat()
    assert res.options[0].detail["departure_time"] == f"{row.departure_time:%H:%M}"


async def test_a_whole_display_name_in_trip_name(demo: Demo, session: AsyncSession) -> None:
    """choose_option may pass "Bagur Tech Park - 19:30" as the name: the time is read off it."""
    trip_id = demo.summary.hard_cases["bagur_tech_park_1930"][0]
    row = await trip_row(session, trip_id)
    res = await _resolve(session, trip_name=row.display_name)
    assert res.status == "found" and res.match is not None and res.match.id == trip_id


@pytest.mark.parametrize(
    ("slots", "word"),
    [
        ({"trip_time": "25:61"}, "not a time"),
        ({"trip_name": "Path-1", "date": "someday"}, "not a date"),
        ({"trip_id": "forty-two"}, "not a trip id"),
    ],
)
async def test_bad_slot_values_are_missing_not_errors(
    session: AsyncSession, slots: dict[str, object], word: str
) -> None:
    res = await resolve_trip(session, slots, today=TODAY, selected_trip_id=None)
    assert res.status == "missing" and word in (res.note or "")


async def test_a_string_trip_id_is_read(demo: Demo, session: AsyncSession) -> None:
    trip_id = demo.summary.hard_cases["full"][0]
    res = await _resolve(session, trip_id=f"#{trip_id}")
    assert res.match is not None and res.match.id == trip_id
