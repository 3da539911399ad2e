"""The shared name rules, without a database: keys, processor, splits, and the decisions."""

from __future__ import annotations

from datetime import time

import pytest

from movi.resolve import NAME_MARGIN, PERSON_MATCH_CUTOFF, fuzzy_form, name_key, split_display_name
from movi.resolve.names import (
    PERSON_CUTOFFS,
    PLACE_TOKEN_CUTOFF,
    pick_name,
    split_time_suffix,
    words_agree,
)


@pytest.mark.parametrize("typed", ["path2", "Path 2", "path-2", "PATH_2", " Path - 2 "])
def test_spellings_share_one_key_and_one_form(typed: str) -> None:
    assert name_key(typed) == name_key("Path-2") == "path2"
    assert fuzzy_form(typed) == fuzzy_form("Path-2") == "path 2"


@pytest.mark.parametrize(
    ("display", "expected"),
    [
        ("Path-2 - 08:00", ("Path-2", time(8, 0))),
        ("Bagur Tech Park - 19:30", ("Bagur Tech Park", time(19, 30))),
        ("Koramangala Route 8 - 10:30", ("Koramangala Route 8", time(10, 30))),
        ("Night Special", ("Night Special", None)),
        ("Path-2 - 25:00", ("Path-2 - 25:00", None)),
    ],
)
def test_display_names_split_into_name_and_time(
    display: str, expected: tuple[str, time | None]
) -> None:
    assert split_display_name(display) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("path1 8am", ("path1", time(8, 0))),
        ("Path-1 - 08:00", ("Path-1", time(8, 0))),
        ("whitefield shuttle 9 pm", ("whitefield shuttle", time(21, 0))),
        ("path 17 at 8:30", ("path 17", time(8, 30))),
        ("Path 17", ("Path 17", None)),
        ("Path-1 12am", ("Path-1", time(0, 0))),
    ],
)
def test_a_typed_time_is_split_off_but_a_bare_number_is_not(
    typed: str, expected: tuple[str, time | None]
) -> None:
    assert split_time_suffix(typed) == expected


def test_name_to_name_not_display_to_display() -> None:
    """WRatio put "Koramangala Route 8 - 10:30" above "Path-17 - 08:30" for "path17 8:30am";
    compared name to name, Path-17 is the only candidate at all."""
    names = ["Koramangala Route 8", "Path-17", "Path-1", "Path-7"]
    pick = pick_name("path17", [(n, n) for n in names], noun="trip name")
    assert pick.status == "found" and pick.ranked[0].item == "Path-17"


@pytest.mark.parametrize(
    ("query", "name", "agree"),
    [
        ("path 1", "Path-17", False),
        ("path 17", "Path-17", True),
        ("bagur prk", "Bagur Tech Park", True),
        ("orrexpres", "ORR Express", True),
        ("btm layout", "BTM", False),
    ],
)
def test_every_word_must_agree(query: str, name: str, agree: bool) -> None:
    assert words_agree(query, name, PLACE_TOKEN_CUTOFF) is agree


def test_two_close_names_are_ambiguous_and_a_clear_lead_is_found() -> None:
    stops = ["Bagur Tech Park", "Manyata Tech Park", "Peenya"]
    pick = pick_name("tech park", [(s, s) for s in stops], noun="stop")
    assert pick.status == "ambiguous" and pick.names == ("Bagur Tech Park", "Manyata Tech Park")
    assert f"(margin {NAME_MARGIN:.1f})" in pick.trace[0]
    lead = pick_name("manyata tech prk", [(s, s) for s in stops], noun="stop")
    assert lead.status == "found" and lead.names == ("Manyata Tech Park",)
    assert lead.trace[0].startswith("best 'Manyata Tech Park' ")


def test_one_letter_makes_another_person() -> None:
    people = [(1, "Rajesh Kumar"), (2, "Suresh Gowda")]
    wrong = pick_name("Ramesh Kumar", people, noun="driver", cutoffs=PERSON_CUTOFFS, person=True)
    assert wrong.status == "missing" and wrong.ranked[0].item == 1
    assert wrong.ranked[0].score >= PERSON_MATCH_CUTOFF  # high, and still only a suggestion
    assert "not every word agrees" in wrong.trace[0]
    typo = pick_name("Sursh Gowda", people, noun="driver", cutoffs=PERSON_CUTOFFS, person=True)
    assert typo.status == "found" and typo.ranked[0].item == 2


def test_first_name_then_surname_for_people() -> None:
    people = [(1, "Ramesh Kumar"), (2, "Ramesh Naik"), (3, "Kumar Swamy"), (4, "Anil Gowda")]
    first = pick_name("ramesh", people, noun="driver", cutoffs=PERSON_CUTOFFS, person=True)
    assert first.status == "ambiguous" and {s.item for s in first.ranked} == {1, 2}
    kumar = pick_name("Kumar", people, noun="driver", cutoffs=PERSON_CUTOFFS, person=True)
    assert kumar.status == "found" and kumar.ranked[0].item == 3  # first name beats surname
    gowda = pick_name("gowda", people, noun="driver", cutoffs=PERSON_CUTOFFS, person=True)
    assert gowda.status == "found" and gowda.ranked[0].item == 4
    assert gowda.trace[0].endswith("(surname)")


def test_nothing_close_is_missing_without_suggestions() -> None:
    pick = pick_name("zzz", [(1, "Peenya")], noun="stop")
    assert pick.status == "missing" and pick.ranked == ()
    assert pick_name("  ", [(1, "Peenya")], noun="stop").trace == ("no stop given",)
