"""What a command means: a catalogue action, its slots in normal form, and how sure we are."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Source = Literal["rules", "llm"]


class Candidate(BaseModel):
    """A runner-up reading of the command, kept so a clarifying question can offer it."""

    model_config = ConfigDict(frozen=True)

    action: str
    score: float


class Intent(BaseModel):
    """The parser's answer; ``to_json()`` is exactly the object ``movi parse`` prints (SPEC 4)."""

    model_config = ConfigDict(frozen=True)

    action: str
    slots: dict[str, Any] = Field(default_factory=dict)
    confidence: float = Field(ge=0.0, le=1.0)
    source: Source = "rules"
    alternatives: tuple[Candidate, ...] = ()
    trace: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "slots": self.slots,
            "confidence": round(self.confidence, 3),
            "source": self.source,
        }
