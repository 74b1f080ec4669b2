"""Loaders for running text: text PDFs, DOCX, OFD, Markdown, plain text, and legacy office files.

Each returns a `LoadedDocument`: lines with their 1-based page numbers (PDF, OFD) and, where the
format marks them, heading levels (DOCX styles, Markdown `#`). Tables stay where they stand in
the reading order, one line per row written with its column headers (`assistant.ingest.tables`):
DOCX tables from the document body in order, ruled tables of text PDFs found by pdfplumber.
Scanned pages come back empty here; `assistant.ingest.scans` OCRs them and rebuilds the document
with `document_of`. .doc .wps .rtf (→ DOCX) and .ppt (→ PDF) are converted by LibreOffice first
(`assistant.ingest.convert`). Foreign exceptions are wrapped into `IngestError` naming the file.

Deliberately not handled: PDF tables drawn without rules (their cells come out as lines of
text, as pypdf reads them; docs/benchmarks/documents.md compares the ways tried), text boxes and
headers/footers of DOCX, OFD templates and annotations (stamps, signatures).
"""

from __future__ import annotations

import itertools
import re
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import IngestError
from assistant.ingest.convert import DOCUMENT_TARGETS, converted
from assistant.ingest.tables import Cell, cell_text, table_rows
from assistant.models import Line, LoadedDocument
from assistant.text.encodings import decoded
from assistant.text.years import document_years, remove_years, year_of

if TYPE_CHECKING:
    from assistant.settings import Settings

# A plain-text report is a few hundred KB; tens of MB is an export gone wrong, and would take
# hours to segment and embed. Refuse it with a message rather than hang the run.
MAX_TEXT_BYTES = 20 * 2**20
TEXT_SUFFIXES = {".pdf", ".docx", ".ofd", ".md", ".markdown", ".txt"} | set(DOCUMENT_TARGETS)
GUIDE_WORDS = ("指南", "手册", "入门", "须知", "介绍", "guide")
# The body that wrote a report, as its opening or signature names it: 青山县档案馆, 白河县人民政府.
_ISSUER = re.compile(
    r"((?:中共)?[\u4e00-\u9fff]{2,8}?(?:省|市|县|区|州|旗)[\u4e00-\u9fff]{0,10}?"
    r"(?:档案馆|档案局|人民政府|委员会|办公室|财政局|人民代表大会|政府|局|馆|中心))"
)
_PLACE = re.compile(r"([\u4e00-\u9fff]{2,6}?(?:省|市|县|区|自治州))(?:人民政府|政府|档案)")
_CJK = re.compile(r"[\u4e00-\u9fff]")
# A paragraph just above a table that names it: "表1 部门整体支出绩效自评表", "附表：…自评表".
_CAPTION = re.compile(r"^(?:附?表\s*[\d一二三四五六七八九十]*[-.．]?\d*[\s:：、]|.{0,38}表$)")
_CAPTION_MAX_CHARS = 40
# A table's rules are drawn with `re` (rectangle) or `l` (line) operators, then stroked or filled.
_PATH_OPERATOR = re.compile(rb"(?<![A-Za-z])(?:re|l)\s+(?:[Ssfb]\*?|B\*?|n)?(?![A-Za-z])")
_TABLE_SCAN_MAX_BYTES = 4 * 2**20
_PAGE_FOOTER = re.compile(
    r"^\s*(?:[-—–－]\s*\d{1,4}\s*[-—–－]|第\s*\d+\s*页(?:\s*[，,/]?\s*共\s*\d+\s*页)?|\d{1,4})\s*$"
)


def load_document(path: Path, settings: Settings | None = None) -> LoadedDocument:
    """The document's lines; `settings` gives the limits and the LibreOffice binary (defaults
    when None)."""
    settings = settings or _default_settings()
    check_not_empty(path)
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        lines = pdf_lines(path, settings.max_pages)
    elif suffix == ".docx":
        lines = docx_lines(path)
    elif suffix == ".ofd":
        lines = ofd_lines(path, settings.max_pages)
    elif suffix in DOCUMENT_TARGETS:
        with converted(path, DOCUMENT_TARGETS[suffix], settings) as target:
            lines = pdf_lines(target, settings.max_pages) if target.suffix == ".pdf" else docx_lines(target)
    elif suffix in {".md", ".markdown"}:
        lines = _markdown_lines(_read_text(path))
    elif suffix == ".txt":
        lines = [Line(text=t) for t in _read_text(path).splitlines()]
    else:
        raise IngestError(path, f"不支持的文件类型 {suffix}")
    return document_of(path, lines)


def _default_settings() -> Settings:
    from assistant.settings import Settings

    return Settings.model_construct()  # the defaults, without reading the environment


def document_of(path: Path, lines: list[Line]) -> LoadedDocument:
    """The document made of these lines: blank lines and page footers dropped, title, kind and
    year from the file name (or the first line)."""
    lines = [line for line in lines if line.text.strip() and not _PAGE_FOOTER.match(line.text)]
    title = _title_of(path, lines)
    texts = [line.text for line in lines]
    dated_title = title if year_of(title) else f"{path.stem} {title}" if year_of(path.stem) else title
    dating = document_years(dated_title, texts)
    return LoadedDocument(
        path=str(path),
        title=title,
        kind=_kind_of(path, title),
        year=dating.covered,
        lines=lines,
        published=dating.published,
        plan_year=dating.plan,
        issuer=issuer_of(title, texts),
    )


def issuer_of(title: str, lines: list[str]) -> str:
    """The body a report comes from, named in its title, opening or signature ('' when none is)."""
    for text in (title, *lines[:3], *lines[-3:]):
        if match := _ISSUER.search(remove_years(text)):
            return match.group(1)
    for text in (title, *lines[:3]):
        if match := _PLACE.search(remove_years(text)):
            return match.group(1)
    return ""


def _title_of(path: Path, lines: list[Line]) -> str:
    # The file name is the title staff chose, when it says something (Chinese); names such as
    # "report_2.pdf" or "扫描0001" leave the document's own first line as the better title.
    stem = path.stem.strip()
    if _CJK.search(stem) and not re.fullmatch(r"[\W\d_]*(?:扫描|文档|新建|附件)?[\W\d_]*", stem):
        return stem
    first = next((line.text.strip() for line in lines[:5] if _CJK.search(line.text)), "")
    return first[:60] or stem


def _kind_of(path: Path, title: str) -> str:
    name = f"{path.stem} {title}".lower()
    if any(word in name for word in GUIDE_WORDS):
        return "guide"
    return "report"


def _read_text(path: Path) -> str:
    text = decoded(_read_bytes(path, MAX_TEXT_BYTES))
    if text is not None:
        return text
    raise IngestError(path, "文本编码无法识别（既不是 UTF-8 也不是 GBK/GB18030）")


def check_not_empty(path: Path) -> None:
    try:
        empty = path.stat().st_size == 0
    except OSError as exc:
        raise IngestError(path, f"无法读取文件：{exc.strerror or exc}") from exc
    if empty:
        raise IngestError(path, "文件为空（0 字节）")


def _read_bytes(path: Path, limit: int | None = None) -> bytes:
    try:
        if limit is not None and (size := path.stat().st_size) > limit:
            raise IngestError(
                path, f"文件过大（{size / 2**20:.0f} MB，文本文件上限 {limit // 2**20} MB），请拆分后再导入"
            )
        return path.read_bytes()
    except OSError as exc:
        raise IngestError(path, f"无法读取文件：{exc.strerror or exc}") from exc


def pdf_lines(path: Path, max_pages: int) -> list[Line]:
    """The text layer's lines by page; on pages with ruled tables, the tables' rows in place."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception as exc:  # pypdf raises several types for bad passwords
                raise IngestError(path, "PDF 已加密，无法读取；请先解除密码保护") from exc
        if not reader.pages:
            raise IngestError(path, "PDF 没有任何页面")
        check_pages(path, len(reader.pages), max_pages)
        texts = [page.extract_text() or "" for page in reader.pages]
        ruled = [number for number, page in enumerate(reader.pages, start=1) if _may_hold_ruled_table(page)]
        tables = _pdf_table_pages(path, ruled)
        lines: list[Line] = []
        for number, text in enumerate(texts, start=1):
            if number in tables:
                lines.extend(tables[number])
            else:
                lines.extend(Line(text=t.strip(), page=number) for t in text.splitlines())
        return lines
    except IngestError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        raise IngestError(path, f"PDF 文件损坏或不完整（{type(exc).__name__}）") from exc


def check_pages(path: Path, pages: int, max_pages: int) -> None:
    if pages > max_pages:
        raise IngestError(path, f"页数过多（{pages} 页，上限 {max_pages} 页，见设置 max_pages），请拆分后再导入")


def _may_hold_ruled_table(page: Any) -> bool:
    """Whether a page draws lines or rectangles (its content stream has path operators), so
    that pdfplumber, slow on every page, looks only at these. A content stream beyond
    `_TABLE_SCAN_MAX_BYTES` is not looked at: pdfminer would take minutes over it."""
    from pypdf.errors import LimitReachedError

    try:
        data = page.get_contents().get_data() if page.get_contents() is not None else b""
    except LimitReachedError:
        raise  # a decompression bomb (pypdf's text extraction returns "" for it, and OCR would follow)
    except Exception:  # an unreadable stream: pypdf's text (or its error) stands for the page
        return False
    return len(data) <= _TABLE_SCAN_MAX_BYTES and _PATH_OPERATOR.search(data) is not None


def _pdf_table_pages(path: Path, candidates: list[int]) -> dict[int, list[Line]]:
    """Lines of the pages that hold ruled tables (pdfplumber), by page number; text around a
    table stays above or below it, as printed. A PDF pdfplumber cannot read has no tables here
    (pypdf still reads its text)."""
    if not candidates:
        return {}
    import pdfplumber
    from pdfminer.pdfparser import PDFSyntaxError
    from pdfplumber.utils.exceptions import PdfminerException

    pages: dict[int, list[Line]] = {}
    try:
        with pdfplumber.open(path, pages=candidates) as pdf:
            for page in pdf.pages:
                number = page.page_number
                found = page.find_tables()
                if found:
                    pages[number] = _page_with_tables(page, found, number)
                page.close()
    except (PdfminerException, PDFSyntaxError, ValueError, KeyError, TypeError, AttributeError, OSError):
        return {}
    return pages


def _page_with_tables(page: Any, tables: list[Any], number: int) -> list[Line]:
    """The page's text lines outside the tables and the tables' rows, top to bottom."""
    boxes = [table.bbox for table in tables]

    def outside(obj: dict[str, Any]) -> bool:
        x, y = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in boxes)

    text = [(line["top"], line["text"].strip()) for line in page.filter(outside).extract_text_lines()]
    blocks: list[tuple[float, list[Line]]] = [(top, [Line(text=t, page=number)]) for top, t in text if t]
    for table in tables:
        caption_at = _caption_above(text, table.bbox[1])
        rows = table_rows(_pdf_grid(table))
        caption = caption_at[1] if caption_at else rows.caption
        if caption_at:
            blocks = [b for b in blocks if b[0] != caption_at[0]]
        blocks.append((table.bbox[1], [Line(text=row, page=number, table=caption) for row in rows.rows]))
    blocks.sort(key=lambda block: block[0])
    return [line for _, lines in blocks for line in lines]


def _caption_above(text: list[tuple[float, str]], top: float) -> tuple[float, str] | None:
    """The line right above a table when it names the table."""
    above = [(t, line) for t, line in text if t < top]
    if not above:
        return None
    t, line = max(above)
    return (t, line) if top - t < 40 and is_caption(line) else None


def is_caption(text: str) -> bool:
    text = text.strip()
    return len(text) <= _CAPTION_MAX_CHARS and not text.endswith(("。", "；", "，")) and bool(_CAPTION.match(text))


def _pdf_grid(table: Any) -> list[list[Cell]]:
    """A pdfplumber table as a grid: every position between the cells' edges gets the cell
    whose box covers it, so a merged cell fills all the positions it spans."""
    texts: dict[tuple[float, ...], str] = {}
    for table_row, values in zip(table.rows, table.extract(), strict=True):
        for box, value in zip(table_row.cells, values, strict=True):
            if box is not None:
                texts[tuple(box)] = value or ""
    boxes = list(texts)
    xs = sorted({round(v, 1) for box in boxes for v in (box[0], box[2])})
    ys = sorted({round(v, 1) for box in boxes for v in (box[1], box[3])})
    grid: list[list[Cell]] = []
    for top, bottom in itertools.pairwise(ys):
        row: list[Cell] = []
        for left, right in itertools.pairwise(xs):
            x, y = (left + right) / 2, (top + bottom) / 2
            origin = next((n for n, b in enumerate(boxes) if b[0] <= x <= b[2] and b[1] <= y <= b[3]), None)
            row.append(Cell(texts[boxes[origin]], origin) if origin is not None else Cell("", -1 - len(row)))
        grid.append(row)
    return grid


def docx_lines(path: Path) -> list[Line]:
    """Paragraphs and tables in the order the document body holds them."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from lxml.etree import LxmlError

    try:
        document = docx.Document(str(path))
        lines: list[Line] = []
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                lines.extend(_docx_table_lines(item, lines))
                continue
            text = item.text.strip()
            if not text:
                continue
            style = (item.style.name if item.style is not None else "") or ""
            lines.append(Line(text=text, heading_level=_docx_heading_level(style)))
        return lines
    except (PackageNotFoundError, zipfile.BadZipFile, zipfile.LargeZipFile, LxmlError, KeyError, ValueError) as exc:
        raise IngestError(path, f"DOCX 文件损坏或不是 Word 文档（{type(exc).__name__}）") from exc
    except (OSError, EOFError, zlib.error) as exc:
        raise IngestError(path, f"DOCX 文件损坏或不完整（{type(exc).__name__}）") from exc


def _docx_table_lines(table: Any, before: list[Line]) -> Iterator[Line]:
    """A table's rows as lines; a caption paragraph right before it moves into the rows' `table`."""
    origins: dict[Any, int] = {}
    grid = []
    for row in table.rows:
        grid.append([Cell(cell.text, origins.setdefault(cell._tc, len(origins))) for cell in row.cells])
    rows = table_rows(grid)
    caption = rows.caption
    if before and before[-1].table is None and before[-1].heading_level is None and is_caption(before[-1].text):
        caption = before.pop().text
    for row in rows.rows:
        yield Line(text=row, table=cell_text(caption))


def ofd_lines(path: Path, max_pages: int) -> list[Line]:
    """The text of each OFD page in reading order (ofdkit); layout lines, as a PDF's."""
    import ofdkit

    try:
        with ofdkit.open(path) as document:
            pages = document.pages
            check_pages(path, len(pages), max_pages)
            lines = [
                Line(text=text.strip(), page=number)
                for number, page in enumerate(pages, start=1)
                for text in page.text().splitlines()
            ]
    except IngestError:
        raise
    except (ofdkit.OFDError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise IngestError(path, f"OFD 文件损坏或不是 OFD 文档（{type(exc).__name__}）") from exc
    if not pages:
        raise IngestError(path, "OFD 文件没有任何页面")
    return lines


def _docx_heading_level(style: str) -> int | None:
    match = re.match(r"(?:Heading|标题)\s*(\d)", style, re.IGNORECASE)
    if match:
        return int(match.group(1))
    return 1 if style.lower() == "title" else None


def _markdown_lines(text: str) -> list[Line]:
    lines: list[Line] = []
    for raw in text.splitlines():
        match = re.match(r"^(#{1,6})\s+(.*)$", raw)
        if match:
            lines.append(Line(text=match.group(2).strip(), heading_level=len(match.group(1))))
        else:
            cleaned = re.sub(r"^\s*(?:[-*+]|>)\s+", "", raw)
            cleaned = cleaned.replace("**", "").replace("`", "")
            lines.append(Line(text=cleaned.strip()))
    return lines
