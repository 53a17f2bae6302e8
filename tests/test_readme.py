"""The README's tour runs as written: its Python blocks execute in order, in one namespace."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 4
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)
    assert namespace["decision"].route in {"auto", "agent", "specialist", "none"}  # type: ignore[attr-defined]
    assert namespace["sla"].first_response.state.value == "met"  # type: ignore[attr-defined]
