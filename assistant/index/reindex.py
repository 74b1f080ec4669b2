"""`archive-assistant reindex`: the index's vectors recomputed with the current embedding model.

The texts come from SQLite (the chunks as they were stored, the same `embedding_text` ingest
embeds), never from the source files, which may have moved or gone. The new vectors go into the
new model's own collection (its name derives from the model), batch by batch, while the old
collection stays untouched, so:

- a kill at any point loses at most the batch being written; the next run skips every chunk the
  new collection already holds and goes on from there;
- until the last batch is written the index still records the old model, so nothing ever
  searches a half-filled collection: opening the index with the new model is refused with the
  usual "run reindex" message, and the old model keeps working;
- at the end the index records the new model in one write, then the old collection is dropped.

Vectors the new collection holds for chunks that were deleted in between (an ingest with the old
model after a kill) are swept before the switch. Deliberately not handled: running reindex while
another process ingests into the same index.
"""

from __future__ import annotations

from dataclasses import dataclass

from tqdm import tqdm

from assistant.index import db, vectors
from assistant.index.embeddings import Embedder
from assistant.index.store import MODEL_KEY, REINDEX_KEY, Index, open_index
from assistant.settings import Settings

# Chunks embedded and written per step: what a kill can lose. Each step also reads its chunks
# from SQLite and writes one Chroma upsert, a few ms against seconds of embedding.
BATCH = 128


@dataclass(frozen=True)
class ReindexReport:
    old_model: str | None
    new_model: str
    chunks: int
    already_done: int  # vectors a previous, interrupted run had written
    embedded: int
    stale_removed: int
    fallback_warning: str | None  # the current model is the offline fallback: why

    def lines(self) -> list[str]:
        if self.old_model == self.new_model and self.embedded == 0:
            return [f"索引的 {self.chunks} 个文本块都已有当前模型的向量，无需重新计算。"]
        resumed = f"（其中 {self.already_done} 个是上次中断前已算好的）" if self.already_done else ""
        return [
            f"已用当前模型重新计算向量：共 {self.chunks} 个文本块{resumed}，本次计算 {self.embedded} 个。",
            *(["已删除旧模型的向量。"] if self.old_model and self.old_model != self.new_model else []),
        ]


def reindex(settings: Settings, embedder: Embedder | None = None, progress: bool = True) -> ReindexReport:
    index = open_index(settings, embedder, reindexing=True)
    conn = index.conn
    old, new = db.get_meta(conn, MODEL_KEY), index.embedder.name
    abandoned = db.get_meta(conn, REINDEX_KEY)  # an interrupted move to a third model, given up
    db.set_meta(conn, REINDEX_KEY, new)
    chunk_ids = db.all_chunk_ids(conn)
    present = vectors.all_ids(index.collection)
    todo = [chunk_id for chunk_id in chunk_ids if chunk_id not in present]
    done_before = len(chunk_ids) - len(todo)
    with tqdm(total=len(chunk_ids), initial=done_before, desc="重算向量", unit="块", disable=not progress) as bar:
        for start in range(0, len(todo), BATCH):
            _embed_batch(index, todo[start : start + BATCH])
            bar.update(len(todo[start : start + BATCH]))
    stale = sorted(present - set(chunk_ids))
    vectors.delete(index.collection, stale)
    with conn:  # the switch: from here on the index is the new model's
        conn.execute("BEGIN")
        db.set_meta(conn, MODEL_KEY, new)
        conn.execute("DELETE FROM meta WHERE key = ?", (REINDEX_KEY,))
    for model in {old, abandoned} - {None, new}:
        vectors.drop_collection(
            settings.index_dir / "chroma", vectors.collection_name(str(model), settings.chunk_size), settings.chroma_url
        )
    return ReindexReport(old, new, len(chunk_ids), done_before, len(todo), len(stale), index.embedder.fallback_warning)


def _embed_batch(index: Index, chunk_ids: list[str]) -> None:
    from assistant.ingest.pipeline import embed_chunks  # the pipeline imports the index modules

    found = db.chunks_by_id(index.conn, chunk_ids)
    chunks = [found[chunk_id] for chunk_id in chunk_ids if chunk_id in found]
    vectors.upsert(index.collection, chunks, embed_chunks(index, chunks))


def unfinished_reindex(index: Index) -> str | None:
    """The model an interrupted reindex was moving to, or None."""
    target = db.get_meta(index.conn, REINDEX_KEY)
    return target if target and target != db.get_meta(index.conn, MODEL_KEY) else None
