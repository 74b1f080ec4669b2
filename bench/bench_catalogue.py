"""Catalogue questions at scale: 档号 lookup, counts and lists over up to 1,000,000 rows.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_catalogue.py --rows 1000000

Rows go straight into SQLite through the same functions ingest uses (no vectors: catalogue
questions never touch Chroma), then questions go through `Assistant.ask`. Writes
docs/benchmarks/catalogue.md. Run by hand, never by the test suite.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import tempfile
import time
from pathlib import Path

from synthetic import STATUSES, TOPICS

from assistant.access import access_level
from assistant.codes import code_key
from assistant.index import db
from assistant.ingest.chunking import chunk_catalogue_row
from assistant.models import CatalogueRow, Principal, Role
from assistant.service import build_assistant
from assistant.settings import Settings


def synthetic_rows(count: int, seed: int = 3) -> list[CatalogueRow]:
    rng = random.Random(seed)
    rows = []
    for n in range(count):
        fonds = str(1 + n % 200)
        code = f"{fonds}-{1 + (n // 200) % 50}-{n // 10000:04d}"
        status, secret = rng.choice(STATUSES), ("秘密" if n % 97 == 0 else "")
        title = f"关于{rng.choice('王李张刘陈杨赵黄周吴')}某等{rng.randint(2, 40)}人{rng.choice(TOPICS)}的请示"
        rows.append(
            CatalogueRow(
                source_path="bench.csv",
                sheet="",
                row_number=n + 2,
                fonds=fonds,
                archival_code=code,
                code_key=code_key(code),
                title=title,
                year=1950 + n % 55,
                date="",
                retention="永久",
                pages=str(rng.randint(3, 90)),
                classification=secret,
                open_status=status,
                creator="某局",
                catalogue_no="",
                volume_no="",
                notes="",
                access_level=access_level(status, secret),
            )
        )
    return rows


def load(settings: Settings, rows: list[CatalogueRow], batch: int = 50000) -> float:
    assistant = build_assistant(settings)
    conn = assistant.index.conn
    started = time.perf_counter()
    for part in range(0, len(rows), batch):
        source_id = f"bench{part:08d}"
        chunks = [chunk_catalogue_row(r, source_id, "bench.csv", i) for i, r in enumerate(rows[part : part + batch])]
        with conn:
            conn.execute("BEGIN")
            db.insert_source(
                conn,
                source_id=source_id,
                path=f"/bench/{part}",
                name="bench.csv",
                kind="catalogue",
                content_hash="-",
                title="bench",
                year=None,
                chunks=chunks,
                rows=rows[part : part + batch],
            )
            db.mark_complete(conn, source_id)
    return time.perf_counter() - started


def timed(assistant, questions: list[str]) -> list[float]:
    staff = Principal("bench", Role.STAFF)
    latencies = []
    for question in questions:
        started = time.perf_counter()
        answer = assistant.ask(question, staff)
        latencies.append((time.perf_counter() - started) * 1000)
        assert answer.status in {"answered", "no_evidence"}
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--out", type=Path, default=Path("docs/benchmarks/catalogue.md"))
    args = parser.parse_args()
    rows = synthetic_rows(args.rows)
    rng = random.Random(9)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(index_dir=Path(tmp) / "index")
        load_s = load(settings, rows)
        assistant = build_assistant(settings)
        sample = rng.sample(rows, args.queries)
        kinds = {
            "档号 lookup": [f"{r.archival_code.replace('-', '－')}是什么" for r in sample],
            "count by fonds+year": [f"全宗{r.fonds} {r.year}年有多少卷？" for r in sample],
            "list by topic+fonds": [f"全宗{r.fonds}有哪些关于{rng.choice(TOPICS)}的档案" for r in sample],
        }
        timed(assistant, ["1-1-0001是什么"])  # warm: jieba, SQLite page cache
        results = {name: timed(assistant, questions) for name, questions in kinds.items()}
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    lines = [
        f"# Catalogue questions at {args.rows:,} rows\n",
        f"Machine: {machine}. {args.queries} warm questions of each kind through `Assistant.ask` (staff).",
        f"Loading the rows into SQLite (with jieba lexical index): {load_s:.0f} s "
        f"({args.rows / load_s:,.0f} rows/s).\n",
        "| question kind | p50 ms | p95 ms |",
        "|---|---|---|",
    ]
    for name, latencies in results.items():
        ordered = sorted(latencies)
        lines.append(f"| {name} | {statistics.median(ordered):.1f} | {ordered[int(0.95 * len(ordered)) - 1]:.1f} |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
