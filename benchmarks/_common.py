"""Helpers shared by the benchmark scripts (not part of the package)."""

from __future__ import annotations

import csv
import os
import platform
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BANKING77 = ROOT.parent / "shared" / "data" / "banking77"


def read_csv(path: Path) -> tuple[list[str], list[str]]:
    """Read a ``text,category`` CSV file."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [r["text"] for r in rows], [r["category"] for r in rows]


def machine_note() -> str:
    """One line about the machine, to print with every benchmark."""
    return (
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}; shared and noisy (other jobs run at the same "
        "time), so absolute times vary; ratios measured in the same run are the figures to read"
    )


def one_core() -> None:
    """Keep BLAS and OpenMP to one thread so that 'one core' comparisons are fair."""
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")
