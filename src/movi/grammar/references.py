"""References to things by name: trips by display name, paths, stop lists, and free-text names.

Names are what is left of a command once the grammar has recognised everything else: mentions
(times, dates, registrations, numbers), trigger words and stopwords. Each leftover run of words
is a *chunk*; the words around a chunk (its cues) say which slot it fills ("driver Ramesh",
"Ramesh as driver", "rename stop Peenya to Peenya Metro").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from movi.grammar.normalize import phrase_regex

# "Path-2 - 08:00", "Bagur Tech Park - 19:30", "'Bulk - 00:01'": a name, a dash, a 24h time.
_DISPLAY = re.compile(
    r"(?P<quote>['\"]?)(?P<name>[A-Za-z0-9][\w&'./]*(?:[ -][\w&'./]+)*?)\s+[-]\s+"
    r"(?P<time>(?:[01]?\d|2[0-3])[:.][0-5]\d)(?P=quote)(?!\d)"
)
_PATH_NAME = re.compile(r"(?<![\w-])path[- ]?(?P<n>\d{1,4})(?!\w|[:.]\d)", re.IGNORECASE)
_PATH_AT_END = re.compile(r"(?<![\w-])path[- ]?\d{1,4}$", re.IGNORECASE)
_THIS_TRIP = re.compile(
    r"(?<![\w'])(?:this|that|the selected|selected|the current|current|same)\s+"
    r"(?:trip|one|run|shuttle|ride)(?:'s)?(?![\w'])|(?<![\w'])(?:it|its)(?![\w'])"
    # Hinglish "is trip se", "iss trip ka", "yeh trip" (never "is trip 42 …")
    r"|(?<![\w'])(?:iss?|yeh?|isi)\s+trip(?![\w'])(?!\s*#?\d)",
    re.IGNORECASE,
)
_BRACKETS = re.compile(r"\[(?P<items>[^\]]*)\]")
_FROM_TO_VIA = re.compile(
    r"\bfrom\s+(?P<first>.+?)\s+to\s+(?P<last>.+?)(?:\s+via\s+(?P<via>.+?))?\s*$", re.IGNORECASE
)
_DECIMAL = re.compile(r"\d+\.\d+")
_LIST_CUE = re.compile(
    r"(?:\bwith\s+stops?\b|\bstops\s*(?:are|:|as|=)?|\bwith\b|\bcovering\b|\bthrough\b|"
    r"\bvia\b|:|=|\bas\b|\bto\s+be\b|\bgoing\b|\bgoes\b|\bgo\b|\bto\b|"
    r"\bstarting(?:\s+(?:at|from|with))?\b|\bstarts\s+(?:at|from)\b|\bfirst\s+stop\b|\s-\s|"
    r"\b(?:is|are)\s+now\b)\s*",
    re.IGNORECASE,
)
_LIST_SPLIT = re.compile(r"\s*(?:,|;|->|→|>|\band\s+then\b|\bthen\b|\band\b|&)\s*", re.IGNORECASE)
_LIST_TRIM = re.compile(
    r"^(?:the\s+|stops?\s+|stop\s+named\s+|(?:ending|ends|finishing)\s+(?:at\s+)?|"
    r"(?:last|final|first)\s+stop\s+|finally\s+)+|(?:\s+stops?|\s+first|\s+last)$|[.!?\"']+$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class DisplayName:
    name: str
    time: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Span:
    text: str
    start: int
    end: int


def _bare(word: str) -> str:
    return word[:-2] if word.lower().endswith("'s") else word


def _hhmm(value: str) -> str:
    hours, minutes = re.split(r"[:.]", value)
    return f"{int(hours):02d}:{int(minutes):02d}"


def display_names(text: str, *, stop: re.Pattern[str]) -> list[DisplayName]:
    """Trip or route display names; the name part is cut where a non-name word stands before it.

    ``stop`` matches words that cannot be part of a name (trigger words, stopwords): in
    "cancel the Bagur Tech Park - 19:30 trip" the name is "Bagur Tech Park".
    """
    found = []
    for match in _DISPLAY.finditer(text):
        words = match.group("name").split(" ")
        start = match.start("name")
        while words and stop.fullmatch(_bare(words[0])):
            start += len(words[0]) + 1
            words = words[1:]
        # Keep only the trailing run of name words: "assign KA01 to Path-2" -> "Path-2".
        kept: list[str] = []
        for word in reversed(words):
            if stop.fullmatch(_bare(word)):
                break
            kept.insert(0, word)
        path = _PATH_AT_END.search(text, 0, match.end("name"))
        if path is not None and path.start() >= match.start("name"):
            kept = path.group(0).split(" ")  # "path 6 - 09:30": the number alone is no name
        if not kept:
            continue
        name = " ".join(kept)
        start = match.end("name") - len(name)
        found.append(DisplayName(name, _hhmm(match.group("time")), start, match.end()))
    return found


def path_names(text: str) -> list[Span]:
    """ "Path-2", "path 2", "path2", as written."""
    return [Span(m.group(0), m.start(), m.end()) for m in _PATH_NAME.finditer(text)]


def this_trip(text: str) -> Span | None:
    match = _THIS_TRIP.search(text)
    return Span(match.group(0), match.start(), match.end()) if match else None


def stop_list(text: str, *, stop: re.Pattern[str] | None = None) -> tuple[list[str], int] | None:
    """An ordered list of at least two stop names and where it starts, or None.

    "[Gavipuram, Temple, Peenya]", "with Peenya, Temple and BTM", "from Peenya to BTM via Temple"
    (→ Peenya, Temple, BTM). The list starts after the latest cue word that is followed by at
    least two items ("set stops for Bagur Tech Park path as Bagur, Hosur Road" starts after "as").
    Items made only of words matching ``stop`` ("please create") are dropped.
    """

    def keep(items: list[str]) -> list[str]:
        if stop is None:
            return items
        kept = []
        for item in items:
            words = item.split()
            # "ab Dasarahalli", "Yeshwanthpur honge": words that are never names fall off the edges.
            while words and stop.fullmatch(words[0]):
                words.pop(0)
            while words and stop.fullmatch(words[-1]):
                words.pop()
            if words:
                kept.append(" ".join(words))
        return kept

    bracket = _BRACKETS.search(text)
    if bracket:
        items = keep(_items(bracket.group("items")))
        return (items, bracket.start()) if len(items) >= 2 else None
    route = _FROM_TO_VIA.search(text)
    if route:
        via = _items(route.group("via") or "")
        items = keep([*_items(route.group("first")), *via, *_items(route.group("last"))])
        if len(items) >= 2:
            return items, route.start()
    if _LIST_SPLIT.search(text) is None:
        return None
    for cue in reversed(list(_LIST_CUE.finditer(text))):
        items = keep(_items(text[cue.end() :]))
        if len(items) >= 2:
            return items, cue.start()
    return None


def _items(text: str) -> list[str]:
    items = []
    for raw in _LIST_SPLIT.split(text.strip().rstrip(".!?")):
        item = _LIST_TRIM.sub("", raw.strip()).strip()
        if item and any(ch.isalpha() for ch in item) and not _DECIMAL.search(item):
            items.append(item)
    return items


class Roles:
    """Finds the name that fills a slot from the cue words around leftover chunks."""

    def __init__(
        self,
        after: dict[str, tuple[str, ...]],
        before: dict[str, tuple[str, ...]],
        nouns: dict[str, tuple[str, ...]] | None = None,
    ):
        self._after = {slot: phrase_regex(cues) for slot, cues in after.items() if cues}
        self._before = {slot: phrase_regex(cues) for slot, cues in before.items() if cues}
        self._nouns = {slot: phrase_regex(n) for slot, n in (nouns or {}).items() if n}

    def modifies(self, slot: str, right: str) -> bool:
        """Whether a chunk followed by ``right`` qualifies the slot's noun ("the wrong driver")."""
        noun = self._nouns.get(slot)
        return noun is not None and noun.match(right.lstrip()) is not None

    def cues(self, slot: str, text: str) -> Iterator[re.Match[str]]:
        """Every one of the slot's "after" cues in ``text``, in order."""
        after = self._after.get(slot)
        return after.finditer(text) if after is not None else iter(())

    def cued(self, slot: str, text: str, chunks: list[Span]) -> Span | None:
        """The chunk that the slot's cue words point at, if any.

        A cue after the name ("Peenya stop", "Ramesh as driver") is the stronger sign and the
        first such chunk wins; otherwise the last chunk right after a cue ("driver Ramesh").
        """
        after, before = self._after.get(slot), self._before.get(slot)
        best: Span | None = None
        for chunk in chunks:
            left = text[: chunk.start].rstrip()
            right = text[chunk.end :].lstrip()
            if before is not None and before.match(right):
                return chunk
            if after is not None:
                cue = _last_match(after, left)
                if cue is not None and _only_glue(left[cue.end() :]):
                    best = chunk
        return best


_GLUE = re.compile(r"^(?:\s|\bthe\b|\ba\b|\ban\b|\bnamed\b|\bcalled\b|[:,'\"])*$", re.IGNORECASE)


def _only_glue(text: str) -> bool:
    return bool(_GLUE.match(text))


def _last_match(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    last = None
    for match in pattern.finditer(text):
        last = match
    return last
