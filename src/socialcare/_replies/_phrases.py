"""Times in words, in the customer's language: "in 15 minutes", "el lunes a las 9:15".

Day and month names, time formats, relative durations and city names come from CLDR through
Babel. What Babel does not give is the few words of grammar around them ("on ... at",
"el ... a las"); those are written here for the languages of the starter book, and any other
language Babel knows gets a plain "day time (zone)" form.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any, Literal

from socialcare._errors import InvalidInputError

__all__ = ["Phrase", "babel_locale", "when"]

#: Due within this long: said as a duration ("in 40 minutes"); later: a day and a time.
RELATIVE_UP_TO = timedelta(hours=3)
_MINUTES_UP_TO = 90  # minutes; past this a duration is said in whole hours, rounded up


@dataclass(frozen=True, slots=True)
class _Grammar:
    on_day: str  # {day} {time}
    on_date: str  # {date} {time}
    zone: str  # {city}
    asap: str
    weekend_day: str | None = None  # a different article for Saturday and Sunday
    one_oclock: tuple[str, str] | None = None  # (plural, singular) before the hour 1


_GRAMMAR: dict[str, _Grammar] = {
    "en": _Grammar(
        "on {day} at {time}", "on {date} at {time}", "{city} time", "as soon as possible"
    ),
    "es": _Grammar(
        "el {day} a las {time}",
        "el {date} a las {time}",
        "hora de {city}",
        "lo antes posible",
        one_oclock=("a las", "a la"),
    ),
    "fr": _Grammar("{day} à {time}", "le {date} à {time}", "heure de {city}", "dès que possible"),
    "de": _Grammar(
        "am {day} um {time} Uhr",
        "am {date} um {time} Uhr",
        "Ortszeit {city}",
        "so bald wie möglich",
    ),
    "pt": _Grammar(
        "na {day} às {time}",
        "em {date} às {time}",
        "horário de {city}",
        "o mais breve possível",
        weekend_day="no {day} às {time}",
        one_oclock=("às", "à"),
    ),
    "id": _Grammar(
        "pada hari {day} pukul {time}", "pada {date} pukul {time}", "waktu {city}", "secepatnya"
    ),
    "ms": _Grammar(
        "pada hari {day} pukul {time}",
        "pada {date} pukul {time}",
        "waktu {city}",
        "secepat mungkin",
    ),
    "ar": _Grammar(
        "يوم {day} الساعة {time}", "في {date} الساعة {time}", "بتوقيت {city}", "في أقرب وقت ممكن"
    ),
    "he": _Grammar("ב{day} בשעה {time}", "ב-{date} בשעה {time}", "שעון {city}", "בהקדם האפשרי"),
}
_PLAIN = _Grammar("{day} {time}", "{date} {time}", "{city}", "")


@dataclass(frozen=True, slots=True)
class Phrase:
    """A time in words: the whole phrase and its pieces (for templates that want them)."""

    text: str
    time: str
    day: str
    zone: str


@lru_cache(maxsize=256)
def babel_locale(language: str) -> Any:
    """The Babel locale for a BCP 47 tag ("pt-BR"), or an InvalidInputError."""
    from babel import Locale, UnknownLocaleError

    try:
        parts = language.replace("-", "_").split("_")
        parts[0] = ALIASES.get(parts[0].lower(), parts[0].lower())
        return Locale.parse("_".join(parts))
    except (UnknownLocaleError, ValueError, TypeError):
        raise InvalidInputError(
            f"no locale data for language {language!r}: use a BCP 47 tag such as 'es' or 'pt-BR'"
        ) from None


#: Withdrawn ISO 639 codes still sent by some systems, and the code CLDR uses now.
ALIASES = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv"}


def _grammar(language: str) -> _Grammar:
    primary = language.replace("_", "-").split("-")[0].lower()
    return _GRAMMAR.get(ALIASES.get(primary, primary), _PLAIN)


# CLDR's Hebrew singular and dual forms keep the count in brackets ("בעוד שעתיים (2)").
_COUNT_IN_BRACKETS = re.compile(r"\s*\(\d+\)$")


def _duration(delta: timedelta, locale: Any) -> str:
    from babel.dates import format_timedelta

    minutes = max(1, math.ceil(delta.total_seconds() / 60))
    granularity: Literal["hour", "minute"]
    if minutes <= _MINUTES_UP_TO:
        rounded, granularity = timedelta(minutes=minutes), "minute"
    else:  # round up: an honest ETA is never earlier than the due time
        rounded, granularity = timedelta(hours=math.ceil(minutes / 60)), "hour"
    text = str(
        format_timedelta(
            rounded, granularity=granularity, threshold=10_000, add_direction=True, locale=locale
        )
    )
    return _COUNT_IN_BRACKETS.sub("", text)


def _zone_name(zone: tzinfo | None, local: datetime, grammar: _Grammar, locale: Any) -> str:
    from babel.dates import get_timezone_gmt, get_timezone_location

    if zone is None or (local.utcoffset() == timedelta(0) and _no_city(zone)):
        return "UTC"
    if _no_city(zone):  # a fixed offset or an Etc/GMT zone: say the offset, not a place
        return str(get_timezone_gmt(local, locale=locale))
    city = str(get_timezone_location(zone, locale=locale, return_city=True))
    return grammar.zone.format(city=city) if grammar.zone != "{city}" else city


def _repeated(local: datetime, zone: tzinfo) -> bool:
    """Whether ``local``'s wall time occurs twice in ``zone`` (the hour a DST change repeats)."""
    naive = local.replace(tzinfo=None)
    localize = getattr(zone, "localize", None)
    if localize is not None:  # pytz: ask it, never attach its zone with replace()
        import pytz

        try:
            localize(naive, is_dst=None)
        except pytz.AmbiguousTimeError:
            return True
        except pytz.NonExistentTimeError:
            return False
        return False
    first = naive.replace(tzinfo=zone, fold=0).utcoffset()
    return first != naive.replace(tzinfo=zone, fold=1).utcoffset()


def _no_city(zone: tzinfo) -> bool:
    name = getattr(zone, "zone", None) or getattr(zone, "key", None)
    return not isinstance(name, str) or "/" not in name or name.startswith("Etc/")


def when(at: datetime, now: datetime, zone: tzinfo | None, language: str) -> Phrase:
    """``at`` in words as seen at ``now``, on ``zone``'s clock (UTC when ``None``).

    Within three hours, or later the same local day, it is a duration, rounded up (``in 15
    minutes``, ``dentro de 2 horas``); on a later day it is a weekday (or, a week or more
    ahead, a date) and a time, with the zone's city (or its GMT offset for a zone without
    one). A time already past reads "as soon as possible".

    >>> from datetime import timezone
    >>> import pytz
    >>> now = datetime(2026, 12, 4, 21, 0, tzinfo=timezone.utc)  # a Friday night
    >>> when(now + timedelta(minutes=14, seconds=1), now, None, "en").text
    'in 15 minutes'
    >>> madrid = pytz.timezone("Europe/Madrid")
    >>> when(datetime(2026, 12, 7, 8, 15, tzinfo=timezone.utc), now, madrid, "es").text
    'el lunes a las 9:15 (hora de Madrid)'
    """
    from babel.dates import format_date, format_skeleton, format_time

    locale = babel_locale(language)
    grammar = _grammar(language)
    try:
        local = at.astimezone(zone if zone is not None else _utc())
        local_now = now.astimezone(local.tzinfo)
    except OverflowError:
        raise InvalidInputError(
            f"{at.isoformat()} cannot be shown on the clock of {zone}: past the year 9999"
        ) from None
    time_text = str(format_time(local, "short", locale=locale))
    zone_text = _zone_name(zone, local, grammar, locale)
    if zone is not None and _repeated(local, zone):
        # The hour a DST change repeats: the offset says which one (and is no longer than a
        # city's name, so the limits checked at load still hold).
        from babel.dates import get_timezone_gmt

        zone_text = str(get_timezone_gmt(local, locale=locale))
    delta = at - now
    if delta <= timedelta(0):
        text = grammar.asap or time_text
        return Phrase(text, time_text, "", zone_text)
    day_text = str(format_date(local.date(), "EEEE", locale=locale))
    days_ahead = (local.date() - local_now.date()).days
    if delta <= RELATIVE_UP_TO or days_ahead == 0:
        return Phrase(_duration(delta, locale), time_text, day_text, zone_text)
    if days_ahead < 7:
        pattern = grammar.weekend_day if grammar.weekend_day and local.weekday() >= 5 else None
        pattern = pattern or grammar.on_day
        spoken_day = day_text
    else:
        skeleton = "MMMMd" if local.year == local_now.year else "yMMMMd"
        spoken_day = str(format_skeleton(skeleton, local, locale=locale))
        pattern = grammar.on_date
    text = pattern.replace("{day}", spoken_day).replace("{date}", spoken_day)
    if (
        grammar.one_oclock is not None
        and local.hour in (1, 13)
        and time_text.startswith(("1:", "01:"))
    ):
        plural, singular = grammar.one_oclock
        text = text.replace(plural + " {time}", singular + " {time}")
    text = text.replace("{time}", time_text)
    return Phrase(f"{text} ({zone_text})", time_text, spoken_day, zone_text)


def _utc() -> tzinfo:
    from datetime import timezone

    return timezone.utc
