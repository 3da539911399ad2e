"""``Movi``: the front door. One command in, one ``Reply`` out.

    parse → answer a pending question? → policy gate (page, role, limits) → confidence →
    resolve references → consequences → decide → (confirm) → execute → report

Each stage appends a trace step with the numbers behind its choice. The gate runs before
anything is resolved, so a forbidden command reveals nothing about the data. A write runs in
one transaction that locks the trip first, re-checks the consequences under that lock (a
confirmation given for a state that changed meanwhile is asked again) and writes its audit row.
"""

from __future__ import annotations

import asyncio
import re
import time as clock
import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, Self

from rapidfuzz import fuzz, process
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

import movi.actions  # noqa: F401  (registers the executors)
from movi import events, wizard
from movi.actions.registry import EXECUTORS, Job, NotApplicable, Outcome
from movi.conversation import Conversations, Pending, SessionState
from movi.departures import DepartureWarning, check_departures
from movi.errors import ConcurrencyError, ConfigError, IntegrityViolation, StorageError
from movi.grammar.grammar import Grammar
from movi.intent import Intent
from movi.llm import LLMConfig, LLMFallback, LLMResult
from movi.llm.fallback import prefer
from movi.parser import grammar as shared_grammar
from movi.policy import Context, Decision, Policy
from movi.reply import Consequence, Option, Reply, Status, TraceStep
from movi.resolve import (
    resolve_driver,
    resolve_path,
    resolve_route,
    resolve_stop,
    resolve_trip,
    resolve_vehicle,
    resolve_vehicle_desc,
)
from movi.resolve.resolution import Resolution
from movi.store import (
    create_schema,
    database_url,
    make_engine,
    mapped_errors,
    read_only,
    session_factory,
)
from movi.store.queries import lock_for_write, trip_view
from movi.store.schema import AuditLog, Interaction

DEFAULT_THRESHOLD = 0.6
"""Below this parser confidence the engine asks before doing anything (MOVI_LLM_THRESHOLD)."""

ANSWERS = frozenset({"confirm", "deny", "choose_option"})
RoleSource = str | Callable[[str], str | None] | None


class Movi:
    """A movi engine bound to one operations database. Create with :meth:`open`."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        today: date | None = None,
        role: RoleSource = None,
        policy: Policy | None = None,
        grammar: Grammar | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        clock_now: Callable[[], datetime] | None = None,
        llm: LLMConfig | LLMFallback | None = None,
    ) -> None:
        self.engine = engine
        self.sessions = session_factory(engine)
        self.conversations = Conversations(engine)
        self.policy = policy or Policy.load()
        self.grammar = grammar or shared_grammar()
        self.threshold = threshold
        self.llm = LLMFallback(llm, spec=self.grammar.spec) if isinstance(llm, LLMConfig) else llm
        self._today = today
        self._role = role
        self._now = clock_now or (lambda: datetime.now(UTC))
        self._subscriptions: set[events.Subscription] = set()

    @classmethod
    async def open(
        cls,
        url: str | None = None,
        *,
        today: date | None = None,
        role: RoleSource = None,
        policy: Policy | None = None,
        threshold: float | None = None,
        create: bool = True,
        llm: LLMConfig | Literal[False] | None = None,
    ) -> Movi:
        """Connect to ``url`` (default ``MOVI_DB_URL`` or the SQLite file ``movi.db``).

        ``role`` is the role of every user (a string) or a function from user id to role; a
        role may also be given per call to :meth:`handle`. The library never assumes one.
        ``llm`` configures the LLM fallback (default: ``LLMConfig.from_env()``, no LLM when
        ``MOVI_LLM_MODEL`` is unset; ``False``: never an LLM).
        """
        config = LLMConfig.from_env() if llm is None else (None if llm is False else llm)
        engine = make_engine(database_url(url))
        if create:
            await create_schema(engine)
        if threshold is None and config is not None:
            threshold = config.threshold
        if threshold is None:
            import os

            threshold = float(os.environ.get("MOVI_LLM_THRESHOLD", DEFAULT_THRESHOLD))
        movi = cls(engine, today=today, role=role, policy=policy, threshold=threshold, llm=config)
        # The phrasebook (the grammar's back-off, ~0.7 s to shape) loads now, off the event loop,
        # rather than inside the first command that no pattern matches.
        await asyncio.to_thread(movi.grammar.phrasebook)
        return movi

    async def close(self) -> None:
        for subscription in list(self._subscriptions):
            await subscription.close()
        await self.engine.dispose()

    async def subscribe(self, callback: events.Callback) -> events.Subscription:
        """Deliver live :class:`~movi.events.Event` objects to ``callback`` until the returned
        subscription (or this engine) is closed.

        ``trip_updated`` follows every committed write that changed a trip, ``notification``
        every departure warning written. On PostgreSQL they come from every process using the
        database (LISTEN/NOTIFY); on SQLite from this process only (see :mod:`movi.events`).

        >>> async def show(event): print(event.kind, event.trip_id)   # doctest: +SKIP
        >>> subscription = await movi.subscribe(show)                  # doctest: +SKIP
        """
        subscription = await events.subscribe(
            self.engine, callback, on_close=self._subscriptions.discard
        )
        self._subscriptions.add(subscription)
        return subscription

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def today(self) -> date:
        return self._today or self._now().date()

    async def check_departures(self, now: datetime | None = None) -> list[DepartureWarning]:
        """Warn once about each live trip leaving within 30 minutes without a vehicle or driver
        (see :mod:`movi.departures`); returns the warnings this call wrote."""
        return await check_departures(self.engine, now or self._now())

    # --- the front door ---------------------------------------------------------------------

    async def handle(
        self,
        text: str | bytes,
        *,
        page: str | None = None,
        session_id: str,
        user_id: str,
        role: str | None = None,
        selected_trip_id: int | None = None,
        image: bytes | None = None,
    ) -> Reply:
        """Understand, check and carry out one operator message; never raises on bad input."""
        started = clock.perf_counter()
        if image is not None:
            raise ConfigError("image input is not supported by this version of movi yet")
        text = _as_text(text)
        run = _Run(
            self,
            text=text,
            page=page,
            session_id=session_id,
            user_id=user_id,
            role=self._role_for(user_id, role),
            selected_trip_id=selected_trip_id,
        )
        reply = await run.go()
        await self._record(run, reply, (clock.perf_counter() - started) * 1000)
        return reply

    def _role_for(self, user_id: str, role: str | None) -> str:
        if role:
            return role
        if isinstance(self._role, str):
            return self._role
        if callable(self._role):
            found = self._role(user_id)
            if found:
                return found
        raise ConfigError(
            f"movi needs the role of user {user_id!r}: pass role=... to handle(), or "
            "Movi.open(..., role=...) with a role or a function from user id to role"
        )

    async def _record(self, run: _Run, reply: Reply, latency_ms: float) -> None:
        intent, llm = run.intent, run.llm
        try:
            with mapped_errors():
                async with self.sessions() as session, session.begin():
                    session.add(
                        Interaction(
                            session_id=run.session_id,
                            user_id=run.user_id,
                            page=_storable(run.page)[:32] if run.page else None,
                            text=_storable(run.text)[:4000],
                            action=intent.action if intent else "unknown",
                            confidence=intent.confidence if intent else 0.0,
                            source=intent.source if intent else "rules",
                            status=reply.status,
                            latency_ms=latency_ms,
                            llm_model=llm.model if llm else None,
                            prompt_hash=llm.prompt_hash if llm else None,
                            tokens=llm.tokens if llm else None,
                            cost_usd=llm.cost_usd if llm else None,
                        )
                    )
        except StorageError:
            pass  # losing a learning record must never lose the operator's answer


class _Run:
    """One message's way through the pipeline (keeps the stage functions short)."""

    def __init__(
        self,
        movi: Movi,
        *,
        text: str,
        page: str | None,
        session_id: str,
        user_id: str,
        role: str,
        selected_trip_id: int | None,
    ) -> None:
        self.movi = movi
        self.text = text
        self.page = page
        self.session_id = session_id
        self.user_id = user_id
        self.role = role
        self.selected_trip_id = selected_trip_id
        self.trace: list[TraceStep] = []
        self.simulating = False
        self.force_confirm = False
        self.intent: Intent | None = None
        self.llm: LLMResult | None = None
        self.state: SessionState | None = None
        now = movi._now()
        self.ctx = Context(
            page=page,
            role=role,
            user_id=user_id,
            session_id=session_id,
            today=movi.today(),
            now=now,
        )

    def step(self, stage: str, detail: str) -> None:
        self.trace.append(TraceStep(stage=stage, detail=detail))

    def reply(self, status: Status, message: str, **fields: Any) -> Reply:
        return Reply(status=status, message=message, trace=list(self.trace), **fields)

    # --- stages -----------------------------------------------------------------------------

    async def go(self) -> Reply:
        movi = self.movi
        refused = movi.policy.check_input(self.text)
        if refused is not None:
            self.step("input", refused.message)
            return self.reply("rejected", refused.message)
        if not self.text.strip():
            self.step("input", "empty message")
            return self.reply(
                "rejected",
                "The message is empty. Tell me what to do, e.g. 'cancel trip 42' or 'help'.",
            )
        binary = _binary(self.text)
        if binary is not None:
            self.step("input", f"binary input: {binary}")
            return self.reply(
                "rejected",
                f"That message contains {binary}, not plain text, so nothing was done. "
                "Please type the command again.",
            )
        try:
            self.state = await movi.conversations.load(self.session_id)
            intent = movi.grammar(
                self.text,
                page=self.page,
                today=self.ctx.today,
                selected_trip_id=self.selected_trip_id,
            )
            self.intent = intent
            self.step(
                "parse",
                f"{intent.action} {intent.slots} confidence "
                f"{intent.confidence:.2f} ({intent.source})",
            )
            pending = self.state.pending
            if pending is not None:
                answered = await self.answer(pending, intent)
                if answered is not None:
                    return answered
                if intent.action in EXECUTORS and EXECUTORS[intent.action].write:
                    # A new change supersedes the open question: a later "yes" must not run
                    # something asked about before it.
                    self.step("answer", f"dropped the open question for {intent.action}")
                    await self.save(None)
            if intent.action in ANSWERS:
                if pending is not None and pending.kind in ("confirmation", "clarification"):
                    return self.ask_again(pending, intent)
                return self.reply(
                    "rejected",
                    "There is nothing waiting for an answer in this session.",
                    action=intent.action,
                )
            return await self.command(intent)
        except StorageError as exc:
            self.step("storage", str(exc))
            return self.reply(
                "failed",
                "The operations database is unavailable right now; "
                "nothing was changed. Please try again.",
            )

    async def command(self, intent: Intent) -> Reply:
        movi = self.movi
        intent = await self.consult_llm(intent)
        if intent.action in EXECUTORS and EXECUTORS[intent.action].write:
            self.ctx = await self.with_usage(self.ctx)  # limits concern writes only
        gate = movi.policy.gate(intent.action, self.ctx) if intent.action != "unknown" else None
        if gate is not None:
            self.step("policy", f"{gate.code}: {gate.message}")
            await self.remember(intent.action, gate)
            return self.reply("rejected", gate.message, action=intent.action)
        if intent.action == "unknown":
            self.step("confidence", f"nothing understood (confidence {intent.confidence:.2f})")
            return self.reply(
                "needs_clarification",
                "Sorry, I did not understand that. Try "
                "for example 'cancel trip 42', 'assign KA-01-AB-1234 to the 8am "
                "Path-2 trip' or 'help'.",
                action="unknown",
            )
        if intent.confidence < movi.threshold:
            self.step(
                "confidence", f"confidence {intent.confidence:.2f} < threshold {movi.threshold:.2f}"
            )
            return await self.ask_to_confirm_reading(intent)
        self.step(
            "confidence", f"confidence {intent.confidence:.2f} ≥ threshold {movi.threshold:.2f}"
        )
        job = Job(action=intent.action, slots=dict(intent.slots), source=intent.source)
        return await self.dispatch(job)

    async def consult_llm(self, intent: Intent) -> Intent:
        """An unsure reading goes to the LLM (when one is configured); its answer replaces the
        rules' only when it names an action with confidence at the threshold, and then goes
        through the same gate, resolution and confirmation as a rule match."""
        fallback, threshold = self.movi.llm, self.movi.threshold
        if fallback is None or not fallback.wanted(intent, threshold):
            return intent
        self.llm = await fallback.ask(self.text, page=self.page, today=self.ctx.today, rules=intent)
        self.step("llm", self.llm.describe())
        found = self.llm.intent
        chosen = prefer(intent, found, threshold)
        if chosen is intent and found is not None:
            self.step("llm", f"not used: {found.action} confidence {found.confidence:.2f}")
        self.intent = chosen
        return chosen

    async def dispatch(self, job: Job) -> Reply:
        """Answers about the conversation itself, or an action on the data."""
        if job.action == "help":
            return self.reply("completed", _HELP, action="help")
        if job.action == "explain_decision":
            return self.explain()
        if job.action == "simulate_action":
            return await self.simulate(job)
        step = wizard.missing(job.action, job.slots)
        if step is not None:
            return await self.ask_step(job, step, "")
        return await self.resolve_and_run(job)

    async def ask_step(self, job: Job, step: wizard.Step, problem: str) -> Reply:
        pending = Conversations.new_pending(
            "wizard",
            job.dump(),
            ttl=self.movi.policy.confirmation_ttl,
            now=self.ctx.now,
            slot=step.slot,
            question=step.question,
        )
        await self.save(pending)
        self.step("wizard", f"{job.action}: asking for {step.slot}")
        message = f"{problem} {step.question}".strip() + " (say 'cancel' to stop)"
        return self.reply("needs_clarification", message, action=job.action)

    async def wizard_answer(self, pending: Pending, intent: Intent) -> Reply:
        job = Job.from_dump(pending.job)
        step = next(s for s in wizard.WIZARDS[job.action] if s.slot == pending.slot)
        if wizard.is_cancel(self.text) or (intent.action == "deny" and not step.optional):
            await self.save(None)
            return self.reply("cancelled", "Stopped; nothing was created.", action=job.action)
        value, problem = wizard.read_answer(step, self.text, today=self.ctx.today)
        existing = step.slot in ("route", "vehicle", "driver") or (
            step.slot == "path" and job.action == "create_route"
        )
        if problem is None and value is not None and existing:
            job.slots[step.slot] = value
            async with read_only(self.movi.engine) as session:
                found = await self.resolve(session, step.slot, job)
            if found is not None and not found.found:
                hint = ", ".join(o.label for o in found.options[:3])
                problem = (found.note or f"I could not find that {step.slot}.") + (
                    f" Did you mean {hint}?" if hint else ""
                )
        if problem is not None:
            job.slots.pop(step.slot, None)
            return await self.ask_step(job, step, problem)
        job.slots[step.slot] = value
        following = wizard.missing(job.action, job.slots)
        if following is not None:
            return await self.ask_step(job, following, "")
        await self.save(None)
        job.slots = {k: v for k, v in job.slots.items() if v is not None}
        self.force_confirm = True
        return await self.resolve_and_run(job)

    async def simulate(self, job: Job) -> Reply:
        """A dry run: resolution, consequences and the policy's verdict, and no write at all."""
        slots = dict(job.slots)
        target = str(slots.pop("target_action", "") or "")
        if target not in EXECUTORS or target == "simulate_action":
            return self.reply(
                "needs_clarification",
                "What should I simulate? For example 'what happens if I cancel trip 42'.",
                action="simulate_action",
            )
        gate = self.movi.policy.gate(target, self.ctx)
        if gate is not None:
            self.step("simulate", f"{target} would be refused: {gate.code}")
            return self.reply(
                "completed",
                f"Simulation: that would be refused — {gate.message} Nothing was changed.",
                action="simulate_action",
            )
        self.simulating = True
        reply = await self.resolve_and_run(Job(action=target, slots=slots, source=job.source))
        return reply.model_copy(update={"action": "simulate_action"})

    async def ask_to_confirm_reading(self, intent: Intent) -> Reply:
        """A low-confidence reading is offered back as a question, never acted on."""
        job = Job(action=intent.action, slots=dict(intent.slots), source=intent.source)
        words = _describe_job(job)
        pending = Conversations.new_pending(
            "clarification",
            job.dump(),
            ttl=self.movi.policy.confirmation_ttl,
            now=self.ctx.now,
            options=[{"number": 1, "label": words, "job": job.dump()}],
            question=f"Did you mean: {words}?",
        )
        await self.save(pending)
        return self.reply(
            "needs_clarification",
            f"Did you mean: {words}? (yes / no)",
            action=intent.action,
            options=[Option(number=1, label=words)],
        )

    # --- resolving --------------------------------------------------------------------------

    async def resolve_and_run(self, job: Job) -> Reply:
        executor = EXECUTORS.get(job.action)
        if executor is None:
            self.step("execute", f"no executor for {job.action}")
            return self.reply(
                "failed",
                f"I understood '{job.action}', but this version of movi cannot do that yet.",
                action=job.action,
            )
        async with read_only(self.movi.engine) as session:
            for wanted in executor.needs:
                need = wanted.rstrip("?")
                if need in job.ids or (need == "vehicle_ref" and "vehicle" in job.ids):
                    continue
                if wanted.endswith("?") and not job.slots.get(need):
                    continue
                resolution = await self.resolve(session, need, job)
                if resolution is None:
                    continue
                self.step(
                    "resolve",
                    f"{need}: {resolution.status} "
                    f"({'; '.join(resolution.trace) or resolution.query})",
                )
                if resolution.status == "found" and resolution.match is not None:
                    blocked = await self.inactive_trip(job, need, resolution, executor.write)
                    if blocked is not None:
                        return blocked
                    job.ids["vehicle" if need == "vehicle_ref" else need] = resolution.match.id
                    continue
                return await self.unresolved(job, need, resolution)
            if job.action == "get_audit_trail" and not job.ids:
                for need in ("trip", "vehicle", "driver"):
                    resolution = await self.resolve(session, need, job)
                    if resolution is not None and resolution.found and resolution.match:
                        job.ids[need] = resolution.match.id
                        break
        return await self.decide_and_run(job)

    async def resolve(self, session: AsyncSession, need: str, job: Job) -> Resolution | None:
        slots = job.slots
        if need == "trip":
            if not any(k in slots for k in ("trip_id", "trip_name", "trip_time")) and (
                self.selected_trip_id is None and job.action == "get_audit_trail"
            ):
                return None
            return await resolve_trip(
                session, slots, today=self.ctx.today, selected_trip_id=self.selected_trip_id
            )
        if need in ("vehicle", "vehicle_ref"):
            if slots.get("vehicle"):
                return await resolve_vehicle(session, str(slots["vehicle"]))
            if need == "vehicle_ref" and slots.get("vehicle_desc"):
                day, departure, booked = self.ctx.today, None, 0
                if "trip" in job.ids:
                    view = await trip_view(session, job.ids["trip"])
                    if view is not None:
                        day, departure, booked = (
                            view.trip.trip_date,
                            view.trip.departure_time,
                            view.booked,
                        )
                return await resolve_vehicle_desc(
                    session,
                    str(slots["vehicle_desc"]),
                    trip_date=day,
                    min_capacity=booked,
                    departure_time=departure,
                )
            if job.action == "get_audit_trail":
                return None
            return Resolution(
                entity="vehicle",
                status="missing",
                query="",
                note="Which vehicle? Give its registration, e.g. KA-01-AB-1234.",
            )
        if need in ("stop", "path", "route"):
            value = slots.get(need)
            if not value:
                return Resolution(
                    entity=need,
                    status="missing",
                    query="",
                    note=f"Which {need}? Give its name.",
                )
            finder = {"stop": resolve_stop, "path": resolve_path, "route": resolve_route}[need]
            return await finder(session, str(value))
        if need == "driver":
            if slots.get("driver"):
                return await resolve_driver(session, str(slots["driver"]))
            if job.action == "get_audit_trail":
                return None
            return Resolution(
                entity="driver",
                status="missing",
                query="",
                note="Which driver? Give the driver's name.",
            )
        return None

    async def inactive_trip(
        self, job: Job, need: str, resolution: Resolution, write: bool
    ) -> Reply | None:
        """A cancelled or past trip is reported with alternatives, never acted on silently."""
        if need != "trip" or not resolution.note or not write:
            return None
        self.step("resolve", f"trip needs care: {resolution.note}")
        options = list(resolution.options)
        return await self.offer(
            job,
            "trip",
            options,
            f"{resolution.note.rstrip('.')}.",
            status="needs_clarification" if options else "rejected",
            suffix=" Did you mean one of these?" if options else "",
        )

    async def unresolved(self, job: Job, need: str, resolution: Resolution) -> Reply:
        entity = "vehicle" if need == "vehicle_ref" else need
        if resolution.status == "ambiguous":
            return await self.offer(
                job,
                entity,
                list(resolution.options),
                resolution.note or f"Several {entity}s match.",
                status="needs_clarification",
                suffix=" Which one?",
            )
        note = resolution.note or f"I could not find that {entity}."
        if resolution.options:
            return await self.offer(
                job,
                entity,
                list(resolution.options),
                note,
                status="not_found",
                suffix=" Did you mean one of these?",
            )
        # Nothing named at all ("cancel it" with no trip selected) is a question, not a miss.
        status: Status = "not_found" if resolution.query else "needs_clarification"
        return self.reply(status, note, action=job.action)

    async def offer(
        self,
        job: Job,
        entity: str,
        matches: Sequence[Any],
        message: str,
        *,
        status: Status,
        suffix: str,
    ) -> Reply:
        options = [
            Option(number=i, label=m.label, id=m.id) for i, m in enumerate(matches[:5], start=1)
        ]
        if options and job.action and not self.simulating:
            pending = Conversations.new_pending(
                "clarification",
                job.dump(),
                ttl=self.movi.policy.confirmation_ttl,
                now=self.ctx.now,
                slot=entity,
                options=[{"number": o.number, "label": o.label, "id": o.id} for o in options],
                question=message,
            )
            await self.save(pending)
        listed = "".join(f"\n{o.number}. {o.label}" for o in options)
        return self.reply(
            status, f"{message}{suffix}{listed}", action=job.action or None, options=options
        )

    # --- deciding and running ---------------------------------------------------------------

    async def decide_and_run(self, job: Job) -> Reply:
        executor = EXECUTORS[job.action]
        if not executor.write:
            if self.simulating:
                return self.reply(
                    "completed",
                    f"Simulation: {_describe_job(job)} only reads; it changes nothing.",
                    action=job.action,
                )
            return await self.read(job)
        consequences: list[Consequence] = []
        if executor.check is not None:
            async with read_only(self.movi.engine) as session:
                try:
                    consequences = await executor.check(session, job, self.ctx)
                except NotApplicable as exc:
                    return self.reply("rejected", str(exc), action=job.action)
        self.step("consequences", "; ".join(c.message for c in consequences) or "none found")
        decision = self.movi.policy.decide(job.action, consequences, self.ctx)
        self.step("decide", f"{decision.verdict} ({decision.rule})")
        await self.remember(job.action, decision)
        if self.simulating:
            return self.simulated(job, decision, consequences)
        if decision.verdict == "refuse":
            return self.reply(
                "rejected", decision.message, action=job.action, consequences=consequences
            )
        if decision.verdict == "confirm":
            return await self.ask_confirmation(job, decision, consequences)
        if self.force_confirm:
            summary = f"Ready to {_describe_job(job)}. Shall I go ahead?"
            return await self.ask_confirmation(
                job, decision.model_copy(update={"message": summary}), consequences
            )
        return await self.execute(job, consequences)

    def simulated(self, job: Job, decision: Decision, consequences: list[Consequence]) -> Reply:
        what = {
            "refuse": "it would be refused",
            "confirm": "I would ask you to confirm first",
            "proceed": "it would go ahead",
        }[decision.verdict]
        facts = " ".join(c.message for c in consequences) or "Nothing else is affected."
        message = (
            f"Simulation of {_describe_job(job)}: {what}. {facts} "
            f"({decision.message}) Nothing was changed."
        )
        return self.reply(
            "completed",
            message,
            action=job.action,
            consequences=consequences,
            data={"target_action": job.action, "verdict": decision.verdict, "rule": decision.rule},
        )

    async def read(self, job: Job) -> Reply:
        async with read_only(self.movi.engine) as session:
            try:
                outcome = await EXECUTORS[job.action].run(session, job, self.ctx)
            except NotApplicable as exc:
                return self.reply("rejected", str(exc), action=job.action)
        self.step("execute", f"read {job.action}")
        return self.reply("completed", outcome.message, action=job.action, data=outcome.data)

    async def ask_confirmation(
        self, job: Job, decision: Decision, consequences: list[Consequence]
    ) -> Reply:
        pending = Conversations.new_pending(
            "confirmation",
            job.dump(),
            ttl=self.movi.policy.confirmation_ttl,
            now=self.ctx.now,
            consequences=[c.model_dump(mode="json") for c in consequences],
            question=decision.message,
        )
        await self.save(pending)
        return self.reply(
            "needs_confirmation", decision.message, action=job.action, consequences=consequences
        )

    async def execute(
        self, job: Job, expected: list[Consequence], *, claim: SessionState | None = None
    ) -> Reply:
        """Lock, re-check under the lock, run, audit — one transaction.

        With ``claim`` (a confirmation being answered) the session's pending question is taken
        first, in the same transaction: the answer, the change and its audit rows commit
        together or not at all. Lock order: the session row, then vehicles, drivers and the trip
        (see :func:`movi.store.queries.lock_for_write`).
        """
        executor = EXECUTORS[job.action]
        movi = self.movi
        changed: list[Consequence] | None = None
        outcome: Outcome | None = None
        news: list[events.Event] = []
        try:
            with mapped_errors():
                async with movi.sessions() as session, session.begin():
                    if claim is not None and not await Conversations.claim(
                        session, claim, user_id=self.user_id
                    ):
                        await session.rollback()
                        return self.already_used()
                    await lock_for_write(
                        session,
                        trip_id=job.ids.get("trip"),
                        vehicle_ids=[job.ids["vehicle"]] if "vehicle" in job.ids else [],
                        driver_ids=[job.ids["driver"]] if "driver" in job.ids else [],
                    )
                    now_found = (
                        await executor.check(session, job, self.ctx) if executor.check else []
                    )
                    if _signature(now_found) != _signature(expected):
                        changed = now_found
                        await session.rollback()
                    else:
                        outcome = await executor.run(session, job, self.ctx)
                        stamp = datetime.now(UTC)  # one write, one time: undo finds it whole
                        news = [
                            events.trip_updated(
                                entry.entity_id,
                                job.action,
                                entry.before,
                                entry.after,
                                user_id=self.user_id,
                                session_id=self.session_id,
                                at=stamp,
                            )
                            for entry in outcome.audit
                            if entry.entity_type == "trip" and entry.entity_id is not None
                        ]
                        await events.announce(session, news)
                        for entry in outcome.audit:
                            session.add(
                                AuditLog(
                                    created_at=stamp,
                                    user_id=self.user_id,
                                    session_id=self.session_id,
                                    action=job.action,
                                    entity_type=entry.entity_type,
                                    entity_id=entry.entity_id,
                                    before_state=entry.before,
                                    after_state=entry.after,
                                    success=True,
                                    source=job.source
                                    if job.source in ("rules", "llm")
                                    else "rules",
                                )
                            )
        except NotApplicable as exc:
            self.step("execute", f"not applicable: {exc}")
            await self.settle(claim)
            return self.reply("rejected", str(exc), action=job.action)
        except ConcurrencyError:
            self.step("execute", "the row changed while we wrote it")
            await self.settle(claim)
            return self.reply(
                "failed",
                "That changed meanwhile (someone else updated it at the "
                "same moment); nothing was changed. Please check and try again.",
                action=job.action,
            )
        except IntegrityViolation as exc:
            self.step("execute", str(exc))
            await self.settle(claim)
            return self.reply(
                "failed", f"The database refused the change: {exc.message}", action=job.action
            )
        if changed is not None:
            self.step("execute", "consequences changed since they were checked")
            decision = movi.policy.decide(job.action, changed, self.ctx)
            await self.remember(job.action, decision)
            prefix = "That changed meanwhile. "
            if decision.verdict == "refuse":
                await self.settle(claim)
                return self.reply(
                    "rejected", prefix + decision.message, action=job.action, consequences=changed
                )
            if decision.verdict == "proceed":
                # remember() moved the session's version on: claim the question as it is now.
                return await self.execute(job, changed, claim=self.state if claim else None)
            reply = await self.ask_confirmation(job, decision, changed)
            return reply.model_copy(update={"message": prefix + reply.message})
        assert outcome is not None
        if claim is not None:
            self.state = await movi.conversations.load(self.session_id)
        events.deliver_local(movi.engine, news)
        self.step("execute", f"{job.action} done, {len(outcome.audit)} audit rows")
        return self.reply("completed", outcome.message, action=job.action, data=outcome.data)

    # --- answers to a pending question ------------------------------------------------------

    async def answer(self, pending: Pending, intent: Intent) -> Reply | None:
        if Conversations.expired(pending, self.ctx.now):
            await self.save(None)
            if intent.action in ANSWERS:
                return self.reply(
                    "cancelled",
                    "That question has expired; nothing was done. Please give the command again.",
                    action=intent.action,
                )
            return None
        if pending.kind == "wizard":
            return await self.wizard_answer(pending, intent)
        if intent.action == "deny":
            if not await self.save(None):
                return self.reply("cancelled", "That was already answered.", action="deny")
            self.step("answer", f"declined {pending.job.get('action')}")
            return self.reply(
                "cancelled", "OK, nothing was changed.", action=str(pending.job.get("action"))
            )
        if pending.kind == "confirmation" and intent.action == "confirm":
            return await self.confirmed(pending)
        if pending.kind == "clarification":
            number = self.choice(pending, intent)
            if number is not None:
                return await self.chosen(pending, number)
        return None

    def ask_again(self, pending: Pending, intent: Intent) -> Reply:
        """An answer that fits nothing the session waits for: ask the open question again."""
        self.step("answer", f"{intent.action} does not answer the open {pending.kind}")
        action = str(pending.job.get("action") or "") or None
        if pending.kind == "confirmation":
            return self.reply(
                "needs_confirmation",
                f"Please answer yes or no. {pending.question}".strip(),
                action=action,
                consequences=[Consequence.model_validate(c) for c in pending.consequences],
            )
        options = [
            Option(number=int(o["number"]), label=str(o["label"]), id=o.get("id"))
            for o in pending.options
        ]
        listed = "".join(f"\n{o.number}. {o.label}" for o in options)
        return self.reply(
            "needs_clarification",
            f"Please pick one of the options by its number or name.{listed}",
            action=action,
            options=options,
        )

    def choice(self, pending: Pending, intent: Intent) -> int | None:
        options = pending.options
        if intent.action == "confirm" and len(options) == 1:
            return 1
        if intent.action == "choose_option":
            option = intent.slots.get("option")
            if isinstance(option, int) and 1 <= option <= len(options):
                return option
            name, at = intent.slots.get("trip_name"), intent.slots.get("trip_time")
            for item in options if name or at else ():  # "option 9" of 4 names nothing
                label = str(item["label"]).lower()
                if (not name or str(name).lower() in label) and (not at or str(at) in label):
                    return int(item["number"])
        if intent.action in ("unknown", "choose_option") or intent.confidence < 0.6:
            labels = [str(item["label"]) for item in options]
            best = process.extractOne(
                self.text,
                labels,
                scorer=fuzz.partial_ratio,
                processor=lambda s: s.lower(),
                score_cutoff=85,
            )
            if best is not None:
                return int(best[2]) + 1
        return None

    async def chosen(self, pending: Pending, number: int) -> Reply:
        if not await self.save(None):
            return self.reply("cancelled", "That was already answered.", action="choose_option")
        option = pending.options[number - 1]
        self.step("answer", f"option {number}: {option['label']}")
        if "job" in option:
            job = Job.from_dump(option["job"])
        else:
            job = Job.from_dump(pending.job)
            job.ids[pending.slot or "trip"] = int(option["id"])
        if not job.action:
            return self.reply(
                "completed",
                f"Selected {option['label']}.",
                action="choose_option",
                data={"id": option.get("id")},
            )
        gate = self.movi.policy.gate(job.action, await self.with_usage(self.ctx))
        if gate is not None:
            return self.reply("rejected", gate.message, action=job.action)
        return await self.dispatch(job)

    async def confirmed(self, pending: Pending) -> Reply:
        job = Job.from_dump(pending.job)
        self.step("answer", f"confirmed {job.action}")
        self.ctx = await self.with_usage(self.ctx)
        gate = self.movi.policy.gate(job.action, self.ctx)
        if gate is not None:
            await self.save(None)  # answered, with a refusal
            return self.reply("rejected", gate.message, action=job.action)
        shown = [Consequence.model_validate(c) for c in pending.consequences]
        # The claim happens inside the write transaction: whoever claims it runs it, exactly
        # once, and a crash before the commit leaves the question waiting.
        assert self.state is not None
        return await self.execute(job, shown, claim=self.state)

    def already_used(self) -> Reply:
        self.step("answer", "confirmation already claimed by another request")
        return self.reply(
            "cancelled",
            "That confirmation was already used; nothing more was done.",
            action="confirm",
        )

    # --- session state ----------------------------------------------------------------------

    async def settle(self, claim: SessionState | None) -> None:
        """A claimed confirmation that could not be carried out is answered all the same."""
        if claim is not None:
            await self.save(None)

    async def save(self, pending: Pending | None) -> bool:
        assert self.state is not None
        saved = await self.movi.conversations.save(
            self.state, pending=pending, user_id=self.user_id
        )
        if saved:
            self.state = await self.movi.conversations.load(self.session_id)
        return saved

    async def remember(self, action: str, decision: Decision) -> None:
        """Keep the last decision for "why?"."""
        if self.state is None:
            return
        record = {
            "action": action,
            "verdict": decision.verdict,
            "code": decision.code,
            "rule": decision.rule,
            "message": decision.message,
            "explanation": self.movi.policy.describe_rule(decision.rule),
            "consequences": [c.model_dump(mode="json") for c in decision.consequences],
        }
        if await self.movi.conversations.save(
            self.state, pending=self.state.pending, last_decision=record, user_id=self.user_id
        ):
            self.state = await self.movi.conversations.load(self.session_id)

    def explain(self) -> Reply:
        last = self.state.last_decision if self.state else None
        if not last:
            return self.reply(
                "completed",
                "I have not made a decision in this session yet.",
                action="explain_decision",
            )
        verdict = {
            "confirm": "I asked for confirmation",
            "refuse": "I refused",
            "proceed": "I went ahead",
        }.get(str(last.get("verdict")), "I decided")
        facts = "; ".join(c.get("message", "") for c in last.get("consequences", []))
        because = f" because {facts.rstrip('.')}" if facts else ""
        message = (
            f"{verdict} on {last.get('action')}{because}, and "
            f"{last.get('explanation') or last.get('rule')}."
        )
        return self.reply("completed", message, action="explain_decision", data=last)

    async def with_usage(self, ctx: Context) -> Context:
        """The user's recent writes and today's bulk actions, for the policy's limits."""
        since_minute = ctx.now - timedelta(minutes=1)
        day_start = datetime.combine(ctx.now.date(), datetime.min.time(), tzinfo=UTC)
        bulk = [a for a in EXECUTORS if self.movi.policy.kind(a) == "bulk"]
        async with read_only(self.movi.engine) as session:
            writes = await session.scalar(
                select(func.count(func.distinct(AuditLog.created_at))).where(
                    AuditLog.user_id == self.user_id, AuditLog.created_at >= since_minute
                )
            )
            bulks = await session.scalar(
                select(func.count(func.distinct(AuditLog.created_at))).where(
                    AuditLog.user_id == self.user_id,
                    AuditLog.created_at >= day_start,
                    AuditLog.action.in_(bulk),
                )
            )
        return ctx.model_copy(
            update={"writes_last_minute": int(writes or 0), "bulk_actions_today": int(bulks or 0)}
        )


def _signature(consequences: Sequence[Consequence]) -> list[tuple[str, str]]:
    """What must be unchanged for a confirmation to stay valid (codes and their data)."""
    import json

    return sorted((c.code, json.dumps(c.data, sort_keys=True, default=str)) for c in consequences)


def _describe_job(job: Job) -> str:
    details = ", ".join(f"{k} {v}" for k, v in job.slots.items())
    return f"{job.action.replace('_', ' ')}" + (f" ({details})" if details else "")


def _binary(text: str) -> str | None:
    """What makes ``text`` binary or disguised rather than typed: control bytes such as NUL,
    bytes that were not UTF-8 (decoded as U+FFFD) or lone surrogates, invisible direction
    overrides and zero-width characters, or a word mixing alphabets (a Cyrillic 'А' among Latin
    letters looks the same and names something else). Such a command is never acted on."""
    if "\ufffd" in text or any("\ud800" <= ch <= "\udfff" for ch in text):
        return "bytes that are not valid UTF-8"
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in text):
        return "NUL or other control bytes"
    if any(ch in _INVISIBLE for ch in text):
        return "invisible formatting characters (direction overrides or zero-width characters)"
    for word in _WORD.findall(text):
        scripts = {_script(ch) for ch in word if ch.isalpha()} - {None}
        if len(scripts) > 1:
            return f"a word that mixes alphabets ({' and '.join(sorted(s for s in scripts if s))})"
    return None


_INVISIBLE = frozenset(
    "\u200b\u200c\u200d\u2060\ufeff\u061c\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_WORD = re.compile(r"[^\W_]+(?:[-'.][^\W_]+)*")


def _script(ch: str) -> str | None:
    """The alphabet of a letter, for the look-alike alphabets only (Latin, Greek, Cyrillic)."""
    name = unicodedata.name(ch, "")
    for script in ("LATIN", "GREEK", "CYRILLIC"):
        if name.startswith(script):
            return script.capitalize()
    return None


def _storable(text: str) -> str:
    """``text`` as both databases can store it: no NUL (PostgreSQL), no lone surrogates."""
    text = text.replace("\x00", "\ufffd")
    return text.encode("utf-8", errors="replace").decode("utf-8")


def _as_text(text: str | bytes | object) -> str:
    if isinstance(text, bytes):
        return text.decode("utf-8", errors="replace")
    return text if isinstance(text, str) else str(text)


_HELP = (
    "I turn operator commands into checked operations. On busDashboard: trips ('cancel trip "
    "42', 'delay the 8am Path-2 trip by 15 minutes'), vehicles and drivers ('assign "
    "KA-01-AB-1234 to trip 42', 'Ramesh is on leave tomorrow'), bookings ('how many seats are "
    "free on trip 42'). On manageRoute: stops, paths and routes ('rename stop Peenya to Peenya "
    "Metro'). Risky changes ask you to confirm first; 'why?' explains my last decision."
)
