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


def open_index(settings: Settings, embedder: Embedder | None = None) -> Index:
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
    _check_or_record(index.conn, "embedding_model", embedder.name, settings)
    _check_or_record(index.conn, "chunk_size", str(settings.chunk_size), settings)
    return index


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
