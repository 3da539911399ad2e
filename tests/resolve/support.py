"""Helpers for the resolver tests: a demo database built once, and sessions on it.

The resolvers only read, so every test of a module shares one build (a SQLite file or a
PostgreSQL schema). Each test opens its own engine on its own event loop; tests that insert rows
do it in :func:`scratch`, a transaction that is always rolled back.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from tests.conftest import PG_SKIP_REASON, drop_pg_test_schema, pg_dsn

from movi.store import create_schema, make_engine, pg_schema_url, session_factory
from movi.store.demo import DemoSpec, DemoSummary, build_demo
from movi.store.schema import Base, DailyTrip

TODAY = date(2026, 11, 28)


@dataclass(frozen=True)
class Demo:
    """A built demo: where it is and what the build says about it."""

    url: str
    summary: DemoSummary


async def _build(url: str, spec: DemoSpec) -> DemoSummary:
    engine = make_engine(url)
    try:
        await create_schema(engine)
        return await build_demo(engine, spec)
    finally:
        await engine.dispose()


def build_once(
    backend: str, tmp_path_factory: pytest.TempPathFactory, spec: DemoSpec
) -> Iterator[Demo]:
    """Build ``spec`` on ``backend`` (in a loop of its own) and remove it afterwards."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("resolve") / "movi.db"
        url = f"sqlite+aiosqlite:///{path}"
        yield Demo(url, asyncio.run(_build(url, spec)))
        return
    dsn = pg_dsn()
    if dsn is None:
        pytest.skip(PG_SKIP_REASON)
    url = pg_schema_url(dsn, f"movi_r_{uuid.uuid4().hex[:12]}")
    try:
        yield Demo(url, asyncio.run(_build(url, spec)))
    finally:
        drop_pg_test_schema(url)


@asynccontextmanager
async def scratch(demo: Demo) -> AsyncIterator[AsyncSession]:
    """A session whose inserts the test may resolve against; rolled back at the end."""
    engine = make_engine(demo.url)
    try:
        async with session_factory(engine)() as rw:
            try:
                yield rw
            finally:
                await rw.rollback()
    finally:
        await engine.dispose()


async def all_rows(session: AsyncSession, model: type[Base]) -> list[Row[Any]]:
    """Every row of ``model``'s table, as plain rows (the tests' own view of the data)."""
    table = Base.metadata.tables[model.__tablename__]
    return list(await session.execute(select(table)))


async def trip_row(session: AsyncSession, trip_id: int) -> Row[Any]:
    table = Base.metadata.tables[DailyTrip.__tablename__]
    return (await session.execute(select(table).where(table.c.trip_id == trip_id))).one()


def stem(display_name: str) -> str:
    """The name part of "<name> - HH:MM"."""
    return display_name.rsplit(" - ", 1)[0]
