"""Reciprocal rank fusion of the legs' rankings."""

from __future__ import annotations


def fuse(legs: dict[str, tuple[float, list[str]]], k: int) -> list[tuple[str, float, tuple[str, ...]]]:
    """Reciprocal rank fusion: Σ weight / (k + rank) over the legs that found each id.

    >>> fuse({"lexical": (1.0, ["a", "b"]), "dense": (1.0, ["b"])}, k=60)[0][::2]
    ('b', ('lexical', 'dense'))
    """
    scores: dict[str, float] = {}
    found_by: dict[str, list[str]] = {}
    for name, (weight, ids) in legs.items():
        for rank, chunk_id in enumerate(ids, start=1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + weight / (k + rank)
            found_by.setdefault(chunk_id, []).append(name)
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    return [(chunk_id, score, tuple(found_by[chunk_id])) for chunk_id, score in ranked]
