"""Hypothesis strategies for socialcare values (needs ``pip install hypothesis``).

>>> from hypothesis import given
>>> @given(posts())
... def test_created_at_is_utc(post):
...     assert post.created_at.utcoffset().total_seconds() == 0
>>> test_created_at_is_utc()
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import strategies as st

from socialcare._conversation import Conversation
from socialcare._models import Author, Channel, Platform, Post, Survey

__all__ = ["authors", "aware_datetimes", "conversations", "platforms", "posts", "surveys"]

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
