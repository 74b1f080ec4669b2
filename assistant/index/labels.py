"""What each stored chunk is labelled with, read and rewritten: access level, fonds and 档号.

A document's level follows rules that can change after it was stored (settings, a choice made in
the library, its catalogue row arriving: assistant/ingest/levels.py and scans.relink decide what
the labels should be). This module reads what they are and writes what they should be, in SQLite
and then in Chroma's filter metadata (SQLite first: retrieval filters on it; Chroma's copy only
narrows the dense leg).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.codes import fonds_key
from assistant.index import db, vectors
from assistant.index.sqlite import Connection, batched, marks, transaction
from assistant.models import Chunk

if TYPE_CHECKING:
    from assistant.index.store import Index


@dataclass(frozen=True)
class SourceLevels:
    """A complete, non-catalogue source and the distinct levels its chunks have."""

    source_id: str
    path: str
    levels: tuple[int, ...]  # ascending


def document_levels(conn: Connection) -> list[SourceLevels]:
    """Every complete source that is not a catalogue, with its chunks' levels, by path."""
    rows = conn.execute(
        "SELECT s.id, s.path, group_concat(DISTINCT c.access_level) FROM sources s "
        "JOIN chunks c ON c.source_id = s.id WHERE s.kind != 'catalogue' AND s.status = 'complete' "
        "GROUP BY s.id ORDER BY s.path"
    ).fetchall()
    return [
        SourceLevels(source_id, path, tuple(sorted(int(level) for level in str(levels).split(","))))
        for source_id, path, levels in rows
    ]


def chunks_of_source(conn: Connection, source_id: str) -> list[Chunk]:
    ids = [row[0] for row in conn.execute("SELECT id FROM chunks WHERE source_id = ?", (source_id,))]
    return list(db.chunks_by_id(conn, ids).values())


def record_chunks(conn: Connection, code_keys: Sequence[str]) -> list[Chunk]:
    """Chunks of complete records (not catalogue rows) whose 档号 key is one of `code_keys`."""
    ids: list[str] = []
    for batch in batched(code_keys):
        ids += [
            row[0]
            for row in conn.execute(
                "SELECT c.id FROM chunks c JOIN sources s ON s.id = c.source_id "
                f"WHERE c.kind != 'catalogue' AND s.status = 'complete' AND c.code_key IN ({marks(len(batch))})",
                batch,
            )
        ]
    return list(db.chunks_by_id(conn, ids).values())


def relabel(index: Index, chunks: Sequence[Chunk]) -> None:
    """Store these chunks' access level, fonds and 档号 as they are now: in SQLite in one
    transaction, then in their vectors' metadata."""
    if not chunks:
        return
    with transaction(index.conn):
        index.conn.executemany(
            "UPDATE chunks SET fonds = ?, fonds_key = ?, archival_code = ?, access_level = ? WHERE id = ?",
            [(c.fonds, fonds_key(c.fonds) if c.fonds else None, c.archival_code, c.access_level, c.id) for c in chunks],
        )
    vectors.update_metadata(index.collection, chunks)
