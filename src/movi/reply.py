"""What ``Movi.handle`` answers: a status, plain words, and the data behind them (SPEC 4)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal[
    "completed",
    "needs_confirmation",
    "needs_clarification",
    "rejected",
    "not_found",
    "failed",
    "cancelled",
]


class Option(BaseModel):
    """One answer the operator may pick ("1. Path-1 - 08:00 (trip 12)")."""

    model_config = ConfigDict(frozen=True)

    number: int = Field(ge=1)
    label: str
    id: int | None = None
    slots: dict[str, Any] = Field(default_factory=dict)


class Consequence(BaseModel):
    """Something an action would cause, found before it runs ("10 confirmed bookings")."""

    model_config = ConfigDict(frozen=True)

    code: str
    message: str
    data: dict[str, Any] = Field(default_factory=dict)


class TraceStep(BaseModel):
    """One stage's choice and the numbers behind it ("confidence 0.41 < threshold 0.60")."""

    model_config = ConfigDict(frozen=True)

    stage: str
    detail: str


class Reply(BaseModel):
    status: Status
    message: str
    action: str | None = None
    options: list[Option] = Field(default_factory=list)
    consequences: list[Consequence] = Field(default_factory=list)
    data: Any = None
    trace: list[TraceStep] = Field(default_factory=list)
