"""The Assistant: the one Python API that the CLI, the UI, the tests and the benchmarks call.

    assistant = build_assistant(load_settings(index_dir=Path("idx")))
    assistant.ingest([Path("corpora/sample")])
    answer = assistant.ask("2022年接待查档多少人次？", Principal("王", Role.STAFF))
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from assistant.answer.extractive import answer_from_quotes, answer_from_rows, best_quotes, term_weights
from assistant.index import db
from assistant.index.store import Index, open_index
from assistant.ingest.pipeline import Progress, ingest
from assistant.models import Answer, Filters, IngestReport, Principal
from assistant.retrieve import retrieve
from assistant.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IndexStatus:
    index_dir: str
    sources: int
    chunks: int
    catalogue_rows: int
    pending_sources: int
    embedding_model: str
    embedding_warning: str | None
    llm: str

    def summary(self) -> str:
        line = (
            f"文档 {self.sources} 个 · 文本块 {self.chunks} 个 · 目录条目 {self.catalogue_rows} 条 · "
            f"嵌入模型 {self.embedding_model} · 回答方式 {self.llm}"
        )
        return f"{line}\n⚠ {self.embedding_warning}" if self.embedding_warning else line


class Assistant:
    def __init__(self, settings: Settings, index: Index) -> None:
        self.settings = settings
        self.index = index
        self._total_chunks: int | None = None

    def ingest(self, paths: Iterable[Path], progress: Progress | None = None) -> IngestReport:
        report = ingest(self.index, [Path(p) for p in paths], progress)
        self._total_chunks = None
        return report

    def ask(
        self,
        question: str,
        principal: Principal,
        filters: Filters | None = None,
        k: int | None = None,
    ) -> Answer:
        started = time.perf_counter()
        filters = filters or Filters()
        k = k or self.settings.top_k
        found = retrieve(self.index, question, principal, filters, max(self.settings.candidates, k))
        retrieved = time.perf_counter()

        if found.asked_codes:
            code_hits = [h for h in found.hits if "code" in h.legs][:k]
            chunks = [h.chunk for h in code_hits]
            rows = db.catalogue_rows_by_chunk(self.index.conn, [c.id for c in chunks])
            answer = answer_from_rows(question, chunks, rows)
        else:
            weights = term_weights(
                found.query_terms,
                db.document_frequencies(self.index.conn, found.query_terms),
                self._chunk_total(),
            )
            quotes = best_quotes(question, found.hits, weights, self.settings.max_quotes, depth=max(k, 8))
            answer = answer_from_quotes(question, quotes, self.settings.min_coverage)
        done = time.perf_counter()
        answer.timings_ms = {
            "retrieve": (retrieved - started) * 1000,
            "answer": (done - retrieved) * 1000,
            "total": (done - started) * 1000,
        }
        # Counts only: the question and what was found may be above a log reader's clearance.
        log.debug("ask role=%s hits=%d status=%s", principal.role, len(found.hits), answer.status)
        return answer

    def status(self) -> IndexStatus:
        counts = db.stats(self.index.conn)
        return IndexStatus(
            index_dir=str(self.settings.index_dir),
            sources=counts["sources"],
            chunks=counts["chunks"],
            catalogue_rows=counts["catalogue_rows"],
            pending_sources=counts["pending_sources"],
            embedding_model=self.index.embedder.name,
            embedding_warning=self.index.embedder.fallback_warning,
            llm=self.settings.llm_model if self.settings.llm_enabled else "extractive",
        )

    def _chunk_total(self) -> int:
        if self._total_chunks is None:
            self._total_chunks = db.count_chunks(self.index.conn)
        return self._total_chunks


def build_assistant(settings: Settings) -> Assistant:
    """The one way to make an Assistant: opens (or creates) the index the settings name."""
    return Assistant(settings, open_index(settings))
