"""Lexical slot extractors: registrations, trip ids, times, durations, dates, counts, phones …

Each extractor is a pure function ``extract(text, *, today) -> list[Mention]`` registered by
name (``time.v1``) so that ``patterns.yaml`` can refer to it. It reports every occurrence of
its kinds with character offsets into ``text`` and the SPEC section 3 normal form; it never
decides which slot a mention fills. :func:`extract_all` runs several of them and keeps, where
two mentions overlap, the one of higher priority.

Matching runs on a copy of the text in which look-alike characters (curly quotes, dashes,
non-breaking spaces) are replaced one for one by their ASCII forms, so offsets stay valid for
the original. All patterns are compiled once, case-insensitive and ASCII-only, which keeps a
typical eight-word command well under a tenth of a millisecond.

Dates are found by regex over date vocabulary first; only a calendar span ("3 Dec",
"03/12/2026") is handed to ``dateparser`` (English only, cached). Its answer decides whether
the day exists ("31 Nov" does not); day, month and year come from what the regex read, so the
conventions below hold where dateparser differs (it puts "28 Nov" in 2027 and reads "12/31"
as a year). Relative words and weekdays are resolved by calendar arithmetic,
because dateparser disagrees with the conventions below on several of them ("this saturday"
on a Saturday, "coming monday", "tmrw", "the 5th" after the 5th).

Conventions (the reference day is ``today``):

* **Weekdays.** "monday", "on monday", "this monday", "next monday", "coming monday" all mean
  the first Monday strictly after today; so a weekday equal to today's means today + 7 days.
  "last monday"/"previous monday" mean the last one strictly before today. The abbreviations
  "mon", "wed", "sat", "sun" are ordinary words too and count only after on/this/next/….
* **Hinglish.** "aaj" is today; "din" counts days ("last 15 din"); "pehla", "dusra",
  "teesra" are ordinals. "kal" is yesterday or tomorrow and "parso" the day before yesterday or
  after tomorrow: the future (the tense of an instruction), unless a past-tense marker ("hua",
  "tha", "gaya", "was", "did" …) says otherwise. Kannada "naale", Tamil "naalaikku" and Telugu
  "repu" are tomorrow.
* **Year-less dates** ("3 Dec", "03/12", "the 5th") take the first such day on or after today:
  today itself counts, an earlier day rolls to next year ("the 5th": to next month). Numeric
  dates are day/month (Indian order); "-" and "." numeric dates need a year (so "8.30" is a
  time); two-digit years are 20yy.
* **"the 5th"** is a date after "on" ("on the 5th", "on 5th") or before "of this/next month";
  otherwise only when a preposition comes before it or a time after it ("move it to the
  5th", "the 5th at 8am"), and no noun follows. "the 2nd trip", "pick the 2nd" and a bare
  "the 2nd" are ordinals.
* **Times.** A bare number is never a time ("at 7"). am/pm, "o'clock", "in the evening",
  ":"/"." minutes or four digits ("0830", "1930 hrs") make one. An hour without am/pm is taken
  as written ("8 o'clock" → 08:00, "quarter to 1" → 00:45); "12am" → 00:00, "12pm" → 12:00;
  "13:00 pm" is read leniently as 13:00. Four-digit times are skipped inside registrations,
  phones, longer numbers, after a month name (a year) or after "trip"/"no."/"#".
* **Durations** are whole minutes, decimals rounded ("1.5 hrs" → 90, "1.30 hrs" → 78: a
  decimal, not h.mm). "15m" counts only before late/early/later/… or after "by". "the last
  hour" is 60, with its qualifier in the surface.
* **Periods** (kind ``days``): day 1, week 7, fortnight 14, month 30; "this/last/next week"
  → 7. A bare "week"/"month" without a number or qualifier is not a period.
* **Trip ids**: the first mention of "trip 42" covers "trip 42" (with "#", "no.", "id" …);
  further ids in a list ("trips 42, 43 and 44") cover just their number.
* **Surfaces** leave out a leading "on" but keep qualifiers that change the meaning
  ("next monday", "last 7 days", "capacity 40", "lat 12.97").
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from typing import Final, TypeVar

from movi.grammar.mentions import Extractor, Mention, extractors, get_extractor
from movi.grammar.spoken import DIGIT_WORDS, TEEN_WORDS, TENS_WORDS

_FLAGS: Final = re.IGNORECASE | re.ASCII

_F = TypeVar("_F", bound=Extractor)


def _register(name: str) -> Callable[[_F], _F]:
    """``@extractors.register(name)`` with a type mypy can follow (catalogue is untyped)."""

    def decorate(func: _F) -> _F:
        extractors.register(name, func=func)
        return func

    return decorate


# --------------------------------------------------------------------------- text and numbers

_LOOKALIKES: Final = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u02bc": "'",
        "\u2032": "'",
        "`": "'",
        "\u00a0": " ",
        "\u2002": " ",
        "\u2003": " ",
        "\u2007": " ",
        "\u2009": " ",
        "\u202f": " ",
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\uff03": "#",
    }
)


def _prepare(text: str) -> str:
    """The text to match on: look-alikes replaced one for one, so offsets are unchanged."""
    return text if text.isascii() else text.translate(_LOOKALIKES)


_SMALL_NUMBERS: Final = {**DIGIT_WORDS, **TEEN_WORDS}
_TENS: Final = TENS_WORDS
_ORDINAL_WORDS: Final = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
    # Hinglish: "pehla wala", "dusra option", "teesri"
    "pehla": 1,
    "pehli": 1,
    "pehle": 1,
    "dusra": 2,
    "dusri": 2,
    "doosra": 2,
    "doosri": 2,
    "teesra": 3,
    "teesri": 3,
    "tisra": 3,
    "chautha": 4,
    "chauthi": 4,
}

#: zero … ninety-nine in words ("twenty five", "twenty-five").
_NUMWORD: Final = (
    r"\b(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
    r"(?:[\s-]+(?:one|two|three|four|five|six|seven|eight|nine)\b)?"
    r"|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"
    r"|zero|one|two|three|four|five|six|seven|eight|nine|ten)\b"
)
_HOUR_WORD: Final = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b"
_SPLIT_WORDS: Final = re.compile(r"[\s-]+")


def _number(token: str) -> float | None:
    """A number written in digits ("15", "1.5") or words ("twenty five", "a", "couple of")."""
    t = token.strip().lower()
    if not t:
        return None
    if t[0].isdigit():
        try:
            return float(t) if "." in t else int(t)
        except ValueError:
            return None
    if t in ("a", "an"):
        return 1
    if t.endswith("couple of"):
        return 2
    total = 0
    for part in _SPLIT_WORDS.split(t):
        if part in _SMALL_NUMBERS:
            total += _SMALL_NUMBERS[part]
        elif part in _TENS:
            total += _TENS[part]
        else:
            return None
    return total


def _int(token: str) -> int | None:
    n = _number(token)
    return None if n is None else int(n)


# --------------------------------------------------------------------------- overlap resolution


def _resolve(candidates: list[tuple[int, Mention]]) -> list[Mention]:
    """Keep non-overlapping mentions: lowest rank first, then the longest, then the earliest."""
    candidates.sort(key=lambda c: (c[0], c[1].start - c[1].end, c[1].start))
    starts: list[int] = []
    ends: list[int] = []
    kept: list[Mention] = []
    for _, m in candidates:
        i = bisect.bisect_right(starts, m.start)
        if i > 0 and ends[i - 1] > m.start:
            continue
        if i < len(starts) and starts[i] < m.end:
            continue
        if m.start == m.end:
            continue
        starts.insert(i, m.start)
        ends.insert(i, m.end)
        kept.insert(i, m)
    return kept


def _longest(mentions: list[Mention]) -> list[Mention]:
    """Within one extractor: where its patterns overlap, the longest reading wins."""
    if len(mentions) < 2:
        return mentions
    return _resolve([(0, m) for m in mentions])


class _Taken:
    """Spans already claimed, merged and sorted, for a quick "does this overlap?"."""

    __slots__ = ("ends", "starts")

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        merged: list[tuple[int, int]] = []
        for start, end in sorted(spans):
            if merged and start < merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        self.starts = [start for start, _ in merged]
        self.ends = [end for _, end in merged]

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self.starts, start)
        if i > 0 and self.ends[i - 1] > start:
            return True
        return i < len(self.starts) and self.starts[i] < end


def _spans(mentions: Iterable[Mention]) -> _Taken:
    return _Taken((m.start, m.end) for m in mentions)


def _has(low: str, hints: Iterable[str]) -> bool:
    """Whether any hint occurs in the lower-cased text: a cheap gate before a costly regex."""
    return any(h in low for h in hints)


def _mention(
    text: str, kind: str, value: object, start: int, end: int, unit: str | None = None
) -> Mention:
    return Mention(kind, value, start, end, text[start:end], unit)


_DIGIT: Final = re.compile(r"[0-9]")

# --------------------------------------------------------------------------- registration

_STATE_CODES: Final = (
    "AN|AP|AR|AS|BR|CG|CH|DD|DL|DN|GA|GJ|HP|HR|JH|JK|KA|KL|LA|LD|MH|ML|MN|MP|MZ|NL|OD|OR|PB|PY"
    "|RJ|SK|TG|TN|TR|TS|UA|UK|UP|WB"
)
_REGISTRATION: Final = re.compile(
    r"(?=[a-z]{2}[-. ]?[0-9])(?<![A-Za-z0-9])"
    rf"(?P<state>{_STATE_CODES})(?P<s1>[-. ]?)(?P<district>[0-9]{{1,2}})"
    r"(?P<s2>[-. ]?)(?P<series>(?:[A-Z]{1,3}(?:[-. ][A-Z]{1,2})?)?)(?P<s3>[-. ]?)"
    r"(?P<number>[0-9]{1,4})(?![A-Za-z0-9])",
    _FLAGS,
)
#: State codes that are also English words; lower-case and spaced out, they are words.
_WORDLIKE_STATES: Final = frozenset({"an", "as", "or", "up", "la", "ga"})
_SHORT_WORDS: Final = frozenset({"am", "pm", "to", "at", "by", "on", "in", "or", "of", "is", "as"})
_SEPARATORS: Final = re.compile(r"[-. ]")


def _registration_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for m in _REGISTRATION.finditer(text):
        # "KA 01 1234" is a plate; "up 2026" or "KA011234" is too ambiguous to be one.
        if not m["series"] and (not (m["s2"] or m["s3"]) or len(m["number"]) < 3):
            continue
        if m["s1"] == " " and m["state"].islower() and m["state"] in _WORDLIKE_STATES:
            continue
        parts = _SEPARATORS.split(m["series"].lower())
        if len(parts) > 1 and not _SHORT_WORDS.isdisjoint(parts):
            continue  # "KA 2 pm to 3": a time range, not a Delhi-style "1C AA" series
        spans.append((m.start(), m.end()))
    return spans


@_register("registration.v1")
def extract_registrations(text: str, *, today: date) -> list[Mention]:
    """Indian plates as written: "KA-01-AB-1234", "ka01ab1234", "TN-09-X-9", "DL 1C AA 1111".

    State code (a real one), 1–2 digit district, 0–3 series letters (Delhi's "1C AA" split
    allowed), 1–4 digits; "-", " " or "." between parts, or nothing.
    """
    norm = _prepare(text)
    if not _DIGIT.search(norm):
        return []
    return [_mention(text, "registration", text[s:e], s, e) for s, e in _registration_spans(norm)]


# --------------------------------------------------------------------------- phone

_PHONE: Final = re.compile(
    r"(?=[+0-9])(?<![\w+])(?:"
    r"(?:(?:\+91|0091|91)[-. ]?|0)?"
    r"(?:[6-9][0-9]{4}[-. ]?[0-9]{5}|[6-9][0-9]{2}[-. ][0-9]{3}[-. ][0-9]{4}"
    # as people group it when they say it: "7760 312 984", "98 4512 3344", "984 5123 344"
    r"|[6-9][0-9]{3}[-. ][0-9]{3}[-. ][0-9]{3}|[6-9][0-9][-. ][0-9]{4}[-. ][0-9]{4}"
    r"|[6-9][0-9]{2}[-. ][0-9]{4}[-. ][0-9]{3})"
    # a landline with its STD code: "080-41234567", "0821 2345678" (10 or 11 digits in all)
    r"|0[1-9](?:[0-9]{1,2}[-. ][0-9]{7,8}|[0-9]{2,3}[-. ][0-9]{6,7})"
    r")(?![0-9])",
    _FLAGS,
)


@_register("phone.v1")
def extract_phones(text: str, *, today: date) -> list[Mention]:
    """Indian phones as written: "9876543210", "98450 12345", "+91-9845012345", "080-41234567"."""
    norm = _prepare(text)
    if not _DIGIT.search(norm):
        return []
    return [
        _mention(text, "phone", text[m.start() : m.end()], m.start(), m.end())
        for m in _PHONE.finditer(norm)
    ]


# --------------------------------------------------------------------------- coordinates

_COORD_PAIR: Final = re.compile(
    r"(?=[-0-9])(?<![\w.-])(?P<lat>-?[0-9]{1,2}\.[0-9]{2,})(?:\s*[,;]\s*|\s+)"
    r"(?P<lon>-?[0-9]{1,3}\.[0-9]{2,})(?!\w|[.,][0-9])",
    _FLAGS,
)
_COORD_LABEL: Final = re.compile(
    r"(?=l)\b(?P<label>latitude|lat|longitude|long|lng|lon)\b\.?(?:\s*[:=]|\s+(?:is|to|of|=))?\s*"
    r"(?P<value>-?[0-9]{1,3}(?:\.[0-9]+)?)(?!\w|\.[0-9])",
    _FLAGS,
)


def _coordinate(value: str, limit: float) -> float | None:
    try:
        v = float(value)
    except ValueError:
        return None
    return v if -limit <= v <= limit else None


@_register("coordinates.v1")
def extract_coordinates(text: str, *, today: date) -> list[Mention]:
    """Latitude/longitude floats: "12.9716, 77.5946", "lat 12.97 long 77.59", negatives."""
    norm = _prepare(text)
    if not _DIGIT.search(norm):
        return []
    found: list[Mention] = []
    for m in _COORD_LABEL.finditer(norm):
        label = m["label"].lower()
        if label == "long" and "." not in m["value"]:
            continue  # "long" is a word too: "as long as 30" is not a longitude
        is_lat = label.startswith("lat")
        v = _coordinate(m["value"], 90.0 if is_lat else 180.0)
        if v is not None:
            kind = "latitude" if is_lat else "longitude"
            found.append(_mention(text, kind, v, m.start(), m.end()))
    labelled = _spans(found)
    pos = 0
    while (pair := _COORD_PAIR.search(norm, pos)) is not None:
        pos = pair.end()
        lat = _coordinate(pair["lat"], 90.0)
        lon = _coordinate(pair["lon"], 180.0)
        if lat is None or lon is None or labelled.overlaps(pair.start(), pair.end()):
            pos = pair.start("lon")  # the second number may start a pair of its own
            continue
        found.append(_mention(text, "latitude", lat, pair.start("lat"), pair.end("lat")))
        found.append(_mention(text, "longitude", lon, pair.start("lon"), pair.end("lon")))
    found.sort(key=lambda f: f.start)
    return found


# --------------------------------------------------------------------------- trip id

#: What makes a number after "trip" something else: a time, a duration.
_NOT_AN_ID: Final = (
    r"(?!\s*(?:[ap](?:\.\s?m\b|\s?m\b)|o'?\s?clock\b|hrs?\b|hours?\b|h\b|mins?\b|minutes?\b"
    r"|mts\b|days?\b|weeks?\b|months?\b|%|/[0-9]|in\s+the\s+(?:morning|afternoon|evening|night)\b))"
)
#: A small number before a count noun is a count ("trip 3 bookings"); "trip 1612 bookings"
#: is still trip 1612: nobody books a thousand seats.
_COUNT_AFTER: Final = re.compile(
    r"\s*(?:seats?|seaters?|bookings?|people|persons?|passengers?|pax|employees?)\b", _FLAGS
)
_TRIP_ID: Final = re.compile(
    r"(?=t)\btrips?(?:\s*[-#:]\s*|\s+)(?:(?:no\b\.?|num\b\.?|number|id)\s*[:#.]?\s*)?#?\s?"
    r"(?P<n>[0-9]{1,7})(?!\w|[.:][0-9])" + _NOT_AN_ID,
    _FLAGS,
)
_TRIP_ID_MORE: Final = re.compile(
    r"\s*(?:,\s*(?:and\s+|&\s*|or\s+)?|and\s+|&\s*|or\s+|/\s*)(?:(?:no\b\.?|#)\s*)?"
    r"(?P<n>[0-9]{1,7})(?!\w|[.:][0-9])" + _NOT_AN_ID,
    _FLAGS,
)
_HASH_ID: Final = re.compile(r"(?=#)(?<![\w#&])#\s?(?P<n>[0-9]{1,7})(?!\w|[.:][0-9])", _FLAGS)


@_register("trip_id.v1")
def extract_trip_ids(text: str, *, today: date) -> list[Mention]:
    """Trip ids as ints: "trip 42", "trip no. 42", "trip-42", "#42", "trips 42 and 43"."""
    norm = _prepare(text)
    if not _DIGIT.search(norm):
        return []
    found: list[Mention] = []

    def counted(m: re.Match[str]) -> bool:
        return len(m["n"]) <= 2 and _COUNT_AFTER.match(norm, m.end()) is not None

    for m in _TRIP_ID.finditer(norm):
        if counted(m):
            continue
        found.append(_mention(text, "trip_id", int(m["n"]), m.start(), m.end()))
        pos = m.end()
        while (more := _TRIP_ID_MORE.match(norm, pos)) is not None and not counted(more):
            start = more.start("n")
            if norm[start - 1] == "#":
                start -= 1
            found.append(_mention(text, "trip_id", int(more["n"]), start, more.end()))
            pos = more.end()
    taken = _spans(found)
    for m in _HASH_ID.finditer(norm):
        if not taken.overlaps(m.start(), m.end()):
            found.append(_mention(text, "trip_id", int(m["n"]), m.start(), m.end()))
    found.sort(key=lambda f: f.start)
    return found


# --------------------------------------------------------------------------- time

_SUFFIX: Final = (
    r"(?:\s*(?P<ap>[ap])(?:\.\s?m\b\.?|\s?m\b)"
    r"|\s*(?P<oc>o'?\s?clock)\b"
    r"|\s+(?:in\s+the\s+(?P<part>morning|afternoon|evening|night)|at\s+(?P<night>night))\b)"
)
_CLOCK: Final = re.compile(
    r"(?=[0-9])(?<![\w.:/])(?P<h>[0-9]{1,2})[:.](?P<m>[0-9]{2})(?::[0-9]{2})?(?![0-9]|[.:][0-9])"
    rf"(?:{_SUFFIX}|\s*(?P<hrs>hrs|hours|hr|h)\b)?",
    _FLAGS,
)
_HOUR: Final = re.compile(
    rf"(?=[0-9otfsen])(?<![\w.:/])(?P<h>[0-9]{{1,4}}|{_HOUR_WORD}){_SUFFIX}",
    _FLAGS,
)
_MILITARY: Final = re.compile(
    r"(?=[0-2])(?<![\w.:/,+#-])(?P<h>[01][0-9]|2[0-3])(?P<m>[0-5][0-9])"
    r"(?:\s*(?P<hrs>hrs|hours|hr|h)\b)?(?!\w|[.:/,-][0-9])",
    _FLAGS,
)
_PHRASE: Final = re.compile(
    rf"(?=[hqa0-9otfsenz])\b(?:(?P<half>half)\s+past|(?:a\s+)?(?P<q>quarter)\s+(?P<qdir>past|to)"
    rf"|(?P<n>[0-9]{{1,2}}|{_NUMWORD})\s+past)"
    rf"\s+(?P<h>[0-9]{{1,2}}\b|{_HOUR_WORD})(?![:.][0-9]){_SUFFIX}?",
    _FLAGS,
)
_NOON: Final = re.compile(
    r"(?=[1nm])\b(?:12(?:[:.]00)?\s*)?(?P<w>noon|mid-?day|midnight)\b", _FLAGS
)
_HOUR_HINT: Final = re.compile(r"[ap]\.?\s?m|clock|morning|afternoon|evening|night", _FLAGS)
#: Before a four-digit number, these make it a year or an id rather than a time.
_MILITARY_BEFORE: Final = re.compile(
    r"(?:\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?"
    r"|\b(?:trips?|no\.?|number|num|id|option|choice|year|in)|#)\s*[:#-]?\s*$",
    _FLAGS,
)
_UNIT_AFTER: Final = re.compile(
    r"\s*(?:bookings?|seats?|seaters?|people|persons?|passengers?|pax|employees?|days?|weeks?"
    r"|months?|mins?|minutes?|rs|rupees|km|kms|times)\b",
    _FLAGS,
)


def _to_24h(h: int, m: int, ap: str | None, part: str | None) -> tuple[int, int] | None:
    """An hour and minute, with its am/pm or part of day, on the 24-hour clock."""
    if not 0 <= m < 60:
        return None
    if ap is not None:
        if ap.lower() == "a":
            return (h % 12, m) if 0 <= h <= 12 else None
        if 1 <= h <= 12:
            return (h % 12 + 12, m)
        return (h, m) if 13 <= h <= 23 else None
    if part is not None:
        if not 1 <= h <= 12:
            return (h, m) if 13 <= h <= 23 and part != "morning" else None
        if part == "morning":
            return (h % 12, m)
        if part == "night" and (h == 12 or h <= 4):
            return (h % 12, m)
        return (h % 12 + 12, m)
    return (h, m) if 0 <= h <= 23 else None


def _hhmm(hm: tuple[int, int]) -> str:
    return f"{hm[0]:02d}:{hm[1]:02d}"


def _part(m: re.Match[str]) -> str | None:
    part = m["part"] or m["night"]
    return part.lower() if part else None


# Hindi/Hinglish clock times name the part of the day: "shaam 6 baje" is 18:00.
_BAJE: Final = re.compile(
    r"\b(?P<part>subah|subha|savere|dopahar|dopehar|shaam|sham|raat)\s+(?P<h>[0-9]{1,2})"
    r"(?:[:.](?P<m>[0-5][0-9]))?\s*baje\b",
    _FLAGS,
)


@_register("time.v1")
def extract_times(text: str, *, today: date) -> list[Mention]:
    """Clock times as "HH:MM" (24 h): "8am", "7.30 pm", "20:15", "1930 hrs", "quarter to 9"."""
    norm = _prepare(text)
    low = norm.lower()
    found: list[Mention] = []
    if "noon" in low or "mid" in low:
        for m in _NOON.finditer(norm):
            value = "00:00" if m["w"].lower() == "midnight" else "12:00"
            found.append(_mention(text, "time", value, m.start(), m.end()))
    phrases = _PHRASE.finditer(norm) if "past" in low or "quarter" in low else ()
    for m in phrases:
        h = _int(m["h"])
        if h is None or (_UNIT_AFTER.match(norm, m.end()) and not (m["ap"] or m["oc"])):
            continue
        hm = _to_24h(h, 0, m["ap"], _part(m))
        if hm is None:
            continue
        if m["half"]:
            delta = 30
        elif m["q"]:
            delta = 15 if m["qdir"].lower() == "past" else -15
        else:
            delta = _int(m["n"]) or 0
            if not 1 <= delta < 60:
                continue
        total = (hm[0] * 60 + hm[1] + delta) % 1440
        found.append(_mention(text, "time", _hhmm(divmod(total, 60)), m.start(), m.end()))
    if _HOUR_HINT.search(norm):
        for m in _HOUR.finditer(norm):
            _add_hour(text, m, found)
    if "baje" in low:
        for m in _BAJE.finditer(norm):
            hour, minute = int(m["h"]), int(m["m"] or 0)
            part = m["part"].lower()
            if part == "raat" and hour == 12:
                hour = 0  # "raat 12 baje" is midnight
            elif part in ("shaam", "sham", "raat", "dopahar", "dopehar") and hour < 12:
                hour += 12
            if hour < 24:
                found.append(_mention(text, "time", _hhmm((hour, minute)), m.start(), m.end()))
    if not _DIGIT.search(norm):
        return _longest(found)
    clocks = _CLOCK.finditer(norm) if ":" in low or "." in low else ()
    for m in clocks:
        hm = _to_24h(int(m["h"]), int(m["m"]), m["ap"], _part(m))
        if hm is not None:
            found.append(_mention(text, "time", _hhmm(hm), m.start(), m.end()))
    blocked: _Taken | None = None
    for m in _MILITARY.finditer(norm):
        start, end = m.start(), m.end()
        if _UNIT_AFTER.match(norm, end):
            continue
        if not m["hrs"] and _MILITARY_BEFORE.search(norm, max(0, start - 16), start):
            continue  # a year ("3 Dec 2026") or an id ("trip 1930"), unless it says "hrs"
        if blocked is None:
            phones = [(p.start(), p.end()) for p in _PHONE.finditer(norm)]
            blocked = _Taken(_registration_spans(norm) + phones)
        if blocked.overlaps(start, end):
            continue
        hm = (int(m["h"]), int(m["m"]))
        found.append(_mention(text, "time", _hhmm(hm), start, end))
    return _longest(found)


def _add_hour(text: str, m: re.Match[str], found: list[Mention]) -> None:
    raw = m["h"]
    if raw[0].isdigit():
        if len(raw) <= 2:
            h, minute = int(raw), 0
        else:
            h, minute = int(raw[:-2]), int(raw[-2:])
    else:
        h, minute = _int(raw) or 0, 0
    if m["oc"] and m["ap"] is None and not 1 <= h <= 12:
        return
    hm = _to_24h(h, minute, m["ap"], _part(m))
    if hm is not None:
        found.append(_mention(text, "time", _hhmm(hm), m.start(), m.end()))


# --------------------------------------------------------------------------- duration and days

_HOURS: Final = r"(?:hours?|hrs?)\b"
_MINUTES: Final = r"(?:minutes?|mins?|mnts?|mts|nimisham|nimishangal|nimishalu|minat)\b"
_NUM_HOURS: Final = rf"(?:[0-9]{{1,2}}(?:\.[0-9]+)?|{_NUMWORD}|an?\b|(?:a\s+)?couple\s+of)"
_NUM_WHOLE: Final = rf"(?:[0-9]{{1,2}}|{_NUMWORD}|an?\b)"
_DURATION: Final = re.compile(
    r"(?=[0-9aohtqfsenzclp])(?<![\w.:/])(?:"
    rf"(?P<ah>{_NUM_WHOLE})\s*(?:-\s*)?{_HOURS}\s+and\s+(?:a\s+)?half\b"
    rf"|(?P<ah2>{_NUM_WHOLE})\s+and\s+a\s+half\s+{_HOURS}"
    rf"|(?P<ch>{_NUM_HOURS})\s*(?:hours?|hrs?|h)(?![a-z])\s*(?:and\s+|,\s*)?"
    rf"(?P<cm>[0-9]{{1,2}}|{_NUMWORD})\s*(?:{_MINUTES}|m\b)"
    r"|(?:(?:a|one)\s+)?(?P<half>half)(?:\s+an?\s+|\s*-\s*|\s+)(?:hour|hr)\b"
    r"|(?P<tq>three)\s+quarters?\s+of\s+an?\s+hour\b"
    r"|(?:(?:a|one)\s+)?(?P<qh>quarter)(?:\s+of\s+an?\s+|\s*-\s*|\s+)(?:hour|hr)\b"
    rf"|(?P<h>{_NUM_HOURS})\s*(?:-\s*)?{_HOURS}"
    r"|(?P<hg>[0-9]{1,2}(?:\.[0-9]+)?)h\b"
    rf"|(?P<m>[0-9]{{1,4}}(?:\.[0-9]+)?|{_NUMWORD})\s*(?:-\s*)?(?:(?:more|extra|additional)\s+)?"
    rf"{_MINUTES}"
    r"|(?:the\s+)?(?:last|past|previous|next|coming)\s+(?P<unit>hour|minute)\b"
    r"|(?P<mg>[0-9]{1,3})\s?m\b(?=\s*(?:late|early|delay|delayed|later|earlier|behind|ahead"
    r"|extra|more)\b)"
    r"|(?<=\bby\s)(?P<mb>[0-9]{1,3})m\b"
    r")",
    _FLAGS,
)
_DAYS: Final = re.compile(
    r"(?=[0-9a-gl-pst-wz])"
    r"\b(?:(?P<q>(?:the\s+)?(?:last|past|next|coming|previous|this|upcoming))\s+)?"
    rf"(?:(?P<n>[0-9]{{1,4}}|{_NUMWORD}|an?\b|(?:a\s+)?couple\s+of)\s*(?:-\s*)?)?"
    r"(?P<u>days?|weeks?|fortnights?|months?|din)\b",
    _FLAGS,
)
_DURATION_HINTS: Final = ("hour", "hr", "min", "mnt", "mts", "nimisha")
_DIGIT_H_OR_M: Final = re.compile(r"[0-9]\s?[hm]", _FLAGS)
_DAYS_HINTS: Final = ("day", "week", "fortnight", "month", "din")
_PERIOD_DAYS: Final = {"day": 1, "week": 7, "fortnight": 14, "month": 30, "din": 1}


def _minutes(m: re.Match[str]) -> float | None:
    if m["ah"] or m["ah2"]:
        n = _number(m["ah"] or m["ah2"])
        return None if n is None else n * 60 + 30
    if m["ch"]:
        h, mins = _number(m["ch"]), _number(m["cm"])
        return None if h is None or mins is None else h * 60 + mins
    if m["half"]:
        return 30
    if m["tq"]:
        return 45
    if m["unit"]:
        return 60 if m["unit"].lower() == "hour" else 1
    if m["qh"]:
        return 15
    if m["h"] or m["hg"]:
        n = _number(m["h"] or m["hg"])
        return None if n is None else n * 60
    n = _number(m["m"] or m["mg"] or m["mb"] or "")
    return n


@_register("duration.v1")
def extract_durations(text: str, *, today: date) -> list[Mention]:
    """Durations in whole minutes ("half an hour" → 30) and periods in days ("last week" → 7)."""
    norm = _prepare(text)
    low = norm.lower()
    found: list[Mention] = []
    if _has(low, _DURATION_HINTS) or _DIGIT_H_OR_M.search(norm):
        for m in _DURATION.finditer(norm):
            minutes = _minutes(m)
            if minutes is not None:
                found.append(_mention(text, "duration", int(minutes + 0.5), m.start(), m.end()))
    if not _has(low, _DAYS_HINTS):
        return _longest(found)
    for m in _DAYS.finditer(norm):
        unit = m["u"].lower().rstrip("s")
        if m["n"] is None and (m["q"] is None or unit == "day") and unit != "fortnight":
            continue
        n = 1 if m["n"] is None else _int(m["n"])
        if n is not None:
            found.append(_mention(text, "days", n * _PERIOD_DAYS[unit], m.start(), m.end()))
    return _longest(found)


# --------------------------------------------------------------------------- date

_MONTH_NUMBERS: Final = {
    name: i + 1
    for i, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    )
}
_WEEKDAY_NUMBERS: Final = {
    name: i for i, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
}
_MONTH: Final = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)"
)
_WEEKDAY: Final = (
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|tues|tue|thurs|thur|thu|weds|wed|fri|mon|sat|sun)"
)
#: Abbreviations that are ordinary words and need "on"/"next"/… to be a weekday.
_WORDLIKE_WEEKDAYS: Final = frozenset({"mon", "wed", "sat", "sun"})
_TOMORROW: Final = r"(?:tomorrow|tomorow|tommorow|tommorrow|tmrw|tmr|tmw|2morrow|2moro|2mrw)"
_RELATIVE_DAYS: Final = re.compile(
    rf"(?=[tdy2a])\b(?P<rel>(?:the\s+)?day\s+after\s+{_TOMORROW}|(?:the\s+)?day\s+before\s+yesterday"
    rf"|today|tonight|{_TOMORROW}|yesterday|yday|aaj)\b",
    _FLAGS,
)
_WEEKDAY_DATE: Final = re.compile(
    r"(?=[otncuplmwfs])\b(?:(?P<on>on)\s+)?"
    r"(?P<core>(?:(?P<q>this\s+coming|next|this|coming|upcoming|last|previous|past)\s+)?"
    rf"(?P<wd>{_WEEKDAY}))\b",
    _FLAGS,
)
_YEAR_TAIL: Final = r"(?!\s*(?:hrs?\b|hours\b|h\b|[ap]\.?\s?m\b)|[:.][0-9])"
_DAY_MONTH: Final = re.compile(
    rf"\b(?P<d>[0-9]{{1,2}})(?:st|nd|rd|th)?"
    rf"(?:\s+of)?[\s/.-]*(?P<mon>{_MONTH})\b\.?"
    rf"(?:,?[\s/.-]*(?P<y>[0-9]{{4}})\b{_YEAR_TAIL})?",
    _FLAGS,
)
_MONTH_DAY: Final = re.compile(
    rf"(?=[adfjmnos])\b(?P<mon>{_MONTH})\b\.?[\s/-]*(?P<d>[0-9]{{1,2}})"
    r"(?:st|nd|rd|th)?\b(?![:.][0-9]|\s*(?:[ap]\.?\s?m\b|o'?\s?clock|hrs?\b|hours?\b"
    r"|mins?\b|minutes?\b|bookings?\b|seats?\b|seaters?\b|people\b|passengers?\b|pax\b))"
    rf"(?:,?\s*(?P<y>[0-9]{{4}})\b{_YEAR_TAIL})?",
    _FLAGS,
)
_NUMERIC_DATE: Final = re.compile(
    r"(?=[0-9])(?<![\w./:#,-])(?P<d>[0-9]{1,2})(?P<s>[/.-])(?P<m>[0-9]{1,2})"
    r"(?:(?P=s)(?P<y>[0-9]{4}|[0-9]{2}))?(?![\w]|[./:-][0-9])"
    r"(?!\s*(?:hours?|hrs?|h|mins?|minutes?|km|kms)\b)",
    _FLAGS,
)
_ISO_DATE: Final = re.compile(
    r"(?=[0-9])(?<![\w./:-])(?P<y>[0-9]{4})(?P<s>[-/.])(?P<m>[0-9]{1,2})(?P=s)(?P<d>[0-9]{1,2})"
    r"(?![\w]|[./:-][0-9])",
    _FLAGS,
)
_DAY_ONLY: Final = re.compile(
    r"(?=[ot0-9])\b(?:(?P<on>on)\s+)?(?P<core>(?P<the>the\s+)?(?P<d>[0-9]{1,2})(?:st|nd|rd|th)"
    r"(?:\s+of\s+(?P<ofm>this|next|the\s+next|the\s+current|current)\s+month)?)\b"
    rf"(?!\s*(?:of\s+)?{_MONTH}\b|\s*[/.-][0-9])",
    _FLAGS,
)
#: A weekday or "the" just before a calendar date belongs to it: "Mon, 30 Nov", "the 3rd of Dec".
_CALENDAR_PREFIX: Final = re.compile(
    rf"(?:\b{_WEEKDAY}\.?,?\s+)?(?:\bthe\s+)?$",
    _FLAGS,
)
#: Lower-case "may 3" is a date only after one of these (or at the start, or after punctuation).
_MAY_BEFORE: Final = re.compile(
    r"(?:^|[^\w\s]|\b(?:on|from|to|till|until|by|for|before|after|since|of|and|or))\s*$", _FLAGS
)
#: After "the 5th" (without "on"), what lets it be a date rather than "the 5th trip".
_DAY_FOLLOWER: Final = re.compile(
    r"\s*(?:$|[,.;:!?)\]\"'0-9]|(?:at|by|for|from|to|till|until|and|or|in|instead|too|please"
    r"|pls|plz|morning|evening|night|afternoon|onwards|itself|also|then|as|with)\b)",
    _FLAGS,
)
#: … and what before or after it says it is a day: "to the 5th", "the 5th at 8am".
_DAY_PREPOSITION: Final = re.compile(
    r"\b(?:to|for|from|till|until|by|before|after|since|of|about|and|or|between|through"
    r"|except|starting|upto)\s+$",
    _FLAGS,
)
_DAY_TIME_CUE: Final = re.compile(
    r"\s*(?:[0-9]|(?:at|morning|evening|night|afternoon|onwards)\b)", _FLAGS
)


_RELATIVE_HINTS: Final = ("day", "tonight", "tom", "tm", "2m", "aaj")
#: Words for a day either side of today; the tense of the rest of the text decides the side.
_EITHER_WAY: Final = re.compile(
    r"(?=[knpr])\b(?P<w>kal|parso|parson|naale|nale|nalaiku|naalaikku|naalaiku|repu|reypu)\b",
    _FLAGS,
)
_EITHER_WAY_DAYS: Final = {
    "kal": 1,
    "parso": 2,
    "parson": 2,
    "naale": 1,
    "nale": 1,
    "nalaiku": 1,
    "naalaikku": 1,
    "naalaiku": 1,
    "repu": 1,
    "reypu": 1,
}
#: Kannada "naale", Tamil "naalaikku", Telugu "repu": tomorrow, whatever the tense.
_FUTURE_ONLY: Final = frozenset(
    {"naale", "nale", "nalaiku", "naalaikku", "naalaiku", "repu", "reypu"}
)
_PAST_TENSE: Final = re.compile(
    r"\b(?:hua|hui|hue|tha|thi|gaya|gayi|gaye|kiya|kiye|liya|diya|was|were|did|happened|went"
    r"|came|yesterday|last)\b",
    _FLAGS,
)
_WEEKDAY_HINTS: Final = tuple(_WEEKDAY_NUMBERS)
_NUMERIC_DATE_HINTS: Final = ("/", "-", ".")


def _dateparser_settings(today: date) -> dict[str, object]:
    return {
        "RELATIVE_BASE": datetime.combine(today, time()),
        "PREFER_DATES_FROM": "future",
        "DATE_ORDER": "DMY",
        "RETURN_AS_TIMEZONE_AWARE": False,
    }


@functools.lru_cache(maxsize=2048)
def _dateparser(span: str, today: date) -> date | None:
    """dateparser's reading of a calendar span; cached, as commands repeat the same dates."""
    try:
        import dateparser  # deferred: importing it costs ~0.1 s that most commands never need

        parsed = dateparser.parse(span, languages=["en"], settings=_dateparser_settings(today))
    except Exception:  # dateparser can raise on odd input; a missing date is the answer then
        return None
    return parsed.date() if isinstance(parsed, datetime) else None


def _year_less(today: date, month: int, day: int) -> date | None:
    """The first ``day``/``month`` on or after today (Feb 29 waits for a leap year)."""
    for year in range(today.year, today.year + 9):
        try:
            d = date(year, month, day)
        except ValueError:
            continue
        if d >= today:
            return d
    return None


def _calendar(span: str, today: date, day: int, month: int, year: str | None) -> date | None:
    """A calendar date, read by dateparser and held to the conventions (DMY, roll forward)."""
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return None
    parsed = _dateparser(span.lower(), today)
    if parsed is None:
        return None  # "31 nov": no such day
    # dateparser may order numbers differently or re-year; the regex's reading is the convention
    if year is None:
        return _year_less(today, month, day)
    y = int(year)
    if len(year) == 2:
        y += 2000
    try:
        return date(y, month, day)
    except ValueError:
        return None


def _day_of_month(today: date, day: int, of_month: str | None) -> date | None:
    if not 1 <= day <= 31:
        return None
    months = 0
    if of_month is not None:
        months = 0 if of_month.lower().endswith(("this", "current")) else 1
    for step in range(months, months + 12 if of_month is None else months + 1):
        y, m = divmod(today.month - 1 + step, 12)
        try:
            d = date(today.year + y, m + 1, day)
        except ValueError:
            continue
        if of_month is not None or d >= today:
            return d
    return None


def _weekday(today: date, target: int, qualifier: str | None) -> date:
    if qualifier is not None and qualifier.lower() in ("last", "previous", "past"):
        return today - timedelta(days=(today.weekday() - target) % 7 or 7)
    return today + timedelta(days=(target - today.weekday()) % 7 or 7)


_RELATIVE_OFFSETS: Final = {"today": 0, "tonight": 0, "aaj": 0, "yesterday": -1, "yday": -1}


def _relative(word: str) -> int:
    w = " ".join(word.lower().split())
    if w.startswith("the "):
        w = w[4:]
    if w.startswith("day after"):
        return 2
    if w.startswith("day before"):
        return -2
    return _RELATIVE_OFFSETS.get(w, 1)


def _dates(text: str, norm: str, today: date) -> list[Mention]:
    found: list[Mention] = []

    def add(value: date | None, start: int, end: int) -> None:
        if value is not None:
            found.append(_mention(text, "date", value.isoformat(), start, end))

    low = norm.lower()
    if _has(low, _RELATIVE_HINTS):
        for m in _RELATIVE_DAYS.finditer(norm):
            add(today + timedelta(days=_relative(m["rel"])), m.start(), m.end())
    if _has(low, ("kal", "pars", "nale", "naale", "nalai", "naalai", "repu", "reypu")):
        for m in _EITHER_WAY.finditer(norm):
            word = m["w"].lower()
            days = _EITHER_WAY_DAYS[word]
            if word not in _FUTURE_ONLY and _PAST_TENSE.search(norm):
                days = -days
            add(today + timedelta(days=days), m.start(), m.end())
    if _has(low, _WEEKDAY_HINTS):
        for m in _WEEKDAY_DATE.finditer(norm):
            wd = m["wd"].lower()
            if wd in _WORDLIKE_WEEKDAYS and not (m["on"] or m["q"]):
                continue
            when = _weekday(today, _WEEKDAY_NUMBERS[wd[:3]], m["q"])
            add(when, m.start("core"), m.end("core"))
    if not _DIGIT.search(norm):
        return found
    if _has(low, _MONTH_NUMBERS):
        for m in itertools.chain(_DAY_MONTH.finditer(norm), _MONTH_DAY.finditer(norm)):
            if (
                m.re is _MONTH_DAY
                and m["mon"] == "may"
                and not _MAY_BEFORE.search(norm, max(0, m.start() - 8), m.start())
            ):
                continue  # "driver may 3 …": the verb, unless a preposition says it is a date
            month = _MONTH_NUMBERS[m["mon"][:3].lower()]
            value = _calendar(m.group().lower(), today, int(m["d"]), month, m["y"])
            if value is not None:
                prefix = _CALENDAR_PREFIX.search(norm, max(0, m.start() - 16), m.start())
                add(value, prefix.start() if prefix else m.start(), m.end())
    if _has(low, _NUMERIC_DATE_HINTS):
        for m in _NUMERIC_DATE.finditer(norm):
            if m["y"] is None and (m["s"] != "/" or m.group() == "24/7"):
                continue
            day, month = int(m["d"]), int(m["m"])
            add(_calendar(m.group(), today, day, month, m["y"]), m.start(), m.end())
        for m in _ISO_DATE.finditer(norm):
            day, month = int(m["d"]), int(m["m"])
            add(_calendar(m.group(), today, day, month, m["y"]), m.start(), m.end())
    for m in _DAY_ONLY.finditer(norm):
        if not (m["on"] or m["ofm"]):
            if not m["the"]:
                continue
            if not _DAY_FOLLOWER.match(norm, m.end()):
                continue  # "the 2nd trip", "the 3rd one"
            before = max(0, m.start() - 12)
            if not (
                _DAY_PREPOSITION.search(norm, before, m.start())
                or _DAY_TIME_CUE.match(norm, m.end())
            ):
                continue  # "the 2nd", "pick the 2nd": a choice
        add(_day_of_month(today, int(m["d"]), m["ofm"]), m.start("core"), m.end("core"))
    return found


@_register("date.v1")
def extract_dates(text: str, *, today: date) -> list[Mention]:
    """Dates as "YYYY-MM-DD": "tomorrow", "next monday", "3 Dec", "03/12", "on the 5th"."""
    if isinstance(today, datetime):
        today = today.date()
    norm = _prepare(text)
    try:
        return _longest(_dates(text, norm, today))
    except (OverflowError, ValueError):  # only near date.min/date.max
        return []


# --------------------------------------------------------------------------- quantity and number

_QUANTITY_UNITS: Final = {
    "booking": "bookings",
    "reservation": "bookings",
    "people": "people",
    "person": "people",
    "persons": "people",
    "ppl": "people",
    "passenger": "people",
    "pax": "people",
    "employee": "people",
    "rider": "people",
    "staff": "people",
    "member": "people",
    "guest": "people",
    "commuter": "people",
    "seat": "seats",
    "seater": "seater",
    "trip": "trips",
    "vehicle": "vehicles",
    "bus": "vehicles",
    "buse": "vehicles",
    "cab": "vehicles",
    "van": "vehicles",
}
_QUANTITY: Final = re.compile(
    rf"(?=[0-9otfsenz])(?<![\w.:/#])(?<!\w-)(?P<n>[0-9]{{1,6}}|{_NUMWORD})\s*(?:-\s*)?"
    r"(?:(?:more|extra|additional|new|less|fewer|confirmed|free|empty|spare)\s+)?"
    r"(?P<u>bookings?|reservations?|people|persons?|ppl|passengers?|pax|employees?|riders?"
    r"|staff|members?|guests?|commuters?|seaters?|seats?|trips|vehicles?|buses|bus|cabs?|vans?"
    r"|log|logon)\b"  # Hinglish "3 log" = 3 people
    r"(?P<vehicle>\s*(?:bus|buses|cab|cabs|van|vehicle|coach|tempo|traveller|car)\b)?",
    _FLAGS,
)
_CAPACITY: Final = re.compile(
    rf"(?=c)\bcapacity\s*(?:(?:of|is|to|as|=|:)\s*)?(?P<n>[0-9]{{1,4}}\b|{_NUMWORD})"
    r"(?!\s*(?:%|percent))",
    _FLAGS,
)
#: A number in words after "by" ("reduce the bookings by four"); elsewhere a word like "one"
#: is too often no number at all ("the one at 8", "which one").
#: A duration in words ("by five minutes") overlaps it and wins (see ``extract_all``).
_BY_NUMBER_WORD: Final = re.compile(rf"(?=b)\bby\s+(?P<n>{_NUMWORD})", _FLAGS)
_NUMBER: Final = re.compile(
    r"(?=[0-9])(?<![\w.:/#])(?<!\w-)(?<![0-9],)(?P<n>[0-9]{1,9})(?!\w|[.:/,][0-9])", _FLAGS
)


@_register("quantity.v1")
def extract_quantities(text: str, *, today: date) -> list[Mention]:
    """Counts with their noun ("3 bookings", "a 40 seater", "capacity 40") and bare numbers."""
    norm = _prepare(text)
    found: list[Mention] = []
    for m in _QUANTITY.finditer(norm):
        n = _int(m["n"])
        if n is None:
            continue
        noun = m["u"].lower()
        unit = _QUANTITY_UNITS.get(noun, _QUANTITY_UNITS.get(noun[:-1], "people"))
        end = m.end("u")
        if unit == "seats" and m["vehicle"]:
            unit = "seater"  # "40 seat bus"
        found.append(_mention(text, "quantity", n, m.start(), end, unit))
    for m in _CAPACITY.finditer(norm):
        n = _int(m["n"])
        if n is not None:
            found.append(_mention(text, "quantity", n, m.start(), m.end(), "seater"))
    found = _longest(found)
    taken = _spans(found)
    for m in _BY_NUMBER_WORD.finditer(norm):
        n = _int(m["n"])
        if n is not None and not taken.overlaps(m.start("n"), m.end("n")):
            found.append(_mention(text, "number", n, m.start("n"), m.end("n")))
    found.sort(key=lambda f: f.start)
    if not _DIGIT.search(norm):
        return found
    taken = _spans(found)
    numbers = [
        _mention(text, "number", int(m["n"]), m.start(), m.end())
        for m in _NUMBER.finditer(norm)
        if not taken.overlaps(m.start(), m.end())
    ]
    return sorted(found + numbers, key=lambda f: f.start)


# --------------------------------------------------------------------------- ordinal

_ORDINAL: Final = re.compile(
    r"(?=[0-9fstenocpd])(?:"
    r"\b(?P<w>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh"
    r"|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth"
    r"|twentieth|pehla|pehli|pehle|dusra|dusri|doosra|doosri|teesra|teesri|tisra|chautha"
    r"|chauthi)\b"
    r"|(?<![\w.:/#])(?P<d>[0-9]{1,3})(?:st|nd|rd|th)\b"
    r"|\b(?:option|choice|number|num\b\.?|no\b\.?)\s*[:#]?\s*"
    rf"(?P<k>[0-9]{{1,3}}\b|{_NUMWORD})(?![.:][0-9]))",
    _FLAGS,
)
_NOT_ORDINAL_BEFORE: Final = re.compile(r"\b(?:a|[0-9]+)\s+$", _FLAGS)


@_register("ordinal.v1")
def extract_ordinals(text: str, *, today: date) -> list[Mention]:
    """Positions in a list: "second"/"2nd" → 2, "option 3"/"no. 3"/"choice three" → 3."""
    norm = _prepare(text)
    found: list[Mention] = []
    for m in _ORDINAL.finditer(norm):
        if m["w"]:
            word = m["w"].lower()
            if word == "second" and _NOT_ORDINAL_BEFORE.search(
                norm, max(0, m.start() - 8), m.start()
            ):
                continue  # "wait a second", "30 second"
            value: int | None = _ORDINAL_WORDS[word]
        else:
            value = _int(m["d"] or m["k"])
        if value is not None and value >= 1:
            found.append(_mention(text, "ordinal", value, m.start(), m.end()))
    return found


# --------------------------------------------------------------------------- all together

#: Which mention wins an overlap: lower first. Kinds not listed come after all of these.
PRIORITY: Final[dict[str, int]] = {
    "registration": 0,
    "phone": 1,
    "latitude": 2,
    "longitude": 2,
    "trip_id": 3,
    "date": 4,
    "duration": 5,
    "days": 5,
    "time": 6,
    "quantity": 7,
    "ordinal": 8,
    "number": 9,
}

#: The extractors :func:`extract_all` runs when not told otherwise.
DEFAULT_EXTRACTORS: Final = (
    "registration.v1",
    "phone.v1",
    "coordinates.v1",
    "trip_id.v1",
    "date.v1",
    "duration.v1",
    "time.v1",
    "quantity.v1",
    "ordinal.v1",
)


def extract_all(text: str, *, today: date, names: Iterable[str] | None = None) -> list[Mention]:
    """Every mention the named extractors find, overlaps resolved, sorted by start.

    Where two mentions overlap, the one of higher priority stays and the other is dropped:
    registration > phone > coordinates (latitude, longitude) > trip_id > date >
    duration/days > time > quantity > ordinal > number (then any other kind). Between equals,
    the longer, then the earlier, wins. So "KA-01-AB-1234" is never a time "12:34", "trip
    1930" is trip 1930, "3 Dec" is a date and not the number 3, and "by 1.30 hrs" is a
    duration. ``names`` defaults to :data:`DEFAULT_EXTRACTORS`; an unknown name raises
    ``KeyError``.
    """
    lowest = len(PRIORITY) + 1
    candidates: list[tuple[int, Mention]] = []
    for name in DEFAULT_EXTRACTORS if names is None else names:
        for m in get_extractor(name)(text, today=today):
            candidates.append((PRIORITY.get(m.kind, lowest), m))
    return _resolve(candidates)


def warm_up(today: date | None = None) -> None:
    """Import dateparser and parse one date, so the first command does not pay ~0.2 s for it."""
    _dateparser("1 jan", today or date.today())


__all__ = [
    "DEFAULT_EXTRACTORS",
    "PRIORITY",
    "extract_all",
    "extract_coordinates",
    "extract_dates",
    "extract_durations",
    "extract_ordinals",
    "extract_phones",
    "extract_quantities",
    "extract_registrations",
    "extract_times",
    "extract_trip_ids",
    "extractors",
    "warm_up",
]
