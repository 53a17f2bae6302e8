"""A griffe extension for the API reference: doctests in prose render as code blocks.

Docstrings keep plain doctests (pytest runs them), but Markdown reads a ``>>>`` line as three
nested block quotes. This wraps every doctest block that starts a line outside a fence and
outside an indented section (Google ``Examples:`` sections are already code) in a ``pycon``
fence when the API reference is built. Nothing in ``src/`` changes.
"""

from __future__ import annotations

from typing import Any

import griffe


def fence_doctests(text: str) -> str:
    """``text`` with each unindented ``>>>`` block (up to a blank line) fenced as ``pycon``.

    For example ``"Says hi.\n>>> 1 + 1\n2"`` becomes
    ``"Says hi.\n```pycon\n>>> 1 + 1\n2\n```"`` (tests/test_docs_guides.py checks this).
    """
    out: list[str] = []
    in_fence = False
    in_doctest = False
    for line in text.splitlines():
        if in_doctest and not line.strip():
            out.append("```")
            in_doctest = False
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        elif not in_fence and not in_doctest and line.startswith(">>>"):
            out.append("```pycon")
            in_doctest = True
        out.append(line)
    if in_doctest:
        out.append("```")
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


class DoctestBlocks(griffe.Extension):
    """Fence the doctests of every docstring in the loaded package."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        """Rewrite the docstrings of ``pkg`` and everything defined in it."""
        stack: list[griffe.Object] = [pkg]
        while stack:
            obj = stack.pop()
            if obj.docstring is not None:
                obj.docstring.value = fence_doctests(obj.docstring.value)
            stack.extend(member for member in obj.members.values() if not member.is_alias)
