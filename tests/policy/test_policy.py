"""The policy against the SPEC catalogue, its gate and decision router, and the loader's refusals.

No database: the policy is a pure function of (action, consequences, context).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.spec_catalogue import snapshot

from movi.errors import PolicyError
from movi.grammar.spec import load_spec as load_grammar
from movi.policy import Context, Decision, Policy, Verdict, default_path
from movi.policy.templates import render, template_fields
from movi.reply import Consequence

B, M = "busDashboard", "manageRoute"
PAGE_NAMES = {"B": B, "M": M}
QUESTION = "Do you want to proceed?"
RANK = {"proceed": 0, "confirm": 1, "refuse": 2}

POLICY = Policy.load()
CATALOGUE = snapshot()
ACTIONS = sorted(CATALOGUE)
ROLES = ("viewer", "operator", "planner", "admin")


def ctx(role: str = "admin", page: str | None = B, **counts: int) -> Context:
    return Context(
        page=page,
        role=role,
        user_id="ops-7",
        session_id="s1",
        today=date(2026, 11, 28),
        now=datetime(2026, 11, 28, 9, 0),
        **counts,
    )


def home(action: str) -> str:
    """A page where the action may be done."""
    return PAGE_NAMES.get(CATALOGUE[action]["page"], B)


def con(code: str, message: str = "the engine's own words", **data: Any) -> Consequence:
    return Consequence(code=code, message=message, data=data)


# --- the catalogue ------------------------------------------------------------------------


def test_every_spec_action_is_in_the_policy_with_its_page_and_kind() -> None:
    assert set(POLICY.actions) == set(CATALOGUE)
    for action, expected in CATALOGUE.items():
        spec = POLICY.spec.actions[action]
        assert (spec.page, spec.kind) == (expected["page"], expected["kind"]), action
        assert POLICY.kind(action) == expected["kind"]


def test_the_policy_agrees_with_the_grammar_on_pages_and_kinds() -> None:
    grammar = load_grammar()
    assert set(grammar.actions) == set(POLICY.actions)
    for action, spec in POLICY.spec.actions.items():
        got = grammar.actions[action]
        assert (got.page, got.kind) == (spec.page, spec.kind), action


def test_the_input_limit_agrees_with_the_grammar() -> None:
    assert POLICY.max_chars == load_grammar().settings.max_chars == 2000


def test_settings() -> None:
    assert POLICY.confirmation_ttl == timedelta(minutes=60)
    assert POLICY.page_of("cancel_trip") == B
    assert POLICY.page_of("delete_stop") == M
    assert POLICY.page_of("undo_last_action") is None
    with pytest.raises(KeyError, match="no_such_action"):
        POLICY.kind("no_such_action")


# --- pages ---------------------------------------------------------------------------------

PAGED = [a for a in ACTIONS if CATALOGUE[a]["page"] in PAGE_NAMES]
ANYWHERE = [a for a in ACTIONS if CATALOGUE[a]["page"] == "G"]


@pytest.mark.parametrize("action", PAGED)
def test_an_action_on_the_wrong_page_is_refused_naming_the_right_one(action: str) -> None:
    right = PAGE_NAMES[CATALOGUE[action]["page"]]
    wrong = M if right == B else B
    decision = POLICY.gate(action, ctx(page=wrong))
    assert decision is not None
    assert (decision.verdict, decision.code) == ("refuse", "page_not_allowed")
    assert f"done on the {right} page; you are on {wrong}." in decision.message
    assert decision.rule == f"actions.{action}.page"
    assert POLICY.gate(action, ctx(page=right)) is None
    missing = POLICY.gate(action, ctx(page=None))
    assert missing is not None and right in missing.message


def test_the_page_refusal_wording() -> None:
    decision = POLICY.gate("cancel_trip", ctx(page=M))
    assert decision is not None
    assert decision.message == (
        "Cancelling a trip is done on the busDashboard page; you are on manageRoute."
    )
    decision = POLICY.gate("delete_route", ctx(page="reports"))
    assert decision is not None
    assert (
        decision.message == "Deleting a route is done on the manageRoute page; you are on reports."
    )


@pytest.mark.parametrize("action", ANYWHERE)
@pytest.mark.parametrize("page", [B, M, None, "reports"])
def test_any_page_actions_are_allowed_anywhere(action: str, page: str | None) -> None:
    assert POLICY.gate(action, ctx(page=page)) is None


# --- roles ---------------------------------------------------------------------------------

#: The busDashboard writes an operator runs, and the manageRoute writes a planner runs,
#: written out here rather than read from policy.yaml.
OPERATOR_WRITES = {
    "assign_vehicle",
    "assign_driver",
    "assign_vehicle_and_driver",
    "remove_vehicle",
    "remove_driver",
    "cancel_trip",
    "update_trip_time",
    "reschedule_trip",
    "delay_trip",
    "update_trip_status",
    "duplicate_trip",
    "create_trip_from_scratch",
    "block_vehicle",
    "unblock_vehicle",
    "add_vehicle",
    "set_driver_availability",
    "add_driver",
    "add_bookings",
    "reduce_bookings",
    "cancel_all_bookings",
    "undo_last_action",
}
PLANNER_WRITES = {
    a for a in ACTIONS if CATALOGUE[a]["page"] == "M" and CATALOGUE[a]["kind"] != "read"
} | {"undo_last_action"}


def expected_allowed(role: str, action: str) -> bool:
    kind = CATALOGUE[action]["kind"]
    if role == "admin" or kind in ("read", "answer"):
        return True
    if role == "operator":
        return action in OPERATOR_WRITES
    if role == "planner":
        return action in PLANNER_WRITES
    return False


def test_the_role_table_covers_every_write() -> None:
    writes = {a for a in ACTIONS if CATALOGUE[a]["kind"] not in ("read", "answer")}
    assert OPERATOR_WRITES | PLANNER_WRITES | {"bulk_cancel_trips"} == writes


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ACTIONS)
def test_each_role_may_do_exactly_its_actions(role: str, action: str) -> None:
    decision = POLICY.gate(action, ctx(role=role, page=home(action)))
    allowed = expected_allowed(role, action)
    assert POLICY.allows(role, action) is allowed
    if allowed:
        assert decision is None, decision
    else:
        assert decision is not None
        assert (decision.verdict, decision.code) == ("refuse", "role_not_allowed")
        assert decision.message.startswith(f"As {role} you cannot do this: ")
        assert "admin" in decision.message
        assert decision.rule == f"roles.{role}"


def test_the_role_refusal_names_who_may() -> None:
    decision = POLICY.gate("cancel_trip", ctx(role="viewer"))
    assert decision is not None
    assert decision.message == (
        "As viewer you cannot do this: cancelling a trip needs the operator or admin role."
    )
    decision = POLICY.gate("delete_stop", ctx(role="operator", page=M))
    assert decision is not None
    assert "planner or admin" in decision.message


def test_the_role_is_checked_before_the_page() -> None:
    decision = POLICY.gate("cancel_trip", ctx(role="viewer", page=M))
    assert decision is not None and decision.code == "role_not_allowed"


@pytest.mark.parametrize("role", ["guest", "", "Admin"])
def test_an_unknown_role_is_refused(role: str) -> None:
    for action in ("get_trip_status", "help", "confirm", "cancel_trip"):
        decision = POLICY.gate(action, ctx(role=role))
        assert decision is not None
        assert (decision.verdict, decision.code) == ("refuse", "unknown_role")
        assert "viewer, operator, planner or admin" in decision.message


def test_an_unknown_action_is_refused() -> None:
    decision = POLICY.gate("format_disk", ctx())
    assert decision is not None
    assert (decision.verdict, decision.code) == ("refuse", "unknown_action")
    assert "format_disk" in decision.message


# --- consequences ----------------------------------------------------------------------------

SAMPLE: dict[str, dict[str, Any]] = {
    "bookings_affected": {
        "trip_label": "Path-2 - 08:00",
        "booked": 10,
        "capacity": 40,
        "percent": 25,
    },
    "reassignment": {"trip_label": "Path-2 - 08:00", "current": "KA-01-AB-1234", "new": "KA-02"},
    "vehicle_unavailable": {"vehicle": "KA-01-AB-1234", "status": "BLOCKED", "notes": "brakes"},
    "driver_unavailable": {"driver": "Ramesh", "status": "ON_LEAVE"},
    "capacity_short": {"vehicle": "KA-03-C-7", "capacity": 4, "booked": 10},
    "vehicle_busy": {
        "vehicle": "KA-03-C-7",
        "other_trip_label": "Path-1 - 08:15",
        "other_trip_id": 7,
    },
    "driver_busy": {"driver": "Ramesh", "other_trip_label": "Path-1 - 08:15", "other_trip_id": 7},
    "trip_completed": {"trip_label": "Path-2 - 08:00"},
    "trip_cancelled": {"trip_label": "Path-2 - 08:00"},
    "trip_past": {"trip_label": "Path-2 - 08:00", "trip_date": "2026-11-20"},
    "trip_in_progress": {"trip_label": "Path-2 - 08:00"},
    "nothing_to_do": {"message": "Trip 42 has no vehicle to remove."},
    "over_capacity": {"trip_label": "Path-2 - 08:00", "booked": 39, "capacity": 40, "adding": 3},
    "driver_has_trips": {"driver": "Ramesh", "count": 2, "date": "2026-11-28"},
    "vehicle_has_trips": {"vehicle": "KA-01-AB-1234", "count": 3},
    "stop_in_use": {"stop": "Peenya", "paths": ["Path-1", "Path-4"]},
    "path_in_use": {"path": "Path-1", "routes": ["Path-1 - 08:00"]},
    "route_has_trips": {"route": "Path-1 - 08:00", "trips": 4, "bookings": 37},
    "route_trip_running": {"route": "Path-1 - 08:00", "running": ["Path-1 - 08:00 (trip 9)"]},
    "bulk_preview": {
        "count": 3,
        "date": "2026-11-29",
        "bookings": 12,
        "first": ["A - 08:00", "B - 09:00", "C - 10:00"],
        "more": 0,
    },
    "undo_changed": {"entity": "Trip 42", "by": "ops-3", "at": "10:42"},
    "near_duplicate": {"stop": "Peenyaa", "existing": "Peenya"},
}

TRIP_WRITES = [
    "assign_vehicle",
    "assign_driver",
    "assign_vehicle_and_driver",
    "remove_vehicle",
    "remove_driver",
    "cancel_trip",
    "update_trip_time",
    "reschedule_trip",
    "delay_trip",
    "update_trip_status",
    "add_bookings",
    "reduce_bookings",
    "cancel_all_bookings",
]

TABLE: list[tuple[str, str, Verdict]] = [
    *[
        (action, "bookings_affected", "confirm")
        for action in (
            "remove_vehicle",
            "remove_driver",
            "cancel_trip",
            "update_trip_time",
            "reschedule_trip",
            "delay_trip",
            "update_trip_status",
            "cancel_all_bookings",
            "reduce_bookings",
        )
    ],
    *[
        (action, "reassignment", "confirm")
        for action in ("assign_vehicle", "assign_driver", "assign_vehicle_and_driver")
    ],
    ("assign_vehicle", "vehicle_unavailable", "refuse"),
    ("assign_vehicle_and_driver", "vehicle_unavailable", "refuse"),
    ("create_trip_from_scratch", "vehicle_unavailable", "refuse"),
    ("assign_driver", "driver_unavailable", "refuse"),
    ("assign_vehicle_and_driver", "driver_unavailable", "refuse"),
    ("create_trip_from_scratch", "driver_unavailable", "refuse"),
    ("assign_vehicle", "capacity_short", "confirm"),
    ("assign_vehicle_and_driver", "capacity_short", "confirm"),
    ("assign_vehicle", "vehicle_busy", "refuse"),
    ("assign_driver", "driver_busy", "refuse"),
    ("assign_vehicle_and_driver", "vehicle_busy", "refuse"),
    ("assign_vehicle_and_driver", "driver_busy", "refuse"),
    ("update_trip_time", "vehicle_busy", "refuse"),
    ("reschedule_trip", "driver_busy", "refuse"),
    ("delay_trip", "vehicle_busy", "confirm"),
    *[(action, "trip_completed", "refuse") for action in TRIP_WRITES],
    *[(action, "trip_cancelled", "refuse") for action in TRIP_WRITES],
    *[(a, "trip_past", "refuse") for a in TRIP_WRITES if a != "update_trip_status"],
    ("update_trip_status", "trip_past", "confirm"),
    ("cancel_trip", "trip_in_progress", "refuse"),
    ("remove_vehicle", "trip_in_progress", "refuse"),
    ("update_trip_time", "trip_in_progress", "refuse"),
    ("add_bookings", "trip_in_progress", "refuse"),
    ("delay_trip", "trip_in_progress", "proceed"),
    ("update_trip_status", "trip_in_progress", "proceed"),
    ("assign_vehicle", "trip_in_progress", "confirm"),
    ("duplicate_trip", "trip_completed", "proceed"),
    ("duplicate_trip", "trip_cancelled", "proceed"),
    *[(a, "nothing_to_do", "refuse") for a in ACTIONS if CATALOGUE[a]["kind"] != "read"],
    ("add_bookings", "over_capacity", "confirm"),
    ("set_driver_availability", "driver_has_trips", "confirm"),
    ("block_vehicle", "vehicle_has_trips", "confirm"),
    ("delete_stop", "stop_in_use", "refuse"),
    ("delete_path", "path_in_use", "refuse"),
    ("update_path_stops", "path_in_use", "confirm"),
    ("delete_route", "route_has_trips", "confirm"),
    ("update_route_status", "route_has_trips", "confirm"),
    ("delete_route", "route_trip_running", "refuse"),
    ("update_route_status", "route_trip_running", "refuse"),
    ("bulk_cancel_trips", "bulk_preview", "confirm"),
    ("undo_last_action", "undo_changed", "refuse"),
    ("create_stop", "near_duplicate", "confirm"),
]


@pytest.mark.parametrize(("action", "code", "verdict"), TABLE)
def test_each_consequence_gives_its_verdict(action: str, code: str, verdict: Verdict) -> None:
    assert POLICY.verdict_for(action, code) == verdict
    consequence = con(code, **SAMPLE[code])
    decision = POLICY.decide(action, [consequence], ctx(page=home(action)))
    assert decision.verdict == verdict
    assert decision.consequences == (consequence,)
    assert decision.code == code
    for marker in ("{", "}", "[[", "]]", "the engine's own words"):
        assert marker not in decision.message, decision.message
    assert decision.message.endswith(QUESTION) is (verdict == "confirm")
    if verdict != "refuse":
        assert "no longer" not in decision.message
    assert POLICY.describe_rule(decision.rule).startswith("the policy")


def test_every_consequence_code_of_the_brief_is_known() -> None:
    assert set(SAMPLE) | {"route_trip_running"} == set(POLICY.spec.consequences)
    for code, consequence in POLICY.spec.consequences.items():
        assert set(SAMPLE[code]) <= set(consequence.data) | {"trip_date"}, code


def test_the_canonical_remove_vehicle_wording() -> None:
    data = {"trip_label": "Path-2 - 08:00", "booked": 10, "capacity": 40, "percent": 25}
    decision = POLICY.decide("remove_vehicle", [con("bookings_affected", **data)], ctx())
    assert decision.verdict == "confirm"
    assert decision.message == (
        "Path-2 - 08:00 is already 25% booked by employees (10 of 40 seats). Removing the "
        "vehicle will cancel these bookings and the trip-sheet will fail to generate. "
        "Do you want to proceed?"
    )
    assert decision.rule == "actions.remove_vehicle.confirm.bookings_affected"
    assert POLICY.describe_rule(decision.rule) == (
        "the policy requires confirmation for remove_vehicle when bookings > 0"
    )


def test_an_unavailable_vehicle_is_refused_with_its_reason() -> None:
    data = {"vehicle": "KA-01-AB-1234", "status": "BLOCKED", "notes": "brake repair"}
    decision = POLICY.decide("assign_vehicle", [con("vehicle_unavailable", **data)], ctx())
    assert decision.message == "KA-01-AB-1234 is BLOCKED (brake repair) and cannot be assigned."
    for notes in (None, ""):
        data = {"vehicle": "KA-01-AB-1234", "status": "MAINTENANCE", "notes": notes}
        decision = POLICY.decide("assign_vehicle", [con("vehicle_unavailable", **data)], ctx())
        assert decision.message == "KA-01-AB-1234 is MAINTENANCE and cannot be assigned."


def test_nothing_to_do_says_the_engines_words() -> None:
    message = "Trip 42 has no vehicle to remove."
    decision = POLICY.decide("remove_vehicle", [con("nothing_to_do", message=message)], ctx())
    assert (decision.verdict, decision.message) == ("refuse", message)


def test_dependants_are_listed() -> None:
    decision = POLICY.decide(
        "delete_stop", [con("stop_in_use", **SAMPLE["stop_in_use"])], ctx(page=M)
    )
    assert decision.message == (
        "Peenya is used by Path-1, Path-4; take it out of those paths before deleting it."
    )
    route = {"route": "Path-1 - 08:00", "trips": 1, "bookings": 1}
    decision = POLICY.decide("delete_route", [con("route_has_trips", **route)], ctx(page=M))
    assert decision.message == (
        "Path-1 - 08:00 has 1 scheduled trip with 1 booking; deleting the route cancels that "
        "trip. Do you want to proceed?"
    )


def test_a_missing_template_key_falls_back_to_the_consequences_message() -> None:
    consequence = con("bookings_affected", "Trip 42 has 10 bookings.", trip_label="Path-2")
    decision = POLICY.decide("remove_vehicle", [consequence], ctx())
    assert decision.verdict == "confirm"
    assert decision.message == f"Trip 42 has 10 bookings. {QUESTION}"


def test_an_unknown_consequence_code_asks() -> None:
    consequence = con("moon_phase", "The moon is full.")
    decision = POLICY.decide("remove_vehicle", [consequence], ctx())
    assert (decision.verdict, decision.code) == ("confirm", "moon_phase")
    assert decision.message == f"The moon is full. {QUESTION}"
    assert decision.rule == "defaults.unlisted_consequence"


def test_a_code_an_action_does_not_list_gets_the_codes_default() -> None:
    decision = POLICY.decide("add_vehicle", [con("vehicle_busy", **SAMPLE["vehicle_busy"])], ctx())
    assert (decision.verdict, decision.rule) == ("refuse", "consequences.vehicle_busy.verdict")


def test_without_consequences_an_allowed_action_proceeds() -> None:
    for action in ("remove_vehicle", "get_trip_status", "add_vehicle"):
        decision = POLICY.decide(action, [], ctx(role="operator"))
        assert (decision.verdict, decision.code) == ("proceed", "allowed")
        assert decision.consequences == ()


def test_decide_checks_the_gate_again() -> None:
    decision = POLICY.decide("cancel_trip", [], ctx(role="viewer"))
    assert (decision.verdict, decision.code) == ("refuse", "role_not_allowed")
    consequence = con("bookings_affected", **SAMPLE["bookings_affected"])
    decision = POLICY.decide("cancel_trip", [consequence], ctx(page=M))
    assert (decision.verdict, decision.code) == ("refuse", "page_not_allowed")
    assert decision.consequences == (consequence,)
    decision = POLICY.decide("cancel_trip", [], ctx(role="viewer"), check_gate=False)
    assert decision.verdict == "proceed"


# --- the strictest verdict wins ------------------------------------------------------------


def test_refuse_beats_confirm() -> None:
    found = [
        con("bookings_affected", **SAMPLE["bookings_affected"]),
        con("trip_completed", **SAMPLE["trip_completed"]),
    ]
    decision = POLICY.decide("remove_vehicle", found, ctx())
    assert (decision.verdict, decision.code) == ("refuse", "trip_completed")
    assert decision.message == "Path-2 - 08:00 has already completed; it can no longer be changed."
    assert decision.rule == "actions.remove_vehicle.refuse.trip_completed"
    assert len(decision.consequences) == 2


def test_several_confirmations_are_asked_together_once() -> None:
    found = [
        con("reassignment", **SAMPLE["reassignment"]),
        con("capacity_short", **SAMPLE["capacity_short"]),
    ]
    decision = POLICY.decide("assign_vehicle", found, ctx())
    assert (decision.verdict, decision.code) == ("confirm", "reassignment")
    assert decision.message == (
        "Path-2 - 08:00 already has the vehicle KA-01-AB-1234; assigning KA-02 will replace it. "
        "KA-03-C-7 has only 4 seats but 10 employees are booked on this trip. "
        "Do you want to proceed?"
    )
    assert decision.message.count(QUESTION) == 1


def test_confirm_beats_an_informational_proceed() -> None:
    found = [
        con("trip_in_progress", **SAMPLE["trip_in_progress"]),
        con("bookings_affected", **SAMPLE["bookings_affected"]),
    ]
    decision = POLICY.decide("delay_trip", found, ctx())
    assert (decision.verdict, decision.code) == ("confirm", "bookings_affected")
    alone = POLICY.decide("delay_trip", found[:1], ctx())
    assert (alone.verdict, alone.code) == ("proceed", "trip_in_progress")
    assert alone.message == "Path-2 - 08:00 is already running; the delay is recorded for it."


# --- bulk ------------------------------------------------------------------------------------


def preview(more: int) -> Consequence:
    first = [f"Path-{i} - 08:00" for i in range(1, 6)]
    return con(
        "bulk_preview", count=5 + more, date="2026-11-29", bookings=140, first=first, more=more
    )


def test_the_bulk_preview_with_and_more() -> None:
    decision = POLICY.decide("bulk_cancel_trips", [preview(3)], ctx())
    assert (decision.verdict, decision.code) == ("confirm", "bulk_preview")
    assert decision.message == (
        "This will cancel 8 trips on 2026-11-29 affecting 140 bookings: Path-1 - 08:00, "
        "Path-2 - 08:00, Path-3 - 08:00, Path-4 - 08:00, Path-5 - 08:00 and 3 more. "
        "Do you want to proceed?"
    )


def test_the_bulk_preview_without_and_more() -> None:
    decision = POLICY.decide("bulk_cancel_trips", [preview(0)], ctx())
    assert decision.message == (
        "This will cancel 5 trips on 2026-11-29 affecting 140 bookings: Path-1 - 08:00, "
        "Path-2 - 08:00, Path-3 - 08:00, Path-4 - 08:00, Path-5 - 08:00. Do you want to proceed?"
    )
    assert "more" not in decision.message


def test_bulk_always_confirms() -> None:
    decision = POLICY.decide("bulk_cancel_trips", [], ctx())
    assert (decision.verdict, decision.code) == ("confirm", "bulk_confirmation")
    assert decision.message.endswith(QUESTION)
    informational = con("trip_in_progress", **SAMPLE["trip_in_progress"])
    decision = POLICY.decide("bulk_cancel_trips", [informational], ctx())
    assert decision.verdict in ("confirm", "refuse")
    nothing = con("nothing_to_do", message="There are no trips on 2026-11-29 to cancel.")
    decision = POLICY.decide("bulk_cancel_trips", [preview(0), nothing], ctx())
    assert (decision.verdict, decision.code) == ("refuse", "nothing_to_do")


# --- limits ----------------------------------------------------------------------------------


def test_the_daily_bulk_limit() -> None:
    assert POLICY.gate("bulk_cancel_trips", ctx(bulk_actions_today=4)) is None
    decision = POLICY.gate("bulk_cancel_trips", ctx(bulk_actions_today=5))
    assert decision is not None
    assert (decision.verdict, decision.code) == ("refuse", "bulk_limit")
    assert decision.message == (
        "You have already run 5 bulk actions today; the daily limit for admin is 5."
    )
    assert decision.rule == "limits.bulk_per_day.admin"
    assert POLICY.describe_rule(decision.rule) == (
        "the policy allows each admin at most 5 bulk actions a day"
    )
    decision = POLICY.decide("bulk_cancel_trips", [preview(0)], ctx(bulk_actions_today=5))
    assert decision.code == "bulk_limit"


def test_the_write_rate_limit() -> None:
    assert POLICY.gate("cancel_trip", ctx(writes_last_minute=29)) is None
    decision = POLICY.gate("cancel_trip", ctx(writes_last_minute=30))
    assert decision is not None
    assert (decision.verdict, decision.code) == ("refuse", "rate_limit")
    assert "30 changes in the last minute; the limit is 30 a minute" in decision.message
    for action in ("get_trip_status", "help", "confirm"):
        assert POLICY.gate(action, ctx(writes_last_minute=1000)) is None


def test_the_input_length_limit() -> None:
    assert POLICY.check_input("x" * 2000) is None
    decision = POLICY.check_input("x" * 20_000)
    assert decision is not None
    assert (decision.verdict, decision.code, decision.rule) == (
        "refuse",
        "input_too_long",
        "limits.max_chars",
    )
    assert "20000 characters" in decision.message and "2000" in decision.message


def test_a_role_granted_bulk_without_a_daily_allowance_is_refused(tmp_path: Path) -> None:
    def change(raw: dict[str, Any]) -> None:
        raw["roles"]["operator"]["groups"].append("bulk")

    policy = Policy.load(variant(tmp_path, change))
    decision = policy.gate("bulk_cancel_trips", ctx(role="operator"))
    assert decision is not None and decision.code == "bulk_not_allowed"
    assert (
        policy.describe_rule(decision.rule) == "the policy allows the operator role no bulk actions"
    )


# --- explanations ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("actions.delay_trip.proceed.trip_in_progress", "lets delay_trip proceed even when"),
        ("actions.delete_stop.refuse.stop_in_use", "refuses delete_stop when paths still use"),
        ("actions.cancel_trip.page", "cancel_trip only on the busDashboard page"),
        ("actions.get_trip_status.kind", "only reads"),
        ("actions.bulk_cancel_trips.kind", "every bulk action"),
        ("roles.viewer", "viewer role"),
        ("roles", "viewer, operator, planner and admin"),
        ("actions", "does not list"),
        ("limits.writes_per_minute", "at most 30 changes a minute"),
        ("limits.max_chars", "2000 characters"),
        ("consequences.vehicle_busy.verdict", "refuses an action when the vehicle is on"),
        ("reassignment", "requires confirmation for an action when the trip already has one"),
        ("defaults.unlisted_consequence", "requires confirmation"),
        ("no.such.rule", "the policy rule no.such.rule"),
    ],
)
def test_rules_are_described_in_plain_words(rule: str, words: str) -> None:
    assert words in POLICY.describe_rule(rule)


# --- templates -------------------------------------------------------------------------------


def test_templates() -> None:
    assert render("{n} {n:trip|trips}", {"n": 1}) == "1 trip"
    assert render("{n} {n:trip|trips}", {"n": 2.0}) == "2 trips"
    assert render("{xs:it|them}: {xs}", {"xs": ["a"]}) == "it: a"
    assert render("a[[ ({b})]] c", {"b": None}) == "a c"
    assert render("a[[ ({b})]] c", {}) == "a c"
    assert render("{a} and {b}", {"a": 1}) is None
    assert render("{a}", {"a": "{b} stays"}) == "{b} stays"
    assert template_fields("{a} [[{b} {a}]]") == (frozenset({"a"}), frozenset({"b"}))
    for bad in ("{a", "{a.b}", "{a!r}", "{a:>10}", "[[ {a}", "[[ [[a]] ]]", "{0}"):
        with pytest.raises(ValueError):
            template_fields(bad)


# --- a broken policy.yaml ----------------------------------------------------------------------


def variant(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    raw = yaml.safe_load(default_path().read_text(encoding="utf-8"))
    change(raw)
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(raw: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = raw
        for key in parents:
            node = node[key]
        node[last] = value

    return change


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda raw: raw.pop(key)


BROKEN: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("missing format", _drop("format"), r"format is missing"),
    ("wrong format", _set("format", "movi.policy.v0"), r"format must be 'movi.policy.v1'"),
    (
        "unknown action in a role",
        _set("roles.operator.actions", ["cancel_trip", "launch_rocket"]),
        r"roles\.operator\.actions names unknown action 'launch_rocket'",
    ),
    (
        "unknown verdict of a code",
        _set("consequences.reassignment.verdict", "maybe"),
        r"consequences\.reassignment\.verdict: Input should be 'proceed', 'confirm' or 'refuse'",
    ),
    (
        "unknown verdict of an action",
        _set("actions.remove_vehicle.ask", ["bookings_affected"]),
        r"actions\.remove_vehicle\.ask: Extra inputs are not permitted",
    ),
    (
        "unknown default verdict",
        _set("defaults.unlisted_consequence", "shrug"),
        r"defaults\.unlisted_consequence",
    ),
    (
        "unknown kind",
        _set("actions.cancel_trip.kind", "dangerous"),
        r"actions\.cancel_trip\.kind",
    ),
    (
        "unknown consequence code",
        _set("actions.cancel_trip.confirm", ["bookings_afected"]),
        r"actions\.cancel_trip\.confirm names unknown consequence 'bookings_afected'",
    ),
    (
        "a code under two verdicts",
        _set("actions.cancel_trip.confirm", ["bookings_affected", "trip_completed"]),
        r"actions\.cancel_trip lists 'trip_completed' under both confirm and refuse",
    ),
    (
        "a template key the code does not carry",
        _set("actions.remove_vehicle.messages.bookings_affected", "{trip_label} has {seats}"),
        r"actions\.remove_vehicle\.messages\.bookings_affected uses seats",
    ),
    (
        "a malformed template",
        _set("consequences.trip_past.message", "{trip_label is past"),
        r"consequences\.trip_past\.message: ",
    ),
    (
        "an unknown group",
        _set("roles.planner.groups", ["network", "netwrok"]),
        r"roles\.planner\.groups names unknown group 'netwrok'",
    ),
    (
        "an unknown role with a bulk limit",
        _set("limits.bulk_per_day.guest", 3),
        r"limits\.bulk_per_day names unknown role 'guest'",
    ),
    ("a negative limit", _set("limits.writes_per_minute", -1), r"limits\.writes_per_minute"),
    (
        "a message key that does not exist",
        _set("messages.wrong_page", "Go to {elsewhere}."),
        r"messages\.wrong_page uses elsewhere",
    ),
    ("no roles", _set("roles", {}), r"roles: "),
    (
        "an overridden verdict without its own wording",
        _set("actions.cancel_trip.proceed", ["trip_past"]),
        r"actions\.cancel_trip\.proceed lists 'trip_past', whose default verdict is refuse",
    ),
]


@pytest.mark.parametrize(("why", "change", "match"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_policy_is_refused_saying_where(
    tmp_path: Path, why: str, change: Callable[[dict[str, Any]], None], match: str
) -> None:
    path = variant(tmp_path, change)
    with pytest.raises(PolicyError, match=match) as caught:
        Policy.load(path)
    assert str(path) in str(caught.value)
    assert str(caught.value).startswith("[M400] ")


def test_an_unreadable_policy_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read the policy file"):
        Policy.load(tmp_path / "absent.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: [unclosed", encoding="utf-8")
    with pytest.raises(PolicyError, match="is not valid YAML"):
        Policy.load(bad)
    bad.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="a policy is a mapping"):
        Policy.load(bad)


def test_the_shipped_policy_round_trips(tmp_path: Path) -> None:
    policy = Policy.load(variant(tmp_path, lambda raw: None))
    assert policy.spec == POLICY.spec


# --- properties --------------------------------------------------------------------------------

CODES = sorted(POLICY.spec.consequences)
DATA_KEYS = sorted({key for c in POLICY.spec.consequences.values() for key in c.data})
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.lists(st.text(max_size=8), max_size=4),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
CONSEQUENCES = st.builds(
    Consequence,
    code=st.sampled_from([*CODES, "mystery_code", ""]),
    message=st.text(max_size=20),
    data=st.dictionaries(st.sampled_from(DATA_KEYS), VALUES, max_size=6),
)


@settings(max_examples=400, deadline=None)
@given(
    action=st.sampled_from([*ACTIONS, "no_such_action"]),
    role=st.sampled_from([*ROLES, "guest"]),
    page=st.sampled_from([B, M, None, "reports"]),
    found=st.lists(CONSEQUENCES, max_size=5),
    bulk=st.integers(min_value=0, max_value=10),
    writes=st.integers(min_value=0, max_value=60),
)
def test_decisions_never_raise_and_never_soften(
    action: str, role: str, page: str | None, found: list[Consequence], bulk: int, writes: int
) -> None:
    context = ctx(role=role, page=page, bulk_actions_today=bulk, writes_last_minute=writes)
    gate = POLICY.gate(action, context)
    routed = POLICY.decide(action, found, context, check_gate=False)
    decided = POLICY.decide(action, found, context)
    for decision in (routed, decided, gate):
        assert decision is None or isinstance(decision, Decision)
        assert decision is None or decision.message.strip()
        assert decision is None or POLICY.describe_rule(decision.rule)

    strictest = max((RANK[POLICY.verdict_for(action, c.code)] for c in found), default=0)
    assert RANK[routed.verdict] == strictest or (
        strictest == 0 and routed.verdict == "confirm" and CATALOGUE[action]["kind"] == "bulk"
    )
    if strictest > 0:
        assert routed.verdict != "proceed"
    if action in CATALOGUE and CATALOGUE[action]["kind"] == "bulk":
        assert routed.verdict != "proceed"
    if gate is not None:
        assert gate.verdict == "refuse"
        assert decided == gate.model_copy(update={"consequences": tuple(found)})
    else:
        assert decided == routed
