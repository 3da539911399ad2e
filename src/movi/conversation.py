"""Conversation state in ``agent_sessions``: what a session is waiting for, shared by every process.

A session waits for at most one thing: a confirmation (an action with its resolved rows and the
consequences the operator was shown), a clarification (numbered options), or a wizard step.
Claiming it is a compare-and-set on the row's ``version``, so a "yes" executes at most once even
when two engine processes receive it at the same moment. A confirmation is claimed *inside* the
transaction that carries it out (:meth:`Conversations.claim`): the claim, the change and its audit
rows commit together, so a process killed half-way leaves the question waiting, never answered
without effect.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import Update, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from movi.store import mapped_errors, read_only
from movi.store.schema import AgentSession

PendingKind = Literal["confirmation", "clarification", "wizard"]


class Pending(BaseModel):
    """What the session waits for. ``job`` is the action to run once answered."""

    kind: PendingKind
    job: dict[str, Any]
    consequences: list[dict[str, Any]] = Field(default_factory=list)
    options: list[dict[str, Any]] = Field(default_factory=list)
    slot: str | None = None
    question: str = ""
    created_at: datetime
    expires_at: datetime


class SessionState(BaseModel):
    session_id: str
    user_id: str | None = None
    pending: Pending | None = None
    last_decision: dict[str, Any] | None = None
    version: int = 0  # 0: no row yet


def _aware(value: datetime | None) -> datetime | None:
    """SQLite returns naive UTC datetimes; PostgreSQL aware ones."""
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _pending_values(pending: Pending | None, *, user_id: str | None) -> dict[str, Any]:
    values: dict[str, Any] = {
        "pending_kind": pending.kind if pending else None,
        "pending": pending.model_dump(mode="json") if pending else None,
        "pending_expires_at": pending.expires_at if pending else None,
        "updated_at": datetime.now(UTC),
    }
    if user_id is not None:
        values["user_id"] = user_id
    return values


def _compare_and_set(state: SessionState, values: dict[str, Any]) -> Update:
    """The session row's update, applied only if nobody changed it since ``state`` was read."""
    return (
        update(AgentSession)
        .where(
            AgentSession.session_id == state.session_id,
            AgentSession.version == state.version,
        )
        .values(version=state.version + 1, **values)
        .execution_options(synchronize_session=False)
    )


class Conversations:
    """Reads and writes session state; every write is a compare-and-set on ``version``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def load(self, session_id: str) -> SessionState:
        with mapped_errors():
            async with read_only(self._engine) as session:
                row = await session.get(AgentSession, session_id)
                if row is None:
                    return SessionState(session_id=session_id)
                pending = None
                if row.pending is not None and row.pending_kind is not None:
                    pending = Pending.model_validate(row.pending)
                return SessionState(
                    session_id=session_id,
                    user_id=row.user_id,
                    pending=pending,
                    last_decision=row.last_decision,
                    version=row.version,
                )

    @staticmethod
    async def claim(session: AsyncSession, state: SessionState, *, user_id: str) -> bool:
        """Take the pending question of ``state`` within ``session``'s open transaction.

        Clears it with a compare-and-set on ``version``; False when another request changed the
        session first. The claim is as durable as the transaction: rolled back with it.
        On PostgreSQL a second claimer waits for the row lock and then finds the version moved.
        """
        if state.version == 0:
            return False
        values = _pending_values(None, user_id=user_id)
        result = await session.execute(_compare_and_set(state, values))
        return bool(getattr(result, "rowcount", 0) == 1)

    async def save(
        self,
        state: SessionState,
        *,
        pending: Pending | None,
        last_decision: dict[str, Any] | None = None,
        user_id: str | None = None,
    ) -> bool:
        """Replace what the session waits for; False when another process changed it first."""
        values = _pending_values(pending, user_id=user_id)
        if last_decision is not None:
            values["last_decision"] = last_decision
        with mapped_errors():
            async with self._engine.begin() as conn:
                if state.version == 0:
                    existing = await conn.execute(
                        select(AgentSession.version).where(
                            AgentSession.session_id == state.session_id
                        )
                    )
                    if existing.scalar_one_or_none() is not None:
                        return False
                    await conn.execute(
                        insert(AgentSession).values(
                            session_id=state.session_id, version=1, **values
                        )
                    )
                    return True
                result = await conn.execute(_compare_and_set(state, values))
                return result.rowcount == 1

    @staticmethod
    def new_pending(
        kind: PendingKind,
        job: dict[str, Any],
        *,
        ttl: timedelta,
        now: datetime,
        consequences: list[dict[str, Any]] | None = None,
        options: list[dict[str, Any]] | None = None,
        slot: str | None = None,
        question: str = "",
    ) -> Pending:
        return Pending(
            kind=kind,
            job=job,
            consequences=consequences or [],
            options=options or [],
            slot=slot,
            question=question,
            created_at=now,
            expires_at=now + ttl,
        )

    @staticmethod
    def expired(pending: Pending, now: datetime) -> bool:
        expires = _aware(pending.expires_at)
        return expires is not None and expires <= now
