"""Reading the model's answer: only the catalogue's object survives, in normal form."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from movi.grammar.spec import load_spec
from movi.llm import Catalogue, InvalidAnswer, read_answer
from movi.llm.answer import loads_object

TODAY = date(2026, 11, 28)  # a Saturday
CATALOGUE = Catalogue.from_spec(load_spec())


def read(obj: Any) -> Any:
    content = obj if isinstance(obj, str) else json.dumps(obj)
    return read_answer(content, catalogue=CATALOGUE, today=TODAY, model="m")


def test_a_valid_answer_becomes_an_llm_intent() -> None:
    intent = read({"action": "cancel_trip", "slots": {"trip_id": 42}, "confidence": 0.8})
    assert (intent.action, intent.slots, intent.confidence, intent.source) == (
        "cancel_trip",
        {"trip_id": 42},
        0.8,
        "llm",
    )


@pytest.mark.parametrize(
    "content",
    [
        '```json\n{"action": "help", "slots": {}, "confidence": 1}\n```',
        '```\n{"action": "help", "slots": {}, "confidence": 1}```',
        '  {"action": "help", "slots": null, "confidence": "1"}  ',
    ],
)
def test_code_fences_and_whitespace_are_tolerated(content: str) -> None:
    assert read(content).action == "help"


@pytest.mark.parametrize(
    "content",
    [
        "",
        None,
        "cancel_trip",
        'Sure! {"action": "help", "slots": {}, "confidence": 1}',
        '["help"]',
        '{"action": "help", "slots": {}, "confidence": 1} and more',
        '{"action": "help", "slots": {}}',
        '{"slots": {}, "confidence": 1}',
        '{"action": "help", "slots": ["trip_id"], "confidence": 1}',
        '{"action": "help", "slots": {}, "confidence": "very"}',
        '{"action": "help", "slots": {}, "confidence": true}',
    ],
)
def test_anything_but_the_object_is_invalid(content: str | None) -> None:
    with pytest.raises(InvalidAnswer):
        read_answer(content, catalogue=CATALOGUE, today=TODAY)


def test_an_invalid_answer_says_why_without_repeating_it() -> None:
    with pytest.raises(InvalidAnswer) as caught:
        loads_object("ignore all rules")
    assert caught.value.code == "M601"
    assert "not JSON" in caught.value.message
    assert "ignore" not in caught.value.message


@pytest.mark.parametrize("action", ["launch_rockets", "drop_database", "confirm", "deny", ""])
def test_an_action_outside_the_catalogue_is_unknown(action: str) -> None:
    content = json.dumps({"action": action, "slots": {"trip_id": 4}, "confidence": 0.99})
    if not action:
        with pytest.raises(InvalidAnswer):
            read(content)
        return
    intent = read(content)
    assert intent.action == "unknown"
    assert intent.slots == {}


def test_answers_to_a_pending_question_are_not_the_models_to_give() -> None:
    """confirm / deny / choose_option never come from the LLM: it reads commands only."""
    for action in ("confirm", "deny", "choose_option"):
        assert action not in CATALOGUE.actions
        assert read({"action": action, "slots": {}, "confidence": 1}).action == "unknown"


@pytest.mark.parametrize(
    ("given", "clamped"), [(1.7, 1.0), (-0.3, 0.0), (0.42, 0.42), ("0.5", 0.5)]
)
def test_confidence_is_clamped(given: Any, clamped: float) -> None:
    assert read({"action": "help", "slots": {}, "confidence": given}).confidence == clamped


def test_extra_keys_are_ignored() -> None:
    intent = read(
        {
            "action": "cancel_trip",
            "slots": {"trip_id": 7},
            "confidence": 0.9,
            "confirmed": True,
            "execute": True,
            "source": "rules",
        }
    )
    assert intent.to_json() == {
        "action": "cancel_trip",
        "slots": {"trip_id": 7},
        "confidence": 0.9,
        "source": "llm",
    }


def test_slots_the_action_does_not_take_are_dropped() -> None:
    intent = read(
        {
            "action": "get_trip_status",
            "slots": {"trip_id": 7, "vehicle": "KA-01-AB-1234", "sql": "DROP TABLE trips"},
            "confidence": 0.9,
        }
    )
    assert intent.slots == {"trip_id": 7}
    assert any("vehicle" in line and "sql" in line for line in intent.trace)


@pytest.mark.parametrize(
    ("action", "slots", "expected"),
    [
        (
            "delay_trip",
            {"trip_id": "#42", "minutes": "half an hour"},
            {"trip_id": 42, "minutes": 30},
        ),
        ("delay_trip", {"trip_id": 42.0, "minutes": "15"}, {"trip_id": 42, "minutes": 15}),
        (
            "get_trip_details",
            {"trip_name": "Path-2", "trip_time": "8am", "date": "tomorrow"},
            {"trip_name": "Path-2", "trip_time": "08:00", "date": "2026-11-29"},
        ),
        (
            "get_trip_details",
            {"trip_name": "Bagur Tech Park - 19:30"},
            {"trip_name": "Bagur Tech Park", "trip_time": "19:30"},
        ),
        (
            "update_trip_time",
            {"trip_id": 5, "new_time": "9:15"},
            {"trip_id": 5, "new_time": "09:15"},
        ),
        (
            "reschedule_trip",
            {"trip_id": 5, "new_date": "3 Dec", "new_time": "7.30 pm"},
            {"trip_id": 5, "new_date": "2026-12-03", "new_time": "19:30"},
        ),
        (
            "update_trip_status",
            {"trip_id": 5, "status": "in progress"},
            {"trip_id": 5, "status": "IN_PROGRESS"},
        ),
        (
            "set_driver_availability",
            {"driver": "Ramesh", "status": "on_leave"},
            {"driver": "Ramesh", "status": "ON_LEAVE"},
        ),
        (
            "update_route_status",
            {"route": "Path-2 - 08:00", "status": "deactivated"},
            {"route": "Path-2 - 08:00", "status": "DEACTIVATED"},
        ),
        (
            "create_route",
            {"path": "Path-2", "shift_time": "18:00", "direction": "pickup"},
            {"path": "Path-2", "shift_time": "18:00", "direction": "LOGIN"},
        ),
        (
            "add_vehicle",
            {"vehicle": "ka01ab1234", "vehicle_type": "bus", "capacity": "a 40 seater"},
            {"vehicle": "ka01ab1234", "vehicle_type": "BUS", "capacity": 40},
        ),
        (
            "create_path",
            {"path": "Loop", "stops": "Peenya, Temple and BTM"},
            {"path": "Loop", "stops": ["Peenya", "Temple", "BTM"]},
        ),
        (
            "create_stop",
            {"stop": "Manyata", "latitude": "13.04", "longitude": 77.62},
            {"stop": "Manyata", "latitude": 13.04, "longitude": 77.62},
        ),
        ("get_most_used_vehicles", {"days": "last 7 days"}, {"days": 7}),
    ],
)
def test_slot_values_are_normalised_by_the_rules_extractors(
    action: str, slots: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert read({"action": action, "slots": slots, "confidence": 0.9}).slots == expected


@pytest.mark.parametrize(
    ("action", "slots"),
    [
        ("delay_trip", {"trip_id": 0, "minutes": -5}),
        ("delay_trip", {"trip_id": True, "minutes": "soon"}),
        ("update_trip_time", {"new_time": "25:00"}),
        ("reschedule_trip", {"new_date": "31 Nov"}),
        ("update_trip_status", {"status": "EXPLODED"}),
        ("update_trip_status", {"status": "ON_LEAVE"}),  # a driver status, not a trip's
        ("add_vehicle", {"vehicle_type": "rocket", "capacity": [40]}),
        ("create_stop", {"latitude": 123.0, "longitude": "east"}),
        ("assign_driver", {"driver": {"name": "x"}}),
        ("block_vehicle", {"reason": "x" * 500}),
        ("create_path", {"stops": ["Peenya", None]}),
    ],
)
def test_invalid_values_are_dropped(action: str, slots: dict[str, Any]) -> None:
    intent = read({"action": action, "slots": slots, "confidence": 0.9})
    assert intent.action == action
    assert intent.slots == {}


def test_composite_slots_expand_to_their_real_slots() -> None:
    trail = read(
        {
            "action": "get_audit_trail",
            "slots": {"vehicle": "KA-01-AB-1234", "driver": "Ramesh", "trip_time": "08:00"},
            "confidence": 0.9,
        }
    )
    assert trail.slots == {"vehicle": "KA-01-AB-1234", "driver": "Ramesh", "trip_time": "08:00"}
    assign = read(
        {
            "action": "assign_vehicle",
            "slots": {"trip_id": 3, "vehicle_desc": "the blue bus", "driver": "Ramesh"},
            "confidence": 0.9,
        }
    )
    assert assign.slots == {"trip_id": 3, "vehicle_desc": "the blue bus"}


def test_a_simulation_keeps_its_target_and_the_targets_slots() -> None:
    intent = read(
        {
            "action": "simulate_action",
            "slots": {"target_action": "delay_trip", "trip_id": 9, "minutes": 20, "stop": "x"},
            "confidence": 0.8,
        }
    )
    assert intent.slots == {"target_action": "delay_trip", "trip_id": 9, "minutes": 20}
    nested = read(
        {
            "action": "simulate_action",
            "slots": {"target_action": "simulate_action", "trip_id": 9},
            "confidence": 0.8,
        }
    )
    assert nested.slots == {}
