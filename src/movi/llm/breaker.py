"""A circuit breaker: after repeated failures the LLM is skipped for a while.

A provider that is down or timing out would otherwise add ``timeout_s`` to every unclear
command. After ``failures`` consecutive failures the breaker opens and the fallback answers at
once (the operator gets the rules' clarifying question); after ``cooldown_s`` one call is let
through again, and its success closes the breaker.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class CircuitBreaker:
    """Counts consecutive failures; ``allow()`` says whether a call may be made now."""

    def __init__(
        self,
        *,
        failures: int,
        cooldown_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failures = failures
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._consecutive = 0
        self._opened_at: float | None = None

    @property
    def open(self) -> bool:
        return self._opened_at is not None and not self._cooled_down()

    def allow(self) -> bool:
        return self._opened_at is None or self._cooled_down()

    def retry_in(self) -> float:
        """Seconds until a call is let through again (0 when closed)."""
        if self._opened_at is None:
            return 0.0
        return max(0.0, self._opened_at + self.cooldown_s - self._clock())

    def success(self) -> None:
        self._consecutive = 0
        self._opened_at = None

    def failure(self) -> None:
        self._consecutive += 1
        if self._consecutive >= self.failures:
            self._opened_at = self._clock()

    def _cooled_down(self) -> bool:
        return self._opened_at is not None and self._clock() - self._opened_at >= self.cooldown_s
