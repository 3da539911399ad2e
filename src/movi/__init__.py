"""movi: shuttle-operations commands in plain words, turned into safe, validated operations."""

from movi.errors import (
    ConcurrencyError,
    ConfigError,
    GrammarError,
    IntegrityViolation,
    LLMError,
    MoviError,
    PolicyError,
    ResolutionError,
    SchemaVersionError,
    StorageError,
)

__version__ = "0.1.0"

__all__ = [
    "ConcurrencyError",
    "ConfigError",
    "GrammarError",
    "IntegrityViolation",
    "LLMError",
    "MoviError",
    "PolicyError",
    "ResolutionError",
    "SchemaVersionError",
    "StorageError",
    "__version__",
]
