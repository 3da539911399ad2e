"""The benchmark harness behind ``movi bench``: how well, how fast and at what cost commands
are understood, mode by mode on the same commands.

``metrics`` scores one parser; ``modes`` holds the registry of modes (rules, llm, hybrid, and
any peer added with :func:`register_mode`); ``run`` runs them side by side; ``report`` renders
the table and writes ``--report DIR``; ``calibrate`` chooses the hybrid threshold.
"""

from movi.bench.calibrate import Calibration, ThresholdPoint, calibrate, choose
from movi.bench.metrics import (
    REFERENCE_DAY,
    Example,
    Parser,
    Report,
    SlotScore,
    evaluate,
    load_dataset,
    matches,
    normal,
    per_action_errors,
)
from movi.bench.modes import (
    MODES,
    BenchOptions,
    LLMUsage,
    Mode,
    ModeFactory,
    ModeUnavailable,
    register_mode,
    rules_parser,
)
from movi.bench.report import render, write_report
from movi.bench.run import BenchRun, run_bench, run_modes, to_json
from movi.llm.fallback import prefer

__all__ = [
    "MODES",
    "REFERENCE_DAY",
    "BenchOptions",
    "BenchRun",
    "Calibration",
    "Example",
    "LLMUsage",
    "Mode",
    "ModeFactory",
    "ModeUnavailable",
    "Parser",
    "Report",
    "SlotScore",
    "ThresholdPoint",
    "calibrate",
    "choose",
    "evaluate",
    "load_dataset",
    "matches",
    "normal",
    "per_action_errors",
    "prefer",
    "register_mode",
    "render",
    "rules_parser",
    "run_bench",
    "run_modes",
    "to_json",
    "write_report",
]
