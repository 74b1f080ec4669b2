"""Chroma: dense vectors keyed by chunk id, with the metadata retrieval filters on.

The collection name is derived from the embedding model and chunking parameters, so vectors of a
different model are never mixed into one collection.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import chromadb

from assistant.codes import fonds_key
from assistant.errors import ConfigError
from assistant.index.sqlite import batched
from assistant.models import Chunk


def collection_name(model: str, chunk_size: int) -> str:
    digest = hashlib.sha256(f"{model}|{chunk_size}".encode()).hexdigest()[:12]
    return f"chunks-{digest}"


def open_collection(path: Path, name: str, server_url: str = "") -> chromadb.Collection:
    """The collection on disk under `path`, or on a Chroma server (`chroma run`) when
    `server_url` is set, so that several app processes or machines share one index."""
    if server_url:
        client = _http_client(server_url)
    else:
        client = chromadb.PersistentClient(path=str(path), settings=chromadb.Settings(anonymized_telemetry=False))
    return client.get_or_create_collection(name, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None)


def drop_collection(path: Path, name: str, server_url: str = "") -> None:
    """Remove the collection `name` (vectors of a model the index no longer uses), if it exists."""
    collection = open_collection(path, name, server_url)
    collection._client.delete_collection(name)


def _http_client(url: str) -> chromadb.ClientAPI:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError(f"Chroma 服务地址无效：{url}（应形如 http://127.0.0.1:8000）")
    try:
        return chromadb.HttpClient(
            host=parts.hostname,
            port=parts.port or (443 if parts.scheme == "https" else 8000),
            ssl=parts.scheme == "https",
            settings=chromadb.Settings(anonymized_telemetry=False),
        )
    except Exception as exc:  # connection refused, DNS, TLS: all mean "not reachable from here"
        raise ConfigError(f"无法连接 Chroma 服务 {parts.scheme}://{parts.netloc}：{type(exc).__name__}") from exc


def metadata_of(chunk: Chunk) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "access_level": chunk.access_level,
        "kind": chunk.kind,
        "dated": chunk.year is not None,
        "source_id": chunk.source_id,
    }
    if chunk.fonds:
        meta["fonds"] = fonds_key(chunk.fonds)
    if chunk.year is not None:
        meta["year"] = chunk.year
    return meta


def upsert(collection: chromadb.Collection, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
    size = collection._client.get_max_batch_size()
    for part, part_vectors in zip(batched(chunks, size), batched(vectors, size), strict=True):
        collection.upsert(
            ids=[c.id for c in part],
            embeddings=[list(map(float, v)) for v in part_vectors],  # type: ignore[arg-type]
            metadatas=[metadata_of(c) for c in part],
        )


def delete(collection: chromadb.Collection, ids: Sequence[str]) -> None:
    for part in batched(ids, collection._client.get_max_batch_size()):
        collection.delete(ids=list(part))


def update_metadata(collection: chromadb.Collection, chunks: Sequence[Chunk]) -> None:
    """Rewrite the filter metadata of these chunks' vectors (a new access level, fonds or 档号)."""
    for part in batched(chunks, 1000):
        collection.update(ids=[c.id for c in part], metadatas=[metadata_of(c) for c in part])


def delete_source(collection: chromadb.Collection, source_id: str) -> None:
    collection.delete(where={"source_id": source_id})


def all_ids(collection: chromadb.Collection, page: int = 50000) -> set[str]:
    ids: set[str] = set()
    offset = 0
    while batch := collection.get(include=[], limit=page, offset=offset)["ids"]:
        ids.update(batch)
        offset += len(batch)
    return ids


def search(
    collection: chromadb.Collection, vector: Sequence[float], limit: int, visible: Callable[[list[str]], set[str]]
) -> list[tuple[str, float]]:
    """(chunk id, cosine distance) nearest first, among the ids `visible` keeps.

    `visible` is the SQL legs' own filter (access level, years, fonds, kinds) applied to chunk
    rows (`db.visible_ids`), so the rules live in one place. Chroma's `where` is not used: it
    scans metadata before the vector search, 300 ms at 100,000 chunks; and asking Chroma for the
    metadatas of thousands of neighbours cost more than the search (docs/benchmarks/scale.md).
    So ids alone are fetched, filtered, and the fetch widened (up to `MAX_WIDEN`×limit) while too
    few survive a narrow filter such as one year's reports (`next_fetch`). A chunk the principal
    may not see never leaves this function; neither does a vector whose chunk row is gone.
    """
    fetch = limit * WIDEN
    while True:
        # No collection.count() first: it cost 9 ms at 100k chunks and 28 ms at 300k, per question.
        # Chroma returns fewer than asked when the collection is smaller, which ends the loop.
        result = collection.query(query_embeddings=[list(vector)], n_results=fetch, include=["distances"])  # type: ignore[arg-type]
        distances = result["distances"] or [[]]
        found = list(zip(result["ids"][0], distances[0], strict=True))
        keep = visible([chunk_id for chunk_id, _ in found])
        kept = [(chunk_id, d) for chunk_id, d in found if chunk_id in keep]
        if len(kept) >= limit or len(found) < fetch or fetch >= limit * MAX_WIDEN:
            return kept[:limit]
        fetch = next_fetch(fetch, len(kept), limit)


WIDEN = 8
MAX_WIDEN = 128


def next_fetch(fetch: int, survived: int, limit: int) -> int:
    """How many neighbours to ask for next: enough for `limit` survivors at the rate this fetch
    had, with a margin, at least twice as many, at most `MAX_WIDEN`×limit. One well-aimed widening
    instead of ×4 steps: a year question went 240 → 960 → 3,840 before, each a full HNSW search."""
    wanted = math.ceil(fetch * limit / max(survived, 1) * 3)
    return min(limit * MAX_WIDEN, max(fetch * 2, wanted))
