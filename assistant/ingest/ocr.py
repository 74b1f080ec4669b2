"""OCR of scanned pages: render, recognise in parallel worker processes, cache.

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

Reading order and cleaning are in `ocr_layout`, the cache in `ocr_cache`.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from assistant.errors import ConfigError, IngestError
from assistant.ingest.ocr_cache import _MODELS, engine_key, page_key, read_cache, write_cache
from assistant.ingest.ocr_layout import Box, RawPage, clean_boxes, paragraph_rows, text_chars
from assistant.settings import usable_cores

if TYPE_CHECKING:
    from PIL import Image

    from assistant.settings import Settings

log = logging.getLogger(__name__)

# rapidocr's own limit (Global.max_side_len): pixels beyond it would be thrown away, so we
# never render them.
MAX_SIDE = 2000
# Lines are recognised one at a time: rapidocr pads a batch to its widest line, and on our
# pages one line per call read the same text 1.3-1.4x faster than its default of 6
# (docs/benchmarks/ocr.md). A GPU would want larger batches.
_REC_BATCH = 1


@dataclass(frozen=True)
class PageRef:
    """One page to read: page `index` (0-based) of a PDF, or frame `index` of an image file."""

    path: str
    index: int
    page: int  # the 1-based page number in the document it belongs to
    is_pdf: bool


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


def ocr_pages(refs: Sequence[PageRef], settings: Settings) -> list[OcrPage]:
    """Recognise the pages (cache first, then a process pool); results in the order of `refs`."""
    found: dict[PageRef, tuple[RawPage, bool]] = {}
    todo: list[tuple[PageRef, str]] = []
    for ref, image in _images(refs, settings.ocr_dpi):
        key = page_key(image, engine_key(settings))
        cached = read_cache(settings, key)
        if cached is not None:
            found[ref] = (cached, True)
        else:
            todo.append((ref, key))
    for ref, key, raw in _recognise_all(todo, settings):
        write_cache(settings, key, raw)
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


def recognised_page(ref: PageRef, settings: Settings) -> tuple[Image.Image, RawPage | None]:
    """A page rendered as OCR renders it, with the boxes the recogniser found on it when they are
    in the cache (None when the page was never read, or its cache entry is gone). The boxes are
    in that image's pixels: the web UI highlights a quoted passage on a scan with them."""
    image = render(ref, settings.ocr_dpi)
    return image, read_cache(settings, page_key(image, engine_key(settings)))


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
