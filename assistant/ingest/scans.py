"""Sources that may be scans, and their link (挂接) to the catalogue row of their 档号.

A source is a PDF (any of its pages may lack a text layer), a page image (.jpg .png .tif …, a
multi-page TIFF being one page per frame), or a folder named by a 档号 holding page images:
page n is image n in name order (`0001.jpg`, `0002.jpg`; `2.jpg` sorts before `10.jpg`).

A source whose name or folder names a 档号 is the record of that 档号, whatever its format
(`38-1-0045.pdf`, `38-1-0045.tif`, `38-1-0045/0001.jpg`, and also `38-1-0045.docx`,
`38-1-0045(1).pdf`, `38-1-0045_扫描.pdf`, `全宗38-1-0045.pdf`, `38_1_0045.pdf`,
`38-1-0045 政审材料.pdf`, `38-1-0045/转录.txt`): its chunks carry the catalogue row's fonds, 档号
and access level, so a scan of a 控制使用 record is as invisible to a reader as its catalogue
row. When the name is not clear (two different 档号, or one shaped like a date, `2021-12-31`),
the source is not linked but fails closed: it gets the most restricted of those rows' levels
and the unlinked level (`RecordName.sure`), and the ingest result says so. When the row is not in the
catalogue yet the scan is "unlinked" and treated as `settings.unlinked_scan_open_status`
(未审核 by default: its real status is unknown). Ingesting a catalogue re-links the scans of its
rows (`relink`): their access level, fonds and 档号 follow the row from then on. Not redone on
re-link: the context header (title and year from the row), which the next change of the scan
file brings.

>>> code_of_name("38-1-0045")
'38-1-0045'
>>> code_of_name("2023年度工作总结") is None
True
>>> codes_of_name("全宗38_1_0045 政审材料(1)")
['38-1-0045']

Deliberately not handled: 档号 in folders above the file's own folder, and page images in
nested folders (only images directly inside a folder named exactly by a 档号 are its pages).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.access import access_level
from assistant.codes import clean_code_text, code_key, codes_in, fonds_of
from assistant.errors import IngestError
from assistant.index import labels
from assistant.index.catalogue import Link, link_of
from assistant.index.sqlite import Connection
from assistant.ingest.chunking import chunk_document
from assistant.ingest.loaders import document_of, load_document
from assistant.ingest.ocr import OcrPage, PageRef, ocr_pages
from assistant.ingest.ocr_layout import text_chars
from assistant.models import CatalogueRow, Chunk, Line, LoadedDocument

if TYPE_CHECKING:
    from assistant.index.store import Index
    from assistant.settings import Settings

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff"}
SCAN_SUFFIXES = IMAGE_SUFFIXES | {".pdf"}


@dataclass(frozen=True)
class RecordName:
    """The 档号 a source's name or folder names: `codes` as found (cleaned), `sure` when they
    are one 档号 that is not shaped like a date."""

    codes: tuple[str, ...] = ()
    sure: bool = True

    @property
    def code(self) -> str | None:
        """The 档号 this source is the record of; None when there is none or it is unclear."""
        return self.codes[0] if self.codes and self.sure else None


@dataclass(frozen=True)
class Scan:
    """A loaded source: its document (text layer and OCR merged), the pages OCR'd, its 档号."""

    doc: LoadedDocument
    ocr: list[OcrPage]
    name: RecordName

    @property
    def code(self) -> str | None:
        return self.name.code


# ---- which files make a source, and its 档号 ------------------------------------------------------


def code_of_name(name: str) -> str | None:
    """The 档号 a file or folder name is, as written; None when the name is anything else."""
    found = codes_in(name)
    return name.strip() if len(found) == 1 and found[0] == clean_code_text(name).strip() else None


def codes_of_name(name: str) -> list[str]:
    """档号 written anywhere in a file or folder name, `_` read as `-` between code parts."""
    name = re.sub(r"(?<=[0-9A-Za-z])_(?=[0-9A-Za-z])", "-", name).replace("_", " ")
    return list(dict.fromkeys(codes_in(name)))


_DATE_SHAPED = re.compile(r"(?:19|20)\d{2}-(?:0?[1-9]|1[0-2])-(?:0?[1-9]|[12]\d|3[01])")


def record_name(path: Path) -> RecordName:
    """The 档号 a source is the record of: in its own name, else in the folder it lies in."""
    own = path.name if path.is_dir() else path.stem
    codes = codes_of_name(own) or ([] if path.is_dir() else codes_of_name(path.parent.name))
    keys = {code_key(code) for code in codes}
    sure = len(keys) == 1 and not _DATE_SHAPED.fullmatch(codes[0]) if codes else True
    return RecordName(tuple(codes), sure)


def source_of(path: Path) -> Path:
    """The source a file belongs to: a page image in a 档号 folder is a page of the folder."""
    if path.suffix.lower() in IMAGE_SUFFIXES and code_of_name(path.parent.name):
        return path.parent
    return path


def is_scan_source(path: Path) -> bool:
    return path.is_dir() or path.suffix.lower() in SCAN_SUFFIXES


def folder_images(folder: Path) -> list[Path]:
    """The page images of a 档号 folder in page order (natural name order)."""
    images = [
        p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
    ]
    return sorted(images, key=lambda p: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p.name.lower())])


def content_hash(path: Path) -> str:
    """sha256 of a file, or of a 档号 folder's page images (their names and bytes, in order)."""
    if not path.is_dir():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    digest = hashlib.sha256()
    for image in folder_images(path):
        digest.update(f"{image.name}\0".encode())
        digest.update(hashlib.sha256(image.read_bytes()).digest())
    return digest.hexdigest()


# ---- loading ---------------------------------------------------------------------------------


def load_scan(path: Path, settings: Settings) -> Scan:
    """A PDF with its textless pages OCR'd, or page images OCR'd (an image file or a 档号 folder)."""
    if path.suffix.lower() == ".pdf":
        doc, pages = _pdf_document(path, settings)
    else:
        pages = ocr_pages(_image_refs(path, settings.max_pages), settings)
        doc = document_of(path, _ocr_lines(pages))
    return Scan(doc, pages, record_name(path))


def load_record(path: Path, settings: Settings) -> Scan:
    """Any other document (DOCX, OFD, text …) with the 档号 its name gives, read like a scan's
    text layer: a record named by its 档号 is linked to its catalogue row whatever its format."""
    return Scan(load_document(path, settings), [], record_name(path))


def _pdf_document(path: Path, settings: Settings) -> tuple[LoadedDocument, list[OcrPage]]:
    doc = load_document(path, settings)  # the text layer (refuses more than max_pages pages)
    chars = Counter[int]()
    for line in doc.lines:
        chars[line.page or 0] += text_chars(line.text)
    scanned = [p for p in range(1, _pdf_page_count(path) + 1) if chars[p] < settings.ocr_min_text_chars]
    if not scanned:
        return doc, []
    read = ocr_pages([PageRef(str(path), p - 1, p, is_pdf=True) for p in scanned], settings)
    # OCR replaces a page's few text-layer lines (a header, say: OCR reads it too), unless it
    # found less than they hold (a cover with a short title over a blank page).
    pages = [page for page in read if page.chars >= chars[page.page]]
    replaced = {page.page for page in pages}
    kept = [line for line in doc.lines if line.page not in replaced]
    lines = sorted([*kept, *_ocr_lines(pages)], key=lambda line: line.page or 0)  # stable: order within a page stays
    return document_of(path, lines), pages


def _pdf_page_count(path: Path) -> int:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(path)
    except (pdfium.PdfiumError, OSError) as exc:
        raise IngestError(path, f"PDF 文件损坏或不完整（{exc}）") from exc
    try:
        return len(pdf)
    finally:
        pdf.close()


def _image_refs(path: Path, max_pages: int) -> list[PageRef]:
    files = folder_images(path) if path.is_dir() else [path]
    if not files:
        raise IngestError(path, "文件夹中没有页面图像（.jpg .png .tif）")
    refs: list[PageRef] = []
    for file in files:
        for frame in range(_frame_count(file)):
            refs.append(PageRef(str(file), frame, len(refs) + 1, is_pdf=False))
            if len(refs) > max_pages:
                raise IngestError(path, f"页数过多（超过 {max_pages} 页，见设置 max_pages），请拆分后再导入")
    return refs


def page_ref(path: Path, page: int, max_pages: int) -> PageRef | None:
    """Page `page` (1-based) of a scan source (a PDF, an image file or a 档号 folder) as OCR reads
    it, or None when the source has no such page."""
    if path.suffix.lower() == ".pdf":
        return PageRef(str(path), page - 1, page, is_pdf=True)
    refs = _image_refs(path, max_pages)
    return refs[page - 1] if 1 <= page <= len(refs) else None


def _frame_count(path: Path) -> int:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return getattr(image, "n_frames", 1)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError, SyntaxError) as exc:
        raise IngestError(path, f"图像文件损坏或格式无法识别（{type(exc).__name__}）") from exc


def _ocr_lines(pages: Sequence[OcrPage]) -> list[Line]:
    return [
        Line(text=paragraph, page=page.page, table="" if n in page.table_rows else None)
        for page in pages
        for n, paragraph in enumerate(page.paragraphs)
    ]


# ---- chunks, linked to the catalogue -----------------------------------------------------------


def unsure_level(conn: Connection, name: RecordName, settings: Settings) -> int | None:
    """For a name whose 档号 is unclear: the most restricted of its rows' levels and the
    unlinked level (fail closed). None when the name is clear or names no 档号."""
    if name.sure or not name.codes:
        return None
    levels = [access_level(settings.unlinked_scan_open_status, "")]
    levels.extend(link.access_level for code in name.codes if (link := link_of(conn, code)))
    return max(levels)


def scan_chunks(
    scan: Scan,
    link: Link | None,
    source_id: str,
    source_name: str,
    settings: Settings,
    unsure_level: int | None = None,
) -> tuple[LoadedDocument, list[Chunk]]:
    """Chunks of a scan; one named by a 档号 is a record (kind 'text') carrying its row's
    fonds, 档号 and access level, or, unlinked, the level for unlinked scans. A name whose
    档号 is unclear gives `unsure_level` at least (see `unsure_level`)."""
    doc = scan.doc
    if scan.code is None:
        access = access_level(settings.document_open_status, "")
        if unsure_level is not None:  # a 档号 in the name, but which record is unclear
            access = max(access, unsure_level)
        return doc, chunk_document(doc, source_id, source_name, access, settings.chunk_size, settings.chunk_min)
    doc = replace(doc, kind="text")
    if link:
        doc = replace(doc, title=f"{link.archival_code} {link.title}".strip(), year=link.year or doc.year)
    access = link.access_level if link else access_level(settings.unlinked_scan_open_status, "")
    chunks = chunk_document(doc, source_id, source_name, access, settings.chunk_size, settings.chunk_min)
    fonds = (link.fonds if link else None) or fonds_of(scan.code)
    archival_code, key = (link.archival_code if link else scan.code), code_key(scan.code)
    linked = [
        replace(chunk, fonds=fonds, archival_code=archival_code, code_key=key, access_level=access) for chunk in chunks
    ]
    return doc, linked


def scan_notes(scan: Scan, link: Link | None, settings: Settings) -> tuple[list[str], list[str]]:
    """(notes, warnings) for the ingest result: pages OCR'd, pages to check, the catalogue link."""
    notes: list[str] = []
    warnings: list[str] = []
    if scan.ocr:
        cached = sum(page.cached for page in scan.ocr)
        read = [page for page in scan.ocr if page.chars]
        mean = sum(page.confidence for page in read) / len(read) if read else 0.0
        notes.append(f"文字识别 {len(scan.ocr)} 页（其中缓存 {cached} 页），平均置信度 {mean:.2f}")
        low = [page for page in read if page.confidence < settings.ocr_min_confidence]
        if low:
            where = "、".join(f"第 {page.page} 页（{page.confidence:.2f}）" for page in low)
            warnings.append(f"{where}识别置信度低于 {settings.ocr_min_confidence:.2f}，请人工核对")
        if blank := [str(page.page) for page in scan.ocr if not page.chars]:
            notes.append(f"第 {'、'.join(blank)} 页未识别出文字（空白页？）")
    if scan.name.codes and not scan.name.sure:
        warnings.append(
            f"文件名含档号 {'、'.join(scan.name.codes)}，但无法确定是哪一条档案，未挂接，按最严格的访问级别处理；"
            "请按档号重命名（如 38-1-0045.pdf）或放入以档号命名的文件夹"
        )
    if scan.code and link:
        notes.append(f"已挂接目录条目 {link.archival_code}")
    elif scan.code:
        warnings.append(
            f"未挂接：目录中还没有档号 {scan.code}，暂按「{settings.unlinked_scan_open_status}」处理；"
            "导入含该档号的目录后会自动挂接"
        )
    return notes, warnings


# ---- re-linking when the catalogue arrives ----------------------------------------------------


def relink(index: Index, rows: Sequence[CatalogueRow]) -> int:
    """Give the scans of these catalogue rows the rows' fonds, 档号 and access level (in SQLite
    and in Chroma's filter metadata). Returns how many chunks changed."""
    keys = sorted({row.code_key for row in rows if row.code_key})
    changed = _relinked(index.conn, labels.record_chunks(index.conn, keys))
    labels.relabel(index, changed)
    return len(changed)


def _relinked(conn: Connection, chunks: Sequence[Chunk]) -> list[Chunk]:
    """Those chunks whose catalogue row gives them other labels, with those labels."""
    out = []
    for chunk in chunks:
        link = link_of(conn, chunk.code_key or "")
        if link is None:
            continue
        fonds = link.fonds or chunk.fonds
        if (chunk.fonds, chunk.archival_code, chunk.access_level) != (fonds, link.archival_code, link.access_level):
            out.append(replace(chunk, fonds=fonds, archival_code=link.archival_code, access_level=link.access_level))
    return out
