"""Hostile input (issue 7, item 3): every line of ``tests/data/hostile.jsonl`` through ``handle``.

SQL injection in every slot, prompt injection, 20,000 characters, NUL bytes, lone surrogates,
homoglyph registrations, direction overrides, zero-width characters, emoji, huge and negative
numbers, under several pages and roles: each gets a reply with a SPEC status and a message, never
an exception, and never a write (a question it asks is answered "no"). Then 1,000 commands in one
session stay consistent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import cycle
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy import table as sql_table
from tests.engine.support import TODAY, Demo, Rows, build_once

from movi.engine import Movi
from movi.reply import Reply

CORPUS = Path(__file__).parent.parent / "data" / "hostile.jsonl"
STATUSES = {
    "completed",
    "needs_confirmation",
    "needs_clarification",
    "rejected",
    "not_found",
    "failed",
    "cancelled",
}
WATCHED = (
    "daily_trips",
    "deployments",
    "bookings",
    "vehicles",
    "drivers",
    "stops",
    "paths",
    "path_stops",
    "routes",
    "audit_log",
)
"""The tables a write would touch; the corpus must leave every count unchanged."""

PAGES = ("busDashboard", "manageRoute", None)
ROLES = ("admin", "viewer", "operator", "planner")
ORDINARY = [
    ("how many bookings on trip 71", "busDashboard"),
    ("list all vehicles", "busDashboard"),
    ("which trips need attention today", "busDashboard"),
    ("show me the stops of path Path-1", "manageRoute"),
    ("help", None),
    ("why?", "busDashboard"),
    ("cancel trip 71", "busDashboard"),  # asks, and is answered no
]


def corpus() -> list[dict[str, Any]]:
    with CORPUS.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def test_the_corpus_covers_what_issue_7_names() -> None:
    lines = corpus()
    assert len(lines) >= 200
    texts = [line["text"] for line in lines]
    assert any(len(t) >= 20_000 for t in texts)
    assert any("\x00" in t for t in texts)
    assert any(any("\ud800" <= ch <= "\udfff" for ch in t) for t in texts)
    assert any("КА-01-АВ-1234" in t for t in texts)
    assert any("\u202e" in t for t in texts) and any("\u200b" in t for t in texts)
    assert "cancel trip 42; DROP TABLE daily_trips" in texts
    assert "assign KA01AB1234' OR '1'='1 to trip 42" in texts
    kinds = {line["kind"] for line in lines}
    assert {"sql", "prompt", "long", "number", "surrogate", "homoglyph", "invisible"} <= kinds


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def hostile_demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Demo]:
    """One demo per backend: the corpus writes nothing, so every test may share it."""
    yield from build_once(request.param, tmp_path_factory)


async def counts(rows: Rows) -> dict[str, int]:
    subqueries = [
        select(func.count()).select_from(sql_table(name)).scalar_subquery() for name in WATCHED
    ]
    row = await rows.one(select(*subqueries))
    return dict(zip(WATCHED, map(int, row), strict=True))


def variations(number: int, page: str | None) -> list[tuple[str | None, str]]:
    """The line's own page as admin and as viewer, and a rotating page and role besides."""
    other = PAGES[number % len(PAGES)], ROLES[number % len(ROLES)]
    return [(page, "admin"), (page, "viewer"), other]


def judge(reply: Any, what: str) -> list[str]:
    if not isinstance(reply, Reply):
        return [f"{what}: not a Reply: {reply!r}"]
    problems = []
    if reply.status not in STATUSES:
        problems.append(f"{what}: status {reply.status!r}")
    if not reply.message.strip():
        problems.append(f"{what}: empty message")
    return problems


async def say(movi: Movi, text: str, page: str | None, session: str, role: str) -> Reply:
    return await movi.handle(text, page=page, session_id=session, user_id="hostile", role=role)


async def test_every_hostile_line_gets_a_clear_reply_and_writes_nothing(
    hostile_demo: Demo,
) -> None:
    rows = Rows(hostile_demo.url)
    movi = await Movi.open(hostile_demo.url, today=TODAY, create=False, llm=False)
    problems: list[str] = []
    replies = 0
    try:
        before = await counts(rows)
        for number, line in enumerate(corpus()):
            for page, role in variations(number, line["page"] or None):
                session = f"hostile-{number}-{role}-{page}"
                what = f"line {number + 1} {line['text'][:60]!r} on {page} as {role}"
                try:
                    reply = await say(movi, line["text"], page, session, role)
                    problems += judge(reply, what)
                    if reply.status in ("needs_confirmation", "needs_clarification"):
                        problems += judge(await say(movi, "no", page, session, role), what + " no")
                    replies += 1
                except Exception as exc:  # the point of the test: there must be none
                    problems.append(f"{what}: {type(exc).__name__}: {exc}")
                after = await counts(rows)
                if after != before:
                    changed = {k: (before[k], after[k]) for k in after if after[k] != before[k]}
                    problems.append(f"{what}: wrote {changed}")
                    before = after
    finally:
        await movi.close()
        await rows.close()
    assert not problems, "\n".join(problems)
    assert replies >= 3 * 200


async def test_a_thousand_commands_in_one_session(hostile_demo: Demo) -> None:
    rows = Rows(hostile_demo.url)
    movi = await Movi.open(hostile_demo.url, today=TODAY, role="admin", create=False, llm=False)
    hostile = [(line["text"], line["page"] or None) for line in corpus()]
    mixed = [item for pair in zip(hostile, cycle(ORDINARY)) for item in pair]
    statuses: dict[str, int] = {}
    try:
        before = await counts(rows)
        handled = int(
            await rows.scalar(select(func.count()).select_from(sql_table("interactions")))
        )
        for text, page in cycle(mixed):
            if sum(statuses.values()) >= 1000:
                break
            reply = await say(movi, text, page, "one-long-session", "admin")
            assert reply.status in STATUSES and reply.message.strip(), (text[:60], reply)
            statuses[reply.status] = statuses.get(reply.status, 0) + 1
            if reply.status in ("needs_confirmation", "needs_clarification"):
                no = await say(movi, "no", page, "one-long-session", "admin")
                assert no.status in STATUSES and no.message.strip(), no
                statuses[no.status] = statuses.get(no.status, 0) + 1
        # Whatever is still open is refused, and nothing was written along the way.
        last = await say(movi, "no", "busDashboard", "one-long-session", "admin")
        assert last.status in ("cancelled", "rejected")
        assert await counts(rows) == before
        recorded = await rows.scalar(select(func.count()).select_from(sql_table("interactions")))
    finally:
        await movi.close()
        await rows.close()
    assert int(recorded) == handled + sum(statuses.values()) + 1
    assert sum(statuses.values()) >= 1000
    assert statuses.get("completed", 0) > 100, statuses  # the ordinary reads kept working
