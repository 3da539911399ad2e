"""The message templates of ``policy.yaml``: ``{key}``, ``{key:one|many}`` and ``[[optional]]``.

A template is checked once when the policy loads (:func:`template_fields`) and rendered per
decision (:func:`render`). Rendering never raises: a template whose data is missing answers
``None`` so that the caller can fall back to the consequence's own message, because a policy
wording must never be the reason a command crashes.

>>> render("{n} {n:trip|trips}[[ and {more} more]]", {"n": 1, "more": 0})
'1 trip'
>>> render("{first}[[ and {more} more]].", {"first": ["A", "B"], "more": 3})
'A, B and 3 more.'
>>> render("{missing} here", {}) is None
True
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from typing import Any

_OPTIONAL = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _Formatter(string.Formatter):
    """``str.format`` with lists joined by commas and a ``one|many`` plural choice."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if "|" in format_spec:
            one, many = format_spec.split("|", 1)
            return one if _count(value) == 1 else many
        if isinstance(value, list | tuple | set | frozenset):
            return ", ".join(str(item) for item in value)
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)


_FORMATTER = _Formatter()


def _count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list | tuple | set | frozenset):
        return len(value)
    return None


def _has_value(value: Any) -> bool:
    if value is None or value is False:
        return False
    if isinstance(value, str | list | tuple | set | frozenset | dict):
        return len(value) > 0
    if isinstance(value, int | float):
        return value != 0
    return True


def _pieces(template: str) -> list[tuple[bool, str]]:
    """The template cut into (optional?, text) pieces, in order."""
    pieces: list[tuple[bool, str]] = []
    position = 0
    for match in _OPTIONAL.finditer(template):
        pieces.append((False, template[position : match.start()]))
        pieces.append((True, match.group(1)))
        position = match.end()
    pieces.append((False, template[position:]))
    return pieces


def _names(text: str) -> list[str]:
    """The field names of one piece; ValueError for anything but ``{name}`` / ``{name:a|b}``."""
    names: list[str] = []
    for _literal, name, spec, conversion in _FORMATTER.parse(text):
        if name is None:
            continue
        if not _FIELD_NAME.fullmatch(name):
            raise ValueError(f"{{{name}}} is not a plain key (use letters, digits and _)")
        if conversion is not None:
            raise ValueError(f"{{{name}!{conversion}}}: conversions are not supported")
        if spec and "|" not in spec:
            raise ValueError(f"{{{name}:{spec}}}: the only format is one|many")
        names.append(name)
    return names


def template_fields(template: str) -> tuple[frozenset[str], frozenset[str]]:
    """(required keys, optional keys) of a template; ValueError saying what is malformed."""
    required: set[str] = set()
    optional: set[str] = set()
    for is_optional, text in _pieces(template):
        if "[[" in text or "]]" in text:
            raise ValueError("unbalanced or nested [[ ]]")
        (optional if is_optional else required).update(_names(text))
    return frozenset(required), frozenset(optional - required)


def render(template: str, data: Mapping[str, Any]) -> str | None:
    """The template filled from ``data``, or ``None`` when a required key is missing."""
    out: list[str] = []
    try:
        for is_optional, text in _pieces(template):
            names = _names(text)
            if is_optional:
                if all(_has_value(data.get(name)) for name in names):
                    out.append(_FORMATTER.vformat(text, (), dict(data)))
                continue
            if any(name not in data for name in names):
                return None
            out.append(_FORMATTER.vformat(text, (), dict(data)))
    except Exception:  # data from the engine may hold anything; a wording must never crash
        return None
    return "".join(out)
