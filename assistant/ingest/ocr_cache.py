"""The OCR cache: a page's raw boxes under `<index_dir>/ocr-cache/<hash>.json`, keyed by the
page's pixels and by what reads them (rapidocr's version, its models, the detector size), so a
page is recognised once however often it is ingested, and again when the recogniser changes."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.ingest.ocr_layout import Box, RawPage

if TYPE_CHECKING:
    from PIL import Image

    from assistant.settings import Settings

log = logging.getLogger(__name__)

# The models that ship inside the rapidocr wheel; named explicitly so that rapidocr never
# reaches for its downloader (it would, if a file were missing or failed its checksum).
_MODELS = {
    "Det": "PP-OCRv6_det_small.onnx",
    "Rec": "PP-OCRv6_rec_small.onnx",
    "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
}
# Bump when rendering changes in a way the pixels do not show (the cache key includes it).
_CACHE_VERSION = 1


def cache_dir(settings: Settings) -> Path:
    return settings.ocr_cache_dir or settings.index_dir / "ocr-cache"


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


def cache_path(settings: Settings, key: str) -> Path:
    return cache_dir(settings) / key[:2] / f"{key}.json"


def read_cache(settings: Settings, key: str) -> RawPage | None:
    path = cache_path(settings, key)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        boxes = tuple(Box(text, score, tuple(points)) for text, score, points in data["boxes"])
        return RawPage(data["width"], data["height"], boxes)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        log.warning("OCR 缓存文件损坏，重新识别：%s", path)
        return None


def write_cache(settings: Settings, key: str, raw: RawPage) -> None:
    path = cache_path(settings, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "width": raw.width,
        "height": raw.height,
        "boxes": [[b.text, b.score, [round(p, 1) for p in b.points]] for b in raw.boxes],
    }
    temporary = path.with_suffix(f".{os.getpid()}.tmp")  # two ingests may write the same page
    temporary.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, path)
