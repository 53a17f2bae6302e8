"""ReplyBook, Reply, acknowledge and away_message (issue #13)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import pytz
from hypothesis import given, settings
from hypothesis import strategies as st

from socialcare import (
    Author,
    Conversation,
    Decision,
    InvalidInputError,
    Post,
    Reply,
    ReplyBook,
    ServiceWindow,
    SLAPolicy,
    TimezoneError,
    acknowledge,
    away_message,
)
from socialcare._replies._phrases import when
from socialcare._replies._template import PLATFORM_LIMITS, parse_template

UTC = timezone.utc
MADRID = pytz.timezone("Europe/Madrid")
FRIDAY_NIGHT = datetime(2026, 12, 4, 22, 0, tzinfo=UTC)  # 23:00 in Madrid
TUESDAY_MORNING = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 10:00 in Madrid

BOOK: dict[str, Any] = {
    "default_language": "en",
    "languages": ["en", "es"],
    "defaults": {"customer": {"en": "there", "es": ""}, "brand": "Acme"},
    "replies": {
        "query": {
            "en": "Hi {customer}! Our help centre has the answer. {brand}",
            "es": {
                "*": "¡Hola {customer}! Nuestro centro de ayuda tiene la respuesta.",
                "twitter": "Hola {customer} :) mira nuestro centro de ayuda",
                "linkedin": "Estimado/a {customer}: nuestro centro de ayuda tiene la respuesta.",
            },
        },
        "acknowledgement": {
            "en": "Thanks {customer}, we will reply {eta}.",
            "es": "Gracias {customer}, te responderemos {eta}.",
        },
        "acknowledgement/self_harm": {
            "en": "{customer}, a person is reading this now. If you are in danger, call your "
            "local emergency number.",
            "es": "{customer}, una persona lo está leyendo ahora. Si estás en peligro, llama al "
            "número de emergencias.",
        },
        "away": {
            "en": {
                "*": "We are closed; we open again {opens} and will reply {eta}.",
                "tiktok": "Closed now; back {opens}.",
            },
            "es": {
                "*": "Ahora estamos cerrados; abrimos {opens} y te responderemos {eta}.",
                "tiktok": "Cerrados; volvemos {opens}.",
            },
        },
        "away/holiday": {
            "en": "It is a holiday here; we open again {opens}.",
            "es": "Hoy es festivo; abrimos {opens}.",
        },
    },
}


def _decision(**fields: Any) -> Decision:
    values: dict[str, Any] = {
        "route": "auto",
        "intent": "query",
        "confidence": 0.97,
        "uncertain": False,
        "priority": "normal",
        "sensitive": None,
        "sentiment": "neutral",
        "take_private": False,
        "language": "es",
        "reasons": ("intent 'query'",),
    }
    values.update(fields)
    return Decision(**values)


def _conversation(at: datetime = FRIDAY_NIGHT, **labels: Any) -> Conversation:
    post = Post(
        id="p1",
        platform="twitter",
        author=Author(id="u1", handle="ana_g", display_name="Ana"),
        text="¿a qué hora abrís?",
        created_at=at,
    )
    values: dict[str, Any] = {"route": "agent", "intent": "query", "language": "es"}
    values.update(labels)
    return Conversation(id="c1", posts=(post,), brand=frozenset({"acme"}), **values)


def _policy(window: Any = None) -> SLAPolicy:
    return SLAPolicy.from_dict(
        {
            "window": window or {"timezone": "Europe/Madrid", "hours": {"mon-fri": "09:00-18:00"}},
            "targets": [{"metric": "first_response", "duration": "15m"}],
        }
    )


# Building a book: every mistake is caught at load ------------------------------------------


def test_example_book_loads_and_round_trips() -> None:
    book = ReplyBook.from_dict(BOOK)
    assert book.languages == ("en", "es")
    assert "query" in book
    assert len(book) == 5
    assert ReplyBook.from_dict(book.to_dict()) == book


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Hi {customr}", "unknown placeholder {customr}"),
        ("Hi {customer.__class__}", "unknown placeholder"),
        ("Hi {customer[0]}", "unknown placeholder"),
        ("Hi {customer!r}", "format specification or conversion"),
        ("Hi {customer:>40}", "format specification or conversion"),
        ("Hi {customer", "literal brace"),
        ("Hi {eta}", "unknown placeholder {eta}"),  # an ETA only in acknowledgements
        ("   ", "empty"),
    ],
)
def test_bad_templates_are_refused_at_load(text: str, message: str) -> None:
    data = {"default_language": "en", "replies": {"query": {"en": text}}}
    with pytest.raises(InvalidInputError, match=r"replies\.query\.en") as caught:
        ReplyBook.from_dict(data)
    assert message in str(caught.value)


def test_missing_promised_translation_is_refused() -> None:
    data = {"default_language": "en", "languages": ["en", "fr"], "replies": {"query": {"en": "x"}}}
    with pytest.raises(InvalidInputError, match="no 'fr' text"):
        ReplyBook.from_dict(data)


@pytest.mark.parametrize(("platform", "limit"), [("twitter", 280), ("tiktok", 150)])
def test_text_over_a_platform_limit_is_refused(platform: str, limit: int) -> None:
    long_text = "a" * (limit - 10) + " {customer}"  # fits alone, not with a 30-letter name
    data = {"default_language": "en", "replies": {"query": {"en": {platform: long_text}}}}
    with pytest.raises(InvalidInputError, match=f"over {platform}'s limit of {limit}"):
        ReplyBook.from_dict(data)


def test_a_star_text_is_checked_against_every_platform_it_serves() -> None:
    text = "a" * 200
    with pytest.raises(InvalidInputError, match="tiktok"):
        ReplyBook.from_dict({"default_language": "en", "replies": {"query": {"en": text}}})
    # With its own short TikTok and X variants, the long text serves the others only.
    ok = {"*": text, "tiktok": "short", "twitter": "short too"}
    ReplyBook.from_dict({"default_language": "en", "replies": {"query": {"en": ok}}})


@pytest.mark.parametrize(
    "data",
    [
        {"default_language": "en", "replies": {}},
        {"default_language": "english", "replies": {"query": {"en": "x"}}},
        {"default_language": "en", "replies": {"query": {"en": {"myspace!": "x"}}}},
        {"default_language": "en", "replies": {"Query Reply": {"en": "x"}}},
        {"default_language": "en", "reply": {"query": {"en": "x"}}},
        {"default_language": "en", "defaults": {"price": "9"}, "replies": {"query": {"en": "x"}}},
        {"default_language": "en", "replies": {"query": {"en": 42}}},
        [],
    ],
)
def test_malformed_books_are_refused(data: Any) -> None:
    with pytest.raises(InvalidInputError):
        ReplyBook.from_dict(data)


def test_one_error_lists_every_problem() -> None:
    data = {
        "default_language": "en",
        "languages": ["en", "es"],
        "replies": {"query": {"en": "{x}"}, "praise": {"en": "{y}", "es": "ok"}},
    }
    with pytest.raises(InvalidInputError) as caught:
        ReplyBook.from_dict(data)
    fields = {issue.field for issue in caught.value.issues}
    assert {"replies.query.en.*", "replies.query", "replies.praise.en.*"} <= fields


def test_json_text_loads_and_bad_json_is_a_clear_error() -> None:
    import json

    assert ReplyBook.from_dict(json.dumps(BOOK)) == ReplyBook.from_dict(BOOK)
    with pytest.raises(InvalidInputError, match="JSON"):
        ReplyBook.from_dict("{not json")


# Lookup and fallbacks ------------------------------------------------------------------------


def test_platform_then_any_platform_then_default_language() -> None:
    book = ReplyBook.from_dict(BOOK)
    assert book.render("query", language="es", platform="twitter").template == (  # type: ignore[union-attr]
        "query[es/twitter]"
    )
    assert book.render("query", language="es", platform="x").template == "query[es/twitter]"  # type: ignore[union-attr]
    assert book.render("query", language="es", platform="facebook").template == "query[es/*]"  # type: ignore[union-attr]
    fallback = book.render("query", language="de", platform="twitter")
    assert fallback is not None
    assert fallback.language == "en"
    assert fallback.reasons == ("no 'de' text for 'query': used 'en'",)
    regional = book.render("query", language="es-MX")
    assert regional is not None
    assert regional.language == "es"
    assert book.render("complaint", language="es") is None


def test_missing_customer_uses_the_books_default_and_reads_cleanly() -> None:
    book = ReplyBook.from_dict(BOOK)
    en = book.render("query", language="en")
    es = book.render("query", language="es", platform="twitter")
    assert en is not None
    assert en.text.startswith("Hi there!")
    assert es is not None
    assert es.text == "Hola :) mira nuestro centro de ayuda"
    named = book.render("query", language="en", context={"customer": "Ana", "brand": "Zed"})
    assert named is not None
    assert named.text == "Hi Ana! Our help centre has the answer. Zed"


@pytest.mark.parametrize(
    "context",
    [{"price": "9"}, {"customer": 5}, ["customer"]],
)
def test_bad_context_is_refused(context: Any) -> None:
    with pytest.raises(InvalidInputError):
        ReplyBook.from_dict(BOOK).render("query", language="en", context=context)


def test_template_values_are_text_never_evaluated() -> None:
    book = ReplyBook.from_dict(BOOK)
    reply = book.render("query", language="en", context={"customer": "{brand} {0} {__class__}"})
    assert reply is not None
    assert reply.text.startswith("Hi {brand} {0} {__class__}!")


# reply(): automated answers only where safe ------------------------------------------------


def test_reply_for_an_auto_decision() -> None:
    reply = ReplyBook.from_dict(BOOK).reply(_decision(), platform="linkedin")
    assert isinstance(reply, Reply)
    assert reply.kind == "reply"
    assert reply.template == "query[es/linkedin]"
    assert reply.text.startswith("Estimado/a")
    assert reply.reasons == ("route 'auto' for intent 'query'",)


@pytest.mark.parametrize(
    "fields",
    [
        {"route": "agent"},
        {"route": "specialist", "sensitive": "self_harm", "crisis": True},
        {"route": "none"},
        {"sensitive": "privacy"},  # even if something routed it auto
        {"intent": "spam"},  # the book has no text for it
    ],
)
def test_no_reply_where_a_person_must_decide(fields: dict[str, Any]) -> None:
    assert ReplyBook.from_dict(BOOK).reply(_decision(**fields)) is None


def test_reply_for_a_conversation_uses_its_labels_platform_and_customer() -> None:
    book = ReplyBook.from_dict(BOOK)
    reply = book.reply(_conversation(route="auto"))
    assert reply is not None
    assert reply.template == "query[es/twitter]"
    assert reply.text == "Hola Ana :) mira nuestro centro de ayuda"


def test_reply_refuses_an_untriaged_conversation() -> None:
    bare = _conversation().model_copy(update={"route": None})
    with pytest.raises(InvalidInputError, match="triage_conversations"):
        ReplyBook.from_dict(BOOK).reply(bare)


def test_no_reply_once_the_brand_answered() -> None:
    conversation = _conversation(route="auto")
    answer = Post(
        id="p2",
        platform="twitter",
        author=Author(id="acme"),
        text="Hola Ana",
        created_at=FRIDAY_NIGHT + timedelta(minutes=3),
        in_reply_to="p1",
    )
    answered = conversation.model_copy(update={"posts": (*conversation.posts, answer)})
    book = ReplyBook.from_dict(BOOK)
    assert book.reply(answered, now=FRIDAY_NIGHT + timedelta(minutes=1)) is not None
    assert book.reply(answered, now=FRIDAY_NIGHT + timedelta(minutes=5)) is None
    with pytest.raises(TimezoneError):
        book.reply(answered, now=datetime(2026, 12, 4, 23, 0))


def test_reply_refuses_other_objects() -> None:
    with pytest.raises(InvalidInputError, match="Decision or a Conversation"):
        ReplyBook.from_dict(BOOK).reply({"route": "auto"})  # type: ignore[arg-type]


# acknowledge(): an honest ETA ---------------------------------------------------------------


def test_acknowledgement_on_a_friday_night_names_monday_in_spanish() -> None:
    reply = acknowledge(_conversation(), _policy(), FRIDAY_NIGHT, book=ReplyBook.from_dict(BOOK))
    assert reply is not None
    assert reply.key == "away"
    assert reply.text == (
        "Ahora estamos cerrados; abrimos el lunes a las 9:00 (hora de Madrid) y te "
        "responderemos el lunes a las 9:15 (hora de Madrid)."
    )


def test_acknowledgement_in_hours_gives_minutes() -> None:
    reply = acknowledge(
        _conversation(TUESDAY_MORNING), _policy(), TUESDAY_MORNING, book=ReplyBook.from_dict(BOOK)
    )
    assert reply is not None
    assert reply.key == "acknowledgement"
    assert reply.text == "Gracias Ana, te responderemos dentro de 15 minutos."


def test_holiday_gets_the_holiday_text() -> None:
    window = {
        "timezone": "Europe/Madrid",
        "hours": {"mon-fri": "09:00-18:00"},
        "holidays": ["2026-12-08"],
    }
    tuesday_holiday = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)
    reply = acknowledge(
        _conversation(tuesday_holiday),
        _policy(window),
        tuesday_holiday,
        book=ReplyBook.from_dict(BOOK),
    )
    assert reply is not None
    assert reply.key == "away/holiday"
    assert reply.text == "Hoy es festivo; abrimos el miércoles a las 9:00 (hora de Madrid)."


def test_sensitive_posts_get_their_kind_even_when_closed() -> None:
    conversation = _conversation(route="specialist", sensitive="self_harm")
    reply = acknowledge(conversation, _policy(), FRIDAY_NIGHT, book=ReplyBook.from_dict(BOOK))
    assert reply is not None
    assert reply.key == "acknowledgement/self_harm"
    assert reply.reasons[0] == "sensitive post (self_harm)"


def test_nothing_to_acknowledge() -> None:
    book = ReplyBook.from_dict(BOOK)
    assert acknowledge(_conversation(route="none"), _policy(), FRIDAY_NIGHT, book=book) is None
    later = FRIDAY_NIGHT + timedelta(minutes=2)
    answer = Post(
        id="p2",
        platform="twitter",
        author=Author(id="acme"),
        text="hola",
        created_at=later,
        in_reply_to="p1",
    )
    conversation = _conversation()
    answered = conversation.model_copy(update={"posts": (*conversation.posts, answer)})
    assert acknowledge(answered, _policy(), later + timedelta(minutes=1), book=book) is None


def test_acknowledge_validates_its_arguments() -> None:
    book = ReplyBook.from_dict(BOOK)
    with pytest.raises(TimezoneError):
        acknowledge(_conversation(), _policy(), datetime(2026, 12, 4, 22, 0), book=book)
    with pytest.raises(InvalidInputError, match="SLAPolicy"):
        acknowledge(_conversation(), {"targets": []}, FRIDAY_NIGHT, book=book)  # type: ignore[arg-type]
    no_first = SLAPolicy.from_dict({"targets": [{"metric": "resolution", "duration": "1d"}]})
    with pytest.raises(InvalidInputError, match="no first_response target"):
        acknowledge(_conversation(), no_first, FRIDAY_NIGHT, book=book)
    with pytest.raises(InvalidInputError, match="ReplyBook"):
        acknowledge(_conversation(), _policy(), FRIDAY_NIGHT, book=BOOK)  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(
    minutes=st.integers(min_value=0, max_value=60 * 24 * 30),
    zone=st.sampled_from(["Europe/Madrid", "America/Sao_Paulo", "Asia/Jakarta", "UTC"]),
    language=st.sampled_from(["en", "es"]),
)
def test_the_eta_is_the_policy_due_time_in_the_markets_zone(
    minutes: int, zone: str, language: str
) -> None:
    """Property (issue #13): the ETA said is policy.evaluate(...).first_response.due_at."""
    now = datetime(2026, 3, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    policy = _policy({"timezone": zone, "hours": {"mon-fri": "09:00-18:00", "sat": "10:00-14:00"}})
    conversation = _conversation(now, language=language)
    reply = acknowledge(conversation, policy, now, book=ReplyBook.from_dict(BOOK))
    result = policy.evaluate(conversation, now).first_response
    assert reply is not None
    assert result is not None
    assert result.due_at is not None
    expected = when(result.due_at, now, pytz.timezone(zone), language).text
    assert expected in reply.text


# away_message() ----------------------------------------------------------------------------


def test_away_message_only_outside_hours() -> None:
    window = ServiceWindow.office_hours("Europe/Madrid")
    book = ReplyBook.from_dict(BOOK)
    assert away_message(window, TUESDAY_MORNING, book=book) is None
    reply = away_message(window, FRIDAY_NIGHT, book=book, language="es")
    assert reply is not None
    assert "abrimos el lunes a las 9:00 (hora de Madrid)" in reply.text
    with pytest.raises(TimezoneError):
        away_message(window, datetime(2026, 12, 4, 22, 0), book=book)
    with pytest.raises(InvalidInputError, match="ServiceWindow"):
        away_message("9-5", FRIDAY_NIGHT, book=book)  # type: ignore[arg-type]


# Rendering never raises for a valid book ----------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(
    customer=st.text(max_size=40),
    agent=st.text(max_size=20),
    language=st.sampled_from(["en", "es", "fr", "pt-BR", "zz"]),
    platform=st.sampled_from([None, *PLATFORM_LIMITS, "mastodon"]),
    minutes=st.integers(min_value=-100, max_value=60 * 24 * 400),
)
def test_rendering_never_raises(
    customer: str, agent: str, language: str, platform: str | None, minutes: int
) -> None:
    book = ReplyBook.from_dict(BOOK)
    now = FRIDAY_NIGHT + timedelta(minutes=minutes)
    context = {"customer": customer, "agent": agent}
    reply = book.reply(_decision(language=language), context=context, platform=platform)
    assert reply is not None
    assert reply.text
    ack = book.acknowledgement(
        _decision(route="agent", language=language),
        due_at=now + timedelta(minutes=15),
        now=now,
        timezone="Europe/Madrid",
        context=context,
        platform=platform,
    )
    assert ack is not None
    assert ack.text


def test_parsed_template_keeps_literal_braces() -> None:
    assert parse_template("{{brand}} {brand}", "x").render({"brand": "Acme"}) == "{brand} Acme"


def test_a_reply_is_a_valid_model() -> None:
    reply = ReplyBook.from_dict(BOOK).reply(_decision())
    assert reply is not None
    assert Reply(**reply.model_dump()) == reply
    assert list(reply.model_dump()) == list(Reply.model_fields)


# Found in review -----------------------------------------------------------------------------


def test_a_sensitive_post_never_gets_the_away_or_everyday_text() -> None:
    data = {
        "default_language": "en",
        "replies": {
            "acknowledgement": {"en": "Thanks, we will reply {eta}."},
            "away": {"en": "We are closed; back {opens}. Enjoy your weekend!"},
        },
    }
    book = ReplyBook.from_dict(data)
    hurt = _conversation(route="specialist", sensitive="self_harm", language="en")
    assert acknowledge(hurt, _policy(), FRIDAY_NIGHT, book=book) is None
    with_specialists = ReplyBook.from_dict(
        {
            "default_language": "en",
            "replies": {
                **data["replies"],
                "acknowledgement/specialist": {"en": "A specialist has this now."},
            },
        }
    )
    reply = acknowledge(hurt, _policy(), FRIDAY_NIGHT, book=with_specialists)
    assert reply is not None
    assert reply.key == "acknowledgement/specialist"


def test_a_crisis_flag_alone_blocks_the_automated_reply() -> None:
    assert ReplyBook.from_dict(BOOK).reply(_decision(crisis=True)) is None


@pytest.mark.parametrize(("tag", "used"), [("ES", "es"), ("es_ES", "es"), ("es-mx", "es")])
def test_language_tags_ignore_case_and_underscores(tag: str, used: str) -> None:
    reply = ReplyBook.from_dict(BOOK).reply(_decision(), language=tag)
    assert reply is not None
    assert reply.language == used


def test_a_book_with_one_language_twice_is_refused() -> None:
    data = {"default_language": "en", "replies": {"query": {"en": "a", "EN": "b"}}}
    with pytest.raises(InvalidInputError, match="a second time"):
        ReplyBook.from_dict(data)


def test_old_codes_and_odd_zones_read_well() -> None:
    now = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    hebrew = when(now + timedelta(minutes=100), now, pytz.timezone("Asia/Jerusalem"), "iw")
    assert hebrew.text == "בעוד שעתיים"  # no "(2)" from CLDR's dual form
    fixed = when(now + timedelta(days=1), now, timezone(timedelta(hours=-3)), "es")
    assert fixed.text == "el sábado a las 6:00 (GMT-03:00)"
    etc = when(now + timedelta(days=1), now, pytz.timezone("Etc/GMT+3"), "en")
    assert etc.text.endswith("(GMT-03:00)")
    later_today = when(now + timedelta(hours=6), now, pytz.timezone("Europe/Madrid"), "en")
    assert later_today.text == "in 6 hours"  # not "on Friday", said on a Friday


def test_an_empty_name_takes_its_comma_along() -> None:
    data = {"default_language": "es", "replies": {"query": {"es": "¡Hola, {customer}! Mira."}}}
    reply = ReplyBook.from_dict(data).render("query")
    assert reply is not None
    assert reply.text == "¡Hola! Mira."


def test_long_names_are_cut_to_the_length_the_limits_assume() -> None:
    book = ReplyBook.starter()
    long_name = "N" * 200
    for platform in ("twitter", "tiktok", "instagram"):
        reply = book.reply(
            _decision(language="ms"), context={"customer": long_name}, platform=platform
        )
        assert reply is not None
        assert len(reply.text) <= PLATFORM_LIMITS[platform]


def test_bad_arguments_are_clear_errors() -> None:
    book = ReplyBook.from_dict(BOOK)
    with pytest.raises(InvalidInputError, match="reply key"):
        book.render([])  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="holiday"):
        book.acknowledgement(_decision(route="agent"), due_at=None, now=FRIDAY_NIGHT, holiday="yes")  # type: ignore[arg-type]


def test_the_memo_stays_as_small_as_the_book() -> None:
    book = ReplyBook.from_dict(BOOK)
    for index in range(300):
        book.reply(_decision(), language=f"en-{index:03d}")
    assert len(book._memo) == 0  # the bound is the point of the test


def test_an_unlabelled_conversation_is_answered_in_its_customers_language() -> None:
    pytest.importorskip("pycld2")
    conversation = _conversation(language=None)
    post = conversation.posts[0].model_copy(
        update={"text": "Hola, mi pedido no ha llegado y nadie me contesta desde hace días"}
    )
    unlabelled = conversation.model_copy(update={"posts": (post,)})
    reply = acknowledge(unlabelled, _policy(), FRIDAY_NIGHT, book=ReplyBook.starter())
    assert reply is not None
    assert reply.language == "es"


@pytest.mark.parametrize("zone", [pytz.timezone("Europe/Madrid"), "zoneinfo"])
def test_the_repeated_hour_of_a_dst_change_says_its_offset(zone: Any) -> None:
    if zone == "zoneinfo":
        import zoneinfo

        zone = zoneinfo.ZoneInfo("Europe/Madrid")
    now = datetime(2026, 10, 20, tzinfo=UTC)
    first = when(datetime(2026, 10, 25, 0, 30, tzinfo=UTC), now, zone, "en").text
    second = when(datetime(2026, 10, 25, 1, 30, tzinfo=UTC), now, zone, "en").text
    assert first == "on Sunday at 2:30\u202fAM (GMT+02:00)"  # CLDR: a narrow space before AM
    assert second == "on Sunday at 2:30\u202fAM (GMT+01:00)"
    later = when(datetime(2026, 10, 25, 3, 30, tzinfo=UTC), now, zone, "es").text
    assert later == "el domingo a las 4:30 (hora de Madrid)"


def test_names_lose_what_cannot_be_sent_or_would_turn_the_text_around() -> None:
    reply = ReplyBook.from_dict(BOOK).reply(
        _decision(language="en"), context={"customer": "Ana\u202e\ud800\x07 "}
    )
    assert reply is not None
    assert reply.text.startswith("Hi Ana!")
    reply.text.encode("utf-8")  # a lone surrogate would fail here
