"""The access level every stored document should have now, and putting it right.

A catalogue row's level comes from its own cells. Every other source's level comes from rules
that can change after it was stored: the settings `document_open_status` (reports, guides) and
`unlinked_scan_open_status` (a record whose 档号 has no catalogue row yet), and the catalogue
itself (a record linked to its row takes the row's level). A file that did not change is
skipped by ingest, so a tightened setting would never reach it; and a crash between storing a
catalogue and re-linking its records leaves a record at its old level. So:

- `reapply_if_settings_changed` compares the access settings recorded in the index with the
  current ones, and re-applies every document's level when they differ (at start-up and before
  each ingest): tightening `document_open_status` takes effect at once, on everything stored;
- `stale_sources` lists the sources whose stored levels differ from what the rules give now
  (`doctor` reports them, `doctor --repair` applies them with `apply_levels`).

The rule is `scans.record_name` on the stored path plus the catalogue, the same one ingest uses,
so a source's level never depends on which of the two computed it.

A person may also choose a source's open status and 密级: at upload (the web UI), with
`ingest --open-status S [--classification C]`, or in the document library. The choice is kept
by path (`index.library.choose_access`) and `expected_level` honours it: it replaces the
settings' default for a document or an unlinked scan, and for a record linked to its catalogue
row it can only make it stricter (the row's own level is never loosened by a choice). Ingest
applies it to the chunks it writes (`chosen_level`) and re-applies it afterwards to the chosen
sources ingest skipped as unchanged (`reapply_chosen`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.access import access_level
from assistant.errors import ConfigError
from assistant.index import catalogue, db, labels, library
from assistant.index.sqlite import Connection, OperationalError
from assistant.ingest import scans

if TYPE_CHECKING:
    from assistant.index.store import Index
    from assistant.models import Chunk
    from assistant.settings import Settings

_META_KEY = "access_settings"


@dataclass(frozen=True)
class StaleSource:
    source_id: str
    path: str
    stored: tuple[int, ...]  # the levels its chunks have
    expected: int


def access_settings(settings: Settings) -> str:
    return json.dumps(
        {
            "document_open_status": settings.document_open_status,
            "unlinked_scan_open_status": settings.unlinked_scan_open_status,
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def chosen_level(conn: Connection, path: str) -> int | None:
    """The level the open status and 密级 chosen for the source at `path` give, or None."""
    chosen = library.choice(conn, path)
    if chosen is None or chosen.open_status is None:
        return None
    return access_level(chosen.open_status, chosen.classification)


def expected_level(conn: Connection, path: str, settings: Settings) -> int:
    """The level a (non-catalogue) source stored under `path` should have now."""
    name = scans.record_name(Path(path))
    chosen = chosen_level(conn, path)
    if name.code:
        link = catalogue.link_of(conn, name.code)
        if link:
            return link.access_level if chosen is None else max(link.access_level, chosen)
        return chosen if chosen is not None else access_level(settings.unlinked_scan_open_status, "")
    document = chosen if chosen is not None else access_level(settings.document_open_status, "")
    unsure = scans.unsure_level(conn, name, settings)
    return document if unsure is None else max(document, unsure)


def stale_sources(conn: Connection, settings: Settings, paths: Sequence[str] | None = None) -> list[StaleSource]:
    """Complete sources (of `paths`, when given) whose chunks' levels differ from `expected_level`."""
    stale = []
    wanted = set(paths) if paths is not None else None
    for source in labels.document_levels(conn):
        if wanted is not None and source.path not in wanted:
            continue
        expected = expected_level(conn, source.path, settings)
        if source.levels != (expected,):
            stale.append(StaleSource(source.source_id, source.path, source.levels, expected))
    return stale


def apply_levels(index: Index, stale: list[StaleSource]) -> int:
    """Give the chunks of these sources their expected level, in SQLite and in Chroma's filter
    metadata (SQLite first: retrieval filters on it, Chroma's copy only narrows the dense leg).
    Returns how many chunks changed."""
    changed: list[Chunk] = []
    for source in stale:
        chunks = labels.chunks_of_source(index.conn, source.source_id)
        changed.extend(replace(c, access_level=source.expected) for c in chunks if c.access_level != source.expected)
    labels.relabel(index, changed)
    return len(changed)


def reapply_chosen(index: Index, paths: Sequence[str] | None = None) -> int:
    """Apply the chosen levels of these paths (every path with a choice, when None) to their
    stored sources; returns how many chunks changed."""
    chosen = library.chosen_paths(index.conn) if paths is None else paths
    return apply_levels(index, stale_sources(index.conn, index.settings, chosen)) if chosen else 0


def reapply_if_settings_changed(index: Index) -> int:
    """Re-apply every document's level when the access settings differ from those the index
    recorded; then record the current ones. Returns how many chunks changed."""
    current = access_settings(index.settings)
    if db.get_meta(index.conn, _META_KEY) == current:
        return 0
    stale = stale_sources(index.conn, index.settings)
    try:
        changed = apply_levels(index, stale)
        db.set_meta(index.conn, _META_KEY, current)
    except OperationalError as exc:  # a read-only index or a full disk
        if stale:  # answering with the old levels could show readers what the settings now hide
            raise ConfigError(
                f"访问设置已更改，但无法更新索引 {index.settings.index_dir} 中已导入文档的访问级别（{exc}）；"
                "请确认索引目录可写后重试"
            ) from exc
        return 0
    return changed
