"""Which driver the operator means: full name, first name (or surname), then fuzzy.

Acting on the wrong person is worse than asking, so a fuzzy name is only found above the
stricter person cutoffs of :mod:`movi.resolve.names` and with a clear lead; two drivers with
one name (the demo has some) are always ambiguous, told apart by phone number.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from movi.resolve.names import PERSON_CUTOFFS, Scored, counted, pick_name, shown
from movi.resolve.resolution import MAX_OPTIONS, Match, Resolution
from movi.store.schema import Driver, DriverStatus


def driver_label(driver: Driver) -> str:
    """ "Ramesh Kumar (driver 7, 9845012345)", with the status when it is not AVAILABLE."""
    state = "" if driver.status is DriverStatus.AVAILABLE else f", {driver.status.value}"
    return f"{driver.name} (driver {driver.driver_id}, {driver.phone_number}{state})"


def driver_match(driver: Driver, score: float) -> Match:
    return Match(
        id=driver.driver_id,
        label=driver_label(driver),
        score=score,
        detail={
            "driver_id": driver.driver_id,
            "name": driver.name,
            "phone_number": driver.phone_number,
            "status": driver.status.value,
        },
    )


def _ranked(scored: Iterable[Scored[Driver]]) -> list[Scored[Driver]]:
    """Best score first; among equals, available drivers first, then by name and id."""
    return sorted(
        scored,
        key=lambda s: (
            -s.score,
            s.item.status is not DriverStatus.AVAILABLE,
            s.item.name,
            s.item.driver_id,
        ),
    )


async def resolve_driver(session: AsyncSession, name: str) -> Resolution:
    """The driver called ``name``: exact (any case), else by first name or surname, else fuzzy."""
    query = " ".join(name.split())
    if not query:
        return Resolution(
            entity="driver",
            status="missing",
            query="",
            note="Which driver? Give their name.",
            trace=("no driver name given",),
        )
    same = list(
        await session.scalars(select(Driver).where(func.lower(Driver.name) == query.lower()))
    )
    if same:
        ranked = _ranked(Scored(d, d.name, 100.0) for d in same)
        trace = [f"{counted(len(same), 'driver')} named {query!r} (case-insensitive)"]
    else:
        everyone = list(await session.scalars(select(Driver)))
        pick = pick_name(
            query, [(d, d.name) for d in everyone], noun="driver", cutoffs=PERSON_CUTOFFS,
            person=True,
        )  # fmt: skip
        trace = [counted(len(everyone), "driver"), *pick.trace]
        ranked = _ranked(pick.ranked)
        if pick.status == "missing":
            return Resolution(
                entity="driver",
                status="missing",
                query=query,
                note=f"There is no driver called {query!r}.",
                options=tuple(driver_match(s.item, s.score) for s in ranked[:MAX_OPTIONS]),
                trace=tuple(trace),
            )
    if len(ranked) == 1:
        return Resolution(
            entity="driver",
            status="found",
            query=query,
            match=driver_match(ranked[0].item, ranked[0].score),
            trace=tuple(trace),
        )
    trace.append(f"{counted(len(ranked), 'driver')} could be {query!r}{shown(len(ranked))}")
    return Resolution(
        entity="driver",
        status="ambiguous",
        query=query,
        options=tuple(driver_match(s.item, s.score) for s in ranked[:MAX_OPTIONS]),
        trace=tuple(trace),
    )
