"""Ingest files into the index: incremental, idempotent, one bad file never stops the run.

Per file: check its size against `max_file_mb`, hash the bytes; skip when the stored source has
the same hash and is complete; else parse and chunk. Chunks of several files are embedded
together; then each file replaces its source in SQLite (one transaction, status 'pending'),
writes its vectors to Chroma, re-links the records of its catalogue rows, and is marked
complete. A crash leaves at worst a 'pending' source, which the next run redoes (re-linking
included); SQLite is written before Chroma so no vector ever lacks its text.

Whatever goes wrong inside one file (our `IngestError`, or any exception a parser raises on a
hostile file: zlib.error, XMLSyntaxError, RecursionError …) becomes a failed `FileResult` with a
Chinese sentence naming the file; the other files are stored. Symbolic links inside a folder are
not followed (one could point outside the folder, or shadow a record under another 档号), and a
file name that is not valid UTF-8 (a GBK name unpacked on Linux) is named and skipped.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from tqdm import tqdm

from assistant.errors import IndexMismatchError, IngestError
from assistant.index import db, figures, library, vectors
from assistant.index.catalogue import link_of
from assistant.index.sqlite import transaction
from assistant.index.store import Index
from assistant.ingest import levels, scans
from assistant.ingest.catalogue import CATALOGUE_SUFFIXES, read_catalogue
from assistant.ingest.chunking import chunk_catalogue_row
from assistant.ingest.figures import figures_of
from assistant.ingest.loaders import TEXT_SUFFIXES
from assistant.ingest.ocr import OcrPage, worker_pool
from assistant.models import AccessChoice, CatalogueRow, Chunk, FileResult, IngestReport
from assistant.text.encodings import CHINESE_FALLBACK

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = TEXT_SUFFIXES | CATALOGUE_SUFFIXES | scans.IMAGE_SUFFIXES


def upload_suffixes() -> list[str]:
    """The suffixes ingest reads, for a file picker (`.pdf`, `.docx`, `.ofd`, `.xls`, `.jpg` …)."""
    return sorted(SUPPORTED_SUFFIXES)


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
    issuer: str = ""  # the body that wrote it (青山县档案馆), when the document says


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[FileResult]]:
    """Files to ingest under the given paths, and results for paths that cannot be."""
    files: list[Path] = []
    problems: list[FileResult] = []
    for path in paths:
        if problem := _bad_name(path):
            problems.append(problem)
        elif path.is_dir() and not path.is_symlink():
            _discover_folder(path, files, problems)
        elif path.is_file():
            path = path.resolve() if path.is_symlink() else path  # named by the user: its target, under its own name
            if path.suffix.lower() in SUPPORTED_SUFFIXES:
                files.append(scans.source_of(path))
            else:
                problems.append(_failed(path, f"不支持的文件类型 {path.suffix or '（无扩展名）'}"))
        elif path.is_symlink() or path.exists():
            problems.append(_failed(path, _not_a_file(path)))
        else:
            problems.append(_failed(path, "文件或目录不存在"))
    return list(dict.fromkeys(files)), problems


def _discover_folder(folder: Path, files: list[Path], problems: list[FileResult]) -> None:
    for p in sorted(folder.rglob("*")):  # rglob does not descend into linked folders
        relative = p.relative_to(folder).parts
        if any(part.startswith(".") for part in relative):
            continue
        if problem := _bad_name(p):
            problems.append(problem)
        elif p.suffix.lower() not in SUPPORTED_SUFFIXES:
            continue
        elif p.is_symlink() and p.exists():
            problems.append(_failed(p, "是符号链接，已跳过（导入时不跟随链接；请直接导入它指向的文件）"))
        elif p.is_file():
            files.append(scans.source_of(p))  # page images of a 档号 folder are one source: the folder
        else:
            problems.append(_failed(p, _not_a_file(p)))


def _bad_name(path: Path) -> FileResult | None:
    """A name that is not valid text (bytes Linux kept from a GBK archive) cannot be stored or shown."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(path).decode(CHINESE_FALLBACK, errors="replace")
        return FileResult(
            shown, "failed", message=f"{shown}: 文件名不是 UTF-8 编码（可能是 GBK 编码的文件名），请重命名后再导入"
        )
    return None


def _failed(path: Path, reason: str) -> FileResult:
    return FileResult(str(path), "failed", message=f"{path}: {reason}")


def _not_a_file(path: Path) -> str:
    """Why an entry named like a source is skipped; decided from its type alone, never by opening
    it (opening a FIFO for reading waits for a writer forever)."""
    if not path.exists():
        return "符号链接指向的文件不存在，无法读取"
    if path.is_dir():
        return "是文件夹而不是文件，已跳过"
    return "不是普通文件（管道、套接字或设备文件），无法读取，已跳过"


@worker_pool()  # one pool of OCR processes for every scanned document of the run
def ingest(
    index: Index,
    paths: Iterable[Path],
    progress: Progress | None = None,
    choice: AccessChoice | None = None,
    added_by: str | None = None,
) -> IngestReport:
    """Ingest every file under `paths`, catalogues first; results come back in that order.

    Parsed files wait in a batch until about `EMBED_BATCH` chunks are ready, so the model embeds
    many small files in one call (twice the texts/s of one call per file, docs/benchmarks/ingest.md);
    each file is still written and marked complete on its own, so a crash loses at most the batch.

    `choice` is the open status and 密级 the person chose for these files (documents and scans;
    a catalogue's rows keep their own): recorded by path before anything is parsed, so no chunk
    is ever stored at a looser level, and applied at the end to files skipped as unchanged.
    `added_by` names who added them (the library shows it).
    """
    if index.stale:
        raise IndexMismatchError(
            f"索引 {index.settings.index_dir} 由旧版本建立（{'、'.join(index.stale)}已更新），"
            "新文件不能与旧内容混在一起："
            f"请先运行 archive-assistant --index-dir {index.settings.index_dir} reindex 按新版本重建，再导入。"
        )
    levels.reapply_if_settings_changed(index)  # a tightened open-status setting reaches stored files
    files, problems = discover(paths)
    chosen = _record_choice(index, files, choice, added_by)
    # Catalogues first: a scan named by its 档号 then finds its row (access level, fonds) at once.
    files.sort(key=lambda path: path.suffix.lower() not in CATALOGUE_SUFFIXES)
    results: list[FileResult | None] = [None] * len(files)
    waiting: list[tuple[int, _Ready]] = []

    def write_waiting() -> None:
        for slot, result in zip((n for n, _ in waiting), _write_batch(index, [r for _, r in waiting]), strict=True):
            results[slot] = result
        waiting.clear()

    bar = tqdm(files, desc="导入", unit="文件", disable=len(files) < 2 or progress is not None)
    for number, path in enumerate(bar):
        if progress:
            progress(number, len(files), path.name)
        if waiting and path.suffix.lower() not in CATALOGUE_SUFFIXES and any(r.parsed.rows for _, r in waiting):
            write_waiting()  # a record is linked to its catalogue row, which must be stored first
        prepared = _prepare(index, path)
        if isinstance(prepared, FileResult):
            results[number] = prepared
            continue
        waiting.append((number, prepared))
        if sum(len(r.parsed.chunks) for _, r in waiting) >= EMBED_BATCH:
            write_waiting()
    write_waiting()
    if chosen:
        levels.reapply_chosen(index, chosen)  # unchanged files take the level chosen now
    if progress:
        progress(len(files), len(files), "")
    report = IngestReport(files=problems + [r for r in results if r is not None])
    for result in report.failed:
        log.error(result.message)
    return report


def _record_choice(index: Index, files: list[Path], choice: AccessChoice | None, added_by: str | None) -> list[str]:
    """Record who added the files and the access chosen for those that are not catalogues; returns
    the paths given a choice."""
    chosen = []
    for path in files:
        key = str(path.resolve())
        if choice is not None and path.suffix.lower() not in CATALOGUE_SUFFIXES:
            library.choose_access(index.conn, key, choice.open_status, choice.classification, added_by)
            chosen.append(key)
        elif added_by is not None:
            library.note_added_by(index.conn, key, added_by)
    return chosen


EMBED_BATCH = 512  # chunks per embedding call across files; 50k-row catalogues still go in 2048s


@dataclass
class _Ready:
    """A file parsed and chunked, waiting for its vectors."""

    path: Path
    key: str
    source_id: str
    content_hash: str
    parsed: _Parsed


def ingest_file(index: Index, path: Path) -> FileResult:
    prepared = _prepare(index, path)
    return prepared if isinstance(prepared, FileResult) else _write_batch(index, [prepared])[0]


def _prepare(index: Index, path: Path) -> _Ready | FileResult:
    """The file parsed and chunked, or its result when it is unchanged or cannot be ingested."""
    try:
        return _prepare_file(index, path)
    except IngestError as exc:
        return FileResult(str(path), "failed", message=str(exc))
    except Exception as exc:  # a parser's own error on a hostile file: this file fails, the run goes on
        log.warning("ingest of %s failed", path, exc_info=True)
        reason = f"文件损坏或格式异常，无法读取（{type(exc).__name__}），已跳过"
        return FileResult(str(path), "failed", message=f"{path}: {reason}")


def _prepare_file(index: Index, path: Path) -> _Ready | FileResult:
    key = str(path.resolve())
    try:
        size = _size(path)
        limit = index.settings.max_file_mb * 2**20
        if size > limit:  # before hashing: hashing a 2 GB export alone takes seconds
            return FileResult(
                key,
                "failed",
                message=f"{path}: 文件过大（{size / 2**20:.0f} MB，上限 {index.settings.max_file_mb:.0f} MB，"
                "见设置 max_file_mb），请拆分后再导入",
            )
        content_hash = scans.content_hash(path)  # a 档号 folder hashes its page images
    except OSError as exc:
        return FileResult(key, "failed", message=f"{path}: 无法读取文件（{exc.strerror or exc}）")
    stored = db.source_state(index.conn, key)
    if stored and stored[1] == content_hash and stored[2] == "complete":
        return FileResult(key, "unchanged")
    source_id = hashlib.sha256(key.encode()).hexdigest()[:16]
    try:
        parsed = _parse(index, path, source_id, key)
    except IngestError as exc:
        return FileResult(key, "failed", message=str(exc))
    if not parsed.chunks:
        ocr = f"（已文字识别 {len(parsed.ocr)} 页，仍未识别出文字）" if parsed.ocr else ""
        return FileResult(key, "failed", message=f"{path}: 没有可提取的文字{ocr}")
    return _Ready(path, key, source_id, content_hash, parsed)


def _size(path: Path) -> int:
    """Bytes of a file, or of a 档号 folder's page images."""
    if path.is_dir():
        return sum(image.stat().st_size for image in scans.folder_images(path))
    return path.stat().st_size


def _write_batch(index: Index, batch: list[_Ready]) -> list[FileResult]:
    """Embed the batch's chunks in one go, then store each file on its own."""
    embeddings = embed_chunks(index, [c for ready in batch for c in ready.parsed.chunks])
    results: list[FileResult] = []
    start = 0
    for ready in batch:
        count = len(ready.parsed.chunks)
        results.append(_store(index, ready, embeddings[start : start + count]))
        start += count
    return results


def _store(index: Index, ready: _Ready, embeddings: list[list[float]]) -> FileResult:
    parsed, source_id = ready.parsed, ready.source_id
    with transaction(index.conn):  # the old version goes, the new one comes as 'pending'
        db.delete_source(index.conn, source_id)
        db.insert_source(
            index.conn,
            source_id=source_id,
            path=ready.key,
            name=ready.path.name,
            kind=parsed.kind,
            content_hash=ready.content_hash,
            title=parsed.title,
            year=parsed.year,
            chunks=parsed.chunks,
            issuer=parsed.issuer,
            rows=parsed.rows,
        )
        db.insert_ocr_pages(index.conn, source_id, [(p.page, p.confidence, p.chars) for p in parsed.ocr])
        figures.insert_figures(index.conn, source_id, [f for chunk in parsed.chunks for f in figures_of(chunk)])
    # Every vector this source ever had goes, whichever version (or interrupted run) wrote it.
    vectors.delete_source(index.collection, source_id)
    vectors.upsert(index.collection, parsed.chunks, embeddings)
    if parsed.rows:  # records ingested before this catalogue now get their rows' access level
        scans.relink(index, parsed.rows)  # before 'complete': a crash here makes the next run redo it
    db.mark_complete(index.conn, source_id)
    for warning in parsed.warnings:
        log.warning("%s: %s", ready.path, warning)
    message = "；".join(parsed.notes + parsed.warnings)
    return FileResult(ready.key, "ingested", chunks=len(parsed.chunks), message=message)


def _parse(index: Index, path: Path, source_id: str, key: str) -> _Parsed:
    settings = index.settings
    if path.suffix.lower() in CATALOGUE_SUFFIXES:
        catalogue = read_catalogue(path, settings)
        chunks = [chunk_catalogue_row(r, source_id, path.name, i) for i, r in enumerate(catalogue.rows)]
        return _Parsed(path.stem, None, "catalogue", chunks, catalogue.rows, warnings=catalogue.warnings)
    # PDFs (textless pages are OCR'd), page images, 档号 folders; any other document is read as
    # it is, and linked to its catalogue row when its name or folder names a 档号.
    scan = scans.load_scan(path, settings) if scans.is_scan_source(path) else scans.load_record(path, settings)
    link = link_of(index.conn, scan.code) if scan.code else None
    unsure = scans.unsure_level(index.conn, scan.name, settings)
    doc, chunks = scans.scan_chunks(scan, link, source_id, path.name, settings, unsure)
    if levels.chosen_level(index.conn, key) is not None:  # a person chose its open status and 密级
        level = levels.expected_level(index.conn, key, settings)
        chunks = [replace(chunk, access_level=level) for chunk in chunks]
    notes, warnings = scans.scan_notes(scan, link, settings)
    return _Parsed(
        doc.title, doc.year, doc.kind, chunks, ocr=scan.ocr, notes=notes, warnings=warnings, issuer=doc.issuer
    )


def embed_chunks(index: Index, chunks: list[Chunk]) -> list[list[float]]:
    """Vectors in chunk order. Catalogue titles (short, even) and passages (longer, mixed) are
    embedded apart, each with the batch size that suits it (docs/benchmarks/ingest.md)."""
    settings = index.settings
    by_position: dict[int, list[float]] = {}
    for is_row, batch_size in ((True, settings.catalogue_embedding_batch_size), (False, settings.embedding_batch_size)):
        positions = [n for n, c in enumerate(chunks) if (c.kind == "catalogue") == is_row]
        texts = [chunks[n].embedding_text for n in positions]
        by_position.update(zip(positions, _embed_texts(index, texts, batch_size), strict=True))
    return [by_position[n] for n in range(len(chunks))]


def _embed_texts(index: Index, texts: list[str], batch_size: int) -> list[list[float]]:
    step = 2048  # a progress bar for large catalogues
    if len(texts) <= step:
        return index.embedder.embed_documents(texts, batch_size) if texts else []
    vectors_out: list[list[float]] = []
    for start in tqdm(range(0, len(texts), step), desc="向量化", unit="批", leave=False):
        vectors_out.extend(index.embedder.embed_documents(texts[start : start + step], batch_size))
    return vectors_out
