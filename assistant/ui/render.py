"""A cited page as an image, with the quoted passage highlighted where it can be found.

    image = render_page(Path("2022年报告.pdf"), page=3, quote="投入经费12.50万元")
    image, found = render_scan(ref, quote, settings)   # a page read by OCR

A PDF page with a text layer is rendered with pypdfium2 at about 100 dpi; each line (or sentence)
of the quote is searched on the text layer and the matches are shaded. A page read by OCR (a
scanned PDF page, a page image, a page of a 档号 folder) is rendered exactly as OCR rendered it,
so the recogniser's boxes, kept in the OCR cache, fall on its pixels: each box whose text is part
of the quote is shaded. The highlight is best effort: text the PDF splits differently, or a page
whose OCR cache entry is gone, is shown without it. Page rotation is not taken into account.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw

from assistant.errors import AssistantError
from assistant.text.sentences import END_MARKS

if TYPE_CHECKING:
    from assistant.ingest.ocr import PageRef
    from assistant.ingest.ocr_layout import RawPage
    from assistant.settings import Settings

DPI = 100
_HIGHLIGHT = (255, 214, 0, 90)
_PIECES = re.compile(rf"[\n{END_MARKS}]+")
_MIN_PIECE, _MAX_PIECE = 4, 40
_TEXT = re.compile(r"[\w\u3400-\u9fff]")
_MIN_BOX_CHARS = 2
Box = tuple[float, float, float, float]  # left, bottom, right, top in PDF units


class RenderError(AssistantError):
    """A cited page cannot be shown."""


def render_page(path: Path, page: int, quote: str = "", dpi: int = DPI) -> Image.Image:
    """Page `page` (1-based) of the PDF at `path` as an RGB image."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except (OSError, pdfium.PdfiumError) as exc:
        raise RenderError(f"无法打开 {path.name}：{exc}") from exc
    try:
        if not 1 <= page <= len(pdf):
            raise RenderError(f"{path.name} 没有第 {page} 页（共 {len(pdf)} 页）")
        pdf_page = pdf[page - 1]
        scale = dpi / 72
        image = pdf_page.render(scale=scale).to_pil().convert("RGB")
        boxes = _quote_boxes(pdf_page, quote) if quote else []
        if boxes:
            image = _shade(image, boxes, scale, pdf_page.get_height())
        return image
    except pdfium.PdfiumError as exc:
        raise RenderError(f"无法渲染 {path.name} 第 {page} 页：{exc}") from exc
    finally:
        pdf.close()


def _quote_boxes(pdf_page: object, quote: str) -> list[Box]:
    """(left, bottom, right, top) boxes in PDF units of the quote's pieces found on the page."""
    textpage = pdf_page.get_textpage()  # type: ignore[attr-defined]
    boxes: list[Box] = []
    try:
        for piece in _PIECES.split(quote):
            piece = piece.strip()[:_MAX_PIECE]
            if len(piece) < _MIN_PIECE:
                continue
            searcher = textpage.search(piece)
            match = searcher.get_next()
            while match:
                start, count = match
                boxes.extend(textpage.get_rect(i) for i in range(textpage.count_rects(start, count)))
                match = searcher.get_next()
            searcher.close()
    finally:
        textpage.close()
    return boxes


def _shade(image: Image.Image, boxes: list[Box], scale: float, height: float) -> Image.Image:
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for left, bottom, right, top in boxes:
        draw.rectangle(
            [left * scale - 2, (height - top) * scale - 2, right * scale + 2, (height - bottom) * scale + 2],
            fill=_HIGHLIGHT,
        )
    return Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")


def render_scan(ref: PageRef, quote: str, settings: Settings) -> tuple[Image.Image, int]:
    """A page read by OCR as an RGB image, the boxes of the quote shaded; and how many were."""
    from assistant.ingest.ocr import recognised_page

    try:
        image, raw = recognised_page(ref, settings)
    except AssistantError as exc:
        raise RenderError(f"无法显示该页：{exc}") from exc
    boxes = _ocr_boxes(raw, quote) if raw is not None else []
    if not boxes:
        return image.convert("RGB"), 0
    sx, sy = image.width / raw.width, image.height / raw.height  # type: ignore[union-attr]
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for points in boxes:
        corners = [(x * sx, y * sy) for x, y in zip(points[0::2], points[1::2], strict=True)]
        draw.polygon(corners, fill=_HIGHLIGHT)
    return Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB"), len(boxes)


def _ocr_boxes(raw: RawPage, quote: str) -> list[tuple[float, ...]]:
    """The corner points of the recognised lines whose text is part of the quote (compared on
    letters, digits and 汉字 only, NFKC: the chunk's text was cleaned from these very boxes)."""
    wanted = _letters(quote)
    found = []
    for box in raw.boxes:
        text = _letters(box.text)
        if len(text) >= _MIN_BOX_CHARS and text in wanted:
            found.append(box.points)
    return found


def _letters(text: str) -> str:
    return "".join(_TEXT.findall(unicodedata.normalize("NFKC", text)))
