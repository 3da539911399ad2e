"""movi: shuttle-operations commands in plain words, turned into safe, validated operations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from movi.errors import (
    ConcurrencyError,
    ConfigError,
    GrammarError,
    IntegrityViolation,
    LLMError,
    MoviError,
    PolicyError,
    ResolutionError,
    SchemaVersionError,
    StorageError,
)
from movi.intent import Candidate, Intent

__version__ = "0.1.0"

if TYPE_CHECKING:
    from datetime import date

    from movi.engine import Movi
    from movi.events import Event, Subscription
    from movi.llm import LLMConfig
    from movi.reply import Consequence, Option, Reply, Status

#: Names ``from movi import …`` offers whose modules load only when first asked for, so that
#: ``import movi`` (and the rules path) pays neither for SQLAlchemy nor for the engine.
_LAZY = {
    "Movi": "movi.engine",
    "Reply": "movi.reply",
    "Status": "movi.reply",
    "Option": "movi.reply",
    "Consequence": "movi.reply",
    "Event": "movi.events",
    "Subscription": "movi.events",
    "LLMConfig": "movi.llm",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'movi' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


def parse(
    text: str,
    *,
    page: str | None = None,
    today: date | None = None,
    selected_trip_id: int | None = None,
) -> Intent:
    """Understand one operator command with the rules alone: offline, no database, no LLM.

    The grammar (spaCy) loads on the first call, not on ``import movi``.
    """
    from movi.parser import parse as _parse

    return _parse(text, page=page, today=today, selected_trip_id=selected_trip_id)


__all__ = [
    "Candidate",
    "ConcurrencyError",
    "ConfigError",
    "Consequence",
    "Event",
    "GrammarError",
    "IntegrityViolation",
    "Intent",
    "LLMConfig",
    "LLMError",
    "Movi",
    "MoviError",
    "Option",
    "PolicyError",
    "Reply",
    "ResolutionError",
    "SchemaVersionError",
    "Status",
    "StorageError",
    "Subscription",
    "__version__",
    "parse",
]
