"""Numbers as operators dictate them ("trip forty five twelve at six fifty a m"), as digits.

Voice transcripts spell ids and times in words; the grammar reads digits. :func:`spoken_numbers`
rewrites runs of English number words and leaves every other character as it was.

Rules:

* **Number words** (any case): zero … nineteen, twenty … ninety (also hyphenated,
  "forty-five"), hundred, thousand, and "double"/"triple" before a digit word ("double five" is
  55, "triple seven" 777: Indian-English dictation of registrations and phones).
* **A run** is a sequence of number words separated only by spaces or hyphens; "and" belongs to
  a run only directly after "hundred"/"thousand" and before a number ("one hundred and five").
  Anywhere else "and" and a stray "double"/"triple" split the run and stay as words; "oh" between
  number words is a zero ("sixty two oh eight" → 6208), elsewhere it splits the run.
* **Groups** inside a run: tens + unit ("forty five" 45), a lone tens ("fifty"), a teen
  ("twelve"), a digit word (one digit), "X hundred [and] Y" (X·100 + Y), "X thousand
  [Y hundred] [and] [Z]" (the full number), "double/triple D" (D repeated).
* **One group** is that number; **several groups** are their digits one after another, which
  is how ids are dictated: "forty five twelve" 4512, "six zero nine three" 6093, "fifty ninety
  seven" 5097, "one two three" 123.
* **Times.** A run followed by am/pm ("am", "a m", "a.m.", "pm", "p m", "p.m.") or
  "o'clock"/"oclock" that reads as an hour (1–12) and minutes (0–59: tens, tens + unit, a
  teen, or "oh"/"zero" + digit) becomes "h:mm" ("ten forty five p m" → "10:45 pm", "six oh
  five am" → "6:05 am"); a lone hour word becomes its digits ("six am" → "6 am"). Spaced
  "a m"/"p m" after a time become "am"/"pm". Any other run before
  am/pm follows the plain rules.
* **Which runs are rewritten:** every run of two or more number words. A single word only when
  it is a tens, teen or "hundred" word right after "trip", "trip no", "trip number", "#",
  "route" or "path" ("trip forty" → "trip 40"), or when am/pm/o'clock follows it. Elsewhere a
  single word stays a word ("this one", "one more booking", "reduce it by four"): the grammar
  already reads single number words where they matter.
* **Never touched:** digits, registrations, words that merely contain a number word
  ("often", "someone", "seventh"), ordinals, "a"/"couple", and everything around a run.

Most commands hold no number word at all; for them a set lookup of their tokens decides (as in
:class:`~movi.grammar.normalize.Phrases`) and the text comes back as the same object.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

from movi.grammar.normalize import tokens

#: The number words, shared with :mod:`movi.grammar.extractors`.
DIGIT_WORDS: Final = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
TEEN_WORDS: Final = {
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS_WORDS: Final = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_DIGITS: Final = DIGIT_WORDS
_TEENS: Final = TEEN_WORDS
_TENS: Final = TENS_WORDS
_BELOW_HUNDRED: Final = {**_DIGITS, **_TEENS, **_TENS}
_HOURS: Final = {w: n for w, n in _BELOW_HUNDRED.items() if 1 <= n <= 12}
_REPEATS: Final = {"double": 2, "triple": 3}
_SCALES: Final = frozenset({"hundred", "thousand"})
#: A single word is an id after "trip" only if it cannot be a count or an ordinary "one".
_ID_WORDS: Final = frozenset({*_TEENS, *_TENS, "hundred"})

#: Every rewrite holds one of these, so text whose tokens miss them all is returned at once.
_KEYS: Final = frozenset({*_BELOW_HUNDRED, *_SCALES})

_WORDS: Final = sorted([*_BELOW_HUNDRED, *_SCALES, *_REPEATS, "oh"], key=len, reverse=True)
# Letters are matched ASCII-only (so "ſix" is no "six"), word edges in Unicode (so "éone" is one
# word, not "é" + "one"). An apostrophe joins words: "one's" is no number.
_WORD: Final = rf"(?a:{'|'.join(_WORDS)})(?![\w'])"
_RUN: Final = re.compile(rf"(?<![\w']){_WORD}(?:[\s-]+(?:(?a:and)[\s-]+)?{_WORD})*", re.IGNORECASE)
_TOKEN: Final = re.compile(r"[a-z]+", re.IGNORECASE | re.ASCII)
_SEPARATORS: Final = re.compile(r"[\s-]+")
_BREAKS: Final = frozenset({"oh", "and", *_REPEATS})
_SUFFIX: Final = re.compile(
    r"\s+(?:(?P<meridiem>[ap])(?P<gap>\s?|\.\s?)(?P<m>m)(?:\.|(?![\w']))|o'?\s?clock(?![\w']))",
    re.IGNORECASE | re.ASCII,
)
_ID_CONTEXT: Final = re.compile(
    r"(?:(?<![\w'])(?:trip(?:\s+(?:no\.?|number))?|route|path)|#)\s*\Z", re.IGNORECASE
)
#: Before a run without am/pm, what makes an hour-and-minutes run a clock time.
_TIME_CONTEXT: Final = re.compile(r"(?<![\w'])(?:at|to|till|until|around|from)\s+\Z", re.I)
_UNIT_AFTER: Final = re.compile(r"\s*(?:min|mins|minutes?|hrs?|hours?|seat|seats|seater)\b", re.I)
#: How far back :data:`_ID_CONTEXT` looks: "trip number" and some spaces.
_CONTEXT_SPAN: Final = 24


class _Rewrite(NamedTuple):
    """Replace ``text[start:end]`` with ``digits``."""

    start: int
    end: int
    digits: str


def spoken_numbers(text: str) -> str:
    """``text`` with its runs of number words written in digits; all else byte for byte.

    >>> spoken_numbers("retime trip fifty ninety seven to six fifty a m")
    'retime trip 5097 to 6:50 am'
    >>> spoken_numbers("add one more booking to trip forty")
    'add one more booking to trip 40'
    """
    if _KEYS.isdisjoint(tokens(text)):
        return text
    pieces: list[str] = []
    done = 0
    for run in _RUN.finditer(text):
        for rewrite in _rewrites(text, run):
            pieces.append(text[done : rewrite.start])
            pieces.append(rewrite.digits)
            done = rewrite.end
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)


def _rewrites(text: str, run: re.Match[str]) -> list[_Rewrite]:
    """What to replace in one run: a time as a whole, else each of its segments."""
    words = _SEPARATORS.split(run.group().lower())
    suffix = _SUFFIX.match(text, run.end())
    if suffix is not None:
        clock = _clock(words)
        if clock is not None:
            found = [_Rewrite(run.start(), run.end(), clock)]
            if suffix["meridiem"] and suffix["gap"].isspace():
                meridiem = suffix["meridiem"] + suffix["m"]
                found.append(_Rewrite(suffix.start("meridiem"), suffix.end("m"), meridiem))
            return found
    elif len(words) >= 2 and _TIME_CONTEXT.search(text, max(0, run.start() - 8), run.start()):
        # "move it to nine thirty", "at ten fifteen": an hour and its minutes after a time word,
        # unless a duration's unit follows ("by ten fifteen minutes" is no clock).
        clock = _clock(words)
        if clock is not None and ":" in clock and not _UNIT_AFTER.match(text, run.end()):
            return [_Rewrite(run.start(), run.end(), clock)]
    found = []
    spans: list[tuple[int, int]] = []
    for first, last in _segments(words):
        if first == 0 and last == len(words):
            start, end = run.span()
        else:
            spans = spans or [m.span() for m in _TOKEN.finditer(text, run.start(), run.end())]
            start, end = spans[first][0], spans[last - 1][1]
        segment = words[first:last]
        if len(segment) == 1 and not (
            (suffix is not None and end == run.end())
            or (segment[0] in _ID_WORDS and _after_id_keyword(text, start))
        ):
            continue
        found.append(_Rewrite(start, end, _digits(segment)))
    return found


def _after_id_keyword(text: str, start: int) -> bool:
    """Whether "trip", "trip no", "#", "route" or "path" comes right before ``start``."""
    return _ID_CONTEXT.search(text, max(0, start - _CONTEXT_SPAN), start) is not None


def _segments(words: list[str]) -> list[tuple[int, int]]:
    """The run's pieces (word index ranges), cut where a word is no number here.

    Those are "oh" unless it stands between number words (then it is a zero: "sixty two oh
    eight"), "and" unless it joins "hundred"/"thousand" to a number, and "double"/"triple" not
    followed by a digit word.
    """
    if _BREAKS.isdisjoint(words):
        return [(0, len(words))]
    segments: list[tuple[int, int]] = []
    first = 0
    for i, word in enumerate(words):
        following = _at(words, i + 1)
        if (
            # "sixty two oh eight" dictates 6208: "oh" is a zero between number words, but
            # starts or ends nothing ("oh, six buses", "trip six oh")
            (word == "oh" and not (i > first and following in _BELOW_HUNDRED))
            or (word in _REPEATS and following not in _DIGITS)
            or (
                word == "and"
                and not (i > first and words[i - 1] in _SCALES and following in _BELOW_HUNDRED)
            )
        ):
            if i > first:
                segments.append((first, i))
            first = i + 1
    if first < len(words):
        segments.append((first, len(words)))
    return segments


def _at(words: list[str], i: int) -> str:
    """``words[i]``, or "" past the end."""
    return words[i] if i < len(words) else ""


def _clock(words: list[str]) -> str | None:
    """The time, "h" or "h:mm", when the words are an hour and minutes ("six oh five")."""
    hour = _HOURS.get(words[0])
    if hour is None:
        return None
    rest = words[1:]
    if not rest:
        return str(hour)
    minutes: int | None = None
    if len(rest) == 1 and (rest[0] in _TEENS or rest[0] in _TENS):
        minutes = _BELOW_HUNDRED[rest[0]]
    elif len(rest) == 2 and rest[0] in ("oh", "zero") and rest[1] in _DIGITS:
        minutes = _DIGITS[rest[1]]
    elif len(rest) == 2 and rest[0] in _TENS and rest[1] in _DIGITS and rest[1] != "zero":
        minutes = _TENS[rest[0]] + _DIGITS[rest[1]]
    if minutes is None or minutes > 59:
        return None
    return f"{hour}:{minutes:02d}"


def _digits(words: list[str]) -> str:
    """The groups of a segment, each written as a number, one after another."""
    out: list[str] = []
    i = 0
    while i < len(words):
        group, i = _group(words, i)
        out.append(group)
    return "".join(out)


def _group(words: list[str], i: int) -> tuple[str, int]:
    """One group from ``words[i]``: its digits and where the next group starts."""
    if words[i] == "oh":  # _segments keeps "oh" only between number words: a zero
        return "0", i + 1
    repeat = _REPEATS.get(words[i])
    if repeat is not None:  # _segments keeps "double" only before a digit word
        return str(_DIGITS[words[i + 1]]) * repeat, i + 2
    head = _below_thousand(words, i)
    if head is None:
        if words[i] != "thousand":  # an "and" whose number made a group of its own
            return "", i + 1
        value, i = 1000, i + 1
    elif _at(words, head[1]) == "thousand" and head[0] >= 1:
        value, i = head[0] * 1000, head[1] + 1
    else:
        return str(head[0]), head[1]
    after = i + 1 if _at(words, i) == "and" else i
    tail = _below_thousand(words, after) if after < len(words) else None
    if tail is not None and _at(words, tail[1]) != "thousand":
        return str(value + tail[0]), tail[1]
    return str(value), i


def _below_thousand(words: list[str], i: int) -> tuple[int, int] | None:
    """0–999 from ``words[i]`` ("five hundred and twelve") and the next index, or None."""
    word = words[i]
    head = _below_hundred(words, i)
    if head is None:
        if word != "hundred":
            return None
        value, i = 100, i + 1
    elif _at(words, head[1]) == "hundred" and head[0] >= 1:
        value, i = head[0] * 100, head[1] + 1
    else:
        return head
    after = i + 1 if _at(words, i) == "and" else i
    tail = _below_hundred(words, after) if after < len(words) else None
    if tail is not None and _at(words, tail[1]) != "hundred":
        return value + tail[0], tail[1]
    return value, i


def _below_hundred(words: list[str], i: int) -> tuple[int, int] | None:
    """0–99 from ``words[i]`` (a digit, a teen, tens, tens + unit) and the next index."""
    word = words[i]
    tens = _TENS.get(word)
    if tens is not None:
        unit = _DIGITS.get(_at(words, i + 1), 0)
        return (tens + unit, i + 2) if unit else (tens, i + 1)
    value = _DIGITS.get(word, _TEENS.get(word))
    return None if value is None else (value, i + 1)
