"""Fixtures of the resolver tests: the demo built once per module and backend, the 20,000-trip
demo built once per backend for the modules that ask for it, sessions on them."""

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


SCALE_TRIPS = 20_000
"""The large demo: every route runs on about thirty days, and about 120 numbered paths a day
("Path-17" has neighbours that hold 17: Path-117)."""


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def scale_demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Demo]:
    """The 20,000-trip demo on each backend, built once for every module that uses it (they only
    read, or write in a :func:`~tests.resolve.support.scratch` session that is rolled back)."""
    spec = DemoSpec(today=TODAY, trips=SCALE_TRIPS)
    yield from build_once(request.param, tmp_path_factory, spec)


@pytest.fixture
async def session(demo: Demo) -> AsyncIterator[AsyncSession]:
    """A read-only session on the demo, as the engine gives resolvers."""
    engine = make_engine(demo.url)
    try:
        async with read_only(engine) as ro:
            yield ro
    finally:
        await engine.dispose()
