"""The lexical index's queries: the FTS5 MATCHes the lexical leg runs, and the counts of the
chunks holding each word that weigh its terms (term_chunks, kept here as chunks are written and
deleted). Like every query of `index/`, each takes the principal's clearance and sees nothing above it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from assistant.index.filters import filter_sql
from assistant.index.lexical import year_tag
from assistant.index.sqlite import Connection
from assistant.models import Filters

_EXACT_DF_LIMIT = 2000
_FTS_TOKEN = re.compile(r"[^\W_]+")


def terms_held(stored: Iterable[str]) -> Counter[str]:
    """How many of the stored FTS texts hold each token, tokens cut as FTS5's unicode61 cuts them
    (letters and digits: '3.5' is 3 and 5)."""
    held: Counter[str] = Counter()
    for text in stored:
        held.update(set(_FTS_TOKEN.findall(text)))
    return held


def count_terms(conn: Connection, held: Counter[str], sign: int) -> None:
    """Add (sign +1) or take away (-1) `held` in term_chunks. Words that reach 0 stay, at 0."""
    conn.executemany(
        "INSERT INTO term_chunks(term, chunks) VALUES (?, ?) "
        "ON CONFLICT(term) DO UPDATE SET chunks = chunks + excluded.chunks",
        [(term, sign * count) for term, count in held.items()],
    )


def lexical_search(
    conn: Connection,
    match: str,
    filters: Filters,
    max_level: int,
    limit: int,
    ranked: int | None = None,
    scored_by: str | None = None,
) -> list[tuple[str, float]]:
    """(chunk id, bm25) best first, among chunks the principal may see and the filters allow.

    BM25 scores every row the MATCH finds before it can sort them; with `ranked`, when more rows
    than that match, only the `ranked` most recently stored of them are scored. And it weighs
    each term by first walking all of the term's postings: with `scored_by`, a MATCH over the
    rarer of `match`'s terms, only those are weighed and the rest only decide which rows qualify.
    """
    where, params = filter_sql(filters, max_level)
    match = _within_years(match, filters)
    first = _first_ranked_rowid(conn, match, ranked) if ranked else 0
    qualifies, args = "", [match, first]
    if scored_by is not None:
        # The + keeps the rowid test from FTS5, which would run the scoring MATCH once per rowid.
        qualifies = "AND +chunks_fts.rowid IN (SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ? AND rowid >= ?) "
        args = [f"terms : ({scored_by})", first, match, first]
    sql = (
        # The year_tag column weighs nothing: it only narrows which rows are ranked.
        "SELECT c.id, bm25(chunks_fts, 1.0, 0.0) AS score FROM chunks_fts "
        "JOIN chunks c ON c.rowid = chunks_fts.rowid "
        f"WHERE chunks_fts MATCH ? AND chunks_fts.rowid >= ? {qualifies}AND {where} ORDER BY score LIMIT ?"
    )
    return [(r[0], r[1]) for r in conn.execute(sql, [*args, *params, limit])]


def any_lexical_match(conn: Connection, match: str, filters: Filters, max_level: int) -> bool:
    """Whether some chunk the principal may see and the filters allow matches (nothing is scored)."""
    where, params = filter_sql(filters, max_level)
    match = _within_years(match, filters)
    sql = (
        "SELECT 1 FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid "
        f"WHERE chunks_fts MATCH ? AND {where} LIMIT 1"
    )
    return conn.execute(sql, [match, *params]).fetchone() is not None


def _within_years(match: str, filters: Filters) -> str:
    """`match` narrowed to the filters' years (and undated chunks): filter_sql's rule inside the
    MATCH, so FTS5 walks fewer rows."""
    if not filters.years:
        return match
    tags = " OR ".join(f'"{year_tag(y)}"' for y in (*filters.years, None))
    return f"terms : ({match}) AND year_tag : ({tags})"


def _first_ranked_rowid(conn: Connection, match: str, ranked: int) -> int:
    """The rowid from which the `ranked` newest rows matching start (FTS5 walks its posting
    lists backwards by rowid without scoring them), or 0 when fewer match."""
    row = conn.execute(
        "SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?",
        (match, ranked - 1),
    ).fetchone()
    return row[0] if row else 0


def years_with_material(conn: Connection, years: Sequence[int], max_level: int) -> set[int]:
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


def document_frequencies(conn: Connection, words: Sequence[str], max_level: int) -> dict[str, int]:
    """How many chunks the principal may see contain each word.

    Counting restricted chunks too would let a rare word's weight reveal that a restricted
    record contains it, so rare words are counted among visible chunks. Common words (more than
    `_EXACT_DF_LIMIT` chunks in all) take the index-wide count that ingest keeps in term_chunks:
    exact counting is costly there and a few restricted rows do not change their weight noticeably.
    """
    if not words:
        return {}
    marks = ", ".join("?" * len(words))
    overall = dict(conn.execute(f"SELECT term, chunks FROM term_chunks WHERE term IN ({marks})", list(words)))
    frequencies = {}
    for word in dict.fromkeys(words):
        if overall.get(word, 0) > _EXACT_DF_LIMIT:
            frequencies[word] = overall[word]
        elif not _FTS_TOKEN.search(word):  # nothing FTS5 would index
            frequencies[word] = 0
        else:  # a rare word, or one FTS5 cuts in parts ('3.5'): counted exactly, among visible chunks
            phrase = '"' + word.replace('"', '""') + '"'
            frequencies[word] = conn.execute(
                "SELECT count(*) FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid "
                "WHERE chunks_fts MATCH ? AND c.access_level <= ?",
                (phrase, max_level),
            ).fetchone()[0]
    return frequencies
