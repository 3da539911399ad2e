"""Drivers by full name (any case), first name or surname, then fuzzy with a clear margin."""

from __future__ import annotations

from collections import Counter

from sqlalchemy.ext.asyncio import AsyncSession
from tests.resolve.support import Demo, all_rows, scratch

from movi.resolve import MAX_OPTIONS, PERSON_MATCH_CUTOFF, resolve_driver
from movi.store.schema import Driver, DriverStatus


async def test_full_name_in_any_case_is_found(demo: Demo, session: AsyncSession) -> None:
    driver_id = demo.summary.hard_cases["on_leave_drivers"][0]
    driver = next(d for d in await all_rows(session, Driver) if d.driver_id == driver_id)
    for typed in (driver.name, driver.name.upper(), f"  {driver.name.lower()} "):
        res = await resolve_driver(session, typed)
        assert res.status == "found" and res.match is not None
        assert res.match.id == driver_id
        assert (
            res.match.label
            == f"{driver.name} (driver {driver_id}, {driver.phone_number}, ON_LEAVE)"
        )
        assert res.match.detail["status"] == "ON_LEAVE"


async def test_a_unique_first_name_is_found(session: AsyncSession) -> None:
    drivers = await all_rows(session, Driver)
    firsts = Counter(d.name.split()[0] for d in drivers)
    driver = next(d for d in drivers if firsts[d.name.split()[0]] == 1)
    res = await resolve_driver(session, driver.name.split()[0].lower())
    assert res.status == "found" and res.match is not None
    assert res.match.id == driver.driver_id
    assert "(first name)" in res.trace[-1]


async def test_a_shared_first_name_is_ambiguous(session: AsyncSession) -> None:
    drivers = await all_rows(session, Driver)
    firsts = Counter(d.name.split()[0] for d in drivers)
    first, count = firsts.most_common(1)[0]
    assert count >= 2
    res = await resolve_driver(session, first)
    assert res.status == "ambiguous" and res.match is None
    assert len(res.options) == min(count, MAX_OPTIONS)
    assert all(o.label.startswith(f"{first} ") for o in res.options)
    # Available drivers first among equals.
    statuses = [o.detail["status"] == "AVAILABLE" for o in res.options]
    assert statuses == sorted(statuses, reverse=True)


async def test_a_second_ramesh_makes_ramesh_ambiguous(demo: Demo) -> None:
    async with scratch(demo) as session:
        before = [d for d in await all_rows(session, Driver) if d.name.startswith("Ramesh ")]
        session.add(Driver(name="Ramesh Kumar", phone_number="9000000001"))
        session.add(Driver(name="Ramesh Naik", phone_number="9000000002"))
        await session.flush()
        res = await resolve_driver(session, "Ramesh")
        assert res.status == "ambiguous"
        names = [o.detail["name"] for o in res.options]
        assert "Ramesh Kumar" in names and "Ramesh Naik" in names
        assert len(names) == min(len(before) + 2, MAX_OPTIONS)
        assert res.trace[-1].startswith(f"{len(before) + 2} drivers")

        exact = await resolve_driver(session, "ramesh kumar")
        assert exact.status == "found" and exact.match is not None
        assert exact.match.detail["name"] == "Ramesh Kumar"

        # One letter off in a first name is another person, never a match.
        other = await resolve_driver(session, "Rajesh Naik")
        assert other.status == "missing"
        assert "Ramesh Naik" in [o.detail["name"] for o in other.options]


async def test_two_drivers_with_one_name_are_ambiguous(demo: Demo) -> None:
    async with scratch(demo) as session:
        driver = (await all_rows(session, Driver))[0]
        session.add(Driver(name=driver.name, phone_number="9000000003"))
        await session.flush()
        res = await resolve_driver(session, driver.name)
        assert res.status == "ambiguous"
        assert driver.driver_id in [o.id for o in res.options]
        phones = {o.detail["phone_number"] for o in res.options}
        assert "9000000003" in phones and len(phones) == len(res.options)


async def test_a_typo_is_found_only_with_a_clear_margin(demo: Demo, session: AsyncSession) -> None:
    driver_id = demo.summary.hard_cases["on_leave_drivers"][0]
    driver = next(d for d in await all_rows(session, Driver) if d.driver_id == driver_id)
    first, last = driver.name.split(maxsplit=1)
    typo = f"{first[0]}{first[2:]} {last}"  # one letter dropped
    res = await resolve_driver(session, typo)
    assert res.status == "found" and res.match is not None, res.trace
    assert res.match.id == driver_id
    assert PERSON_MATCH_CUTOFF <= res.match.score < 100
    assert res.trace[-1].startswith(f"best {driver.name!r} {res.match.score:.1f} vs next ")


async def test_a_stranger_is_missing(session: AsyncSession) -> None:
    res = await resolve_driver(session, "Zebulon Quartermaine")
    assert res.status == "missing" and res.options == ()
    empty = await resolve_driver(session, " ")
    assert empty.status == "missing" and empty.query == ""


async def test_surname_alone(session: AsyncSession) -> None:
    drivers = await all_rows(session, Driver)
    lasts = Counter(d.name.split()[-1] for d in drivers)
    last, count = lasts.most_common(1)[0]
    res = await resolve_driver(session, last.lower())
    assert res.status == ("ambiguous" if count > 1 else "found")
    matches = [res.match] if res.match else list(res.options)
    assert all(m.detail["name"].endswith(f" {last}") for m in matches)
    assert DriverStatus.AVAILABLE.value in {m.detail["status"] for m in matches}
