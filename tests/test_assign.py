"""Assignment: teams as data, the qualification rules, load, shifts and explicit outcomes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialcare import (
    Assigner,
    Assignment,
    Author,
    Conversation,
    Decision,
    InvalidInputError,
    Post,
    ServiceWindow,
    TimezoneError,
)

UTC = timezone.utc

ISSUE_EXAMPLE: dict[str, Any] = {
    "teams": [
        {
            "name": "care-es",
            "languages": ["es"],
            "platforms": ["twitter", "whatsapp"],
            "capacity": 5,
        },
        {
            "name": "crisis",
            "languages": ["es", "en"],
            "specialist_kinds": ["safety", "self_harm"],
            "capacity": 2,
            "hours": {"timezone": "Europe/Madrid", "hours": {"daily": "00:00-24:00"}},
        },
    ]
}


def decision(**fields: Any) -> Decision:
    values: dict[str, Any] = {
        "route": "agent",
        "intent": "query",
        "confidence": 0.9,
        "uncertain": False,
        "priority": "normal",
        "sensitive": None,
        "sentiment": "neutral",
        "take_private": False,
        "reasons": (),
    }
    values.update(fields)
    return Decision(**values)


def sensitive(kind: str, **fields: Any) -> Decision:
    return decision(route="specialist", sensitive=kind, crisis=kind == "self_harm", **fields)


def post(platform: str = "twitter", language: str | None = None, post_id: str = "p1") -> Post:
    return Post(
        id=post_id,
        platform=platform,
        author=Author(id="ana"),
        text="ok",  # too short for language detection: the tests name the language
        created_at=datetime(2024, 5, 1, 9, tzinfo=UTC),
        language=language,
    )


@pytest.fixture
def issue() -> Assigner:
    return Assigner.from_dict(ISSUE_EXAMPLE)


# Loading ------------------------------------------------------------------------------------


def test_the_issue_example_loads_and_round_trips(issue: Assigner) -> None:
    care, crisis = issue.teams
    assert care.name == "care-es"
    assert care.languages == ("es",)
    assert [str(p) for p in care.platforms or ()] == ["twitter", "whatsapp"]
    assert care.capacity == 5
    assert not care.is_specialist
    assert care.hours is None
    assert crisis.specialist_kinds == ("safety", "self_harm")
    assert crisis.is_specialist
    assert crisis.hours == ServiceWindow.weekly("Europe/Madrid", {"daily": "00:00-24:00"})
    assert Assigner.from_dict(issue.to_dict()) == issue


def test_a_full_configuration_round_trips() -> None:
    data = {
        "teams": [
            {
                "name": "vip",
                "platforms": ["instagram"],
                "intents": ["complaint"],
                "influencers": True,
                "capacity": 3,
                "agents": [
                    {"name": "ana", "languages": ["es"], "capacity": 2},
                    {
                        "name": "bob",
                        "capacity": 1,
                        "hours": {"timezone": "UTC", "hours": {"mon-fri": "09:00-17:00"}},
                    },
                ],
            },
            {"name": "care", "capacity": 1},
        ],
        "assign_auto": True,
    }
    assigner = Assigner.from_dict(data)
    assert assigner.to_dict() == data
    assert Assigner.from_dict(assigner.to_dict()) == assigner
    # spellings are normalised: platform aliases, language tags, kind spellings
    spelled = Assigner.from_dict(
        {
            "teams": [
                {
                    "name": "t",
                    "platforms": ["X"],
                    "languages": ["pt_BR"],
                    "specialist_kinds": ["Self-Harm"],
                    "capacity": 1,
                }
            ]
        }
    )
    assert spelled.to_dict()["teams"][0] == {
        "name": "t",
        "languages": ["pt-br"],
        "platforms": ["twitter"],
        "specialist_kinds": ["self_harm"],
        "capacity": 1,
    }


@pytest.mark.parametrize(
    ("team", "expected"),
    [
        ({"name": "a", "langauges": ["es"], "capacity": 1}, "did you mean 'languages'"),
        ({"name": "a", "capacity": 1, "specialist_kind": ["safety"]}, "'specialist_kinds'"),
        ({"name": "a", "capacity": 0}, "at least 1"),
        ({"name": "a", "capacity": -2}, "at least 1"),
        ({"name": "a", "capacity": True}, "whole number"),
        ({"name": "a", "capacity": 2.5}, "whole number"),
        ({"name": "a"}, "needs 'capacity'"),
        ({"capacity": 1}, "needs 'name'"),
        ({"name": " ", "capacity": 1}, "needs a name"),
        ({"name": "a", "capacity": 1, "languages": []}, "omit it to take any language"),
        ({"name": "a", "capacity": 1, "languages": ["Spanish!"]}, "not a language tag"),
        ({"name": "a", "capacity": 1, "platforms": ["bad name!"]}, "platform"),
        ({"name": "a", "capacity": 1, "intents": []}, "omit it to take every intent"),
        ({"name": "a", "capacity": 1, "specialist_kinds": ["selfharm"]}, "'self_harm'"),
        ({"name": "a", "capacity": 1, "influencers": "yes"}, "true or false"),
        (
            {"name": "a", "capacity": 1, "hours": {"timezone": "Mars/Base", "hours": {}}},
            "Mars/Base",
        ),
        (
            {
                "name": "a",
                "capacity": 1,
                "hours": {"timezone": "UTC", "hours": {"daily": "09:00-25:00"}},
            },
            "bad hours",
        ),
        (
            {
                "name": "a",
                "capacity": 1,
                "hours": {"timezone": "UTC", "hours": {"daily": "closed"}},
            },
            "no opening at all",
        ),
        ({"name": "a", "capacity": 1, "hours": {"tz": "UTC"}}, "bad hours"),
        (
            {"name": "a", "capacity": 1, "agents": [{"name": "b", "capacity": 1, "intents": []}]},
            "unknown key 'intents' in agent 'b'",
        ),
        (
            {
                "name": "a",
                "capacity": 1,
                "languages": ["es"],
                "agents": [{"name": "b", "capacity": 1, "languages": ["en"]}],
            },
            "speaks ['en'] but team 'a' takes only ['es']",
        ),
        (
            {
                "name": "a",
                "capacity": 1,
                "platforms": ["twitter"],
                "agents": [{"name": "b", "capacity": 1, "platforms": ["whatsapp"]}],
            },
            "works ['whatsapp']",
        ),
        ({"name": "a", "capacity": 1, "agents": [{"name": "b", "capacity": 0}]}, "at least 1"),
    ],
)
def test_bad_teams_are_refused_saying_what_and_how(team: dict[str, Any], expected: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        Assigner.from_dict({"teams": [team]})
    assert expected in str(caught.value)
    assert caught.value.issues  # the field path is kept


def test_bad_hours_zone_is_a_timezone_error() -> None:
    with pytest.raises(TimezoneError, match="Mars/Base"):
        Assigner.from_dict(
            {
                "teams": [
                    {
                        "name": "a",
                        "capacity": 1,
                        "hours": {"timezone": "Mars/Base", "hours": {"daily": "09:00-17:00"}},
                    }
                ]
            }
        )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"teems": []}, "needs 'teams'"),
        ({"teams": [], "assign_atuo": True}, "did you mean 'assign_auto'"),
        ({"teams": []}, "list at least one"),
        ({"teams": {"name": "a", "capacity": 1}}, "a list of teams"),
        ({"teams": [{"name": "a", "capacity": 1}], "assign_auto": 1}, "true or false"),
        (
            {"teams": [{"name": "a", "capacity": 1}, {"name": "a", "capacity": 2}]},
            "'a' is used twice (first by a team, then by a team)",
        ),
        (
            {
                "teams": [
                    {"name": "a", "capacity": 1},
                    {"name": "b", "capacity": 1, "agents": [{"name": "a", "capacity": 1}]},
                ]
            },
            "'a' is used twice (first by a team, then by an agent)",
        ),
        ("teams", "a mapping"),
    ],
)
def test_bad_configurations_are_refused(data: Any, expected: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        Assigner.from_dict(data)
    assert expected in str(caught.value)


def test_assigner_and_assignment_are_immutable(issue: Assigner) -> None:
    result = issue.assign(decision(language="es"), platform="twitter")
    with pytest.raises(Exception):  # noqa: B017, PT011 - pydantic's frozen-instance error
        result.team = "crisis"  # type: ignore[misc]
    with pytest.raises(Exception):  # noqa: B017, PT011
        issue.teams = ()  # type: ignore[misc]
    assert isinstance(result, Assignment)


# The issue's scenarios ----------------------------------------------------------------------


def test_a_spanish_twitter_query_goes_to_care_es(issue: Assigner) -> None:
    result = issue.assign(decision(language="es"), platform="x")
    assert (result.team, result.agent, result.status) == ("care-es", None, "assigned")
    assert any("'care-es' takes language es, platform twitter" in r for r in result.reasons)
    # the language may also come from the kwarg, or a regional tag of the team's language
    assert issue.assign(decision(), platform="twitter", language="es").team == "care-es"
    assert issue.assign(decision(language="es-MX"), platform="twitter").team == "care-es"


def test_self_harm_goes_to_crisis_whatever_the_route(issue: Assigner) -> None:
    assert issue.assign(sensitive("self_harm", language="es"), platform="twitter").team == "crisis"
    # the crisis flag alone means self_harm; a sensitive post is assigned even on route none
    flagged = decision(route="none", crisis=True, language="es")
    result = issue.assign(flagged, platform="twitter")
    assert result.team == "crisis"
    assert any("self_harm" in r and "although its route is 'none'" in r for r in result.reasons)


def test_english_safety_at_three_in_madrid_goes_to_crisis(issue: Assigner) -> None:
    three_am_madrid = datetime(2024, 1, 10, 2, tzinfo=UTC)  # CET: 03:00 in Madrid
    result = issue.assign(sensitive("safety", language="en"), now=three_am_madrid)
    assert result.team == "crisis"
    assert "is the only qualified team free now" in result.reasons[-1]


def test_a_sensitive_kind_without_a_team_is_an_explicit_none(issue: Assigner) -> None:
    result = issue.assign(sensitive("privacy", language="es"), platform="twitter")
    assert (result.team, result.status) == (None, "unqualified")
    assert any("no specialist team for privacy" in r for r in result.reasons)
    # never a generalist, even one that takes everything
    anyone = Assigner.from_dict({"teams": [{"name": "all", "capacity": 99}]})
    assert anyone.assign(sensitive("self_harm")).team is None
    assert "no specialist team for self_harm" in anyone.assign(sensitive("self_harm")).reasons[-1]


def test_specialist_teams_take_only_sensitive_or_influencer_posts(issue: Assigner) -> None:
    # an English query: crisis speaks English but is a specialist team, care-es does not
    result = issue.assign(decision(language="en"), platform="twitter")
    assert (result.team, result.status) == (None, "unqualified")
    assert "'care-es' takes only es, not en" in result.reasons[-1]


def test_influencer_posts_go_to_teams_that_take_influencers() -> None:
    assigner = Assigner.from_dict(
        {
            "teams": [
                {"name": "care", "capacity": 5},
                {"name": "vip", "influencers": True, "capacity": 1},
            ]
        }
    )
    star = decision(route="specialist", influencer=True)
    assert assigner.assign(star).team == "vip"
    assert assigner.assign(decision(influencer=True)).team == "care"  # route agent: ordinary
    assert assigner.assign(decision()).team == "care"
    nobody = Assigner.from_dict({"teams": [{"name": "care", "capacity": 5}]}).assign(star)
    assert nobody.team is None
    assert "no team takes influencer posts" in nobody.reasons[-1]
    # a sensitive influencer post needs the kind, not the influencer flag
    assert assigner.assign(sensitive("safety", influencer=True)).team is None


def test_route_none_and_auto_assign_nobody_unless_asked() -> None:
    assigner = Assigner.from_dict({"teams": [{"name": "care", "capacity": 5}]})
    for route in ("none", "auto"):
        result = assigner.assign(decision(route=route))
        assert (result.team, result.status) == (None, "not_needed")
        assert f"route {route!r}" in result.reasons[0]
    eager = Assigner.from_dict({"teams": [{"name": "care", "capacity": 5}], "assign_auto": True})
    assert eager.assign(decision(route="auto")).team == "care"
    assert eager.assign(decision(route="none")).team is None


# Qualification ------------------------------------------------------------------------------


def test_unknown_language_and_platform_go_only_to_teams_without_that_filter() -> None:
    assigner = Assigner.from_dict(
        {
            "teams": [
                {"name": "es", "languages": ["es"], "capacity": 5},
                {"name": "tw", "platforms": ["twitter"], "capacity": 5},
                {"name": "any", "capacity": 1},
            ]
        }
    )
    result = assigner.assign(decision(), load={"any": 1})  # no language, no platform known
    assert result.status == "unavailable"
    assert "'es' takes only es and the language is unknown" in result.reasons[-1]
    assert "the platform is unknown (pass platform=" in result.reasons[-1]
    assert assigner.assign(decision()).team == "any"
    assert assigner.assign(decision(), load={"any": 1}, platform="twitter").team == "tw"


def test_intents_filter() -> None:
    assigner = Assigner.from_dict(
        {
            "teams": [
                {"name": "complaints", "intents": ["complaint"], "capacity": 5},
                {"name": "rest", "capacity": 1},
            ]
        }
    )
    assert assigner.assign(decision(intent="complaint")).team == "complaints"
    assert assigner.assign(decision(intent="query")).team == "rest"
    result = assigner.assign(decision(intent=None), load={"rest": 1})
    assert "takes only intents complaint and the intent is unknown" in result.reasons[-1]
    full = assigner.assign(decision(intent="query"), load={"rest": 1})
    assert "'complaints' takes only intents complaint, not 'query'" in full.reasons[-1]


# Load, capacity, shifts ---------------------------------------------------------------------


TWO_CARE = {"teams": [{"name": "a", "capacity": 4}, {"name": "b", "capacity": 2}]}


def test_the_least_loaded_share_wins_and_ties_go_to_the_first_listed() -> None:
    assigner = Assigner.from_dict(TWO_CARE)
    assert assigner.assign(decision()).team == "a"  # 0/4 and 0/2: tie, first listed
    assert assigner.assign(decision(), load={"a": 1}).team == "b"  # 1/4 > 0/2
    assert assigner.assign(decision(), load={"a": 2, "b": 1}).team == "a"  # 2/4 == 1/2: tie
    assert assigner.assign(decision(), load={"a": 3, "b": 1}).team == "b"  # 3/4 > 1/2
    result = assigner.assign(decision(), load={"a": 1, "b": 1})
    assert "'a' holds 1 of 4 open conversations, the lowest share of 2 free teams ('b' 1/2)" in (
        result.reasons
    )


def test_full_teams_are_skipped_and_nobody_goes_over_capacity() -> None:
    assigner = Assigner.from_dict(TWO_CARE)
    assert assigner.assign(decision(), load={"a": 0, "b": 2}).team == "a"
    assert assigner.assign(decision(), load={"a": 4, "b": 1}).team == "b"
    result = assigner.assign(decision(), load={"a": 4, "b": 7})
    assert (result.team, result.status, result.next_open) == (None, "unavailable", None)
    assert "'a' is full (4/4 open conversations); 'b' is full (7/2" in result.reasons[-1]


SHIFTS = {
    "teams": [
        {
            "name": "day",
            "capacity": 5,
            "hours": {"timezone": "Europe/Madrid", "hours": {"mon-fri": "09:00-17:00"}},
        },
        {
            "name": "late",
            "capacity": 5,
            "hours": {"timezone": "Europe/Madrid", "hours": {"mon-fri": "17:00-23:00"}},
        },
    ]
}


def test_off_shift_teams_are_skipped_and_the_next_opening_is_said() -> None:
    assigner = Assigner.from_dict(SHIFTS)
    wednesday = datetime(2024, 1, 10, tzinfo=UTC)
    assert assigner.assign(decision(), now=wednesday.replace(hour=9)).team == "day"  # 10:00
    assert assigner.assign(decision(), now=wednesday.replace(hour=17)).team == "late"  # 18:00
    night = wednesday.replace(hour=23)  # 00:00 on Thursday in Madrid
    result = assigner.assign(decision(), now=night)
    assert (result.team, result.status) == (None, "unavailable")
    assert result.next_open == datetime(2024, 1, 11, 8, tzinfo=UTC)  # 09:00 in Madrid
    assert (
        "'day' is off shift until 2024-01-11T08:00:00+00:00 (Thu 09:00 Europe/Madrid)"
        in (result.reasons[1])
    )
    assert "the next one opens at 2024-01-11T08:00:00+00:00" in result.reasons
    # a full team off shift does not count as opening next
    full = assigner.assign(decision(), load={"day": 5}, now=night)
    assert full.next_open == datetime(2024, 1, 11, 16, tzinfo=UTC)
    assert "and full (5/5)" in full.reasons[1]
    # without a time, shifts are not checked (and the reasons say so)
    anytime = assigner.assign(decision())
    assert anytime.team == "day"
    assert "no time given: working hours were not checked" in anytime.reasons


def test_now_must_be_aware() -> None:
    assigner = Assigner.from_dict(SHIFTS)
    with pytest.raises(TimezoneError, match="naive"):
        assigner.assign(decision(), now=datetime(2024, 1, 10, 12))
    with pytest.raises(TimezoneError, match="naive"):
        assigner.assign_many([decision()], now=datetime(2024, 1, 10, 12))
    with pytest.raises(InvalidInputError, match="aware datetime"):
        assigner.assign(decision(), now="2024-01-10T12:00Z")  # type: ignore[arg-type]
    other_zone = datetime(2024, 1, 10, 15, tzinfo=timezone(timedelta(hours=5)))
    assert assigner.assign(decision(), now=other_zone).team == "day"  # 11:00 in Madrid


def test_bad_loads_are_refused() -> None:
    with pytest.raises(
        InvalidInputError,
        match=r"'care-se', which is no team or agent \(did you "
        r"mean 'care-es'\?\)",
    ):
        Assigner.from_dict(ISSUE_EXAMPLE).assign(decision(), load={"care-se": 1})
    assigner = Assigner.from_dict(TWO_CARE)
    with pytest.raises(InvalidInputError, match="'zz', which is no team or agent: give"):
        assigner.assign(decision(), load={"zz": 1})
    for bad in (-1, 1.5, True, "3"):
        with pytest.raises(InvalidInputError, match="whole number"):
            assigner.assign(decision(), load={"a": bad})  # type: ignore[dict-item]
    with pytest.raises(InvalidInputError, match="load maps"):
        assigner.assign(decision(), load=[("a", 1)])  # type: ignore[arg-type]


# Agents -------------------------------------------------------------------------------------


AGENTS = {
    "teams": [
        {
            "name": "care",
            "capacity": 10,
            "agents": [
                {"name": "ana", "languages": ["es"], "capacity": 2},
                {"name": "bob", "capacity": 4},
                {
                    "name": "eve",
                    "capacity": 4,
                    "hours": {"timezone": "UTC", "hours": {"mon-fri": "09:00-17:00"}},
                },
            ],
        }
    ]
}


def test_the_least_loaded_qualified_agent_is_picked() -> None:
    assigner = Assigner.from_dict(AGENTS)
    assert assigner.assign(decision(language="es")).agent == "ana"  # ties: first listed
    assert assigner.assign(decision(language="en")).agent == "bob"  # ana speaks es only
    assert assigner.assign(decision(language="es"), load={"ana": 1}).agent == "bob"  # 1/2 > 0/4
    result = assigner.assign(decision(language="es"), load={"ana": 1, "bob": 2, "eve": 3})
    assert (result.team, result.agent) == ("care", "ana")  # 1/2 == 2/4 < 3/4: first listed
    assert "agent 'ana' holds 1 of 2" in result.reasons[3]


def test_agents_off_shift_or_full_leave_the_team_without_a_free_agent() -> None:
    assigner = Assigner.from_dict(AGENTS)
    saturday = datetime(2024, 1, 13, 12, tzinfo=UTC)
    result = assigner.assign(decision(language="en"), load={"bob": 4}, now=saturday)
    assert (result.team, result.status) == (None, "unavailable")
    assert "'care' has no free agent" in result.reasons[1]
    assert "'ana' does not take it" in result.reasons[1]
    assert "'bob' is full (4/4)" in result.reasons[1]
    assert result.next_open == datetime(2024, 1, 15, 9, tzinfo=UTC)  # eve on Monday
    monday = datetime(2024, 1, 15, 12, tzinfo=UTC)
    assert assigner.assign(decision(language="en"), load={"bob": 4}, now=monday).agent == "eve"


def test_a_team_with_agents_carries_their_load_unless_given_its_own() -> None:
    assigner = Assigner.from_dict(
        {
            "teams": [
                {
                    "name": "care",
                    "capacity": 6,
                    "agents": [{"name": "ana", "capacity": 5}, {"name": "bob", "capacity": 5}],
                },
                {"name": "other", "capacity": 3},
            ]
        }
    )
    assert assigner.assign(decision(), load={"ana": 2, "bob": 1, "other": 2}).team == "care"
    assert assigner.assign(decision(), load={"ana": 2, "bob": 3, "other": 2}).team == "other"
    full = assigner.assign(decision(), load={"ana": 2, "bob": 4, "other": 3})
    assert "'care' is full (6/6 open conversations)" in full.reasons[-1]
    # the team's own entry wins over the sum of its agents'
    assert assigner.assign(decision(), load={"care": 0, "ana": 2, "bob": 4, "other": 1}).team == (
        "care"
    )


# Items --------------------------------------------------------------------------------------


def test_conversations_are_assigned_by_their_triage_labels(issue: Assigner) -> None:
    bare = Conversation(id="c1", posts=(post("whatsapp"),))
    with pytest.raises(InvalidInputError, match="triage_conversations"):
        issue.assign(bare)
    labelled = bare.model_copy(update={"route": "agent", "intent": "query", "language": "es"})
    assert issue.assign(labelled).team == "care-es"  # the platform comes from the conversation
    hurt = bare.model_copy(update={"route": "specialist", "sensitive": "self_harm"})
    assert issue.assign(hurt, language="es").team == "crisis"
    with pytest.raises(InvalidInputError, match="contradicts"):
        issue.assign(labelled, platform="twitter")
    # route specialist without a kind: triage's other reason is an influencer
    star = bare.model_copy(update={"route": "specialist", "language": "es"})
    assert "no team takes influencer posts" in issue.assign(star).reasons[-1]


def test_a_decision_with_its_post_or_conversation(issue: Assigner) -> None:
    assert issue.assign((decision(), post("twitter", "es"))).team == "care-es"
    assert issue.assign((decision(language="es"), post("tiktok"))).team is None
    conversation = Conversation(id="c", posts=(post("whatsapp"),), language="es")
    assert issue.assign((decision(), conversation)).team == "care-es"  # its language label
    with pytest.raises(InvalidInputError, match="a pair is"):
        issue.assign((decision(), "twitter"))
    with pytest.raises(InvalidInputError, match="contradicts"):
        issue.assign((decision(), post("tiktok")), platform="twitter")


@pytest.mark.parametrize("item", [None, "a post", {"route": "agent"}, 3])
def test_other_items_are_refused(issue: Assigner, item: Any) -> None:
    with pytest.raises(InvalidInputError, match="assign takes a Decision"):
        issue.assign(item)


def test_an_unreadable_post_says_so_first() -> None:
    assigner = Assigner.from_dict({"teams": [{"name": "care", "capacity": 1}]})
    result = assigner.assign(decision(error="text is not a string"))
    assert result.team == "care"
    assert result.reasons[0] == "the post could not be read: text is not a string"


# Batches ------------------------------------------------------------------------------------


def test_assign_many_spreads_the_load_and_never_overfills() -> None:
    assigner = Assigner.from_dict(
        {"teams": [{"name": "a", "capacity": 5}, {"name": "b", "capacity": 5}]}
    )
    load = {"a": 1}
    results = assigner.assign_many([decision()] * 12, load=load)
    teams = [r.team for r in results]
    assert teams[:9] == ["b", "a", "b", "a", "b", "a", "b", "a", "b"]  # a had one open already
    assert [r.status for r in results[9:]] == ["unavailable"] * 3  # 5/5 each: nobody overfills
    assert "'a' is full (5/5 open conversations); 'b' is full (5/5" in results[9].reasons[-1]
    assert load == {"a": 1}  # the caller's mapping is not changed


def test_assign_many_keeps_going_past_bad_items(issue: Assigner) -> None:
    items: list[Any] = [decision(language="es"), "junk", Conversation(id="c", posts=(post(),))]
    items.append(sensitive("self_harm", language="es"))
    results = issue.assign_many(items, platform="twitter")
    assert [r.status for r in results] == ["assigned", "error", "error", "assigned"]
    assert [r.team for r in results] == ["care-es", None, None, "crisis"]
    assert results[1].error is not None
    assert "assign takes a Decision" in results[1].error
    assert results[2].reasons[0].startswith("item 2 could not be assigned:")
    for bad in (None, "x", decision(), 3):
        with pytest.raises(InvalidInputError, match="assign_many takes"):
            issue.assign_many(bad)  # type: ignore[arg-type]
    assert issue.assign_many(iter([decision(language="es")]), platform="twitter")[0].team


def test_assign_many_counts_agents_too() -> None:
    assigner = Assigner.from_dict(
        {
            "teams": [
                {
                    "name": "care",
                    "capacity": 3,
                    "agents": [{"name": "ana", "capacity": 1}, {"name": "bob", "capacity": 3}],
                }
            ]
        }
    )
    results = assigner.assign_many([decision()] * 4)
    assert [(r.team, r.agent) for r in results] == [
        ("care", "ana"),
        ("care", "bob"),
        ("care", "bob"),
        (None, None),  # the team's own capacity (3) is reached before bob's
    ]


def test_a_real_triage_decision_is_assigned() -> None:
    from socialcare import Triager

    triager = Triager.default()
    assigner = Assigner.from_dict(ISSUE_EXAMPLE)
    hurt = triager.decide(
        {"text": "El banco se quedó con todo, ya no veo razón para vivir", "language": "es"}
    )
    assert hurt.sensitive == "self_harm"
    assert assigner.assign(hurt, platform="twitter").team == "crisis"


# Properties ---------------------------------------------------------------------------------

LANGS = ["es", "en", "fr"]
PLATFORMS = ["twitter", "whatsapp"]
KINDS_USED = ["self_harm", "safety", "privacy"]
WINDOWS = [
    None,
    {"timezone": "UTC", "hours": {"mon-fri": "09:00-17:00"}},
    {"timezone": "Asia/Tokyo", "hours": {"daily": "20:00-04:00"}},
]


@st.composite
def teams(draw: st.DrawFn) -> dict[str, Any]:
    out: list[dict[str, Any]] = []
    for index in range(draw(st.integers(1, 5))):
        team: dict[str, Any] = {"name": f"t{index}", "capacity": draw(st.integers(1, 3))}
        if draw(st.booleans()):
            team["languages"] = draw(st.lists(st.sampled_from(LANGS), min_size=1, unique=True))
        if draw(st.booleans()):
            team["platforms"] = draw(st.lists(st.sampled_from(PLATFORMS), min_size=1, unique=True))
        kinds = draw(st.lists(st.sampled_from(KINDS_USED), unique=True))
        if kinds:
            team["specialist_kinds"] = kinds
        if draw(st.booleans()):
            team["influencers"] = True
        hours = draw(st.sampled_from(WINDOWS))
        if hours is not None:
            team["hours"] = hours
        out.append(team)
    return {"teams": out}


items = st.builds(
    lambda route, kind, influencer, language, platform: (
        decision(route=route, sensitive=kind, influencer=influencer, language=language),
        platform,
    ),
    st.sampled_from(["auto", "agent", "specialist", "none"]),
    st.sampled_from([None, None, *KINDS_USED]),
    st.booleans(),
    st.sampled_from([None, *LANGS]),
    st.sampled_from([None, *PLATFORMS]),
)
instants = st.none() | st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2025, 1, 1), timezones=st.just(UTC)
)


def qualifies(team: dict[str, Any], item: Decision, platform: str | None) -> bool:
    """The rules of the issue, written independently of the code under test."""
    if team.get("languages") is not None and item.language not in team["languages"]:
        return False
    if team.get("platforms") is not None and platform not in team["platforms"]:
        return False
    specialist = bool(team.get("specialist_kinds")) or team.get("influencers", False)
    if item.sensitive is not None:
        return item.sensitive in team.get("specialist_kinds", [])
    if item.route == "specialist" and item.influencer:
        return bool(team.get("influencers"))
    if item.route == "specialist":
        return bool(specialist)
    return not specialist


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(teams(), st.lists(items, max_size=12), instants, st.data())
def test_an_assigned_team_always_qualifies_and_has_room(
    config: dict[str, Any],
    batch: list[tuple[Decision, str | None]],
    now: datetime | None,
    data: st.DataObject,
) -> None:
    assigner = Assigner.from_dict(config)
    by_name = {team["name"]: team for team in config["teams"]}
    load = {name: data.draw(st.integers(0, 3)) for name in by_name}
    open_now = {
        name: now is None
        or "hours" not in team
        or ServiceWindow.from_dict(team["hours"]).is_open(now)
        for name, team in by_name.items()
    }
    running = dict(load)
    for item, platform in batch:
        single = assigner.assign(item, load=running, now=now, platform=platform)
        if single.team is None:
            if item.sensitive is None and item.route in ("none", "auto"):
                assert single.status == "not_needed"
            else:  # nobody free among the qualified: check there really is none
                assert single.status in ("unqualified", "unavailable")
                assert not any(
                    qualifies(team, item, platform)
                    and open_now[name]
                    and running[name] < team["capacity"]
                    for name, team in by_name.items()
                )
            continue
        team = by_name[single.team]
        assert qualifies(team, item, platform)
        assert open_now[single.team]
        assert running[single.team] < team["capacity"]
        if item.sensitive is not None:
            assert item.sensitive in team["specialist_kinds"]
        running[single.team] += 1
    # the batch gives the same answers as one call after another, counting as it goes
    pairs = [item if platform is None else (item, post(platform)) for item, platform in batch]
    batched = assigner.assign_many(pairs, load=load, now=now)
    counts = dict(load)
    for result, (item, platform) in zip(batched, batch, strict=True):
        assert result == assigner.assign(item, load=counts, now=now, platform=platform)
        if result.team is not None:
            counts[result.team] += 1
            assert counts[result.team] <= by_name[result.team]["capacity"]
    assert counts == running


def test_the_assignment_guide_runs() -> None:
    import re
    from pathlib import Path

    page = Path(__file__).resolve().parents[1] / "docs" / "assignment.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 4
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, str(page), "exec"), namespace)
    assert namespace["results"][0].team == "b"  # type: ignore[index]


def test_a_decision_with_its_post_takes_the_posts_language() -> None:
    pytest.importorskip("pycld2")
    from datetime import datetime, timezone

    from socialcare import Assigner, Author, Decision, Post

    assigner = Assigner.from_dict(
        {
            "teams": [
                {"name": "care-es", "languages": ["es"], "capacity": 5},
                {
                    "name": "crisis",
                    "languages": ["es", "en"],
                    "specialist_kinds": ["self_harm"],
                    "capacity": 2,
                },
            ]
        }
    )
    post = Post(
        id="p",
        platform="twitter",
        author=Author(id="u"),
        text="El banco se quedó con todo, ya no veo razón para vivir",
        created_at=datetime(2026, 12, 1, tzinfo=timezone.utc),
    )
    decision = Decision(
        route="specialist",
        intent="complaint",
        confidence=0.9,
        uncertain=False,
        priority="urgent",
        sensitive="self_harm",
        sentiment="negative",
        take_private=False,
        crisis=True,
        reasons=("self-harm",),
    )
    assert assigner.assign((decision, post)).team == "crisis"


def test_an_agent_whose_hours_never_meet_the_teams_is_refused() -> None:
    from socialcare import Assigner, InvalidInputError

    team = {
        "name": "day",
        "capacity": 2,
        "hours": {"timezone": "Europe/Madrid", "hours": {"mon-fri": "09:00-17:00"}},
    }
    late = {
        "name": "eve",
        "capacity": 1,
        "hours": {"timezone": "Europe/Madrid", "hours": {"mon-fri": "17:00-23:00"}},
    }
    with pytest.raises(InvalidInputError, match="never meet"):
        Assigner.from_dict({"teams": [{**team, "agents": [late]}]})
    overlapping = {
        **late,
        "hours": {"timezone": "America/New_York", "hours": {"mon-fri": "08:00-12:00"}},
    }
    Assigner.from_dict({"teams": [{**team, "agents": [overlapping]}]})  # 14:00-17:00 Madrid
