"""What ``Movi.open`` prepares before the first command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import asyncio, sys
from movi import Movi

async def main() -> None:
    movi = await Movi.open("sqlite+aiosqlite:///" + sys.argv[1], role="admin")
    try:
        print(len(movi.grammar._phrasebook or ()))
    finally:
        await movi.close()

asyncio.run(main())
"""


def test_open_loads_the_phrasebook_before_the_first_command(tmp_path: Path) -> None:
    """In a fresh process (the grammar is shared per process): the back-off's examples are
    shaped at open, off the event loop, not inside the first command no pattern matches."""
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "open.db")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert int(done.stdout.strip()) > 3000


def test_the_front_door_names_come_from_movi_and_load_only_when_asked_for() -> None:
    code = (
        "import sys, movi\n"
        "print('sqlalchemy' in sys.modules, 'movi.engine' in sys.modules)\n"
        "from movi import Movi, Reply, LLMConfig, Event, Subscription\n"
        "from movi.engine import Movi as M\n"
        "print(Movi is M, 'litellm' in sys.modules)\n"
        "try:\n"
        "    movi.Nope\n"
        "except AttributeError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == [
        "False False",
        "True False",
        "module 'movi' has no attribute 'Nope'",
    ]
