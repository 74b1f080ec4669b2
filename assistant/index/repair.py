"""Reconcile SQLite and Chroma after a crash: `archive-assistant doctor --repair`.

Ingest writes SQLite first (the source marked 'pending'), then Chroma, then marks the source
complete, so after any interruption the stores differ in known ways only: pending sources, and
vectors whose chunk rows are gone. Repair finishes or removes pending sources and sweeps the
vectors that no chunk owns; a chunk without a vector gets its source ingested again. Last,
every document gets the access level its catalogue row and the access settings give it now
(`ingest.levels`): a crash between storing a catalogue and re-linking its records, or a source
stored before a setting changed, leaves one behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from assistant.index import db, vectors
from assistant.index.sqlite import transaction
from assistant.index.store import Index


@dataclass
class RepairReport:
    reingested: list[str] = field(default_factory=list)
    removed_sources: list[str] = field(default_factory=list)
    orphan_vectors: int = 0
    relevelled_chunks: int = 0
    failed: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"重新导入未完成的来源 {len(self.reingested)} 个",
            f"删除文件已不存在的来源 {len(self.removed_sources)} 个",
            f"删除无主向量 {self.orphan_vectors} 个",
            f"更正访问级别的文本块 {self.relevelled_chunks} 个",
            *(f"✗ {message}" for message in self.failed),
        ]


def repair(index: Index) -> RepairReport:
    from assistant.ingest.levels import apply_levels, stale_sources  # ingest imports the index
    from assistant.ingest.pipeline import ingest_file

    report = RepairReport()
    chunk_ids = set(db.all_chunk_ids(index.conn))
    vector_ids = vectors.all_ids(index.collection)
    orphans = sorted(vector_ids - chunk_ids)
    vectors.delete(index.collection, orphans)
    report.orphan_vectors = len(orphans)

    missing_vectors = chunk_ids - vector_ids
    suspect = set(db.pending_source_paths(index.conn)) | set(db.source_paths_of_chunks(index.conn, missing_vectors))
    for path in sorted(suspect):
        if Path(path).is_file():
            db.mark_pending(index.conn, path)  # an unchanged hash must not let ingest skip it
            result = ingest_file(index, Path(path))
            (report.reingested if result.status == "ingested" else report.failed).append(result.message or path)
        else:
            source_id = db.source_state(index.conn, path)[0]  # type: ignore[index]
            with transaction(index.conn):
                db.delete_source(index.conn, source_id)
            vectors.delete_source(index.collection, source_id)
            report.removed_sources.append(path)
    report.relevelled_chunks = apply_levels(index, stale_sources(index.conn, index.settings))
    return report
