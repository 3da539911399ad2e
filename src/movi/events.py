"""Live updates: which trip changed and which departure warning was raised, as it happens.

``await movi.subscribe(callback)`` delivers :class:`Event` objects — ``trip_updated`` after every
committed write that touched a trip, ``notification`` for every departure warning written by
:meth:`movi.engine.Movi.check_departures` — to ``callback`` (a function or a coroutine function).

How they travel depends on the database:

* **PostgreSQL**: the writer calls ``pg_notify`` *inside* its write transaction, so PostgreSQL
  delivers the event to every listening connection — in this process or any other — when, and
  only if, the transaction commits. A rolled-back write announces nothing. Each subscription
  holds one dedicated ``LISTEN`` connection (not one from the pool) on a channel named after the
  database schema, so tenants and test runs sharing a server do not hear each other. If that
  connection drops, the subscription reconnects with a growing back-off; events sent while it
  was away are lost, as NOTIFY is not durable — the audit log and ``notifications`` table are the
  record, events are the nudge to re-read them.
* **SQLite** has no such mechanism: events reach subscribers in the *same process* (any
  :class:`~movi.engine.Movi` opened on the same database file) after the commit. A second
  process on the same file does not hear them; poll the audit log there, or use PostgreSQL.

A callback never runs inside the writer's transaction, and an exception in a callback is logged
and never reaches the writer or other subscribers.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from movi.store.database import pg_schema

log = logging.getLogger(__name__)

EventKind = Literal["trip_updated", "notification"]
Callback = Callable[["Event"], Awaitable[None] | None]

CHANNEL = "movi_events"
"""The LISTEN/NOTIFY channel (suffixed with ``_<schema>`` when the URL names a schema)."""

_MAX_PAYLOAD = 7_000
"""PostgreSQL refuses NOTIFY payloads of 8,000 bytes or more; bigger change sets are trimmed."""


class Event(BaseModel):
    """One thing that happened to the operations data, announced after it was committed."""

    model_config = ConfigDict(frozen=True)

    kind: EventKind
    trip_id: int
    at: datetime
    action: str | None = None
    """``trip_updated``: the catalogue action that changed the trip."""
    changes: dict[str, Any] = {}
    """``trip_updated``: the trip's fields that changed, with their new values."""
    user_id: str | None = None
    session_id: str | None = None
    notification_id: int | None = None
    """``notification``: the ``notifications`` row."""
    notification_kind: str | None = None
    """``notification``: ``missing_vehicle`` or ``missing_driver``."""
    message: str | None = None
    origin: int = 0
    """The process id of the writer (lets a subscriber tell its own writes from others')."""


def trip_updated(
    trip_id: int,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    *,
    user_id: str,
    session_id: str,
    at: datetime,
) -> Event:
    """The event for one audited trip change (``before``/``after`` as in the audit log)."""
    old, new = before or {}, after or {}
    changes = {key: value for key, value in new.items() if old.get(key) != value}
    if after is None:
        changes = {"deleted": True}
    return Event(
        kind="trip_updated",
        trip_id=trip_id,
        action=action,
        changes=changes,
        user_id=user_id,
        session_id=session_id,
        at=at,
        origin=os.getpid(),
    )


def notification(
    notification_id: int, trip_id: int, kind: str, message: str, at: datetime
) -> Event:
    """The event for one departure warning row."""
    return Event(
        kind="notification",
        trip_id=trip_id,
        notification_id=notification_id,
        notification_kind=kind,
        message=message,
        at=at,
        origin=os.getpid(),
    )


def channel_for(engine: AsyncEngine) -> str:
    return _channel(pg_schema(engine))


def _channel(schema: str | None) -> str:
    return f"{CHANNEL}_{schema}" if schema else CHANNEL


def _payload(event: Event) -> str:
    body = event.model_dump_json()
    if len(body.encode()) <= _MAX_PAYLOAD:
        return body
    return event.model_copy(update={"changes": {"truncated": True}}).model_dump_json()


async def announce(session: AsyncSession, events: Sequence[Event]) -> None:
    """Queue ``events`` inside the caller's open write transaction.

    On PostgreSQL this is ``pg_notify``: delivered on commit, dropped on rollback. On SQLite it
    does nothing here: call :func:`deliver_local` once the transaction has committed.
    """
    bind = session.get_bind()
    if bind.dialect.name != "postgresql" or not events:
        return
    channel = _channel(pg_schema(bind if isinstance(bind, Engine) else bind.engine))
    # One statement for all of them: a bulk cancel may announce thousands of trips.
    await session.execute(
        text("SELECT pg_notify(:channel, payload) FROM unnest(CAST(:payloads AS text[])) payload"),
        {"channel": channel, "payloads": [_payload(event) for event in events]},
    )


def deliver_local(engine: AsyncEngine, events: Sequence[Event]) -> None:
    """After a commit on SQLite: hand ``events`` to this process's subscribers of the database."""
    if engine.dialect.name == "postgresql" or not events:
        return  # PostgreSQL delivers them through LISTEN, to this process too
    for subscription in list(_LOCAL.get(_database_key(engine), ())):
        for event in events:
            subscription.deliver(event)


def _database_key(engine: AsyncEngine) -> str:
    database = engine.url.database or ""
    if database and database != ":memory:":
        database = os.path.realpath(database)
    else:  # an in-memory database is private to its engine
        database = f":memory:{id(engine.sync_engine)}"
    return f"{engine.dialect.name}:{database}"


_LOCAL: dict[str, set[Subscription]] = {}


class Subscription:
    """A live subscription; :meth:`close` it (or use ``async with``) to stop the deliveries."""

    RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0, 10.0)

    def __init__(
        self,
        engine: AsyncEngine,
        callback: Callback,
        *,
        on_close: Callable[[Subscription], None] | None = None,
    ) -> None:
        self.engine = engine
        self.callback = callback
        self.closed = False
        self._on_close = on_close
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._connection: Any = None
        self._reconnect: asyncio.Task[None] | None = None
        self._channel = channel_for(engine)

    async def start(self) -> Self:
        self._loop = asyncio.get_running_loop()
        if self.engine.dialect.name == "postgresql":
            await self._listen()
        else:
            _LOCAL.setdefault(_database_key(self.engine), set()).add(self)
        return self

    async def close(self) -> None:
        """Stop delivering; waits for callbacks already running."""
        if self.closed:
            return
        self.closed = True
        if self._on_close is not None:
            self._on_close(self)
        if self._reconnect is not None:
            self._reconnect.cancel()
        subscribers = _LOCAL.get(_database_key(self.engine))
        if subscribers is not None:
            subscribers.discard(self)
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            await connection.close()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- delivery ---------------------------------------------------------------------------

    def deliver(self, event: Event) -> None:
        """Run the callback for ``event`` soon, outside the caller's stack, on the event loop
        the subscription was made in (a writer may run in another thread's loop)."""
        if self.closed or self._loop is None:
            return
        try:
            here = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        if here is self._loop:
            self._spawn(event)
        elif not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._spawn, event)

    def _spawn(self, event: Event) -> None:
        if self.closed or self._loop is None:
            return
        task = self._loop.create_task(self._call(event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _call(self, event: Event) -> None:
        try:
            result = self.callback(event)
            if inspect.isawaitable(result):
                await result
        except Exception:  # a subscriber's bug must not reach the writer or other subscribers
            log.exception(
                "movi event subscriber failed on %s for trip %s", event.kind, event.trip_id
            )

    # --- PostgreSQL -------------------------------------------------------------------------

    async def _listen(self) -> None:
        import asyncpg  # the PostgreSQL driver; only PostgreSQL subscriptions need it

        url = self.engine.url
        connection = await asyncpg.connect(
            host=url.host,
            port=url.port,
            user=url.username,
            password=url.password,
            database=url.database,
        )
        await connection.add_listener(self._channel, self._on_notify)
        connection.add_termination_listener(self._on_lost)
        self._connection = connection

    def _on_notify(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            event = Event.model_validate_json(payload)
        except ValidationError:
            log.warning("ignoring a malformed movi event on %s", self._channel)
            return
        self.deliver(event)

    def _on_lost(self, _connection: Any) -> None:
        if not self.closed and self._reconnect is None:
            self._reconnect = asyncio.get_running_loop().create_task(self._relisten())

    async def _relisten(self) -> None:
        attempt = 0
        while not self.closed:
            await asyncio.sleep(self.RETRY_SECONDS[min(attempt, len(self.RETRY_SECONDS) - 1)])
            try:
                await self._listen()
            except Exception as exc:  # any failure (server down, auth): try again later
                attempt += 1
                log.warning("movi events: LISTEN reconnect failed (%s); retrying", exc)
                continue
            log.info("movi events: listening again on %s", self._channel)
            break
        self._reconnect = None


async def subscribe(
    engine: AsyncEngine,
    callback: Callback,
    *,
    on_close: Callable[[Subscription], None] | None = None,
) -> Subscription:
    """Start delivering the events of ``engine``'s database to ``callback``."""
    return await Subscription(engine, callback, on_close=on_close).start()
