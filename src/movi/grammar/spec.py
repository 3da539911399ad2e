"""``patterns.yaml`` as typed data, validated when loaded.

The loader refuses a grammar that names an unknown word class, an unregistered extractor or an
action outside the catalogue, with a message that says where (GrammarError). Catching these at
load time is what lets a phrasing be added by editing the YAML alone.
"""

from __future__ import annotations

from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from movi.errors import GrammarError

FORMAT = "movi.patterns.v1"

#: Classes the grammar itself provides (mentions and references), usable in patterns.
BUILTIN_CLASSES = frozenset(
    {
        "$registration",
        "$trip_id",
        "$time",
        "$date",
        "$date_target",
        "$time_target",
        "$duration",
        "$days",
        "$quantity",
        "$seater",
        "$bookings_qty",
        "$people_qty",
        "$ordinal",
        "$number",
        "$phone",
        "$latitude",
        "$path_name",
        "$display_name",
        "$this_trip",
        "$trip",
        "$stop_list",
        "$name_subject",
        "$name",
        "$question",
        "$person_pair",
    }
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PatternSpec(_Frozen):
    """All of ``all``, one of each ``any`` group, none of ``none``; score = len(all) + bonus."""

    all: tuple[str, ...] = Field(min_length=1)
    any: tuple[tuple[str, ...], ...] = ()
    none: tuple[str, ...] = ()
    bonus: float = 0.0

    def classes(self) -> set[str]:
        named = set(self.all) | set(self.none)
        for group in self.any:
            named |= set(group)
        return named


class SlotsSpec(_Frozen):
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()


class ActionSpec(_Frozen):
    page: Literal["B", "M", "G"]
    kind: Literal["read", "write", "risky", "bulk", "answer"]
    slots: SlotsSpec = SlotsSpec()
    patterns: tuple[PatternSpec, ...] = ()


class RoleSpec(_Frozen):
    """Cue words around a name: "driver Ramesh" (after), "Ramesh as driver" (before).

    ``nouns`` name what the slot is; a word right before one qualifies it and is no name
    ("the wrong driver", "an experienced driver").
    """

    after: tuple[str, ...] = ()
    before: tuple[str, ...] = ()
    nouns: tuple[str, ...] = ()


class NoiseSpec(_Frozen):
    fillers: tuple[str, ...] = ()
    politeness: tuple[str, ...] = ()
    corrections: tuple[str, ...] = ()
    negations: tuple[str, ...] = ()
    asides: tuple[str, ...] = ()
    signoffs: tuple[str, ...] = ()
    retractions: tuple[str, ...] = ()
    restarts: tuple[str, ...] = ()


class SettingsSpec(_Frozen):
    max_chars: int = Field(default=2000, gt=0)
    typo_cutoff: float = Field(default=83, ge=50, le=100)
    typo_min_length: int = Field(default=4, ge=2)
    threshold_hint: float = Field(default=0.6, ge=0, le=1)
    phrasal_gap: int = Field(default=5, ge=0, le=10)
    question_penalty: float = Field(default=1.0, ge=0)
    rerank_margin: float = Field(default=2.0, ge=0)
    weak_score: float = Field(default=2.5, ge=0)
    weak_missing_cap: float = Field(default=0.55, ge=0, le=1)
    phrasebook: str | None = "phrasebook.jsonl"
    phrasebook_cutoff: float = Field(default=72.0, ge=0, le=100)
    phrasebook_confidence: float = Field(default=0.5, ge=0, le=1)


class NounSpec(_Frozen):
    classes: tuple[str, ...]
    after: tuple[str, ...] = ()


class RemarksSpec(_Frozen):
    cues: tuple[str, ...] = ()
    requests: tuple[str, ...] = ()
    orders: tuple[str, ...] = ()
    final_orders: tuple[str, ...] = ()


class GrammarSpec(_Frozen):
    format: str
    extractors: tuple[str, ...]
    settings: SettingsSpec = SettingsSpec()
    noise: NoiseSpec = NoiseSpec()
    lexicon: dict[str, tuple[str, ...]]
    phrasal: dict[str, tuple[tuple[str, str], ...]] = {}
    abbreviations: dict[str, str] = {}
    whole: dict[str, str] = {}
    statuses: dict[str, dict[str, tuple[str, ...]]] = {}
    values: dict[str, dict[str, tuple[str, ...]]] = {}
    roles: dict[str, RoleSpec] = {}
    fallback_name: dict[str, str] = {}
    stopwords: tuple[str, ...] = ()
    name_words: tuple[str, ...] = ()
    injection: tuple[str, ...] = ()
    out_of_scope: tuple[str, ...] = ()
    vague: tuple[str, ...] = ()
    remarks: RemarksSpec = RemarksSpec()
    nouns: dict[str, NounSpec] = {}
    actions: dict[str, ActionSpec]

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value != FORMAT:
            raise ValueError(f"format must be {FORMAT!r} (got {value!r})")
        return value

    @cached_property
    def vocabulary(self) -> tuple[str, ...]:
        """Every word the grammar uses, once per use (what names are told apart from)."""
        words: list[str] = []
        for phrases in self.lexicon.values():
            for phrase in phrases:
                words.extend(phrase.lower().split())
        for table in (*self.statuses.values(), *self.values.values()):
            for phrases in table.values():
                for phrase in phrases:
                    words.extend(phrase.lower().split())
        return tuple(words)

    @cached_property
    def repair_targets(self) -> tuple[str, ...]:
        """Words a typo may be repaired to: single-word entries, once per use.

        Words that only occur inside longer phrases ("kahan" of "kahan tak") are left out: a
        name like "Khan" must not turn into one of them.
        """
        words: list[str] = []
        tables = [*self.lexicon.values()]
        for table in (*self.statuses.values(), *self.values.values()):
            tables.extend(table.values())
        for phrases in tables:
            words.extend(p.lower() for p in phrases if " " not in p.strip())
        return tuple(words)


def default_path() -> Path:
    """``data/patterns.yaml`` shipped with the package (a link to the repository's ``data/``)."""
    return Path(str(resources.files("movi") / "data" / "patterns.yaml"))


def load_spec(path: str | Path | None = None) -> GrammarSpec:
    """Read and validate a grammar file; raises GrammarError saying what is wrong and where."""
    source = Path(path) if path is not None else default_path()
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise GrammarError(f"cannot read the grammar file {source}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise GrammarError(f"{source} is not valid YAML: {exc}") from exc
    try:
        spec = GrammarSpec.model_validate(raw)
    except ValidationError as exc:
        raise GrammarError(f"{source} does not describe a grammar: {exc}") from exc
    _check_references(spec, source)
    return spec


def _check_references(spec: GrammarSpec, source: Path) -> None:
    from movi.grammar.extractors import extractors  # registers the built-in extractors

    known = set(spec.lexicon) | BUILTIN_CLASSES
    problems: list[str] = []
    for name in spec.extractors:
        if name not in extractors.get_all():
            problems.append(f"extractor {name!r} is not registered")
    for action, action_spec in spec.actions.items():
        for i, pattern in enumerate(action_spec.patterns):
            for cls in sorted(pattern.classes() - known):
                problems.append(f"actions.{action}.patterns[{i}] names unknown class {cls!r}")
    for cls in spec.phrasal:
        if cls not in spec.lexicon:
            problems.append(f"phrasal.{cls} is not a lexicon class")
    for action, cls in spec.whole.items():
        if cls not in spec.lexicon:
            problems.append(f"whole.{action} names unknown class {cls!r}")
        if action not in spec.actions:
            problems.append(f"whole.{action} is not an action")
    for action in spec.statuses:
        if action not in spec.actions:
            problems.append(f"statuses.{action} is not an action")
    for slot, role_slot in spec.fallback_name.items():
        if slot not in spec.actions:
            problems.append(f"fallback_name.{slot} is not an action")
        if role_slot not in spec.roles:
            problems.append(f"fallback_name.{slot} names {role_slot!r}, which has no roles entry")
    if problems:
        raise GrammarError(f"{source}: " + "; ".join(problems))
