"""Reading the model's answer: untrusted text in, a checked ``Intent(source="llm")`` out.

The answer must be one JSON object (a code fence around it is tolerated, prose is not) with
``action``, ``slots`` and ``confidence``. Everything else is treated the way the rules parser's
output would be: an action outside the catalogue becomes ``unknown``; a slot the action does not
take is dropped; every value is normalised again by the same extractors the rules use ("8am" →
"08:00", "tomorrow" → an ISO date, "in progress" → IN_PROGRESS) and dropped when it does not
read as its slot; the confidence is clamped to [0, 1]. Extra keys ("confirmed": true) are
ignored: nothing the model says can skip a step of the pipeline.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from movi.errors import LLMError
from movi.grammar.extractors import extract_all
from movi.intent import Intent
from movi.llm.catalogue import SIMULATE, UNKNOWN, Catalogue


class InvalidAnswer(LLMError):
    """The model's answer is not the JSON object it was asked for (the fallback retries once)."""

    code = "M601"


#: Integer slots and the extractor kinds that may carry their value in words.
INT_SLOTS: dict[str, tuple[str, ...]] = {
    "trip_id": ("trip_id", "number"),
    "minutes": ("duration", "number"),
    "days": ("days", "number"),
    "count": ("quantity", "number"),
    "capacity": ("quantity", "number"),
    "option": ("ordinal", "number"),
}
TIME_SLOTS = frozenset({"trip_time", "new_time", "shift_time"})
DATE_SLOTS = frozenset({"date", "new_date"})
FLOAT_SLOTS = {"latitude": 90.0, "longitude": 180.0}
MAX_TEXT = 200
"""A name, reason or description longer than this is not one."""
MAX_INT = 2**31 - 1

_FENCE = re.compile(r"^```[a-zA-Z]*\s*\n?(?P<body>.*?)\n?\s*```$", re.DOTALL)
_HHMM = re.compile(r"^(?P<h>\d{1,2}):(?P<m>\d{2})$")
_TRIP_LABEL = re.compile(r"^(?P<name>.+?)\s*[-–]\s*(?P<time>\d{1,2}:\d{2})$")
_LIST_SPLIT = re.compile(r"\s*(?:,|;|->|→|\band then\b|\bthen\b|\band\b)\s*", re.IGNORECASE)


class RawAnswer(BaseModel):
    """The object the model was asked for; any other key is ignored."""

    model_config = ConfigDict(extra="ignore")

    action: str = Field(min_length=1, max_length=64)
    slots: dict[str, Any] = Field(default_factory=dict)
    confidence: float

    @field_validator("slots", mode="before")
    @classmethod
    def _no_slots(cls, value: Any) -> Any:
        return {} if value is None else value

    @field_validator("confidence", mode="before")
    @classmethod
    def _clamped(cls, value: Any) -> float:
        if isinstance(value, bool):
            raise ValueError("confidence must be a number between 0 and 1")
        number = float(value)
        if math.isnan(number):
            raise ValueError("confidence is not a number")
        return min(1.0, max(0.0, number))


def loads_object(content: str | None) -> dict[str, Any]:
    """The JSON object in ``content``; InvalidAnswer for anything else."""
    if content is None or not content.strip():
        raise InvalidAnswer("the answer is empty")
    text = content.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group("body").strip()
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidAnswer(f"the answer is not JSON ({exc.msg} at {exc.pos})") from None
    if not isinstance(value, dict):
        raise InvalidAnswer(f"the answer is JSON but not an object (a {type(value).__name__})")
    return value


def read_answer(
    content: str | None, *, catalogue: Catalogue, today: date, model: str = ""
) -> Intent:
    """The model's answer as an intent of the catalogue, with every slot checked."""
    try:
        raw = RawAnswer.model_validate(loads_object(content))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'answer'}: {e['msg']}" for e in exc.errors()
        )
        wanted = "{action, slots, confidence}"
        raise InvalidAnswer(f"the answer is not {wanted}: {problems}") from None
    trace = [f"llm {model}: {raw.action} {sorted(raw.slots)} confidence {raw.confidence:.2f}"]
    action = raw.action.strip()
    if action not in catalogue.actions:
        if action != UNKNOWN:
            trace.append(f"action {action!r} is not in the catalogue: unknown")
        return Intent(action=UNKNOWN, confidence=raw.confidence, source="llm", trace=tuple(trace))
    slots, dropped = normalise_slots(action, raw.slots, catalogue=catalogue, today=today)
    if dropped:
        trace.append("dropped: " + ", ".join(dropped))
    return Intent(
        action=action,
        slots=slots,
        confidence=round(raw.confidence, 3),
        source="llm",
        trace=tuple(trace),
    )


def normalise_slots(
    action: str, raw: dict[str, Any], *, catalogue: Catalogue, today: date
) -> tuple[dict[str, Any], list[str]]:
    """The slots ``action`` takes, in normal form, and what was dropped (with why)."""
    slots: dict[str, Any] = {}
    dropped: list[str] = []
    target: str | None = None
    if action == SIMULATE:
        candidate = raw.get("target_action")
        if isinstance(candidate, str) and catalogue.simulatable(candidate.strip()):
            target = candidate.strip()
            slots["target_action"] = target
        elif "target_action" in raw:
            dropped.append(f"target_action {candidate!r} (not a catalogue action)")
    allowed = catalogue.allowed(action, target)
    status_action = target or action
    for name, value in raw.items():
        if name == "target_action" and action == SIMULATE:
            continue
        if name not in allowed:
            dropped.append(f"{name} (not a slot of {status_action})")
            continue
        if value is None or value == "" or value == []:
            continue
        normal = _normal(name, value, status_action, catalogue, today)
        if normal is None:
            dropped.append(f"{name} {value!r} (not a valid {name})")
        else:
            slots[name] = normal
    _split_trip_label(slots, allowed)
    return slots, dropped


def _normal(name: str, value: Any, action: str, catalogue: Catalogue, today: date) -> Any:
    if name in INT_SLOTS:
        least = 1 if name in ("trip_id", "option") else 0
        return _int(value, INT_SLOTS[name], today, minimum=least)
    if name in TIME_SLOTS:
        return _time(value, today)
    if name in DATE_SLOTS:
        return _date(value, today)
    if name in FLOAT_SLOTS:
        return _float(value, FLOAT_SLOTS[name])
    if name == "status":
        entry = catalogue.actions.get(action)
        values = entry.statuses if entry else ()
        return _enum(value, values, catalogue.phrases.get(f"status:{action}", {}))
    if name in catalogue.enums:
        return _enum(value, catalogue.enums[name], catalogue.phrases.get(name, {}))
    if name == "stops":
        return _stops(value)
    if name == "vehicle":
        return _registration(value, today)
    return _text(value)


def _int(value: Any, kinds: tuple[str, ...], today: date, *, minimum: int) -> int | None:
    number: int | None = None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str):
        text = value.strip().lstrip("#")
        if text.isdigit():
            number = int(text)
        else:
            found = _first(text, today, kinds)
            number = found if isinstance(found, int) and not isinstance(found, bool) else None
    if number is None or not minimum <= number <= MAX_INT:
        return None
    return number


def _time(value: Any, today: date) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    hhmm = _HHMM.match(text)
    if hhmm:
        h, m = int(hhmm["h"]), int(hhmm["m"])
        return f"{h:02d}:{m:02d}" if h < 24 and m < 60 else None
    found = _first(text, today, ("time",))
    return found if isinstance(found, str) else None


def _date(value: Any, today: date) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    found = _first(text, today, ("date",))
    return str(found) if found else None


def _first(text: str, today: date, kinds: tuple[str, ...]) -> object:
    """The value of the first mention of one of ``kinds`` (in that order of preference)."""
    mentions = extract_all(text[:MAX_TEXT], today=today)
    for kind in kinds:
        for mention in mentions:
            if mention.kind == kind and mention.value is not None:
                return mention.value
    return None


def _float(value: Any, limit: float) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and -limit <= number <= limit else None


def _enum(value: Any, values: tuple[str, ...], phrases: dict[str, str]) -> str | None:
    if not isinstance(value, str) or not values:
        return None
    text = value.strip()
    upper = re.sub(r"[\s-]+", "_", text.upper())
    if upper in values:
        return upper
    return phrases.get(text.lower())


def _stops(value: Any) -> list[str] | None:
    if isinstance(value, str):
        items: list[Any] = _LIST_SPLIT.split(value)
    elif isinstance(value, list):
        items = value
    else:
        return None
    stops = [_text(item) for item in items]
    clean = [s for s in stops if s]
    return clean if len(clean) == len(stops) and clean else None


def _registration(value: Any, today: date) -> str | None:
    text = _text(value)
    if text is None:
        return None
    found = _first(text, today, ("registration",))
    return found if isinstance(found, str) else text


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = " ".join(str(value).split()).strip(" .,;:!?\"'")
    return text if text and len(text) <= MAX_TEXT else None


def _split_trip_label(slots: dict[str, Any], allowed: frozenset[str]) -> None:
    """ "Path-2 - 08:00" given as the trip name is a name and a time (SPEC section 3)."""
    name = slots.get("trip_name")
    if not isinstance(name, str) or "trip_time" not in allowed:
        return
    label = _TRIP_LABEL.match(name)
    if label is None:
        return
    slots["trip_name"] = label["name"].strip()
    h, m = (int(x) for x in label["time"].split(":"))
    if "trip_time" not in slots and h < 24 and m < 60:
        slots["trip_time"] = f"{h:02d}:{m:02d}"
