"""Every public model raises socialcare.InvalidInputError, never pydantic's ValidationError."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pydantic
import pytest

import socialcare
from socialcare._base import Frozen

AT = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
AUTHOR = {"id": "a1"}
POST = {"id": "p1", "platform": "x", "author": AUTHOR, "created_at": AT}

#: For each public model: valid fields, and one field with an invalid value.
CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "Assigner": (
        {
            "teams": [
                {
                    "name": "care",
                    "capacity": 5,
                    "platforms": ["x"],
                    "hours": {"timezone": "UTC", "hours": {"mon-fri": "09:00-17:00"}},
                }
            ]
        },
        {"teams": [{"name": "care", "capacity": 0}]},
    ),
    "Assignment": (
        {"team": "care", "status": "assigned", "reasons": ("why",)},
        {"status": "maybe"},
    ),
    "Author": (AUTHOR, {"followers": -1}),
    "Conversation": ({"id": "c1", "posts": [POST]}, {"posts": []}),
    "Decision": (
        {
            "route": "agent",
            "intent": "query",
            "confidence": 0.9,
            "uncertain": False,
            "priority": "normal",
            "sensitive": None,
            "sentiment": "neutral",
            "take_private": False,
            "reasons": ("why",),
        },
        {"route": "somewhere"},
    ),
    "IntentThreshold": (
        {"threshold": 0.5, "predicted": 10, "automated": 5, "precision": 0.9},
        {"predicted": "many"},
    ),
    "Post": (POST, {"created_at": "not a time"}),
    "PriorityRule": ({"priority": "high"}, {"priority": "whenever"}),
    "Reply": (
        {
            "text": "Hi",
            "kind": "reply",
            "key": "query",
            "template": "query[en/*]",
            "language": "en",
        },
        {"kind": "poem"},
    ),
    "SLACondition": ({"intent": "complaint"}, {"channel": "sideways"}),
    "SLAPolicy": (
        {"targets": [{"metric": "first_response", "duration": "15m"}]},
        {"targets": [{"metric": "first_response", "duration": "soon"}]},
    ),
    "SLATarget": ({"metric": "resolution", "duration": "2d"}, {"duration": "-5m"}),
    "StatusChange": ({"at": AT, "status": "resolved"}, {"status": "forgotten"}),
    "Survey": ({"kind": "csat", "score": 4}, {"kind": "stars"}),
    "ThresholdPolicy": ({"threshold": 0.7}, {"threshold": 1.5}),
    "ThresholdTuning": (
        {
            "policy": {"threshold": 0.7},
            "target_precision": 0.9,
            "precision": None,
            "coverage": 0.5,
            "accuracy": 0.8,
            "n_samples": 10,
            "per_intent": {},
            "curve_coverage": [],
            "curve_precision": [],
        },
        {"n_samples": "ten"},
    ),
    "TriageInput": ({"text": "where is my parcel?"}, {"followers": -5}),
    "TriageRules": ({"min_letters": 3}, {"min_letters": -1}),
}


def public_models() -> dict[str, type[pydantic.BaseModel]]:
    out = {}
    for name in socialcare.__all__:
        value = getattr(socialcare, name)
        if isinstance(value, type) and issubclass(value, pydantic.BaseModel):
            out[name] = value
    return out


def test_every_public_model_is_covered_here() -> None:
    found = set(public_models())
    assert len(found) >= 15
    assert found == set(CASES), (
        "add the new public model to CASES with valid fields and one invalid field: "
        f"missing {sorted(found - set(CASES))}, stale {sorted(set(CASES) - found)}"
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_public_model_is_frozen(name: str) -> None:
    model = getattr(socialcare, name)
    assert issubclass(model, Frozen)
    assert model.model_config.get("extra") == "forbid"
    assert model.model_config.get("frozen") is True


def _raises_ours(build: Any, *bad: str) -> socialcare.InvalidInputError:
    with pytest.raises(socialcare.InvalidInputError) as info:
        build()
    error = info.value
    assert not isinstance(error, pydantic.ValidationError)
    assert isinstance(error, socialcare.SocialcareError)
    assert isinstance(error, ValueError)
    assert error.__cause__ is None or not isinstance(error.__cause__, pydantic.ValidationError)
    text = str(error)
    for field in bad:
        assert field in text, text
    return error


@pytest.mark.parametrize("name", sorted(CASES))
def test_valid_fields_build(name: str) -> None:
    model = getattr(socialcare, name)
    good, _ = CASES[name]
    built = model(**good)
    assert model.model_validate(good) == built
    assert model.model_validate_json(built.model_dump_json()) == built


@pytest.mark.parametrize("name", sorted(CASES))
def test_an_unknown_field_raises_invalid_input(name: str) -> None:
    model = getattr(socialcare, name)
    good, _ = CASES[name]
    data = {**good, "nonsense": 1}
    _raises_ours(lambda: model(**data), "nonsense")
    _raises_ours(lambda: model.model_validate(data), "nonsense")
    text = json.dumps({**json.loads(model(**good).model_dump_json()), "nonsense": 1})
    _raises_ours(lambda: model.model_validate_json(text), "nonsense")
    _raises_ours(lambda: model.parse(text), "nonsense")


@pytest.mark.parametrize("name", sorted(CASES))
def test_an_invalid_value_raises_invalid_input(name: str) -> None:
    model = getattr(socialcare, name)
    good, bad = CASES[name]
    data = {**good, **bad}
    [field] = bad
    _raises_ours(lambda: model(**data), field)
    _raises_ours(lambda: model.model_validate(data), field)


@pytest.mark.parametrize("name", sorted(CASES))
def test_models_are_immutable(name: str) -> None:
    model = getattr(socialcare, name)
    good, _ = CASES[name]
    built = model(**good)
    field = next(iter(good))
    with pytest.raises((pydantic.ValidationError, TypeError, AttributeError)):
        setattr(built, field, getattr(built, field))
