"""The dense leg: the question's embedding against Chroma, kept to chunks the SQL filter allows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.index import db, vectors
from assistant.models import Filters

if TYPE_CHECKING:
    from assistant.index.store import Index


def dense_candidates(
    index: Index, question: str, filters: Filters, max_level: int, limit: int
) -> list[tuple[str, float]]:
    """(chunk id, cosine distance) nearest first, among chunks the principal may see and the
    filters allow: the lexical leg's own SQL filter (`db.visible_ids`), so the rules live in one place."""
    vector = index.embedder.embed_query(question)
    return vectors.search(
        index.collection, vector, limit, lambda ids: db.visible_ids(index.conn, ids, filters, max_level)
    )


def dense_weight(index: Index) -> float:
    """The dense leg's weight in fusion: lower for the offline fallback model, which ranks worse."""
    settings = index.settings
    return settings.fallback_dense_weight if index.embedder.is_fallback else settings.dense_weight
