"""The public surface: every name exported, documented, and the import stays light."""

from __future__ import annotations

import inspect
import subprocess
import sys

import socialcare


def test_all_is_sorted_and_complete() -> None:
    names = [n for n in socialcare.__all__ if n != "__version__"]
    assert names == sorted(names, key=str.lower) or names == sorted(names)
    for name in socialcare.__all__:
        assert hasattr(socialcare, name), name


def test_public_names_are_documented() -> None:
    for name in socialcare.__all__:
        member = getattr(socialcare, name)
        if inspect.isclass(member) or inspect.isfunction(member):
            assert inspect.getdoc(member), f"{name} has no docstring"
            assert member.__module__.startswith("socialcare"), name


def test_public_classes_come_from_private_modules() -> None:
    for name in socialcare.__all__:
        member = getattr(socialcare, name)
        if inspect.isclass(member) or inspect.isfunction(member):
            module = member.__module__.split(".")
            assert any(part.startswith("_") for part in module[1:]) or module[1:] == ["metrics"], (
                f"{name} lives in public module {member.__module__}"
            )


def test_import_does_not_pull_heavy_libraries() -> None:
    code = (
        "import sys, socialcare; "
        "print(','.join(m for m in ('sklearn', 'scipy', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""


def test_every_public_name_is_in_the_api_reference() -> None:
    from pathlib import Path

    reference = (Path(__file__).resolve().parents[1] / "docs" / "api.md").read_text(
        encoding="utf-8"
    )
    missing = [
        name
        for name in socialcare.__all__
        if name != "__version__" and f"socialcare.{name}" not in reference
    ]
    assert missing == []
