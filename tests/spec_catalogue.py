"""The SPEC section 2 action table, read from ``shared/SPEC.md``.

Tests compare ``patterns.yaml`` with a snapshot of this table (``tests/data/spec_catalogue.json``)
and the snapshot against SPEC.md itself wherever the shared folder sits beside the checkout
(as in CI), so a contract change cannot slip past unnoticed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "tests" / "data" / "spec_catalogue.json"
SPEC_CANDIDATES = (ROOT.parent / "shared" / "SPEC.md",)
PAGES = {"B": "B", "M": "M", "G": "G"}
KINDS = {"read": "read", "write": "write", "risky": "risky", "bulk": "bulk", "—": "answer"}


def find_spec() -> Path | None:
    return next((p for p in SPEC_CANDIDATES if p.is_file()), None)


def read_catalogue(spec_text: str) -> dict[str, dict[str, str]]:
    """action → {"page": B|M|G, "kind": read|write|risky|bulk|answer} from the SPEC table."""
    section = spec_text.split("## 2. Action catalogue", 1)[1].split("## 3.", 1)[0]
    catalogue: dict[str, dict[str, str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 4 or cells[1] not in PAGES:
            continue
        for action in re.split(r",\s*", cells[0]):
            if re.fullmatch(r"[a-z_]+", action):
                catalogue[action] = {"page": PAGES[cells[1]], "kind": KINDS[cells[2]]}
    return catalogue


def snapshot() -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    return data


if __name__ == "__main__":  # refresh the snapshot after a SPEC change
    spec = find_spec()
    assert spec is not None, "shared/SPEC.md not found beside the checkout"
    SNAPSHOT.write_text(
        json.dumps(read_catalogue(spec.read_text()), indent=1, sort_keys=True) + "\n"
    )
