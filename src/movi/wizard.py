"""Wizards: actions that ask for what is missing, one question at a time.

``create_trip_from_scratch``, and ``create_stop`` / ``create_path`` / ``create_route`` given
without all their slots, become a short dialogue. Each answer is read for the slot the question
asked ("8:30" answers "at what time?", "Path-2" answers "which path?") and validated before the
next question; the state lives in ``agent_sessions`` (a ``wizard`` pending), so a wizard survives
a restart and continues in any engine process. "cancel" or "stop" ends it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from movi.grammar.extractors import extract_all
from movi.grammar.references import stop_list

SKIP = "skip"


@dataclass(frozen=True)
class Step:
    slot: str
    question: str
    optional: bool = False


WIZARDS: dict[str, tuple[Step, ...]] = {
    "create_trip_from_scratch": (
        Step("route", "Which route should the trip run? (e.g. 'Path-2 - 08:00')"),
        Step("date", "On which day? (e.g. 'tomorrow' or '3 Dec')"),
        Step("vehicle", "Which vehicle? Give its registration, or say 'skip'.", optional=True),
        Step("driver", "Which driver? Give the name, or say 'skip'.", optional=True),
    ),
    "create_stop": (Step("stop", "What is the new stop called?"),),
    "create_path": (
        Step("path", "What is the new path called?"),
        Step("stops", "Which stops, in order? (e.g. 'Peenya, Temple and BTM')"),
    ),
    "create_route": (
        Step("path", "On which path should the route run?"),
        Step("shift_time", "At what shift time? (e.g. '8:30')"),
        Step("direction", "Is it a pickup (LOGIN) or a drop (LOGOUT)?"),
    ),
}

_CANCEL = re.compile(
    r"^\s*(?:cancel|stop|quit|exit|abort|never\s*mind|forget\s+it|no\s+thanks|leave\s+it)"
    r"(?:\s+(?:it|this|that|the\s+wizard))?\s*[.!]*\s*$",
    re.IGNORECASE,
)
_DIRECTIONS = {
    "LOGIN": re.compile(r"\b(?:login|log\s*in|pick\s*-?up|inbound|up|morning|to\s+office)\b", re.I),
    "LOGOUT": re.compile(r"\b(?:logout|log\s*out|drop|outbound|down|evening|home)\b", re.I),
}


def missing(action: str, slots: dict[str, Any]) -> Step | None:
    """The next question of the action's wizard, or None when nothing is missing."""
    for step in WIZARDS.get(action, ()):
        if step.slot not in slots:
            return step
    return None


def is_cancel(text: str) -> bool:
    return bool(_CANCEL.match(text))


def read_answer(step: Step, text: str, *, today: date) -> tuple[Any, str | None]:
    """The slot value in ``text`` for ``step``, or (None, why it is not an answer)."""
    answer = text.strip().strip(".!")
    if not answer:
        return None, "I did not get an answer."
    if step.optional and answer.lower() in (SKIP, "none", "no", "later", "not now"):
        return None, None  # answered: nothing for this optional slot
    mentions = extract_all(answer, today=today)
    if step.slot == "date":
        dates = [m for m in mentions if m.kind == "date"]
        if not dates:
            return None, "That is not a day I can read; say for example 'tomorrow' or '3 Dec'."
        value = str(dates[0].value)
        if value < today.isoformat():
            return None, f"{value} is in the past; give today or a later day."
        return value, None
    if step.slot == "shift_time":
        times = [m for m in mentions if m.kind == "time"]
        if not times:
            return None, "That is not a time I can read; say for example '8:30' or '7 pm'."
        return str(times[0].value), None
    if step.slot == "direction":
        for value, pattern in _DIRECTIONS.items():
            if pattern.search(answer):
                return value, None
        return None, "Say 'pickup' (LOGIN) or 'drop' (LOGOUT)."
    if step.slot == "stops":
        found = stop_list(answer)
        items = found[0] if found else [s.strip() for s in re.split(r",|\band\b", answer)]
        items = [s for s in items if s]
        if len(items) < 2:
            return None, "A path needs at least two stops, in order."
        return items, None
    if step.slot == "vehicle":
        plates = [m for m in mentions if m.kind == "registration"]
        if not plates:
            return None, "That is not a registration; give one like KA-01-AB-1234, or 'skip'."
        return str(plates[0].value), None
    return answer, None
