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

if TYPE_CHECKING:
    from socialcare._triage._classifier import IntentClassifier
    from socialcare._triage._thresholds import (
        IntentThreshold,
        ThresholdPolicy,
        ThresholdTuning,
        tune_thresholds,
    )
    from socialcare._triage._triager import Decision, PriorityRule, Triager, TriageRules

__version__ = "0.1.0"

# Triage names import numpy and scikit-learn; load them on first use so that
# ``import socialcare`` stays light.
_LAZY = {
    "Decision": "socialcare._triage._triager",
    "IntentClassifier": "socialcare._triage._classifier",
    "IntentThreshold": "socialcare._triage._thresholds",
    "PriorityRule": "socialcare._triage._triager",
    "ThresholdPolicy": "socialcare._triage._thresholds",
    "ThresholdTuning": "socialcare._triage._thresholds",
    "TriageRules": "socialcare._triage._triager",
    "Triager": "socialcare._triage._triager",
    "tune_thresholds": "socialcare._triage._thresholds",
}


def __getattr__(name: str) -> Any:
    import importlib

    if name == "metrics":
        # socialcare.metrics pulls in numpy: import it on first use only.
        return importlib.import_module("socialcare.metrics")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'socialcare' has no attribute {name!r}")

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "Author",
    "BuildResult",
    "Channel",
    "Conversation",
    "Decision",
    "Exchange",
    "IntentClassifier",
    "IntentThreshold",
    "InvalidInputError",
    "ModelError",
    "NotFittedError",
    "PersistenceError",
    "Platform",
    "Post",
    "PriorityRule",
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
    "ThresholdPolicy",
    "ThresholdTuning",
    "Timeline",
    "TimezoneError",
    "TriageRules",
    "Triager",
    "ValidationIssue",
    "__version__",
    "build_conversations",
    "parse_timestamp",
    "resolve_timezone",
    "tune_thresholds",
]
