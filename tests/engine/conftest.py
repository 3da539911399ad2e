"""Fixtures of the engine tests: the demo database on SQLite and PostgreSQL, movi on it.

Tests that write get a fresh demo each (``demo``: built into the ``db_url`` database, 0.1-0.3 s).
Tests that only read share one build per module and backend (``shared_demo``); they use session
ids of their own, and ``read_movi`` checks afterwards that nothing was written.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from tests.engine.support import TODAY, Demo, Rows, build, build_once

from movi.engine import Movi


@pytest.fixture
async def demo(db_url: str) -> Demo:
    """The default demo (300 trips, seed 7, today 2026-11-28), fresh for this test.

    Its build creates the schema, so the fixtures open movi with ``create=False``; the tests that
    open movi themselves use the default and check the schema again.
    """
    return await build(db_url)


@pytest.fixture
async def movi(demo: Demo) -> AsyncIterator[Movi]:
    """movi on the demo, as an admin, with today fixed."""
    engine = await Movi.open(demo.url, today=TODAY, role="admin", create=False)
    try:
        yield engine
    finally:
        await engine.close()


@pytest.fixture
async def rows(demo: Demo) -> AsyncIterator[Rows]:
    """The tests' own view of the demo's rows."""
    found = Rows(demo.url)
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
async def shared_rows(shared_demo: Demo) -> AsyncIterator[Rows]:
    found = Rows(shared_demo.url)
    try:
        yield found
    finally:
        await found.close()


@pytest.fixture
async def read_movi(shared_demo: Demo, shared_rows: Rows) -> AsyncIterator[Movi]:
    """movi on the shared demo; the test fails if it wrote anything."""
    before = await shared_rows.counts()
    engine = await Movi.open(shared_demo.url, today=TODAY, role="admin", create=False)
    try:
        yield engine
    finally:
        await engine.close()
    assert await shared_rows.counts() == before, "a read-only test wrote to the shared demo"
