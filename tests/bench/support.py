"""Tiny inline datasets and scripted model answers for the harness tests."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MODEL = "openai/test"
"""A model litellm has no price for: cost is "n/a"."""

PAGE = "busDashboard"


def answer(action: str, slots: dict[str, Any] | None = None, confidence: float = 0.9) -> str:
    return json.dumps({"action": action, "slots": slots or {}, "confidence": confidence})


def line(text: str, action: str, **slots: Any) -> dict[str, Any]:
    return {"text": text, "page": PAGE, "action": action, "slots": slots}


def write_dataset(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("\n".join(json.dumps(item) for item in lines) + "\n", encoding="utf-8")
    return path


@dataclass
class Script:
    """The commands sent to the model, and the answer for each."""

    answers: dict[str, str] = field(default_factory=dict)
    default: str = answer("unknown", confidence=0.2)
    commands: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.commands)
