"""Generic behaviours added in the second round on action accuracy (issue 3).

The sentences are new: none is a line of a benchmark split.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from movi import parse
from movi.grammar.normalize import Asides

TODAY = date(2026, 11, 28)  # a Saturday
B, M = "busDashboard", "manageRoute"


def _parse(text: str, page: str = B, selected: int | None = None):  # type: ignore[no-untyped-def]
    return parse(text, page=page, today=TODAY, selected_trip_id=selected)


# (text, page, action, slots that must be present with these values)
CASES: list[tuple[str, str, str, dict[str, Any]]] = [
    # A contrast clause that only says what stays is not a second command.
    ("pull the driver off trip 7310 but keep the cab", B, "remove_driver", {"trip_id": 7310}),
    (
        "unassign the bus from trip 7311, but leave the driver",
        B,
        "remove_vehicle",
        {"trip_id": 7311},
    ),
    ("drop every booking on trip 7312 but retain the trip", B, "cancel_all_bookings", {}),
    # Hinglish status and trouble words.
    ("trip 7313 abhi chal rahi hai?", B, "get_trip_status", {"trip_id": 7313}),
    ("driver Thimmaiah kidhar hai", B, "get_driver_status", {"driver": "Thimmaiah"}),
    ("parso kaunse trips fail ho sakte hain", B, "predict_problem_trips", {}),
    ("aaj kis trip mein dikkat hai", B, "get_trips_needing_attention", {}),
    # Lifting a block, said without "unblock".
    ("KA-05-ZZ-1234 ka block hata do", B, "unblock_vehicle", {"vehicle": "KA-05-ZZ-1234"}),
    ("allow KA-05-ZZ-5678 on the road again", B, "unblock_vehicle", {"vehicle": "KA-05-ZZ-5678"}),
    # Asking for suggestions about a trip that lacks a vehicle is not a vehicle recommendation.
    ("trip 7314 still has no cab, any suggestions?", B, "show_trip_suggestions", {"trip_id": 7314}),
    # "which trip is <someone> booked on" asks for an employee's trips.
    (
        "which trip is Farah Siddiqui booked on?",
        B,
        "find_employee_trips",
        {"employee": "Farah Siddiqui"},
    ),
    # Usage ranking, counted questions, one-line summaries, stops over details.
    ("which buses run the most", B, "get_most_used_vehicles", {}),
    ("no. of people booked on trip 7315", B, "get_booking_count", {"trip_id": 7315}),
    ("one line summary of trip 7316 please", B, "get_trip_summary", {"trip_id": 7316}),
    ("show me the pickup points on trip 7317", B, "get_trip_stops", {"trip_id": 7317}),
    # "<stop> is now <name>" renames a stop.
    (
        "the Jakkur stop will now be Jakkur Cross",
        M,
        "rename_stop",
        {"stop": "Jakkur", "new_name": "Jakkur Cross"},
    ),
    # How-to questions about making a route, however they begin.
    ("what do we need to create a route?", M, "create_new_route_help", {}),
    # A passenger count turns a request for suggestions into a vehicle recommendation.
    ("suggest something for trip 7319, 18 people", B, "recommend_vehicle_for_trip", {}),
    # "even the ones …" only widens the list.
    ("list drivers, even the ones on leave", B, "list_all_drivers", {}),
]


@pytest.mark.parametrize(("text", "page", "action", "slots"), CASES, ids=[c[0] for c in CASES])
def test_generic_behaviour(text: str, page: str, action: str, slots: dict[str, Any]) -> None:
    intent = _parse(text, page)
    assert intent.action == action, intent.trace
    for key, value in slots.items():
        assert intent.slots.get(key) == value, (key, intent.slots)


# Remarks, complaints and thanks that use the domain's words but ask for nothing.
REMARKS = [
    "the cab driver on trip 7318 was rude to me",
    "Thimmaiah is a very polite driver",
    "the Jakkur stop signboard is missing",
    "bus KA-05-ZZ-1234 needs a wash",
    "thanks for moving the trip",
    "there is a pothole near the Hebbal stop",
    "the seats in the bus are dirty",
    "can you switch the app language to tamil",
    "what is your name, bot",
]


@pytest.mark.parametrize("text", REMARKS)
def test_remarks_are_unknown(text: str) -> None:
    intent = _parse(text)
    assert intent.action == "unknown", intent.trace


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("remove the driver from trip 5 but keep the bus", "remove the driver from trip 5"),
        (
            "remove the driver, but leave the bus. then list trips",
            "remove the driver. then list trips",
        ),
        ("but keep it", "but keep it"),  # nothing before the clause: left alone
        ("cancel trip 5", "cancel trip 5"),
    ],
)
def test_asides_drop_the_contrast_clause(text: str, kept: str) -> None:
    assert Asides(["but keep", "but leave"]).drop(text) == kept


def test_no_asides_leave_the_text_alone() -> None:
    assert Asides([]).drop("remove the driver but keep the bus") == (
        "remove the driver but keep the bus"
    )


@pytest.mark.parametrize(
    "text", ["please do something about trip 8120", "sort out trip 8121 somehow"]
)
def test_vague_requests_are_not_guessed_from_the_phrasebook(text: str) -> None:
    intent = _parse(text)
    assert intent.action == "unknown", intent.trace
