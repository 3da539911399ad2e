"""The policy's inputs and output: who asks from where, what would happen, and the verdict."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from movi.reply import Consequence

Verdict = Literal["proceed", "confirm", "refuse"]


class Context(BaseModel):
    """Everything the policy may know about the request besides the action itself."""

    model_config = ConfigDict(frozen=True)

    page: str | None
    role: str
    user_id: str
    session_id: str
    today: date
    now: datetime
    source: Literal["rules", "llm"] = "rules"
    bulk_actions_today: int = Field(default=0, ge=0)
    writes_last_minute: int = Field(default=0, ge=0)


class Decision(BaseModel):
    """The verdict with the rule that gave it, in words an operator understands.

    ``code`` is a stable key ("page_not_allowed", "bookings_affected") for logs and tests;
    ``rule`` names the policy entry that fired, so that "why?" can be answered from it.
    """

    model_config = ConfigDict(frozen=True)

    verdict: Verdict
    code: str
    message: str
    rule: str
    consequences: tuple[Consequence, ...] = ()
