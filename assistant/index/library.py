"""The document library: every stored source as a principal of some clearance may see it, the
access chosen for a source, and the context of a cited chunk (its page, its catalogue row, the
paragraphs around it).

Every read takes `max_level` and counts or returns only what a principal of that clearance may
see: a source none of whose chunks is visible is not listed at all, and a catalogue's rows are
counted within the clearance, so the library tells staff nothing about classified records (not
even that a catalogue holds some).

    entries = sources(conn, max_level=1, text="2022")
    choose_access(conn, "/idx/uploads/通知.docx", "控制使用", added_by="王芳")

Writes here are SQLite only; removing a source's vectors and re-levelling the documents that
depended on it is the service's job (`Assistant.delete_source`), which calls `remove_source`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from assistant.access import CLASSIFIED
from assistant.codes import code_key
from assistant.errors import storage_error
from assistant.index import db
from assistant.index.catalogue import chunk_ids_by_code
from assistant.index.lexical import year_tag
from assistant.index.sqlite import batched, marks, transaction
from assistant.models import Chunk

# What the catalogue columns are called in a citation's row view, in the order shown.
ROW_COLUMNS = (
    ("archival_code", "档号"),
    ("fonds", "全宗号"),
    ("title", "题名"),
    ("year", "年度"),
    ("date", "日期"),
    ("retention", "保管期限"),
    ("pages", "页数"),
    ("open_status", "开放状态"),
    ("classification", "密级"),
    ("creator", "责任者"),
    ("notes", "备注"),
)


@dataclass(frozen=True)
class SourceEntry:
    """One source as a principal may see it: counts and levels are of its visible chunks only."""

    id: str
    path: str
    name: str
    kind: str
    title: str
    year: int | None
    added_at: str
    status: str
    chunks: int
    pages: int | None
    rows: int  # catalogue rows visible (catalogues only)
    levels: tuple[int, ...]  # the distinct levels of its visible chunks (of its rows, for a catalogue)
    rows_by_level: tuple[tuple[int, int], ...]  # (level, visible rows) of a catalogue
    open_status: str | None  # chosen at upload or in the library; None = the settings' rules
    classification: str
    added_by: str
    ocr_pages: int
    ocr_confidence: float | None
    whole: bool  # every chunk of the source is within the clearance


@dataclass(frozen=True)
class Choice:
    open_status: str | None
    classification: str
    added_by: str


# ---- listing ----------------------------------------------------------------------------------


def document_visible(conn: sqlite3.Connection, name: str, max_level: int) -> bool:
    """Every source named `name` (its file name without the suffix) is in the index and wholly
    within the clearance."""
    every = [e.id for e in sources(conn, CLASSIFIED, name) if Path(e.name).stem == name]
    whole = {e.id for e in sources(conn, max_level, name) if e.whole}
    return bool(every) and all(source in whole for source in every)


def record_visible(conn: sqlite3.Connection, code: str, max_level: int) -> bool:
    """The 档号's catalogue rows are all within the clearance, and so is every record named by it."""
    key = [code_key(code)]
    rows, every_row = chunk_ids_by_code(conn, key, max_level), chunk_ids_by_code(conn, key, CLASSIFIED)
    records = [e.id for e in sources(conn, CLASSIFIED, code)]
    whole = {e.id for e in sources(conn, max_level, code) if e.whole}
    return bool(every_row or records) and len(rows) == len(every_row) and all(r in whole for r in records)


def sources(conn: sqlite3.Connection, max_level: int, text: str = "", kind: str = "") -> list[SourceEntry]:
    """The sources a principal of `max_level` may see, newest first; `text` narrows to names and
    titles containing it, `kind` to one kind."""
    clauses: list[str] = ["c.access_level <= ?"]
    params: list[int | str] = [max_level]
    if text.strip():
        clauses.append("(instr(s.name, ?) > 0 OR instr(coalesce(s.title, ''), ?) > 0)")
        params += [text.strip(), text.strip()]
    if kind:
        clauses.append("s.kind = ?")
        params.append(kind)
    sql = (
        "SELECT s.id, s.path, s.name, s.kind, coalesce(s.title, ''), s.year, s.ingested_at, s.status, "
        "count(c.rowid), max(c.page), group_concat(DISTINCT c.access_level), "
        "(SELECT max(access_level) FROM chunks WHERE source_id = s.id), "
        "ss.open_status, coalesce(ss.classification, ''), coalesce(ss.added_by, ''), "
        "(SELECT count(*) FROM ocr_pages o WHERE o.source_id = s.id), "
        "(SELECT avg(confidence) FROM ocr_pages o WHERE o.source_id = s.id AND o.chars > 0), "
        "(SELECT max(page) FROM ocr_pages o WHERE o.source_id = s.id) "
        "FROM sources s JOIN chunks c ON c.source_id = s.id "
        "LEFT JOIN source_settings ss ON ss.path = s.path "
        f"WHERE {' AND '.join(clauses)} GROUP BY s.id ORDER BY s.ingested_at DESC, s.name"
    )
    entries = []
    for row in conn.execute(sql, params).fetchall():
        (id_, path, name, kind_, title, year, added_at, status, chunks, page, levels, top) = row[:12]
        open_status, classification, added_by, ocr_count, confidence, ocr_last = row[12:]
        pages = max(p for p in (page, ocr_last) if p is not None) if page or ocr_last else None
        by_level = level_counts(conn, id_, max_level) if kind_ == "catalogue" else {}
        entries.append(
            SourceEntry(
                id=id_,
                path=path,
                name=name,
                kind=kind_,
                title=title,
                year=year,
                added_at=added_at,
                status=status,
                chunks=chunks,
                pages=pages,
                rows=sum(by_level.values()),
                levels=tuple(sorted(by_level)) or tuple(sorted(int(level) for level in str(levels).split(","))),
                rows_by_level=tuple(sorted(by_level.items())),
                open_status=open_status,
                classification=classification if max_level >= 2 else "",
                added_by=added_by,
                ocr_pages=ocr_count,
                ocr_confidence=round(confidence, 2) if confidence is not None else None,
                whole=top <= max_level,
            )
        )
    return entries


def level_counts(conn: sqlite3.Connection, source_id: str, max_level: int) -> dict[int, int]:
    """Visible catalogue rows of a catalogue by level (0 开放, 1 not open, 2 classified)."""
    rows = conn.execute(
        "SELECT access_level, count(*) FROM catalogue WHERE source_id = ? AND access_level <= ? GROUP BY access_level",
        (source_id, max_level),
    )
    return dict(rows.fetchall())


def source(conn: sqlite3.Connection, source_id: str, max_level: int) -> SourceEntry | None:
    """One source as `sources` lists it, or None when the principal may not see it."""
    return next((entry for entry in sources(conn, max_level) if entry.id == source_id), None)


# ---- what people chose -------------------------------------------------------------------------


def choice(conn: sqlite3.Connection, path: str) -> Choice | None:
    row = conn.execute(
        "SELECT open_status, classification, added_by FROM source_settings WHERE path = ?", (path,)
    ).fetchone()
    return Choice(*row) if row else None


def choose_access(
    conn: sqlite3.Connection,
    path: str,
    open_status: str | None,
    classification: str = "",
    added_by: str | None = None,
) -> None:
    """Record the open status and 密级 chosen for the source at `path` (None: the settings' rules
    decide), and who added it when `added_by` is given. Levels are applied by the caller
    (`ingest.levels`)."""
    try:
        conn.execute(
            "INSERT INTO source_settings(path, open_status, classification, added_by) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(path) DO UPDATE SET open_status = excluded.open_status, "
            "classification = excluded.classification, updated_at = datetime('now'), "
            "added_by = CASE WHEN ? IS NULL THEN source_settings.added_by ELSE excluded.added_by END",
            (path, open_status, classification or "", added_by or "", added_by),
        )
    except sqlite3.OperationalError as exc:
        raise storage_error(exc, "无法保存访问级别") from exc


def note_added_by(conn: sqlite3.Connection, path: str, added_by: str) -> None:
    """Who added the source at `path`, keeping any access chosen for it."""
    try:
        conn.execute(
            "INSERT INTO source_settings(path, open_status, added_by) VALUES (?, NULL, ?) "
            "ON CONFLICT(path) DO UPDATE SET added_by = excluded.added_by, updated_at = datetime('now')",
            (path, added_by),
        )
    except sqlite3.OperationalError as exc:
        raise storage_error(exc, "无法保存导入记录") from exc


def chosen_paths(conn: sqlite3.Connection) -> list[str]:
    return [row[0] for row in conn.execute("SELECT path FROM source_settings WHERE open_status IS NOT NULL")]


# ---- removing and re-reading -------------------------------------------------------------------


def remove_source(conn: sqlite3.Connection, source_id: str) -> str | None:
    """Delete a source's rows (chunks, lexical rows, catalogue rows, OCR pages, what was chosen for
    it) in one transaction; returns its path, or None when there is no such source."""
    row = conn.execute("SELECT path FROM sources WHERE id = ?", (source_id,)).fetchone()
    if row is None:
        return None
    try:
        with transaction(conn, immediate=True):
            db.delete_source(conn, source_id)
            conn.execute("DELETE FROM source_settings WHERE path = ?", (row[0],))
    except sqlite3.OperationalError as exc:
        raise storage_error(exc, "无法删除文档") from exc
    return row[0]


def mark_changed(conn: sqlite3.Connection, source_id: str) -> None:
    """Forget a source's content hash, so the next ingest of its path reads it again."""
    conn.execute("UPDATE sources SET content_hash = '' WHERE id = ?", (source_id,))


# ---- a cited chunk in its place ----------------------------------------------------------------


@dataclass(frozen=True)
class Cited:
    """Where a cited chunk lives: its source's path, kind and id, and the chunk's level."""

    path: str
    source_id: str
    kind: str
    level: int
    ordinal: int


def cited(conn: sqlite3.Connection, chunk_id: str) -> Cited | None:
    row = conn.execute(
        "SELECT s.path, s.id, s.kind, c.access_level, c.ordinal FROM chunks c JOIN sources s ON s.id = c.source_id "
        "WHERE c.id = ?",
        (chunk_id,),
    ).fetchone()
    return Cited(*row) if row else None


def chunk_levels(conn: sqlite3.Connection, chunk_ids: list[str]) -> dict[str, int]:
    """The current level of each of these chunks still in the index."""
    found: dict[str, int] = {}
    for batch in batched(chunk_ids):
        sql = f"SELECT id, access_level FROM chunks WHERE id IN ({marks(len(batch))})"
        found.update(conn.execute(sql, batch).fetchall())
    return found


def around(conn: sqlite3.Connection, chunk_id: str, max_level: int, width: int = 1) -> list[Chunk]:
    """The chunk with up to `width` chunks before and after it in its document, those the
    principal may see, in document order."""
    place = cited(conn, chunk_id)
    if place is None:
        return []
    ids = [
        row[0]
        for row in conn.execute(
            "SELECT id FROM chunks WHERE source_id = ? AND ordinal BETWEEN ? AND ? AND access_level <= ? "
            "ORDER BY ordinal",
            (place.source_id, place.ordinal - width, place.ordinal + width, max_level),
        )
    ]
    found = db.chunks_by_id(conn, ids)
    return [found[i] for i in ids if i in found]


def catalogue_row(conn: sqlite3.Connection, chunk_id: str, max_level: int) -> list[tuple[str, str]]:
    """(column label, value) of the catalogue row a chunk is, non-empty cells only; [] when the
    chunk is not a row or the principal may not see it."""
    names = ", ".join(name for name, _ in ROW_COLUMNS)
    row = conn.execute(
        f"SELECT {names} FROM catalogue WHERE chunk_id = ? AND access_level <= ?", (chunk_id, max_level)
    ).fetchone()
    if row is None:
        return []
    return [(label, str(value)) for (_, label), value in zip(ROW_COLUMNS, row, strict=True) if value not in (None, "")]


def ocr_read(conn: sqlite3.Connection, source_id: str, page: int) -> bool:
    """Whether page `page` of the source was read by OCR (its text came from the recogniser)."""
    row = conn.execute("SELECT 1 FROM ocr_pages WHERE source_id = ? AND page = ?", (source_id, page)).fetchone()
    return row is not None


# ---- what the holdings are about, for example questions ----------------------------------------


def report_years(conn: sqlite3.Connection, max_level: int, limit: int = 3) -> list[int]:
    """The latest years of reports the principal may see, newest first."""
    rows = conn.execute(
        "SELECT DISTINCT year FROM chunks WHERE kind = 'report' AND year IS NOT NULL AND access_level <= ? "
        "ORDER BY year DESC LIMIT ?",
        (max_level, limit),
    )
    return [row[0] for row in rows]


def has_term(conn: sqlite3.Connection, term: str, year: int | None, max_level: int) -> bool:
    """Whether a visible chunk (of `year`, when given) holds the segmented term."""
    match = f'terms : "{term}"' + (f' AND year_tag : "{year_tag(year)}"' if year is not None else "")
    row = conn.execute(
        "SELECT 1 FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid "
        "WHERE chunks_fts MATCH ? AND c.access_level <= ? LIMIT 1",
        (match, max_level),
    ).fetchone()
    return row is not None


def fonds_years(conn: sqlite3.Connection, max_level: int, limit: int = 2) -> list[tuple[str, int | None, int]]:
    """(fonds, its commonest year, rows) of the fonds with the most visible catalogue rows."""
    rows = conn.execute(
        "SELECT fonds, year, count(*) AS n FROM catalogue WHERE access_level <= ? AND fonds IS NOT NULL "
        "AND fonds != '' GROUP BY fonds, year ORDER BY n DESC LIMIT 20",
        (max_level,),
    ).fetchall()
    seen: dict[str, tuple[str, int | None, int]] = {}
    for fonds, year, count in rows:
        seen.setdefault(fonds, (fonds, year, count))
    return list(seen.values())[:limit]
