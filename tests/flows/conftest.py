"""Fixtures of the flow tests: the demo on SQLite and PostgreSQL, movi on it, our own view of it.

Tests that write get a fresh demo each (``demo``, built into the ``db_url`` database). Tests that
only read share one build per module and backend (``shared_demo``); ``read_movi`` checks
afterwards that they wrote nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from tests.flows.support import MORNING, Db, Demo, build, build_once, open_movi

from movi.engine import Movi


@pytest.fixture
async def demo(db_url: str) -> Demo:
    """The default demo (300 trips, seed 7, today 2026-11-28), fresh for this test."""
    return await build(db_url)


@pytest.fixture
async def movi(demo: Demo) -> AsyncIterator[Movi]:
    """movi on the fresh demo, as an admin, with today fixed (the clock is the real one)."""
    engine = await open_movi(demo.url)
    try:
        yield engine
    finally:
        await engine.close()


@pytest.fixture
async def db(demo: Demo) -> AsyncIterator[Db]:
    found = Db(demo.url)
    try:
        yield found
    finally:
        await found.close()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def shared_demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Demo]:
    """One demo per module and backend, for tests that only read."""
    yield from build_once(request.param, tmp_path_factory)


@pytest.fixture
async def shared_db(shared_demo: Demo) -> AsyncIterator[Db]:
    found = Db(shared_demo.url)
    try:
        yield found
    finally:
        await found.close()


@pytest.fixture
async def read_movi(shared_demo: Demo, shared_db: Db) -> AsyncIterator[Movi]:
    """movi on the shared demo at the demo's 07:00; the test fails if anything was written."""
    before = await shared_db.counts()
    engine = await open_movi(shared_demo.url, clock=MORNING)
    try:
        yield engine
    finally:
        await engine.close()
    assert await shared_db.counts() == before, "a read-only test wrote to the shared demo"
