"""Sources and chunks in SQLite: storing them, reading them back, and the dense leg's filter
(the lexical leg's FTS5 queries are fts.py).

SQLite is the source of truth (the tables: schema.py); Chroma only holds vectors keyed by chunk
id, and everything a citation shows comes from here. Every query that returns chunks or counts
takes the principal's clearance and sees nothing above it. Writes that belong together run in
one `sqlite.transaction` opened by the caller (ingest, repair).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from assistant.codes import fonds_key
from assistant.index import fts
from assistant.index.filters import filter_sql as filter_sql  # bench/ and tests reach it here
from assistant.index.lexical import index_text, year_tag
from assistant.index.schema import connect as connect  # bench/ and tests open databases here
from assistant.index.sqlite import Connection, batched, marks, transaction
from assistant.models import CatalogueRow, Chunk, Filters

_CHUNK_COLUMNS = (
    "id, source_id, source_name, kind, ordinal, text, header, section, page, fonds, "
    "archival_code, code_key, year, access_level, context_years, published"
)


def get_meta(conn: Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def set_meta(conn: Connection, key: str, value: str) -> None:
    conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))


def source_state(conn: Connection, path: str) -> tuple[str, str, str] | None:
    """(id, content_hash, status) of a stored source, or None."""
    return conn.execute("SELECT id, content_hash, status FROM sources WHERE path = ?", (path,)).fetchone()


def delete_source(conn: Connection, source_id: str) -> None:
    """Remove a source with its chunks, lexical rows and catalogue rows (call inside a transaction)."""
    stored = conn.execute(
        "SELECT terms FROM chunks_fts WHERE rowid IN (SELECT rowid FROM chunks WHERE source_id = ?)", (source_id,)
    )
    fts.count_terms(conn, fts.terms_held(text for (text,) in stored), -1)
    conn.execute(
        "DELETE FROM chunks_fts WHERE rowid IN (SELECT rowid FROM chunks WHERE source_id = ?)",
        (source_id,),
    )
    conn.execute("DELETE FROM catalogue WHERE source_id = ?", (source_id,))
    conn.execute("DELETE FROM figures WHERE source_id = ?", (source_id,))
    conn.execute("DELETE FROM chunks WHERE source_id = ?", (source_id,))
    conn.execute("DELETE FROM sources WHERE id = ?", (source_id,))


def insert_source(
    conn: Connection,
    *,
    source_id: str,
    path: str,
    name: str,
    kind: str,
    content_hash: str,
    title: str,
    year: int | None,
    chunks: Sequence[Chunk],
    rows: Sequence[CatalogueRow] = (),
    issuer: str = "",
) -> None:
    """Store a source as 'pending' with its chunks, lexical rows and catalogue rows."""
    conn.execute(
        "INSERT INTO sources(id, path, name, kind, content_hash, title, year, issuer, n_chunks, status) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')",
        (source_id, path, name, kind, content_hash, title, year, issuer, len(chunks)),
    )
    stored: list[str] = []
    for chunk in chunks:
        years = chunk.years
        cursor = conn.execute(
            f"INSERT INTO chunks({_CHUNK_COLUMNS}, fonds_key, years) VALUES ({', '.join('?' * 18)})",
            (*_chunk_values(chunk), fonds_key(chunk.fonds) if chunk.fonds else None, years_text(years)),
        )
        stored.append(index_text(chunk.retrieval_text))
        conn.execute(
            "INSERT INTO chunks_fts(rowid, terms, year_tag) VALUES (?, ?, ?)",
            (cursor.lastrowid, stored[-1], year_tags(years)),
        )
    fts.count_terms(conn, fts.terms_held(stored), +1)
    conn.executemany(
        "INSERT INTO catalogue(chunk_id, source_id, sheet, row_number, fonds, fonds_key, archival_code, "
        "code_key, title, year, date, retention, pages, classification, open_status, creator, "
        "catalogue_no, volume_no, notes, access_level) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                chunk.id,
                source_id,
                r.sheet,
                r.row_number,
                r.fonds,
                fonds_key(r.fonds) if r.fonds else None,
                r.archival_code,
                r.code_key,
                r.title,
                r.year,
                r.date,
                r.retention,
                r.pages,
                r.classification,
                r.open_status,
                r.creator,
                r.catalogue_no,
                r.volume_no,
                r.notes,
                r.access_level,
            )
            for r, chunk in zip(rows, chunks, strict=False)
        ],
    )


def insert_ocr_pages(conn: Connection, source_id: str, pages: Iterable[tuple[int, float, int]]) -> None:
    """Record (page, confidence, chars) of each OCR'd page (call inside insert_source's transaction;
    deleting the source deletes them)."""
    conn.executemany(
        "INSERT OR REPLACE INTO ocr_pages(source_id, page, confidence, chars) VALUES (?, ?, ?, ?)",
        [(source_id, *page) for page in pages],
    )


def ocr_pages(conn: Connection, source_id: str) -> list[tuple[int, float, int]]:
    """(page, confidence, chars) of a source's OCR'd pages, in page order."""
    sql = "SELECT page, confidence, chars FROM ocr_pages WHERE source_id = ? ORDER BY page"
    return [tuple(row) for row in conn.execute(sql, (source_id,))]


def mark_complete(conn: Connection, source_id: str) -> None:
    conn.execute("UPDATE sources SET status = 'complete' WHERE id = ?", (source_id,))


def _chunk_values(chunk: Chunk) -> tuple[object, ...]:
    return (
        chunk.id,
        chunk.source_id,
        chunk.source_name,
        chunk.kind,
        chunk.ordinal,
        chunk.text,
        chunk.header,
        chunk.section,
        chunk.page,
        chunk.fonds,
        chunk.archival_code,
        chunk.code_key,
        chunk.year,
        chunk.access_level,
        " ".join(str(y) for y in chunk.context_years),
        chunk.published,
    )


def years_text(years: Sequence[int]) -> str:
    """' 2022 2023 ' (spaces around every year, so `instr` matches whole years), '' for none."""
    return f" {' '.join(str(y) for y in years)} " if years else ""


def year_tags(years: Sequence[int]) -> str:
    return " ".join(year_tag(y) for y in years) if years else year_tag(None)


def _chunk_from(row: Sequence[object]) -> Chunk:
    *fields, context_years, published = row
    years = tuple(int(y) for y in str(context_years or "").split())
    return Chunk(*fields, years, published)  # type: ignore[arg-type,call-arg]


def chunks_by_id(conn: Connection, ids: Iterable[str]) -> dict[str, Chunk]:
    found: dict[str, Chunk] = {}
    for batch in batched(list(ids)):
        sql = f"SELECT {_CHUNK_COLUMNS} FROM chunks WHERE id IN ({marks(len(batch))})"
        for row in conn.execute(sql, batch):
            found[row[0]] = _chunk_from(row)
    return found


def issuers(conn: Connection, max_level: int) -> list[str]:
    """The bodies that wrote the documents the principal may see, one entry per document."""
    sql = (
        "SELECT s.issuer FROM sources s WHERE s.issuer != '' AND EXISTS "
        "(SELECT 1 FROM chunks c WHERE c.source_id = s.id AND c.access_level <= ?)"
    )
    return [row[0] for row in conn.execute(sql, (max_level,))]


def visible_ids(conn: Connection, ids: Sequence[str], filters: Filters, max_level: int) -> set[str]:
    """Those of `ids` whose chunks the principal may see and the filters allow (the dense leg's filter)."""
    where, params = filter_sql(filters, max_level)
    kept: set[str] = set()
    for batch in batched(ids, 900):  # with the filter's own parameters, under SQLite's limit
        sql = f"SELECT c.id FROM chunks c WHERE c.id IN ({marks(len(batch))}) AND {where}"
        kept.update(row[0] for row in conn.execute(sql, [*batch, *params]))
    return kept


def holdings_generation(conn: Connection) -> str:
    """A value that changes whenever chunks are added, removed or relabelled (schema.py's triggers)."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'holdings'").fetchone()
    return row[0] if row else "0"


def count_visible_chunks(conn: Connection, max_level: int) -> int:
    # All chunks less those above the clearance: both counts are read off indexes, and few
    # chunks are restricted.
    sql = "SELECT (SELECT count(*) FROM chunks) - (SELECT count(*) FROM chunks WHERE access_level > ?)"
    return conn.execute(sql, (max_level,)).fetchone()[0]


def count_chunks(conn: Connection) -> int:
    return conn.execute("SELECT count(*) FROM chunks").fetchone()[0]


def visible_stats(conn: Connection, max_level: int) -> dict[str, int]:
    """Sources, chunks and catalogue rows a principal of clearance `max_level` may see: a source
    counts when at least one of its chunks is visible (the status line, never index-wide counts)."""
    sources, chunks = conn.execute(
        "SELECT count(DISTINCT source_id), count(*) FROM chunks WHERE access_level <= ?", (max_level,)
    ).fetchone()
    rows = conn.execute("SELECT count(*) FROM catalogue WHERE access_level <= ?", (max_level,)).fetchone()[0]
    return {"sources": sources, "chunks": chunks, "catalogue_rows": rows}


def stats(conn: Connection) -> dict[str, int]:
    one = conn.execute
    return {
        "sources": one("SELECT count(*) FROM sources").fetchone()[0],
        "chunks": one("SELECT count(*) FROM chunks").fetchone()[0],
        "catalogue_rows": one("SELECT count(*) FROM catalogue").fetchone()[0],
        "pending_sources": one("SELECT count(*) FROM sources WHERE status != 'complete'").fetchone()[0],
    }


def chunks_in_section(conn: Connection, section: str, max_level: int, years: int = 3) -> list[Chunk]:
    """Report chunks under a section whose path mentions `section`, for the latest `years` years."""
    rows = conn.execute(
        f"SELECT {_CHUNK_COLUMNS} FROM chunks c WHERE c.kind = 'report' AND c.access_level <= ? "
        # The years are picked among visible chunks too: a restricted later report must not push
        # the visible ones out, nor reveal by their absence that it exists (issue 18 finding 15).
        "AND instr(c.section, ?) > 0 AND c.year IN (SELECT DISTINCT year FROM chunks WHERE kind = 'report' "
        "AND access_level <= ? AND instr(section, ?) > 0 AND year IS NOT NULL ORDER BY year DESC LIMIT ?) "
        "ORDER BY c.year DESC, c.source_id, c.ordinal",
        (max_level, section, max_level, section, years),
    ).fetchall()
    return [_chunk_from(row) for row in rows]


def report_sections(conn: Connection, max_level: int) -> list[str]:
    """The section paths of the reports the principal may see."""
    sql = "SELECT DISTINCT section FROM chunks WHERE kind = 'report' AND section != '' AND access_level <= ?"
    return [row[0] for row in conn.execute(sql, (max_level,))]


def has_kind(conn: Connection, kind: str, max_level: int) -> bool:
    row = conn.execute("SELECT 1 FROM chunks WHERE kind = ? AND access_level <= ? LIMIT 1", (kind, max_level))
    return row.fetchone() is not None


def all_chunk_ids(conn: Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT id FROM chunks")]


def pending_source_paths(conn: Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT path FROM sources WHERE status != 'complete'")]


def forget_content_hashes(conn: Connection) -> list[str]:
    """Every source's path, each marked changed so the next ingest reads it again."""
    with transaction(conn):
        conn.execute("UPDATE sources SET content_hash = ''")
    return [row[0] for row in conn.execute("SELECT path FROM sources ORDER BY path")]


def source_paths_of_chunks(conn: Connection, chunk_ids: Iterable[str]) -> list[str]:
    paths: set[str] = set()
    for batch in batched(list(chunk_ids)):
        sql = (
            "SELECT DISTINCT s.path FROM chunks c JOIN sources s ON s.id = c.source_id "
            f"WHERE c.id IN ({marks(len(batch))})"
        )
        paths.update(r[0] for r in conn.execute(sql, batch))
    return sorted(paths)


def mark_pending(conn: Connection, path: str) -> None:
    conn.execute("UPDATE sources SET status = 'pending' WHERE path = ?", (path,))
