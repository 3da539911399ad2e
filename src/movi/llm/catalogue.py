"""The catalogue as the LLM sees it: actions, pages, slots and their allowed values.

Built once from the grammar's spec (``patterns.yaml``), so the prompt and the validation of the
answer can never disagree with the rules parser about what an action takes. The answers to a
pending question (confirm, deny, choose_option) are left out on purpose: the model reads new
commands, it never answers a confirmation on the operator's behalf.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from movi.grammar.spec import GrammarSpec

#: A reference slot of ``patterns.yaml`` and the real slots that fill it (SPEC section 3).
COMPOSITES: dict[str, tuple[str, ...]] = {
    "trip": ("trip_id", "trip_name", "trip_time", "date"),
    "vehicle_ref": ("vehicle", "vehicle_desc"),
    "audit_target": ("trip_id", "trip_name", "trip_time", "vehicle", "driver"),
}

PAGES = {"B": "busDashboard", "M": "manageRoute", "G": "any page"}

SIMULATE = "simulate_action"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class ActionEntry:
    """One action: its page letter, kind, slots as the YAML names them, and the real slots."""

    name: str
    page: str
    kind: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    allowed: frozenset[str]
    statuses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Catalogue:
    """What the model may answer: ``actions`` by name and the enum values per slot."""

    actions: dict[str, ActionEntry]
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)
    phrases: dict[str, dict[str, str]] = field(default_factory=dict)
    """Per enum slot, a phrase an operator uses → its value ("pickup" → LOGIN)."""

    @classmethod
    def from_spec(cls, spec: GrammarSpec) -> Catalogue:
        actions: dict[str, ActionEntry] = {}
        for name, action in spec.actions.items():
            if action.kind == "answer":
                continue
            required, optional = action.slots.required, action.slots.optional
            allowed: set[str] = set()
            for slot in (*required, *optional):
                allowed.update(COMPOSITES.get(slot, (slot,)))
            actions[name] = ActionEntry(
                name=name,
                page=action.page,
                kind=action.kind,
                required=required,
                optional=optional,
                allowed=frozenset(allowed),
                statuses=tuple(spec.statuses.get(name, {})),
            )
        enums = {slot: tuple(table) for slot, table in spec.values.items()}
        phrases = {
            slot: {p.lower(): value for value, ps in table.items() for p in ps}
            for slot, table in spec.values.items()
        }
        for name, table in spec.statuses.items():
            phrases[f"status:{name}"] = {
                p.lower(): value for value, ps in table.items() for p in ps
            }
        return cls(actions=actions, enums=enums, phrases=phrases)

    def allowed(self, action: str, target: str | None = None) -> frozenset[str]:
        """Slots the action takes; a simulation takes its target's slots beside its own."""
        entry = self.actions.get(action)
        if entry is None:
            return frozenset()
        if action == SIMULATE:
            inner = self.actions.get(target or "")
            return frozenset({"target_action"}) | (inner.allowed if inner else frozenset())
        return entry.allowed

    def simulatable(self, action: str) -> bool:
        return action in self.actions and action not in (SIMULATE, UNKNOWN)
