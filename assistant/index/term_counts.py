"""How many chunks a principal may see hold each word, remembered until the holdings change.

Every question needs the counts twice or more (the lexical leg's order of terms, the extractive
answer's weights, and again when a year-narrowed search is widened), and a rare word's count is an
exact FTS5 query among visible chunks (`fts.document_frequencies`), as is the visible total per
clearance. The words are the ones questions repeat, so the counts are kept per clearance. Triggers
on the chunks table (schema.py) bump the `holdings` generation in meta whenever a chunk is added,
removed or relabelled, by this process or another (a CLI ingest beside the running UI); a question
that reads another generation starts a fresh cache."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.index import db, fts
from assistant.index.sqlite import Connection

# Enough for the words of many thousands of questions; beyond it the cache starts again.
_MAX_WORDS = 200_000


@dataclass
class TermCounts:
    _generation: str | None = None
    _words: dict[tuple[int, str], int] = field(default_factory=dict)
    _totals: dict[int, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def frequencies(self, conn: Connection, words: Sequence[str], max_level: int) -> dict[str, int]:
        """Each of `words` with the number of chunks holding it that `max_level` may see (0 when
        none; `fts.document_frequencies` says how restricted chunks are kept out of it)."""
        generation = db.holdings_generation(conn)
        with self._lock:
            self._start_if_changed(generation)
            known = {w: self._words[(max_level, w)] for w in words if (max_level, w) in self._words}
        missing = [w for w in dict.fromkeys(words) if w not in known]
        found = fts.document_frequencies(conn, missing, max_level)
        with self._lock:
            if self._generation == generation:
                if len(self._words) + len(found) > _MAX_WORDS:
                    self._words.clear()
                self._words.update(((max_level, w), n) for w, n in found.items())
        return {**known, **found}

    def visible_total(self, conn: Connection, max_level: int) -> int:
        """How many chunks `max_level` may see."""
        generation = db.holdings_generation(conn)
        with self._lock:
            self._start_if_changed(generation)
            if max_level in self._totals:
                return self._totals[max_level]
        total = db.count_visible_chunks(conn, max_level)
        with self._lock:
            if self._generation == generation:
                self._totals[max_level] = total
        return total

    def _start_if_changed(self, generation: str) -> None:
        if generation != self._generation:
            self._generation = generation
            self._words.clear()
            self._totals.clear()
