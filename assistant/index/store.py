"""Opening the index: SQLite and Chroma side by side, checked against the embedding model."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import chromadb

from assistant.errors import IndexMismatchError
from assistant.index import db, vectors
from assistant.index.embeddings import Embedder, load_embedder
from assistant.settings import Settings


@dataclass
class Index:
    conn: sqlite3.Connection
    collection: chromadb.Collection
    embedder: Embedder
    settings: Settings


def open_index(settings: Settings, embedder: Embedder | None = None) -> Index:
    embedder = embedder or load_embedder(settings)
    conn = db.connect(settings.index_dir / "assistant.sqlite3")
    _check_or_record(conn, "embedding_model", embedder.name, settings)
    _check_or_record(conn, "chunk_size", str(settings.chunk_size), settings)
    collection = vectors.open_collection(
        settings.index_dir / "chroma", vectors.collection_name(embedder.name, settings.chunk_size)
    )
    return Index(conn=conn, collection=collection, embedder=embedder, settings=settings)


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
