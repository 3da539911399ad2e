"""patterns.yaml against the SPEC catalogue, and the loader's refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from tests.spec_catalogue import find_spec, read_catalogue, snapshot

from movi.errors import GrammarError
from movi.grammar.spec import default_path, load_spec


def test_snapshot_is_the_spec_table() -> None:
    spec = find_spec()
    if spec is None:
        pytest.skip("shared/SPEC.md is not beside this checkout; CI has it")
    assert read_catalogue(spec.read_text(encoding="utf-8")) == snapshot()


def test_every_catalogue_action_is_in_the_grammar_with_its_page_and_kind() -> None:
    grammar = load_spec()
    catalogue = snapshot()
    assert set(grammar.actions) == set(catalogue)
    for action, expected in catalogue.items():
        got = grammar.actions[action]
        assert (got.page, got.kind) == (expected["page"], expected["kind"]), action


def test_every_action_but_the_answers_has_a_pattern() -> None:
    grammar = load_spec()
    answers = {"confirm", "deny", "choose_option", "unknown"}
    for action, spec in grammar.actions.items():
        if action in answers:
            continue
        assert spec.patterns, f"{action} has no pattern"
    assert set(grammar.whole) == {"confirm", "deny", "choose_option", "explain_decision"}


def _variant(tmp_path: Path, change: object) -> Path:
    raw = yaml.safe_load(default_path().read_text(encoding="utf-8"))
    change(raw)  # type: ignore[operator]
    path = tmp_path / "patterns.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def test_unknown_class_is_refused_with_its_location(tmp_path: Path) -> None:
    def change(raw: dict) -> None:  # type: ignore[type-arg]
        raw["actions"]["cancel_trip"]["patterns"][0]["all"].append("NO_SUCH_CLASS")

    with pytest.raises(GrammarError, match=r"actions\.cancel_trip\.patterns\[0\].*NO_SUCH_CLASS"):
        load_spec(_variant(tmp_path, change))


def test_unregistered_extractor_is_refused(tmp_path: Path) -> None:
    def change(raw: dict) -> None:  # type: ignore[type-arg]
        raw["extractors"].append("time.v99")

    with pytest.raises(GrammarError, match=r"time\.v99"):
        load_spec(_variant(tmp_path, change))


def test_wrong_format_version_is_refused(tmp_path: Path) -> None:
    def change(raw: dict) -> None:  # type: ignore[type-arg]
        raw["format"] = "movi.patterns.v0"

    with pytest.raises(GrammarError, match="format"):
        load_spec(_variant(tmp_path, change))


def test_a_new_phrasing_needs_only_the_yaml(tmp_path: Path) -> None:
    from movi.grammar.grammar import Grammar

    def change(raw: dict) -> None:  # type: ignore[type-arg]
        raw["lexicon"]["CANCEL"].append("yeet")

    grammar = Grammar.load(_variant(tmp_path, change))
    assert grammar("yeet trip 42").action == "cancel_trip"
    assert grammar("yeet trip 42").slots == {"trip_id": 42}
