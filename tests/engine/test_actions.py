"""Every busDashboard action end to end through ``Movi.handle``, on SQLite and PostgreSQL.

Commands are plain operator words on the demo database. A read must answer ``completed`` and name
what was asked about; a write must change the row (read back here with plain SQL) and leave
exactly one new ``audit_log`` row with its before and after state; the refusal and confirmation
paths of the policy are walked for the actions that have them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Any

import pytest
from sqlalchemy import select
from tests.engine.support import TODAY, TOMORROW, Demo, Rows, mentions, say
from tests.spec_catalogue import snapshot

from movi.actions import EXECUTORS
from movi.engine import Movi
from movi.store.schema import Booking, BookingStatus, DailyTrip, Deployment, Driver, TripStatus

REMOVE_CASE = "remove_vehicle_with_bookings"  # Path-1 - 08:00 today: KA-01-AB-1234, 10 of 40 seats
CANONICAL_REMOVE = (
    "{label} is already 25% booked by employees (10 of 40 seats). Removing the vehicle will "
    "cancel these bookings and the trip-sheet will fail to generate. Do you want to proceed?"
)

# busDashboard actions of SPEC section 2 that have no executor yet, each a known gap of issue 4.
# The catalogue test below fails for an action missing from EXECUTORS unless it is listed here,
# and fails again once it is built and still listed. Empty since the insight reads landed.
NOT_YET_BUILT: frozenset[str] = frozenset()


def dashboard_actions() -> set[str]:
    """The busDashboard actions of the SPEC, with the audit trail that issue 4 also builds."""
    catalogue = snapshot()
    return {a for a, row in catalogue.items() if row["page"] == "B"} | {"get_audit_trail"}


# --- the catalogue ---------------------------------------------------------------------------


def test_every_dashboard_action_has_an_executor_or_is_listed_as_missing() -> None:
    actions = dashboard_actions()
    missing = actions - set(EXECUTORS) - NOT_YET_BUILT
    assert not missing, f"busDashboard actions without an executor: {sorted(missing)}"
    built_meanwhile = NOT_YET_BUILT & set(EXECUTORS)
    assert not built_meanwhile, f"built now, take them off NOT_YET_BUILT: {sorted(built_meanwhile)}"
    assert actions >= NOT_YET_BUILT, "NOT_YET_BUILT names an action that is not on busDashboard"


def test_every_executor_of_the_dashboard_is_tested_here() -> None:
    tested = {case.action for case in READS} | SUGGESTIONS | WRITES_TESTED
    untested = (dashboard_actions() & set(EXECUTORS)) - tested
    assert not untested, f"executors without an end-to-end test: {sorted(untested)}"


# --- reads: one shared demo, nothing written ---------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A command, the action it must reach, words its reply must name, and its data's type."""

    action: str
    text: str
    expect: tuple[str, ...]
    data: type = list

    def __str__(self) -> str:
        return self.action


READS = (
    Case(
        "get_trip_details",
        "show details of trip {trip}",
        ("{label}", "KA-01-AB-1234", "10 of 40"),
        dict,
    ),
    Case("get_trip_status", "what is the status of trip {trip}", ("{label}", "SCHEDULED"), dict),
    Case("get_trip_summary", "give me a summary of trip {trip}", ("{label}", "10 of 40"), dict),
    Case("get_trip_stops", "what are the stops of trip {trip}", ("Peenya", "Gavipuram", "BTM")),
    Case("list_all_vehicles", "list all vehicles", ("40 vehicles", "2 blocked")),
    Case("get_unassigned_vehicles", "which vehicles are free tomorrow?", ("2026-11-29",)),
    Case("get_most_used_vehicles", "show me the most used vehicles", ("last 7 days",)),
    Case(
        "get_vehicle_status",
        "status of vehicle {blocked}",
        ("{blocked}", "BLOCKED", "Brake issue reported"),
        dict,
    ),
    Case(
        "get_vehicle_trips_today",
        "trips of KA-01-AB-1234 today",
        ("KA-01-AB-1234", "Path-1 - 08:00"),
    ),
    Case("list_all_drivers", "list all drivers", ("44 drivers", "2 on_leave")),
    Case("get_available_drivers", "which drivers are available tomorrow", ("2026-11-29",)),
    Case(
        "get_driver_status",
        "what is the status of driver {on_leave}",
        ("{on_leave}", "ON_LEAVE"),
        dict,
    ),
    Case(
        "get_driver_trips_today",
        "what trips does {driver} have today",
        ("{driver}", "Path-1 - 08:00"),
    ),
    Case(
        "get_booking_count",
        "how many bookings on trip {trip}",
        ("{label}", "10 confirmed bookings", "40 seats"),
        dict,
    ),
    Case(
        "check_seat_availability",
        "how many seats are free on trip {trip}",
        ("30 seats free", "10 of 40"),
        dict,
    ),
    Case("list_passengers", "list passengers of trip {trip}", ("10 passengers", "{employee}")),
    Case("find_employee_trips", "which trip is {employee} on", ("{employee}", "Path-1 - 08:00")),
    Case("get_audit_trail", "who changed trip {trip}", ("No recorded changes", "trip {trip}")),
    Case("check_trip_readiness", "is trip {trip} ready", ("{label}", "ready", "10 booked"), dict),
    Case("show_trip_suggestions", "what can I do with trip {trip}", ("{label}", "delay it"), dict),
    Case(
        "get_trips_needing_attention",
        "which trips need attention today",
        ("need attention", "2026-11-28", "overbooked"),
    ),
    Case("get_today_summary", "give me today's summary", ("2026-11-28", "60 trips"), dict),
    Case("get_high_demand_offices", "which offices have the highest demand", ("Offices",)),
    Case("detect_overbooking", "are any trips overbooked", ("{overbooked}", "7 seats")),
    Case("predict_problem_trips", "predict problem trips for tomorrow", ("2026-11-29", "risk")),
    Case("get_recent_changes", "what changed in the last 30 minutes", ("last 30 minutes",)),
)


@pytest.fixture
async def names(shared_demo: Demo, shared_rows: Rows) -> dict[str, str]:
    """The demo's rows the read commands name, looked up in the data rather than assumed."""
    trip = shared_demo.cases[REMOVE_CASE][0]
    state = await shared_rows.trip(trip)
    driver = await shared_rows.driver(driver_id=state["driver_id"])
    blocked = await shared_rows.vehicle(vehicle_id=shared_demo.cases["blocked_vehicles"][0])
    on_leave = await shared_rows.driver(driver_id=shared_demo.cases["on_leave_drivers"][0])
    employee = await shared_rows.scalar(
        select(Booking.employee_name)
        .where(Booking.trip_id == trip, Booking.status == BookingStatus.CONFIRMED)
        .order_by(Booking.employee_name)
    )
    return {
        "trip": str(trip),
        "label": state["display_name"],
        "driver": driver.name,
        "blocked": blocked.registration_number,
        "on_leave": on_leave.name,
        "employee": employee,
        "overbooked": f"trip {shared_demo.cases['overbooked'][0]}",
        **await refusal_names(shared_demo, shared_rows),
    }


async def refusal_names(demo: Demo, rows: Rows) -> dict[str, str]:
    trip = demo.cases[REMOVE_CASE][0]
    full = await rows.trip(demo.cases["full"][0])
    running = await rows.scalar(
        select(DailyTrip.trip_id).where(
            DailyTrip.trip_date == TODAY, DailyTrip.live_status == TripStatus.IN_PROGRESS
        )
    )
    on_leave = await rows.driver(driver_id=demo.cases["on_leave_drivers"][0])
    return {
        "later": str(demo.cases["no_vehicle"][0]),  # Path-1 - 09:30, 90 min after Path-2 - 08:00
        "full": str(full["trip_id"]),
        "full_driver": (await rows.driver(driver_id=full["driver_id"])).name,
        "free_driver": (await rows.free_drivers(trip))[0],
        "running": str(running),
        "empty": str((await rows.trips_without_bookings())[0]),
        "on_leave_phone": on_leave.phone_number,
    }


@pytest.mark.parametrize("case", READS, ids=str)
async def test_read(read_movi: Movi, names: dict[str, str], case: Case) -> None:
    reply = await say(read_movi, case.text.format(**names), session=f"read-{case.action}")
    assert reply.status == "completed", reply.message
    assert reply.action == case.action
    mentions(reply, *(word.format(**names) for word in case.expect))
    assert isinstance(reply.data, case.data)


async def test_a_read_of_something_that_does_not_exist_is_not_found(read_movi: Movi) -> None:
    reply = await say(read_movi, "status of vehicle KA-99-ZZ-9999", session="nf")
    assert reply.status == "not_found"
    mentions(reply, "KA-99-ZZ-9999")


# Refusals, and confirmations answered "no": none of them writes, so they share one demo.
REFUSALS = (
    Case("assign_vehicle", "assign KA-01-AB-1234 to trip {trip}", ("already on",)),
    Case("assign_driver", "assign driver {driver} to trip {trip}", ("already drives",)),
    Case(
        "assign_driver",
        "assign driver {full_driver} to trip {later}",
        ("{full_driver}", "trip {full}", "overlaps"),
    ),
    Case("remove_vehicle", "remove the vehicle from trip {running}", ("already running",)),
    Case("remove_driver", "remove the driver from trip {running}", ("already running",)),
    Case("block_vehicle", "block {blocked}", ("already blocked",)),
    Case("add_driver", "add driver Ravi {on_leave_phone}", ("{on_leave}", "already")),
    Case("cancel_all_bookings", "cancel all bookings of trip {empty}", ("no confirmed bookings",)),
    Case("reduce_bookings", "reduce bookings on trip {empty} by 2", ("no confirmed bookings",)),
    Case("add_bookings", "add 2 bookings to trip {running}", ("already running",)),
    Case("bulk_cancel_trips", "cancel all trips", ("Which day",)),
    Case("update_trip_status", "mark trip {trip} as scheduled", ("already SCHEDULED",)),
    Case("set_driver_availability", "{on_leave} is on leave", ("already ON_LEAVE",)),
)


@pytest.mark.parametrize("case", REFUSALS, ids=lambda c: f"{c.action}-{c.text.split()[0]}")
async def test_refused(read_movi: Movi, names: dict[str, str], case: Case) -> None:
    session = f"refuse-{case.text}"
    reply = await say(read_movi, case.text.format(**names), session=session)
    assert reply.status == "rejected", reply.message
    assert reply.action == case.action
    mentions(reply, *(word.format(**names) for word in case.expect))
    # (read_movi fails the test if anything was written.)


async def test_reassigning_a_driver_asks_and_no_changes_nothing(
    read_movi: Movi, names: dict[str, str]
) -> None:
    text = "assign driver {free_driver} to trip {trip}".format(**names)
    asked = await say(read_movi, text, session="reassign-driver")
    assert asked.status == "needs_confirmation", asked.message
    mentions(asked, "already has the driver", names["driver"], names["free_driver"])
    declined = await say(read_movi, "no", session="reassign-driver")
    assert declined.status == "cancelled"
    mentions(declined, "nothing was changed")


SUGGESTIONS = {"recommend_vehicle_for_trip", "suggest_alternate_vehicle"}


@pytest.mark.parametrize("action", sorted(SUGGESTIONS))
async def test_vehicle_suggestions_are_free_and_big_enough(
    read_movi: Movi, shared_rows: Rows, shared_demo: Demo, action: str
) -> None:
    trip = shared_demo.cases[REMOVE_CASE][0]  # 10 booked on KA-01-AB-1234
    text = {
        "recommend_vehicle_for_trip": f"recommend a vehicle for trip {trip}",
        "suggest_alternate_vehicle": f"suggest an alternate vehicle for trip {trip}",
    }[action]
    reply = await say(read_movi, text, session=f"read-{action}")
    assert reply.status == "completed", reply.message
    assert reply.action == action
    suggested = [v["registration_number"] for v in reply.data]
    assert suggested, reply.message
    mentions(reply, "10 seats needed", suggested[0])
    assert set(suggested) <= set(await shared_rows.free_vehicles(trip, seats=10))
    assert all(v["capacity"] >= 10 and v["status"] == "AVAILABLE" for v in reply.data)
    if action == "suggest_alternate_vehicle":
        assert "KA-01-AB-1234" not in suggested


# --- writes ------------------------------------------------------------------------------------

WRITES_TESTED = {
    "remove_vehicle",
    "assign_vehicle",
    "assign_driver",
    "assign_vehicle_and_driver",
    "remove_driver",
    "cancel_trip",
    "delay_trip",
    "update_trip_time",
    "reschedule_trip",
    "update_trip_status",
    "duplicate_trip",
    "block_vehicle",
    "unblock_vehicle",
    "add_vehicle",
    "add_driver",
    "set_driver_availability",
    "add_bookings",
    "reduce_bookings",
    "cancel_all_bookings",
    "bulk_cancel_trips",
}


async def unchanged(rows: Rows, trip_id: int, before: dict[str, Any], since: int) -> None:
    """A refusal or an open question wrote nothing."""
    assert await rows.trip(trip_id) == before
    assert await rows.audit_since(since) == []


async def confirm(
    movi: Movi, rows: Rows, text: str, trip_id: int, *, expect: tuple[str | int, ...]
) -> Any:
    """``text`` asks first (and changes nothing); "yes" runs it. Returns the "yes" reply."""
    before, since = await rows.trip(trip_id), await rows.last_log_id()
    asked = await say(movi, text)
    assert asked.status == "needs_confirmation", asked.message
    mentions(asked, *expect)
    assert asked.message.endswith("Do you want to proceed?")
    await unchanged(rows, trip_id, before, since)
    done = await say(movi, "yes")
    assert done.status == "completed", done.message
    assert done.action == asked.action
    return done


async def test_remove_vehicle_with_bookings_asks_with_the_canonical_wording(
    movi: Movi, rows: Rows, demo: Demo
) -> None:
    trip = demo.cases[REMOVE_CASE][0]
    before, since = await rows.trip(trip), await rows.last_log_id()
    assert (await rows.registration(before["vehicle_id"]), before["booked"]) == (
        "KA-01-AB-1234",
        10,
    )

    asked = await say(movi, f"remove the vehicle from trip {trip}")
    assert asked.status == "needs_confirmation"
    assert asked.action == "remove_vehicle"
    assert asked.message == CANONICAL_REMOVE.format(label=before["display_name"])
    assert [c.code for c in asked.consequences] == ["bookings_affected"]
    await unchanged(rows, trip, before, since)

    done = await say(movi, "yes")
    assert done.status == "completed"
    mentions(done, "KA-01-AB-1234", "10 bookings cancelled")
    after = await rows.trip(trip)
    assert after["vehicle_id"] is None
    assert after["booked"] == 0
    assert after["driver_id"] == before["driver_id"]
    audit = await rows.one_audit(since, action="remove_vehicle", entity_type="trip", entity_id=trip)
    assert audit.before_state["vehicle"] == "KA-01-AB-1234"
    assert audit.before_state["confirmed_bookings"] == 10
    assert audit.after_state["vehicle"] is None
    assert audit.after_state["confirmed_bookings"] == 0


async def test_remove_vehicle_without_bookings_needs_no_confirmation(
    movi: Movi, rows: Rows
) -> None:
    candidates = [
        t for t in await rows.trips_without_bookings() if (await rows.trip(t))["vehicle_id"]
    ]
    trip = candidates[0]
    since = await rows.last_log_id()
    reply = await say(movi, f"remove the vehicle from trip {trip}")
    assert reply.status == "completed", reply.message
    assert (await rows.trip(trip))["vehicle_id"] is None
    await rows.one_audit(since, action="remove_vehicle", entity_type="trip", entity_id=trip)


async def test_remove_vehicle_from_a_trip_without_one_is_refused(
    movi: Movi, rows: Rows, demo: Demo
) -> None:
    trip = demo.cases["no_vehicle"][0]
    before, since = await rows.trip(trip), await rows.last_log_id()
    reply = await say(movi, f"remove the vehicle from trip {trip}")
    assert reply.status == "rejected"
    mentions(reply, "has no vehicle")
    await unchanged(rows, trip, before, since)


# --- assignments -------------------------------------------------------------------------------


async def evening_trip_without_vehicle(rows: Rows, demo: Demo) -> int:
    """Path-3 - 19:00 today: no vehicle, no driver (hard cases ``no_vehicle`` and ``no_driver``)."""
    (trip,) = set(demo.cases["no_vehicle"]) & set(demo.cases["no_driver"])
    state = await rows.trip(trip)
    assert state["vehicle_id"] is None and state["driver_id"] is None
    return trip


async def test_assign_vehicle_to_a_trip_without_one(movi: Movi, rows: Rows, demo: Demo) -> None:
    trip = await evening_trip_without_vehicle(rows, demo)
    reg = (await rows.free_vehicles(trip, seats=10))[0]
    since = await rows.last_log_id()
    reply = await say(movi, f"assign {reg} to trip {trip}")
    assert reply.status == "completed", reply.message
    assert reply.action == "assign_vehicle"
    mentions(reply, reg, f"trip {trip}")
    assert await rows.registration((await rows.trip(trip))["vehicle_id"]) == reg
    audit = await rows.one_audit(since, action="assign_vehicle", entity_type="trip", entity_id=trip)
    assert audit.before_state["vehicle_id"] is None
    assert audit.after_state["vehicle"] == reg


async def test_assign_vehicle_by_registration_without_separators(
    movi: Movi, rows: Rows, demo: Demo
) -> None:
    trip = await evening_trip_without_vehicle(rows, demo)
    reg = (await rows.free_vehicles(trip, seats=10))[0]
    reply = await say(movi, f"assign {reg.replace('-', '').lower()} to trip {trip}")
    assert reply.status == "completed", reply.message
    assert await rows.registration((await rows.trip(trip))["vehicle_id"]) == reg


async def test_assign_a_blocked_vehicle_is_refused_with_the_reason(
    movi: Movi, rows: Rows, demo: Demo
) -> None:
    trip = await evening_trip_without_vehicle(rows, demo)
    blocked = await rows.vehicle(vehicle_id=demo.cases["blocked_vehicles"][0])
    before, since = await rows.trip(trip), await rows.last_log_id()
    reply = await say(movi, f"assign {blocked.registration_number} to trip {trip}")
    assert reply.status == "rejected"
    assert reply.action == "assign_vehicle"
    mentions(reply, blocked.registration_number, "BLOCKED", blocked.notes, "cannot be assigned")
    await unchanged(rows, trip, before, since)


async def test_assign_a_vehicle_busy_on_an_overlapping_trip_is_refused(
    movi: Movi, rows: Rows, demo: Demo
) -> None:
    trip = demo.cases["no_vehicle"][0]  # Path-1 - 09:30
    other = demo.cases["full"][0]  # Path-2 - 08:00, 90 minutes earlier
    reg = await rows.registration((await rows.trip(other))["vehicle_id"])
    assert reg is not None
    before, since = await rows.trip(trip), await rows.last_log_id()
    reply = await say(movi, f"assign {reg} to trip {trip}")
    assert reply.status == "rejected"
    mentions(reply, reg, f"trip {other}", "overlaps")
    await unchanged(rows, trip, before, since)


async def test_assign_to_a_trip_with_a_vehicle_confirms_the_reassignment(
    movi: Movi, rows: Rows, demo: Demo
) -> None:
    trip = demo.cases["bagur_tech_park_1930"][0]
    before = await rows.trip(trip)
    current = await rows.registration(before["vehicle_id"])
    assert current is not None
    new = (await rows.free_vehicles(trip, seats=max(before["booked"], 1)))[0]
    since = await rows.last_log_id()
    await confirm(
        movi,
        rows,
        f"assign {new} to trip {trip}",
        trip,
        expect=("already has the vehicle", current, new, "replace"),
    )
    assert await rows.registration((await rows.trip(trip))["vehicle_id"]) == new
    audit = await rows.one_audit(since, action="assign_vehicle", entity_type="trip", entity_id=trip)
    assert (audit.before_state["vehicle"], audit.after_state["vehicle"]) == (current, new)


async def test_assign_a_vehicle_too_small_for_the_bookings_asks(
    movi: Movi, rows: Rows, demo: Demo
) -> None:
    trip = demo.cases["full"][0]  # 24 of 24 seats booked
    await rows.add_vehicle("KA-09-SM-0004", seats=4)
    since = await rows.last_log_id()
    await confirm(
        movi, rows, f"assign KA-09-SM-0004 to trip {trip}", trip, expect=("only 4 seats", "24")
    )
    assert await rows.registration((await rows.trip(trip))["vehicle_id"]) == "KA-09-SM-0004"
    await rows.one_audit(since, action="assign_vehicle", entity_type="trip", entity_id=trip)


async def test_assign_driver(movi: Movi, rows: Rows, demo: Demo) -> None:
    trip = await evening_trip_without_vehicle(rows, demo)
    name = (await rows.free_drivers(trip))[0]
    since = await rows.last_log_id()
    reply = await say(movi, f"assign driver {name} to trip {trip}")
    assert reply.status == "completed", reply.message
    assert reply.action == "assign_driver"
    mentions(reply, name)
    driver = await rows.driver(name=name)
    assert (await rows.trip(trip))["driver_id"] == driver.driver_id
    audit = await rows.one_audit(since, action="assign_driver", entity_type="trip", entity_id=trip)
    assert (audit.before_state["driver"], audit.after_state["driver"]) == (None, name)


async def test_assign_a_driver_on_leave_is_refused(movi: Movi, rows: Rows, demo: Demo) -> None:
    trip = await evening_trip_without_vehicle(rows, demo)
    driver = await rows.driver(driver_id=demo.cases["on_leave_drivers"][0])
    before, since = await rows.trip(trip), await rows.last_log_id()
    reply = await say(movi, f"assign driver {driver.name} to trip {trip}")
    assert reply.status == "rejected"
    assert reply.action == "assign_driver"
    mentions(reply, driver.name, "ON_LEAVE", "cannot be assigned")
    await unchanged(rows, trip, before, since)


async def test_assign_an_unavailable_driver_is_refused(movi: Movi, rows: Rows, demo: Demo) -> None:
    trip = await evening_trip_without_vehicle(rows, demo)
    driver = await rows.driver(driver_id=demo.cases["unavailable_drivers"][0])
    before, since = await rows.trip(trip), await rows.last_log_id()
    reply = await say(movi, f"assign driver {driver.name} to trip {trip}")
    assert reply.status == "rejected"
    mentions(reply, driver.name, "UNAVAILABLE")
    await unchanged(rows, trip, before, since)


async def test_assign_vehicle_and_driver(movi: Movi, rows: Rows, demo: Demo) -> None:
    trip = await evening_trip_without_vehicle(rows, demo)
    reg = (await rows.free_vehicles(trip, seats=10))[0]
    name = (await rows.free_drivers(trip))[0]
    since = await rows.last_log_id()
    reply = await say(movi, f"assign vehicle {reg} and driver {name} to trip {trip}")
    assert reply.status == "completed", reply.message
    assert reply.action == "assign_vehicle_and_driver"
    mentions(reply, reg, name)
    after = await rows.trip(trip)
    assert await rows.registration(after["vehicle_id"]) == reg
    assert after["driver_id"] == (await rows.driver(name=name)).driver_id
    audit = await rows.one_audit(
        since, action="assign_vehicle_and_driver", entity_type="trip", entity_id=trip
    )
    assert (audit.after_state["vehicle"], audit.after_state["driver"]) == (reg, name)


async def test_remove_driver_with_bookings_asks_first(movi: Movi, rows: Rows, demo: Demo) -> None:
    trip = demo.cases[REMOVE_CASE][0]
    driver = await rows.driver(driver_id=(await rows.trip(trip))["driver_id"])
    since = await rows.last_log_id()
    done = await confirm(
        movi,
        rows,
        f"remove the driver from trip {trip}",
        trip,
        expect=("10 of 40 seats", "Without a driver"),
    )
    mentions(done, driver.name)
    assert (await rows.trip(trip))["driver_id"] is None
    audit = await rows.one_audit(since, action="remove_driver", entity_type="trip", entity_id=trip)
    assert (audit.before_state["driver"], audit.after_state["driver"]) == (driver.name, None)


# --- trip changes ------------------------------------------------------------------------------


async def test_cancel_trip_with_bookings_asks_then_cancels_them(
    movi: Movi, rows: Rows, demo: Demo
) -> None:
    trip = demo.cases[REMOVE_CASE][0]
    since = await rows.last_log_id()
    done = await confirm(
        movi,
        rows,
        f"cancel trip {trip}",
        trip,
        expect=("10 confirmed bookings", "Cancelling the trip will cancel these bookings"),
    )
    mentions(done, "Cancelled", "10 bookings")
    after = await rows.trip(trip)
    assert (after["live_status"], after["booked"]) == ("CANCELLED", 0)
    audit = await rows.one_audit(since, action="cancel_trip", entity_type="trip", entity_id=trip)
    assert audit.before_state["live_status"] == "SCHEDULED"
    assert audit.after_state["live_status"] == "CANCELLED"


async def test_cancel_trip_without_bookings_runs_at_once(movi: Movi, rows: Rows) -> None:
    trip = (await rows.trips_without_bookings())[0]
    since = await rows.last_log_id()
    reply = await say(movi, f"cancel trip {trip}")
    assert reply.status == "completed", reply.message
    assert (await rows.trip(trip))["live_status"] == "CANCELLED"
    await rows.one_audit(since, action="cancel_trip", entity_type="trip", entity_id=trip)


@pytest.mark.parametrize("case", ["past", "cancelled"])
async def test_cancel_a_past_or_cancelled_trip_is_not_executed(
    movi: Movi, rows: Rows, demo: Demo, case: str
) -> None:
    trip = demo.cases[case][0]
    before, since = await rows.trip(trip), await rows.last_log_id()
    assert before["live_status"] in ("COMPLETED", "CANCELLED")
    reply = await say(movi, f"cancel trip {trip}")
    assert reply.status in ("needs_clarification", "rejected"), reply.message
    mentions(reply, f"trip {trip}", before["live_status"])
    assert all(o.id != trip for o in reply.options), "the inactive trip is offered again"
    await unchanged(rows, trip, before, since)
    # "yes" does not pick one of several offered trips.
    await say(movi, "yes")
    await unchanged(rows, trip, before, since)
    assert await rows.audit_since(since) == []


async def test_cancel_a_running_trip_is_refused(movi: Movi, rows: Rows) -> None:
    trip = await rows.scalar(
        select(DailyTrip.trip_id).where(
            DailyTrip.trip_date == TODAY, DailyTrip.live_status == TripStatus.IN_PROGRESS
        )
    )
    before, since = await rows.trip(trip), await rows.last_log_id()
    reply = await say(movi, f"cancel trip {trip}")
    assert reply.status == "rejected"
    mentions(reply, "already running")
    await unchanged(rows, trip, before, since)


async def test_cancel_a_completed_trip_of_today_is_refused(movi: Movi, rows: Rows) -> None:
    trip = (await rows.trips_without_bookings())[0]
    async with rows.engine.begin() as conn:
        await conn.execute(
            DailyTrip.__table__.update()
            .where(DailyTrip.trip_id == trip)
            .values(live_status=TripStatus.COMPLETED)
        )
    before, since = await rows.trip(trip), await rows.last_log_id()
    reply = await say(movi, f"cancel trip {trip}")
    assert reply.status in ("needs_clarification", "rejected"), reply.message
    mentions(reply, "COMPLETED" if reply.status == "needs_clarification" else "completed")
    await unchanged(rows, trip, before, since)


async def test_delay_trip(movi: Movi, rows: Rows) -> None:
    trip = (await rows.trips_without_bookings())[0]
    since = await rows.last_log_id()
    reply = await say(movi, f"delay trip {trip} by 15 minutes")
    assert reply.status == "completed", reply.message
    assert reply.action == "delay_trip"
    mentions(reply, "15 min")
    after = await rows.trip(trip)
    assert (after["delay_minutes"], after["live_status"]) == (15, "DELAYED")
    audit = await rows.one_audit(since, action="delay_trip", entity_type="trip", entity_id=trip)
    assert (audit.before_state["delay_minutes"], audit.after_state["delay_minutes"]) == (0, 15)


async def test_delay_a_trip_with_bookings_asks_first(movi: Movi, rows: Rows, demo: Demo) -> None:
    trip = demo.cases[REMOVE_CASE][0]
    since = await rows.last_log_id()
    await confirm(
        movi, rows, f"delay trip {trip} by half an hour", trip, expect=("10 employees", "late")
    )
    assert (await rows.trip(trip))["delay_minutes"] == 30
    await rows.one_audit(since, action="delay_trip", entity_type="trip", entity_id=trip)


async def test_delay_a_running_trip_is_allowed(movi: Movi, rows: Rows) -> None:
    trip = await rows.scalar(
        select(DailyTrip.trip_id).where(
            DailyTrip.trip_date == TODAY, DailyTrip.live_status == TripStatus.IN_PROGRESS
        )
    )
    since = await rows.last_log_id()
    reply = await say(movi, f"delay trip {trip} by 10 minutes")
    if reply.status == "needs_confirmation":  # its employees will be late: asked first
        mentions(reply, "late")
        reply = await say(movi, "yes")
    assert reply.status == "completed", reply.message
    assert (await rows.trip(trip))["delay_minutes"] == 10
    await rows.one_audit(since, action="delay_trip", entity_type="trip", entity_id=trip)


async def test_update_trip_time(movi: Movi, rows: Rows) -> None:
    trip = (await rows.trips_without_bookings())[0]
    before = await rows.trip(trip)
    new = time(before["departure_time"].hour, 45)
    since = await rows.last_log_id()
    reply = await say(movi, f"change the time of trip {trip} to {new:%H:%M}")
    assert reply.status == "completed", reply.message
    assert reply.action == "update_trip_time"
    mentions(reply, f"{new:%H:%M}")
    assert (await rows.trip(trip))["departure_time"] == new
    audit = await rows.one_audit(
        since, action="update_trip_time", entity_type="trip", entity_id=trip
    )
    assert audit.after_state["departure_time"] == f"{new:%H:%M}"


async def test_update_trip_time_with_bookings_asks_first(
    movi: Movi, rows: Rows, demo: Demo
) -> None:
    trip = demo.cases[REMOVE_CASE][0]
    await confirm(movi, rows, f"move trip {trip} to 9:15", trip, expect=("10 employees",))
    assert (await rows.trip(trip))["departure_time"] == time(9, 15)


async def test_reschedule_trip(movi: Movi, rows: Rows) -> None:
    trip = (await rows.trips_without_bookings())[0]
    since = await rows.last_log_id()
    reply = await say(movi, f"reschedule trip {trip} to 2026-12-05")
    assert reply.status == "completed", reply.message
    assert reply.action == "reschedule_trip"
    mentions(reply, "2026-12-05")
    assert (await rows.trip(trip))["trip_date"] == date(2026, 12, 5)
    audit = await rows.one_audit(
        since, action="reschedule_trip", entity_type="trip", entity_id=trip
    )
    assert (audit.before_state["trip_date"], audit.after_state["trip_date"]) == (
        TODAY.isoformat(),
        "2026-12-05",
    )


async def test_reschedule_a_trip_with_bookings_asks_first(
    movi: Movi, rows: Rows, demo: Demo
) -> None:
    trip = demo.cases[REMOVE_CASE][0]
    await confirm(movi, rows, f"reschedule trip {trip} to tomorrow", trip, expect=("10 employees",))
    assert (await rows.trip(trip))["trip_date"] == TOMORROW


async def test_update_trip_status(movi: Movi, rows: Rows) -> None:
    trip = (await rows.trips_without_bookings())[0]
    since = await rows.last_log_id()
    reply = await say(movi, f"mark trip {trip} as in progress")
    assert reply.status == "completed", reply.message
    assert reply.action == "update_trip_status"
    mentions(reply, "IN_PROGRESS")
    assert (await rows.trip(trip))["live_status"] == "IN_PROGRESS"
    audit = await rows.one_audit(
        since, action="update_trip_status", entity_type="trip", entity_id=trip
    )
    assert (audit.before_state["live_status"], audit.after_state["live_status"]) == (
        "SCHEDULED",
        "IN_PROGRESS",
    )


async def test_duplicate_trip(movi: Movi, rows: Rows, demo: Demo) -> None:
    trip = demo.cases[REMOVE_CASE][0]
    original = await rows.trip(trip)
    counts, since = await rows.counts(), await rows.last_log_id()
    reply = await say(movi, f"duplicate trip {trip} for 2026-12-10")
    assert reply.status == "completed", reply.message
    assert reply.action == "duplicate_trip"
    copy = reply.data["trip_id"]
    mentions(reply, "2026-12-10", f"trip {copy}")
    state = await rows.trip(copy)
    assert state["display_name"] == original["display_name"]
    assert state["departure_time"] == original["departure_time"]
    assert (state["trip_date"], state["live_status"]) == (date(2026, 12, 10), "SCHEDULED")
    assert (await rows.counts())["daily_trips"] == counts["daily_trips"] + 1
    audit = await rows.one_audit(since, action="duplicate_trip", entity_type="trip", entity_id=copy)
    assert audit.before_state is None
    assert audit.after_state["copied_from"] == trip
    assert await rows.trip(trip) == original


# --- vehicles and drivers ----------------------------------------------------------------------


async def test_block_a_vehicle_with_trips_asks_first(movi: Movi, rows: Rows) -> None:
    vehicle = await rows.vehicle(reg="KA-01-AB-1234")
    since = await rows.last_log_id()
    asked = await say(movi, "block KA-01-AB-1234 for AC repair")
    assert asked.status == "needs_confirmation", asked.message
    mentions(asked, "KA-01-AB-1234", "upcoming")
    assert (await rows.vehicle(reg="KA-01-AB-1234")).status == "AVAILABLE"
    done = await say(movi, "yes")
    assert done.status == "completed", done.message
    after = await rows.vehicle(reg="KA-01-AB-1234")
    assert (after.status, after.notes) == ("BLOCKED", "AC repair")
    audit = await rows.one_audit(
        since, action="block_vehicle", entity_type="vehicle", entity_id=vehicle.vehicle_id
    )
    assert (audit.before_state["status"], audit.after_state["status"]) == ("AVAILABLE", "BLOCKED")


async def test_unblock_vehicle(movi: Movi, rows: Rows, demo: Demo) -> None:
    vehicle = await rows.vehicle(vehicle_id=demo.cases["blocked_vehicles"][0])
    since = await rows.last_log_id()
    reply = await say(movi, f"unblock {vehicle.registration_number}")
    assert reply.status == "completed", reply.message
    assert reply.action == "unblock_vehicle"
    mentions(reply, vehicle.registration_number, "available")
    assert (await rows.vehicle(vehicle_id=vehicle.vehicle_id)).status == "AVAILABLE"
    audit = await rows.one_audit(
        since, action="unblock_vehicle", entity_type="vehicle", entity_id=vehicle.vehicle_id
    )
    assert (audit.before_state["status"], audit.after_state["status"]) == ("BLOCKED", "AVAILABLE")


async def test_unblock_an_available_vehicle_is_refused(movi: Movi, rows: Rows) -> None:
    since = await rows.last_log_id()
    reply = await say(movi, "unblock KA-01-AB-1234")
    assert reply.status == "rejected"
    mentions(reply, "not blocked")
    assert await rows.audit_since(since) == []


async def test_add_vehicle(movi: Movi, rows: Rows) -> None:
    counts, since = await rows.counts(), await rows.last_log_id()
    reply = await say(movi, "add vehicle KA-02-D-2128 cab 6 seats")
    assert reply.status == "completed", reply.message
    assert reply.action == "add_vehicle"
    mentions(reply, "KA-02-D-2128")
    row = await rows.vehicle(reg="KA-02-D-2128")
    assert (row.vehicle_type, row.capacity, row.status) == ("CAB", 6, "AVAILABLE")
    assert (await rows.counts())["vehicles"] == counts["vehicles"] + 1
    audit = await rows.one_audit(
        since, action="add_vehicle", entity_type="vehicle", entity_id=row.vehicle_id
    )
    assert audit.before_state is None
    assert audit.after_state["registration_number"] == "KA-02-D-2128"


async def test_add_a_vehicle_already_in_the_fleet_is_refused(movi: Movi, rows: Rows) -> None:
    counts = await rows.counts()
    reply = await say(movi, "add vehicle ka01ab1234 bus 40 seats")
    assert reply.status == "rejected", reply.message
    mentions(reply, "KA-01-AB-1234", "already")
    assert await rows.counts() == counts


async def test_add_driver(movi: Movi, rows: Rows) -> None:
    since = await rows.last_log_id()
    reply = await say(movi, "add driver Puneeth 9845098450")
    assert reply.status == "completed", reply.message
    assert reply.action == "add_driver"
    mentions(reply, "Puneeth")
    row = await rows.driver(name="Puneeth")
    assert (row.phone_number, row.status) == ("9845098450", "AVAILABLE")
    audit = await rows.one_audit(
        since, action="add_driver", entity_type="driver", entity_id=row.driver_id
    )
    assert audit.after_state["name"] == "Puneeth"


async def test_driver_on_leave_tomorrow_asks_when_they_have_trips(movi: Movi, rows: Rows) -> None:
    name = await rows.scalar(select(Driver.name).where(Driver.name.like("Ramesh %")))
    driver = await rows.driver(name=name)
    assert driver.status == "AVAILABLE"
    tomorrow = await rows.all(
        select(DailyTrip.trip_id)
        .join(Deployment, Deployment.trip_id == DailyTrip.trip_id)
        .where(Deployment.driver_id == driver.driver_id, DailyTrip.trip_date == TOMORROW)
    )
    assert tomorrow, "the demo gives this driver a trip tomorrow"
    since = await rows.last_log_id()
    asked = await say(movi, f"{driver.name} is on leave tomorrow")
    assert asked.status == "needs_confirmation", asked.message
    assert asked.action == "set_driver_availability"
    mentions(asked, driver.name, TOMORROW.isoformat(), "another driver")
    assert (await rows.driver(name=driver.name)).status == "AVAILABLE"
    done = await say(movi, "yes")
    assert done.status == "completed", done.message
    mentions(done, driver.name, "ON_LEAVE")
    assert (await rows.driver(name=driver.name)).status == "ON_LEAVE"
    audit = await rows.one_audit(
        since, action="set_driver_availability", entity_type="driver", entity_id=driver.driver_id
    )
    assert (audit.before_state["status"], audit.after_state["status"]) == ("AVAILABLE", "ON_LEAVE")


async def test_driver_back_from_leave_needs_no_confirmation(
    movi: Movi, rows: Rows, demo: Demo
) -> None:
    driver = await rows.driver(driver_id=demo.cases["on_leave_drivers"][0])
    since = await rows.last_log_id()
    reply = await say(movi, f"mark {driver.name} available")
    assert reply.status == "completed", reply.message
    assert reply.action == "set_driver_availability"
    assert (await rows.driver(driver_id=driver.driver_id)).status == "AVAILABLE"
    await rows.one_audit(
        since, action="set_driver_availability", entity_type="driver", entity_id=driver.driver_id
    )


# --- bookings ----------------------------------------------------------------------------------


async def test_add_bookings_within_capacity(movi: Movi, rows: Rows, demo: Demo) -> None:
    trip = demo.cases[REMOVE_CASE][0]
    since = await rows.last_log_id()
    reply = await say(movi, f"add 2 bookings to trip {trip}")
    assert reply.status == "completed", reply.message
    assert reply.action == "add_bookings"
    mentions(reply, "Added 2 bookings", "now 12")
    assert await rows.confirmed(trip) == 12
    audit = await rows.one_audit(since, action="add_bookings", entity_type="trip", entity_id=trip)
    assert (audit.before_state["confirmed_bookings"], audit.after_state["confirmed_bookings"]) == (
        10,
        12,
    )


async def test_add_bookings_beyond_capacity_asks_first(movi: Movi, rows: Rows, demo: Demo) -> None:
    trip = demo.cases["full"][0]
    assert await rows.confirmed(trip) == 24
    since = await rows.last_log_id()
    await confirm(
        movi, rows, f"add 2 bookings to trip {trip}", trip, expect=("24 of 24", "adding 2")
    )
    assert await rows.confirmed(trip) == 26
    await rows.one_audit(since, action="add_bookings", entity_type="trip", entity_id=trip)


async def test_reduce_bookings_asks_then_cancels_the_latest(
    movi: Movi, rows: Rows, demo: Demo
) -> None:
    trip = demo.cases[REMOVE_CASE][0]
    since = await rows.last_log_id()
    done = await confirm(
        movi, rows, f"reduce bookings on trip {trip} by 2", trip, expect=("10 confirmed",)
    )
    mentions(done, "2 latest bookings")
    assert await rows.confirmed(trip) == 8
    audit = await rows.one_audit(
        since, action="reduce_bookings", entity_type="trip", entity_id=trip
    )
    assert audit.after_state["confirmed_bookings"] == 8


async def test_cancel_all_bookings_asks_then_cancels_them(
    movi: Movi, rows: Rows, demo: Demo
) -> None:
    trip = demo.cases[REMOVE_CASE][0]
    since = await rows.last_log_id()
    done = await confirm(
        movi, rows, f"cancel all bookings of trip {trip}", trip, expect=("all 10",)
    )
    mentions(done, "10 bookings")
    assert await rows.confirmed(trip) == 0
    assert (await rows.trip(trip))["live_status"] == "SCHEDULED"
    await rows.one_audit(since, action="cancel_all_bookings", entity_type="trip", entity_id=trip)


async def test_get_audit_trail_lists_a_change(movi: Movi, rows: Rows, demo: Demo) -> None:
    trip = demo.cases[REMOVE_CASE][0]
    await say(movi, f"add 1 booking to trip {trip}")
    reply = await say(movi, f"who changed trip {trip}")
    assert reply.status == "completed", reply.message
    assert reply.action == "get_audit_trail"
    mentions(reply, "add_bookings", "ops-7")
    assert [r["action"] for r in reply.data] == ["add_bookings"]


# --- bulk --------------------------------------------------------------------------------------


async def live_trips(rows: Rows, day: date, name: str | None = None) -> list[int]:
    statement = select(DailyTrip.trip_id, DailyTrip.display_name).where(
        DailyTrip.trip_date == day,
        DailyTrip.live_status.in_([TripStatus.SCHEDULED, TripStatus.DELAYED]),
    )
    found = await rows.all(statement)
    return sorted(int(t) for t, label in found if name is None or label.rsplit(" - ", 1)[0] == name)


async def test_bulk_cancel_previews_and_no_changes_nothing(movi: Movi, rows: Rows) -> None:
    trips = await live_trips(rows, TOMORROW)
    assert len(trips) > 5
    counts = await rows.counts()
    asked = await say(movi, "cancel all trips tomorrow")
    assert asked.status == "needs_confirmation", asked.message
    assert asked.action == "bulk_cancel_trips"
    mentions(asked, f"{len(trips)} trips", TOMORROW.isoformat(), f"and {len(trips) - 5} more")
    preview = asked.consequences[0].data
    assert (preview["count"], preview["more"]) == (len(trips), len(trips) - 5)
    assert len(preview["first"]) == 5
    assert await rows.counts() == counts

    declined = await say(movi, "no")
    assert declined.status == "cancelled"
    assert await rows.counts() == counts
    assert await live_trips(rows, TOMORROW) == trips


async def test_bulk_cancel_by_name_runs_after_yes(movi: Movi, rows: Rows) -> None:
    trips = await live_trips(rows, TOMORROW, "Path-1")
    assert 1 < len(trips) <= 5
    since = await rows.last_log_id()
    asked = await say(movi, "cancel all Path-1 trips tomorrow")
    assert asked.status == "needs_confirmation", asked.message
    mentions(asked, f"{len(trips)} trips", *(f"trip {t}" for t in trips))
    assert "more" not in asked.message
    done = await say(movi, "yes")
    assert done.status == "completed", done.message
    mentions(done, f"Cancelled {len(trips)} trips")
    for trip in trips:
        assert (await rows.trip(trip))["live_status"] == "CANCELLED"
        assert await rows.confirmed(trip) == 0
    audit = await rows.audit_since(since)
    assert sorted(r.entity_id for r in audit) == trips  # one row per trip it changed
    assert {r.action for r in audit} == {"bulk_cancel_trips"}
    assert await live_trips(rows, TOMORROW, "Path-2"), "other trips of that day stay"
