"""``movi demo``: build the demo database and play a short scripted conversation.

The script shows what movi is for: a read, a recommendation and an assignment, the
remove-vehicle confirmation with its booking numbers, an ambiguous trip name settled by picking
an option, a page refusal, a bulk preview declined, a stop created on manageRoute, a dry run, and
an undo. Trip ids come from the demo data's hard cases, so the script fits any seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from movi.engine import Movi
from movi.reply import Reply
from movi.store import create_schema, drop_schema, make_engine
from movi.store.demo import DemoSpec, DemoSummary, build_demo, describe

B, M = "busDashboard", "manageRoute"


@dataclass
class Line:
    page: str
    text: str | Callable[[dict[str, Any]], str]
    note: str = ""
    if_asked: bool = False  # only when the previous reply asked for a confirmation


def script(cases: dict[str, list[int]]) -> list[Line]:
    busy = cases["remove_vehicle_with_bookings"][0]
    empty = cases["no_vehicle"][0]
    other = cases["same_time_several_paths"][-1]
    return [
        Line(B, f"show details of trip {busy}", "a read"),
        Line(B, f"recommend a vehicle for trip {empty}", "a recommendation"),
        Line(B, lambda seen: f"assign {seen['recommended']} to trip {empty}", "an assignment"),
        Line(B, "yes", if_asked=True),
        Line(B, f"remove the vehicle from trip {busy}", "a risky change asks first"),
        Line(B, "why?", "explain the decision"),
        Line(B, "yes"),
        Line(B, "show the Path-1 trip", "one name, several times"),
        Line(B, "the second one"),
        Line(B, "rename stop Peenya to Peenya Metro", "the page decides what may be done"),
        Line(B, "cancel all trips tomorrow", "a bulk action always previews"),
        Line(B, "no"),
        Line(M, "create a stop called Hebbal Flyover at 13.04, 77.59", "the network"),
        Line(M, "yes", if_asked=True),
        Line(B, f"what happens if I cancel trip {other}", "a dry run"),
        Line(M, "undo", "undo the last change of this session"),
    ]


async def play(url: str, *, today: date, out: Callable[[str], None] = print) -> list[Reply]:
    engine = make_engine(url)
    try:
        await drop_schema(engine)
        await create_schema(engine)
        summary: DemoSummary = await build_demo(engine, DemoSpec(today=today))
    finally:
        await engine.dispose()
    out(f"movi demo database: {url}")
    out(describe(summary))
    out("")
    replies: list[Reply] = []
    seen: dict[str, Any] = {}
    async with await Movi.open(url, today=today, role="admin") as movi:
        for line in script(summary.hard_cases):
            if callable(line.text) and not seen:
                continue  # the step it builds on found nothing to work with
            if line.if_asked and (not replies or replies[-1].status != "needs_confirmation"):
                continue
            text = line.text(seen) if callable(line.text) else line.text
            if line.note:
                out(f"  — {line.note} —")
            out(f"operator ({line.page})> {text}")
            reply = await movi.handle(text, page=line.page, session_id="demo", user_id="demo")
            replies.append(reply)
            if reply.action == "recommend_vehicle_for_trip" and reply.data:
                seen["recommended"] = reply.data[0]["registration_number"]
            message = reply.message.replace("\n", "\n      ")
            out(f"movi [{reply.status}]: {message}")
            out("")
    return replies
