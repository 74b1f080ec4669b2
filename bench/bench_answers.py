"""Answer truth on every gold set, by question type: `python bench/bench_answers.py [--out FILE]`.

Builds three indexes in a temporary folder (the sample alone; the sample with the hand-written
field documents; the news items), asks every gold question through `Assistant.ask`, and reports
per set and per type: answered right, refused right, and the negative-rejection figure over all
questions whose answer is not in the holdings although close passages are. Markdown on stdout
(and in --out).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.evaluate import ItemResult, evaluate, load_gold  # noqa: E402
from assistant.service import build_assistant  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from bench.measure import machine  # noqa: E402

SETS = {
    "sample": (["sample"], ["sample/gold.jsonl"]),
    "field": (["sample", "field"], ["field/gold.jsonl"]),
    "held-out round 1": (["sample", "field"], ["field_src/heldout_round1.jsonl"]),
    "held-out round 2": (["sample", "field"], ["field_src/heldout_round2.jsonl"]),
    "news": (["news"], ["news/gold.jsonl"]),
}


def run(folder: Path) -> dict[str, list[ItemResult]]:
    results: dict[str, list[ItemResult]] = {}
    built: dict[tuple[str, ...], object] = {}
    for name, (corpora, golds) in SETS.items():
        key = tuple(corpora)
        if key not in built:
            assistant = build_assistant(Settings(index_dir=folder / "-".join(key)))
            assert assistant.ingest([ROOT / "corpora" / c for c in corpora]).ok
            built[key] = assistant
        gold = [item for g in golds for item in load_gold(ROOT / "corpora" / g)]
        results[name] = evaluate(built[key], gold).items  # type: ignore[arg-type]
    return results


def _right(item: ItemResult) -> bool:
    if item.expect_status == "no_evidence":
        return item.status_ok and not item.leaks
    return bool(item.fact_ok is not False and item.status_ok and item.citation_ok is not False and not item.leaks)


def report(results: dict[str, list[ItemResult]]) -> str:
    lines = [f"Machine: {machine()}", ""]
    lines += ["| set | questions | answerable right | refused right | leaks |", "|---|---|---|---|---|"]
    for name, items in results.items():
        answerable = [i for i in items if i.expect_status != "no_evidence"]
        refusals = [i for i in items if i.expect_status == "no_evidence"]
        lines.append(
            f"| {name} | {len(items)} | {sum(map(_right, answerable))}/{len(answerable)} | "
            f"{sum(map(_right, refusals))}/{len(refusals)} | {sum(len(i.leaks) for i in items)} |"
        )
    by_type: dict[str, list[ItemResult]] = defaultdict(list)
    for items in results.values():
        for item in items:
            by_type[item.type or "other"].append(item)
    lines += ["", "| question type | questions | right |", "|---|---|---|"]
    for kind, items in sorted(by_type.items()):
        lines.append(f"| {kind} | {len(items)} | {sum(map(_right, items))} |")
    negatives = [i for items in results.values() for i in items if i.expect_status == "no_evidence"]
    positives = [i for items in results.values() for i in items if i.expect_status != "no_evidence"]
    lines += [
        "",
        f"Negative rejection (every question unanswerable, close passages present): "
        f"{sum(map(_right, negatives))}/{len(negatives)} refused; answerable: "
        f"{sum(map(_right, positives))}/{len(positives)} right.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        text = report(run(Path(folder)))
    text += f"\n\nRun time: {time.perf_counter() - started:.0f} s."
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
