"""Hypothesis strategies for socialcare values (needs ``pip install hypothesis``).

>>> from hypothesis import given
>>> @given(posts())
... def test_created_at_is_utc(post):
...     assert post.created_at.utcoffset().total_seconds() == 0
>>> test_created_at_is_utc()
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from hypothesis import strategies as st

from socialcare._conversation import Conversation
from socialcare._models import Author, Channel, Platform, Post, Survey
from socialcare._sla._window import ServiceWindow

__all__ = [
    "authors",
    "aware_datetimes",
    "conversations",
    "platforms",
    "posts",
    "service_windows",
    "surveys",
]

UTC = timezone.utc


def platforms() -> st.SearchStrategy[Platform]:
    """Known platforms and, now and then, an unlisted one."""
    known = st.sampled_from(Platform.known())
    other = st.from_regex(r"[a-z][a-z0-9_]{1,12}", fullmatch=True).map(Platform)
    return st.one_of(known, known, other)


def aware_datetimes(
    min_value: datetime = datetime(2020, 1, 1), max_value: datetime = datetime(2035, 12, 31)
) -> st.SearchStrategy[datetime]:
    """Aware UTC datetimes between two naive bounds (read as UTC)."""
    return st.datetimes(min_value=min_value, max_value=max_value, timezones=st.just(UTC))


def authors(*, brand: bool | None = None) -> st.SearchStrategy[Author]:
    """Authors; ``brand`` fixes ``is_brand``."""
    return st.builds(
        Author,
        id=st.from_regex(r"[a-z0-9]{1,10}", fullmatch=True),
        handle=st.none() | st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,14}", fullmatch=True),
        followers=st.integers(min_value=0, max_value=50_000_000),
        verified=st.booleans(),
        is_brand=st.just(brand) if brand is not None else st.none() | st.booleans(),
        is_bot=st.booleans(),
    )


def posts(
    *, platform: Platform | str | None = None, author: st.SearchStrategy[Author] | None = None
) -> st.SearchStrategy[Post]:
    """Valid posts with arbitrary (including emoji and right-to-left) text."""
    return st.builds(
        Post,
        id=st.from_regex(r"[0-9]{1,19}", fullmatch=True),
        platform=st.just(Platform(platform)) if platform is not None else platforms(),
        author=author if author is not None else authors(),
        text=st.text(max_size=280),
        created_at=aware_datetimes(),
        channel=st.sampled_from(list(Channel)),
    )


def surveys() -> st.SearchStrategy[Survey]:
    """Valid CSAT and NPS surveys."""
    csat = st.builds(Survey, kind=st.just("csat"), score=st.integers(1, 5))
    nps = st.builds(Survey, kind=st.just("nps"), score=st.integers(0, 10))
    return st.one_of(csat, nps)


@st.composite
def conversations(draw: st.DrawFn, *, max_posts: int = 8) -> Conversation:
    """Conversations alternating customer and brand posts at increasing times."""
    customer = draw(authors(brand=False))
    agent = draw(authors(brand=True))
    platform = draw(platforms())
    start = draw(aware_datetimes())
    count = draw(st.integers(min_value=1, max_value=max_posts))
    made: list[Post] = []
    moment = start
    for index in range(count):
        moment += timedelta(seconds=draw(st.integers(min_value=0, max_value=86_400)))
        who = draw(st.sampled_from([customer, agent])) if index else customer
        made.append(Post(id=f"p{index}", platform=platform, author=who, text="", created_at=moment))
    return Conversation(
        id=draw(st.from_regex(r"c[0-9]{1,6}", fullmatch=True)),
        posts=made,
        surveys=draw(st.lists(surveys(), max_size=2)),
    )


ZONES = (
    "UTC",
    "America/New_York",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Madrid",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Jakarta",
    "Australia/Sydney",
    "Australia/Adelaide",
    "Pacific/Chatham",
)
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@st.composite
def _day_openings(draw: st.DrawFn) -> str:
    """Zero to three non-overlapping same-day openings on a 15-minute grid, as text."""
    count = draw(st.integers(min_value=0, max_value=3))
    if count == 0:
        return "closed"
    marks = sorted(
        draw(
            st.sets(st.integers(min_value=0, max_value=96), min_size=2 * count, max_size=2 * count)
        )
    )
    parts = []
    for start, end in zip(marks[::2], marks[1::2], strict=True):
        parts.append(
            f"{start * 15 // 60:02d}:{start * 15 % 60:02d}-{end * 15 // 60:02d}:{end * 15 % 60:02d}"
        )
    return ",".join(parts)


def service_windows(*, zones: tuple[str, ...] = ZONES) -> st.SearchStrategy[ServiceWindow]:
    """Service windows: 24/7, presets, or random weekly openings with holidays.

    >>> from hypothesis import given
    >>> @given(service_windows())
    ... def test_open_means_next_open_is_now(window):
    ...     moment = datetime(2024, 3, 31, 1, 30, tzinfo=timezone.utc)
    ...     if window.is_open(moment):
    ...         assert window.next_open(moment) == moment
    >>> test_open_means_next_open_is_now()
    """
    zone = st.sampled_from(zones)
    holidays = st.lists(
        st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)), max_size=5
    )
    weekly = st.builds(
        lambda tz, hours, days: ServiceWindow.weekly(tz, hours, days),
        zone,
        st.fixed_dictionaries({day: _day_openings() for day in _DAYS}).filter(
            lambda hours: any(v != "closed" for v in hours.values())
        ),
        holidays,
    )
    overnight = st.builds(lambda tz: ServiceWindow.weekly(tz, {"mon-fri": "20:00-04:00"}), zone)
    presets = st.one_of(
        st.just(ServiceWindow.always()),
        st.builds(ServiceWindow.office_hours, zone),
        st.builds(ServiceWindow.twelve_hours, zone),
    )
    return st.one_of(presets, weekly, overnight)
