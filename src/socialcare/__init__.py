"""socialcare: triage, SLA and metrics for social-media customer service.

The core takes Python objects and returns Python objects: no network, no files, no printing.

>>> import socialcare
>>> socialcare.Platform("x")
Platform('twitter')
"""

from typing import TYPE_CHECKING, Any

from socialcare._conversation import (
    BuildResult,
    Conversation,
    Exchange,
    RowError,
    StatusChange,
    Timeline,
    build_conversations,
)
from socialcare._errors import (
    InvalidInputError,
    ModelError,
    NotFittedError,
    PersistenceError,
    SocialcareError,
    TimezoneError,
    ValidationIssue,
)
from socialcare._models import Author, Channel, Platform, Post, Survey
from socialcare._time import parse_timestamp, resolve_timezone

if TYPE_CHECKING:
    from socialcare._triage._classifier import IntentClassifier

__version__ = "0.1.0"

# Triage names import numpy and scikit-learn; load them on first use so that
# ``import socialcare`` stays light.
_LAZY = {
    "IntentClassifier": "socialcare._triage._classifier",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'socialcare' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "Author",
    "BuildResult",
    "Channel",
    "Conversation",
    "Exchange",
    "IntentClassifier",
    "InvalidInputError",
    "ModelError",
    "NotFittedError",
    "PersistenceError",
    "Platform",
    "Post",
    "RowError",
    "SocialcareError",
    "StatusChange",
    "Survey",
    "Timeline",
    "TimezoneError",
    "ValidationIssue",
    "__version__",
    "build_conversations",
    "parse_timestamp",
    "resolve_timezone",
]
