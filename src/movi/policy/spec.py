"""``policy.yaml`` as typed data, validated when loaded.

The loader refuses a policy that names an unknown action, role, group or consequence, lists a
code under two verdicts, or has a message template that uses data its consequence does not
carry, with a message that says where (PolicyError). Catching these at load time is what lets a
rule change be made by editing the YAML alone. An action that overrides a code's verdict must
word it itself, since the code's default message is written for its default verdict.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from movi.errors import PolicyError
from movi.policy.decision import Verdict
from movi.policy.templates import template_fields

FORMAT = "movi.policy.v1"

Kind = Literal["read", "write", "risky", "bulk", "answer"]
PageCode = Literal["B", "M", "G"]

#: Kinds that change something: they count against the write rate limit.
WRITE_KINDS: frozenset[str] = frozenset({"write", "risky", "bulk"})

VERDICTS: tuple[Verdict, ...] = ("proceed", "confirm", "refuse")

_ACTION_KEYS = frozenset({"action", "title", "Title"})

#: The keys each entry of ``messages`` may use.
MESSAGE_FIELDS: dict[str, frozenset[str]] = {
    "confirm_question": frozenset(),
    "proceed": _ACTION_KEYS,
    "bulk_without_preview": _ACTION_KEYS,
    "wrong_page": _ACTION_KEYS | {"page", "current"},
    "missing_page": _ACTION_KEYS | {"page"},
    "role_not_allowed": _ACTION_KEYS | {"role", "roles"},
    "role_not_allowed_anyone": _ACTION_KEYS | {"role"},
    "unknown_role": frozenset({"role", "roles"}),
    "unknown_action": frozenset({"action"}),
    "bulk_not_allowed": _ACTION_KEYS | {"role"},
    "bulk_limit": _ACTION_KEYS | {"role", "done", "limit"},
    "rate_limit": _ACTION_KEYS | {"role", "done", "limit"},
    "input_too_long": frozenset({"length", "limit"}),
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RoleSpec(_Frozen):
    """A role's grants: every action of these kinds, of these groups, and these by name."""

    description: str = ""
    kinds: tuple[Kind, ...] = ()
    groups: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()


class LimitsSpec(_Frozen):
    max_chars: int = Field(gt=0)
    writes_per_minute: int = Field(gt=0)
    bulk_per_day: dict[str, int] = {}

    @field_validator("bulk_per_day")
    @classmethod
    def _not_negative(cls, value: dict[str, int]) -> dict[str, int]:
        for role, limit in value.items():
            if limit < 0:
                raise ValueError(f"{role}: a daily limit cannot be negative (got {limit})")
        return value


class DefaultsSpec(_Frozen):
    unlisted_consequence: Verdict = "confirm"


class MessagesSpec(_Frozen):
    confirm_question: str
    proceed: str
    bulk_without_preview: str
    wrong_page: str
    missing_page: str
    role_not_allowed: str
    role_not_allowed_anyone: str
    unknown_role: str
    unknown_action: str
    bulk_not_allowed: str
    bulk_limit: str
    rate_limit: str
    input_too_long: str


class ConsequenceSpec(_Frozen):
    """A code the engine's checks report: its data keys, default verdict and wording."""

    verdict: Verdict
    when: str = Field(min_length=1)
    data: tuple[str, ...] = ()
    message: str = Field(min_length=1)


class ActionSpec(_Frozen):
    """Where an action is done, what kind it is, and what its consequences decide."""

    page: PageCode
    kind: Kind
    group: str
    title: str = Field(min_length=1)
    confirm: tuple[str, ...] = ()
    refuse: tuple[str, ...] = ()
    proceed: tuple[str, ...] = ()
    messages: dict[str, str] = {}

    def listed_verdict(self, code: str) -> Verdict | None:
        for verdict in VERDICTS:
            if code in getattr(self, verdict):
                return verdict
        return None


class PolicySpec(_Frozen):
    format: str
    pages: dict[str, Literal["B", "M"]] = Field(min_length=1)
    confirmation_ttl_minutes: int = Field(gt=0)
    limits: LimitsSpec
    defaults: DefaultsSpec = DefaultsSpec()
    groups: dict[str, str] = Field(min_length=1)
    roles: dict[str, RoleSpec] = Field(min_length=1)
    messages: MessagesSpec
    consequences: dict[str, ConsequenceSpec]
    actions: dict[str, ActionSpec] = Field(min_length=1)

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value != FORMAT:
            raise ValueError(f"format must be {FORMAT!r} (got {value!r})")
        return value


def default_path() -> Path:
    """``data/policy.yaml`` shipped with the package (a link to the repository's ``data/``)."""
    return Path(str(resources.files("movi") / "data" / "policy.yaml"))


def load_spec(path: str | Path | None = None) -> PolicySpec:
    """Read and validate a policy file; raises PolicyError saying what is wrong and where."""
    source = Path(path) if path is not None else default_path()
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(f"cannot read the policy file {source}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"{source} is not valid YAML: {exc}") from exc
    return parse_spec(raw, source=str(source))


def parse_spec(raw: Any, *, source: str = "<policy>") -> PolicySpec:
    """Validate already-read policy data (a dict as YAML gives it)."""
    if not isinstance(raw, dict):
        raise PolicyError(f"{source}: a policy is a mapping with format: {FORMAT}")
    if "format" not in raw:
        raise PolicyError(f"{source}: format is missing; the first key must be format: {FORMAT}")
    try:
        spec = PolicySpec.model_validate(raw)
    except ValidationError as exc:
        raise PolicyError(f"{source}: {_problems(exc)}") from exc
    problems = _check_references(spec)
    if problems:
        raise PolicyError(f"{source}: " + "; ".join(problems))
    return spec


def _problems(exc: ValidationError) -> str:
    """Pydantic's errors as "where: what" phrases, located by their YAML path."""
    phrases = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "(top level)"
        phrases.append(f"{where}: {error['msg']}")
    return "; ".join(phrases)


def _check_template(where: str, template: str, allowed: frozenset[str]) -> list[str]:
    try:
        required, optional = template_fields(template)
    except ValueError as exc:
        return [f"{where}: {exc}"]
    unknown = sorted((required | optional) - allowed)
    if unknown:
        known = ", ".join(sorted(allowed)) or "none"
        return [f"{where} uses {', '.join(unknown)}, which it does not carry (known: {known})"]
    return []


def _check_references(spec: PolicySpec) -> list[str]:
    problems: list[str] = []
    letters = set(spec.pages.values())
    for name, role in spec.roles.items():
        for group in role.groups:
            if group not in spec.groups:
                problems.append(f"roles.{name}.groups names unknown group {group!r}")
        for action in role.actions:
            if action not in spec.actions:
                problems.append(f"roles.{name}.actions names unknown action {action!r}")
    for role_name in spec.limits.bulk_per_day:
        if role_name not in spec.roles:
            problems.append(f"limits.bulk_per_day names unknown role {role_name!r}")
    for field, fields in MESSAGE_FIELDS.items():
        message: str = getattr(spec.messages, field)
        problems += _check_template(f"messages.{field}", message, fields)
    for code, consequence in spec.consequences.items():
        where = f"consequences.{code}.message"
        problems += _check_template(where, consequence.message, frozenset(consequence.data))
    for name, action_spec in spec.actions.items():
        where = f"actions.{name}"
        if action_spec.page != "G" and action_spec.page not in letters:
            problems.append(f"{where}.page is {action_spec.page} but no entry of pages maps to it")
        if action_spec.group not in spec.groups:
            problems.append(f"{where}.group names unknown group {action_spec.group!r}")
        seen: dict[str, str] = {}
        for verdict in VERDICTS:
            for code in getattr(action_spec, verdict):
                if code not in spec.consequences:
                    problems.append(f"{where}.{verdict} names unknown consequence {code!r}")
                elif code in seen:
                    problems.append(f"{where} lists {code!r} under both {seen[code]} and {verdict}")
                elif (
                    spec.consequences[code].verdict != verdict and code not in action_spec.messages
                ):
                    problems.append(
                        f"{where}.{verdict} lists {code!r}, whose default verdict is "
                        f"{spec.consequences[code].verdict}: give its wording in "
                        f"{where}.messages.{code}"
                    )
                seen[code] = verdict
        for code, template in action_spec.messages.items():
            known = spec.consequences.get(code)
            if known is None:
                problems.append(f"{where}.messages names unknown consequence {code!r}")
                continue
            problems += _check_template(f"{where}.messages.{code}", template, frozenset(known.data))
    return problems
