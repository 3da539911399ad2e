"""One async engine factory for SQLite and PostgreSQL, the schema's lifecycle, and error mapping.

SQLite is made safe for several writers: WAL (readers never block the writer), foreign keys on,
a busy timeout, and SQLAlchemy's documented recipe for explicit transactions -- the driver's own
transaction handling is switched off on connect and every transaction starts with
``BEGIN IMMEDIATE``, so the write lock is taken at the start of the transaction, not at its first
write. Without it two read-modify-write transactions both read the old value (SQLite ignores
``FOR UPDATE``) and one update is lost. A read-only unit of work may ask for a deferred
``BEGIN`` with :func:`read_only`.

PostgreSQL writes lock what they change with ``SELECT … FOR UPDATE`` (see :func:`for_update`).
A PostgreSQL URL may carry ``?schema=NAME``: the engine then works inside that schema (created if
needed), which is how test runs and tenants keep their rows apart on one server.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Select, event, insert, select, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    OperationalError,
    StatementError,
)
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm.exc import StaleDataError

from movi.errors import (
    ConcurrencyError,
    ConfigError,
    IntegrityViolation,
    SchemaVersionError,
    StorageError,
)
from movi.store.schema import SCHEMA_VERSION, Base, SchemaInfo

DEFAULT_URL = "sqlite+aiosqlite:///movi.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite writer waits for the lock before giving up (``PRAGMA busy_timeout``)."""

_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_READ_ONLY = "movi_read_only"
_PG_SCHEMAS: WeakKeyDictionary[Engine, str | None] = WeakKeyDictionary()

T = TypeVar("T", bound=Select[Any])


def database_url(url: str | None = None) -> str:
    """The URL to use: the argument, else ``MOVI_DB_URL``, else the SQLite file ``movi.db``."""
    return url or os.environ.get("MOVI_DB_URL") or DEFAULT_URL


def _split_schema(url: URL) -> tuple[URL, str | None]:
    schema = url.query.get("schema")
    if schema is None:
        return url, None
    if isinstance(schema, tuple):
        schema = schema[-1]
    if not _SCHEMA_NAME.match(schema):
        raise ConfigError(f"schema name {schema!r} in the database URL is not a plain identifier")
    return url.difference_update_query(["schema"]), schema


def make_engine(url: str | None = None, *, echo: bool = False, **kwargs: Any) -> AsyncEngine:
    """Create the async engine for ``url`` (see :func:`database_url`), configured for safe writes.

    >>> engine = make_engine("sqlite+aiosqlite:///:memory:")
    >>> engine.dialect.name
    'sqlite'
    """
    parsed = make_url(database_url(url))
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.get_driver_name() != "aiosqlite":
            raise ConfigError("SQLite URLs must use the async driver: sqlite+aiosqlite:///FILE")
        kwargs.setdefault("connect_args", {}).setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
        engine = create_async_engine(parsed, echo=echo, **kwargs)
        _configure_sqlite(engine)
        return engine
    if backend == "postgresql":
        if parsed.get_driver_name() != "asyncpg":
            raise ConfigError("PostgreSQL URLs must use the async driver: postgresql+asyncpg://…")
        parsed, schema = _split_schema(parsed)
        if schema is not None:
            settings = kwargs.setdefault("connect_args", {}).setdefault("server_settings", {})
            settings["search_path"] = schema
        kwargs.setdefault("pool_pre_ping", True)
        engine = create_async_engine(parsed, echo=echo, **kwargs)
        _PG_SCHEMAS[engine.sync_engine] = schema
        return engine
    raise ConfigError(
        f"unsupported database {backend!r}: use sqlite+aiosqlite:///FILE or postgresql+asyncpg://…"
    )


def pg_schema(engine: AsyncEngine | Engine) -> str | None:
    """The schema named by a PostgreSQL URL's ``?schema=`` (None without one, or on SQLite)."""
    sync_engine = engine.sync_engine if isinstance(engine, AsyncEngine) else engine
    return _PG_SCHEMAS.get(sync_engine)


def _configure_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy's "begin" event below (documented recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA foreign_keys=ON",
            f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
            "PRAGMA synchronous=NORMAL",
        ):
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = "DEFERRED" if conn.get_execution_options().get(_READ_ONLY) else "IMMEDIATE"
        conn.exec_driver_sql(f"BEGIN {mode}")


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded rows usable after commit (one session per unit of work)."""
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def read_only(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session for reads only: on SQLite it begins DEFERRED and so never waits for writers."""
    async with engine.connect() as conn:
        ro = await conn.execution_options(**{_READ_ONLY: True})
        async with AsyncSession(bind=ro, expire_on_commit=False) as session, session.begin():
            yield session


def for_update(statement: T) -> T:
    """Lock the selected rows for this transaction (PostgreSQL ``FOR UPDATE``).

    On SQLite the clause is dropped by the dialect; the whole database is already locked by
    ``BEGIN IMMEDIATE``, so the effect is the same: no one else writes until we commit.
    """
    return statement.with_for_update()


@contextmanager
def mapped_errors() -> Iterator[None]:
    """Translate driver and ORM errors into movi's tree, at the store boundary."""
    try:
        yield
    except StaleDataError as exc:
        raise ConcurrencyError(
            "the row changed since it was read; read it again and retry"
        ) from exc
    except IntegrityError as exc:
        raise IntegrityViolation(f"the database refused the write: {_reason(exc)}") from exc
    except OperationalError as exc:
        raise StorageError(f"database unavailable or busy: {_reason(exc)}") from exc
    except DBAPIError as exc:
        if _is_bad_data(exc):
            raise IntegrityViolation(f"the database refused the value: {_reason(exc)}") from exc
        raise StorageError(f"database error: {_reason(exc)}") from exc
    except StatementError as exc:
        # An Enum column refuses an unknown value before the database sees it (LookupError).
        if isinstance(exc.orig, LookupError):
            raise IntegrityViolation(f"the write was refused: {exc.orig}") from exc
        raise
    except OSError as exc:  # asyncpg raises plain OSError / ConnectionRefusedError
        raise StorageError(f"cannot reach the database: {exc}") from exc


def _is_bad_data(exc: DBAPIError) -> bool:
    """A value the column cannot hold (too long, out of range): SQLSTATE class 22.

    asyncpg's data exceptions reach SQLAlchemy as a plain ``Error``, not ``DataError``, so the
    SQLSTATE is what tells them apart from an unavailable database.
    """
    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    return isinstance(exc, DataError) or str(sqlstate).startswith("22")


def _reason(exc: DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)


async def _ensure_pg_schema(engine: AsyncEngine, conn: AsyncConnection) -> None:
    schema = _PG_SCHEMAS.get(engine.sync_engine)
    if schema:  # validated by _split_schema: a plain identifier
        await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))


async def create_schema(engine: AsyncEngine) -> int:
    """Create every table that is missing and record the schema version; safe to call again.

    Several processes may call it at once on PostgreSQL: an advisory lock serialises them.
    Returns the schema version. Raises :class:`SchemaVersionError` for a database made by
    another schema version.
    """
    with mapped_errors():
        async with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                await conn.execute(text("SELECT pg_advisory_xact_lock(2026112801)"))
                await _ensure_pg_schema(engine, conn)
            await conn.run_sync(Base.metadata.create_all)
            found = (await conn.execute(select(SchemaInfo.version))).scalar_one_or_none()
            if found is None:
                await conn.execute(insert(SchemaInfo).values(id=1, version=SCHEMA_VERSION))
                return SCHEMA_VERSION
    if found != SCHEMA_VERSION:
        raise SchemaVersionError(
            f"the database has schema version {found}, this movi expects {SCHEMA_VERSION}; "
            "create a new database with `movi db init` or migrate this one"
        )
    return found


def pg_schema_url(dsn: str, schema: str) -> str:
    """``dsn`` working inside the PostgreSQL schema ``schema`` (its ``?schema=``, see above).

    >>> pg_schema_url("postgresql+asyncpg://postgres@127.0.0.1:5432/test", "movi_t1")
    'postgresql+asyncpg://postgres@127.0.0.1:5432/test?schema=movi_t1'
    """
    return f"{dsn}{'&' if '?' in dsn else '?'}schema={schema}"


async def drop_pg_schema(url: str) -> None:
    """Drop the PostgreSQL schema a ``?schema=`` URL works in, with all it holds: the end of a
    test run's or a benchmark's database. A URL without one (or SQLite) is left alone."""
    engine = make_engine(url)
    try:
        schema = pg_schema(engine)  # validated by _split_schema: a plain identifier
        if schema is not None:
            with mapped_errors():
                async with engine.begin() as conn:
                    await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        await engine.dispose()


async def drop_schema(engine: AsyncEngine) -> None:
    """Drop every movi table (tests and ``movi db init --reset``)."""
    with mapped_errors():
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.drop_all)


async def schema_version(engine: AsyncEngine) -> int | None:
    """The recorded schema version, or None when the database has no movi schema yet."""
    with mapped_errors():
        async with engine.connect() as conn:
            exists = await conn.run_sync(
                lambda sync: sync.dialect.has_table(sync, SchemaInfo.__tablename__)
            )
            if not exists:
                return None
            return (await conn.execute(select(SchemaInfo.version))).scalar_one_or_none()
