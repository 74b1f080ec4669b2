"""What every benchmark report needs, in one place: the machine it ran on and its load, timings
taken in turns and their percentiles, memory, the commit measured, markdown tables and plots.

The benchmarks run as `python bench/<script>.py`, so this module is importable as `measure`.
Deliberately not here: anything about what a benchmark measures (corpora, questions, settings).

>>> percentile([5.0, 1.0, 3.0, 2.0, 4.0], 0.5)
3.0
>>> table(["a", "b"], [[1, "x"]])
['| a | b |', '|---|---|', '| 1 | x |']
"""

from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "docs" / "benchmarks" / "_raw"  # git-ignored raw figures, to rewrite a report from


# ---- the machine -----------------------------------------------------------------------------


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


def load() -> float:
    """The 1-minute load average: on a shared machine, recorded next to every figure."""
    return os.getloadavg()[0]


def machine_line(load_start: float, note: str = "shared with other engineers' tests and benchmarks") -> str:
    """The machine and the load average at the start and now, as one bullet."""
    return (
        f"- Machine: {machine()}; {note}: 1-minute load average {load_start:.1f} at the start, {load():.1f} at the end"
    )


def code_version() -> str:
    """The commit measured, and whether assistant/ had uncommitted changes (read-only git calls)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "assistant"], cwd=ROOT, capture_output=True, text=True)
    except OSError:
        return "unknown"
    return f"commit {head.stdout.strip()}" + (" with uncommitted changes in assistant/" if dirty.stdout.strip() else "")


def rss_mib(field_name: str = "VmRSS", pid: int | str = "self") -> float:
    """VmRSS (resident now) or VmHWM (peak) of a process, MiB; 0 when it has gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    match = re.search(rf"{field_name}:\s*(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else 0.0


def disk_mib(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1024**2


# ---- timings ---------------------------------------------------------------------------------


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (share 0.95 for p95) of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def p50_p95(values: Sequence[float], digits: int = 1) -> str:
    """'median / p95' of timings, for a table cell."""
    return f"{statistics.median(values):.{digits}f} / {percentile(values, 0.95):.{digits}f}"


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds one call takes, and what it returned."""
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


@dataclass
class Turns:
    """Seconds, results and load of several steps run in turns, so that a change in a shared
    machine's load falls on all of them alike rather than on whichever ran last."""

    seconds: dict[str, list[float]] = field(default_factory=dict)
    results: dict[str, list[Any]] = field(default_factory=dict)
    loads: dict[str, list[float]] = field(default_factory=dict)

    def median(self, name: str) -> float:
        return statistics.median(self.seconds[name])

    def spread(self, name: str) -> tuple[float, float]:
        return min(self.seconds[name]), max(self.seconds[name])

    def load_range(self, names: Iterable[str] | None = None) -> tuple[float, float]:
        every = [x for name in (names or self.loads) for x in self.loads[name]]
        return min(every), max(every)


def take_turns(steps: dict[str, Callable[[], Any]], runs: int, label: str = "") -> Turns:
    """Run every step once per run, in order, `runs` times; progress on stdout."""
    turns = Turns({n: [] for n in steps}, {n: [] for n in steps}, {n: [] for n in steps})
    for run in range(runs):
        for name, step in steps.items():
            turns.loads[name].append(load())
            seconds, result = timed(step)
            turns.seconds[name].append(seconds)
            turns.results[name].append(result)
        done = ", ".join(f"{n} {s[-1]:.1f} s" for n, s in turns.seconds.items())
        print(f"{label} run {run + 1}/{runs}: {done}", flush=True)
    return turns


# ---- writing ---------------------------------------------------------------------------------


def table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    """A markdown table, one line per row."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]


def write_doc(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {path}", flush=True)


@dataclass
class Series:
    label: str
    xs: Sequence[float]
    ys: Sequence[float]
    style: str = "o-"
    low: Sequence[float] | None = None  # error bars (min–max), when given
    high: Sequence[float] | None = None


@dataclass
class Panel:
    xlabel: str
    ylabel: str
    series: list[Series]
    lines: Sequence[tuple[float, str]] = ()  # horizontal target lines: (y, label)
    xscale: str = "linear"
    yscale: str = "linear"
    xticks: Sequence[float] | None = None
    title: str = ""


def plot(path: Path, panels: list[Panel], title: str = "") -> None:
    """Panels side by side, saved as a PNG (matplotlib, headless)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4.5), squeeze=False)
    for ax, panel in zip(axes[0], panels, strict=True):
        for s in panel.series:
            if s.low is not None and s.high is not None:
                errors = [
                    [y - lo for y, lo in zip(s.ys, s.low, strict=True)],
                    [hi - y for y, hi in zip(s.ys, s.high, strict=True)],
                ]
                ax.errorbar(s.xs, s.ys, yerr=errors, fmt=s.style, capsize=4, label=s.label)
            else:
                ax.plot(s.xs, s.ys, s.style, label=s.label)
        for y, label in panel.lines:
            ax.axhline(y, color="grey", lw=0.8, ls=":", label=label or None)
        ax.set(xscale=panel.xscale, yscale=panel.yscale, xlabel=panel.xlabel, ylabel=panel.ylabel, title=panel.title)
        if panel.xticks is not None:
            ax.set_xticks(list(panel.xticks))
        if panel.yscale == "linear":
            ax.set_ylim(bottom=0)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
