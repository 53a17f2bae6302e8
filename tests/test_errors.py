"""The error family: one root, built-in bases kept, fields and reasons preserved."""

from __future__ import annotations

import pytest

import socialcare
from socialcare import (
    InvalidInputError,
    ModelError,
    NotFittedError,
    PersistenceError,
    SocialcareError,
    TimezoneError,
    ValidationIssue,
)


@pytest.mark.parametrize(
    ("error", "builtin"),
    [
        (InvalidInputError, ValueError),
        (TimezoneError, ValueError),
        (NotFittedError, AttributeError),
        (PersistenceError, OSError),
    ],
)
def test_leaves_subclass_root_and_builtin(error: type[Exception], builtin: type) -> None:
    assert issubclass(error, SocialcareError)
    assert issubclass(error, builtin)


def test_model_errors() -> None:
    assert issubclass(NotFittedError, ModelError)
    assert issubclass(PersistenceError, ModelError)


def test_pydantic_errors_are_wrapped_with_fields() -> None:
    with pytest.raises(SocialcareError) as info:
        socialcare.Post.parse(
            {
                "id": "1",
                "platform": "x",
                "author": {"id": "1", "followers": -1},
                "created_at": "nope",
            }
        )
    error = info.value
    assert isinstance(error, InvalidInputError)
    fields = {issue.field for issue in error.issues}
    assert fields == {"author.followers", "created_at"}
    assert "author.followers" in str(error)
    assert "created_at" in str(error)


def test_validation_issue_value_semantics() -> None:
    issue = ValidationIssue(("a", 0, "b"), "bad", 3)
    assert issue.field == "a.0.b"
    location, message, value = issue
    assert (location, message, value) == (("a", 0, "b"), "bad", 3)
    assert issue == ValidationIssue(("a", 0, "b"), "bad", 3)
    assert len({issue, ValidationIssue(("a", 0, "b"), "bad", 3)}) == 1
    assert "a.0.b" in repr(issue)
