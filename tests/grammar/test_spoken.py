"""Spoken numbers: dictated ids and times become digits, and nothing else in the text moves."""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from movi.grammar.spoken import spoken_numbers

DIGIT_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
TEEN_WORDS = [
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
TENS_WORDS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
PLAIN_WORDS = [*DIGIT_WORDS, *TEEN_WORDS, *TENS_WORDS, "hundred", "thousand"]
NUMBER_WORD = re.compile(rf"(?<![\w'])(?:{'|'.join(PLAIN_WORDS)})(?![\w'])", re.IGNORECASE)
#: Words that are neither numbers nor what makes a single number word an id or a time ("to"
#: before an hour and its minutes makes a clock time, which the property allows for).
FILLERS = ["uh", "delay", "by", "minutes", "to", "bus", "booking", "pull", "up", "the", "KA"]


def spell(n: int) -> str:
    """``n`` (0 ≤ n < 1,000,000) in English words, as a careful speaker says it."""
    if n < 10:
        return DIGIT_WORDS[n]
    if n < 20:
        return TEEN_WORDS[n - 10]
    if n < 100:
        tens, unit = divmod(n, 10)
        return TENS_WORDS[tens - 2] + (f" {DIGIT_WORDS[unit]}" if unit else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{spell(hundreds)} hundred" + (f" and {spell(rest)}" if rest else "")
    thousands, rest = divmod(n, 1000)
    return f"{spell(thousands)} thousand" + (f" {spell(rest)}" if rest else "")


# --------------------------------------------------------------------------- examples


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # ids, dictated as groups
        ("pull up trip six zero nine three", "pull up trip 6093"),
        ("uh allot AP39TB6621 to trip forty five twelve", "uh allot AP39TB6621 to trip 4512"),
        ("add one more booking to trip sixty eight seventeen", "add one more booking to trip 6817"),
        ("cut ten bookings from trip sixty seven thirty one", "cut ten bookings from trip 6731"),
        ("trip fifty ninety seven", "trip 5097"),
        ("trip seventy three twenty six", "trip 7326"),
        ("trip one two three", "trip 123"),
        ("in twenty twenty six", "in 2026"),
        ("trip forty-five", "trip 45"),
        ("trip forty five twelve and trip sixty eight seventeen", "trip 4512 and trip 6817"),
        # full numbers
        ("trip one hundred and five", "trip 105"),
        ("trip one hundred five", "trip 105"),
        ("trip four thousand five hundred twelve", "trip 4512"),
        ("trip two thousand and five", "trip 2005"),
        ("trip forty five hundred", "trip 4500"),
        ("capacity one hundred thousand", "capacity 100000"),
        (
            "delay trip twenty seven ninety six by uh twenty five minutes",
            "delay trip 2796 by uh 25 minutes",
        ),
        # registrations: double / triple
        ("KA zero one AB double five two three", "KA 01 AB 5523"),
        ("call nine eight triple seven", "call 98777"),
        ("double check trip forty five twelve", "double check trip 4512"),
        # a single word: an id only after trip / # / route / path
        ("trip forty", "trip 40"),
        ("trip twelve", "trip 12"),
        ("trip no forty", "trip no 40"),
        ("Trip No. seventeen", "Trip No. 17"),
        ("trip number ninety", "trip number 90"),
        ("#ninety", "#90"),
        ("route fifteen", "route 15"),
        ("path hundred", "path 100"),
        ("trip one", "trip one"),
        # times
        (
            "uh retime trip fifty ninety seven to uh six fifty a m",
            "uh retime trip 5097 to uh 6:50 am",
        ),
        ("need one more trip today at ten forty five p m", "need one more trip today at 10:45 pm"),
        ("move it to eight thirty am", "move it to 8:30 am"),
        ("at eleven fifteen pm", "at 11:15 pm"),
        ("at six oh five am", "at 6:05 am"),
        ("at twelve thirty p.m.", "at 12:30 p.m."),
        ("at six am", "at 6 am"),
        ("at six a m sharp", "at 6 am sharp"),
        ("by eight o'clock", "by 8 o'clock"),
        ("by seven oclock", "by 7 oclock"),
        ("Six Fifty A M.", "6:50 AM."),
        # not a time: plain rules
        ("at thirteen thirty pm", "at 1330 pm"),
        ("at six seventy am", "at 670 am"),
        # "oh" between number words is a zero; at either end it is a word
        ("six oh five", "605"),
        ("uh delay trip sixty two oh eight by", "uh delay trip 6208 by"),
        ("oh, six buses", "oh, six buses"),
        ("trip six oh", "trip six oh"),
        # an hour and its minutes after a time word, without am/pm, are a clock time
        ("at six oh five", "at 6:05"),
        ("move it to nine thirty", "move it to 9:30"),
        ("till eleven fifty nine", "till 11:59"),
        ("at ten fifteen minutes", "at 1015 minutes"),
        ("assign Ravi to forty five twelve", "assign Ravi to 4512"),
        # punctuation and case kept
        ("trip sixty six eighty four, uh", "trip 6684, uh"),
        ("trip forty five twelve.", "trip 4512."),
        ("(trip forty five twelve)", "(trip 4512)"),
        ("trip forty five twelve — ok?", "trip 4512 — ok?"),
        ("TRIP FORTY FIVE TWELVE", "TRIP 4512"),
        ("forty-five-minute delay", "45-minute delay"),
    ],
)
def test_rewrites(text: str, expected: str) -> None:
    assert spoken_numbers(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "which one is it",
        "this one",
        "the one on the left",
        "one more booking",
        "reduce it by four",
        "one of them",
        "cut ten bookings",
        "one and two",
        "oh no",
        "it's the one's fault",
        "éone two",
        "ſix five",
    ],
)
def test_single_small_words_stay(text: str) -> None:
    assert spoken_numbers(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "cancel trip 42",
        "cancel trip 42 tomorrow",
        "assign KA01AB1234 to the 8am trip",
        "often tonight someone",
        "the seventh trip, Kateninety",
        "first or second",
        "a couple of buses",
        "",
    ],
)
def test_text_without_number_words_is_the_same_object(text: str) -> None:
    assert spoken_numbers(text) is text


# --------------------------------------------------------------------------- properties


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=10, max_value=999_999))
def test_a_spelt_number_after_trip_is_its_digits(n: int) -> None:
    assert spoken_numbers(f"cancel trip {spell(n)} now") == f"cancel trip {n} now"


@given(st.lists(st.sampled_from(DIGIT_WORDS), min_size=1, max_size=12))
def test_digit_words_are_dictated_digits(words: list[str]) -> None:
    text = f"trip {' '.join(words)} please"
    digits = "".join(str(DIGIT_WORDS.index(w)) for w in words)
    # One digit word alone is left to the grammar ("trip one" may mean the first trip).
    expected = f"trip {digits} please" if len(words) > 1 else text
    assert spoken_numbers(text) == expected


@given(st.integers(min_value=1, max_value=12), st.integers(min_value=0, max_value=59))
def test_spelt_times(hour: int, minute: int) -> None:
    if minute == 0:
        said, written = spell(hour), str(hour)
    elif minute < 10:
        said, written = f"{spell(hour)} oh {spell(minute)}", f"{hour}:{minute:02d}"
    else:
        said, written = f"{spell(hour)} {spell(minute)}", f"{hour}:{minute:02d}"
    assert spoken_numbers(f"at {said} p m today") == f"at {written} pm today"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_never_raises_and_is_idempotent_on_any_text(text: str) -> None:
    once = spoken_numbers(text)
    assert spoken_numbers(once) == once


#: Sentences from the words the rewriter looks at, so the parser meets its odd inputs.
word_soup = st.lists(
    st.sampled_from(
        [
            *PLAIN_WORDS,
            *["and", "oh", "double", "triple", "a", "m", "pm", "o'clock"],
            *["trip", "trip no", "#", "route", "the", "uh", "42", ",", "-", "."],
        ]
    ),
    max_size=14,
).flatmap(lambda words: st.sampled_from([" ", "-", " , "]).map(lambda sep: sep.join(words)))


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(word_soup)
def test_never_raises_and_is_idempotent_on_number_words(text: str) -> None:
    once = spoken_numbers(text)
    assert spoken_numbers(once) == once


@given(st.text(alphabet=st.characters(blacklist_characters=string.ascii_letters)))
def test_text_without_ascii_letters_is_unchanged(text: str) -> None:
    assert spoken_numbers(text) == text


#: A run of two or more plain number words, hyphenated or spaced, in any case.
runs = st.tuples(
    st.lists(st.sampled_from(PLAIN_WORDS), min_size=2, max_size=8),
    st.sampled_from([" ", "-", "  "]),
    st.sampled_from([str.lower, str.upper, str.title]),
).map(lambda parts: parts[2](parts[1].join(parts[0])))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(runs, st.sampled_from(FILLERS)), min_size=1, max_size=8), st.data())
def test_no_number_word_of_a_rewritten_run_is_left(parts: list[str], data: st.DataObject) -> None:
    joints = [data.draw(st.sampled_from([" ", ", ", ". "])) for _ in parts[1:]]
    text = parts[0] + "".join(j + p for j, p in zip(joints, parts[1:], strict=True))
    out = spoken_numbers(text)
    assert NUMBER_WORD.search(out) is None, out
    # Nothing around the runs moved: the output is the text with each run as digits, or as a
    # clock time after a time word ("to one ten" → "to 1:10"); two runs joined by a bare space
    # are one run.
    run = r"\d+(?::\d\d)?"
    expected = run if parts[0] not in FILLERS else re.escape(parts[0])
    for previous, joint, part in zip(parts[:-1], joints, parts[1:], strict=True):
        if part in FILLERS:
            expected += re.escape(joint + part)
        elif previous in FILLERS or joint != " ":
            expected += re.escape(joint) + run
    assert re.fullmatch(expected, out), (text, out)
