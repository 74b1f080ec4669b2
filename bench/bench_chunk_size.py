"""Choose the chunk size by measuring: gold-set metrics for several sizes on the sample archive
and on an archive generated with another seed (never seen while tuning).

    HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_chunk_size.py --sizes 120 220 400 800

Writes docs/benchmarks/chunk_size.md. Run by hand, never by the test suite.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.evaluate import evaluate, load_gold  # noqa: E402
from assistant.service import build_assistant  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from corpora.build_sample import build_corpus  # noqa: E402

METRICS = ("figure_with_page_accuracy", "fact_accuracy", "citation_accuracy", "no_evidence_accuracy", "leaks")


def measure(corpus: Path, size: int) -> dict[str, float | int | None]:
    with tempfile.TemporaryDirectory() as tmp:
        assistant = build_assistant(Settings(index_dir=Path(tmp), chunk_size=size, chunk_min=min(40, size // 3)))
        assert assistant.ingest([corpus]).ok
        return evaluate(assistant, load_gold(corpus / "gold.jsonl")).metrics()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[120, 220, 400, 800])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks" / "chunk_size.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        unseen = Path(tmp) / "unseen"
        build_corpus(unseen, seed=23, years=(2017, 2018, 2019), county="南岭县")
        corpora = {"sample": ROOT / "corpora" / "sample", "unseen (seed 23)": unseen}
        lines = ["# Chunk size, measured on the gold sets\n", "| corpus | chunk_size | " + " | ".join(METRICS) + " |"]
        lines.append("|---" * (len(METRICS) + 2) + "|")
        for name, corpus in corpora.items():
            for size in args.sizes:
                metrics = measure(corpus, size)
                cells = " | ".join(str(metrics[m]) for m in METRICS)
                lines.append(f"| {name} | {size} | {cells} |")
                print(lines[-1], flush=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
