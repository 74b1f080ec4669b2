"""Opening the index: SQLite and Chroma side by side, checked against the embedding model.

An index folder that cannot be written (read-only, full disk, no permission) is one sentence
(`StorageError`) naming the folder and what to check, not a traceback from SQLite or Chroma.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import chromadb
import chromadb.errors

from assistant.errors import IndexMismatchError, storage_error
from assistant.index import audit_log, conversations, db, identity, vectors
from assistant.index.embeddings import Embedder, load_embedder
from assistant.index.term_counts import TermCounts
from assistant.settings import Settings


@dataclass
class Index:
    db_path: Path
    collection: chromadb.Collection
    embedder: Embedder
    settings: Settings
    # Pipeline stages (in Chinese) that another release ran on the stored text: the index then
    # answers as before but takes no new files until `reindex` rebuilds it (index/identity.py).
    stale: list[str] = field(default_factory=list)
    term_counts: TermCounts = field(default_factory=TermCounts, repr=False)
    _local: threading.local = field(default_factory=threading.local, repr=False)

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's SQLite connection. The UI answers from several threads while an upload
        is being ingested; with one connection each (WAL), a question never sees the rows of an
        ingest transaction that has not committed."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = db.connect(self.db_path)
        return conn


MODEL_KEY = "embedding_model"  # meta: the model whose vectors the index holds
REINDEX_KEY = "reindex_target"  # meta: the model a `reindex` that has not finished is moving to


def open_index(settings: Settings, embedder: Embedder | None = None, *, reindexing: bool = False) -> Index:
    """The index the settings name, its vectors those of `embedder` (by default the configured
    model, or its fallback). `reindexing` opens it even though the index holds another model's
    vectors: `reindex` is what then replaces them."""
    embedder = embedder or load_embedder(settings)
    try:
        return _open(settings, embedder, reindexing)
    except (sqlite3.Error, OSError, chromadb.errors.ChromaError) as exc:
        problem = write_problem(settings.index_dir)
        if problem is None and not _looks_like_storage(exc):
            raise
        raise storage_error(problem or exc, f"无法打开索引目录 {settings.index_dir}") from exc


def _open(settings: Settings, embedder: Embedder, reindexing: bool) -> Index:
    index = Index(
        db_path=settings.index_dir / "assistant.sqlite3",
        collection=vectors.open_collection(
            settings.index_dir / "chroma",
            vectors.collection_name(embedder.name, settings.chunk_size),
            settings.chroma_url,
        ),
        embedder=embedder,
        settings=settings,
    )
    audit_log.create(index.conn)
    conversations.create(index.conn)
    if not reindexing:
        _check_model(index.conn, embedder.name, settings)
        index.stale = identity.stale_stages(index.conn)
    _check_or_record(index.conn, "chunk_size", str(settings.chunk_size), settings)
    return index


def write_problem(folder: Path) -> OSError | None:
    """The error a small write in `folder` meets (read-only, full, no permission), or None."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".write-check-", dir=folder)
    except OSError as exc:
        return exc
    try:
        os.write(fd, b"x" * 4096)
        os.fsync(fd)
    except OSError as exc:
        return exc
    finally:
        os.close(fd)
        os.unlink(name)
    return None


def _looks_like_storage(exc: Exception) -> bool:
    text = str(exc).lower()
    return any(
        word in text
        for word in ("readonly", "read-only", "disk is full", "unable to open", "no space", "disk i/o error")
    )


def _check_model(conn: sqlite3.Connection, name: str, settings: Settings) -> None:
    stored = db.get_meta(conn, MODEL_KEY)
    if stored is None or db.count_chunks(conn) == 0:
        db.set_meta(conn, MODEL_KEY, name)
        return
    if stored != name:
        unfinished = "（上次的重建尚未完成，会接着进行）" if db.get_meta(conn, REINDEX_KEY) == name else ""
        raise IndexMismatchError(
            f"索引 {settings.index_dir} 的向量是用嵌入模型 {stored} 计算的，当前使用的是 {name}，两者不能混用。"
            f"请运行 archive-assistant --index-dir {settings.index_dir} reindex，用当前模型重新计算向量"
            f"（只读索引里已有的文本，不必重新导入文件）{unfinished}；"
            f"或改回原来的模型（ARCHIVE_ASSISTANT_EMBEDDING_MODEL）。"
        )


def _check_or_record(conn: sqlite3.Connection, key: str, value: str, settings: Settings) -> None:
    stored = db.get_meta(conn, key)
    if stored is None or db.count_chunks(conn) == 0:
        db.set_meta(conn, key, value)
        return
    if stored != value:
        raise IndexMismatchError(
            f"索引 {settings.index_dir} 是用 {key}={stored} 建立的，当前配置为 {value}。"
            f"请改回原配置（ARCHIVE_ASSISTANT_{key.upper()}={stored}），或换一个索引目录重新导入。"
        )
