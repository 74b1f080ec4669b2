"""The catalogue table: exact lookups, counts and lists, and the link of a record to its row.

Reading-room questions (38-1-0045是什么, 全宗38 1985年有多少卷, 有哪些关于知青安置的档案) are
answered from these rows, never by similarity; which question asks what is decided in
`assistant/retrieve/catalogue.py`. Every function here takes the asker's clearance and counts or
lists only rows within it, so a count reveals nothing about restricted records. A scan named by
its 档号 takes its row's fonds, 档号 and level (`link_of`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from assistant.codes import code_key
from assistant.index.filters import catalogue_where
from assistant.index.sqlite import Connection, marks

Intent = Literal["lookup", "count", "list"]

_ENTRY_COLUMNS = "k.chunk_id, k.fonds, k.archival_code, k.title, k.year, k.retention, k.pages, k.open_status"


@dataclass(frozen=True)
class CatalogueQuery:
    intent: Intent
    fonds: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    keywords: tuple[str, ...] = ()
    retention: str | None = None  # 永久, 长期, 30年 …: only rows kept that long


@dataclass(frozen=True)
class Entry:
    chunk_id: str
    fonds: str | None
    archival_code: str | None
    title: str
    year: int | None
    retention: str
    pages: str
    open_status: str


@dataclass(frozen=True)
class Listing:
    entries: list[Entry] = field(default_factory=list)
    total: int = 0
    offset: int = 0  # how many entries earlier pages showed


@dataclass(frozen=True)
class Link:
    """What a scan takes from its catalogue row."""

    archival_code: str
    fonds: str | None
    title: str
    year: int | None
    access_level: int


def chunk_ids_by_code(conn: Connection, keys: Sequence[str], max_level: int) -> list[str]:
    """Chunk ids of catalogue rows whose 档号 key is one of `keys`, within the clearance."""
    if not keys:
        return []
    sql = (
        f"SELECT chunk_id FROM catalogue WHERE code_key IN ({marks(len(keys))}) AND access_level <= ? "
        "ORDER BY code_key, row_number"
    )
    return [r[0] for r in conn.execute(sql, [*keys, max_level])]


def count_entries(conn: Connection, query: CatalogueQuery, max_level: int) -> int:
    where, params = catalogue_where(query, max_level)
    return conn.execute(f"SELECT count(*) FROM catalogue k WHERE {where}", params).fetchone()[0]


def list_entries(conn: Connection, query: CatalogueQuery, max_level: int, limit: int = 20, offset: int = 0) -> Listing:
    """Up to `limit` entries from `offset` on (a later page for "还有吗"), and the total."""
    where, params = catalogue_where(query, max_level)
    rows = conn.execute(
        f"SELECT {_ENTRY_COLUMNS} FROM catalogue k WHERE {where} "
        "ORDER BY k.fonds, k.code_key, k.row_number LIMIT ? OFFSET ?",
        [*params, limit, offset],
    ).fetchall()
    total = offset + len(rows) if 0 < len(rows) < limit else count_entries(conn, query, max_level)
    return Listing([Entry(*row) for row in rows], total, offset)


def entries_by_chunk(conn: Connection, chunk_ids: list[str]) -> list[Entry]:
    """Entries for the given chunk ids, in the given order (ids come from an access-filtered leg)."""
    if not chunk_ids:
        return []
    sql = f"SELECT {_ENTRY_COLUMNS} FROM catalogue k WHERE k.chunk_id IN ({marks(len(chunk_ids))})"
    by_id = {row[0]: Entry(*row) for row in conn.execute(sql, chunk_ids).fetchall()}
    return [by_id[i] for i in chunk_ids if i in by_id]


def link_of(conn: Connection, code: str) -> Link | None:
    """The catalogue row of a 档号; of several rows with one key, the most restricted wins."""
    row = conn.execute(
        "SELECT archival_code, fonds, title, year, access_level FROM catalogue WHERE code_key = ? "
        "ORDER BY access_level DESC, rowid LIMIT 1",
        (code_key(code),),
    ).fetchone()
    return Link(*row) if row else None
