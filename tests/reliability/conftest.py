"""Fixtures of the reliability tests: a fresh demo database per test, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from tests.engine.support import Demo, Rows, build


@pytest.fixture
async def demo(db_url: str) -> Demo:
    """The default demo (300 trips, seed 7, today 2026-11-28), fresh for this test."""
    return await build(db_url)


@pytest.fixture
async def rows(demo: Demo) -> AsyncIterator[Rows]:
    found = Rows(demo.url)
    try:
        yield found
    finally:
        await found.close()
