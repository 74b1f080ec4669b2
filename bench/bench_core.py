"""Benchmark for the core: ingest of a large catalogue, then warm `ask` latency at that size.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_core.py --rows 50000 --runs 3

Writes docs/benchmarks/core.md. Run by hand, never by the test suite. The catalogue is synthetic
but shaped like a real volume-level export (GBK CSV, Chinese titles, mixed open status).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path

from synthetic import NAMES, STATUSES, TOPICS

from assistant.models import Principal, Role
from assistant.service import build_assistant
from assistant.settings import Settings


def write_catalogue(path: Path, rows: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    codes = []
    lines = ["全宗号,目录号,案卷号,档号,案卷题名,年度,保管期限,页数,密级,开放状态,责任者"]
    for n in range(rows):
        fonds = str(30 + n % 20)
        catalogue = str(1 + (n // 5000) % 9)
        volume = f"{n % 10000:04d}"
        code = f"{fonds}-{catalogue}-{volume}-{n // 200000}" if n >= 200000 else f"{fonds}-{catalogue}-{volume}"
        year = 1955 + n % 50
        topic = rng.choice(TOPICS)
        kind = rng.choice(["请示", "批复", "报告", "通知", "名册"])
        title = f"关于{rng.choice(NAMES)}某某等{rng.randint(2, 40)}人{topic}的{kind}"
        secret = "秘密" if n % 97 == 0 else ""
        lines.append(
            f"{fonds},{catalogue},{volume},{code},{title},{year},永久,"
            f"{rng.randint(3, 120)},{secret},{rng.choice(STATUSES)},县劳动局"
        )
        codes.append(code)
    path.write_bytes("\n".join(lines).encode("gbk"))
    return codes


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run_once(rows: int, queries: int, workdir: Path) -> dict[str, float]:
    csv_path = workdir / "catalogue.csv"
    codes = write_catalogue(csv_path, rows)
    assistant = build_assistant(Settings(index_dir=workdir / "index"))
    started = time.perf_counter()
    report = assistant.ingest([csv_path])
    ingest_s = time.perf_counter() - started
    assert report.ok, report.failed

    rng = random.Random(7)
    staff = Principal("bench", Role.STAFF)
    questions = [f"{rng.choice(codes)}是什么" for _ in range(queries // 2)]
    questions += [
        f"{1955 + rng.randrange(50)}年{rng.choice(TOPICS)}的档案有哪些" for _ in range(queries - len(questions))
    ]
    assistant.ask("预热", staff)
    latencies = []
    for question in questions:
        t = time.perf_counter()
        assistant.ask(question, staff)
        latencies.append((time.perf_counter() - t) * 1000)
    return {
        "ingest_s": ingest_s,
        "rows_per_s": rows / ingest_s,
        "ask_p50_ms": statistics.median(latencies),
        "ask_p95_ms": percentile(latencies, 0.95),
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=50000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("docs/benchmarks/core.md"))
    args = parser.parse_args()
    results = []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            results.append(run_once(args.rows, args.queries, Path(tmp)))
        print(f"run {run + 1}: " + ", ".join(f"{k}={v:.1f}" for k, v in results[-1].items()), flush=True)
    medians = {key: statistics.median(r[key] for r in results) for key in results[0]}
    machine = (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    table = "\n".join(f"| {key} | {value:.1f} |" for key, value in medians.items())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        f"# Core benchmark: {args.rows:,} catalogue rows\n\n"
        f"Machine: {machine}. Median of {args.runs} runs, {args.queries} warm questions each "
        "(half 档号 lookups, half topic questions), offline fallback embedding model.\n\n"
        f"| measure | median |\n|---|---|\n{table}\n",
        encoding="utf-8",
    )
    print(args.out.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
