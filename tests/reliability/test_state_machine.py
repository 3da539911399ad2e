"""SPEC section 5 under random conversations: a hypothesis state machine (issue 7, item 3).

Random real commands (reads, risky and bulk ones), pages, roles and sessions, interleaved with
answers ("yes", "no", "2", "option 1"), go through ``Movi.handle``. After every step the database
alone must show:

- no write without its audit batch (row counts and row versions move only with new audit rows),
- at most one audit batch per message, in the message's session, for a completed write,
- a bulk write, or a risky write whose check found something, only on a "yes" that claimed a
  confirmation asked in that session; each asked confirmation executes at most once,
- nothing written by a reply that refused (role, page or anything else), and nothing the role or
  page does not allow,
- a session's open confirmation is in ``agent_sessions`` when the reply asked for one.

CI runs ≥ 10,000 steps on SQLite (split over two worker processes, each on its own copy of
the demo database, restored from the copy after an example that wrote) and 1,000 on
PostgreSQL. A nightly-sized run sets the step counts in the environment, e.g.::

    MOVI_STATE_MACHINE_STEPS=200000 MOVI_STATE_MACHINE_PG_STEPS=20000 \\
        .venv/bin/python -m pytest tests/reliability/test_state_machine.py
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pytest
from tests.conftest import PG_SKIP_REASON, drop_pg_test_schema, pg_dsn
from tests.engine.support import build
from tests.reliability.machine import (
    PG_STEPS,
    SQLITE_STEPS,
    Fixture,
    _close_loop,
    _trips,
    play,
    play_sqlite,
    run,
)

from movi.store import pg_schema_url

WORKERS = max(1, min(2, os.cpu_count() or 1))


def test_spec_section_5_holds_over_random_conversations_sqlite(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # Memory-backed when the machine has /dev/shm: the steps are I/O-bound on a plain disk.
    shm = Path("/dev/shm")
    folder = (
        Path(tempfile.mkdtemp(prefix="movi-machine-", dir=shm))
        if shm.is_dir() and os.access(shm, os.W_OK)
        else tmp_path_factory.mktemp("machine")
    )
    try:
        template = folder / "template.db"
        demo = asyncio.run(build(f"sqlite+aiosqlite:///{template}"))
        trips = asyncio.run(_trips(demo.url, demo.cases))
        share = -(-SQLITE_STEPS // WORKERS)
        places = [folder / f"worker-{n}" for n in range(WORKERS)]
        for place in places:
            place.mkdir()
        with ProcessPoolExecutor(WORKERS, mp_context=get_context("spawn")) as pool:
            results = list(
                pool.map(
                    play_sqlite,
                    [str(template)] * WORKERS,
                    [str(p) for p in places],
                    [trips] * WORKERS,
                    [share] * WORKERS,
                )
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    steps = sum(r["steps"] for r in results)
    print(f"state machine on SQLite: {results}")
    assert steps >= SQLITE_STEPS
    assert sum(r["writes"] for r in results) > 0


def test_spec_section_5_holds_over_random_conversations_postgres() -> None:
    dsn = pg_dsn()
    if dsn is None:
        pytest.skip(PG_SKIP_REASON)

    def fresh_url() -> str:
        assert dsn is not None
        return pg_schema_url(dsn, f"movi_m_{uuid.uuid4().hex[:12]}")

    drop = drop_pg_test_schema

    url = fresh_url()
    fixture = Fixture(url, {}, None)
    try:
        demo = run(build(url))

        def restore() -> None:
            # A fresh schema per restore (a build is ~0.3 s, so only after an example wrote).
            old, fixture.url = fixture.url, fresh_url()
            run(build(fixture.url))
            drop(old)

        fixture.trips = run(_trips(url, demo.cases))
        fixture.restore = restore
        play(fixture, PG_STEPS)
        assert fixture.steps >= PG_STEPS
    finally:
        _close_loop()
        drop(fixture.url)
