"""SQLite: the source of truth for sources, chunks, the lexical index, the catalogue and meta.

Chroma only holds vectors keyed by chunk id; everything a citation shows comes from here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

from assistant.codes import fonds_key
from assistant.index.lexical import index_text, year_tag
from assistant.ingest.figures import Figure
from assistant.models import CatalogueRow, Chunk, Filters

SCHEMA = """
PRAGMA journal_mode = WAL;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    id TEXT PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    title TEXT,
    year INTEGER,
    issuer TEXT NOT NULL DEFAULT '',    -- the body that wrote it (青山县档案馆), '' when unknown
    n_chunks INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,               -- 'pending' until its vectors are written, then 'complete'
    ingested_at TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    source_id TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    source_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    text TEXT NOT NULL,
    header TEXT NOT NULL,
    section TEXT NOT NULL,
    page INTEGER,
    fonds TEXT,
    archival_code TEXT,
    code_key TEXT,
    year INTEGER,
    access_level INTEGER NOT NULL,
    fonds_key TEXT,
    context_years TEXT NOT NULL DEFAULT '',  -- '2023 2024': the years its section is about
    published INTEGER,                       -- the year its document was written
    years TEXT NOT NULL DEFAULT ''           -- ' 2022 2023 ': every year it talks about (filters)
);
CREATE INDEX IF NOT EXISTS chunks_source ON chunks(source_id);
CREATE INDEX IF NOT EXISTS chunks_code ON chunks(code_key);
-- year_tag: one token per chunk (y2022, or ynone when undated) so a year named in the question
-- narrows the MATCH itself instead of filtering every row the terms match (docs/benchmarks/scale.md).
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(terms, year_tag);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_vocab USING fts5vocab(chunks_fts, 'row');
CREATE TABLE IF NOT EXISTS catalogue (
    rowid INTEGER PRIMARY KEY,
    chunk_id TEXT NOT NULL,
    source_id TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    sheet TEXT NOT NULL,
    row_number INTEGER NOT NULL,
    fonds TEXT,
    fonds_key TEXT,
    archival_code TEXT,
    code_key TEXT,
    title TEXT NOT NULL,
    year INTEGER,
    date TEXT, retention TEXT, pages TEXT, classification TEXT, open_status TEXT,
    creator TEXT, catalogue_no TEXT, volume_no TEXT, notes TEXT,
    access_level INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS catalogue_code ON catalogue(code_key, access_level);
CREATE INDEX IF NOT EXISTS catalogue_fonds_year ON catalogue(fonds_key, year, access_level);
CREATE INDEX IF NOT EXISTS catalogue_source ON catalogue(source_id);
CREATE INDEX IF NOT EXISTS catalogue_chunk ON catalogue(chunk_id);
-- What report sentences state (assistant/ingest/figures.py), rebuilt with their source; read
-- only through their chunk, whose access level applies.
CREATE TABLE IF NOT EXISTS figures (
    chunk_id TEXT NOT NULL,
    source_id TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    indicator TEXT NOT NULL,
    value TEXT NOT NULL,
    unit TEXT NOT NULL,
    qualifier TEXT NOT NULL,
    year INTEGER,
    kind TEXT NOT NULL,            -- result | target | change
    sentence TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS figures_source ON figures(source_id);
CREATE INDEX IF NOT EXISTS figures_indicator ON figures(indicator, year);
-- Pages of a source that were read by OCR, with the recogniser's mean confidence.
CREATE TABLE IF NOT EXISTS ocr_pages (
    source_id TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    page INTEGER NOT NULL,
    confidence REAL NOT NULL,
    chars INTEGER NOT NULL,
    PRIMARY KEY (source_id, page)
);
-- What people chose for a source, by path (it can be chosen before the source is stored, and it
-- stays across re-ingests): the open status and 密级 given at upload or in the document library
-- (NULL = the settings' rules, assistant/ingest/levels.py), and who added it.
CREATE TABLE IF NOT EXISTS source_settings (
    path TEXT PRIMARY KEY,
    open_status TEXT,
    classification TEXT NOT NULL DEFAULT '',
    added_by TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL DEFAULT (datetime('now'))
);
"""

_EXACT_DF_LIMIT = 2000
_CHUNK_COLUMNS = (
    "id, source_id, source_name, kind, ordinal, text, header, section, page, fonds, "
    "archival_code, code_key, year, access_level, context_years, published"
)


def connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.executescript(SCHEMA)
    _add_year_tags(conn)
    _add_chunk_years(conn)
    return conn


def _add_chunk_years(conn: sqlite3.Connection) -> None:
    """Indexes built before chunks were dated by what they talk about get the columns, and their
    sources are marked changed, so the next ingest re-reads and re-dates them."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(chunks)")}
    if "years" in columns:
        return
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        columns = {row[1] for row in conn.execute("PRAGMA table_info(chunks)")}
        if "years" in columns:  # another process upgraded it while we waited for the lock
            return
        conn.execute("ALTER TABLE chunks ADD COLUMN context_years TEXT NOT NULL DEFAULT ''")
        conn.execute("ALTER TABLE chunks ADD COLUMN published INTEGER")
        conn.execute("ALTER TABLE chunks ADD COLUMN years TEXT NOT NULL DEFAULT ''")
        conn.execute("ALTER TABLE sources ADD COLUMN issuer TEXT NOT NULL DEFAULT ''")
        conn.execute("UPDATE sources SET content_hash = ''")


def _has_year_tags(conn: sqlite3.Connection) -> bool:
    return any(row[1] == "year_tag" for row in conn.execute("PRAGMA table_info(chunks_fts)"))


def _add_year_tags(conn: sqlite3.Connection) -> None:
    """Indexes built before the year_tag column get it, copying their terms (no re-segmenting)."""
    if _has_year_tags(conn):
        return
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        if _has_year_tags(conn):  # another process upgraded it while we waited for the lock
            return
        conn.execute("CREATE VIRTUAL TABLE chunks_fts_new USING fts5(terms, year_tag)")
        conn.create_function("year_tag", 1, year_tag, deterministic=True)
        conn.execute(
            "INSERT INTO chunks_fts_new(rowid, terms, year_tag) "
            "SELECT f.rowid, f.terms, year_tag(c.year) FROM chunks_fts f JOIN chunks c ON c.rowid = f.rowid"
        )
        conn.execute("DROP TABLE chunks_vocab")
        conn.execute("DROP TABLE chunks_fts")
        conn.execute("ALTER TABLE chunks_fts_new RENAME TO chunks_fts")
        conn.execute("CREATE VIRTUAL TABLE chunks_vocab USING fts5vocab(chunks_fts, 'row')")


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))


def source_state(conn: sqlite3.Connection, path: str) -> tuple[str, str, str] | None:
    """(id, content_hash, status) of a stored source, or None."""
    return conn.execute("SELECT id, content_hash, status FROM sources WHERE path = ?", (path,)).fetchone()


def delete_source(conn: sqlite3.Connection, source_id: str) -> None:
    """Remove a source with its chunks, lexical rows and catalogue rows (call inside a transaction)."""
    conn.execute(
        "DELETE FROM chunks_fts WHERE rowid IN (SELECT rowid FROM chunks WHERE source_id = ?)",
        (source_id,),
    )
    conn.execute("DELETE FROM catalogue WHERE source_id = ?", (source_id,))
    conn.execute("DELETE FROM figures WHERE source_id = ?", (source_id,))
    conn.execute("DELETE FROM chunks WHERE source_id = ?", (source_id,))
    conn.execute("DELETE FROM sources WHERE id = ?", (source_id,))


def insert_source(
    conn: sqlite3.Connection,
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
    for chunk in chunks:
        years = chunk.years
        cursor = conn.execute(
            f"INSERT INTO chunks({_CHUNK_COLUMNS}, fonds_key, years) VALUES ({', '.join('?' * 18)})",
            (*_chunk_values(chunk), fonds_key(chunk.fonds) if chunk.fonds else None, years_text(years)),
        )
        conn.execute(
            "INSERT INTO chunks_fts(rowid, terms, year_tag) VALUES (?, ?, ?)",
            (cursor.lastrowid, index_text(chunk.retrieval_text), year_tags(years)),
        )
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


def insert_figures(conn: sqlite3.Connection, source_id: str, figures: Iterable[Figure]) -> None:
    """Store the figures a source's chunks state (call inside insert_source's transaction)."""
    conn.executemany(
        "INSERT INTO figures(chunk_id, source_id, indicator, value, unit, qualifier, year, kind, sentence) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (f.chunk_id, source_id, f.indicator, f.value, f.unit, f.qualifier, f.year, f.kind, f.sentence)
            for f in figures
        ],
    )


def figure_rows(
    conn: sqlite3.Connection, words: Sequence[str], max_level: int, kind: str = "result"
) -> list[tuple[str, int | None, str, str, str, str]]:
    """(indicator, year, value, unit, chunk id, sentence) of visible figures of `kind` whose
    indicator holds every one of `words`, by year."""
    clauses = " AND ".join("instr(f.indicator, ?) > 0" for _ in words) or "1"
    sql = (
        "SELECT f.indicator, f.year, f.value, f.unit, f.chunk_id, f.sentence FROM figures f "
        f"JOIN chunks c ON c.id = f.chunk_id WHERE c.access_level <= ? AND f.kind = ? AND {clauses} "
        "ORDER BY f.year, f.indicator"
    )
    return [tuple(row) for row in conn.execute(sql, [max_level, kind, *words])]


def insert_ocr_pages(conn: sqlite3.Connection, source_id: str, pages: Iterable[tuple[int, float, int]]) -> None:
    """Record (page, confidence, chars) of each OCR'd page (call inside insert_source's transaction;
    deleting the source deletes them)."""
    conn.executemany(
        "INSERT OR REPLACE INTO ocr_pages(source_id, page, confidence, chars) VALUES (?, ?, ?, ?)",
        [(source_id, *page) for page in pages],
    )


def ocr_pages(conn: sqlite3.Connection, source_id: str) -> list[tuple[int, float, int]]:
    """(page, confidence, chars) of a source's OCR'd pages, in page order."""
    sql = "SELECT page, confidence, chars FROM ocr_pages WHERE source_id = ? ORDER BY page"
    return [tuple(row) for row in conn.execute(sql, (source_id,))]


def mark_complete(conn: sqlite3.Connection, source_id: str) -> None:
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


def chunks_by_id(conn: sqlite3.Connection, ids: Iterable[str]) -> dict[str, Chunk]:
    ids = list(ids)
    found: dict[str, Chunk] = {}
    for start in range(0, len(ids), 500):
        batch = ids[start : start + 500]
        marks = ", ".join("?" * len(batch))
        for row in conn.execute(f"SELECT {_CHUNK_COLUMNS} FROM chunks WHERE id IN ({marks})", batch):
            found[row[0]] = _chunk_from(row)
    return found


def filter_sql(filters: Filters, max_level: int, alias: str = "c") -> tuple[str, list[object]]:
    """WHERE conditions for access and filters, shared by every SQL leg."""
    clauses = [f"{alias}.access_level <= ?"]
    params: list[object] = [max_level]
    if filters.fonds:
        clauses.append(f"{alias}.fonds_key = ?")
        params.append(fonds_key(filters.fonds))
    if filters.year_from is not None:
        clauses.append(f"{alias}.year >= ?")
        params.append(filters.year_from)
    if filters.year_to is not None:
        clauses.append(f"{alias}.year <= ?")
        params.append(filters.year_to)
    if filters.kinds:
        clauses.append(f"{alias}.kind IN ({', '.join('?' * len(filters.kinds))})")
        params.extend(filters.kinds)
    if filters.years:
        matches = " OR ".join(f"instr({alias}.years, ?) > 0" for _ in filters.years)
        clauses.append(f"({alias}.years = '' OR {matches})")
        params.extend(f" {y} " for y in filters.years)
    return " AND ".join(clauses), params


def lexical_search(
    conn: sqlite3.Connection, match: str, filters: Filters, max_level: int, limit: int
) -> list[tuple[str, float]]:
    """(chunk id, bm25) best first, among chunks the principal may see and the filters allow."""
    where, params = filter_sql(filters, max_level)
    if filters.years:  # the same rule as filter_sql's, inside the MATCH, so FTS5 ranks fewer rows
        tags = " OR ".join(f'"{year_tag(y)}"' for y in (*filters.years, None))
        match = f"terms : ({match}) AND year_tag : ({tags})"
    sql = (
        # The year_tag column weighs nothing: it only narrows which rows are ranked.
        "SELECT c.id, bm25(chunks_fts, 1.0, 0.0) AS score FROM chunks_fts "
        "JOIN chunks c ON c.rowid = chunks_fts.rowid "
        f"WHERE chunks_fts MATCH ? AND {where} ORDER BY score LIMIT ?"
    )
    return [(r[0], r[1]) for r in conn.execute(sql, [match, *params, limit])]


def issuers(conn: sqlite3.Connection, max_level: int) -> list[str]:
    """The bodies that wrote the documents the principal may see, one entry per document."""
    sql = (
        "SELECT s.issuer FROM sources s WHERE s.issuer != '' AND EXISTS "
        "(SELECT 1 FROM chunks c WHERE c.source_id = s.id AND c.access_level <= ?)"
    )
    return [row[0] for row in conn.execute(sql, (max_level,))]


def years_with_material(conn: sqlite3.Connection, years: Sequence[int], max_level: int) -> set[int]:
    """Those of `years` that some chunk the principal may see talks about."""
    found: set[int] = set()
    for year in years:
        row = conn.execute(
            "SELECT 1 FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid "
            "WHERE chunks_fts MATCH ? AND c.access_level <= ? LIMIT 1",
            (f'year_tag : "{year_tag(year)}"', max_level),
        ).fetchone()
        if row:
            found.add(year)
    return found


def visible_ids(conn: sqlite3.Connection, ids: Sequence[str], filters: Filters, max_level: int) -> set[str]:
    """Those of `ids` whose chunks the principal may see and the filters allow (the dense leg's filter)."""
    where, params = filter_sql(filters, max_level)
    kept: set[str] = set()
    for start in range(0, len(ids), 900):  # under SQLite's limit of bound parameters
        batch = list(ids[start : start + 900])
        marks = ", ".join("?" * len(batch))
        sql = f"SELECT c.id FROM chunks c WHERE c.id IN ({marks}) AND {where}"
        kept.update(row[0] for row in conn.execute(sql, [*batch, *params]))
    return kept


def code_lookup(conn: sqlite3.Connection, keys: Sequence[str], max_level: int) -> list[str]:
    """Chunk ids of catalogue rows whose 档号 key is one of `keys`, within the clearance."""
    if not keys:
        return []
    marks = ", ".join("?" * len(keys))
    sql = (
        f"SELECT chunk_id FROM catalogue WHERE code_key IN ({marks}) AND access_level <= ? "
        "ORDER BY code_key, row_number"
    )
    return [r[0] for r in conn.execute(sql, [*keys, max_level])]


def document_frequencies(conn: sqlite3.Connection, words: Sequence[str], max_level: int) -> dict[str, int]:
    """How many chunks the principal may see contain each word.

    Counting restricted chunks too would let a rare word's weight reveal that a restricted
    record contains it, so rare words are counted among visible chunks. Common words (more than
    `_EXACT_DF_LIMIT` chunks in all) take the index-wide count: exact counting is costly there
    and a few restricted rows do not change their weight noticeably.
    """
    if not words:
        return {}
    marks = ", ".join("?" * len(words))
    overall = dict(conn.execute(f"SELECT term, doc FROM chunks_vocab WHERE term IN ({marks})", list(words)))
    frequencies = {}
    for word, df in overall.items():
        if df > _EXACT_DF_LIMIT:
            frequencies[word] = df
            continue
        frequencies[word] = conn.execute(
            "SELECT count(*) FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid "
            "WHERE chunks_fts MATCH ? AND c.access_level <= ?",
            (f'"{word}"', max_level),
        ).fetchone()[0]
    return frequencies


def count_visible_chunks(conn: sqlite3.Connection, max_level: int) -> int:
    return conn.execute("SELECT count(*) FROM chunks WHERE access_level <= ?", (max_level,)).fetchone()[0]


def count_chunks(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM chunks").fetchone()[0]


def visible_stats(conn: sqlite3.Connection, max_level: int) -> dict[str, int]:
    """Sources, chunks and catalogue rows a principal of clearance `max_level` may see: a source
    counts when at least one of its chunks is visible (the status line, never index-wide counts)."""
    sources, chunks = conn.execute(
        "SELECT count(DISTINCT source_id), count(*) FROM chunks WHERE access_level <= ?", (max_level,)
    ).fetchone()
    rows = conn.execute("SELECT count(*) FROM catalogue WHERE access_level <= ?", (max_level,)).fetchone()[0]
    return {"sources": sources, "chunks": chunks, "catalogue_rows": rows}


def stats(conn: sqlite3.Connection) -> dict[str, int]:
    one = conn.execute
    return {
        "sources": one("SELECT count(*) FROM sources").fetchone()[0],
        "chunks": one("SELECT count(*) FROM chunks").fetchone()[0],
        "catalogue_rows": one("SELECT count(*) FROM catalogue").fetchone()[0],
        "pending_sources": one("SELECT count(*) FROM sources WHERE status != 'complete'").fetchone()[0],
    }


def chunks_in_section(conn: sqlite3.Connection, section: str, max_level: int, years: int = 3) -> list[Chunk]:
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


def report_sections(conn: sqlite3.Connection, max_level: int) -> list[str]:
    """The section paths of the reports the principal may see."""
    sql = "SELECT DISTINCT section FROM chunks WHERE kind = 'report' AND section != '' AND access_level <= ?"
    return [row[0] for row in conn.execute(sql, (max_level,))]


def has_kind(conn: sqlite3.Connection, kind: str, max_level: int) -> bool:
    row = conn.execute("SELECT 1 FROM chunks WHERE kind = ? AND access_level <= ? LIMIT 1", (kind, max_level))
    return row.fetchone() is not None


def all_chunk_ids(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT id FROM chunks")]


def pending_source_paths(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT path FROM sources WHERE status != 'complete'")]


def forget_content_hashes(conn: sqlite3.Connection) -> list[str]:
    """Every source's path, each marked changed so the next ingest reads it again."""
    with conn:
        conn.execute("UPDATE sources SET content_hash = ''")
    return [row[0] for row in conn.execute("SELECT path FROM sources ORDER BY path")]


def source_paths_of_chunks(conn: sqlite3.Connection, chunk_ids: Iterable[str]) -> list[str]:
    ids = list(chunk_ids)
    paths: set[str] = set()
    for start in range(0, len(ids), 500):
        batch = ids[start : start + 500]
        marks = ", ".join("?" * len(batch))
        paths.update(
            r[0]
            for r in conn.execute(
                f"SELECT DISTINCT s.path FROM chunks c JOIN sources s ON s.id = c.source_id WHERE c.id IN ({marks})",
                batch,
            )
        )
    return sorted(paths)


def mark_pending(conn: sqlite3.Connection, path: str) -> None:
    conn.execute("UPDATE sources SET status = 'pending' WHERE path = ?", (path,))
