"""A cited PDF page as an image, with the quoted passage highlighted where it can be found.

    image = render_page(Path("2022年报告.pdf"), page=3, quote="投入经费12.50万元")

Rendered with pypdfium2 at about 100 dpi. The highlight is best effort: each line (or sentence)
of the quote is searched on the page's text layer and the matches are shaded; a scanned page
without a text layer, or text the PDF splits differently, is shown without highlight. Page
rotation is not taken into account for the highlight.
"""

from __future__ import annotations

import re
from pathlib import Path

from PIL import Image, ImageDraw

from assistant.errors import AssistantError

DPI = 100
_HIGHLIGHT = (255, 214, 0, 90)
_PIECES = re.compile(r"[\n。；;！？!?]+")
_MIN_PIECE, _MAX_PIECE = 4, 40
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
