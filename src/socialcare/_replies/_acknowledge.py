"""The instant acknowledgement with an honest ETA, and the away message outside hours."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from socialcare._errors import InvalidInputError
from socialcare._replies._book import Reply, ReplyBook, _aware, _facts, _language_arg, _times
from socialcare._sla._policy import SLAPolicy
from socialcare._sla._window import ServiceWindow
from socialcare._time import resolve_timezone

if TYPE_CHECKING:
    from socialcare._conversation import Conversation

__all__ = ["acknowledge", "away_message"]


def _book(book: Any) -> ReplyBook:
    if book is None:
        return ReplyBook.starter()
    if not isinstance(book, ReplyBook):
        raise InvalidInputError(
            f"book must be a ReplyBook (ReplyBook.from_dict(...)), got {type(book).__name__}"
        )
    return book


def acknowledge(
    conversation: Conversation,
    policy: SLAPolicy,
    now: datetime,
    *,
    book: ReplyBook | None = None,
    language: str | None = None,
    platform: str | None = None,
    context: Mapping[str, Any] | None = None,
) -> Reply | None:
    """The instant acknowledgement of a conversation, with the ETA its SLA promises.

    The ETA is the first-response due time that ``policy`` computes at ``now``, worded in the
    customer's language (``language``, else the conversation's, else the book's default) on
    the clock of the target's service window (the market's zone). When the window is closed
    at ``now``, the book's ``away`` text (``away/holiday`` on a holiday) names the next
    opening; a sensitive conversation always gets its kind's acknowledgement. ``None`` when
    there is nothing to acknowledge: no customer post, the first response already given, a
    clock paused while the brand waits on the customer, or a route of ``none``.
    ``book`` defaults to the starter book. The conversation must carry triage labels
    (`triage_conversations`).

    Raises:
        InvalidInputError: the policy has no first-response target for this conversation.
        TimezoneError: ``now`` is naive.
    """
    from socialcare._conversation import Conversation

    if not isinstance(conversation, Conversation):
        raise InvalidInputError(
            f"acknowledge takes a Conversation, got {type(conversation).__name__}"
        )
    if not isinstance(policy, SLAPolicy):
        raise InvalidInputError(
            f"policy must be an SLAPolicy (SLAPolicy.from_dict(...)), got {type(policy).__name__}"
        )
    _aware(now, "now")
    chosen = _book(book)
    language = _language_arg(language)
    target = policy.target_for("first_response", conversation)
    if target is None:
        raise InvalidInputError(
            f"the SLA policy has no first_response target for conversation {conversation.id!r}: "
            "an acknowledgement's ETA is the first response's due time; add such a target"
        )
    facts = _facts(conversation, now)
    if facts.answered:
        return None
    result = policy.evaluate(conversation, now).first_response
    if result is None or result.stopped_at is not None or result.due_at is None:
        return None
    window = target.window
    closed_until = None if window.is_open(now) else window.next_open(now)
    holiday = closed_until is not None and window.is_holiday(now)
    return chosen.acknowledgement(
        conversation,
        due_at=result.due_at,
        now=now,
        timezone=window.timezone,
        closed_until=closed_until,
        holiday=holiday,
        context=context,
        platform=platform,
        language=language,
    )


def away_message(
    window: ServiceWindow,
    now: datetime,
    *,
    book: ReplyBook | None = None,
    language: str | None = None,
    platform: str | None = None,
    context: Mapping[str, Any] | None = None,
) -> Reply | None:
    """The away message for a post arriving at ``now``, or ``None`` while the window is open.

    ``away/holiday`` on a holiday of the window, else ``away``; ``{opens}`` names the next
    opening in ``language`` on the window's clock. With no policy at hand, ``{eta}`` is the
    opening too.

    >>> from datetime import timezone
    >>> madrid = ServiceWindow.office_hours("Europe/Madrid")
    >>> friday_night = datetime(2026, 12, 4, 22, 0, tzinfo=timezone.utc)
    >>> away_message(madrid, friday_night, language="es").reasons[0]
    'outside service hours'
    """
    if not isinstance(window, ServiceWindow):
        raise InvalidInputError(f"window must be a ServiceWindow, got {type(window).__name__}")
    _aware(now, "now")
    chosen = _book(book)
    language = _language_arg(language) or chosen.default_language
    if window.is_open(now):
        return None
    opens = window.next_open(now)
    holiday = window.is_holiday(now)
    key = "away/holiday" if holiday and "away/holiday" in chosen else "away"
    reasons = ("a holiday",) if key == "away/holiday" else ("outside service hours",)
    zone = resolve_timezone(window.timezone) if window.timezone is not None else None
    found = chosen.lookup(key, language, None)
    used = found[1] if found is not None else chosen.default_language
    times = {**_times("eta", opens, now, zone, used), **_times("opens", opens, now, zone, used)}
    return chosen.render(
        key,
        language=language,
        platform=platform,
        context=context,
        times=times,
        reasons=(*reasons, f"opens {opens.isoformat()}"),
    )
