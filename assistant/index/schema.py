"""The index database: its tables, opening it, and upgrading an index an older release built.

SQLite is the source of truth for sources, chunks, the lexical index, the catalogue and meta;
Chroma only holds vectors keyed by chunk id (vectors.py). The tables' readers and writers are the
other modules of `index/`: `db` (sources and chunks), `fts` (the lexical index's queries and
word counts), `catalogue`, `figures`, `labels`, `library`, `conversations`, `audit_log`.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from assistant.index.lexical import year_tag
from assistant.index.sqlite import transaction

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
-- Counting what a clearance may see counts the few rows above it (a scan of 1M rows took 330 ms).
CREATE INDEX IF NOT EXISTS chunks_level ON chunks(access_level);
-- The dense leg's filter (db.visible_ids) reads these of thousands of neighbours: from the index
-- alone, not from rows whose text lies between the columns (17 -> 8 ms for 2,700 ids at 100k).
CREATE INDEX IF NOT EXISTS chunks_filter ON chunks(id, access_level, fonds_key, year, kind, years);
-- year_tag: one token per chunk (y2022, or ynone when undated) so a year named in the question
-- narrows the MATCH itself instead of filtering every row the terms match (docs/benchmarks/scale.md).
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(terms, year_tag);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_vocab USING fts5vocab(chunks_fts, 'row');
-- How many chunks hold each FTS5 token, kept by ingest as chunks are written and deleted:
-- fts5vocab counts by walking a token's postings, 35 ms for a word in half of 1M chunks.
CREATE TABLE IF NOT EXISTS term_chunks (term TEXT PRIMARY KEY, chunks INTEGER NOT NULL) WITHOUT ROWID;
-- meta 'holdings' counts changes to the chunks a principal could see (added, removed, relabelled),
-- from any process: cached word counts are kept until it moves (index/term_counts.py).
CREATE TRIGGER IF NOT EXISTS chunks_added AFTER INSERT ON chunks BEGIN
    INSERT INTO meta(key, value) VALUES ('holdings', '1')
    ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1;
END;
CREATE TRIGGER IF NOT EXISTS chunks_removed AFTER DELETE ON chunks BEGIN
    INSERT INTO meta(key, value) VALUES ('holdings', '1')
    ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1;
END;
CREATE TRIGGER IF NOT EXISTS chunks_relabelled AFTER UPDATE OF access_level ON chunks BEGIN
    INSERT INTO meta(key, value) VALUES ('holdings', '1')
    ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1;
END;
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


def connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.executescript(SCHEMA)
    _add_year_tags(conn)
    _add_chunk_years(conn)
    _count_terms_once(conn)
    return conn


def _count_terms_once(conn: sqlite3.Connection) -> None:
    """Indexes built before term_chunks get it filled from FTS5's vocabulary (once: about a
    minute at 1M chunks; a new index is empty and done at once)."""
    if conn.execute("SELECT 1 FROM meta WHERE key = 'term_chunks'").fetchone():
        return
    with transaction(conn, immediate=True):
        if conn.execute("SELECT 1 FROM meta WHERE key = 'term_chunks'").fetchone():
            return  # another process counted them while we waited for the lock
        conn.execute("DELETE FROM term_chunks")
        conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.term_columns USING fts5vocab(main, chunks_fts, 'col')")
        conn.execute("INSERT INTO term_chunks(term, chunks) SELECT term, doc FROM term_columns WHERE col = 'terms'")
        conn.execute("INSERT INTO meta(key, value) VALUES ('term_chunks', '1')")


def _add_chunk_years(conn: sqlite3.Connection) -> None:
    """Indexes built before chunks were dated by what they talk about get the columns, and their
    sources are marked changed, so the next ingest re-reads and re-dates them."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(chunks)")}
    if "years" in columns:
        return
    with transaction(conn, immediate=True):
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
    with transaction(conn, immediate=True):
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
