"""The policy: ``policy.yaml`` loaded once, then pure decisions about one request at a time.

Lifecycle, as for the grammar: ``Policy.load(path)`` validates the file (PolicyError when it is
wrong); then :meth:`Policy.gate` (before resolution: page, role, limits) and :meth:`Policy.decide`
(after the consequence checks) are pure functions of their arguments. Nothing here touches the
database, so the decision router is tested without one.

Rule ids (``Decision.rule``) are the YAML path of the entry that fired, for example
``actions.remove_vehicle.confirm.bookings_affected`` or ``limits.writes_per_minute``;
:meth:`Policy.describe_rule` turns them into plain words for ``explain_decision``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from movi.policy.decision import Context, Decision, Verdict
from movi.policy.spec import (
    VERDICTS,
    WRITE_KINDS,
    ActionSpec,
    Kind,
    PolicySpec,
    RoleSpec,
    default_path,
    load_spec,
)
from movi.policy.templates import render
from movi.reply import Consequence

_RANK: dict[Verdict, int] = {verdict: rank for rank, verdict in enumerate(VERDICTS)}

_VERDICT_PHRASE: dict[Verdict, str] = {
    "confirm": "requires confirmation for {action} when {when}",
    "refuse": "refuses {action} when {when}",
    "proceed": "lets {action} proceed even when {when}",
}


def _either(names: Sequence[str], word: str = "or") -> str:
    """ "a", "a or b", "a, b or c"."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} {word} {names[-1]}"


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


class Policy:
    """Which page and role may do what, and what an action's consequences decide.

    >>> policy = Policy.load()
    >>> policy.kind("remove_vehicle")
    'risky'
    """

    def __init__(self, spec: PolicySpec, *, source: str = "<policy>") -> None:
        self.spec = spec
        self.source = source
        self._page_names: dict[str, str] = {}
        for name, letter in spec.pages.items():
            self._page_names.setdefault(letter, name)

    @classmethod
    def load(cls, path: str | Path | None = None) -> Policy:
        """Read and validate ``policy.yaml`` (the packaged one by default)."""
        source = Path(path) if path is not None else default_path()
        return cls(load_spec(source), source=str(source))

    # --- what the policy knows ------------------------------------------------------------

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(self.spec.actions)

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(self.spec.roles)

    @property
    def confirmation_ttl(self) -> timedelta:
        """How long a pending confirmation stays valid."""
        return timedelta(minutes=self.spec.confirmation_ttl_minutes)

    @property
    def max_chars(self) -> int:
        """The longest message movi accepts."""
        return self.spec.limits.max_chars

    def kind(self, action: str) -> Kind:
        """read | write | risky | bulk | answer; KeyError for an action the policy does not list."""
        spec = self.spec.actions.get(action)
        if spec is None:
            raise KeyError(f"the policy does not list the action {action!r}")
        return spec.kind

    def page_of(self, action: str) -> str | None:
        """The page where ``action`` is done, or None when it may be done on any page."""
        spec = self.spec.actions.get(action)
        if spec is None or spec.page == "G":
            return None
        return self._page_names[spec.page]

    def allows(self, role: str, action: str) -> bool:
        """Whether ``role`` may do ``action`` at all (page and limits aside)."""
        grants = self.spec.roles.get(role)
        spec = self.spec.actions.get(action)
        if grants is None or spec is None:
            return False
        return _grants(grants, action, spec)

    def roles_allowed(self, action: str) -> tuple[str, ...]:
        """The roles that may do ``action``, in the policy's order."""
        return tuple(role for role in self.spec.roles if self.allows(role, action))

    def verdict_for(self, action: str, code: str) -> Verdict:
        """What one consequence ``code`` decides for ``action`` on its own."""
        return self._judge(action, code)[0]

    # --- decisions ------------------------------------------------------------------------

    def check_input(self, text: str) -> Decision | None:
        """Refuse a message longer than ``limits.max_chars``; None when its length is fine."""
        limit = self.spec.limits.max_chars
        if len(text) <= limit:
            return None
        message = self._message("input_too_long", length=len(text), limit=limit)
        return _refuse("input_too_long", message, "limits.max_chars")

    def gate(self, action: str, context: Context) -> Decision | None:
        """Role, page and limits, checked before anything is resolved; None means allowed.

        The role comes first, so a command the user may never give is not answered with "go to
        the other page"; limits come last. Counts in ``context`` are what the user already did,
        so a user at the limit is refused.
        """
        grants = self.spec.roles.get(context.role)
        if grants is None:
            message = self._message("unknown_role", role=context.role, roles=_either(self.roles))
            return _refuse("unknown_role", message, "roles")
        spec = self.spec.actions.get(action)
        if spec is None:
            message = self._message("unknown_action", action=action)
            return _refuse("unknown_action", message, "actions")
        about = {"action": action, "title": spec.title, "Title": _capitalised(spec.title)}
        if not _grants(grants, action, spec):
            allowed = self.roles_allowed(action)
            if allowed:
                message = self._message(
                    "role_not_allowed", role=context.role, roles=_either(allowed), **about
                )
            else:
                message = self._message("role_not_allowed_anyone", role=context.role, **about)
            return _refuse("role_not_allowed", message, f"roles.{context.role}")
        if spec.page != "G" and self.spec.pages.get(context.page or "") != spec.page:
            page = self._page_names[spec.page]
            if context.page is None:
                message = self._message("missing_page", page=page, **about)
            else:
                message = self._message("wrong_page", page=page, current=context.page, **about)
            return _refuse("page_not_allowed", message, f"actions.{action}.page")
        limits = self.spec.limits
        if spec.kind in WRITE_KINDS and context.writes_last_minute >= limits.writes_per_minute:
            message = self._message(
                "rate_limit",
                role=context.role,
                done=context.writes_last_minute,
                limit=limits.writes_per_minute,
                **about,
            )
            return _refuse("rate_limit", message, "limits.writes_per_minute")
        if spec.kind == "bulk":
            limit = limits.bulk_per_day.get(context.role, 0)
            rule = f"limits.bulk_per_day.{context.role}"
            if limit == 0:
                message = self._message("bulk_not_allowed", role=context.role, **about)
                return _refuse("bulk_not_allowed", message, rule)
            if context.bulk_actions_today >= limit:
                message = self._message(
                    "bulk_limit",
                    role=context.role,
                    done=context.bulk_actions_today,
                    limit=limit,
                    **about,
                )
                return _refuse("bulk_limit", message, rule)
        return None

    def decide(
        self,
        action: str,
        consequences: Sequence[Consequence],
        context: Context,
        *,
        check_gate: bool = True,
    ) -> Decision:
        """The decision router: the strictest verdict of the consequences wins.

        refuse > confirm > proceed; a bulk action confirms at least. The message is built from
        the templates of the consequences that gave the verdict. The gate is checked again
        (``check_gate``) so that no caller can get ``proceed`` for a forbidden action.
        """
        found = tuple(consequences)
        if check_gate:
            refused = self.gate(action, context)
            if refused is not None:
                return refused.model_copy(update={"consequences": found})
        spec = self.spec.actions.get(action)
        judged = [(c, *self._judge(action, c.code)) for c in found]
        verdict: Verdict = max((v for _, v, _ in judged), key=_RANK.__getitem__, default="proceed")
        winners = [(c, rule) for c, v, rule in judged if v == verdict]
        title = spec.title if spec is not None else action
        about = {"action": action, "title": title, "Title": _capitalised(title)}
        question = self.spec.messages.confirm_question

        if verdict == "proceed" and spec is not None and spec.kind == "bulk":
            text = self._message("bulk_without_preview", **about)
            message = f"{text} {question}".strip()
            rule = f"actions.{action}.kind"
            return Decision(
                verdict="confirm",
                code="bulk_confirmation",
                message=message,
                rule=rule,
                consequences=found,
            )
        if not winners:
            return Decision(
                verdict="proceed",
                code="allowed",
                message=self._message("proceed", **about),
                rule=f"actions.{action}.kind",
                consequences=found,
            )
        text = " ".join(_unique(self._wording(action, c) for c, _ in winners))
        if verdict == "confirm":
            text = f"{text} {question}".strip()
        first, rule = winners[0]
        return Decision(
            verdict=verdict, code=first.code, message=text, rule=rule, consequences=found
        )

    # --- explanations ---------------------------------------------------------------------

    def describe_rule(self, rule: str) -> str:
        """Plain words for a rule id (``Decision.rule``) or a bare consequence code.

        >>> Policy.load().describe_rule("actions.remove_vehicle.confirm.bookings_affected")
        'the policy requires confirmation for remove_vehicle when bookings > 0'
        """
        parts = rule.split(".")
        head = parts[0]
        if rule in self.spec.consequences:
            parts, head = ["consequences", rule, "verdict"], "consequences"
        if head == "actions" and len(parts) >= 3 and parts[1] in self.spec.actions:
            return self._describe_action_rule(parts[1], parts[2:])
        if head == "actions":
            return "the policy refuses actions it does not list"
        if head == "roles" and len(parts) == 2 and parts[1] in self.spec.roles:
            return self._describe_role(parts[1])
        if head == "roles":
            return f"the policy knows only the roles {_either(self.roles, 'and')}"
        if head == "consequences" and len(parts) >= 2 and parts[1] in self.spec.consequences:
            consequence = self.spec.consequences[parts[1]]
            words = _VERDICT_PHRASE[consequence.verdict].format(
                action="an action", when=consequence.when
            )
            return f"the policy {words} (its default for {parts[1]})"
        if rule == "defaults.unlisted_consequence":
            does = {"confirm": "requires confirmation", "refuse": "refuses", "proceed": "allows"}
            verb = does[self.spec.defaults.unlisted_consequence]
            return f"the policy {verb} when a check reports a consequence it does not know"
        return self._describe_limit(parts) or f"the policy rule {rule}"

    def _describe_action_rule(self, action: str, rest: list[str]) -> str:
        spec = self.spec.actions[action]
        verdict = next((v for v in VERDICTS if v == rest[0]), None)
        if verdict is not None and len(rest) == 2 and rest[1] in self.spec.consequences:
            when = self.spec.consequences[rest[1]].when
            return "the policy " + _VERDICT_PHRASE[verdict].format(action=action, when=when)
        if rest[0] == "page":
            page = self.page_of(action)
            where = f"on the {page} page" if page else "on any page"
            return f"the policy allows {action} only {where}"
        kinds: dict[str, str] = {
            "read": f"{action} only reads, so it needs no confirmation",
            "answer": f"{action} answers a question, so it needs no confirmation",
            "write": f"{action} is a write whose checks found nothing that needs confirmation",
            "risky": f"{action} is risky, but its checks found nothing that needs confirmation",
            "bulk": f"the policy requires confirmation for every bulk action, such as {action}",
        }
        return kinds[spec.kind]

    def _describe_role(self, role: str) -> str:
        grants = self.spec.roles[role]
        what: list[str] = []
        if grants.kinds:
            what.append(f"{_either(grants.kinds, 'and')} actions")
        if grants.groups:
            what.append(f"the {_either(grants.groups, 'and')} actions")
        if grants.actions:
            what.append(_either(grants.actions, "and"))
        described = f" ({grants.description})" if grants.description else ""
        allowed = ", and ".join(what) or "nothing"
        return f"the policy lets the {role} role{described} do {allowed}"

    def _describe_limit(self, parts: list[str]) -> str | None:
        limits = self.spec.limits
        if parts == ["limits", "max_chars"]:
            return f"the policy refuses messages longer than {limits.max_chars} characters"
        if parts == ["limits", "writes_per_minute"]:
            return (
                f"the policy allows each user at most {limits.writes_per_minute} changes a minute"
            )
        if len(parts) == 3 and parts[:2] == ["limits", "bulk_per_day"]:
            limit = limits.bulk_per_day.get(parts[2], 0)
            if limit == 0:
                return f"the policy allows the {parts[2]} role no bulk actions"
            return f"the policy allows each {parts[2]} at most {limit} bulk actions a day"
        return None

    # --- internals ------------------------------------------------------------------------

    def _judge(self, action: str, code: str) -> tuple[Verdict, str]:
        """(verdict, rule id) of one consequence code for one action."""
        spec = self.spec.actions.get(action)
        if spec is not None:
            listed = spec.listed_verdict(code)
            if listed is not None:
                return listed, f"actions.{action}.{listed}.{code}"
        consequence = self.spec.consequences.get(code)
        if consequence is not None:
            return consequence.verdict, f"consequences.{code}.verdict"
        return self.spec.defaults.unlisted_consequence, "defaults.unlisted_consequence"

    def _wording(self, action: str, consequence: Consequence) -> str:
        spec = self.spec.actions.get(action)
        template = spec.messages.get(consequence.code) if spec is not None else None
        if template is None:
            known = self.spec.consequences.get(consequence.code)
            template = known.message if known is not None else None
        rendered = render(template, consequence.data) if template is not None else None
        for text in (rendered, consequence.message, consequence.code):
            if text and text.strip():
                return text.strip()
        return "A check found something that needs attention."

    def _message(self, name: str, **data: Any) -> str:
        template: str = getattr(self.spec.messages, name)
        return render(template, data) or template


def _grants(grants: RoleSpec, action: str, spec: ActionSpec) -> bool:
    return spec.kind in grants.kinds or spec.group in grants.groups or action in grants.actions


def _refuse(code: str, message: str, rule: str) -> Decision:
    return Decision(verdict="refuse", code=code, message=message, rule=rule)


def _unique(texts: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(texts))
