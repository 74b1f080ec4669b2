"""The figures table: what report sentences state (assistant/ingest/figures.py extracts them).

Rows are written with their source (in its transaction) and deleted with it; they are read only
through their chunk, whose access level applies.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from assistant.index.sqlite import Connection
from assistant.ingest.figures import Figure


def insert_figures(conn: Connection, source_id: str, figures: Iterable[Figure]) -> None:
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
    conn: Connection, words: Sequence[str], max_level: int, kind: str = "result"
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
