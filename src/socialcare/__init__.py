"""socialcare: triage, SLA and metrics for social-media customer service.

The core takes Python objects and returns Python objects: no network, no files, no printing.

>>> import socialcare
>>> socialcare.Platform("x")
Platform('twitter')
"""

from typing import Any

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
from socialcare._sla._policy import (
    SLACondition,
    SLAPolicy,
    SLAReport,
    SLAResult,
    SLAState,
    SLATarget,
)
from socialcare._sla._window import ServiceWindow
from socialcare._time import parse_timestamp, resolve_timezone

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # socialcare.metrics pulls in numpy (~75 ms): import it on first use only.
    if name == "metrics":
        import importlib

        return importlib.import_module("socialcare.metrics")
    raise AttributeError(f"module 'socialcare' has no attribute {name!r}")


__all__ = [
    "Author",
    "BuildResult",
    "Channel",
    "Conversation",
    "Exchange",
    "InvalidInputError",
    "ModelError",
    "NotFittedError",
    "PersistenceError",
    "Platform",
    "Post",
    "RowError",
    "SLACondition",
    "SLAPolicy",
    "SLAReport",
    "SLAResult",
    "SLAState",
    "SLATarget",
    "ServiceWindow",
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
