"""The benchmark harness, under its first name; it lives in :mod:`movi.bench` now."""

from movi.bench import (
    REFERENCE_DAY,
    Example,
    Parser,
    Report,
    SlotScore,
    evaluate,
    load_dataset,
    normal,
    per_action_errors,
    render,
    rules_parser,
    run_bench,
    to_json,
)

__all__ = [
    "REFERENCE_DAY",
    "Example",
    "Parser",
    "Report",
    "SlotScore",
    "evaluate",
    "load_dataset",
    "normal",
    "per_action_errors",
    "render",
    "rules_parser",
    "run_bench",
    "to_json",
]
