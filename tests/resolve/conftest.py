"""Fixtures of the resolver tests: the demo built once per module and backend, sessions on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from tests.resolve.support import TODAY, Demo, build_once

from movi.store import make_engine, read_only
from movi.store.demo import DemoSpec


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Demo]:
    """The default demo (300 trips, seed 7, today 2026-11-28) on each backend."""
    yield from build_once(request.param, tmp_path_factory, DemoSpec(today=TODAY))


@pytest.fixture
async def session(demo: Demo) -> AsyncIterator[AsyncSession]:
    """A read-only session on the demo, as the engine gives resolvers."""
    engine = make_engine(demo.url)
    try:
        async with read_only(engine) as ro:
            yield ro
    finally:
        await engine.dispose()
