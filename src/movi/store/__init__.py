"""Storage: the schema of SPEC section 1, engines for SQLite and PostgreSQL, demo data."""

from movi.store.database import (
    DEFAULT_URL,
    create_schema,
    database_url,
    drop_pg_schema,
    drop_schema,
    for_update,
    make_engine,
    mapped_errors,
    pg_schema_url,
    read_only,
    schema_version,
    session_factory,
)
from movi.store.schema import SCHEMA_VERSION, registration_key

__all__ = [
    "DEFAULT_URL",
    "SCHEMA_VERSION",
    "create_schema",
    "database_url",
    "drop_pg_schema",
    "drop_schema",
    "for_update",
    "make_engine",
    "mapped_errors",
    "pg_schema_url",
    "read_only",
    "registration_key",
    "schema_version",
    "session_factory",
]
