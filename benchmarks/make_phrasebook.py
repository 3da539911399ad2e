"""Write ``data/phrasebook.jsonl`` from the benchmark's tuning splits (never the test split).

    python benchmarks/make_phrasebook.py

Each line is ``{"text": ..., "action": ...}``; the grammar shapes them itself when it loads.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = (
    "commands_dev.jsonl",
    "commands_dev2.jsonl",
    "commands_dev3.jsonl",
    "commands_dev4.jsonl",
    "commands_dev5.jsonl",
    "commands_dev6.jsonl",
    "commands_dev7.jsonl",
    "commands_dev8.jsonl",
)
TARGET = ROOT / "data" / "phrasebook.jsonl"
FROZEN = "commands_test.jsonl"


def main() -> None:
    lines = []
    for name in SOURCES:
        # Never the frozen split, under any name: its examples would leak into every parse.
        if "test" in name or name == FROZEN:
            raise SystemExit(f"refusing {name}: the test split is never used for tuning")
        path = ROOT / "benchmarks" / "data" / name
        if not path.is_file():
            raise SystemExit(f"{path.relative_to(ROOT)} is missing")
        for raw in path.read_text(encoding="utf-8").splitlines():
            if raw.strip():
                item = json.loads(raw)
                lines.append({"text": item["text"], "action": item["action"]})
    TARGET.write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8"
    )
    print(f"{len(lines)} examples → {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
