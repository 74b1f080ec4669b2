"""Benchmark for OCR: throughput on A4 scans and character accuracy on generated pages.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_ocr.py --pages 8 --runs 3

Writes docs/benchmarks/ocr.md. Run by hand, never by the test suite. The pages are A4 "scans"
made by tests/scan_fixtures.py (report prose, 9.6–14 pt, tilted about 1°, blurred, some on grey
paper with JPEG artefacts) embedded in an image-only PDF, read through `ocr_pages` exactly as
ingest reads them, with an empty cache each run.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
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

from PIL import Image  # noqa: E402
from scan_fixtures import A4_REPORT, char_accuracy, page_image, save_pdf  # noqa: E402

from assistant.ingest import ocr  # noqa: E402
from assistant.ingest.ocr import PageRef, ocr_pages  # noqa: E402
from assistant.settings import Settings  # noqa: E402

A4 = (2480, 3508)  # pixels at 300 dpi
_FIGURE = re.compile(r"\d+(?:\.\d+)?%?")


def a4_pages(count: int) -> list[Image.Image]:
    """A4 scans of the report page at several type sizes and qualities."""
    pages = []
    for n in range(count):
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


def read(pdf: Path, pages: int, workdir: Path, **settings: object) -> tuple[float, list[ocr.OcrPage]]:
    """Seconds to OCR the PDF with an empty cache, and the pages read."""
    index_dir = Path(tempfile.mkdtemp(dir=workdir))
    refs = [PageRef(str(pdf), i, i + 1, is_pdf=True) for i in range(pages)]
    started = time.perf_counter()
    result = ocr_pages(refs, Settings(index_dir=index_dir, **settings))
    return time.perf_counter() - started, result


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


def throughput(pdf: Path, pages: int, runs: int, workdir: Path, workers: int) -> dict[str, float]:
    times, accuracy, worst, figures = [], [], [], []
    for _ in range(runs):
        seconds, result = read(pdf, pages, workdir, ocr_workers=workers)
        times.append(seconds)
        median, low, found = quality(result)
        accuracy.append(median)
        worst.append(low)
        figures.append(found)
    per_minute = [pages * 60 / t for t in times]
    return {
        "ppm": statistics.median(per_minute),
        "ppm_min": min(per_minute),
        "ppm_max": max(per_minute),
        "accuracy": statistics.median(accuracy),
        "worst": min(worst),
        "figures": statistics.median(figures),
    }


def resolution_study(pdf: Path, per_size: int, workdir: Path, dpis: list[int]) -> list[tuple[str, ...]]:
    """Rows (setting, s/page, accuracy for each type size, figures) for each dpi, read in one
    process (2 threads); then 300 dpi with the 2000 px cap raised, to show what the cap saves."""
    settings: list[tuple[str, int]] = [(f"{dpi} dpi", dpi) for dpi in dpis]
    rows = []
    cap = ocr.MAX_SIDE
    try:
        for name, dpi in [*settings, ("300 dpi, cap raised to 4000 px", 300)]:
            if name.endswith("px"):  # an experiment only: the module's cap is a constant on purpose
                ocr.MAX_SIDE = 4000
                ocr._engine_cache.clear()
            pages = per_size * len(THIN_SIZES)
            seconds, result = read(pdf, pages, workdir, ocr_workers=1, ocr_dpi=dpi)
            by_size = [quality(result[i * per_size : (i + 1) * per_size], mean=True) for i in range(len(THIN_SIZES))]
            figures = statistics.fmean(found for _, found in by_size)
            rows.append((name, f"{seconds / pages:.1f}", *(f"{acc:.1%}" for acc, _ in by_size), f"{figures:.1%}"))
    finally:
        ocr.MAX_SIDE = cap
        ocr._engine_cache.clear()
    return rows


def write_report(
    path: Path,
    args: argparse.Namespace,
    results: dict[str, dict[str, float]],
    study: list[tuple[str, ...]],
    load_at_start: float,
) -> None:
    load = os.getloadavg()
    lines = [
        "# OCR benchmark",
        "",
        f"Run with `HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_ocr.py --pages {args.pages} --runs {args.runs} "
        f"--thin {args.thin}` "
        f"on {time.strftime('%Y-%m-%d')}.",
        "",
        f"- Machine: {platform.machine()}, {os.cpu_count()} cores shared with other work "
        f"(1-minute load average {load_at_start:.1f} at the start of the run, {load[0]:.1f} at the end), "
        f"Python {platform.python_version()}",
        f"- rapidocr {metadata.version('rapidocr')} (PP-OCRv6 small det/rec, models shipped in the wheel), "
        f"onnxruntime {metadata.version('onnxruntime')}, pypdfium2 {metadata.version('pypdfium2')}",
        f"- Pages: {args.pages} generated A4 scans of report prose (9.6–14 pt, ±1° tilt, blur, half on grey "
        "paper as JPEG q50), one image-only PDF, read with an empty cache each run; "
        "time includes starting the worker processes and loading the models",
        "- Accuracy: 1 − edit distance / length against the drawn text, whitespace ignored, NFKC "
        "(so （一） and (一) are the same); figures: share of the numbers (193.02, 9.56% …) read exactly",
        "",
        f"## Throughput (median of {args.runs} runs; target ≥ 10 pages/min)",
        "",
        "| setting | pages/min | min–max | char accuracy (median page) | worst page | figures exact |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['ppm']:.1f} | {r['ppm_min']:.1f}–{r['ppm_max']:.1f} | {r['accuracy']:.2%} | "
            f"{r['worst']:.2%} | {r['figures']:.1%} |"
        )
    lines += [
        "",
        f"## Resolution (one run, one process with 2 threads, {args.thin} hard pages per type size)",
        "",
        "The pages above read perfectly at any resolution, so resolution is measured on harder pages: "
        "hairline strokes (eroded glyphs, like a light 仿宋 print or a carbon copy) on grey paper as "
        "JPEG q50. rapidocr shrinks an image whose long side exceeds 2000 px before detection, so "
        "`ocr.py` never renders beyond that: on A4 every setting from about 171 dpi up gives the same "
        "pixels, and the 200 and 300 dpi rows differ only by timing noise.",
        "",
        "| setting | s/page | " + " | ".join(f"accuracy {size}" for size in THIN_SIZES.values()) + " | figures exact |",
        "|---|---|" + "---|" * len(THIN_SIZES) + "---|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in study]
    lines += ["", *CONCLUSIONS]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


CONCLUSIONS = [
    "## What we chose and why",
    "",
    "- `ocr_dpi = 150`, and never more than 2000 px on the long side (rapidocr's own limit: it would "
    "shrink a larger image before detection). On the normal pages every resolution reads perfectly. On "
    "the hairline pages 150 dpi reads as well as 171 dpi (what 200 or 300 dpi become on A4 under the cap) "
    "at 9 and 10.5 pt and clearly better at 7.5 pt, where the detector misses whole runs of text at "
    "171 dpi; with a quarter fewer pixels it is also faster. Raising the cap to read A4 at a true 300 dpi "
    "gains little and costs about three times the time per page. 100 dpi reads about as well on our one "
    "sans-serif font but leaves 10.5 pt characters 15 px high: too little margin for the thin strokes "
    "of 宋体/仿宋, which we cannot render here (no such font is installed).",
    "- `ocr_workers = os.cpu_count()` worker processes with one onnxruntime thread each: faster "
    "than one process using both cores through threads in our runs on a quiet machine (when other work "
    "loaded it, the order flipped once). A single page is "
    "read in the ingesting process, with no start-up cost.",
    "- The confidence warning (`ocr_min_confidence = 0.8`) catches unreadable pages, not single wrong "
    "characters: a lost decimal point (13.6 read as 136) came with a confidence of 0.999 in one of our "
    "blur trials. Figures read from scans deserve a look at the page image before they are reused.",
    "- Generated pages are kinder than real scans (one clean sans-serif font, no stamps, handwriting or "
    "bleed-through): treat these accuracies as an upper bound and check a sample of real scans. Faint "
    "type (carbon copies, 油印) loses whole runs in detection before recognition; rapidocr's "
    "`Det.box_thresh` 0.3 instead of 0.5 recovered part of them in a trial, not adopted untested.",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--thin", type=int, default=2, help="hard pages per type size for the resolution study")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks" / "ocr.md")
    args = parser.parse_args()
    load_at_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        pdf = save_pdf(workdir / "a4.pdf", a4_pages(args.pages))
        cores = os.cpu_count() or 1
        results = {
            f"{cores} worker processes × 1 thread (default)": throughput(pdf, args.pages, args.runs, workdir, cores),
            f"1 process × {cores} threads": throughput(pdf, args.pages, args.runs, workdir, 1),
        }
        hard = save_pdf(workdir / "thin.pdf", thin_pages(args.thin))
        study = resolution_study(hard, args.thin, workdir, [100, 150, 200, 300])
    for name, r in results.items():
        print(f"{name}: {r['ppm']:.1f} pages/min, accuracy {r['accuracy']:.2%} (worst {r['worst']:.2%})")
    for row in study:
        print(" · ".join(row))
    write_report(args.out, args, results, study, load_at_start)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
