"""Which daily trip the operator means: by id, by name and time on a day, by time, or selected.

A trip's display name reads "<name> - HH:MM"; only the name part is fuzzy-matched (see
:mod:`movi.resolve.names`), the time is compared exactly with ``departure_time`` (a near time is a
suggestion, never a match), and every query is narrowed to one day in SQL first.

A busy day holds tens of thousands of trips (30,000 in the million-trip demo), so narrowing by
day is not enough. An exact name is one range of the (trip_date, name_key, departure_time) index
(``name_key`` is computed by the database, see :class:`movi.store.schema.DailyTrip`); a misspelt
name is ranked against the names at the asked time, and a name with a number ("pth 17 8am")
only against the names holding that number, since no other can match (numbers must be equal).
Only a name that matches nothing reads the whole day, for suggestions.

A trip that is cancelled, completed or in the past is still ``found`` (the operator may want to
look at it) but carries a ``note`` and, as ``options``, active trips of the same name at other
times or on other days, so that the engine never acts on it silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from movi.resolve.names import (
    PLACE_CUTOFFS,
    NamePick,
    Scored,
    counted,
    fuzzy_form,
    name_key,
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

NAME_CACHE_SIZE = 65_536
"""Display names whose name part is remembered (a pure function of the text). A route's trips
repeat one display name every day: the million-trip demo has about 30,000, read by the
thousand when a misspelt name is ranked against a busy day's names."""

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
    name: str

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


@lru_cache(maxsize=NAME_CACHE_SIZE)
def _name_of(display_name: str) -> str:
    """The name part of a display name (see :func:`split_display_name`), remembered."""
    return split_display_name(display_name)[0]


async def _fetch(session: AsyncSession, stmt: _TripSelect) -> list[_Trip]:
    rows = await session.execute(stmt)
    return [_Trip(*row, name=_name_of(row[1])) for row in rows]


def _numbers(name: str) -> tuple[str, ...]:
    """The numbers in a typed name, as digits without leading zeros ("paht 02" → "2").

    >>> _numbers("paht 17 b2")
    ('17', '2')
    """
    found = (str(int(t)) for t in fuzzy_form(name).split() if t.isdigit())
    return tuple(dict.fromkeys(found))


def _holding(numbers: Sequence[str]) -> list[ColumnElement[bool]]:
    """Rows whose ``name_key`` holds each of ``numbers``: a superset of the names that have them
    as numbers ("Path-17" holds 17; "Path-170" passes this filter and fails the word check)."""
    return [DailyTrip.name_key.contains(n) for n in numbers]


async def _names(session: AsyncSession, *where: ColumnElement[bool]) -> dict[str, set[str]]:
    """The names of the trips ``where`` selects, each with the stored keys of its trips.

    Only two short strings a row are read, not whole trips: ranking needs the names alone, and
    :func:`_trips_named` then fetches the trips of the few names kept by their keys. (Cutting
    the time off in SQL to read each name once is slower on SQLite than reading every row.)
    """
    found: dict[str, set[str]] = {}
    stmt = select(DailyTrip.display_name, DailyTrip.name_key).where(*where)
    for display_name, key in await session.execute(stmt):
        found.setdefault(_name_of(display_name), set()).add(key)
    return found


def _rank(name: str, names: Mapping[str, Any]) -> NamePick[str]:
    return pick_name(name, [(n, n) for n in sorted(names)], noun="trip name", cutoffs=PLACE_CUTOFFS)


def _kept(pick: NamePick[str]) -> dict[str, float]:
    """The names a pick keeps, with their scores: the found or ambiguous ones, else the best few
    as suggestions."""
    kept = pick.ranked if pick.status != "missing" else pick.ranked[:MAX_OPTIONS]
    return {s.name: s.score for s in kept}


async def _trips_named(
    session: AsyncSession,
    stmt: _TripSelect,
    names: Mapping[str, set[str]],
    scores: Mapping[str, float],
) -> list[Scored[_Trip]]:
    """The trips ``stmt`` selects whose name is one of ``scores``'s, fetched by their keys."""
    keys = sorted({key for name in scores for key in names.get(name, ())})
    if not keys:
        return []
    trips = await _fetch(
        session, stmt.where(DailyTrip.name_key.in_(keys)).order_by(DailyTrip.trip_id)
    )
    return [Scored(t, t.name, scores[t.name]) for t in trips if t.name in scores]


def _holding_note(names: Mapping[str, Any], numbers: Sequence[str], where: str) -> str:
    return f"{counted(len(names), 'trip name')} {where} hold {' and '.join(numbers)}"


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
    numbers = _numbers(name)

    # Exact name first: one range of the (trip_date, name_key, departure_time) index, a handful
    # of rows however many trips the day has; the name part is compared again in Python.
    exact = [
        Scored(t, t.name, 100.0)
        for t in await _fetch(session, on_day.where(DailyTrip.name_key == key))
        if name_key(t.name) == key
    ]
    timed_exact = [c for c in exact if at is not None and c.item.departure_time == at]
    candidates = timed_exact or exact
    if not candidates and at is not None:
        # A misspelt name with a time: the names at that time first (one small index range);
        # only a clear match is taken here, anything less falls through to the whole day.
        at_time = (DailyTrip.trip_date == day, DailyTrip.departure_time == at)
        names = await _names(session, *at_time, *_holding(numbers))
        pick = _rank(name, names)
        if pick.status == "found":
            if numbers:
                trace.append(_holding_note(names, numbers, f"at {_hhmm(at)}"))
            trace.extend(pick.trace)
            candidates = await _trips_named(session, on_day.where(*at_time), names, _kept(pick))
    if not candidates and numbers:
        # The day's names holding the query's numbers: a name without them is never eligible
        # (numbers must be equal, :func:`movi.resolve.names.words_agree`), so a found or
        # ambiguous pick among them is the pick among all the day's names. Suggestions need
        # every name: they are read below.
        names = await _names(session, DailyTrip.trip_date == day, *_holding(numbers))
        pick = _rank(name, names)
        if pick.status != "missing":
            trace.append(_holding_note(names, numbers, f"on {day.isoformat()}"))
            trace.extend(pick.trace)
            candidates = await _trips_named(session, on_day, names, _kept(pick))
    if candidates:
        trace.append(
            f"{counted(len(candidates), 'trip')} named {candidates[0].name!r} on {day.isoformat()}"
        )
    else:
        # Nothing matches: every name of the day is ranked, for suggestions.
        names = await _names(session, DailyTrip.trip_date == day)
        trace.append(f"{counted(len(names), 'trip name')} on {day.isoformat()}")
        pick = _rank(name, names)
        trace.extend(pick.trace)
        scored = await _trips_named(session, on_day, names, _kept(pick))
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
    """Trips from ``first`` to ``last`` named like one of ``names`` (compared as keys).

    The days are listed, not given as a range, so that each (day, key) is its own short range
    of the (trip_date, name_key) index rather than a scan of a week of trips.
    """
    keys = sorted({name_key(n) for n in names})
    days = [
        first + timedelta(days=i)
        for i in range((last - first).days + 1)
        if first + timedelta(days=i) != skip_day
    ]
    if not keys or not days:
        return []
    stmt = select(*_COLUMNS).where(DailyTrip.trip_date.in_(days), DailyTrip.name_key.in_(keys))
    return [
        t
        for t in await _fetch(session, stmt)
        if name_key(t.name) in keys and t.trip_id != skip_trip
    ]


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
