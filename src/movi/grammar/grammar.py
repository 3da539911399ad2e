"""The rules parser: ``patterns.yaml`` compiled once into spaCy matchers, then cheap calls.

Lifecycle, as in spaCy's components: construct from a validated spec (``Grammar(spec)`` or
``Grammar.load(path)``), which builds the tokenizer and the PhraseMatcher; then ``grammar(text,
…)`` returns an :class:`~movi.intent.Intent`. A parse is: clean → correction → noise → typos →
analysis (mentions, word classes, references, leftover name chunks) → score every action's
patterns → fill the winner's slots (a close rival, no riskier, that has all its required slots
beats a winner that lacks one) → confidence from the match's specificity, its margin over the
runner-up and whether the required slots were found.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import spacy
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

from movi.grammar.extractors import extract_all, extract_registrations
from movi.grammar.mentions import Mention
from movi.grammar.normalize import (
    Asides,
    Corrections,
    Noise,
    Phrases,
    Typos,
    clean,
    phrase_regex,
    tokens,
)
from movi.grammar.phrasebook import PLACEHOLDERS, Phrasebook
from movi.grammar.references import (
    DisplayName,
    Roles,
    Span,
    display_names,
    path_names,
    stop_list,
    this_trip,
)
from movi.grammar.spec import ActionSpec, GrammarSpec, default_path, load_spec
from movi.grammar.spoken import spoken_numbers
from movi.intent import Candidate, Intent

#: Slots that stand for "some reference" and are satisfied by any of several real slots.
COMPOSITE_SLOTS: dict[str, tuple[str, ...]] = {
    "trip": ("trip_id", "trip_name", "trip_time"),
    "vehicle_ref": ("vehicle", "vehicle_desc"),
    "audit_target": ("trip_id", "trip_name", "trip_time", "vehicle", "driver"),
}
_TRIP_ACTIONS_NEED = "trip"
_ANY_DAY = date(2026, 1, 1)  # registrations do not depend on the day
#: How much an action of each kind can change: a re-ranked answer is never riskier.
_RISK = {"answer": 0, "read": 0, "write": 1, "risky": 2, "bulk": 3}
_QTY_CLASSES = {
    "seater": "$seater",
    "bookings": "$bookings_qty",
    "seats": "$bookings_qty",
    "people": "$people_qty",
}
_TARGET_CUE = re.compile(r"(?:\bto|\bat|\btill|\buntil|\bfor|\bonto|\bon|\bby|\bfrom)\s*$", re.I)
#: Hinglish puts the cue after the day: "sunday pe shift karo", "monday ke liye copy karo".
_TARGET_CUE_AFTER = re.compile(r"\s*(?:pe|par|ko|ke\s+liye|tak)\b", re.I)
_NEW_TIME_CUE = re.compile(r"(?:\bto|\btill|\buntil|\bfor|\bonto|\bnew\s+time)\s*(?:at\s*)?$", re.I)
_WORD_RE = re.compile(r"[\w][\w'.&/-]*")
_SUBJECT_VERB = re.compile(
    r"\s*(?:is|isn't|has|hasn't|will|won't|can't|cannot|'s|needs|wants|took|called|reported|"
    r"not|on|off|went|came|was)\b",
    re.IGNORECASE,
)
_TRAILER = re.compile(
    r"\s+(?:from now on|from now|going forward|henceforth|please|pls|asap|urgently|thanks|"
    r"thank you|kar do|kardo|karo|kar dijiye|rakh do|rakho|instead|update it)\b.*$",
    re.IGNORECASE,
)
_NAME_END = re.compile(r"\s*[,;]\s*")
#: A retraction that is a clause of its own ("never mind, …", "scratch that. …").
#: Where a clause may start: "the bus broke down, send another" orders in its second clause.
_CLAUSES = re.compile(r"[,;.!?:]\s*|\s+-+\s+|\s+(?:and|but|so|then|aur|toh)\s+", re.IGNORECASE)
#: Words before a clause's verb that are not the verb: "so cancel it", "ok, cancel it".
_CONJUNCTIONS = frozenset({"and", "but", "so", "then", "aur", "toh", "just", "yes", "ok", "okay"})
#: Sentence ends: "Could you show me the recent changes? I was away at lunch."
_SENTENCES = re.compile(r"(?<=[.!?;])\s+(?=\S)")
_REMARK = "a remark"
#: A sentence read alone stands for the whole line only this sure of itself.
_SENTENCE_CONFIDENCE = 0.75
_CLAUSE_BREAK = re.compile(r"\s*[,.;:!?-]")
_DIGITS = re.compile(r"\d+")
_HINGLISH_PEOPLE = frozenset({"log", "logon"})
_TIME_GLUE = re.compile(r"\s*(?:-|at|@|,)?\s*", re.IGNORECASE)
_BARE_ID = re.compile(r"\d{3,5}")
_SMALL_NUMBER = re.compile(r"\d{1,2}")
_HEADCOUNT_UNITS = frozenset({"bookings", "seats", "people"})
#: A clarification offers a handful of options: "123456" alone is no choice.
_MAX_OPTION = 20
#: Classes after an answer word that make the utterance a command ("stop master list").
_COMMAND_AFTER_ANSWER = ("TRIP_WORD", "LIST")
_SELECTED = re.compile(r"selected|current|this|that|same|\b(?:iss?|yeh?|isi)\b", re.IGNORECASE)
_NAME_BREAK = re.compile(r"[,;()\[\]:=>→]|->|\s-\s")
_ANSWERS = ("confirm", "deny")
_BARE_ORDINAL = re.compile(r"^(?:the\s+)?\d{1,2}(?:st|nd|rd|th)$", re.IGNORECASE)
_PAIR_GLUE = re.compile(r"and|with|n|&|\+|,|will take|along with|plus|aur|with vehicle|and vehicle")
_QUESTION_START = re.compile(
    r"^\s*(?:is|are|has|have|did|does|do(?!\s+not)|was|were|will|would|can|could|should|what|which|who|"
    r"whom|whose|where|when|how|why|any|kya|kaun|kaunsa|kaunse|kitne|kitni|kahan)\b",
    re.IGNORECASE,
)
#: "Hi, could you please cancel …?": a request put as a question, and the verb it asks for.
_POLITE_REQUEST = re.compile(
    r"^(?:(?:hi|hello|hey|dear)\b[^,.!?]{0,20}[,.!]\s*)?(?:would\s+you\s+mind|(?:can|could|would|will)"
    r"\s+(?:you|we|someone|somebody)|would\s+it\s+be\s+possible\s+to|is\s+it\s+possible\s+to"
    # "can trip 2968 be called off?", "could the 8am Path-2 be moved to 9?"
    r"|(?:can|could)\s+[^?]{1,40}?\s+be)"
    r"(?:\s+(?:please|pls|kindly|just|quickly))?\s+(?P<verb>[a-z]+)",
    re.IGNORECASE,
)
_REQUEST_CLAUSE = re.compile(r"(?<=[.!?;])\s+|\s+-+\s+|,\s+(?=(?:can|could|would|will)\s)", re.I)
_ASKING_VERBS = frozenset(
    [
        "tell",
        "show",
        "check",
        "confirm",
        "find",
        "see",
        "let",
        "give",
        "say",
        "explain",
        "help",
        "look",
        "list",
        "share",
        "get",
        "know",
        "send",
        "verify",
        "pull",
        "print",
        "display",
        "fetch",
        "recommend",
        "suggest",
    ]
)
_QUESTION_END = re.compile(r"\b(?:kya|ki nahi|ya nahi|or not)\s*[?.!]*\s*$", re.IGNORECASE)
_QUESTION_INSIDE = re.compile(
    r"\b(?:whether|check if|check whether|find out if|see if|know if|tell me if)\b", re.I
)
#: Where a command's last sentence starts: "who's driving 3390? make it Faizal" orders.
_LAST_SENTENCE = re.compile(r"[?!.]\s+(?=[^\W\d_])")
_REASON = re.compile(
    r"\b(?:for|because(?:\s+of)?|due\s+to|reason\s*:?|since|owing\s+to)\s+(?P<reason>.+)$",
    re.IGNORECASE,
)
#: Where a reason given after a command starts ("… because it is dirty", "… coz of a match").
_BECAUSE = re.compile(
    r"\b(?:because(?:\s+of)?|becoz|bcoz|bcz|coz|cuz|due\s+to|owing\s+to|as\s+(?:the|it|he|she)"
    r"|reason\s*:|since\s+(?:the|he|she|it|they))\b",
    re.IGNORECASE,
)
_VEHICLE_QUALIFIERS = re.compile(
    r"(?:\b(?:big|small|large|bigger|smaller|ac|non-ac|new|old|spare|free|available|idle|"
    r"empty|mini|\d+\s*-?\s*seater|\d+-seat|\d+\s+seat)\b\s*)+$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Noun:
    classes: frozenset[str]
    after: frozenset[str]


@dataclass
class Analysis:
    """Everything recognised in one command; scoring and slot filling both read it."""

    text: str
    mentions: list[Mention]
    classes: dict[str, list[tuple[int, int]]]
    displays: list[DisplayName]
    paths: list[Span]
    this: Span | None
    stops: tuple[list[str], int] | None
    chunks: list[Span]
    present: set[str] = field(default_factory=set)
    by_kind: dict[str, list[Mention]] = field(default_factory=dict)
    #: A reason given after the command and set aside before it was read ("because …").
    reason: str | None = None

    def __post_init__(self) -> None:
        for m in self.mentions:
            self.by_kind.setdefault(m.kind, []).append(m)

    def of(self, kind: str) -> list[Mention]:
        """The mentions of one kind, in text order (a copy: callers may filter it)."""
        return list(self.by_kind.get(kind, ()))

    def inside_display(self, start: int, end: int) -> bool:
        return any(d.start <= start and end <= d.end for d in self.displays)


@dataclass(frozen=True)
class Scored:
    action: str
    score: float
    pattern: int


class Grammar:
    """Compiled grammar; call it to parse. Thread-safe after construction (no shared mutation)."""

    def __init__(self, spec: GrammarSpec, *, source: Path | None = None) -> None:
        self.spec = spec
        self.nlp = spacy.blank("en")
        self.matcher = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        for cls, phrases in spec.lexicon.items():
            self.matcher.add(cls, [self.nlp.make_doc(p) for p in phrases])
        # Separable verbs with words between their parts: "take KA01AB1234 off".
        self.phrasal = Matcher(self.nlp.vocab)
        gap = {"OP": f"{{0,{spec.settings.phrasal_gap}}}"}
        for cls, pairs in spec.phrasal.items():
            self.phrasal.add(
                cls,
                [[{"LOWER": first.lower()}, gap, {"LOWER": last.lower()}] for first, last in pairs],
            )
        noise = spec.noise
        self.noise = Noise(noise.fillers, noise.politeness)
        self.abbreviations = {k.lower(): v for k, v in spec.abbreviations.items()}
        self._abbreviation = (
            re.compile(
                "|".join(
                    rf"(?<![\w'-]){re.escape(k)}(?![\w'-])"
                    for k in sorted(self.abbreviations, key=len, reverse=True)
                ),
                re.IGNORECASE,
            )
            if self.abbreviations
            else None
        )
        self._abbreviation_keys = frozenset(tokens(k)[0] for k in self.abbreviations if tokens(k))
        self.corrections = Corrections(noise.corrections)
        self.asides = Asides(noise.asides)
        self.retractions = Phrases(noise.retractions) if noise.retractions else None
        # ". Regards, Meena", ", thanks - Raghu (Admin)": the sign-off word in any case, then
        # at most four capitalised words (a name, a team) up to the end.
        words = "|".join(re.escape(w) for w in sorted(noise.signoffs, key=len, reverse=True))
        self.signoff = (
            re.compile(
                rf"(?:[.!?,;]\s*|\s+-+\s*)(?i:{words})\b[\s,.!:-]*"
                r"(?:[A-Z][\w.'()-]*(?:\s+[A-Z(][\w.'()-]*){0,3})?[\s.!]*$"
            )
            if noise.signoffs
            else None
        )
        self.restarts = frozenset(" ".join(tokens(p)) for p in noise.restarts)
        self.negations = Phrases(noise.negations) if noise.negations else None
        self.injection = Phrases(spec.injection) if spec.injection else None
        self.out_of_scope = Phrases(spec.out_of_scope) if spec.out_of_scope else None
        self.vague = Phrases(spec.vague) if spec.vague else None
        remarks = spec.remarks
        self.remark_cues = Phrases(remarks.cues) if remarks.cues else None
        self.request_cues = Phrases(remarks.requests) if remarks.requests else None
        self.orders = frozenset(w.lower() for w in remarks.orders)
        self.final_orders = frozenset(w.lower() for w in remarks.final_orders)
        self.nouns = {
            word.lower(): _Noun(frozenset(n.classes), frozenset(w.lower() for w in n.after))
            for word, n in spec.nouns.items()
        }
        self.typos = Typos(
            spec.repair_targets,
            cutoff=spec.settings.typo_cutoff,
            min_length=spec.settings.typo_min_length,
            keep=(*spec.stopwords, *spec.vocabulary),
        )
        self.stopwords = frozenset(w.lower() for w in spec.stopwords)
        self.name_words = frozenset(w.lower() for w in spec.name_words)
        non_name = {*self.stopwords, *spec.vocabulary} - self.name_words
        self.non_name_word = re.compile(
            "|".join(re.escape(w) for w in sorted(non_name, key=len, reverse=True)), re.IGNORECASE
        )
        self.roles = Roles(
            {slot: role.after for slot, role in spec.roles.items()},
            {slot: role.before for slot, role in spec.roles.items()},
            {slot: role.nouns for slot, role in spec.roles.items()},
        )
        self.value_patterns = {
            slot: [(value, phrase_regex(phrases)) for value, phrases in table.items()]
            for slot, table in spec.values.items()
        }
        self.status_patterns = {
            action: [(value, phrase_regex(phrases)) for value, phrases in table.items()]
            for action, table in spec.statuses.items()
        }
        # Whole-utterance answers, longest phrase first, each phrase pre-split into words.
        self.whole_sets: dict[str, list[tuple[str, ...]]] = {
            action: sorted(
                {tuple(p.lower().split()) for p in spec.lexicon[cls]}, key=len, reverse=True
            )
            for action, cls in spec.whole.items()
        }
        self.option_words = {w for p in self.whole_sets.get("choose_option", []) for w in p}
        # The same phrases by first word: the whole-answer check runs on every parse.
        self.whole_index: dict[str, dict[str, list[tuple[str, ...]]]] = {
            action: _by_first_word(phrases) for action, phrases in self.whole_sets.items()
        }
        # Patterns as sets, built once: ranking is on the hot path of every parse.
        self.compiled = [
            (
                action,
                spec_action,
                [
                    (
                        i,
                        frozenset(p.all),
                        frozenset(p.none),
                        [frozenset(g) for g in p.any],
                        len(p.all) + p.bonus,
                    )
                    for i, p in enumerate(spec_action.patterns)
                ],
            )
            for action, spec_action in spec.actions.items()
        ]

        self._phrasebook: Phrasebook | None = None
        self._phrasebook_lock = threading.Lock()
        self._phrasebook_path = (
            source.parent / spec.settings.phrasebook
            if source is not None and spec.settings.phrasebook
            else None
        )
        self._warm_up()

    def _warm_up(self) -> None:
        """Parse a few commands so lazy loads (dateparser's locale data) happen now, not live."""
        for text in (
            "cancel trip 42 tomorrow",
            "delay the 8am Path-2 trip on 3 Dec by 15 minutes",
            "reschedule trip 7 to next monday at 9:30 pm",
            "yes",
        ):
            self(text, page="busDashboard", today=date(2026, 11, 28))

    @classmethod
    def load(cls, path: str | Path | None = None) -> Grammar:
        source = Path(path) if path is not None else default_path()
        return cls(load_spec(source), source=source)

    # --- the parse --------------------------------------------------------------------------

    def __call__(
        self,
        text: str,
        *,
        page: str | None = None,
        today: date | None = None,
        selected_trip_id: int | None = None,
    ) -> Intent:
        today = today or date.today()
        cleaned = clean(text if isinstance(text, str) else str(text))
        if not cleaned:
            return _unknown(0.0, "empty command")
        if len(cleaned) > self.spec.settings.max_chars:
            return _unknown(
                0.0, f"command is {len(cleaned)} characters, over {self.spec.settings.max_chars}"
            )
        cleaned = spoken_numbers(cleaned)  # "trip forty five twelve" → "trip 4512"
        if self.signoff is not None:
            cleaned = self.signoff.sub("", cleaned) or cleaned
        if self.injection is not None and self.injection.search(cleaned):
            return _unknown(0.05, "text addresses the assistant's instructions, not an operation")
        intent = self._read(cleaned, page, today, selected_trip_id)
        if intent.action != "unknown" and intent.confidence >= self.spec.settings.threshold_hint:
            return intent
        sentences = [s for s in _SENTENCES.split(cleaned) if s.strip(" .!?;")]
        if len(sentences) < 2 or any(step.startswith(_REMARK) for step in intent.trace):
            return intent  # one sentence, or a remark as a whole: no sentence of it is an order
        # Several sentences and no confident reading of the whole: one may be the order and the
        # rest context ("Could you show me the recent changes? I was away at lunch.").
        best: Intent | None = None
        for sentence in sentences:
            got = self._read(sentence, page, today, selected_trip_id)
            if got.action == "unknown" or got.confidence < _SENTENCE_CONFIDENCE:
                continue
            if best is None or got.confidence >= best.confidence:
                best = got.model_copy(
                    update={"trace": (f"the sentence {sentence!r} decides", *got.trace)}
                )
        return best or intent

    def _read(
        self, cleaned: str, page: str | None, today: date, selected_trip_id: int | None
    ) -> Intent:
        """One reading of a cleaned command: the whole of it as one order."""
        trace: list[str] = []
        given_reason = None
        if self.out_of_scope is not None:
            cut = self._out_of_scope(cleaned)
            if cut == 0:
                return _unknown(0.1, "a request from another domain")
            if cut is not None:
                # The remark is the reason given after the command: parse the command alone.
                cleaned, given_reason = cleaned[:cut].rstrip(" ,.;:-"), cleaned[cut:]
                trace.append(f"reason set aside: {given_reason!r}")

        work = self._expand(cleaned)
        taken_back = self._taken_back(work)
        if isinstance(taken_back, Intent):
            return taken_back
        if taken_back != work:
            trace.append(f"taken back: only {taken_back!r} is the command")
            work = taken_back
        work = self._apply_correction(work, today, trace)
        work = self.asides.drop(work)
        work = self.noise.strip(work)
        if not work:
            return _unknown(0.05, "only fillers and politeness")
        work, repairs = self.typos.repair(work)
        if repairs:
            trace.append("typos repaired: " + ", ".join(f"{a}→{b}" for a, b in repairs))

        analysis = self._analyse(work, today)
        analysis.reason = given_reason
        if "$question" in analysis.present and _polite_request(cleaned, self.orders):
            analysis.present.discard("$question")
            trace.append("a polite request, not a question: 'can you … ?' orders")
        whole = self._whole(analysis)
        if whole is not None:
            return whole.model_copy(update={"trace": (*trace, *whole.trace)})
        remark = self._remark(cleaned, work, analysis)
        if remark is not None:
            return _unknown(0.2, f"{_REMARK} ({remark!r}): it reports, it asks for nothing")

        ranked = self._rank(analysis.present, page)
        if not ranked:
            known = sorted(c for c in analysis.present if not c.startswith("$"))
            why = f"no action pattern matched (word classes: {known or 'none'})"
            # A vague verb ("do something about trip 71") names no action: nothing to look up.
            vague = self.vague is not None and self.vague.search(work) is not None
            if known and not vague:
                backoff = self._from_phrasebook(analysis, page, selected_trip_id, [*trace, why])
                if backoff is not None:
                    return backoff
            return _unknown(0.15 if known else 0.05, why)

        best, slots, missing = self._choose(ranked, analysis, page, today, selected_trip_id, trace)
        runner_up = next((s for s in _distinct(ranked) if s.action != best.action), None)
        action = best.action
        confidence = self._confidence(best, runner_up, missing)
        if self._doubtful(best, slots, analysis):
            confidence = min(confidence, self.spec.settings.weak_missing_cap)
            trace.append("weak match, a required slot missing and words left unexplained")
        trace.append(
            f"matched {action} (pattern {best.pattern}, score {best.score:.2f}"
            + (f"; runner-up {runner_up.action} {runner_up.score:.2f}" if runner_up else "")
            + ")"
        )
        if missing:
            trace.append("missing required slots: " + ", ".join(missing))
        if self.negations is not None and self.negations.search(work):
            confidence = min(confidence, 0.35)
            trace.append("negation present: confidence capped at 0.35")
        alternatives = tuple(
            Candidate(action=s.action, score=round(s.score, 2)) for s in _distinct(ranked)[1:4]
        )
        return Intent(
            action=action,
            slots=slots,
            confidence=round(confidence, 3),
            source="rules",
            alternatives=alternatives,
            trace=tuple(trace),
        )

    # --- preparation ------------------------------------------------------------------------

    def _expand(self, text: str) -> str:
        """Shorthand to words: "cancl trp 42" → "cancel trip 42" (registrations are kept)."""
        if self._abbreviation is None or self._abbreviation_keys.isdisjoint(tokens(text)):
            return text
        # "KA 02 RT 6677" is a registration, not "KA 02 route 6677".
        plates = [(m.start, m.end) for m in extract_registrations(text, today=_ANY_DAY)]

        def expand(match: re.Match[str]) -> str:
            if any(s <= match.start() < e for s, e in plates):
                return match.group(0)
            return self.abbreviations[match.group(0).lower()]

        return self._abbreviation.sub(expand, text)

    def _out_of_scope(self, text: str) -> int | None:
        """Where words of another domain, a remark or small talk make a command unknown.

        ``None``: there are none. ``0``: they are in the command itself ("the driver was rude",
        "book me a cab"), so the whole of it is unknown. Otherwise they are only in a reason
        given after the command, which starts at the offset returned: "cancel trip 5 because
        of the cricket match" is an order, and the reason is no part of its slots.
        """
        assert self.out_of_scope is not None
        found = [m.start() for m in self.out_of_scope.finditer(text)]
        if not found:
            return None
        reason = _BECAUSE.search(text)
        if reason and text[: reason.start()].strip(" ,.;:-") and reason.start() < min(found):
            return reason.start()
        return 0

    def _noun_use(
        self, doc: Doc, start: int, end: int, label: str, mentions: list[Mention]
    ) -> bool:
        """Whether a one-word verb of the lexicon is used as a noun here, so that it does not
        count for ``label``: "the 10 pm drop", "Path-309 drop", "put a hold on" (patterns.yaml
        ``nouns``)."""
        if end - start != 1 or start == 0:
            return False
        noun = self.nouns.get(doc[start].lower_)
        if noun is None or label not in noun.classes:
            return False
        previous = doc[start - 1]
        if previous.lower_ in noun.after or any(ch.isdigit() for ch in previous.text):
            return True
        return any(m.kind == "time" and m.end == previous.idx + len(previous) for m in mentions)

    def _remark(self, said: str, work: str, a: Analysis) -> str | None:
        """The cue when the line is a remark: "the driver was very polite today", "Yallappa
        reached depot". A question, a request word ("please", "should", "?") or a clause that
        starts or (Hindi) ends with an order ("…, cancel it", "…, dusri gaadi batao") makes it a
        request whatever it also reports."""
        if self.remark_cues is None:
            return None
        reason = _BECAUSE.search(work)
        if reason is not None and work[: reason.start()].strip(" ,.;:-"):
            work = work[: reason.start()]  # "ban KA-02 due to complaints": the reason reports
        cue = self.remark_cues.search(work)
        if cue is None or "$question" in a.present:
            return None
        if self.request_cues is not None and self.request_cues.search(said):
            return None
        for clause in _CLAUSES.split(work):
            # an order starts an English clause and ends a Hindi one ("dusri gaadi batao")
            words = [w for w in tokens(clause) if w not in _CONJUNCTIONS]
            if words and (words[0] in self.orders or words[-1] in self.final_orders):
                return None
        return cue.group(0)

    def _taken_back(self, text: str) -> Intent | str:
        """A retraction withdraws what was said before it.

        Followed by nothing: "cancel trip 5, scratch that" is a "no" (an :class:`Intent`).
        Followed, as a clause of its own, by a new command: "never mind, cancel trip 6
        instead" is that command (the text to parse on). Otherwise the text is unchanged.
        """
        if self.retractions is None:
            return text
        last = max(self.retractions.finditer(text), key=lambda m: m.start(), default=None)
        if last is None:
            return text
        rest = text[last.end() :]
        if self.noise.strip(rest).strip(" ,.;:-!?"):
            if _CLAUSE_BREAK.match(rest) and " ".join(tokens(last.group(0))) in self.restarts:
                return rest.lstrip(" ,.;:-!?")
            return text  # "leave it at 8am": not a retraction
        if not text[: last.start()].strip(" ,.;:-!?"):
            return text  # "never mind" alone: the grammar's own "no"
        return Intent(
            action="deny",
            slots={},
            confidence=0.8,
            source="rules",
            trace=(f"the command was taken back: {last.group(0)!r} ends it",),
        )

    def _apply_correction(self, text: str, today: date, trace: list[str]) -> str:
        split = self.corrections.split(text)
        if split is None:
            return text
        head, tail = split
        if not tail:
            return head
        if not head:
            return tail
        tail_mentions = extract_all(tail, today=today)
        head_mentions = extract_all(head, today=today)
        if len(tail_mentions) == 1 and tail_mentions[0].kind == "number":
            # "delay trip 1444 by 20 minutes, no wait, 30": a bare number corrects the number
            # said last, in its own words ("30 minutes"), whatever kind of value it was.
            said = [m for m in head_mentions if _DIGITS.search(m.surface)]
            if said and tail.strip(" .!?") == tail_mentions[0].surface:
                last = said[-1]
                fixed = _DIGITS.sub(tail_mentions[0].surface, last.surface, count=1)
                trace.append(f"spoken correction applied: {tail!r} replaces {last.surface!r}")
                return head[: last.start] + fixed + head[last.end :]
        tail_kinds = {_kind_family(m.kind) for m in tail_mentions}
        dropped = [m for m in head_mentions if _kind_family(m.kind) in tail_kinds]
        if dropped:
            for m in sorted(dropped, key=lambda m: m.start, reverse=True):
                head = head[: m.start] + head[m.end :]
        else:
            # "assign driver Ramesh, no wait, Suresh": the last name-like words are replaced.
            words = head.split(" ")
            while words and not self.non_name_word.fullmatch(words[-1].strip(",.")):
                words.pop()
            head = " ".join(words)
        trace.append(f"spoken correction applied: {tail!r} replaces part of {text!r}")
        return f"{head.strip()} {tail}".strip()

    def _analyse(self, text: str, today: date) -> Analysis:
        mentions = extract_all(text, today=today)
        doc = self.nlp.make_doc(text)
        classes: dict[str, list[tuple[int, int]]] = {}
        for match_id, start, end in self.matcher(doc):
            span = doc[start:end]
            s, e = span.start_char, span.end_char
            # A word inside a mention is the mention's, except a count's qualifier and noun: the
            # "more" of "two more people" and the "less" of "one less booking" still say what
            # to do. A Hinglish "log" (people) is a count's noun, never an audit log.
            if any(
                m.start <= s
                and e <= m.end
                and (m.kind != "quantity" or text[s:e].lower() in _HINGLISH_PEOPLE)
                for m in mentions
            ):
                continue
            label = self.nlp.vocab.strings[match_id]
            if self._noun_use(doc, start, end, label, mentions):
                continue
            classes.setdefault(label, []).append((s, e))
        for match_id, start, end in self.phrasal(doc):
            label = self.nlp.vocab.strings[match_id]
            for token in (doc[start], doc[end - 1]):  # the verb's parts, not what stands between
                classes.setdefault(label, []).append((token.idx, token.idx + len(token)))
        displays = display_names(text, stop=self.non_name_word)
        paths = [
            p for p in path_names(text) if not any(d.start <= p.start < d.end for d in displays)
        ]
        this = this_trip(text)
        stops = stop_list(text, stop=self.non_name_word)
        numbers = [
            m for m in mentions if m.kind in ("number", "ordinal") or _BARE_ORDINAL.match(m.surface)
        ]
        hard = [(m.start, m.end) for m in mentions if m not in numbers]
        hard.extend((d.start, d.end) for d in displays)
        hard.extend((p.start, p.end) for p in paths)
        soft = [span for spans in classes.values() for span in spans]
        chunks = self._chunks(text, hard, soft, numbers)
        analysis = Analysis(text, mentions, classes, displays, paths, this, stops, chunks)
        analysis.present = self._present(analysis)
        return analysis

    def _chunks(
        self,
        text: str,
        hard: list[tuple[int, int]],
        soft: list[tuple[int, int]],
        numbers: list[Mention],
    ) -> list[Span]:
        """Runs of leftover words: the candidates for names.

        ``hard`` spans (mentions, display names, paths) always end a name; ``soft`` ones (trigger
        words) end it too, except a capitalised word inside a Title Case name in mixed-case
        text ("Yelahanka New Town"). A number right after a name word belongs to the name
        ("Ecospace Gate 2", "Koramangala 5th Block").
        """
        chunks: list[Span] = []
        current: list[tuple[int, int]] = []
        mixed_case = text != text.lower() and text != text.upper()

        def flush() -> None:
            if current:
                s, e = current[0][0], current[-1][1]
                piece = text[s:e]
                if piece.lower().endswith("'s"):
                    e -= 2
                    piece = piece[:-2]
                chunks.append(Span(piece.strip(" '\"-.,"), s, e))
                current.clear()

        last_end = 0
        for match in _WORD_RE.finditer(text):
            s, e = match.start(), match.end()
            word = match.group(0).lower().strip(".'")
            if current and _NAME_BREAK.search(text[last_end:s]):
                flush()
            last_end = e
            if any(m.start <= s < m.end for m in numbers):
                if current and s - current[-1][1] <= 1:
                    current.append((s, e))
                else:
                    flush()
                continue
            if any(cs <= s < ce for cs, ce in hard) or not word:
                flush()
                continue
            in_name = bool(current) and (
                word in self.name_words
                or (mixed_case and match.group(0)[0].isupper() and word not in self.stopwords)
            )
            if in_name:
                current.append((s, e))
            elif any(cs <= s < ce for cs, ce in soft) or word in self.stopwords:
                flush()
            else:
                current.append((s, e))
        flush()
        return [c for c in chunks if c.text]

    def _present(self, a: Analysis) -> set[str]:
        present = set(a.classes)
        for m in a.mentions:
            if a.inside_display(m.start, m.end):
                continue
            present.add("$" + m.kind)
            if m.kind == "quantity" and m.unit in _QTY_CLASSES:
                present.add(_QTY_CLASSES[m.unit])
                if a.text[m.start - 1 : m.start] == "+":
                    present.add("INCREASE")  # "trip 1219: +7 bookings"
            if m.kind == "date" and _date_target(a.text, m):
                present.add("$date_target")
            if m.kind == "time" and _NEW_TIME_CUE.search(a.text[: m.start]):
                present.add("$time_target")  # "postpone … to 7am": a new time
        if a.displays:
            present.add("$display_name")
        if a.paths:
            present.add("$path_name")
        if a.this is not None:
            present.add("$this_trip")
        if a.stops is not None:
            present.add("$stop_list")
        references = {"$trip_id", "$display_name", "$path_name", "$this_trip"}
        if not references & present and _bare_trip_number(a) is not None:
            present.add("$trip")  # a terse "3871 cancel", "is 3388 on time?", "4286 delay 10"
        if references & present or (
            "$time" in present and ("TRIP_WORD" in present or self._trip_name(a, {}))
        ):
            present.add("$trip")
        if any(not self._is_trip_name(a, c) for c in a.chunks):
            present.add("$name")
        if self._person_pair(a):
            present.add("$person_pair")
        if _is_question(a.text):
            present.add("$question")
        if a.chunks:
            first = a.chunks[0]
            lead = a.text[: first.start]
            if not _WORD_RE.search(lead) and _SUBJECT_VERB.match(a.text[first.end :]):
                present.add("$name_subject")
        return present

    # --- whole-utterance answers ------------------------------------------------------------

    def _whole(self, a: Analysis) -> Intent | None:
        words = re.sub(r"[^\w\s'.-]", " ", a.text.lower()).replace(".", " ").split()
        if not words:
            return None
        for action, index in self.whole_index.items():
            if action == "choose_option":
                continue
            if _covers(words, index):
                return Intent(action=action, confidence=0.95, trace=(f"whole answer: {action}",))
        for action, index in self.whole_index.items():
            # "yes, cancel it", "no, keep it as it is": an answer word first, nothing new after.
            if action not in _ANSWERS or a.mentions or a.displays or a.paths or len(words) > 6:
                continue
            if any(cls in a.classes for cls in _COMMAND_AFTER_ANSWER):
                continue  # "stop master list", "abort the selected trip": a command
            lead = _leading(words, index)
            if lead and lead < len(words):
                return Intent(
                    action=action, confidence=0.8, trace=(f"answer word first: {action}",)
                )
        return self._choice(a, words)

    def _choice(self, a: Analysis, words: list[str]) -> Intent | None:
        option_words = self.option_words
        leftover = [w for w in words if w not in option_words and w not in {"trip", "route"}]
        ordinals = a.of("ordinal") or a.of("number")
        if len(words) <= 3 and len(a.mentions) == 1 and _BARE_ORDINAL.match(a.mentions[0].surface):
            # "the 2nd" alone answers "which one?", it does not name a day.
            number = int(re.sub(r"\D", "", a.mentions[0].surface))
            return Intent(
                action="choose_option",
                slots={"option": number},
                confidence=0.85,
                trace=("whole answer: an ordinal",),
            )
        times = a.of("time")
        if len(a.mentions) == 1 and times:
            surface = set(re.sub(r"[^\w\s]", " ", times[0].surface.lower()).split())
            if all(w in surface for w in leftover):
                return Intent(
                    action="choose_option",
                    slots={"trip_time": times[0].value},
                    confidence=0.85,
                    trace=("whole answer: the trip at a time",),
                )
        if ordinals and len(a.mentions) == 1 and ordinals[0].value <= _MAX_OPTION:
            surface = set(re.sub(r"[^\w\s]", " ", ordinals[0].surface.lower()).split())
            if all(w in surface for w in leftover):
                return Intent(
                    action="choose_option",
                    slots={"option": int(ordinals[0].value)},
                    confidence=0.9,
                    trace=("whole answer: an option number",),
                )
        if len(a.displays) == 1:
            d = a.displays[0]
            rest = (a.text[: d.start] + " " + a.text[d.end :]).lower()
            rest_words = [w for w in re.findall(r"[a-z']+", rest) if w not in option_words]
            if all(w in {"trip", "route"} for w in rest_words):
                return Intent(
                    action="choose_option",
                    slots={"trip_name": d.name, "trip_time": d.time},
                    confidence=0.85,
                    trace=("whole answer: a trip named in full",),
                )
        return None

    # --- scoring ----------------------------------------------------------------------------

    def _rank(self, present: set[str], page: str | None) -> list[Scored]:
        page_code = {"busDashboard": "B", "manageRoute": "M"}.get(page or "")
        question = "$question" in present
        scored: list[Scored] = []
        for action, spec, patterns in self.compiled:
            best: Scored | None = None
            for i, needed, excluded, groups, base in patterns:
                if not needed <= present or not excluded.isdisjoint(present):
                    continue
                if any(group.isdisjoint(present) for group in groups):
                    continue
                score = base
                if page_code is not None and spec.page in (page_code, "G"):
                    score += 0.25
                if question and spec.kind in ("write", "risky", "bulk"):
                    score -= self.spec.settings.question_penalty  # a question orders nothing
                if best is None or score > best.score:
                    best = Scored(action, score, i)
            if best is not None:
                scored.append(best)
        scored.sort(key=lambda s: s.score, reverse=True)
        return scored

    def _simulated(
        self, a: Analysis, page: str | None, today: date, selected_trip_id: int | None
    ) -> dict[str, Any]:
        """The action a "what if …" asks about, read from the command without its "what if".

        Only a write can be rehearsed, so reads ("show me the impact of …") never win.
        """
        text = a.text
        for start, end in reversed(_merged(a.classes.get("SIMULATE", []))):
            text = text[:start] + " " + text[end:]
        inner = self._analyse(re.sub(r"\s+", " ", text).strip(" :,"), today)
        inner.present.discard("$question")
        ranked = [
            s
            for s in self._rank(inner.present, page)
            if s.action != "simulate_action"
            and self.spec.actions[s.action].kind in ("write", "risky", "bulk")
        ]
        if not ranked:
            return {}
        target = ranked[0].action
        return {"target_action": target, **self._fill(target, inner, selected_trip_id)}

    # --- the phrasebook backoff -------------------------------------------------------------

    def phrasebook(self) -> Phrasebook | None:
        """The labelled examples, shaped by this grammar on first use (None when there are none)."""
        if self._phrasebook is None and self._phrasebook_path is not None:
            with self._phrasebook_lock:
                if self._phrasebook is None and self._phrasebook_path.is_file():
                    today = date(2026, 11, 28)
                    pairs = [
                        (self.shape(self._analyse(self._prepare(text, today), today)), action)
                        for text, action in Phrasebook.read(self._phrasebook_path)
                    ]
                    self._phrasebook = Phrasebook(
                        pairs, cutoff=self.spec.settings.phrasebook_cutoff
                    )
        return self._phrasebook

    def _prepare(self, text: str, today: date) -> str:
        said = spoken_numbers(clean(text))
        work = self.asides.drop(self._apply_correction(self._expand(said), today, []))
        return self.typos.repair(self.noise.strip(work))[0]

    def shape(self, a: Analysis) -> str:
        """The command with its particulars replaced by placeholders ("cancel trip <trip>")."""
        spans: list[tuple[int, int, str]] = []
        spans.extend((m.start, m.end, PLACEHOLDERS.get(m.kind, "<x>")) for m in a.mentions)
        spans.extend((d.start, d.end, PLACEHOLDERS["display"]) for d in a.displays)
        spans.extend((p.start, p.end, PLACEHOLDERS["path"]) for p in a.paths)
        spans.extend((c.start, c.end, PLACEHOLDERS["name"]) for c in a.chunks)
        text = a.text
        last = len(text) + 1
        for start, end, placeholder in sorted(spans, key=lambda s: s[0], reverse=True):
            if end > last:
                continue  # overlaps a span already replaced
            text = text[:start] + f" {placeholder} " + text[end:]
            last = start
        return " ".join(re.sub(r"[^\w<>']+", " ", text.lower()).split())

    def _from_phrasebook(
        self, a: Analysis, page: str | None, selected_trip_id: int | None, trace: list[str]
    ) -> Intent | None:
        book = self.phrasebook()
        if book is None:
            return None
        shape = self.shape(a)
        guess = book.guess(shape)
        if guess is None or guess.votes <= 0.5 or guess.action not in self.spec.actions:
            return None
        if guess.action == "unknown":
            return None
        ceiling = self.spec.settings.phrasebook_confidence
        confidence = ceiling * guess.votes * (guess.score / 100)
        trace.append(
            f"phrasebook: {shape!r} is {guess.score:.0f}% like {guess.neighbours[0]!r} "
            f"({guess.votes:.0%} of the neighbours' votes for {guess.action})"
        )
        return Intent(
            action=guess.action,
            slots=self._fill(guess.action, a, selected_trip_id),
            confidence=round(max(0.05, min(confidence, ceiling)), 3),
            source="rules",
            trace=tuple(trace),
        )

    def _choose(
        self,
        ranked: list[Scored],
        a: Analysis,
        page: str | None,
        today: date,
        selected_trip_id: int | None,
        trace: list[str],
    ) -> tuple[Scored, dict[str, Any], list[str]]:
        """The best-scored action, unless it lacks what it needs and a close rival has it all.

        "who is available to drive on friday" scores highest as a driver's status, but names
        no driver; the list of available drivers, close behind, needs nothing more. A rival is
        close when it scores within ``settings.rerank_margin`` of the best and is no riskier
        (read < write < risky < bulk): in doubt, the parser never trades a question for a
        write. A trip referred to as "this trip" counts as named even without a selection.
        """
        candidates = _distinct(ranked)
        best = candidates[0]
        slots = self._slots(best.action, a, page, today, selected_trip_id)
        missing = self._missing(best.action, slots)
        if not self._lacking(best.action, slots, a):
            return best, slots, missing
        margin = self.spec.settings.rerank_margin
        risk = _RISK[self.spec.actions[best.action].kind]
        for rival in candidates[1:]:
            if rival.score < best.score - margin:
                break
            if _RISK[self.spec.actions[rival.action].kind] > risk:
                continue  # in doubt, never trade the command for a riskier one
            rival_slots = self._slots(rival.action, a, page, today, selected_trip_id)
            if not self._lacking(rival.action, rival_slots, a):
                trace.append(
                    f"{best.action} lacks {', '.join(missing)}; {rival.action} "
                    f"(score {rival.score:.2f}) has what it needs"
                )
                return rival, rival_slots, self._missing(rival.action, rival_slots)
        return best, slots, missing

    def _slots(
        self, action: str, a: Analysis, page: str | None, today: date, selected_trip_id: int | None
    ) -> dict[str, Any]:
        if action == "simulate_action":
            return self._simulated(a, page, today, selected_trip_id)
        return self._fill(action, a, selected_trip_id)

    def _doubtful(self, best: Scored, slots: dict[str, Any], a: Analysis) -> bool:
        """A reading to offer back as a question rather than act on.

        A weak match that lacks a required slot while words it does not use are left over is
        most likely about something else: "the AC in the bus is not working" is no vehicle
        status. "create stop" or "cancel the trip" lack a slot too, but say nothing else; the
        engine asks them for what is missing.
        """
        if best.score >= self.spec.settings.weak_score or not self._lacking(best.action, slots, a):
            return False
        used = {v for v in slots.values() if isinstance(v, str)}
        return any(chunk.text not in used for chunk in a.chunks)

    def _lacking(self, action: str, slots: dict[str, Any], a: Analysis) -> list[str]:
        """Required slots not filled, a trip said as "this trip" counting as filled."""
        return [
            slot
            for slot in self._missing(action, slots)
            if not (slot == _TRIP_ACTIONS_NEED and a.this is not None)
        ]

    def _missing(self, action: str, slots: dict[str, Any]) -> list[str]:
        missing = []
        for slot in self.spec.actions[action].slots.required:
            needs = COMPOSITE_SLOTS.get(slot, (slot,))
            if not any(n in slots for n in needs):
                missing.append(slot)
        return missing

    @staticmethod
    def _confidence(best: Scored, runner_up: Scored | None, missing: list[str]) -> float:
        confidence = 0.5 + 0.12 * min(best.score, 3.0)
        margin = best.score - runner_up.score if runner_up else best.score
        if margin >= 1.0:
            confidence += 0.1
        elif margin < 0.3:
            confidence -= 0.2
        confidence -= 0.12 * min(len(missing), 2)
        return max(0.05, min(confidence, 0.99))

    # --- slots ------------------------------------------------------------------------------

    def _fill(self, action: str, a: Analysis, selected_trip_id: int | None) -> dict[str, Any]:
        spec: ActionSpec = self.spec.actions[action]
        wanted = [*spec.slots.required, *spec.slots.optional]
        slots: dict[str, Any] = {}
        claimed: set[int] = set()  # ids of mentions used by a slot

        def take(kind: str, *, where: Any = None) -> Mention | None:
            for m in a.mentions:
                if m.kind != kind or id(m) in claimed or a.inside_display(m.start, m.end):
                    continue
                if where is not None and not where(m):
                    continue
                claimed.add(id(m))
                return m
            return None

        # "add 3 to 4391 bookings", "4286 delay 10": the id-like number is the trip, kept from
        # the count and the minutes that would otherwise take the first number they meet.
        bare_trip = _bare_trip_number(a) if _TRIP_ACTIONS_NEED in wanted else None
        if bare_trip is not None:
            claimed.add(id(bare_trip))
        # Targets first, so that the trip keeps what is left ("move the 8am trip to 9:15").
        if "new_time" in wanted:
            times = [m for m in a.of("time") if not a.inside_display(m.start, m.end)]
            cued = [m for m in times if _NEW_TIME_CUE.search(a.text[: m.start])]
            explicit_trip = bool(a.of("trip_id") or a.displays or a.this)
            pick = None
            if cued:
                pick = cued[-1]
            elif times and (len(times) >= 2 or explicit_trip):
                pick = times[-1]
            if pick is not None:
                claimed.add(id(pick))
                slots["new_time"] = pick.value
        if "new_date" in wanted:
            dates = a.of("date")
            cued = [m for m in dates if _date_target(a.text, m)]
            pick = cued[-1] if cued else None
            if pick is None and dates:
                last = dates[-1]
                if not a.text[last.end :].startswith("'s"):
                    pick = last
            if pick is not None:
                claimed.add(id(pick))
                slots["new_date"] = pick.value
        if "shift_time" in wanted:
            m = take("time")
            if m is not None:
                slots["shift_time"] = m.value
        if "minutes" in wanted:
            m = take("duration")
            if m is not None:
                slots["minutes"] = m.value
        if "days" in wanted:
            m = take("days")
            if m is not None:
                slots["days"] = m.value
        if "capacity" in wanted:
            m = take("quantity", where=lambda m: m.unit == "seater") or take(
                "quantity", where=lambda m: m.unit == "seats"
            )
            if m is not None:
                slots["capacity"] = m.value
        if "count" in wanted:
            m = take("quantity", where=lambda m: m.unit in ("bookings", "seats", "people"))
            if m is None:
                m = take("quantity") or (
                    take("number") if action in ("add_bookings", "reduce_bookings") else None
                )
            if m is not None:
                slots["count"] = m.value
        if "option" in wanted:
            m = take("ordinal") or take("number")
            if m is not None:
                slots["option"] = m.value
        if "phone" in wanted:
            m = take("phone")
            if m is not None:
                slots["phone"] = m.value
        if "latitude" in wanted:
            for kind in ("latitude", "longitude"):
                m = take(kind)
                if m is not None:
                    slots[kind] = m.value
        if {"vehicle", "vehicle_ref"} & set(wanted):
            m = take("registration")
            if m is not None:
                slots["vehicle"] = m.value
            elif "vehicle_ref" in wanted or "vehicle_desc" in wanted:
                desc = self._vehicle_desc(a)
                if desc:
                    slots["vehicle_desc"] = desc
        if "vehicle_type" in wanted:
            value = self._value("vehicle_type", a.text)
            if value:
                slots["vehicle_type"] = value
        if "color" in wanted:
            spans = a.classes.get("COLOR")
            if spans:
                s, e = spans[0]
                slots["color"] = a.text[s:e].lower()
        if "status" in wanted:
            value = self._status(action, a.text)
            if value:
                slots["status"] = value
        if "direction" in wanted:
            value = self._value("direction", a.text)
            if value:
                slots["direction"] = value
        if "stops" in wanted and a.stops is not None:
            slots["stops"] = a.stops[0]
        if "reason" in wanted:
            reason = self._reason(a)
            if reason:
                slots["reason"] = reason
        if "route" in wanted and a.displays:
            d = a.displays[0]
            slots["route"] = a.text[d.start : d.end].strip("'\"")
        self._names(action, wanted, a, slots)
        if bare_trip is not None:
            slots["trip_id"] = bare_trip.value
        elif _TRIP_ACTIONS_NEED in wanted or "audit_target" in wanted:
            self._trip(action, a, slots, claimed, selected_trip_id)
        if "trip_name" in wanted and "trip_name" not in slots:
            name = self._trip_name(a, slots)
            if name:
                slots["trip_name"] = name
        if "trip_time" in wanted and "trip_time" not in slots:
            m = take("time")
            if m is not None:
                slots["trip_time"] = m.value
        if "date" in wanted and "date" not in slots:
            m = take("date")
            if m is not None:
                slots["date"] = m.value
        return slots

    def _trip(
        self,
        action: str,
        a: Analysis,
        slots: dict[str, Any],
        claimed: set[int],
        selected_trip_id: int | None,
    ) -> None:
        ids = a.of("trip_id")
        if ids:
            slots["trip_id"] = ids[0].value
        elif a.displays:
            d = a.displays[0]
            slots["trip_name"], slots["trip_time"] = d.name, d.time
        elif a.this is not None and selected_trip_id is not None and _SELECTED.search(a.this.text):
            slots["trip_id"] = selected_trip_id
        else:
            name = self._trip_name(a, slots)
            free_times = [
                m
                for m in a.of("time")
                if id(m) not in claimed and not a.inside_display(m.start, m.end)
            ]
            if name:
                slots["trip_name"] = name
            if free_times:
                slots["trip_time"] = free_times[0].value
                claimed.add(id(free_times[0]))
            if not name and not free_times:
                if a.this is not None and selected_trip_id is not None:
                    slots["trip_id"] = selected_trip_id
                elif action not in ("get_audit_trail",):
                    numbers = [m for m in a.of("number") if id(m) not in claimed]
                    if len(numbers) == 1 and "count" not in slots:
                        slots["trip_id"] = numbers[0].value
                        claimed.add(id(numbers[0]))
        if "date" not in slots:
            for m in a.of("date"):
                if id(m) not in claimed:
                    slots["date"] = m.value
                    claimed.add(id(m))
                    break

    def _trip_name(self, a: Analysis, slots: dict[str, Any]) -> str | None:
        if a.paths:
            return a.paths[0].text
        used = {v for v in slots.values() if isinstance(v, str)}
        trip_spans = a.classes.get("TRIP_WORD", [])
        times = [m for m in a.of("time")]
        for chunk in a.chunks:
            if chunk.text in used:
                continue
            after = a.text[chunk.end :].lstrip()
            followed_by_trip = any(
                s == chunk.end + (len(a.text[chunk.end :]) - len(after)) for s, _ in trip_spans
            )
            next_to_time = any(_beside(a.text, chunk, m) for m in times)
            if followed_by_trip or next_to_time:
                return chunk.text
        return None

    def _names(self, action: str, wanted: list[str], a: Analysis, slots: dict[str, Any]) -> None:
        used: set[int] = set()
        # A route is always its whole display name ("Path-2 - 08:00"), never a bare chunk.
        name_slots = [s for s in ("driver", "employee", "stop", "path") if s in wanted]
        if "path" in name_slots and a.paths:
            slots["path"] = a.paths[0].text
        for slot in name_slots:
            if slot in slots:
                continue
            chunk = self.roles.cued(slot, a.text, [c for c in a.chunks if c.start not in used])
            if chunk is not None:
                slots[slot] = chunk.text
                used.add(chunk.start)
        if "new_name" in wanted:
            value = self._new_name(a, slots)
            if value:
                slots["new_name"] = value
        fallback = self.spec.fallback_name.get(action)
        if fallback and fallback in wanted and fallback not in slots and fallback != "reason":
            # Beside a time a name is a trip's, unless the action takes no trip ("create a
            # login route on Jigani Loop at 7.15 am": the name is the path).
            takes_trip = _TRIP_ACTIONS_NEED in wanted or "audit_target" in wanted
            free = [
                c
                for c in a.chunks
                if c.start not in used
                and not (takes_trip and self._is_trip_name(a, c))
                and not self.roles.modifies(fallback, a.text[c.end :])
            ]
            if free:
                # In mixed-case text a capitalised chunk is the likelier name ("asked for an
                # experienced driver, so assign Thimmaiah …").
                mixed_case = a.text != a.text.lower()
                named = [c for c in free if c.text[:1].isupper()] if mixed_case else []
                slots[fallback] = (named or free)[0].text

    def _new_name(self, a: Analysis, slots: dict[str, Any]) -> str | None:
        """The new name: what follows the last cue after the stop ("… is now called X, update it").

        It runs to the end of the command or to the first comma, without trailing politeness
        or a Hinglish verb ("… ka naam X kar do"). Later cues win, so in "change Uttarahalli
        stop name into Uttarahalli Circle" the name follows "into", not "stop".
        """
        start = 0
        stop = slots.get("stop")
        for chunk in a.chunks:
            if chunk.text == stop:
                start = chunk.end
                break
        cues = list(self.roles.cues("new_name", a.text[start:]))
        for cue in reversed(cues):
            rest = _NAME_END.split(a.text[start + cue.end() :], maxsplit=1)[0]
            value = _TRAILER.sub("", rest).strip(" .,!?'\"")
            if value and not self.non_name_word.fullmatch(value):
                return value
        return None

    def _person_pair(self, a: Analysis) -> bool:
        """A name joined to a registration ("Ramesh and KA01AB1234", "KA01AB1234 with Ramesh")."""
        for plate in a.of("registration"):
            for chunk in a.chunks:
                if chunk.end <= plate.start:
                    gap = a.text[chunk.end : plate.start]
                elif plate.end <= chunk.start:
                    gap = a.text[plate.end : chunk.start]
                else:
                    continue
                if _PAIR_GLUE.fullmatch(gap.strip().lower()) and not self._is_trip_name(a, chunk):
                    return True
        return False

    def _is_trip_name(self, a: Analysis, chunk: Span) -> bool:
        """A chunk that names a trip: followed by "trip", or right beside a time."""
        after = a.text[chunk.end :].lstrip().lower()
        if after.startswith(("trip", "run")):
            return True
        return any(_beside(a.text, chunk, m) for m in a.of("time"))

    def _vehicle_desc(self, a: Analysis) -> str | None:
        """The vehicle as described, without the article: "the white 32 seater" → "white 32 seater".

        When several are described the last one wins, as the operator's final word: "they want
        a bigger vehicle, so put the 45 seater on trip 1290" → "45 seater".
        """
        found: list[tuple[int, int, str]] = []
        for s, e in a.classes.get("VEHICLE", []):
            start = self._qualified_from(a, s)
            if start < s:
                found.append((start, e, a.text[start:e].strip()))
        for m in a.of("quantity"):
            if m.unit != "seater":
                continue
            start = self._qualified_from(a, m.start)
            lead = a.text[start : m.start].strip()
            found.append((start, m.end, f"{lead} {m.value} seater".strip()))
        if not found:
            return None
        return max(found)[2]

    @staticmethod
    def _qualified_from(a: Analysis, start: int) -> int:
        """Where the qualifiers and colour before a vehicle word begin ("any spare", "white")."""
        qualifiers = _VEHICLE_QUALIFIERS.search(a.text[:start])
        begin = qualifiers.start() if qualifiers else start
        for cs, ce in a.classes.get("COLOR", []):
            if ce <= start and start - ce <= 12:
                begin = min(begin, cs)
        return begin

    def _value(self, slot: str, text: str) -> str | None:
        best: tuple[int, str] | None = None
        for value, pattern in self.value_patterns.get(slot, []):
            for match in pattern.finditer(text):
                length = match.end() - match.start()
                if best is None or length > best[0]:
                    best = (length, value)
        return best[1] if best else None

    def _status(self, action: str, text: str) -> str | None:
        best: tuple[int, str] | None = None
        for value, pattern in self.status_patterns.get(action, []):
            for match in pattern.finditer(text):
                length = match.end() - match.start()
                if best is None or length > best[0]:
                    best = (length, value)
        return best[1] if best else None

    def _reason(self, a: Analysis) -> str | None:
        if a.reason is not None:
            return _BECAUSE.sub("", a.reason, count=1).strip(" .!?\"':,") or None
        regs = a.of("registration")
        start = regs[0].end if regs else 0
        match = _REASON.search(a.text, start)
        if match is None:
            return None
        reason = match.group("reason").strip(" .!?\"'")
        return reason or None


def _date_target(text: str, m: Mention) -> bool:
    """Whether a date is where something goes ("to monday", "sunday pe"), not when it is."""
    return bool(_TARGET_CUE.search(text[: m.start]) or _TARGET_CUE_AFTER.match(text, m.end))


def _is_question(text: str) -> bool:
    """Whether the command asks rather than orders; its last sentence decides.

    "who's driving 3390? make it Faizal" orders; "KA 41 blocked hai kya" and "HR is asking
    whether trip 1880 started" ask.
    """
    last = _LAST_SENTENCE.split(text.strip())[-1]
    return bool(
        last.rstrip().endswith("?")
        or _QUESTION_START.match(last)
        or _QUESTION_END.search(last)
        or _QUESTION_INSIDE.search(last)
    )


def _polite_request(text: str, orders: frozenset[str]) -> bool:
    """ "can you cancel trip 42?", "would it be possible to move it to 9?", "can trip 42 be
    called off?" order; "can you tell me whether trip 42 is cancelled?", "could you check if it
    left?" and "can we fit 3 more on trip 42?" still ask: the verb asked for must be an order
    (``orders``, or a passive "be …")."""
    # The sentence or clause that asks: "Ganesh is back from leave - could you set him to …?"
    last = _REQUEST_CLAUSE.split(text.strip())[-1]
    match = _POLITE_REQUEST.match(last)
    if match is None:
        return False
    verb = match.group("verb").lower()
    passive = match.group(0).lower().split()[-2:-1] == ["be"]
    if verb in _ASKING_VERBS or not (passive or _is_order(verb, orders)):
        return False
    return not _QUESTION_INSIDE.search(last) and not re.search(r"\bif\b", last, re.IGNORECASE)


def _is_order(verb: str, orders: frozenset[str]) -> bool:
    """``verb`` or its stem is an order: "cancel", "delaying", "moved", "scrapping"."""
    stems = {verb, verb.removesuffix("ing"), verb.removesuffix("ing") + "e", verb[:-4]}
    return not orders.isdisjoint(stems)


def _unknown(confidence: float, why: str) -> Intent:
    return Intent(action="unknown", slots={}, confidence=confidence, trace=(why,))


def _bare_trip_number(a: Analysis) -> Mention | None:
    """The number that can only be the trip, in a command that names the trip no other way.

    That is the one id-like number (3-5 digits) when every other bare number is small: "3871
    cancel", "add 3 to 4391 bookings", "delay 4981 by 15". Two id-like numbers, a "trip 42",
    a display name, a path name or "this trip" leave it undecided (None).
    """
    if a.of("trip_id") or a.displays or a.paths or a.this is not None:
        return None
    # "lower 8396 bookings by 7": no trip has thousands of bookings, so that is the trip too.
    numbers = [
        m
        for m in a.mentions
        if (m.kind == "number" or (m.kind == "quantity" and m.unit in _HEADCOUNT_UNITS))
        and not a.inside_display(m.start, m.end)
    ]
    ids = [m for m in numbers if _BARE_ID.fullmatch(str(m.value))]
    if len(ids) != 1:
        return None
    if any(m is not ids[0] and not _SMALL_NUMBER.fullmatch(str(m.value)) for m in numbers):
        return None
    return ids[0]


def _kind_family(kind: str) -> str:
    return {"number": "trip_id", "latitude": "coordinates", "longitude": "coordinates"}.get(
        kind, kind
    )


def _beside(text: str, chunk: Span, m: Mention) -> bool:
    """Whether a name and a time stand together ("8am Path-2", "Bidadi Line at 17:20").

    Only a space, a dash or "at" may stand between a name and its time, and only a space
    between a time and its name: in "17:40 to Parameshwar" the name is where the trip goes,
    in "shaam 6 baje - Lingaraju chalayega" who drives it.
    """
    if 0 <= m.start - chunk.end <= 4:
        return _TIME_GLUE.fullmatch(text[chunk.end : m.start]) is not None
    if 0 <= chunk.start - m.end <= 4:
        return not text[m.end : chunk.start].strip()  # "8am Path-2", not "6 baje - Lingaraju"
    return False


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping spans joined, in text order ("what would happen if" ⊃ "what would happen")."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _distinct(ranked: list[Scored]) -> list[Scored]:
    seen: set[str] = set()
    out = []
    for s in ranked:
        if s.action not in seen:
            seen.add(s.action)
            out.append(s)
    return out


def _by_first_word(phrases: list[tuple[str, ...]]) -> dict[str, list[tuple[str, ...]]]:
    """Phrases grouped by their first word, longest first within a group."""
    index: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:  # already longest first
        if phrase:
            index.setdefault(phrase[0], []).append(phrase)
    return index


def _leading(words: list[str], index: dict[str, list[tuple[str, ...]]]) -> int:
    """How many leading words form one of the phrases (0 when none does)."""
    for phrase in index.get(words[0], ()) if words else ():
        if tuple(words[: len(phrase)]) == phrase:
            return len(phrase)
    return 0


def _covers(words: list[str], index: dict[str, list[tuple[str, ...]]]) -> bool:
    """Whether ``words`` is entirely a sequence of the given phrases."""
    i = 0
    while i < len(words):
        for phrase in index.get(words[i], ()):
            if tuple(words[i : i + len(phrase)]) == phrase:
                i += len(phrase)
                break
        else:
            return False
    return True
