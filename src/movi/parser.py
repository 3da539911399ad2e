"""``movi.parse``: the rules parser as one function, offline, with no database and no LLM.

The grammar is compiled on first use and shared; a lock makes that first load happen once even
when several threads parse at the same moment. Parsing itself mutates nothing shared.
"""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

from movi.grammar.grammar import Grammar
from movi.intent import Intent

_lock = threading.Lock()
_grammar: Grammar | None = None


def grammar() -> Grammar:
    """The shared grammar compiled from the packaged ``patterns.yaml``."""
    global _grammar
    if _grammar is None:
        with _lock:
            if _grammar is None:
                _grammar = Grammar.load()
    return _grammar


def load_grammar(path: str | Path | None = None) -> Grammar:
    """Compile a grammar from another patterns file (for tests or a customised domain)."""
    return Grammar.load(path)


def parse(
    text: str,
    *,
    page: str | None = None,
    today: date | None = None,
    selected_trip_id: int | None = None,
) -> Intent:
    """Understand one operator command with the rules alone.

    >>> parse("cancel trip 42", page="busDashboard").action
    'cancel_trip'
    """
    return grammar()(text, page=page, today=today, selected_trip_id=selected_trip_id)
