"""socialcare: triage, SLA and metrics for social-media customer service.

The core takes Python objects and returns Python objects: no network, no files, no printing.

>>> import socialcare
>>> socialcare.Platform("x")
Platform('twitter')
"""

from typing import TYPE_CHECKING, Any

from socialcare._assign import Assigner, Assignment
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
from socialcare._replies._acknowledge import acknowledge, away_message
from socialcare._replies._book import Reply, ReplyBook
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
    from socialcare._inbox import DueClock, Inbox, InboxItem, InboxUpdate
    from socialcare._language import detect_language, detect_languages
    from socialcare._triage._classifier import IntentClassifier
    from socialcare._triage._decision import Decision
    from socialcare._triage._input import TriageInput
    from socialcare._triage._queue import queue_key
    from socialcare._triage._rules import PriorityRule, TriageRules, apply_rules
    from socialcare._triage._signals import Signals
    from socialcare._triage._threads import triage_conversations
    from socialcare._triage._thresholds import (
        IntentThreshold,
        ThresholdPolicy,
        ThresholdTuning,
        tune_thresholds,
    )
    from socialcare._triage._triager import Triager

__version__ = "0.1.0"

# Triage names import numpy and scikit-learn; load them on first use so that
# ``import socialcare`` stays light.
_LAZY = {
    "Decision": "socialcare._triage._decision",
    "DueClock": "socialcare._inbox",
    "IntentClassifier": "socialcare._triage._classifier",
    "Inbox": "socialcare._inbox",
    "InboxItem": "socialcare._inbox",
    "InboxUpdate": "socialcare._inbox",
    "IntentThreshold": "socialcare._triage._thresholds",
    "PriorityRule": "socialcare._triage._rules",
    "Signals": "socialcare._triage._signals",
    "ThresholdPolicy": "socialcare._triage._thresholds",
    "ThresholdTuning": "socialcare._triage._thresholds",
    "TriageInput": "socialcare._triage._input",
    "TriageRules": "socialcare._triage._rules",
    "Triager": "socialcare._triage._triager",
    "apply_rules": "socialcare._triage._rules",
    "detect_language": "socialcare._language",
    "detect_languages": "socialcare._language",
    "queue_key": "socialcare._triage._queue",
    "triage_conversations": "socialcare._triage._threads",
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
    "Assigner",
    "Assignment",
    "Author",
    "BuildResult",
    "Channel",
    "Conversation",
    "Decision",
    "DueClock",
    "Exchange",
    "Inbox",
    "InboxItem",
    "InboxUpdate",
    "IntentClassifier",
    "IntentThreshold",
    "InvalidInputError",
    "ModelError",
    "NotFittedError",
    "PersistenceError",
    "Platform",
    "Post",
    "PriorityRule",
    "Reply",
    "ReplyBook",
    "RowError",
    "SLACondition",
    "SLAPolicy",
    "SLAReport",
    "SLAResult",
    "SLAState",
    "SLATarget",
    "ServiceWindow",
    "Signals",
    "SocialcareError",
    "StatusChange",
    "Survey",
    "ThresholdPolicy",
    "ThresholdTuning",
    "Timeline",
    "TimezoneError",
    "TriageInput",
    "TriageRules",
    "Triager",
    "ValidationIssue",
    "__version__",
    "acknowledge",
    "apply_rules",
    "away_message",
    "build_conversations",
    "detect_language",
    "detect_languages",
    "parse_timestamp",
    "queue_key",
    "resolve_timezone",
    "triage_conversations",
    "tune_thresholds",
]
