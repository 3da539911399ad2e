"""The answer of a resolver: a reference in the operator's words, matched to database rows."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Entity = Literal["trip", "vehicle", "driver", "stop", "path", "route", "employee"]
MAX_OPTIONS = 5


class Match(BaseModel):
    """One row that may be what the operator meant."""

    model_config = ConfigDict(frozen=True)

    id: int
    label: str
    score: float = Field(ge=0, le=100)
    detail: dict[str, Any] = Field(default_factory=dict)


class Resolution(BaseModel):
    """``found`` (one row), ``ambiguous`` (ranked options, at most 5) or ``missing`` (suggestions).

    ``note`` says why a found row needs care ("trip 42 is CANCELLED"); ``options`` then holds
    similar rows that could be meant instead.
    """

    model_config = ConfigDict(frozen=True)

    entity: Entity
    status: Literal["found", "ambiguous", "missing"]
    query: str
    match: Match | None = None
    options: tuple[Match, ...] = ()
    note: str | None = None
    trace: tuple[str, ...] = ()

    @property
    def found(self) -> bool:
        return self.status == "found"
