"""Text as operators type or dictate it, made ready for matching.

Order matters: clean the characters (NFKC, no control or direction-override characters), drop
politeness and voice fillers (they never change the action), apply a spoken correction
("trip 42, no wait, I mean trip 43" keeps 43), then repair typos in domain words against the
grammar's vocabulary with rapidfuzz. What is left keeps the operator's spelling of names.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, Indel

_SPACE = re.compile(r"\s+")
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "−": "-"})
_WORD = re.compile(r"[A-Za-z][A-Za-z']*")
_TOKEN = re.compile(r"[a-z0-9]+")


def clean(text: str) -> str:
    """NFKC, straight quotes and dashes, no control/format characters, single spaces.

    >>> clean("cancel\\u202e trip\\x00 42\\n")
    'cancel trip 42'
    """
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if category in ("Cc", "Cf", "Cs", "Co", "Cn"):
            kept.append(" " if ch in "\t\n\r\x0b\x0c" else "")
        else:
            kept.append(ch)
    return _SPACE.sub(" ", "".join(kept)).strip()


def phrase_regex(phrases: Iterable[str]) -> re.Pattern[str]:
    """One case-insensitive regex matching any phrase as whole words, longest first."""
    ordered = sorted({p.strip().lower() for p in phrases if p.strip()}, key=len, reverse=True)
    # Word boundaries only where the phrase starts or ends with a word character: "<system>"
    # and "';" must match inside "<system>drop" and "1'; UPDATE".
    parts = []
    for phrase in ordered:
        body = re.escape(phrase).replace(r"\ ", r"\s+")
        head = r"(?<![\w'-])" if phrase[0].isalnum() else ""
        tail = r"(?![\w'-])" if phrase[-1].isalnum() else ""
        parts.append(f"{head}{body}{tail}")
    return re.compile("|".join(parts), re.IGNORECASE)


def tokens(text: str) -> list[str]:
    """The lower-case runs of letters and digits: the keys :class:`Phrases` indexes by."""
    return _TOKEN.findall(text.lower())


class Phrases:
    """Phrases found as whole words (as :func:`phrase_regex`), cheaply in text that has none.

    Most commands contain none of the long lists of injection, out-of-scope or filler phrases,
    and one regex alternation over them costs more than the rest of a parse. So the phrases
    are indexed by their first word and the regex runs only when one of those words is in the
    text; phrases that start with punctuation ("';", "<script") are looked for every time.
    """

    def __init__(self, phrases: Iterable[str]) -> None:
        kept = [p.strip() for p in phrases if p.strip()]
        self.pattern = phrase_regex(kept)
        self._keys = frozenset(tokens(p)[0] for p in kept if p[0].isalnum())
        odd = [p for p in kept if not p[0].isalnum()]
        self._odd = phrase_regex(odd) if odd else None

    def _may_match(self, text: str) -> bool:
        if self._odd is not None and self._odd.search(text):
            return True
        return not self._keys.isdisjoint(tokens(text))

    def search(self, text: str) -> re.Match[str] | None:
        return self.pattern.search(text) if self._may_match(text) else None

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self.pattern.finditer(text) if self._may_match(text) else iter(())

    def sub(self, repl: str | Callable[[re.Match[str]], str], text: str) -> str:
        return self.pattern.sub(repl, text) if self._may_match(text) else text


class Noise:
    """Removes words that carry no meaning for the action: politeness and voice fillers."""

    def __init__(self, fillers: Iterable[str], politeness: Iterable[str]) -> None:
        self._pattern = Phrases([*fillers, *politeness])

    def strip(self, text: str) -> str:
        stripped = self._pattern.sub(" ", text)
        stripped = re.sub(r"\s+([,.?!])", r"\1", stripped)
        stripped = re.sub(r"^[\s,.;:!-]+", "", stripped)
        return _SPACE.sub(" ", stripped).strip()


class Typos:
    """Repairs misspelt domain words ("asign", "vehical", "tommorow") to the grammar's vocabulary.

    Only words of at least ``min_length`` letters that are not themselves known are considered,
    and only a close match (``fuzz.ratio`` ≥ ``cutoff``) is taken, so names stay as written.
    rapidfuzz compares exactly what it is given: both sides are lower-cased first.
    """

    def __init__(
        self, vocabulary: Iterable[str], *, cutoff: float, min_length: int, keep: Iterable[str] = ()
    ) -> None:
        counts = Counter(w for w in vocabulary if w.isalpha() and len(w) >= 3)
        # Among equally close words, the one the grammar uses most wins ("stps" → "stops").
        self._vocabulary = sorted(counts, key=lambda w: (-counts[w], w))
        # A repair keeps the first letter, so each word is compared with its initial's words only.
        self._by_initial: dict[str, list[str]] = {}
        for word in self._vocabulary:
            self._by_initial.setdefault(word[0], []).append(word)
        self._known = frozenset(self._vocabulary) | {w.lower() for w in keep}
        self._cutoff = cutoff
        self._min_length = min_length
        self.repair_word = lru_cache(maxsize=8192)(self._repair_word)

    def _repair_word(self, word: str) -> str | None:
        lower = word.lower()
        if len(lower) < self._min_length or lower in self._known:
            return None
        # Short words need a closer match: "hosur" is 89% "hour", "asign" 91% "assign".
        cutoff = max(self._cutoff, 90.0) if len(lower) <= 5 else self._cutoff
        candidates = self._by_initial.get(lower[0], [])
        found = process.extractOne(
            lower, candidates, scorer=fuzz.ratio, processor=None, score_cutoff=cutoff
        )
        target = str(found[0]) if found is not None else None
        if target is None and len(lower) <= 5:
            target = self._near_short(lower, candidates)
        if target is None:
            return None
        if _inflection(lower, target):
            return None  # "repair" is not a typo of "repaired"
        return target

    @staticmethod
    def _near_short(word: str, candidates: list[str]) -> str | None:
        """Short words: only a dropped letter ("stps") or two swapped ones ("trpi") is repaired.

        A substituted letter is not: "silk" is one letter from "sick", and is a stop's name.
        """
        for target in candidates:
            if len(target) == len(word) + 1 and Indel.distance(word, target) == 1:
                return target
            if (
                len(target) == len(word)
                and sorted(target) == sorted(word)
                and OSA.distance(word, target) == 1
            ):
                return target
        return None

    def repair(self, text: str) -> tuple[str, list[tuple[str, str]]]:
        """The text with repaired words, and the (typo, repair) pairs for the trace."""
        repairs: list[tuple[str, str]] = []

        mixed_case = text != text.lower()

        def swap(match: re.Match[str]) -> str:
            word = match.group(0)
            # In mixed-case text a capitalised word after the first is most likely a name.
            if mixed_case and match.start() > 0 and word[0].isupper():
                return word
            base, suffix = (word[:-2], word[-2:]) if word.lower().endswith("'s") else (word, "")
            fixed = self.repair_word(base)
            if fixed is None:
                return word
            repairs.append((base, fixed))
            return fixed + suffix

        return _WORD.sub(swap, text), repairs


_SUFFIXES = ("s", "es", "ed", "d", "ing", "er", "ers", "ment", "ly", "al")


def _inflection(word: str, target: str) -> bool:
    """Whether one word is the other plus a common ending (not a misspelling of it)."""
    short, long = sorted((word, target), key=len)
    return long.startswith(short) and long[len(short) :] in _SUFFIXES


class Asides:
    """Clauses that only say what stays ("… but leave the bus"): dropped to the clause's end.

    "take the driver out of trip 42 but keep the bus" asks for one thing; the contrast clause
    names another object of the domain and would otherwise pull the parse towards it.
    """

    def __init__(self, markers: Iterable[str]) -> None:
        self._pattern = Phrases(markers) if markers else None

    def drop(self, text: str) -> str:
        if self._pattern is None:
            return text
        match = self._pattern.search(text)
        if match is None or not text[: match.start()].strip(" ,;:-"):
            return text
        end = _CLAUSE_END.search(text, match.end())
        rest = text[end.start() :] if end is not None else ""
        return _SPACE.sub(" ", f"{text[: match.start()].rstrip(' ,;:-')}{rest}").strip()


_CLAUSE_END = re.compile(r"[.?!;]")


class Corrections:
    """A spoken correction ("trip 42, no wait, I mean trip 43"): what follows the marker wins."""

    def __init__(self, markers: Iterable[str]) -> None:
        self._pattern = Phrases(markers)

    def split(self, text: str) -> tuple[str, str] | None:
        """(what was said before the last correction marker, what replaces part of it)."""
        matches = list(self._pattern.finditer(text))
        if not matches:
            return None
        first, last = matches[0], matches[-1]
        head = text[: first.start()].rstrip(" ,;:-")
        tail = text[last.end() :].lstrip(" ,;:-")
        if not tail:
            return None
        return head, tail
