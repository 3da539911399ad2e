"""Where each action may be done, by whom, and what its consequences decide (``policy.yaml``)."""

from __future__ import annotations

from movi.policy.decision import Context, Decision, Verdict
from movi.policy.policy import Policy
from movi.policy.spec import FORMAT, Kind, default_path

__all__ = ["FORMAT", "Context", "Decision", "Kind", "Policy", "Verdict", "default_path"]
