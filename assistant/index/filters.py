"""The WHERE clauses of access and filters, for chunk rows and catalogue rows: one home each.

Every SQL leg narrows by the principal's clearance first; a filter only narrows further. The
chunk clause (`filter_sql`) serves the lexical leg, the dense leg's id filter and the year probe;
the catalogue clause (`catalogue_where`) serves the exact catalogue answers (counts, lists).

>>> filter_sql(Filters(fonds="38", kinds=("report",)), max_level=1)
('c.access_level <= ? AND c.fonds_key = ? AND c.kind IN (?)', [1, '38', 'report'])
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.codes import fonds_key
from assistant.models import Filters

if TYPE_CHECKING:
    from assistant.index.catalogue import CatalogueQuery


def filter_sql(filters: Filters, max_level: int, alias: str = "c") -> tuple[str, list[object]]:
    """WHERE conditions for access and filters on chunk rows, shared by every SQL leg."""
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


def catalogue_where(query: CatalogueQuery, max_level: int) -> tuple[str, list[object]]:
    """WHERE conditions on catalogue rows (alias k) for a catalogue question, within the clearance."""
    clauses: list[str] = ["k.access_level <= ?"]
    params: list[object] = [max_level]
    if query.fonds:
        clauses.append("k.fonds_key = ?")
        params.append(fonds_key(query.fonds))
    if query.year_from is not None:
        clauses.append("k.year >= ?")
        params.append(query.year_from)
    if query.year_to is not None:
        clauses.append("k.year <= ?")
        params.append(query.year_to)
    if query.retention:
        clauses.append("instr(k.retention, ?) > 0")
        params.append(query.retention)
    if query.keywords and (query.fonds or query.year_from is not None):
        # The fonds/year index narrows the rows to thousands at most: test titles directly.
        for keyword in query.keywords:
            clauses.append("instr(k.title, ?) > 0")
            params.append(keyword)
    elif query.keywords:
        # No narrowing filter: let the lexical index find the rows holding every keyword.
        expression = " AND ".join(f'"{k}"' for k in query.keywords)
        clauses.append(
            "k.chunk_id IN (SELECT c.id FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid "
            "WHERE chunks_fts MATCH ? AND c.kind = 'catalogue')"
        )
        params.append(expression)
    return " AND ".join(clauses), params
