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
    "GrammarError",
    "IntegrityViolation",
    "Intent",
    "LLMError",
    "MoviError",
    "PolicyError",
    "ResolutionError",
    "SchemaVersionError",
    "StorageError",
    "__version__",
    "parse",
]
