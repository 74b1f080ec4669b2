"""Hybrid retrieval: lexical (jieba/BM25) + dense (Chroma), fused by reciprocal rank.

Questions naming a 档号 or asking for counts and lists never get here: they are answered exactly
from the catalogue table (catalogue_search.py).

Access control is applied inside every leg, before ranking: a chunk above the principal's
clearance is never scored, returned or logged. Years named in the question restrict dated chunks
to those years (undated guides stay eligible), because reports of neighbouring years share their
headings and phrasing and differ only in figures.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from assistant.access import clearance
from assistant.index import db, vectors
from assistant.index.lexical import match_expression, terms
from assistant.index.store import Index
from assistant.models import Filters, Hit, Principal


@dataclass(frozen=True)
class Retrieval:
    hits: list[Hit]
    query_terms: list[str]


def retrieve(index: Index, question: str, principal: Principal, filters: Filters, limit: int) -> Retrieval:
    """The `limit` best chunks for `question` that the principal may see and `filters` allow.
    `filters.years` narrows dated chunks to those talking about one of those years; the caller
    decides when a question's years should narrow (see `Assistant._find`)."""
    max_level = clearance(principal)
    question_terms = terms(question)
    lexical = lexical_candidates(index.conn, question_terms, filters, max_level, limit)
    vector = index.embedder.embed_query(question)
    dense = vectors.search(
        index.collection, vector, limit, lambda ids: db.visible_ids(index.conn, ids, filters, max_level)
    )

    dense_weight = index.settings.fallback_dense_weight if index.embedder.is_fallback else index.settings.dense_weight
    legs = {
        "lexical": (1.0, [i for i, _ in lexical]),
        "dense": (dense_weight, [i for i, _ in dense]),
    }
    fused = fuse(legs, index.settings.rrf_k)
    chunks = db.chunks_by_id(index.conn, [i for i, _, _ in fused[:limit]])
    hits = [
        Hit(chunks[i], score, leg_names)
        for i, score, leg_names in fused[:limit]
        # Defence in depth: the legs filtered already; a stale vector must not slip through.
        if i in chunks and chunks[i].access_level <= max_level
    ]
    return Retrieval(hits=hits, query_terms=question_terms)


def lexical_candidates(
    conn: sqlite3.Connection, question_terms: list[str], filters: Filters, max_level: int, limit: int
) -> list[tuple[str, float]]:
    """Chunks holding every term of the question, best first; only when fewer than `limit` do,
    those holding any term fill up the rest. BM25 over OR-ed common words (人员, 经费, 情况) had to
    score most of the index: at 1M chunks p95 fell from 661 to 270 ms this way, with the same
    gold-set results (docs/benchmarks/scale.md)."""
    every = match_expression(question_terms, "AND")
    if every is None:
        return []
    found = db.lexical_search(conn, every, filters, max_level, limit)
    some = match_expression(question_terms, "OR")
    if some is None or len(found) >= limit or some == every:  # one term: AND and OR are the same query
        return found
    seen = {chunk_id for chunk_id, _ in found}
    more = [hit for hit in db.lexical_search(conn, some, filters, max_level, limit) if hit[0] not in seen]
    return found + more[: limit - len(found)]


def fuse(legs: dict[str, tuple[float, list[str]]], k: int) -> list[tuple[str, float, tuple[str, ...]]]:
    """Reciprocal rank fusion: Σ weight / (k + rank) over the legs that found each id."""
    scores: dict[str, float] = {}
    found_by: dict[str, list[str]] = {}
    for name, (weight, ids) in legs.items():
        for rank, chunk_id in enumerate(ids, start=1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + weight / (k + rank)
            found_by.setdefault(chunk_id, []).append(name)
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    return [(chunk_id, score, tuple(found_by[chunk_id])) for chunk_id, score in ranked]
