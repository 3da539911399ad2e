"""Mentions: typed pieces of a command found by the slot extractors.

An extractor reads the whole command and reports every time, date, registration, number … it
sees, with its normal form (SPEC section 3) and where it stands in the text. It does not decide
which slot a mention fills ("8am" may be the trip's time or the new time): the grammar does
that per action, from the mention's kind, position and neighbouring words.

Extractors are registered by name (``time.v1``) so that ``patterns.yaml`` refers to them by
name, never by import path, and a newer ``time.v2`` can live beside the old one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import catalogue

#: name → extractor; ``patterns.yaml`` lists the names it uses.
extractors = catalogue.create("movi", "extractors", entry_points=False)


@dataclass(frozen=True, slots=True)
class Mention:
    """One recognised piece of the text.

    ``start``/``end`` are character offsets into the text the extractor was given, so
    ``text[start:end] == surface``. ``unit`` qualifies a quantity ("bookings", "people", "seater").
    """

    kind: str
    value: Any
    start: int
    end: int
    surface: str
    unit: str | None = None

    def overlaps(self, other: Mention) -> bool:
        return self.start < other.end and other.start < self.end


Extractor = Callable[..., list[Mention]]
"""``extractor(text, *, today: date) -> list[Mention]``; pure, never raises on any string."""


def get_extractor(name: str) -> Extractor:
    """The extractor registered under ``name`` (``KeyError`` lists what exists)."""
    try:
        found: Extractor = extractors.get(name)
    except catalogue.RegistryError as exc:
        known = ", ".join(sorted(extractors.get_all()))
        raise KeyError(f"no slot extractor named {name!r}; known: {known}") from exc
    return found


__all__ = ["Extractor", "Mention", "extractors", "get_extractor"]
