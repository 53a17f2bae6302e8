"""An integrating app's test suite, using socialcare's test kit and pytest plugin.

The "app" here is a small escalation rule a helpdesk might write on top of socialcare: page the
on-call lead when a conversation that needs a reply is at risk or breached. Its tests use the
kit's fixtures (``socialcare_clock``, ``conversation_factory``, ``stub_classifier``), which the
plugin registers as soon as socialcare is installed, and hypothesis strategies.
Run: ``python examples/app_tests.py`` (it runs pytest on itself).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from datetime import timedelta

import pytest
from hypothesis import given, settings

from socialcare import Conversation, RowError, SLAPolicy, SLAState
from socialcare.testing import ConversationFactory, FixedClock, StubClassifier
from socialcare.testing.strategies import conversations

POLICY = SLAPolicy.from_dict(
    {"window": "always", "targets": [{"metric": "first_response", "duration": "15m"}]}
)


def to_page(items: Iterable[Conversation], clock: FixedClock) -> list[str]:
    """The app's rule: ids of conversations whose first response is at risk or breached."""
    paged = []
    for report in POLICY.evaluate_many(list(items), clock.now()):
        if isinstance(report, RowError):
            continue
        result = report.first_response
        if result is not None and result.state in (SLAState.AT_RISK, SLAState.BREACHED):
            paged.append(report.conversation_id)
    return paged


def test_pages_only_late_conversations(
    socialcare_clock: FixedClock, conversation_factory: ConversationFactory
) -> None:
    quick = conversation_factory.answered(after_minutes=5)
    waiting = conversation_factory.unanswered()
    socialcare_clock.advance(minutes=12)  # 80% of the target: at risk
    assert to_page([quick, waiting], socialcare_clock) == [waiting.id]
    socialcare_clock.advance(minutes=10)
    assert to_page([quick, waiting], socialcare_clock) == [waiting.id]


def test_bot_acknowledgement_does_not_stop_the_clock(
    socialcare_clock: FixedClock, conversation_factory: ConversationFactory
) -> None:
    acknowledged = conversation_factory.bot_then_agent(bot_minutes=1, agent_minutes=40)
    socialcare_clock.advance(timedelta(minutes=30))
    assert to_page([acknowledged], socialcare_clock) == [acknowledged.id]


def test_stub_classifier_gives_predictable_intents(stub_classifier: StubClassifier) -> None:
    assert stub_classifier.predict(["I want a refund", "love it"]).tolist() == [
        "request",
        "praise",
    ]


@settings(max_examples=50, deadline=None)
@given(conversations())
def test_rule_never_fails_on_any_conversation(conversation: Conversation) -> None:
    clock = FixedClock(conversation.posts[-1].created_at + timedelta(hours=1))
    assert set(to_page([conversation], clock)) <= {conversation.id}


if __name__ == "__main__":
    # This file was imported (with hypothesis) before pytest starts: say that is fine.
    sys.exit(
        pytest.main(
            [
                __file__,
                "-q",
                "-p",
                "no:cacheprovider",
                "-W",
                "ignore::pytest.PytestAssertRewriteWarning",
            ]
        )
    )
