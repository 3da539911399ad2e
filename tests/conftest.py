"""Shared fixtures: a real SQLite file per test, and a private schema on a real PostgreSQL server.

PostgreSQL tests read ``MOVI_TEST_PG_DSN`` (``.ci/run`` sets it); without it they skip and say why.
Each test gets its own schema (``?schema=movi_t_…``), dropped afterwards, so runs never see each
other's rows.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from movi.store import create_schema, drop_pg_schema, make_engine, pg_schema_url

PG_DSN_ENV = "MOVI_TEST_PG_DSN"
PG_SKIP_REASON = (
    f"{PG_DSN_ENV} is not set: PostgreSQL tests need a server "
    "(e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test; .ci/run sets it)"
)


def pg_dsn() -> str | None:
    return os.environ.get(PG_DSN_ENV) or None


def drop_pg_test_schema(url: str) -> None:
    """Drop the private schema of a ``?schema=`` test URL (from a fixture's teardown)."""
    asyncio.run(drop_pg_schema(url))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'movi.db'}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    dsn = pg_dsn()
    if dsn is None:
        pytest.skip(PG_SKIP_REASON)
    url = pg_schema_url(dsn, f"movi_t_{uuid.uuid4().hex[:12]}")
    yield url
    drop_pg_test_schema(url)


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    """The same test on both backends."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    url: str = request.getfixturevalue(name)
    return url


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine with the movi schema created, on each backend."""
    eng = make_engine(db_url)
    await create_schema(eng)
    try:
        yield eng
    finally:
        await eng.dispose()
