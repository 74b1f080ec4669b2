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

An index another release built (another chunker, segmenter dictionary or figure extractor,
index/identity.py) is then rebuilt from its source files, which this step does need; a source no
longer on disk keeps its old text and is named in the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from assistant.index import db, identity, vectors
from assistant.index.embeddings import Embedder
from assistant.index.sqlite import transaction
from assistant.index.store import MODEL_KEY, REINDEX_KEY, Index, open_index
from assistant.settings import Settings

# Chunks embedded and written per step: what a kill can lose. Each step also reads its chunks
# from SQLite and writes one Chroma upsert, a few ms against seconds of embedding.
BATCH = 128


@dataclass
class ReindexReport:
    old_model: str | None
    new_model: str
    chunks: int
    already_done: int  # vectors a previous, interrupted run had written
    embedded: int
    stale_removed: int
    fallback_warning: str | None  # the current model is the offline fallback: why
    rebuilt_stages: list[str] = field(default_factory=list)  # pipeline stages another release ran
    rebuilt_sources: int = 0
    missing_sources: list[str] = field(default_factory=list)  # not on disk any more: kept as they were
    failed_sources: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        lines = []
        if self.old_model == self.new_model and self.embedded == 0:
            lines.append(f"索引的 {self.chunks} 个文本块都已有当前模型的向量，无需重新计算。")
        else:
            resumed = f"（其中 {self.already_done} 个是上次中断前已算好的）" if self.already_done else ""
            lines.append(f"已用当前模型重新计算向量：共 {self.chunks} 个文本块{resumed}，本次计算 {self.embedded} 个。")
            if self.old_model and self.old_model != self.new_model:
                lines.append("已删除旧模型的向量。")
        if self.rebuilt_stages:
            lines.append(f"按新版本（{'、'.join(self.rebuilt_stages)}）从源文件重建了 {self.rebuilt_sources} 个来源。")
        for name in self.missing_sources:
            lines.append(f"⚠ 源文件已不在原处，其内容按旧版本保留：{name}（请重新导入或上传该文件）")
        for message in self.failed_sources:
            lines.append(f"⚠ 重建失败：{message}")
        return lines


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
    with transaction(conn):  # the switch: from here on the index is the new model's
        db.set_meta(conn, MODEL_KEY, new)
        conn.execute("DELETE FROM meta WHERE key = ?", (REINDEX_KEY,))
    for model in {old, abandoned} - {None, new}:
        vectors.drop_collection(
            settings.index_dir / "chroma", vectors.collection_name(str(model), settings.chunk_size), settings.chroma_url
        )
    warning = index.embedder.fallback_warning
    report = ReindexReport(old, new, len(chunk_ids), done_before, len(todo), len(stale), warning)
    return _rebuilt_from_sources(index, report)


def _rebuilt_from_sources(index: Index, report: ReindexReport) -> ReindexReport:
    """Every source read again when another release cut, segmented or read figures from it; the
    index then records this release. Text alone cannot be re-cut, so the files are needed."""
    from assistant.ingest.pipeline import ingest  # the pipeline imports the index modules

    stages = identity.stale_stages(index.conn)
    if not stages:
        return report
    paths = [Path(p) for p in db.forget_content_hashes(index.conn)]
    present = [p for p in paths if p.exists()]
    result = ingest(index, present)
    identity.record(index.conn)
    report.rebuilt_stages = stages
    report.rebuilt_sources = sum(r.status != "failed" for r in result.files)
    report.missing_sources = [p.name for p in paths if not p.exists()]
    report.failed_sources = [r.message for r in result.files if r.status == "failed"]
    return report


def _embed_batch(index: Index, chunk_ids: list[str]) -> None:
    from assistant.ingest.pipeline import embed_chunks  # the pipeline imports the index modules

    found = db.chunks_by_id(index.conn, chunk_ids)
    chunks = [found[chunk_id] for chunk_id in chunk_ids if chunk_id in found]
    vectors.upsert(index.collection, chunks, embed_chunks(index, chunks))


def unfinished_reindex(index: Index) -> str | None:
    """The model an interrupted reindex was moving to, or None."""
    target = db.get_meta(index.conn, REINDEX_KEY)
    return target if target and target != db.get_meta(index.conn, MODEL_KEY) else None
