"""``movi chat --script FILE --json`` as SPEC section 4 describes it, in real processes.

One JSON reply per input line, with the SPEC's statuses; a session id given again in a later
process continues that conversation, its pending confirmation included, which executes once.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from tests.engine.support import TODAY, Demo, Rows

STATUSES = {
    "completed",
    "needs_confirmation",
    "needs_clarification",
    "rejected",
    "not_found",
    "failed",
    "cancelled",
}


async def chat(
    demo: Demo, script: Path, lines: list[dict[str, Any] | str], *, session: str
) -> list[dict[str, Any]]:
    """Run ``movi chat`` on ``lines`` in a process of its own; its replies, one per line."""
    text = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    await asyncio.to_thread(script.write_text, text, encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "movi.cli",
        "chat",
        "--script",
        str(script),
        "--json",
        "--db",
        demo.url,
        "--today",
        TODAY.isoformat(),
        "--session",
        session,
        "--user",
        "ops-7",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    replies = [json.loads(line) for line in out.decode().splitlines()]
    assert len(replies) == len(lines), out.decode()
    for reply in replies:
        assert reply["status"] in STATUSES
        assert isinstance(reply["message"], str) and reply["message"]
    return replies


async def test_script_prints_one_json_reply_per_line(
    demo: Demo, rows: Rows, tmp_path: Path
) -> None:
    trip = demo.cases["remove_vehicle_with_bookings"][0]
    since = await rows.last_log_id()
    first = await chat(
        demo,
        tmp_path / "first.jsonl",
        [
            {"text": f"show details of trip {trip}"},
            {"text": "show details of the Path-1 trip"},
            {"text": "2"},
            {"text": "list all stops"},
            {"text": "list all stops", "page": "manageRoute"},
            {"text": "cancel it", "selected_trip_id": trip},
            {"text": "no"},
            "this is not json",
            {"text": ""},
            {"text": f"remove the vehicle from trip {trip}"},
        ],
        session="cli-1",
    )
    assert [r["status"] for r in first] == [
        "completed",
        "needs_clarification",
        "completed",
        "rejected",
        "completed",
        "needs_confirmation",
        "cancelled",
        "rejected",
        "rejected",
        "needs_confirmation",
    ]
    assert first[0]["data"]["trip_id"] == trip
    assert [o["number"] for o in first[1]["options"]][:3] == [1, 2, 3]
    assert first[2]["data"]["trip_id"] == trip
    assert "line 8" in first[7]["message"]
    assert "10 of 40 seats" in first[9]["message"]
    assert first[9]["consequences"][0]["code"] == "bookings_affected"
    assert "trace" not in first[0]
    assert (await rows.trip(trip))["vehicle_id"] is not None

    # A later process with the same session answers the question the first one asked.
    second = await chat(demo, tmp_path / "second.jsonl", [{"text": "yes"}] * 2, session="cli-1")
    assert second[0]["status"] == "completed", second
    assert second[1]["status"] != "completed"
    assert "KA-01-AB-1234" in second[0]["message"]
    after = await rows.trip(trip)
    assert (after["vehicle_id"], after["booked"]) == (None, 0)
    await rows.one_audit(since, action="remove_vehicle", entity_type="trip", entity_id=trip)
