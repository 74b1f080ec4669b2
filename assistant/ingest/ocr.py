"""OCR of scanned pages: render, recognise, put in reading order, clean, cache, run in parallel.

A page to read is a `PageRef`: one page of a PDF or one frame of an image file. `ocr_pages`
renders every page once in this process and hashes its pixels; a page whose hash is in the
cache (`<index_dir>/ocr-cache/<hash>.json`) is not recognised again. The others are rendered
again and recognised in worker processes, one rapidocr engine per worker. The cache keeps the
recogniser's raw boxes, so changing the ordering or cleaning below never needs a new OCR run.

Resolution: pages are rendered at `settings.ocr_dpi` (150), and never beyond 2000 px on the long
side, the size rapidocr shrinks larger images to before detection (so on A4 anything above
171 dpi only costs rendering time). On our generated scans (docs/benchmarks/ocr.md) 150 dpi
read as well as 171 dpi at 9 and 10.5 pt and clearly better at 7.5 pt hairline type, with a
quarter fewer pixels to detect in; 100 dpi read about as well on our one sans-serif font but
leaves 10.5 pt characters 15 px high, too little margin for the thin strokes of 宋体/仿宋.

Tables: each row of cells is a paragraph of its own, cells apart by a space, in row order, and
marked (`OcrPage.table_rows`) so the chunker keeps it one line. No cell structure or headers:
no table-structure model ships offline (docs/documents.md).

Deliberately not handled: vertical (top-to-bottom) writing, handwriting, and pages scanned upside
down (each line is turned, but the line order stays reversed). Two-column pages are read column by column when the
columns are clear (see `_gutter`).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import math
import os
import re
import statistics
import unicodedata
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from importlib import metadata
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from assistant.errors import ConfigError, IngestError
from assistant.ingest.chunking import heading_level
from assistant.settings import usable_cores

if TYPE_CHECKING:
    from PIL import Image

    from assistant.settings import Settings

log = logging.getLogger(__name__)

# rapidocr's own limit (Global.max_side_len): pixels beyond it would be thrown away, so we
# never render them.
MAX_SIDE = 2000
# The models that ship inside the rapidocr wheel; named explicitly so that rapidocr never
# reaches for its downloader (it would, if a file were missing or failed its checksum).
_MODELS = {
    "Det": "PP-OCRv6_det_small.onnx",
    "Rec": "PP-OCRv6_rec_small.onnx",
    "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
}
# Bump when rendering changes in a way the pixels do not show (the cache key includes it).
_CACHE_VERSION = 1
# Lines are recognised one at a time: rapidocr pads a batch to its widest line, and on our
# pages one line per call read the same text 1.3-1.4x faster than its default of 6
# (docs/benchmarks/ocr.md). A GPU would want larger batches.
_REC_BATCH = 1

_TEXT_CHAR = re.compile(r"[\w\u3400-\u9fff]")  # CJK ideographs, letters, digits
_PAGE_NUMBER = re.compile(r"^[-—–－~]\s*\d{1,4}\s*[-—–－~]$|^第\s*\d{1,4}\s*页(?:\s*[，,/]?\s*共\s*\d+\s*页)?$")
_LONE_NUMBER = re.compile(r"^\d{1,4}$")
_SENTENCE_ENDS = ("。", "！", "？", "；", "!", "?", ";")
_MARGIN_ZONE = 0.08  # a lone number in the top or bottom 8 % of the page is a page number


@dataclass(frozen=True)
class PageRef:
    """One page to read: page `index` (0-based) of a PDF, or frame `index` of an image file."""

    path: str
    index: int
    page: int  # the 1-based page number in the document it belongs to
    is_pdf: bool


@dataclass(frozen=True)
class Box:
    """A recognised text line as rapidocr returns it: text, score and its four corners."""

    text: str
    score: float
    points: tuple[float, ...]  # x0, y0, x1, y1, x2, y2, x3, y3 clockwise from top left


@dataclass(frozen=True)
class RawPage:
    """What the recogniser saw and found; this is what the cache stores."""

    width: int
    height: int
    boxes: tuple[Box, ...]


@dataclass(frozen=True)
class OcrPage:
    """A recognised page: paragraphs in reading order, and how sure the recogniser was."""

    page: int
    paragraphs: tuple[str, ...]
    confidence: float  # mean score of the kept boxes, weighted by their characters
    chars: int  # CJK ideographs, letters and digits kept
    cached: bool
    table_rows: frozenset[int] = frozenset()  # positions in `paragraphs` that are rows of a table


# ---- the whole flow -------------------------------------------------------------------------


def cache_dir(settings: Settings) -> Path:
    return settings.ocr_cache_dir or settings.index_dir / "ocr-cache"


def ocr_pages(refs: Sequence[PageRef], settings: Settings) -> list[OcrPage]:
    """Recognise the pages (cache first, then a process pool); results in the order of `refs`."""
    found: dict[PageRef, tuple[RawPage, bool]] = {}
    todo: list[tuple[PageRef, str]] = []
    for ref, image in _images(refs, settings.ocr_dpi):
        key = page_key(image, engine_key(settings))
        cached = _read_cache(settings, key)
        if cached is not None:
            found[ref] = (cached, True)
        else:
            todo.append((ref, key))
    for ref, key, raw in _recognise_all(todo, settings):
        _write_cache(settings, key, raw)
        found[ref] = (raw, False)
    return [_ocr_page(ref.page, *found[ref], settings.ocr_min_box_score) for ref in refs]


def _ocr_page(page: int, raw: RawPage, cached: bool, min_score: float) -> OcrPage:
    boxes = clean_boxes(raw, min_score)
    weights = [text_chars(b.text) for b in boxes]
    total = sum(weights)
    confidence = sum(b.score * w for b, w in zip(boxes, weights, strict=True)) / total if total else 0.0
    found = paragraph_rows(boxes)
    rows = frozenset(n for n, (_, is_row) in enumerate(found) if is_row)
    return OcrPage(page, tuple(text for text, _ in found), round(confidence, 4), total, cached, rows)


# ---- rendering and hashing --------------------------------------------------------------------


def _images(refs: Sequence[PageRef], dpi: int) -> Iterator[tuple[PageRef, Image.Image]]:
    """Each page rendered, opening each file once."""
    by_path: dict[str, list[PageRef]] = {}
    for ref in refs:
        by_path.setdefault(ref.path, []).append(ref)
    for path, group in by_path.items():
        if group[0].is_pdf:
            yield from _pdf_images(Path(path), group, dpi)
        else:
            yield from _frame_images(Path(path), group)


def render(ref: PageRef, dpi: int) -> Image.Image:
    """One page as an RGB image, at `dpi` but no larger than `MAX_SIDE` on its long side."""
    images = _pdf_images(Path(ref.path), [ref], dpi) if ref.is_pdf else _frame_images(Path(ref.path), [ref])
    with closing(images):  # closes the file now, not when the generator is collected
        return next(images)[1]


def _pdf_images(path: Path, refs: Sequence[PageRef], dpi: int) -> Generator[tuple[PageRef, Image.Image], None, None]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(path)
    except (pdfium.PdfiumError, OSError) as exc:
        raise IngestError(path, f"PDF 文件无法打开，不能做文字识别（{exc}）") from exc
    try:
        for ref in refs:
            page = pdf[ref.index]
            scale = min(dpi / 72, MAX_SIDE / max(*page.get_size(), 1))
            yield ref, page.render(scale=scale).to_pil().convert("RGB")
            page.close()
    except pdfium.PdfiumError as exc:
        raise IngestError(path, f"PDF 页面无法渲染，不能做文字识别（{exc}）") from exc
    finally:
        pdf.close()


def _frame_images(path: Path, refs: Sequence[PageRef]) -> Generator[tuple[PageRef, Image.Image], None, None]:
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            for ref in refs:
                image.seek(ref.index)
                # Phone photos of pages carry their orientation in EXIF only.
                frame = ImageOps.exif_transpose(image) if ref.index == 0 else image.copy()
                frame = frame.convert("RGB")
                frame.thumbnail((MAX_SIDE, MAX_SIDE))  # what rapidocr would shrink it to anyway
                yield ref, frame
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, EOFError, ValueError, SyntaxError) as exc:
        raise IngestError(path, f"图像文件损坏或格式无法识别（{type(exc).__name__}）") from exc


def page_key(image: Image.Image, reading: str = "") -> str:
    """The cache key of a rendered page: its pixels, size, and the recogniser that reads them
    (`reading`: `engine_key` of the settings)."""
    digest = hashlib.sha256(f"{_engine_id()}|v{_CACHE_VERSION}|{reading}|{image.size}|".encode())
    digest.update(image.tobytes())
    return digest.hexdigest()


def _engine_id() -> str:
    return f"rapidocr-{metadata.version('rapidocr')}-" + "-".join(_MODELS.values())


def engine_key(settings: Settings) -> str:
    """What, besides the pixels, decides the boxes a page gets: part of its cache key. Pages
    read with the detector at another size are read again (the boxes would differ)."""
    return f"det{settings.ocr_det_side}"


# ---- cache ------------------------------------------------------------------------------------


def _cache_path(settings: Settings, key: str) -> Path:
    return cache_dir(settings) / key[:2] / f"{key}.json"


def _read_cache(settings: Settings, key: str) -> RawPage | None:
    path = _cache_path(settings, key)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        boxes = tuple(Box(text, score, tuple(points)) for text, score, points in data["boxes"])
        return RawPage(data["width"], data["height"], boxes)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        log.warning("OCR 缓存文件损坏，重新识别：%s", path)
        return None


def _write_cache(settings: Settings, key: str, raw: RawPage) -> None:
    path = _cache_path(settings, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "width": raw.width,
        "height": raw.height,
        "boxes": [[b.text, b.score, [round(p, 1) for p in b.points]] for b in raw.boxes],
    }
    temporary = path.with_suffix(f".{os.getpid()}.tmp")  # two ingests may write the same page
    temporary.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, path)


def recognised_page(ref: PageRef, settings: Settings) -> tuple[Image.Image, RawPage | None]:
    """A page rendered as OCR renders it, with the boxes the recogniser found on it when they are
    in the cache (None when the page was never read, or its cache entry is gone). The boxes are
    in that image's pixels: the web UI highlights a quoted passage on a scan with them."""
    image = render(ref, settings.ocr_dpi)
    return image, _read_cache(settings, page_key(image, engine_key(settings)))


# ---- recognition, in worker processes -----------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """How a page is read, as a worker needs it: render resolution, detector size, threads."""

    dpi: int
    det_side: int
    threads: int


# One engine per process and reading, created on first use: loading the models takes about a second.
_engine_cache: dict[tuple[int, int], Any] = {}


@dataclass
class _Pools:
    """The worker pools of one `worker_pool()` block, by (workers, threads)."""

    pools: dict[tuple[int, int], ProcessPoolExecutor] = field(default_factory=dict)

    def get(self, workers: int, threads: int) -> ProcessPoolExecutor:
        if (workers, threads) not in self.pools:
            self.pools[(workers, threads)] = _new_pool(workers)
        return self.pools[(workers, threads)]

    def discard(self, pool: ProcessPoolExecutor) -> None:
        for key, known in list(self.pools.items()):
            if known is pool:
                del self.pools[key]
        pool.shutdown(wait=False, cancel_futures=True)


_pools: ContextVar[_Pools | None] = ContextVar("ocr_pools", default=None)


@contextmanager
def worker_pool() -> Iterator[None]:
    """Inside it, every `ocr_pages` call shares one pool of worker processes, started for the
    first document with pages to read and closed at the end: an ingest run of many scanned
    documents no longer starts (and loads the models in) a pool per document, 3-5 s each.
    Outside it, each call starts and closes its own pool, as a one-off read should."""
    if _pools.get() is not None:  # nested: the outer block owns the pools
        yield
        return
    pools = _Pools()
    token = _pools.set(pools)
    try:
        yield
    finally:
        _pools.reset(token)
        for pool in pools.pools.values():
            pool.shutdown(wait=True, cancel_futures=True)


def _new_pool(workers: int) -> ProcessPoolExecutor:
    # spawn, not fork: the parent holds torch, Chroma and SQLite threads that a forked child
    # could inherit in a locked state.
    return ProcessPoolExecutor(workers, mp_context=get_context("spawn"))


def _recognise_all(todo: Sequence[tuple[PageRef, str]], settings: Settings) -> Iterator[tuple[PageRef, str, RawPage]]:
    """(ref, key, raw page) for each page, in order of completion, with a pages/s progress bar."""
    if not todo:
        return
    pools = _pools.get()
    # A shared pool keeps its size whatever the document: it is started once for the whole run.
    workers = max(1, settings.ocr_workers if pools else min(settings.ocr_workers, len(todo)))
    cores = usable_cores()
    bar = tqdm(total=len(todo), desc="文字识别", unit="页", leave=False, disable=len(todo) < 2)
    try:
        if workers == 1:  # one page (or one worker): not worth starting processes for
            reading = Reading(settings.ocr_dpi, settings.ocr_det_side, settings.ocr_threads or cores)
            for ref, key in todo:
                yield ref, key, _recognise(ref, reading)
                bar.update()
            return
        reading = Reading(settings.ocr_dpi, settings.ocr_det_side, settings.ocr_threads or max(1, cores // workers))
        if pools is None:
            with _new_pool(workers) as pool:
                yield from _recognise_in_pool(pool, todo, reading, bar)
            return
        pool = pools.get(workers, reading.threads)
        try:
            yield from _recognise_in_pool(pool, todo, reading, bar)
        except IngestError as exc:
            if isinstance(exc.__cause__, BrokenProcessPool):  # the next document gets a new pool
                pools.discard(pool)
            raise
    finally:
        bar.close()


def _recognise_in_pool(
    pool: ProcessPoolExecutor, todo: Sequence[tuple[PageRef, str]], reading: Reading, bar: tqdm
) -> Iterator[tuple[PageRef, str, RawPage]]:
    futures = {pool.submit(_recognise_in_worker, ref, reading): (ref, key) for ref, key in todo}
    try:
        for future in as_completed(futures):
            ref, key = futures[future]
            try:
                raw = future.result()
            except BrokenProcessPool as exc:  # a RuntimeError too: test it first
                raise IngestError(ref.path, "文字识别进程意外退出（可能内存不足），请减少 ocr_workers 后重试") from exc
            except RuntimeError as exc:
                raise IngestError(ref.path, f"第 {ref.page} 页文字识别失败（{exc}）") from exc
            yield ref, key, raw
            bar.update()
    finally:
        for future in futures:
            future.cancel()


def _recognise_in_worker(ref: PageRef, reading: Reading) -> RawPage:
    """`_recognise` in a worker process. Our exceptions take several arguments and do not
    survive pickling back to the parent, so every failure crosses as a RuntimeError."""
    try:
        return _recognise(ref, reading)
    except ConfigError:  # one argument: pickles fine, and stops the run as it should
        raise
    except IngestError as exc:
        raise RuntimeError(exc.reason) from None
    except Exception as exc:  # onnxruntime and OpenCV raise their own types
        raise RuntimeError(f"{type(exc).__name__}: {exc}") from None


def _recognise(ref: PageRef, reading: Reading) -> RawPage:
    """Render and recognise one page (in a worker process, or here for a single page)."""
    image = render(ref, reading.dpi)
    try:
        result = _engine(reading.threads, reading.det_side)(image)
    except Exception as exc:  # onnxruntime and OpenCV raise their own types
        raise IngestError(ref.path, f"第 {ref.page} 页文字识别失败（{type(exc).__name__}: {exc}）") from exc
    if result.boxes is None or result.txts is None or result.scores is None:
        return RawPage(image.width, image.height, ())
    boxes = tuple(
        Box(str(text), round(float(score), 4), tuple(round(float(v), 1) for v in points.reshape(-1)))
        for text, score, points in zip(result.txts, result.scores, result.boxes, strict=True)
    )
    return RawPage(image.width, image.height, boxes)


def _engine(threads: int, det_side: int) -> Any:
    if (threads, det_side) not in _engine_cache:
        _engine_cache[(threads, det_side)] = _new_engine(threads, det_side)
    return _engine_cache[(threads, det_side)]


def _new_engine(threads: int, det_side: int) -> Any:
    import rapidocr

    models = Path(rapidocr.__file__).parent / "models"
    params: dict[str, Any] = {
        "Global.log_level": "warning",
        "Global.max_side_len": MAX_SIDE,
        "Global.text_score": 0.0,  # keep every box in the cache; `clean_boxes` decides
        "EngineConfig.onnxruntime.intra_op_num_threads": threads,
        # The detector sees the page shrunk to `det_side` px on its long side (rapidocr's default
        # instead enlarges the short side to 736 px at least, and keeps a 150 dpi A4 page whole);
        # each line found is still cut from the full-size page for recognition.
        "Det.limit_type": "max",
        "Det.limit_side_len": det_side,
        "Rec.rec_batch_num": _REC_BATCH,
    }
    for stage, name in _MODELS.items():
        if not (models / name).is_file():
            raise ConfigError(
                f"缺少文字识别模型 {models / name}，请重新安装 rapidocr（pip install --force-reinstall rapidocr）"
            )
        params[f"{stage}.model_path"] = str(models / name)
    return rapidocr.RapidOCR(params=params)


# ---- reading order and cleaning -------------------------------------------------------------------


@dataclass(frozen=True)
class _Placed:
    """A box in deskewed page coordinates."""

    box: Box
    left: float
    right: float
    top: float
    bottom: float

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def height(self) -> float:
        return self.bottom - self.top


def clean_boxes(raw: RawPage, min_score: float) -> list[Box]:
    """Drop what is not text of the page: low scores (stamps, smudges), lone punctuation, and
    page numbers (`- 3 -`, `第3页`, or a lone number in the top or bottom margin)."""
    kept = []
    for box in raw.boxes:
        text = unicodedata.normalize("NFKC", box.text).strip()
        if box.score < min_score or not _TEXT_CHAR.search(text) or _PAGE_NUMBER.match(text):
            continue
        ys = box.points[1::2]
        in_margin = max(ys) < raw.height * _MARGIN_ZONE or min(ys) > raw.height * (1 - _MARGIN_ZONE)
        if in_margin and _LONE_NUMBER.match(text):
            continue
        kept.append(box)
    return kept


def paragraphs(boxes: Sequence[Box]) -> list[str]:
    """Boxes → lines (by height-relative y, then x) → paragraphs, in reading order."""
    return [text for text, _ in paragraph_rows(boxes)]


def paragraph_rows(boxes: Sequence[Box]) -> list[tuple[str, bool]]:
    """`paragraphs`, each with whether it is one row of a table (cells apart by wide gaps)."""
    if not boxes:
        return []
    placed = _deskewed(boxes)
    unit = statistics.median(p.height for p in placed)
    out: list[tuple[str, bool]] = []
    for column in _reading_blocks(placed, unit):
        out.extend(_join_lines(column, unit))
    return out


def _deskewed(boxes: Sequence[Box]) -> list[_Placed]:
    """Rotate all boxes by the page's median skew so that a line's boxes share one y."""
    angles = []
    for box in boxes:
        x0, y0, x1, y1 = box.points[:4]
        width, height = math.dist((x0, y0), (x1, y1)), math.dist(box.points[2:4], box.points[4:6])
        if width > 2 * height:  # short boxes give noisy angles
            angles.append(math.atan2(y1 - y0, x1 - x0))
    angle = statistics.median(angles) if angles else 0.0
    cos, sin = math.cos(angle), math.sin(angle)
    placed = []
    for box in boxes:
        xs = [x * cos + y * sin for x, y in zip(box.points[0::2], box.points[1::2], strict=True)]
        ys = [-x * sin + y * cos for x, y in zip(box.points[0::2], box.points[1::2], strict=True)]
        placed.append(_Placed(box, min(xs), max(xs), min(ys), max(ys)))
    return placed


def _rows(placed: Sequence[_Placed], unit: float) -> list[list[_Placed]]:
    """Boxes whose middles are within half a line height of the row's middle form one row."""
    rows: list[list[_Placed]] = []
    for item in sorted(placed, key=lambda p: p.middle):
        if rows:
            row = rows[-1]
            middle = statistics.fmean(p.middle for p in row)
            if abs(item.middle - middle) <= 0.5 * min(unit, item.height):
                row.append(item)
                continue
        rows.append([item])
    return [sorted(row, key=lambda p: p.left) for row in rows]


def _gutter(rows: Sequence[Sequence[_Placed]], unit: float) -> float | None:
    """The x of a gap between two text columns, if at least 3 rows have wide text on both sides
    of one gap in the middle of the page. A table with two wide columns looks the same and is
    then read column by column too: rare in our reports, and still searchable."""
    left = min(p.left for row in rows for p in row)
    right = max(p.right for row in rows for p in row)
    width = right - left
    gaps = []
    for row in rows:
        for a, b in itertools.pairwise(row):
            wide = a.right - a.left > 0.25 * width and b.right - b.left > 0.25 * width
            if wide and b.left - a.right > unit and left + 0.3 * width < (a.right + b.left) / 2 < right - 0.3 * width:
                gaps.append((a.right, b.left))
    if len(gaps) < 3:
        return None
    x = statistics.median((a + b) / 2 for a, b in gaps)
    return x if sum(a < x < b for a, b in gaps) >= 3 else None


def _reading_blocks(placed: Sequence[_Placed], unit: float) -> list[list[list[_Placed]]]:
    """Blocks of rows in reading order: the page, or on a two-column page each run of rows
    between full-width rows split into its left column, then its right column."""
    rows = _rows(placed, unit)
    gutter = _gutter(rows, unit)
    if gutter is None:
        return [rows]
    blocks: list[list[list[_Placed]]] = []
    left: list[list[_Placed]] = []
    right: list[list[_Placed]] = []

    def flush() -> None:
        blocks.extend(side[:] for side in (left, right) if side)
        left.clear()
        right.clear()

    for row in rows:
        if any(p.left < gutter < p.right for p in row):  # a heading or paragraph across both columns
            flush()
            blocks.append([row])
            continue
        if parts := [p for p in row if p.right <= gutter]:
            left.append(parts)
        if parts := [p for p in row if p.left >= gutter]:
            right.append(parts)
    flush()
    return blocks


def _join_lines(rows: Sequence[Sequence[_Placed]], unit: float) -> list[tuple[str, bool]]:
    """Rows of one column → paragraphs, each with whether it is a table row (a row of cells is
    always a paragraph of its own). A row starts a new paragraph after a sentence end, a short
    row or a wide vertical gap, when it is indented, and around headings."""
    left = min(p.left for row in rows for p in row)
    right = max(p.right for row in rows for p in row)
    out: list[tuple[str, bool]] = []
    current = ""
    previous: Sequence[_Placed] | None = None
    for row in rows:
        text = _row_text(row, unit)
        if previous is not None and _starts_paragraph(previous, row, current, text, left, right, unit):
            out.append((current, _is_table_row(previous, unit) and current == _row_text(previous, unit)))
            current = ""
        current = _glue(current, text)
        previous = row
    if current and previous is not None:
        out.append((current, _is_table_row(previous, unit) and current == _row_text(previous, unit)))
    return out


def _starts_paragraph(
    previous: Sequence[_Placed], row: Sequence[_Placed], before: str, text: str, left: float, right: float, unit: float
) -> bool:
    if before.endswith(_SENTENCE_ENDS) or heading_level(before) is not None or heading_level(text) is not None:
        return True
    if _is_table_row(previous, unit) or _is_table_row(row, unit):  # cells stay one row per line
        return True
    if before[-1:].isdigit() and text[:1].isdigit():  # a figure cut at the line end: 3 | 200余人次
        return False
    # Only clearly short rows end a paragraph: a justified line with many digits ends a little
    # short, and the chunker joins rows that do not end a sentence anyway.
    short = previous[-1].right < left + 0.7 * (right - left)
    indented = row[0].left > left + 1.2 * unit
    gap = row[0].top - previous[-1].bottom > 1.2 * unit
    return short or indented or gap


def _is_table_row(row: Sequence[_Placed], unit: float) -> bool:
    return any(b.left - a.right > unit for a, b in itertools.pairwise(row))


def _row_text(row: Sequence[_Placed], unit: float) -> str:
    """The boxes of a row left to right; a gap wider than a character (table cells) is a space."""
    text = ""
    for before, item in zip([None, *row[:-1]], row, strict=True):
        part = _fullwidth_punctuation(item.box.text.strip())
        text = f"{text} {part}" if before is not None and item.left - before.right > unit else _glue(text, part)
    return text


def _fullwidth_punctuation(text: str) -> str:
    """The recogniser writes （一） as (一) and sometimes ， as ,: use the Chinese forms next to
    Chinese text, as typed reports do (headings and quotes then look alike in both)."""
    text = re.sub(r"[(](?=[\u3400-\u9fff])", "（", text)
    return re.sub(r"(?<=[\u3400-\u9fff])[,;:)]", lambda m: _FULLWIDTH[m.group()], text)


_FULLWIDTH = {",": "，", ";": "；", ":": "：", ")": "）"}


def _glue(before: str, after: str) -> str:
    """Join wrapped text: nothing between Chinese characters or a number cut at the line end
    (`3` + `200余人次`), a space between two English words."""
    if before and after and before[-1].isascii() and before[-1].isalpha() and after[0].isascii() and after[0].isalpha():
        return f"{before} {after}"
    return before + after


def text_chars(text: str) -> int:
    """CJK ideographs, letters and digits in `text`: what makes a text layer usable."""
    return len(_TEXT_CHAR.findall(text))
