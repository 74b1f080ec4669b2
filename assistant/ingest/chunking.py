"""Chinese-aware chunking: headings, then sentences, packed into bounded chunks.

Every chunk belongs to one page and one section, and carries a context header (document title,
year, section path) that is embedded and indexed with it, so that reports of different years
with identical headings stay apart in retrieval:

    《2023年度部门整体支出绩效评价报告》2023年 · 二、一般公共预算支出情况 > （一）基本支出

PDF lines are layout lines (a sentence wraps over several), so they are joined until a sentence
end; DOCX, Markdown and text lines are paragraphs. A table row (`Line.table` set, see
`assistant.ingest.tables`) is a paragraph of its own and a line of its own in the chunk text, so
the answerer quotes the whole row ("指标：预算执行率｜…｜得分：9") and nothing beside it; its table's
caption is the last part of its section path, so a chunk of rows is headed by the table's name:

    《2023年度部门整体支出绩效评价报告》2023年 · 六、部门整体支出绩效情况 > 表1 部门整体支出绩效自评表

Deliberately not handled: tables laid out as columns in a PDF without rules (they come out as
lines of cells, which is still searchable).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

from assistant.ingest.catalogue import row_text
from assistant.models import CatalogueRow, Chunk, LoadedDocument
from assistant.text.sentences import SENTENCE_END, SENTENCE_ENDS
from assistant.text.years import DocumentYears, section_years

# Heading numbering, outermost first: 一、  （一）  1.  （1）
_HEADING_PATTERNS = (
    re.compile(r"^[一二三四五六七八九十百]+[、．.]"),
    re.compile(r"^[（(][一二三四五六七八九十]+[)）]"),
    re.compile(r"^\d{1,2}[、．.](?!\d)"),
    re.compile(r"^[（(]\d{1,2}[)）]"),
    re.compile(r"^第[一二三四五六七八九十百\d]+[章节部分]"),
)
_HEADING_MAX_CHARS = 32
_ROW_MAX = 4  # a table row longer than this many chunk sizes is cut
_ASCII_WORD_END = re.compile(r"[A-Za-z0-9%.,]$")
_ASCII_WORD_START = re.compile(r"^[A-Za-z0-9]")


@dataclass
class _Paragraph:
    text: str
    page: int | None
    section: tuple[str, ...]
    row: bool = False  # a table row: never joined with its neighbours on one line


def chunk_id(source_id: str, locator: str, text: str) -> str:
    """Stable id from source, place and content: re-ingesting the same file gives the same ids."""
    return hashlib.sha256(f"{source_id}\x1f{locator}\x1f{text}".encode()).hexdigest()[:32]


def heading_level(text: str) -> int | None:
    """The level of a Chinese numbered heading line, or None for body text."""
    stripped = text.strip()
    if len(stripped) > _HEADING_MAX_CHARS or stripped.endswith(("。", "；", "，", ",", ";")):
        return None
    if "。" in stripped[:-1]:  # "1.库房容量趋于饱和。现有…": a list item's lead-in, wrapped by the PDF
        return None
    for level, pattern in enumerate(_HEADING_PATTERNS, start=1):
        if pattern.match(stripped):
            return level
    return None


def document_header(doc: LoadedDocument, section: tuple[str, ...], years: tuple[int, ...] = ()) -> str:
    """《title》issuer 2023年 · section path: what the chunk is, who wrote it, which year it is about."""
    shown = years or ((doc.year,) if doc.year else ())
    year = "、".join(str(y) for y in shown) + "年 " if shown else ""
    issuer = f"{doc.issuer} " if doc.issuer and doc.issuer not in doc.title else ""
    path = " > ".join(section)
    head = f"《{doc.title}》{issuer}{year}"
    return f"{head}· {path}" if path else head.rstrip()


def document_dating(doc: LoadedDocument) -> DocumentYears:
    return DocumentYears(covered=doc.year, published=doc.published, plan=doc.plan_year)


def chunk_document(
    doc: LoadedDocument, source_id: str, source_name: str, access: int, size: int, minimum: int
) -> list[Chunk]:
    chunks: list[Chunk] = []
    dating = document_dating(doc)
    for paragraph_group in _section_groups(_paragraphs(doc)):
        first = paragraph_group[0]
        years = section_years(" > ".join(first.section), dating)
        for text in _pack(paragraph_group, size, minimum):
            ordinal = len(chunks)
            chunks.append(
                Chunk(
                    id=chunk_id(source_id, f"p{first.page}#{ordinal}", text),
                    source_id=source_id,
                    source_name=source_name,
                    kind=doc.kind,
                    ordinal=ordinal,
                    text=text,
                    header=document_header(doc, first.section, years),
                    section=" > ".join(first.section),
                    page=first.page,
                    fonds=None,
                    archival_code=None,
                    code_key=None,
                    year=doc.year,
                    access_level=access,
                    context_years=years,
                    published=doc.published,
                )
            )
    return chunks


def chunk_catalogue_row(row: CatalogueRow, source_id: str, source_name: str, ordinal: int) -> Chunk:
    text = row_text(row)
    return Chunk(
        id=chunk_id(source_id, f"{row.sheet}!{row.row_number}", text),
        source_id=source_id,
        source_name=source_name,
        kind="catalogue",
        ordinal=ordinal,
        text=text,
        header=f"{row.fonds or ''} {row.sheet}".strip(),
        section=row.sheet,
        page=None,
        fonds=row.fonds,
        archival_code=row.archival_code,
        code_key=row.code_key,
        year=row.year,
        access_level=row.access_level,
        context_years=(row.year,) if row.year else (),
    )


def _paragraphs(doc: LoadedDocument) -> Iterator[_Paragraph]:
    """Lines → paragraphs with their section path; headings update the path.

    A sentence cut by a page break ends its page's paragraph and is repeated, whole, at the start
    of the next page: the figure that completes it ("…，比 | 上年减少19.34万元") is then quotable
    and cited on the page where it is printed, while the first page keeps what it printed.
    """
    section: list[tuple[int, str]] = []
    buffer: list[str] = []
    page: int | None = None

    def flush() -> Iterator[_Paragraph]:
        if buffer:
            yield _Paragraph("".join(buffer), page, tuple(title for _, title in section))
            buffer.clear()

    for line in doc.lines:
        text = line.text.strip()
        if line.table is not None:
            yield from flush()
            page = line.page
            caption = (line.table,) if line.table else ()
            yield _Paragraph(text, line.page, tuple(title for _, title in section) + caption, row=True)
            continue
        level = line.heading_level or heading_level(text)
        carry = ""
        if level is None and line.page != page and page is not None:
            carry = _unfinished_sentence("".join(buffer))
        if level is not None or line.page != page:
            yield from flush()
            page = line.page
        if level is not None:
            section = [(lvl, title) for lvl, title in section if lvl < level] + [(level, text)]
            continue
        if carry:
            buffer.append(carry)
        if buffer and _ASCII_WORD_END.search(buffer[-1]) and _ASCII_WORD_START.match(text):
            buffer.append(" ")
        buffer.append(text)
        # A PDF line that does not end a sentence is a wrapped line: keep joining.
        if line.page is None or text.endswith(SENTENCE_ENDS):
            yield from flush()
    yield from flush()


def _unfinished_sentence(text: str) -> str:
    """The tail of `text` after its last sentence end ('' when it ends a sentence)."""
    if not text or text.endswith(SENTENCE_ENDS):
        return ""
    cut = max(text.rfind(mark) for mark in SENTENCE_ENDS)
    return text[cut + 1 :]


def _section_groups(paragraphs: Iterator[_Paragraph]) -> Iterator[list[_Paragraph]]:
    """Consecutive paragraphs that share a section and a page."""
    group: list[_Paragraph] = []
    for paragraph in paragraphs:
        if group and (paragraph.section, paragraph.page) != (group[0].section, group[0].page):
            yield group
            group = []
        group.append(paragraph)
    if group:
        yield group


def _pack(group: list[_Paragraph], size: int, minimum: int) -> Iterator[str]:
    """Sentences packed into chunks of at most `size` characters (a longer sentence is cut)."""
    current = ""
    after_row = False
    for paragraph in group:
        if paragraph.row:  # whole, on a line of its own (cut only when absurdly long)
            if current and len(current) + len(paragraph.text) > size:
                yield current
                current = ""
            current += ("\n" if current else "") + paragraph.text[: _ROW_MAX * size]
            after_row = True
            continue
        for sentence in _sentences(paragraph.text, size):
            if current and len(current) + len(sentence) > size:
                yield current
                current = ""
            current += ("\n" if current and after_row else "") + sentence
            after_row = False
        # A paragraph end is a good place to cut once the chunk is big enough.
        if len(current) >= minimum * 3:
            yield current
            current = ""
    if current:
        yield current


def _sentences(text: str, size: int) -> Iterator[str]:
    for sentence in SENTENCE_END.split(text):
        sentence = sentence.strip()
        while len(sentence) > size:
            yield sentence[:size]
            sentence = sentence[size:]
        if sentence:
            yield sentence
