"""``movi demo``: the scripted conversation runs end to end and prints a readable transcript."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.flows.support import TODAY

from movi.demo import play

#: (what the operator says, a fragment of movi's answer, its status), in the order of the script.
EXPECTED = [
    ("show details of trip", "10 of 40 seats booked", "completed"),  # a read
    ("recommend a vehicle for trip", "I suggest", "completed"),
    ("assign ", "Assigned ", "completed"),  # an assignment
    ("remove the vehicle from trip", "(10 of 40 seats)", "needs_confirmation"),
    ("why?", "10 confirmed bookings", "completed"),
    ("yes", "10 bookings cancelled", "completed"),
    ("show the Path-1 trip", "Several trips match", "needs_clarification"),
    ("the second one", "Path-1 - 08:00", "completed"),  # options resolved by choice
    ("rename stop Peenya to Peenya Metro", "manageRoute page", "rejected"),  # page refusal
    ("cancel all trips tomorrow", "This will cancel", "needs_confirmation"),
    ("no", "nothing was changed", "cancelled"),  # bulk preview declined
    (
        "create a stop called Hebbal Flyover",
        "Created stop Hebbal Flyover at 13.04, 77.59",
        "completed",
    ),  # stop created (a complete creation needs no confirmation)
    ("what happens if I cancel trip", "Nothing was changed", "completed"),  # simulate
    ("undo", "Undid create stop", "completed"),  # undo
]

TURN = re.compile(r"^operator \((\w+)\)> (.*)\nmovi \[(\w+)\]: (.*)$", re.MULTILINE)


def check_transcript(turns: list[tuple[str, str, str]]) -> None:
    """``turns``: (operator text, movi's message, status) as played."""
    assert len(turns) == len(EXPECTED), turns
    for (said, answer, status), (text, fragment, wanted) in zip(turns, EXPECTED, strict=True):
        assert said.startswith(text), (said, text)
        assert status == wanted, (said, status, answer)
        assert fragment in answer, (said, fragment, answer)


def test_movi_demo_prints_the_transcript(tmp_path: Path) -> None:
    db = tmp_path / "movi.db"
    started = time.perf_counter()
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "movi.cli",
            "demo",
            "--db",
            f"sqlite+aiosqlite:///{db}",
            "--today",
            TODAY.isoformat(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    elapsed = time.perf_counter() - started
    assert run.returncode == 0, run.stderr
    assert elapsed < 10, f"the demo took {elapsed:.1f} s"
    out = run.stdout
    assert "demo network (seed 7, today 2026-11-28)" in out
    turns = [(said, answer, status) for _, said, status, answer in TURN.findall(out)]
    check_transcript(turns)
    for note in ("a read", "an assignment", "a risky change asks first", "a dry run"):
        assert f"— {note} —" in out

    # What the transcript claims is what the database holds.
    with sqlite3.connect(db) as conn:
        actions = [a for (a,) in conn.execute("SELECT action FROM audit_log ORDER BY log_id")]
        stop = conn.execute("SELECT count(*) FROM stops WHERE name = 'Hebbal Flyover'").fetchone()
    assert actions == ["assign_vehicle", "remove_vehicle", "create_stop", "undo_last_action"]
    assert stop == (0,)  # created, then undone


async def test_the_demo_script_plays_on_both_backends(db_url: str) -> None:
    lines: list[str] = []
    replies = await play(db_url, today=TODAY, out=lines.append)
    out = "\n".join(lines)
    turns = [(said, answer, status) for _, said, status, answer in TURN.findall(out)]
    check_transcript(turns)
    assert [r.status for r in replies] == [status for _, _, status in EXPECTED]
