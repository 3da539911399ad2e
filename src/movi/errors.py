"""One shallow exception tree for movi.

An operator's mistake ("no such trip") is not an exception: it is a ``Reply`` with a status.
These classes are for the library's user: a misconfiguration, an unreachable database, a
broken data file. Each carries a stable code (``M101``) that doubles as a key in logs, and a
message that says what to do next.
"""

from __future__ import annotations


class MoviError(Exception):
    """Root of every error movi raises on purpose."""

    code = "M000"

    def __init__(self, message: str) -> None:
        super().__init__(f"[{self.code}] {message}")
        self.message = message


class ConfigError(MoviError):
    """A setting, a data file or an argument is wrong; the message says which and how to fix it."""

    code = "M100"


class StorageError(MoviError):
    """The database could not be reached or refused an operation."""

    code = "M200"


class SchemaVersionError(StorageError):
    """The database holds a schema of another movi version."""

    code = "M201"


class ConcurrencyError(StorageError):
    """A row changed between reading and writing it; the caller should re-read and retry."""

    code = "M202"


class IntegrityViolation(StorageError):
    """A write broke a constraint (a duplicate, an unknown status, a dangling reference)."""

    code = "M203"


class GrammarError(MoviError):
    """``patterns.yaml`` does not describe a valid grammar."""

    code = "M300"


class PolicyError(MoviError):
    """``policy.yaml`` does not describe a valid policy."""

    code = "M400"


class ResolutionError(MoviError):
    """A reference could not be resolved for a reason other than "not found"."""

    code = "M500"


class LLMError(MoviError):
    """The language model could not be reached or answered with something unusable."""

    code = "M600"
