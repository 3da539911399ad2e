"""Executors, one per catalogue action, registered by name.

An executor declares which references it needs resolved (``needs``), may declare a consequence
check (reads only: what would happen), and runs: a read inside a read-only session, a write
inside one transaction that locks what it changes and returns the audit entries the engine
writes in that same transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from movi.policy.decision import Context
from movi.reply import Consequence


@dataclass
class Job:
    """An action with its slots and the database rows its references resolved to."""

    action: str
    slots: dict[str, Any]
    ids: dict[str, int] = field(default_factory=dict)
    source: str = "rules"

    def dump(self) -> dict[str, Any]:
        return {"action": self.action, "slots": self.slots, "ids": self.ids, "source": self.source}

    @classmethod
    def from_dump(cls, data: dict[str, Any]) -> Job:
        return cls(
            action=str(data["action"]),
            slots=dict(data.get("slots") or {}),
            ids={k: int(v) for k, v in (data.get("ids") or {}).items()},
            source=str(data.get("source") or "rules"),
        )


@dataclass
class AuditEntry:
    entity_type: str
    entity_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass
class Outcome:
    """What an executor did: words for the operator, rows for the caller, audit for the log."""

    message: str
    data: Any = None
    audit: list[AuditEntry] = field(default_factory=list)
    status: str = "completed"


Check = Callable[[AsyncSession, Job, Context], Awaitable[list[Consequence]]]
Run = Callable[[AsyncSession, Job, Context], Awaitable[Outcome]]


@dataclass
class Executor:
    name: str
    run: Run
    needs: tuple[str, ...] = ()
    write: bool = False
    check: Check | None = None


EXECUTORS: dict[str, Executor] = {}


def executor(
    name: str, *, needs: tuple[str, ...] = (), write: bool = False
) -> Callable[[Run], Run]:
    """Register ``run`` as the executor of ``name``."""

    def register(run: Run) -> Run:
        if name in EXECUTORS:
            raise ValueError(f"two executors for {name!r}")
        EXECUTORS[name] = Executor(name=name, run=run, needs=needs, write=write)
        return run

    return register


def check(name: str) -> Callable[[Check], Check]:
    """Register the consequence check of an already registered executor."""

    def register(fn: Check) -> Check:
        EXECUTORS[name].check = fn
        return fn

    return register


class NotApplicable(Exception):
    """Raised by an executor when the rows are not in a state it can act on (message for humans)."""
