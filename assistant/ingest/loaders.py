"""Loaders for running text: text PDFs, DOCX, Markdown and plain text.

Each returns a `LoadedDocument`: lines with their 1-based page numbers (PDF) and, where the
format marks them, heading levels (DOCX styles, Markdown `#`). Scanned pages come back empty
here; `assistant.ingest.scans` OCRs them and rebuilds the document with `document_of`.
Foreign exceptions are wrapped into `IngestError` naming the file.
"""

from __future__ import annotations

import re
from pathlib import Path

from assistant.errors import IngestError
from assistant.models import Line, LoadedDocument
from assistant.text.years import document_years, year_of

# A plain-text report is a few hundred KB; tens of MB is an export gone wrong, and would take
# hours to segment and embed. Refuse it with a message rather than hang the run.
MAX_TEXT_BYTES = 20 * 2**20
TEXT_SUFFIXES = {".pdf", ".docx", ".md", ".markdown", ".txt"}
GUIDE_WORDS = ("指南", "手册", "入门", "须知", "介绍", "guide")
# The body that wrote a report, as its opening or signature names it: 青山县档案馆, 白河县人民政府.
_ISSUER = re.compile(
    r"((?:中共)?[\u4e00-\u9fff]{2,8}?(?:省|市|县|区|州|旗)[\u4e00-\u9fff]{0,10}?"
    r"(?:档案馆|档案局|人民政府|委员会|办公室|财政局|人民代表大会|政府|局|馆|中心))"
)
_PLACE = re.compile(r"([\u4e00-\u9fff]{2,6}?(?:省|市|县|区|自治州))(?:人民政府|政府|档案)")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_PAGE_FOOTER = re.compile(
    r"^\s*(?:[-—–－]\s*\d{1,4}\s*[-—–－]|第\s*\d+\s*页(?:\s*[，,/]?\s*共\s*\d+\s*页)?|\d{1,4})\s*$"
)


def load_document(path: Path) -> LoadedDocument:
    check_not_empty(path)
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        lines = _pdf_lines(path)
    elif suffix == ".docx":
        lines = _docx_lines(path)
    elif suffix in {".md", ".markdown"}:
        lines = _markdown_lines(_read_text(path))
    elif suffix == ".txt":
        lines = [Line(text=t) for t in _read_text(path).splitlines()]
    else:
        raise IngestError(path, f"不支持的文件类型 {suffix}")
    return document_of(path, lines)


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
        if match := _ISSUER.search(text):
            return match.group(1)
    for text in (title, *lines[:3]):
        if match := _PLACE.search(text):
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
    data = _read_bytes(path, MAX_TEXT_BYTES)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
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


def _pdf_lines(path: Path) -> list[Line]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception as exc:  # pypdf raises several types for bad passwords
                raise IngestError(path, "PDF 已加密，无法读取；请先解除密码保护") from exc
        lines: list[Line] = []
        for number, page in enumerate(reader.pages, start=1):
            text = page.extract_text() or ""
            lines.extend(Line(text=t.strip(), page=number) for t in text.splitlines())
        if not reader.pages:
            raise IngestError(path, "PDF 没有任何页面")
        return lines
    except IngestError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise IngestError(path, f"PDF 文件损坏或不完整（{type(exc).__name__}）") from exc


def _docx_lines(path: Path) -> list[Line]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise IngestError(path, "DOCX 文件损坏或不是 Word 文档") from exc
    lines: list[Line] = []
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        level = _docx_heading_level(style)
        lines.append(Line(text=text, heading_level=level))
    for table in document.tables:
        for row in table.rows:
            cells = [cell.text.strip() for cell in row.cells if cell.text.strip()]
            if cells:
                lines.append(Line(text="｜".join(dict.fromkeys(cells))))
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
