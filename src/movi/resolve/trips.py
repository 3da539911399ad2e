"""Which daily trip the operator means: by id, by name and time on a day, by time, or selected.

A trip's display name reads "<name> - HH:MM"; only the name part is fuzzy-matched (see
:mod:`movi.resolve.names`), the time is compared exactly with ``departure_time`` (a near time is a
suggestion, never a match), and every query is narrowed to one day in SQL first, so the cost is
that of one day's trips however many days the table holds.

A trip that is cancelled, completed or in the past is still ``found`` (the operator may want to
look at it) but carries a ``note`` and, as ``options``, active trips of the same name at other
times or on other days, so that the engine never acts on it silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from movi.resolve.names import (
    PLACE_CUTOFFS,
    Scored,
    counted,
    like_prefix,
    name_key,
    name_key_sql,
    pick_name,
    shown,
    split_display_name,
    split_time_suffix,
)
from movi.resolve.resolution import MAX_OPTIONS, Match, Resolution
from movi.store.schema import DailyTrip, TripStatus

NEARBY_DAYS = 3
"""Days either side searched for the same trip name: for suggestions when the asked day has no
such trip, and for active alternatives to a cancelled or past trip."""

INACTIVE_STATUSES = frozenset({TripStatus.CANCELLED, TripStatus.COMPLETED})
"""Trips in these states are reported as such and never acted on silently."""

ASK_WHICH_TRIP = (
    'Which trip? Give its id ("trip 42"), or its name and time ("Path-2 at 08:00"), '
    "or select it on the dashboard."
)

_COLUMNS = (
    DailyTrip.trip_id,
    DailyTrip.display_name,
    DailyTrip.trip_date,
    DailyTrip.departure_time,
    DailyTrip.live_status,
    DailyTrip.delay_minutes,
    DailyTrip.route_id,
)


_TripSelect = Select[int, str, date, time, TripStatus, int, int]


@dataclass(frozen=True, slots=True)
class _Trip:
    trip_id: int
    display_name: str
    trip_date: date
    departure_time: time
    live_status: TripStatus
    delay_minutes: int
    route_id: int

    @property
    def name(self) -> str:
        return split_display_name(self.display_name)[0]

    def active(self, today: date) -> bool:
        return self.live_status not in INACTIVE_STATUSES and self.trip_date >= today


def _hhmm(value: time) -> str:
    return f"{value:%H:%M}"


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def _time_score(value: time, at: time) -> float:
    """A suggestion's score: 100 less one per minute away from the asked time."""
    return float(max(0, 100 - abs(_minutes(value) - _minutes(at))))


def trip_label(trip: _Trip) -> str:
    """ "Path-2 - 08:00 (trip 42, 2026-11-28)", with the state when it is not SCHEDULED."""
    state = ""
    if trip.live_status is TripStatus.DELAYED and trip.delay_minutes:
        state = f", DELAYED {trip.delay_minutes} min"
    elif trip.live_status is not TripStatus.SCHEDULED:
        state = f", {trip.live_status.value}"
    return f"{trip.display_name} (trip {trip.trip_id}, {trip.trip_date.isoformat()}{state})"


def _match(trip: _Trip, score: float, today: date) -> Match:
    return Match(
        id=trip.trip_id,
        label=trip_label(trip),
        score=score,
        detail={
            "trip_id": trip.trip_id,
            "display_name": trip.display_name,
            "name": trip.name,
            "trip_date": trip.trip_date.isoformat(),
            "departure_time": _hhmm(trip.departure_time),
            "live_status": trip.live_status.value,
            "delay_minutes": trip.delay_minutes,
            "route_id": trip.route_id,
            "active": trip.active(today),
        },
    )


async def _fetch(session: AsyncSession, stmt: _TripSelect) -> list[_Trip]:
    rows = await session.execute(stmt)
    return [_Trip(*row) for row in rows]


def _by_name_key(stmt: _TripSelect, key: str) -> _TripSelect:
    """Rows whose display name starts with ``key`` once compared as keys (a pre-filter: the
    caller keeps those whose name part equals ``key``)."""
    return stmt.where(name_key_sql(DailyTrip.display_name).like(like_prefix(key), escape="\\"))


# --- slot reading -----------------------------------------------------------------------------


def _slot_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("#").isdigit():
        return int(value.strip().lstrip("#"))
    return None


def _slot_time(value: Any) -> time | None:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    if isinstance(value, str):
        _, parsed = split_display_name(f"x - {value.strip()}")
        return parsed
    return None


def _slot_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _missing(
    query: str, note: str, trace: Iterable[str], options: Sequence[Match] = ()
) -> Resolution:
    return Resolution(
        entity="trip",
        status="missing",
        query=query,
        note=note,
        options=tuple(options)[:MAX_OPTIONS],
        trace=tuple(trace),
    )


# --- the resolver -----------------------------------------------------------------------------


async def resolve_trip(
    session: AsyncSession,
    slots: Mapping[str, Any],
    *,
    today: date,
    selected_trip_id: int | None,
) -> Resolution:
    """The trip that ``slots`` (SPEC section 3 normal forms) refer to.

    By ``trip_id``; else by ``trip_name`` (and ``trip_time``) on ``date`` (default ``today``);
    else by ``trip_time`` alone on that day; else the selected trip when the slots name none;
    else ``missing`` with a question.
    """
    raw_id, raw_name = slots.get("trip_id"), slots.get("trip_name")
    raw_time, raw_date = slots.get("trip_time"), slots.get("date")
    trace: list[str] = []

    if raw_id is not None:
        trip_id = _slot_int(raw_id)
        if trip_id is None:
            return _missing(str(raw_id), f"{raw_id!r} is not a trip id.", ["bad trip_id slot"])
        return await _by_id(session, trip_id, today=today, how="by id")

    day = _slot_date(raw_date) if raw_date is not None else today
    if day is None:
        return _missing(
            str(raw_date), f"{raw_date!r} is not a date (YYYY-MM-DD).", ["bad date slot"]
        )
    at = _slot_time(raw_time) if raw_time is not None else None
    if raw_time is not None and at is None:
        return _missing(str(raw_time), f"{raw_time!r} is not a time (HH:MM).", ["bad time slot"])
    if raw_date is None:
        trace.append(f"no date given: {day.isoformat()} (today)")

    name = str(raw_name).strip() if raw_name is not None else ""
    if name:
        typed_name, typed_time = split_time_suffix(name)
        if typed_time is not None and at is None:
            name, at = typed_name, typed_time
            trace.append(f"time {_hhmm(at)} read from the name")
        return await _by_name(session, name, at, day, today=today, trace=trace)
    if at is not None:
        return await _by_time(session, at, day, today=today, trace=trace)
    if selected_trip_id is not None:
        return await _by_id(session, selected_trip_id, today=today, how="the selected trip")
    return _missing("", ASK_WHICH_TRIP, ["no trip id, name or time, and no trip selected"])


async def _by_id(session: AsyncSession, trip_id: int, *, today: date, how: str) -> Resolution:
    query = f"trip {trip_id}"
    trips = await _fetch(session, select(*_COLUMNS).where(DailyTrip.trip_id == trip_id))
    if not trips:
        return _missing(query, f"There is no trip {trip_id}.", [f"no trip with id {trip_id}"])
    return await _found(session, trips[0], 100.0, query, [f"trip {trip_id} {how}"], today=today)


async def _by_name(
    session: AsyncSession,
    name: str,
    at: time | None,
    day: date,
    *,
    today: date,
    trace: list[str],
) -> Resolution:
    query = name + (f" at {_hhmm(at)}" if at else "") + f" on {day.isoformat()}"
    key = name_key(name)
    on_day = select(*_COLUMNS).where(DailyTrip.trip_date == day)

    # Exact name first: a pre-filter in SQL on the day, then the name part compared in Python.
    # With a time, the (trip_date, departure_time) index narrows it to a handful of rows first.
    candidates = []
    if at is not None:
        candidates = [
            Scored(t, t.name, 100.0)
            for t in await _fetch(session, on_day.where(DailyTrip.departure_time == at))
            if name_key(t.name) == key
        ]
    if not candidates:
        candidates = [
            Scored(t, t.name, 100.0)
            for t in await _fetch(session, _by_name_key(on_day, key))
            if name_key(t.name) == key
        ]
    if not candidates and at is not None:
        # A misspelt name with a time: the trips at that time first (one small index range);
        # only a clear match is taken here, anything less falls through to the whole day.
        at_time = await _fetch(session, on_day.where(DailyTrip.departure_time == at))
        pick = pick_name(
            name,
            [(n, n) for n in sorted({t.name for t in at_time})],
            noun="trip name",
            cutoffs=PLACE_CUTOFFS,
        )
        if pick.status == "found":
            trace.extend(pick.trace)
            scores = {s.name: s.score for s in pick.ranked[:1]}
            candidates = [Scored(t, t.name, scores[t.name]) for t in at_time if t.name in scores]
    if candidates:
        trace.append(
            f"{counted(len(candidates), 'trip')} named {candidates[0].name!r} on {day.isoformat()}"
        )
    else:
        # No exact name: the day's trips (one index range), their names ranked by rapidfuzz.
        day_trips = await _fetch(session, on_day)
        day_names = sorted({t.name for t in day_trips})
        trace.append(f"{counted(len(day_names), 'trip name')} on {day.isoformat()}")
        pick = pick_name(name, [(n, n) for n in day_names], noun="trip name", cutoffs=PLACE_CUTOFFS)
        trace.extend(pick.trace)
        kept = pick.ranked if pick.status != "missing" else pick.ranked[:MAX_OPTIONS]
        scores = {s.name: s.score for s in kept}
        scored = [Scored(t, t.name, scores[t.name]) for t in day_trips if t.name in scores]
        if pick.status == "missing":
            return await _name_missing(
                session, name, at, day, scored, query=query, today=today, trace=trace
            )
        candidates = scored

    if at is not None:
        timed = [c for c in candidates if c.item.departure_time == at]
        trace.append(f"{len(timed)} of them at {_hhmm(at)}")
        if not timed:
            return await _time_missing(
                session, name, at, day, candidates, query=query, today=today, trace=trace
            )
        candidates = timed
    if len(candidates) == 1:
        only = candidates[0]
        return await _found(session, only.item, only.score, query, trace, today=today)
    ranked = sorted(
        candidates,
        key=lambda c: (-c.score, not c.item.active(today), c.item.departure_time, c.item.trip_id),
    )
    trace.append(
        f"{counted(len(ranked), 'trip')} match {name!r} on {day.isoformat()}{shown(len(ranked))}"
    )
    return Resolution(
        entity="trip",
        status="ambiguous",
        query=query,
        options=tuple(_match(c.item, c.score, today) for c in ranked[:MAX_OPTIONS]),
        trace=tuple(trace),
    )


async def _by_time(
    session: AsyncSession, at: time, day: date, *, today: date, trace: list[str]
) -> Resolution:
    query = f"{_hhmm(at)} on {day.isoformat()}"
    on_day = select(*_COLUMNS).where(DailyTrip.trip_date == day)
    trips = await _fetch(session, on_day.where(DailyTrip.departure_time == at))
    trace.append(f"{counted(len(trips), 'trip')} at {_hhmm(at)} on {day.isoformat()}")
    if len(trips) == 1:
        return await _found(session, trips[0], 100.0, query, trace, today=today)
    if trips:
        ranked = sorted(trips, key=lambda t: (not t.active(today), t.display_name, t.trip_id))
        trace[-1] += shown(len(ranked))
        return Resolution(
            entity="trip",
            status="ambiguous",
            query=query,
            options=tuple(_match(t, 100.0, today) for t in ranked[:MAX_OPTIONS]),
            trace=tuple(trace),
        )
    # The nearest departures either side, each side read in time order from the index.
    before = await _fetch(
        session,
        on_day.where(DailyTrip.departure_time < at)
        .order_by(DailyTrip.departure_time.desc(), DailyTrip.trip_id)
        .limit(MAX_OPTIONS),
    )
    after = await _fetch(
        session,
        on_day.where(DailyTrip.departure_time > at)
        .order_by(DailyTrip.departure_time, DailyTrip.trip_id)
        .limit(MAX_OPTIONS),
    )
    near = sorted(
        before + after,
        key=lambda t: (abs(_minutes(t.departure_time) - _minutes(at)), t.departure_time),
    )
    return _missing(
        query,
        f"No trip departs at {_hhmm(at)} on {day.isoformat()}.",
        [*trace, f"{len(near)} nearest departures offered"],
        [_match(t, _time_score(t.departure_time, at), today) for t in near],
    )


async def _same_name_nearby(
    session: AsyncSession,
    names: Iterable[str],
    *,
    first: date,
    last: date,
    skip_day: date | None = None,
    skip_trip: int | None = None,
) -> list[_Trip]:
    """Trips from ``first`` to ``last`` named like one of ``names`` (compared as keys)."""
    found: list[_Trip] = []
    for key in sorted({name_key(n) for n in names}):
        stmt = select(*_COLUMNS).where(DailyTrip.trip_date >= first, DailyTrip.trip_date <= last)
        if skip_day is not None:
            stmt = stmt.where(DailyTrip.trip_date != skip_day)
        found.extend(
            t
            for t in await _fetch(session, _by_name_key(stmt, key))
            if name_key(t.name) == key and t.trip_id != skip_trip
        )
    return found


def _closeness(trip: _Trip, day: date, at: time | None, today: date) -> tuple[Any, ...]:
    """Rank for suggestions: active first, the asked time, the asked day, then nearest."""
    minutes = abs(_minutes(trip.departure_time) - _minutes(at)) if at is not None else 0
    return (
        not trip.active(today),
        at is not None and trip.departure_time != at,
        abs((trip.trip_date - day).days),
        minutes,
        trip.trip_date,
        trip.departure_time,
        trip.trip_id,
    )


async def _name_missing(
    session: AsyncSession,
    name: str,
    at: time | None,
    day: date,
    similar: list[Scored[_Trip]],
    *,
    query: str,
    today: date,
    trace: list[str],
) -> Resolution:
    """No trip of that name on the day: the same name on nearby days, then similar names."""
    nearby = await _same_name_nearby(
        session,
        [name],
        first=day - timedelta(days=NEARBY_DAYS),
        last=day + timedelta(days=NEARBY_DAYS),
        skip_day=day,
    )
    nearby.sort(key=lambda t: _closeness(t, day, at, today))
    similar = sorted(similar, key=lambda s: (-s.score, *_closeness(s.item, day, at, today)))
    trace.append(
        f"{counted(len(nearby), 'trip')} named {name!r} within {NEARBY_DAYS} days; "
        f"{len(similar)} with similar names on {day.isoformat()}"
    )
    options = [_match(t, 100.0, today) for t in nearby] + [
        _match(s.item, s.score, today) for s in similar
    ]
    when = f" at {_hhmm(at)}" if at else ""
    return _missing(query, f"No trip named {name!r}{when} on {day.isoformat()}.", trace, options)


async def _time_missing(
    session: AsyncSession,
    name: str,
    at: time,
    day: date,
    same_name: list[Scored[_Trip]],
    *,
    query: str,
    today: date,
    trace: list[str],
) -> Resolution:
    """The name runs that day, not at that time: its other times, then that time on other days."""
    others = sorted(same_name, key=lambda s: (-s.score, *_closeness(s.item, day, at, today)))
    nearby = await _same_name_nearby(
        session,
        [s.name for s in same_name],
        first=day - timedelta(days=NEARBY_DAYS),
        last=day + timedelta(days=NEARBY_DAYS),
        skip_day=day,
    )
    nearby = [t for t in nearby if t.departure_time == at]
    nearby.sort(key=lambda t: _closeness(t, day, at, today))
    runs = ", ".join(sorted({_hhmm(s.item.departure_time) for s in same_name}))
    shown_name = " / ".join(sorted({s.name for s in same_name}))
    trace.append(
        f"{shown_name!r} runs at {runs} on {day.isoformat()}; {counted(len(nearby), 'trip')} "
        f"at {_hhmm(at)} within {NEARBY_DAYS} days"
    )
    options = [
        _match(s.item, min(s.score, _time_score(s.item.departure_time, at)), today) for s in others
    ] + [_match(t, 100.0, today) for t in nearby]
    return _missing(
        query,
        f"No {shown_name} trip at {_hhmm(at)} on {day.isoformat()}; it runs at {runs}.",
        trace,
        options,
    )


def _inactive_note(trip: _Trip, today: date) -> str:
    what = f"trip {trip.trip_id} ({trip.display_name})"
    past = trip.trip_date < today
    if trip.live_status in INACTIVE_STATUSES:
        when = f" ({trip.trip_date.isoformat()}, in the past)" if past else ""
        return f"{what} is {trip.live_status.value}{when}"
    return f"{what} was on {trip.trip_date.isoformat()}, in the past"


async def _found(
    session: AsyncSession,
    trip: _Trip,
    score: float,
    query: str,
    trace: list[str],
    *,
    today: date,
) -> Resolution:
    match = _match(trip, score, today)
    if trip.active(today):
        return Resolution(
            entity="trip", status="found", query=query, match=match, trace=tuple(trace)
        )
    first = max(today, trip.trip_date - timedelta(days=NEARBY_DAYS))
    last = max(today, trip.trip_date) + timedelta(days=NEARBY_DAYS)
    similar = await _same_name_nearby(
        session, [trip.name], first=first, last=last, skip_trip=trip.trip_id
    )
    similar = [t for t in similar if t.active(today)]
    similar.sort(key=lambda t: _closeness(t, trip.trip_date, trip.departure_time, today))
    note = _inactive_note(trip, today)
    trace.append(
        f"{note}; {counted(len(similar), 'active trip')} named {trip.name!r} "
        f"from {first.isoformat()} to {last.isoformat()}{shown(len(similar))}"
    )
    offered = "; similar active trips are offered" if similar else "; no similar active trip"
    return Resolution(
        entity="trip",
        status="found",
        query=query,
        match=match,
        note=note + offered,
        options=tuple(_match(t, 100.0, today) for t in similar[:MAX_OPTIONS]),
        trace=tuple(trace),
    )
