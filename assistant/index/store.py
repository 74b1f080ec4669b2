"""Opening the index: SQLite and Chroma side by side, checked against the embedding model."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path

import chromadb

from assistant import audit
from assistant.errors import IndexMismatchError
from assistant.index import db, vectors
from assistant.index.embeddings import Embedder, load_embedder
from assistant.settings import Settings


@dataclass
class Index:
    db_path: Path
    collection: chromadb.Collection
    embedder: Embedder
    settings: Settings
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
    audit.create(index.conn)
    if not reindexing:
        _check_model(index.conn, embedder.name, settings)
    _check_or_record(index.conn, "chunk_size", str(settings.chunk_size), settings)
    return index


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
