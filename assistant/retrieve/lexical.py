"""The lexical leg: jieba terms matched in SQLite FTS5, ranked by BM25, access-filtered in SQL.

Chunks holding every term of the question come first. When fewer than wanted do, the question's
commonest term is let go and the rest must all be held, then the next commonest, down to the
rarest term alone; an OR over every term fills what is left when that is cheap. The longest run
of rarest terms some chunk holds together is found by halving, with existence tests. At 1M
chunks an OR over the common words of a question (部门, 经费, 材料) matched most of the index and
BM25 had to score all of it (640 ms for one question); now every query is about as small as the
question's rarest word (docs/benchmarks/scale.md)."""

from __future__ import annotations

from assistant.index import fts
from assistant.index.lexical import match_expression
from assistant.index.sqlite import Connection
from assistant.models import Filters
from assistant.text.synonyms import alternatives

# BM25 scores every row a MATCH finds before it sorts them (a few µs a row for an eight-word
# AND). Past this many rows only the newest are ranked, and an OR over all the
# question's words that would find more is not run: its words are all common, and the dense
# leg ranks such a question better than BM25 over half the index could.
RANKED_ROWS = 5000
# And BM25 weighs each word it scores by first walking all of that word's postings (about 50 ns
# a posting; 140 ms for the eight words of one question at 1M chunks, most in half the index).
# Past this many postings the commonest words of an AND only decide which rows qualify: their
# weight is next to nothing anyway (a word in half the chunks weighs 0).
SCORED_POSTINGS = 200_000


def lexical_candidates(
    conn: Connection,
    question_terms: list[str],
    frequencies: dict[str, int],
    filters: Filters,
    max_level: int,
    limit: int,
) -> list[tuple[str, float]]:
    """Up to `limit` (chunk id, bm25), those holding more of the question's rarer terms first.
    `frequencies` are the terms' visible chunk counts (`TermCounts.frequencies`)."""
    wanted = searchable_terms(question_terms, frequencies)
    found: list[tuple[str, float]] = []
    for held in range(_most_held_together(conn, wanted, filters, max_level), 0, -1):
        found += _new_hits(conn, wanted[:held], "AND", found, frequencies, filters, max_level, limit)
        if len(found) >= limit:
            return found[:limit]
    if len(wanted) > 1 and sum(frequencies.get(t, 0) for t in wanted) <= RANKED_ROWS:
        found += _new_hits(conn, wanted, "OR", found, frequencies, filters, max_level, limit)
    return found[:limit]


def searchable_terms(question_terms: list[str], frequencies: dict[str, int]) -> list[str]:
    """The question's distinct terms that some visible chunk holds (or that have another
    spelling to search for), rarest first. A term no visible chunk holds would only empty
    every AND it is in; dropping it shows nothing about restricted chunks, which are not
    counted (`fts.document_frequencies`)."""
    distinct = dict.fromkeys(t for t in question_terms if t)
    kept = [t for t in distinct if frequencies.get(t, 0) > 0 or len(alternatives(t)) > 1]
    return sorted(kept, key=lambda t: frequencies.get(t, 0))


def _most_held_together(conn: Connection, wanted: list[str], filters: Filters, max_level: int) -> int:
    """How many of the rarest `wanted` some visible chunk holds together. If no chunk holds the
    first k, none holds the first k + 1: halving finds it in a few existence tests instead of
    one scored query per word let go (each an empty AND over long posting lists, 5–25 ms at 1M)."""
    held, tried = 0, len(wanted)
    while held < tried:
        middle = (held + tried + 1) // 2
        match = match_expression(wanted[:middle], "AND")
        if match is not None and fts.any_lexical_match(conn, match, filters, max_level):
            held = middle
        else:
            tried = middle - 1
    return held


def _new_hits(
    conn: Connection,
    group: list[str],
    operator: str,
    found: list[tuple[str, float]],
    frequencies: dict[str, int],
    filters: Filters,
    max_level: int,
    limit: int,
) -> list[tuple[str, float]]:
    """The best hits of `group` joined by `operator` that are not in `found` yet, at most as
    many as `found` still lacks."""
    match = match_expression(group, operator)
    if match is None:
        return []
    counts = [frequencies.get(t, 0) for t in group]
    rows = min(counts) if operator == "AND" else sum(counts)
    spelled_otherwise = any(len(alternatives(t)) > 1 for t in group)
    ranked = RANKED_ROWS if rows > RANKED_ROWS or spelled_otherwise else None
    scored = _scored_terms(group, frequencies) if operator == "AND" else group
    scored_by = match_expression(scored, "AND") if len(scored) < len(group) else None
    seen = {chunk_id for chunk_id, _ in found}
    hits = fts.lexical_search(conn, match, filters, max_level, limit + len(found), ranked, scored_by)
    return [hit for hit in hits if hit[0] not in seen][: limit - len(found)]


def _scored_terms(group: list[str], frequencies: dict[str, int]) -> list[str]:
    """The rarest terms of `group` (rarest first) whose postings add up to `SCORED_POSTINGS`,
    at least one."""
    scored: list[str] = []
    postings = 0
    for term in group:
        postings += frequencies.get(term, 0)
        if scored and postings > SCORED_POSTINGS:
            break
        scored.append(term)
    return scored
