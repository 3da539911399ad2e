"""Slot extractors: every form SPEC section 3 names, what must not fire, and properties on any text.

The reference day is Saturday 2026-11-28 throughout.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from movi.grammar import extractors as ex
from movi.grammar.extractors import DEFAULT_EXTRACTORS, PRIORITY, extract_all
from movi.grammar.mentions import Mention, get_extractor

TODAY = date(2026, 11, 28)
TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def mentions(text: str, **kwargs: Any) -> list[Mention]:
    found = extract_all(text, today=TODAY, **kwargs)
    for m in found:
        assert text[m.start : m.end] == m.surface, m
    return found


def values(text: str, kind: str) -> list[Any]:
    return [m.value for m in mentions(text) if m.kind == kind]


def surfaces(text: str, kind: str) -> list[str]:
    return [m.surface for m in mentions(text) if m.kind == kind]


# --------------------------------------------------------------------------- registration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("assign KA-01-AB-1234 to trip 42", ["KA-01-AB-1234"]),
        ("assign ka01ab1234 to the 8am trip", ["ka01ab1234"]),
        ("KA 05 MN 4321 is free", ["KA 05 MN 4321"]),
        ("use TN-09-X-9", ["TN-09-X-9"]),
        ("use KA51AB7 please", ["KA51AB7"]),
        ("MH.12.AB.1234", ["MH.12.AB.1234"]),
        ("KA 01 1234", ["KA 01 1234"]),
        ("DL 1C AA 1111", ["DL 1C AA 1111"]),
        ("swap KA-01-AB-1234 and KA-02-CD-5678", ["KA-01-AB-1234", "KA-02-CD-5678"]),
        ("(KA-01-AB-1234)", ["KA-01-AB-1234"]),
    ],
)
def test_registration(text: str, expected: list[str]) -> None:
    assert values(text, "registration") == expected


@pytest.mark.parametrize(
    "text",
    [
        "move up 12 places",
        "as 15 am",
        "or 9 am to 5",
        "KA 2 pm to 3",
        "Path-2 - 08:00",
        "XKA01AB1234",
        "KA01AB12345",
        "ZZ-01-AB-1234",
        "KA011234",
        "trip 42 at 8",
        "upto 1234",
    ],
)
def test_registration_does_not_fire(text: str) -> None:
    assert values(text, "registration") == []


def test_registration_extractor_by_name() -> None:
    found = get_extractor("registration.v1")("put ka-01-ab-1234 on it", today=TODAY)
    assert [(m.kind, m.value, m.start, m.end) for m in found] == [
        ("registration", "ka-01-ab-1234", 4, 17)
    ]


# --------------------------------------------------------------------------- trip id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cancel trip 42", [42]),
        ("cancel trip #42", [42]),
        ("cancel trip # 42", [42]),
        ("cancel trip no 42", [42]),
        ("cancel trip no. 42", [42]),
        ("cancel trip no.42", [42]),
        ("cancel trip number 42", [42]),
        ("cancel trip id 42", [42]),
        ("cancel Trip ID: 42", [42]),
        ("cancel trip-42", [42]),
        ("cancel #42", [42]),
        ("cancel TRIP 42.", [42]),
        ("cancel trips 42 and 43", [42, 43]),
        ("cancel trips 42, 43 and 44", [42, 43, 44]),
        ("cancel trips 42, 43, and #44", [42, 43, 44]),
        ("cancel trips 42 & 43", [42, 43]),
        ("cancel trip 42 and trip 43", [42, 43]),
        ("trip 1930", [1930]),
        ("delay trip 42 by 15 minutes", [42]),
        ("move trip 42 to 8am", [42]),
    ],
)
def test_trip_id(text: str, expected: list[int]) -> None:
    assert values(text, "trip_id") == expected


@pytest.mark.parametrize(
    "text",
    [
        "the trip at 8",
        "trip 8am",
        "trip 8 am",
        "trip 8:30",
        "trip 8.30",
        "the 8am trip",
        "Trip42",
        "roundtrip 4",
        "trip 2 hours late",
        "trip 3 bookings",
        "cancel all trips tomorrow",
        "C#42",
    ],
)
def test_trip_id_does_not_fire(text: str) -> None:
    assert values(text, "trip_id") == []


def test_trip_id_surfaces() -> None:
    assert surfaces("trips 42, 43 and #44", "trip_id") == ["trips 42", "43", "#44"]
    assert surfaces("cancel trip no. 7 now", "trip_id") == ["trip no. 7"]


def test_trip_id_list_stops_at_a_count() -> None:
    found = mentions("trip 42 and 3 bookings")
    assert [(m.kind, m.value) for m in found] == [("trip_id", 42), ("quantity", 3)]


@pytest.mark.parametrize("text", ["decrease trip 1612 bookings by 6", "trip 405 seats left?"])
def test_a_long_number_before_a_count_noun_is_still_the_trip(text: str) -> None:
    assert len(values(text, "trip_id")) == 1
    assert values(text, "trip_id")[0] in (1612, 405)


# --------------------------------------------------------------------------- Hinglish


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("Yogesh aaj chutti pe hai", "date", "2026-11-28"),
        ("aaj ke saare trips", "date", "2026-11-28"),
        # "kal"/"parso" go either way: an instruction is about the future, a past tense is not.
        ("kal ke saare trips cancel karo", "date", "2026-11-29"),
        ("trip 3147 ko kal pe shift karo", "date", "2026-11-29"),
        ("kal kya hua trip 5 ka", "date", "2026-11-27"),
        ("parso ka trip", "date", "2026-11-30"),
        ("parso wala trip cancel hua tha", "date", "2026-11-26"),
        ("naale trip 4 cancel madi", "date", "2026-11-29"),
        ("last 15 din ki gaadiyan", "days", 15),
        ("pehla wala", "ordinal", 1),
        ("dusri option", "ordinal", 2),
        ("teesra", "ordinal", 3),
        ("trip 1412 mein 3 log aur", "quantity", 3),
        ("reduce it by four", "number", 4),
        ("hold trip 6 for 15 more minutes", "duration", 15),
    ],
)
def test_hinglish_and_spoken_forms(text: str, kind: str, value: Any) -> None:
    assert values(text, kind) == [value]


@pytest.mark.parametrize(
    "text", ["aajkal sab theek hai", "the one", "which one is it", "Kalyan Nagar stop", "Kalkere"]
)
def test_words_that_look_like_numbers_or_days_do_not_fire(text: str) -> None:
    assert [m for m in mentions(text) if m.kind in ("date", "number", "ordinal")] == []


# --------------------------------------------------------------------------- time


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("at 8am", "08:00"),
        ("at 8 am", "08:00"),
        ("at 8 a.m.", "08:00"),
        ("at 8 A.M.", "08:00"),
        ("at 8:30 pm", "20:30"),
        ("at 8.30pm", "20:30"),
        ("at 7.30 pm", "19:30"),
        ("at 20:15", "20:15"),
        ("at 0830", "08:30"),
        ("at 1930", "19:30"),
        ("at 1930 hrs", "19:30"),
        ("at 0830hrs", "08:30"),
        ("at 8 o'clock", "08:00"),
        ("at 8 o’clock", "08:00"),
        ("at 8 oclock", "08:00"),
        ("at half past 8", "08:30"),
        ("at quarter past 7", "07:15"),
        ("at a quarter to 9", "08:45"),
        ("at quarter to nine pm", "20:45"),
        ("at twenty past 8", "08:20"),
        ("at noon", "12:00"),
        ("at 12 noon", "12:00"),
        ("at midday", "12:00"),
        ("at midnight", "00:00"),
        ("at 12am", "00:00"),
        ("at 12pm", "12:00"),
        ("at 12:30 am", "00:30"),
        ("at 8:00", "08:00"),
        ("at 08:00:00", "08:00"),
        ("at 9.15", "09:15"),
        ("at eight pm", "20:00"),
        ("at 830am", "08:30"),
        ("at 1030 pm", "22:30"),
        ("at 7 in the evening", "19:00"),
        ("at 8 in the morning", "08:00"),
        ("at 10 at night", "22:00"),
        ("at 13:00 pm", "13:00"),
        ("at 8\u00a0am", "08:00"),
        ("Path-2 - 08:00", "08:00"),
        ("Bulk - 00:01", "00:01"),
        ("on 3 Dec 2030 hrs", "20:30"),
    ],
)
def test_time(text: str, expected: str) -> None:
    assert values(text, "time") == [expected]


def test_time_all_occurrences() -> None:
    assert values("move the 8am Path-2 trip to 9:15", "time") == ["08:00", "09:15"]


@pytest.mark.parametrize(
    "text",
    [
        "at 7",
        "trip 42",
        "move it to 9",
        "13 am",
        "25:00",
        "8:75",
        "KA-01-AB-1234",
        "KA 01 AB 1234",
        "call 9845012345",
        "98450 12345",
        "on 3 Dec 2026",
        "12.9716, 77.5946",
        "by 1.5 hrs",
        "12345",
        "3.12.2026",
        "2026-12-03",
        "this afternoon",
        "2000 bookings",
        "#1930",
        "in 2026",
        "delay by 15 minutes",
    ],
)
def test_time_does_not_fire(text: str) -> None:
    assert values(text, "time") == []


def test_time_extractor_alone_skips_plates_and_years() -> None:
    extract = get_extractor("time.v1")
    found = extract("KA 01 AB 1234 on 3 Dec 2026 at 8am", today=TODAY)
    assert [m.value for m in found] == ["08:00"]


# --------------------------------------------------------------------------- duration and days


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("delay by 15 minutes", 15),
        ("delay by 15 mins", 15),
        ("delay by 15 min", 15),
        ("delay by 15min", 15),
        ("delay by 15 mts", 15),
        ("running 15m late", 15),
        ("delay by 15m", 15),
        ("delay by half an hour", 30),
        ("delay by half hour", 30),
        ("delay by a half-hour", 30),
        ("delay by an hour", 60),
        ("delay by 1 hour", 60),
        ("delay by one hour", 60),
        ("delay by 1.5 hrs", 90),
        ("delay by 1.5 hours", 90),
        ("delay by 1.30 hrs", 78),
        ("delay by an hour and a half", 90),
        ("delay by one and a half hours", 90),
        ("delay by 2 hours", 120),
        ("delay by 2 hrs and a half", 150),
        ("delay by a couple of hours", 120),
        ("delay by 1 hour 30 minutes", 90),
        ("delay by 1 hr and 15 min", 75),
        ("delay by 1h30m", 90),
        ("delay by 2h", 120),
        ("delay by quarter of an hour", 15),
        ("delay by a quarter hour", 15),
        ("delay by three quarters of an hour", 45),
        ("delay by 90 min", 90),
        ("delay by twenty minutes", 20),
        ("delay by twenty-five minutes", 25),
        ("delay by sixty minutes", 60),
        ("running 45 mins late", 45),
        ("changes in the last hour", 60),
        ("what changed in the past hour?", 60),
    ],
)
def test_duration(text: str, expected: int) -> None:
    assert values(text, "duration") == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "at 8:30",
        "at half past 8",
        "at quarter to 9",
        "at 20:15 hrs",
        "at 1930h",
        "15m",
        "the hour",
        "per hour",
        "3 bookings",
        "trip 42",
        "1/2 hour",
    ],
)
def test_duration_does_not_fire(text: str) -> None:
    assert values(text, "duration") == []


@pytest.mark.parametrize(
    ("text", "expected", "surface"),
    [
        ("trips in 7 days", 7, "7 days"),
        ("trips in the last 7 days", 7, "the last 7 days"),
        ("trips in last 7 days", 7, "last 7 days"),
        ("bookings for a week", 7, "a week"),
        ("bookings this week", 7, "this week"),
        ("bookings last week", 7, "last week"),
        ("bookings next week", 7, "next week"),
        ("bookings for 2 weeks", 14, "2 weeks"),
        ("bookings for two weeks", 14, "two weeks"),
        ("bookings for a month", 30, "a month"),
        ("bookings last month", 30, "last month"),
        ("bookings for 30 days", 30, "30 days"),
        ("bookings for a fortnight", 14, "a fortnight"),
        ("bookings for fortnight", 14, "fortnight"),
        ("bookings for one day", 1, "one day"),
        ("a 7-day report", 7, "7-day"),
    ],
)
def test_days(text: str, expected: int, surface: str) -> None:
    assert values(text, "days") == [expected]
    assert surfaces(text, "days") == [surface]


@pytest.mark.parametrize(
    "text",
    ["today", "day after tomorrow", "weekly report", "per week", "monday", "next day", "weekday"],
)
def test_days_does_not_fire(text: str) -> None:
    assert values(text, "days") == []


# --------------------------------------------------------------------------- date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", "2026-11-28"),
        ("tonight", "2026-11-28"),
        ("tomorrow", "2026-11-29"),
        ("tmrw", "2026-11-29"),
        ("tmr", "2026-11-29"),
        ("tommorow", "2026-11-29"),
        ("yesterday", "2026-11-27"),
        ("day after tomorrow", "2026-11-30"),
        ("the day after tomorrow", "2026-11-30"),
        ("day before yesterday", "2026-11-26"),
        ("monday", "2026-11-30"),
        ("on monday", "2026-11-30"),
        ("next monday", "2026-11-30"),
        ("this monday", "2026-11-30"),
        ("coming monday", "2026-11-30"),
        ("this coming monday", "2026-11-30"),
        ("on Mon", "2026-11-30"),
        ("sunday", "2026-11-29"),
        ("friday", "2026-12-04"),
        ("thurs", "2026-12-03"),
        ("saturday", "2026-12-05"),
        ("this saturday", "2026-12-05"),
        ("next saturday", "2026-12-05"),
        ("on sat", "2026-12-05"),
        ("last monday", "2026-11-23"),
        ("last saturday", "2026-11-21"),
        ("3 Dec", "2026-12-03"),
        ("on 3 Dec", "2026-12-03"),
        ("3dec", "2026-12-03"),
        ("Dec 3rd", "2026-12-03"),
        ("3rd December", "2026-12-03"),
        ("the 3rd of December", "2026-12-03"),
        ("December 3", "2026-12-03"),
        ("dec. 3, 2026", "2026-12-03"),
        ("3 December 2026", "2026-12-03"),
        ("3-Dec-2026", "2026-12-03"),
        ("03/12", "2026-12-03"),
        ("3/12/2026", "2026-12-03"),
        ("3/12/26", "2026-12-03"),
        ("03.12.2026", "2026-12-03"),
        ("03-12-2026", "2026-12-03"),
        ("2026-12-03", "2026-12-03"),
        ("till the 5th", "2026-12-05"),
        ("on 5th", "2026-12-05"),
        ("on the 5th", "2026-12-05"),
        ("move it to the 5th at 9am", "2026-12-05"),
        ("trips for the 28th", "2026-11-28"),
        ("move it to the 27th", "2026-12-27"),
        ("move it to the 31st.", "2026-12-31"),
        ("the 5th at 8am", "2026-12-05"),
        ("the 5th of next month", "2026-12-05"),
        ("28 Nov", "2026-11-28"),
        ("27 Nov", "2027-11-27"),
        ("3 Nov", "2027-11-03"),
        ("1/1", "2027-01-01"),
        ("29 Feb", "2028-02-29"),
        ("Mon, 30 Nov", "2026-11-30"),
        ("May 1st", "2027-05-01"),
        ("on may 3", "2027-05-03"),
        ("may 3", "2027-05-03"),
        ("cancel 3 may", "2027-05-03"),
    ],
)
def test_date(text: str, expected: str) -> None:
    assert values(text, "date") == [expected]


@pytest.mark.parametrize(
    ("text", "surface"),
    [
        ("trips on monday", "monday"),
        ("trips next monday", "next monday"),
        ("trips on the 5th", "the 5th"),
        ("trips on 5th", "5th"),
        ("Wednesday, 2 Dec", "Wednesday, 2 Dec"),
        ("on 3 Dec", "3 Dec"),
    ],
)
def test_date_surface(text: str, surface: str) -> None:
    assert surfaces(text, "date") == [surface]


@pytest.mark.parametrize(
    "text",
    [
        "at 8:30",
        "add 3 bookings",
        "trip 42",
        "delay by 15 minutes",
        "the sun is out",
        "sat down",
        "wed",
        "mondays",
        "5th",
        "cancel the 2nd trip",
        "pick the 2nd",
        "the 2nd",
        "the 2nd one",
        "move it to the 2nd trip",
        "31 Nov",
        "13/13",
        "24/7 support",
        "8.30",
        "1-2",
        "I may 3",
        "march 5 people",
    ],
)
def test_date_does_not_fire(text: str) -> None:
    assert values(text, "date") == []


def test_date_accepts_a_datetime_as_today() -> None:
    found = get_extractor("date.v1")("tomorrow", today=datetime(2026, 11, 28, 17, 5))
    assert [m.value for m in found] == ["2026-11-29"]


def test_warm_up_loads_dateparser() -> None:
    ex.warm_up(TODAY)
    assert ex._dateparser("1 jan", TODAY) == date(2027, 1, 1)


def test_dateparser_results_are_cached() -> None:
    extract = get_extractor("date.v1")
    extract("on 4 Dec", today=TODAY)
    before = ex._dateparser.cache_info().hits
    extract("on 4 dec", today=TODAY)
    assert ex._dateparser.cache_info().hits == before + 1


# --------------------------------------------------------------------------- quantity and number


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("add 3 bookings", 3, "bookings"),
        ("add three bookings", 3, "bookings"),
        ("add one booking", 1, "bookings"),
        ("for 30 people", 30, "people"),
        ("for 30 passengers", 30, "people"),
        ("for 30 employees", 30, "people"),
        ("for 30 pax", 30, "people"),
        ("for twenty five people", 25, "people"),
        ("for fifty people", 50, "people"),
        ("need 5 seats", 5, "seats"),
        ("a 40 seater", 40, "seater"),
        ("a 40-seater", 40, "seater"),
        ("a 40 seat bus", 40, "seater"),
        ("capacity 40", 40, "seater"),
        ("capacity of 40", 40, "seater"),
        ("set capacity to 40", 40, "seater"),
        ("send 2 buses", 2, "vehicles"),
        ("cancel 3 trips", 3, "trips"),
    ],
)
def test_quantity(text: str, value: int, unit: str) -> None:
    found = [m for m in mentions(text) if m.kind == "quantity"]
    assert [(m.value, m.unit) for m in found] == [(value, unit)]


def test_quantity_surface_leaves_out_the_article() -> None:
    assert surfaces("show a 40 seater", "quantity") == ["40 seater"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cancel 42", [42]),
        ("2", [2]),
        ("move trip 42 to 9", [9]),
        ("at 7", [7]),
        ("between 3 and 4", [3, 4]),
    ],
)
def test_number(text: str, expected: list[int]) -> None:
    assert values(text, "number") == expected


@pytest.mark.parametrize(
    "text",
    [
        "trip 42",
        "3 bookings",
        "option 3",
        "Path-2",
        "1.5",
        "8:30",
        "3 Dec",
        "KA-01-AB-1234",
        "12345678901234",
        "twenty",
    ],
)
def test_number_does_not_fire(text: str) -> None:
    assert values(text, "number") == []


# --------------------------------------------------------------------------- ordinal


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the first one", 1),
        ("the 1st one", 1),
        ("the second one", 2),
        ("the 2nd one", 2),
        ("the third", 3),
        ("the 3rd trip", 3),
        ("the tenth", 10),
        ("the 10th one", 10),
        ("option 3", 3),
        ("option three", 3),
        ("number 3", 3),
        ("no. 3", 3),
        ("choice 3", 3),
        ("pick the 2nd", 2),
        ("the 2nd", 2),
        ("cancel the 2nd trip", 2),
    ],
)
def test_ordinal(text: str, expected: int) -> None:
    assert values(text, "ordinal") == [expected]


@pytest.mark.parametrize(
    "text", ["wait a second", "30 seconds", "30 second delay", "on the 5th", "3 Dec", "trip no. 3"]
)
def test_ordinal_does_not_fire(text: str) -> None:
    assert values(text, "ordinal") == []


# --------------------------------------------------------------------------- phone


@pytest.mark.parametrize(
    "text",
    [
        "9876543210",
        "98450 12345",
        "+91 98450 12345",
        "+91-9845012345",
        "+919845012345",
        "098450 12345",
        "0091 9845012345",
        "984 501 2345",
        "080-41234567",
        "0821 2345678",
    ],
)
def test_phone(text: str) -> None:
    assert values(f"call driver on {text} now", "phone") == [text]


@pytest.mark.parametrize(
    "text", ["12345", "1234567890", "98450123456", "5845012345", "trip 42", "0800-1000", "080-4123"]
)
def test_phone_does_not_fire(text: str) -> None:
    assert values(text, "phone") == []


# --------------------------------------------------------------------------- coordinates


@pytest.mark.parametrize(
    ("text", "lat", "lon"),
    [
        ("at 12.9716, 77.5946", 12.9716, 77.5946),
        ("at 12.97,77.59", 12.97, 77.59),
        ("at (12.97, 77.59)", 12.97, 77.59),
        ("lat 12.97 long 77.59", 12.97, 77.59),
        ("latitude 12.97 longitude 77.59", 12.97, 77.59),
        ("latitude: 12.97, longitude: 77.59", 12.97, 77.59),
        ("set latitude to 12.97 and longitude to 77.59", 12.97, 77.59),
        ("lat -33.86 lng 151.21", -33.86, 151.21),
        ("at -33.86, -151.20", -33.86, -151.2),
    ],
)
def test_coordinates(text: str, lat: float, lon: float) -> None:
    assert values(text, "latitude") == [lat]
    assert values(text, "longitude") == [lon]


@pytest.mark.parametrize(
    "text",
    ["as long as 30 minutes", "lat 95", "at 12.5, 3.5", "at 97.12, 77.59", "long 77", "1.5 hrs"],
)
def test_coordinates_do_not_fire(text: str) -> None:
    assert values(text, "latitude") == []
    assert values(text, "longitude") == []


# --------------------------------------------------------------------------- extract_all


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "assign KA-01-AB-1234 to the 8am Path-2 trip",
            [("registration", "KA-01-AB-1234"), ("time", "08:00")],
        ),
        ("delay trip 42 by half an hour", [("trip_id", 42), ("duration", 30)]),
        ("cancel all trips tomorrow", [("date", "2026-11-29")]),
        (
            "move trip 42 to 3 Dec at 7.30 pm",
            [("trip_id", 42), ("date", "2026-12-03"), ("time", "19:30")],
        ),
        (
            "delay trip 42 by 15 minutes to 9am",
            [("trip_id", 42), ("duration", 15), ("time", "09:00")],
        ),
        ("add 3 bookings to the 19:30 trip", [("quantity", 3), ("time", "19:30")]),
        ("trips in the last 7 days", [("days", 7)]),
        ("pick option 2", [("ordinal", 2)]),
        ("trip 1930", [("trip_id", 1930)]),
        ("by 1.30 hrs", [("duration", 78)]),
        ("driver 9845012345", [("phone", "9845012345")]),
        ("stop at 12.97, 77.59", [("latitude", 12.97), ("longitude", 77.59)]),
        ("cancel trip no. 3", [("trip_id", 3)]),
        ("on the 5th at 8", [("date", "2026-12-05"), ("number", 8)]),
        ("", []),
    ],
)
def test_extract_all(text: str, expected: list[tuple[str, Any]]) -> None:
    assert [(m.kind, m.value) for m in mentions(text)] == expected


def test_extract_all_with_chosen_extractors() -> None:
    found = mentions("trip 42 at 8am", names=["time.v1", "quantity.v1"])
    assert [(m.kind, m.value) for m in found] == [("number", 42), ("time", "08:00")]


def test_extract_all_unknown_extractor() -> None:
    with pytest.raises(KeyError, match="no slot extractor named"):
        extract_all("trip 42", today=TODAY, names=["nope.v1"])


def test_every_default_extractor_is_registered() -> None:
    for name in DEFAULT_EXTRACTORS:
        assert callable(get_extractor(name))


def test_priority_order() -> None:
    order = [
        "registration",
        "phone",
        "latitude",
        "trip_id",
        "date",
        "duration",
        "time",
        "quantity",
        "ordinal",
        "number",
    ]
    assert [PRIORITY[k] for k in order] == sorted(PRIORITY[k] for k in order)
    assert PRIORITY["latitude"] == PRIORITY["longitude"]
    assert PRIORITY["duration"] == PRIORITY["days"]


# --------------------------------------------------------------------------- properties

NASTY = [
    "\x00",
    "\u200f",
    "\u200e",
    "\u202e",
    "\ufeff",
    "🚌",
    "🕗",
    "👍🏽",
    "שלום",
    "مرحبا",
    "٣",
    "४२",
    "４２",
    "İ",
    "ſ",
    "\u212a",
    "\u00a0",
    "’",
    "–",
    "\n",
    "\t",
]
VOCABULARY = [
    "trip",
    "trips",
    "#",
    "no.",
    "42",
    "8",
    "12",
    "1930",
    "0830",
    "8am",
    "8:30",
    "7.30",
    "pm",
    "a.m.",
    "o'clock",
    "half",
    "past",
    "quarter",
    "to",
    "an",
    "hour",
    "hours",
    "hrs",
    "15",
    "minutes",
    "m",
    "late",
    "days",
    "last",
    "week",
    "fortnight",
    "today",
    "tomorrow",
    "next",
    "monday",
    "sat",
    "on",
    "the",
    "5th",
    "3",
    "Dec",
    "03/12",
    "2026-12-03",
    "/",
    "-",
    ".",
    ",",
    ":",
    "KA-01-AB-1234",
    "KA",
    "01",
    "AB",
    "1234",
    "98450",
    "12345",
    "+91",
    "12.9716",
    "77.5946",
    "lat",
    "long",
    "bookings",
    "people",
    "seater",
    "capacity",
    "option",
    "second",
    "first",
    "noon",
    "twenty",
    "five",
    "in the evening",
]
words = st.sampled_from(VOCABULARY) | st.sampled_from(NASTY) | st.text(max_size=4)
separators = st.sampled_from(["", " ", " ", " ", "  ", ", "])
commands = st.lists(st.tuples(words, separators), max_size=30).map(
    lambda parts: "".join(word + sep for word, sep in parts)
)
any_text = st.text() | commands


def check_invariants(text: str, found: list[Mention]) -> None:
    previous_end = -1
    for m in found:
        assert 0 <= m.start < m.end <= len(text)
        assert text[m.start : m.end] == m.surface
        assert m.start >= previous_end, "mentions overlap or are out of order"
        previous_end = m.end
        if m.kind == "time":
            assert TIME_RE.match(m.value), m
        elif m.kind == "date":
            assert ISO_RE.match(m.value), m
            date.fromisoformat(m.value)
        elif m.kind in ("trip_id", "duration", "days", "quantity", "ordinal", "number"):
            assert isinstance(m.value, int) and m.value >= 0, m
        elif m.kind in ("latitude", "longitude"):
            assert isinstance(m.value, float), m
        else:
            assert m.kind in ("registration", "phone"), m
            assert m.value == m.surface


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_text)
def test_extract_all_never_raises_and_keeps_its_invariants(text: str) -> None:
    check_invariants(text, extract_all(text, today=TODAY))


@settings(max_examples=100, deadline=None)
@given(any_text, st.sampled_from(DEFAULT_EXTRACTORS))
def test_each_extractor_reports_true_offsets(text: str, name: str) -> None:
    for m in get_extractor(name)(text, today=TODAY):
        assert text[m.start : m.end] == m.surface


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands.filter(bool))
def test_twenty_thousand_characters(chunk: str) -> None:
    text = (chunk * (20_000 // len(chunk) + 1))[:20_000]
    check_invariants(text, extract_all(text, today=TODAY))


@pytest.mark.parametrize(
    "text",
    [
        "",
        " " * 20_000,
        "\x00" * 20_000,
        "9" * 20_000,
        "1 " * 10_000,
        "🚌" * 20_000,
        "\u200f" + "trip 42 at 8am " * 1300,
        "the 5th " * 2500,
        "1." * 10_000,
    ],
)
def test_long_and_odd_texts(text: str) -> None:
    check_invariants(text, extract_all(text, today=TODAY))


@pytest.mark.parametrize("today", [date(1, 1, 1), date(9999, 12, 31)])
def test_extreme_reference_days(today: date) -> None:
    text = "trips yesterday, tomorrow, next monday, last friday, 3 Dec, the 5th, 29 feb"
    found = extract_all(text, today=today)
    assert all(ISO_RE.match(m.value) for m in found if m.kind == "date")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("shaam 6 baje", "18:00"),
        ("subah 8 baje wale Path-51", "08:00"),
        ("raat 9 baje", "21:00"),
        ("raat 12 baje", "00:00"),
        ("dopahar 1 baje", "13:00"),
        ("subah 7:30 baje", "07:30"),
    ],
)
def test_hinglish_clock_times_name_the_part_of_the_day(text: str, value: str) -> None:
    times = [m.value for m in extract_all(text, today=TODAY) if m.kind == "time"]
    assert times == [value]
