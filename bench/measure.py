"""What every benchmark report needs: the machine it ran on, and percentiles of its timings."""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path


def machine() -> str:
    """CPU model, cores, memory, kernel and Python: the line each document opens with."""
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    memory = re.search(r"MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text())
    gib = int(memory.group(1)) / 1024**2 if memory else 0
    return (
        f"{model.group(1).strip() if model else platform.processor()}, {os.cpu_count()} cores, "
        f"{gib:.1f} GiB RAM, Linux {platform.release()}, Python {platform.python_version()}"
    )


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (share 0.95 for p95) of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]
