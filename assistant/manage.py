"""The document library's actions: delete a source, read it again, give it an access level.

Staff and admins only, each audited; a source the principal may not see is answered as if it did
not exist, and a catalogue (whose rows are levelled one by one) only by an admin. The work is in
index.library and ingest.levels; `Assistant` exposes these as its methods.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from assistant import audit
from assistant.access import CLASSIFIED, clearance
from assistant.errors import AssistantError
from assistant.index import library, vectors
from assistant.ingest import levels
from assistant.models import AccessChoice, IngestReport, Principal, Role

if TYPE_CHECKING:
    from assistant.ingest.pipeline import Progress
    from assistant.service import Assistant


class LibraryError(AssistantError):
    """A document library action that cannot be done as asked, as one sentence."""


def delete_source(assistant: Assistant, principal: Principal, source_id: str) -> str:
    """Remove a source (chunks, vectors, catalogue rows, OCR pages) and re-level the records
    that were linked to its rows; audited. Returns its name."""
    entry = _manageable(assistant, principal, source_id, "删除")
    path = library.remove_source(assistant.index.conn, source_id)
    if path is None:
        raise LibraryError("该文档已不在索引中，请刷新列表。")
    vectors.delete_source(assistant.index.collection, source_id)
    if entry.kind == "catalogue":  # its records fall back to the level of unlinked scans
        levels.apply_levels(assistant.index, levels.stale_sources(assistant.index.conn, assistant.settings))
    uploads = (assistant.settings.index_dir / "uploads").resolve()
    if Path(path).parent == uploads:  # our own copy of an upload goes with it
        Path(path).unlink(missing_ok=True)
    assistant.forget_counts()
    audit.record_action(assistant.index.conn, principal, "delete", entry.name)
    return entry.name


def reindex_source(
    assistant: Assistant, principal: Principal, source_id: str, progress: Progress | None = None
) -> IngestReport:
    """Read a source's file again (as if it had changed); audited."""
    entry = _manageable(assistant, principal, source_id, "重新导入")
    if not Path(entry.path).exists():
        raise LibraryError(f"原文件 {entry.name} 已不在原处，无法重新导入；请重新上传。")
    library.mark_changed(assistant.index.conn, source_id)
    report = assistant.ingest([Path(entry.path)], progress)
    audit.record_action(assistant.index.conn, principal, "reindex", entry.name)
    return report


def set_access(assistant: Assistant, principal: Principal, source_id: str, choice: AccessChoice) -> str:
    """Give a document the open status and 密级 chosen (staff may not set a 密级); audited."""
    entry = _manageable(assistant, principal, source_id, "修改访问级别")
    if choice.classification and clearance(principal) < CLASSIFIED:
        raise LibraryError("只有管理员可以设定密级。")
    library.choose_access(assistant.index.conn, entry.path, choice.open_status, choice.classification)
    levels.reapply_chosen(assistant.index, [entry.path])
    assistant.forget_counts()
    shown = "，".join(part for part in (choice.open_status, choice.classification) if part)
    audit.record_action(assistant.index.conn, principal, "access", f"{entry.name} → {shown}")
    return entry.name


def _manageable(assistant: Assistant, principal: Principal, source_id: str, action: str) -> library.SourceEntry:
    """The source, when this principal may manage it: staff and admin only; a source the
    principal may not see is answered as if it did not exist; a catalogue (whose rows are
    levelled one by one, some perhaps above the principal's clearance) only by an admin."""
    if principal.role is Role.READER:
        raise LibraryError("只有馆员和管理员可以管理文档。")
    entry = library.source(assistant.index.conn, source_id, clearance(principal))
    if entry is None:
        raise LibraryError("该文档已不在索引中，请刷新列表。")
    if entry.kind == "catalogue" and principal.role is not Role.ADMIN:
        raise LibraryError(f"目录的每一条按自己的开放状态和密级定级，{action}目录需由管理员操作。")
    if entry.kind == "catalogue" and action == "修改访问级别":
        raise LibraryError("目录的每一条按自己的开放状态和密级定级；请修改目录文件后重新导入。")
    if not entry.whole:  # never for a document (one level); a guard should the rules change
        raise LibraryError("该文档无法由您管理，请联系管理员。")
    return entry
