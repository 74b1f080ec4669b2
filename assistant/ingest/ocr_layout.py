"""The page a recogniser read, put in reading order and cleaned: `clean_boxes` drops page
numbers and low scores, `paragraphs` / `paragraph_rows` join the lines into paragraphs (and table
rows), column by column when a page has two (see `_gutter`). Pure functions of the raw boxes, so
changing them never needs a new OCR run (the cache, `ocr_cache`, keeps the boxes).

Tables: each row of cells is a paragraph of its own, cells apart by a space, in row order, and
marked (`OcrPage.table_rows`) so the chunker keeps it one line. No cell structure or headers:
no table-structure model ships offline (docs/documents.md).

Deliberately not handled: vertical (top-to-bottom) writing, handwriting, and pages scanned upside
down (each line is turned, but the line order stays reversed). Two-column pages are read column by column when the
columns are clear (see `_gutter`).
"""

from __future__ import annotations

import itertools
import math
import re
import statistics
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.ingest.chunking import heading_level
from assistant.text.sentences import SENTENCE_ENDS

_TEXT_CHAR = re.compile(r"[\w\u3400-\u9fff]")  # CJK ideographs, letters, digits
_PAGE_NUMBER = re.compile(r"^[-—–－~]\s*\d{1,4}\s*[-—–－~]$|^第\s*\d{1,4}\s*页(?:\s*[，,/]?\s*共\s*\d+\s*页)?$")
_LONE_NUMBER = re.compile(r"^\d{1,4}$")
_MARGIN_ZONE = 0.08  # a lone number in the top or bottom 8 % of the page is a page number


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
    if before.endswith(SENTENCE_ENDS) or heading_level(before) is not None or heading_level(text) is not None:
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
