"""Comparing names the way operators type them: without case or separators, then with rapidfuzz.

Every resolver that matches a name goes through :func:`pick_name`, so that "path2", "Path 2"
and "path-2" mean "Path-2" everywhere, and one set of rules decides between ``found``,
``ambiguous`` and ``missing``:

1. names equal after :func:`name_key` (case and separators dropped) are exact matches;
2. for people, a single word that is exactly someone's first name (else surname) matches;
3. otherwise rapidfuzz's ``WRatio`` ranks the names (with :func:`fuzzy_form` as processor) and a
   name is *eligible* only when it scores at least the match cutoff **and** every word of the
   query agrees with a word of the name (numbers exactly: "Path 1" never means "Path-17").
   One eligible name, or a best one ahead of the next by the margin, is found; several close
   ones are ambiguous; none leaves the best scorers as suggestions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time
from functools import lru_cache
from typing import Generic, Literal, TypeVar

from rapidfuzz import fuzz, process

from movi.resolve.resolution import MAX_OPTIONS
from movi.store.schema import TRIP_NAME_SEPARATORS

T = TypeVar("T")
Status = Literal["found", "ambiguous", "missing"]

NAME_SEPARATORS = TRIP_NAME_SEPARATORS
"""Characters ignored when names are compared exactly; the database computes the stored
``daily_trips.name_key`` with the same ones, so an index lookup and the Python check agree."""

NAME_MATCH_CUTOFF = 88.0
"""Least ``WRatio`` for a place, path, route or trip name to count as the one meant.

WRatio gives a whole word of a longer name 90 ("manyata" → "Manyata Express") and a letter or
two dropped or changed in a longer name 89-97 ("whtefeld shutle" 90.9, "bagr tech prk" 92.9);
below 88 the query shares too little ("manyata exp" 84.6, "koramangala route 8" vs "Path-8"
85.5) and the name is only suggested. The word check (:func:`words_agree`) does the rest."""

NAME_MARGIN = 5.0
"""How far the best eligible name must lead the next eligible one to be found, not ambiguous:
"tech park" scores 90 for both "Bagur Tech Park" and "Manyata Tech Park" and must be asked."""

NAME_SUGGEST_CUTOFF = 60.0
"""Least score for a name to be offered as a suggestion when nothing matches."""

PLACE_TOKEN_CUTOFF = 75.0
"""Least ``ratio`` between a query word and a word of a place name for the word to agree: one
wrong letter in a word of five or more letters passes ("peenye" 83, "hebal" 91, "prk" 86); a
wrong letter in a three-letter word ("btm" / "bts", 67) does not."""

PERSON_MATCH_CUTOFF = 90.0
"""Least score for a driver's or employee's name to be found by fuzzy matching. Higher than for
places: acting on the wrong person is worse than asking, and Indian first names are often one
letter apart ("Ramesh Kumar" / "Rajesh Kumar" score 91.7 as whole names)."""

PERSON_MARGIN = 10.0
"""How far the best person must lead the next eligible one to be found by fuzzy matching."""

PERSON_SUGGEST_CUTOFF = 60.0
"""Least score for a person to be offered as a suggestion when nothing matches."""

PERSON_TOKEN_CUTOFF = 85.0
"""Least ``ratio`` between a query word and a word of a person's name: a dropped or doubled
letter passes ("sursh" / "suresh" 91, "gowd" / "gowda" 89) but a changed one in a short first
name does not ("ramesh" / "rajesh" 83), since that is usually another person."""


@dataclass(frozen=True, slots=True)
class Cutoffs:
    """One family of the cutoffs above, as :func:`pick_name` uses them."""

    match: float
    margin: float
    suggest: float
    token: float


PLACE_CUTOFFS = Cutoffs(NAME_MATCH_CUTOFF, NAME_MARGIN, NAME_SUGGEST_CUTOFF, PLACE_TOKEN_CUTOFF)
"""For stops, paths, routes and trip names."""

PERSON_CUTOFFS = Cutoffs(
    PERSON_MATCH_CUTOFF, PERSON_MARGIN, PERSON_SUGGEST_CUTOFF, PERSON_TOKEN_CUTOFF
)
"""For drivers and employees."""

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_LETTER_DIGIT = re.compile(r"(?<=[a-z])(?=[0-9])|(?<=[0-9])(?=[a-z])")
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_TIME_SUFFIX = re.compile(
    r"^(?P<name>.*?\S)(?:\s+-\s+|\s*@\s*|\s+at\s+|\s+)"
    r"(?P<h>[01]?\d|2[0-3])(?:(?P<m>[:.][0-5]\d))?\s*(?P<ap>am|pm|a\.m\.|p\.m\.)?$",
    re.IGNORECASE,
)


@lru_cache(maxsize=65_536)
def name_key(text: str) -> str:
    """The form names are compared in exactly: lower case, separators dropped.

    >>> name_key("Path-2") == name_key("path 2") == name_key("PATH2")
    True
    """
    key = text.lower()
    for sep in NAME_SEPARATORS:
        key = key.replace(sep, "")
    return key


@lru_cache(maxsize=65_536)
def fuzzy_form(text: str) -> str:
    """The rapidfuzz processor: lower case, separators as single spaces, letters and digits
    apart, so that "path2", "Path 2" and "path-2" all read "path 2".

    >>> fuzzy_form("Path-17") == fuzzy_form("path17") == fuzzy_form(" PATH 17 ")
    True
    """
    spaced = _NON_ALNUM.sub(" ", text.lower())
    return " ".join(_LETTER_DIGIT.sub(" ", spaced).split())


def split_display_name(display_name: str) -> tuple[str, time | None]:
    """A trip's or route's display name, "<name> - HH:MM", as (name, time).

    >>> split_display_name("Bagur Tech Park - 19:30")
    ('Bagur Tech Park', datetime.time(19, 30))
    >>> split_display_name("Night Special")
    ('Night Special', None)
    """
    name, sep, tail = display_name.rpartition(" - ")
    found = _HHMM.match(tail.strip()) if sep else None
    if found is None or not name.strip():
        return display_name.strip(), None
    return name.strip(), time(int(found.group(1)), int(found.group(2)))


def split_time_suffix(text: str) -> tuple[str, time | None]:
    """A name that may end with a time the operator typed: "Path-1 - 08:00", "path1 8am".

    A bare number is part of the name ("Path 17"); a time needs minutes or am/pm.

    >>> split_time_suffix("path1 8am")
    ('path1', datetime.time(8, 0))
    >>> split_time_suffix("Path 17")
    ('Path 17', None)
    """
    found = _TIME_SUFFIX.match(text.strip())
    if found is None or (found.group("m") is None and found.group("ap") is None):
        return text.strip(), None
    hour = int(found.group("h"))
    minute = int(found.group("m")[1:]) if found.group("m") else 0
    ampm = (found.group("ap") or "").lower().replace(".", "")
    if ampm:
        if not 1 <= hour <= 12:
            return text.strip(), None
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    return found.group("name").rstrip(" -@"), time(hour, minute)


@dataclass(frozen=True, slots=True)
class Scored(Generic[T]):
    """One candidate with its score (100 for an exact match)."""

    item: T
    name: str
    score: float


@dataclass(frozen=True, slots=True)
class NamePick(Generic[T]):
    """What :func:`pick_name` decided: the found item, the ambiguous ones, or suggestions."""

    status: Status
    ranked: tuple[Scored[T], ...]
    trace: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.name for s in self.ranked))


def _grams(tokens: list[str]) -> list[str]:
    """Each word, and runs of two and three words written together ("orrexpress")."""
    grams = list(tokens)
    for size in (2, 3):
        grams.extend("".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1))
    return grams


def words_agree(query: str, name: str, token_cutoff: float) -> bool:
    """Every word of ``query`` has a counterpart in ``name``; numbers must be equal.

    >>> words_agree("path 1", "Path-17", 75.0)
    False
    >>> words_agree("bagur prk", "Bagur Tech Park", 75.0)
    True
    """
    name_tokens = fuzzy_form(name).split()
    numbers = {int(t) for t in name_tokens if t.isdigit()}
    grams = _grams([t for t in name_tokens if not t.isdigit()])
    for token in fuzzy_form(query).split():
        if token.isdigit():
            if int(token) not in numbers:
                return False
        elif not any(fuzz.ratio(token, gram) >= token_cutoff for gram in grams):
            return False
    return True


def _ranked(items: Sequence[Scored[T]]) -> tuple[Scored[T], ...]:
    return tuple(sorted(items, key=lambda s: (-s.score, s.name)))


def _exact(matches: list[Scored[T]], noun: str, query: str, how: str) -> NamePick[T]:
    ranked = _ranked(matches)
    if len(ranked) == 1:
        return NamePick("found", ranked, (f"{query!r} is {ranked[0].name!r} ({how})",))
    return NamePick("ambiguous", ranked, (f"{counted(len(ranked), noun)} match {query!r} ({how})",))


def pick_name(
    query: str,
    candidates: Sequence[tuple[T, str]],
    *,
    noun: str,
    cutoffs: Cutoffs = PLACE_CUTOFFS,
    person: bool = False,
) -> NamePick[T]:
    """Match ``query`` against ``(item, name)`` candidates with the rules of this module.

    ``ranked`` holds the found item, all ambiguous ones, or the suggestions (best first; the
    caller cuts them to :data:`MAX_OPTIONS` when it shows them). ``person`` turns on
    first-name and surname matches for single words, and the stricter habits of people's names.

    >>> pick_name("path2", [(1, "Path-2"), (2, "Path-20")], noun="path").status
    'found'
    """
    key = name_key(query)
    if not key:
        return NamePick("missing", (), (f"no {noun} given",))
    exact = [Scored(item, name, 100.0) for item, name in candidates if name_key(name) == key]
    if exact:
        return _exact(exact, noun, query, "compared without case or separators")

    words = fuzzy_form(query).split()
    first_scores: dict[int, float] = {}
    if person and len(words) == 1:
        for part, label in ((0, "first name"), (-1, "surname")):
            same = [
                Scored(item, name, 100.0)
                for item, name in candidates
                if name.split() and name_key(name.split()[part]) == key
            ]
            if same:
                return _exact(same, noun, query, label)
        firsts = [name.split()[0] if name.split() else "" for _, name in candidates]
        for _, score, index in process.extract(
            query, firsts, scorer=fuzz.ratio, processor=fuzzy_form, limit=None,
            score_cutoff=cutoffs.suggest,
        ):  # fmt: skip
            first_scores[index] = score

    names = [name for _, name in candidates]
    scores = {
        index: score
        for _, score, index in process.extract(
            query, names, scorer=fuzz.WRatio, processor=fuzzy_form, limit=None,
            score_cutoff=cutoffs.suggest,
        )
    }  # fmt: skip
    for index, score in first_scores.items():
        scores[index] = max(score, scores.get(index, 0.0))
    survivors = _ranked(
        [Scored(candidates[i][0], candidates[i][1], round(s, 1)) for i, s in scores.items()]
    )
    if not survivors:
        return NamePick(
            "missing", (), (f"no {noun} scores {cutoffs.suggest:.1f} or more for {query!r}",)
        )

    eligible = [
        s
        for s in survivors
        if s.score >= cutoffs.match and words_agree(query, s.name, cutoffs.token)
    ]
    best = survivors[0]
    if not eligible:
        runner = f"{survivors[1].score:.1f}" if len(survivors) > 1 else "none"
        why = (
            f"below {cutoffs.match:.1f}"
            if best.score < cutoffs.match
            else f"not every word agrees (≥ {cutoffs.token:.1f} each, numbers equal)"
        )
        return NamePick(
            "missing",
            survivors,
            (f"best {best.name!r} {best.score:.1f} vs next {runner}: {why}; suggestions only",),
        )
    top = eligible[0]
    others = [s.score for s in survivors if s is not top]
    runner = f"{others[0]:.1f}" if others else "none"
    numbers = f"best {top.name!r} {top.score:.1f} vs next {runner}"
    if len(eligible) == 1 or top.score - eligible[1].score >= cutoffs.margin:
        return NamePick(
            "found",
            (top,),
            (
                f"{numbers}: found (≥ {cutoffs.match:.1f}, no other eligible {noun} within "
                f"{cutoffs.margin:.1f})",
            ),
        )
    return NamePick(
        "ambiguous",
        tuple(eligible),
        (
            f"{counted(len(eligible), noun)} reach {cutoffs.match:.1f} for {query!r}; "
            f"best {top.name!r} {top.score:.1f} vs next {eligible[1].score:.1f} "
            f"(margin {cutoffs.margin:.1f})",
        ),
    )


def counted(count: int, noun: str) -> str:
    """ "1 trip", "3 trips": numbers in traces read as sentences."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def shown(count: int) -> str:
    """ " (showing 5)" when more rows fit than a reply may offer."""
    return f" (showing {MAX_OPTIONS})" if count > MAX_OPTIONS else ""
