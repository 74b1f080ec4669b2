"""Ingest files into the index: incremental, idempotent, one bad file never stops the run.

Per file: hash the bytes; skip when the stored source has the same hash and is complete; else
parse, chunk and embed, then replace the source in SQLite (one transaction, status 'pending'),
write its vectors to Chroma, and mark it complete. A crash leaves at worst a 'pending' source,
which the next run redoes; SQLite is written before Chroma so no vector ever lacks its text.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from assistant.access import access_level
from assistant.errors import IngestError
from assistant.index import db, vectors
from assistant.index.store import Index
from assistant.ingest import scans
from assistant.ingest.catalogue import CATALOGUE_SUFFIXES, load_catalogue
from assistant.ingest.chunking import chunk_catalogue_row, chunk_document
from assistant.ingest.loaders import TEXT_SUFFIXES, load_document
from assistant.ingest.ocr import OcrPage
from assistant.models import CatalogueRow, Chunk, FileResult, IngestReport

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = TEXT_SUFFIXES | CATALOGUE_SUFFIXES | scans.IMAGE_SUFFIXES
Progress = Callable[[int, int, str], None]


@dataclass
class _Parsed:
    title: str
    year: int | None
    kind: str
    chunks: list[Chunk]
    rows: list[CatalogueRow] = field(default_factory=list)
    ocr: list[OcrPage] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # for FileResult.message
    warnings: list[str] = field(default_factory=list)  # also logged


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[FileResult]]:
    """Files to ingest under the given paths, and results for paths that cannot be."""
    files: list[Path] = []
    problems: list[FileResult] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                scans.source_of(p)  # page images of a 档号 folder are one source: the folder
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and p.suffix.lower() in SUPPORTED_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.is_file():
            if path.suffix.lower() in SUPPORTED_SUFFIXES:
                files.append(scans.source_of(path))
            else:
                problems.append(
                    FileResult(str(path), "failed", message=f"{path}: 不支持的文件类型 {path.suffix or '（无扩展名）'}")
                )
        else:
            problems.append(FileResult(str(path), "failed", message=f"{path}: 文件或目录不存在"))
    return list(dict.fromkeys(files)), problems


def ingest(index: Index, paths: Iterable[Path], progress: Progress | None = None) -> IngestReport:
    files, problems = discover(paths)
    report = IngestReport(files=problems)
    bar = tqdm(files, desc="导入", unit="文件", disable=len(files) < 2 or progress is not None)
    for number, path in enumerate(bar, start=1):
        if progress:
            progress(number - 1, len(files), path.name)
        result = ingest_file(index, path)
        if result.status == "failed":
            log.error(result.message)
        report.files.append(result)
    if progress:
        progress(len(files), len(files), "")
    return report


def ingest_file(index: Index, path: Path) -> FileResult:
    key = str(path.resolve())
    try:
        content_hash = scans.content_hash(path)  # a 档号 folder hashes its page images
    except OSError as exc:
        return FileResult(key, "failed", message=f"{path}: 无法读取文件（{exc.strerror or exc}）")
    stored = db.source_state(index.conn, key)
    if stored and stored[1] == content_hash and stored[2] == "complete":
        return FileResult(key, "unchanged")
    source_id = hashlib.sha256(key.encode()).hexdigest()[:16]
    try:
        parsed = _parse(index, path, source_id)
    except IngestError as exc:
        return FileResult(key, "failed", message=str(exc))
    chunks = parsed.chunks
    if not chunks:
        ocr = f"（已文字识别 {len(parsed.ocr)} 页，仍未识别出文字）" if parsed.ocr else ""
        return FileResult(key, "failed", message=f"{path}: 没有可提取的文字{ocr}")
    embeddings = _embed(index, chunks)
    with index.conn:  # one transaction: the old version goes, the new one comes as 'pending'
        index.conn.execute("BEGIN")
        db.delete_source(index.conn, source_id)
        db.insert_source(
            index.conn,
            source_id=source_id,
            path=key,
            name=path.name,
            kind=parsed.kind,
            content_hash=content_hash,
            title=parsed.title,
            year=parsed.year,
            chunks=chunks,
            rows=parsed.rows,
        )
        db.insert_ocr_pages(index.conn, source_id, [(p.page, p.confidence, p.chars) for p in parsed.ocr])
    # Every vector this source ever had goes, whichever version (or interrupted run) wrote it.
    vectors.delete_source(index.collection, source_id)
    vectors.upsert(index.collection, chunks, embeddings)
    db.mark_complete(index.conn, source_id)
    if parsed.rows:  # scans ingested before this catalogue now get their rows' access level
        scans.relink(index, parsed.rows)
    for warning in parsed.warnings:
        log.warning("%s: %s", path, warning)
    return FileResult(key, "ingested", chunks=len(chunks), message="；".join(parsed.notes + parsed.warnings))


def _parse(index: Index, path: Path, source_id: str) -> _Parsed:
    settings = index.settings
    if path.suffix.lower() in CATALOGUE_SUFFIXES:
        rows = load_catalogue(path)
        chunks = [chunk_catalogue_row(r, source_id, path.name, i) for i, r in enumerate(rows)]
        return _Parsed(path.stem, None, "catalogue", chunks, rows)
    if scans.is_scan_source(path):  # PDFs (textless pages are OCR'd), page images, 档号 folders
        scan = scans.load_scan(path, settings)
        link = scans.find_link(index.conn, scan.code) if scan.code else None
        doc, chunks = scans.scan_chunks(scan, link, source_id, path.name, settings)
        notes, warnings = scans.scan_notes(scan, link, settings)
        return _Parsed(doc.title, doc.year, doc.kind, chunks, ocr=scan.ocr, notes=notes, warnings=warnings)
    doc = load_document(path)
    access = access_level(settings.document_open_status, "")
    chunks = chunk_document(doc, source_id, path.name, access, settings.chunk_size, settings.chunk_min)
    return _Parsed(doc.title, doc.year, doc.kind, chunks)


def _embed(index: Index, chunks: list[Chunk]) -> list[list[float]]:
    texts = [c.embedding_text for c in chunks]
    batch = 2048
    if len(texts) <= batch:
        return index.embedder.embed_documents(texts, index.settings.embedding_batch_size)
    vectors_out: list[list[float]] = []
    for start in tqdm(range(0, len(texts), batch), desc="向量化", unit="批", leave=False):
        vectors_out.extend(
            index.embedder.embed_documents(texts[start : start + batch], index.settings.embedding_batch_size)
        )
    return vectors_out
