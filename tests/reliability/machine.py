"""The state machine of ``test_state_machine.py``: rules, the SPEC section 5 checks, the runners.

A module of its own so that worker processes can import it (the SQLite run is split over the
machine's cores).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select
from sqlalchemy import table as sql_table
from tests.engine.support import TODAY

from movi.actions.registry import EXECUTORS
from movi.engine import Movi
from movi.policy import Context, Policy
from movi.reply import Reply
from movi.store.schema import AgentSession, AuditLog, DailyTrip, Deployment

POLICY = Policy.load()
SQLITE_STEPS = int(os.environ.get("MOVI_STATE_MACHINE_STEPS", "10000"))
PG_STEPS = int(os.environ.get("MOVI_STATE_MACHINE_PG_STEPS", "1000"))
STEPS_PER_EXAMPLE = 100

WATCHED = ("daily_trips", "deployments", "bookings", "vehicles", "drivers", "stops", "paths")
WATCHED += ("path_stops", "routes")
PAGES = ("busDashboard", "busDashboard", "manageRoute", None)
ROLES = ("admin", "admin", "operator", "planner", "viewer")
SESSIONS = ("s1", "s2", "s3")
ANSWERS = ("yes", "no", "2", "option 1", "go ahead", "1")

#: Real commands; {trip}, {busy}, {empty} are filled from the demo's hard cases.
COMMANDS = (
    "status of trip {trip}",
    "how many bookings on trip {trip}",
    "list all vehicles",
    "which trips need attention today",
    "help",
    "why?",
    "what happens if I cancel trip {trip}",
    "cancel trip {trip}",
    "cancel trip {empty}",
    "remove the vehicle from trip {trip}",
    "remove the driver from trip {busy}",
    "delay trip {trip} by 15 minutes",
    "delay trip {empty} by 10 minutes",
    "add 5 bookings to trip {trip}",
    "add 40 bookings to trip {trip}",
    "reduce bookings on trip {trip} by 2",
    "cancel all bookings of trip {trip}",
    "assign KA-01-AB-1234 to trip {empty}",
    "assign driver Ramesh to trip {empty}",
    "block KA-01-AB-1234",
    "unblock KA-01-AB-1234",
    "reschedule trip {trip} to tomorrow",
    "mark trip {trip} in progress",
    "undo",
    "cancel all trips tomorrow",
    "cancel all Path-1 trips tomorrow",
    "cancel the Path-1 trip",
    "status of the 8am trip",
    "cancel the 8am trip",
    "duplicate trip {trip} to tomorrow",
    "add driver Puneeth 9845098450",
    "create stop Hypothesis Halt",
    "rename stop Temple to Temple Road",
    "delete stop BTM",
    "deactivate route Path-1 - 08:00",
    "list all stops",
)


@dataclass
class Fixture:
    """A demo database the machine runs on, and how to put it back after writes."""

    url: str
    trips: dict[str, int]
    restore: Any  # () -> None, or None when the database cannot be restored cheaply
    dirty: bool = False
    steps: int = 0
    writes: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    movi: Movi | None = None


_loop: asyncio.Runner | None = None


def run(coro: Any) -> Any:
    """Run ``coro`` on the module's one event loop (the machine's rules are synchronous)."""
    global _loop
    if _loop is None:
        _loop = asyncio.Runner()
    return _loop.run(coro)


async def _observe(movi: Movi, log_id: int, session_id: str) -> tuple[Any, list[Any], Any]:
    """In one connection: a fingerprint of the data (row counts and the sum of row versions,
    which change whenever anything is written), the audit rows after ``log_id``, and the kind
    of question open in the session."""
    parts = [
        select(func.count()).select_from(sql_table(name)).scalar_subquery() for name in WATCHED
    ]
    parts.append(select(func.coalesce(func.sum(DailyTrip.version), 0)).scalar_subquery())
    parts.append(select(func.coalesce(func.sum(Deployment.version), 0)).scalar_subquery())
    parts.append(
        select(AgentSession.pending_kind)
        .where(AgentSession.session_id == session_id)
        .scalar_subquery()
    )
    async with movi.engine.connect() as conn:
        *counted, pending = (await conn.execute(select(*parts))).one()
        audit = list(
            await conn.execute(
                select(
                    AuditLog.log_id,
                    AuditLog.created_at,
                    AuditLog.session_id,
                    AuditLog.action,
                    AuditLog.user_id,
                )
                .where(AuditLog.log_id > log_id)
                .order_by(AuditLog.log_id)
            )
        )
    return tuple(int(v) for v in counted), audit, pending


def machine(fixture: Fixture) -> type[RuleBasedStateMachine]:
    class Conversations(RuleBasedStateMachine):
        """One example: a fresh set of sessions and users on the (restored) demo database."""

        def __init__(self) -> None:
            super().__init__()
            if fixture.dirty and fixture.restore is not None:
                if fixture.movi is not None:
                    run(fixture.movi.close())
                    fixture.movi = None
                fixture.restore()
                fixture.dirty = False
            if fixture.movi is None:
                fixture.movi = run(
                    Movi.open(fixture.url, today=TODAY, create=False, llm=False, policy=POLICY)
                )
            self.movi: Movi = fixture.movi
            self.tag = uuid.uuid4().hex[:8]
            self.asked: dict[str, str | None] = {}  # session → action of the open confirmation
            self.fingerprint: tuple[int, ...] = ()
            self.log_id = 0

        @initialize()
        def start(self) -> None:
            self.fingerprint, rows, _ = run(_observe(self.movi, 0, ""))
            self.log_id = rows[-1].log_id if rows else 0

        def say(self, text: str, page: str | None, role: str, session: str) -> None:
            session_id = f"{self.tag}-{session}"
            user = f"{self.tag}-{session}-user"
            reply: Reply = run(
                self.movi.handle(text, page=page, session_id=session_id, user_id=user, role=role)
            )
            fixture.steps += 1
            fixture.statuses[reply.status] = fixture.statuses.get(reply.status, 0) + 1
            self.check(text, page, role, session, session_id, user, reply)

        def check(
            self,
            text: str,
            page: str | None,
            role: str,
            session: str,
            session_id: str,
            user: str,
            reply: Reply,
        ) -> None:
            where = f"{text!r} on {page} as {role} in {session}: {reply.status} {reply.message!r}"
            after, new, open_kind = run(_observe(self.movi, self.log_id, session_id))
            batches = {row.created_at for row in new}
            # No write without its audit batch, and at most one batch per message.
            assert after == self.fingerprint or new, f"a write without an audit row: {where}"
            assert len(batches) <= 1, f"one message wrote {len(batches)} batches: {where}"
            steps = {s.stage: s.detail for s in reply.trace}
            confirmed = steps.get("answer", "").startswith("confirmed ")
            if new:
                fixture.writes += 1
                fixture.dirty = True
                action = new[0].action
                assert reply.status == "completed", f"a write, but the reply is not: {where}"
                assert all(r.action == action for r in new), where
                assert all(r.session_id == session_id and r.user_id == user for r in new), where
                kind = fixture_kind(self.movi, action)
                if confirmed:
                    assert self.asked.get(session) == action, (
                        f"executed {action} without its confirmation being asked: {where}"
                    )
                    self.asked[session] = None  # claimed: it executes at most once
                else:
                    assert kind != "bulk", f"a bulk write without a confirmation: {where}"
                    if kind == "risky" and action != "undo_last_action":
                        assert steps.get("consequences") == "none found", (
                            f"a risky write with findings, unconfirmed: {where}"
                        )
                ctx = Context(
                    page=page,
                    role=role,
                    user_id=user,
                    session_id=session_id,
                    today=TODAY,
                    now=datetime.now(UTC),
                )
                assert self.movi.policy.gate(action, ctx) is None, (
                    f"wrote {action}, which the role or page does not allow: {where}"
                )
                self.log_id = new[-1].log_id
            else:
                written = reply.action in EXECUTORS and EXECUTORS[reply.action].write
                if reply.status == "completed" and written and not _simulated(reply):
                    raise AssertionError(f"a completed write without an audit batch: {where}")
            if confirmed and not new:
                self.asked[session] = None  # claimed, and did not execute: gone all the same
            if reply.status == "needs_confirmation":
                assert open_kind == "confirmation", f"asked, but nothing is pending: {where}"
                self.asked[session] = reply.action
            elif open_kind != "confirmation":
                self.asked[session] = None  # answered, claimed, or dropped by a new command
            self.fingerprint = after

        @rule(
            template=st.sampled_from(COMMANDS),
            page=st.sampled_from(PAGES),
            role=st.sampled_from(ROLES),
            session=st.sampled_from(SESSIONS),
        )
        def command(self, template: str, page: str | None, role: str, session: str) -> None:
            self.say(template.format(**fixture.trips), page, role, session)

        @rule(
            answer=st.sampled_from(ANSWERS),
            page=st.sampled_from(PAGES),
            role=st.sampled_from(ROLES),
            session=st.sampled_from(SESSIONS),
        )
        def reply(self, answer: str, page: str | None, role: str, session: str) -> None:
            self.say(answer, page, role, session)

        @precondition(lambda self: any(self.asked.values()))
        @rule(page=st.sampled_from(PAGES), role=st.sampled_from(ROLES), data=st.data())
        def confirm(self, page: str | None, role: str, data: st.DataObject) -> None:
            """Say yes where a confirmation is open (possibly as another role or page)."""
            open_ = sorted(s for s, action in self.asked.items() if action)
            session = data.draw(st.sampled_from(open_))
            self.say("yes", page, role, session)

        @precondition(lambda self: any(self.asked.values()))
        @rule(page=st.sampled_from(PAGES), role=st.sampled_from(ROLES), data=st.data())
        def answer_the_question(self, page: str | None, role: str, data: st.DataObject) -> None:
            """Answer an open confirmation or clarification in its own session."""
            open_ = sorted(s for s, action in self.asked.items() if action)
            session = data.draw(st.sampled_from(open_))
            self.say(data.draw(st.sampled_from(ANSWERS)), page, role, session)

    return Conversations


def fixture_kind(movi: Movi, action: str) -> str:
    return str(movi.policy.kind(action))


def _simulated(reply: Reply) -> bool:
    return bool(reply.data and reply.data.get("target_action")) or "Simulation" in reply.message


def play(fixture: Fixture, total: int) -> None:
    """Run examples of the machine until ``total`` steps have been taken."""
    Machine = machine(fixture)
    try:
        while fixture.steps < total:
            left = total - fixture.steps
            config = settings(
                max_examples=max(1, left // STEPS_PER_EXAMPLE),
                stateful_step_count=min(STEPS_PER_EXAMPLE, max(left, 2)),
                deadline=None,
                database=None,
                phases=[Phase.generate, Phase.shrink],
                suppress_health_check=list(HealthCheck),
            )
            run_state_machine_as_test(Machine, settings=config)
    finally:
        if fixture.movi is not None:
            run(fixture.movi.close())
            fixture.movi = None
    print(f"state machine: {fixture.steps} steps, {fixture.writes} writes, {fixture.statuses}")
    assert fixture.writes > 0, "the machine never wrote: the invariants were not exercised"
    assert fixture.statuses.get("needs_confirmation", 0) > 0


async def _trips(url: str, cases: dict[str, list[int]]) -> dict[str, int]:
    busy = cases["remove_vehicle_with_bookings"][0]
    (empty,) = sorted(set(cases["no_vehicle"]) & set(cases["no_driver"]))
    return {"trip": busy, "busy": busy, "empty": empty}


def _close_loop() -> None:
    global _loop
    if _loop is not None:
        _loop.close()
        _loop = None


def play_sqlite(template: str, folder: str, trips: dict[str, int], steps: int) -> dict[str, Any]:
    """One worker process: the machine on its own copy of the SQLite demo ``template``."""
    live = Path(folder) / "movi.db"
    shutil.copy(template, live)

    def restore() -> None:
        for suffix in ("-wal", "-shm"):
            Path(f"{live}{suffix}").unlink(missing_ok=True)
        shutil.copy(template, live)

    fixture = Fixture(f"sqlite+aiosqlite:///{live}", trips, restore)
    try:
        play(fixture, steps)
    finally:
        _close_loop()
    return {"steps": fixture.steps, "writes": fixture.writes, "statuses": fixture.statuses}
