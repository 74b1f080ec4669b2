"""The audit log (利用登记): who asked what, when, and which records and pages were shown.

Append-only inside SQLite: triggers refuse UPDATE and DELETE, so not even a bug in our code can
rewrite history. An administrator exports it as CSV (`archive-assistant audit export`, or the
admin panel of the UI). It is written for administrators only; it never reaches readers.

An answer that cannot be recorded is not given: `record` raises `StorageError` (a read-only
index, a full disk), and the CLI and the UI show that sentence instead of the answer. An answer
a model was still writing when the user stopped it is recorded as `interrupted`, with every
passage the model had been given as "shown" (the part already on the screen may quote any of them).

The CSV is opened by Excel, which runs a cell starting with `=`, `+`, `-` or `@` (and tab or CR,
which it strips first) as a formula: such a cell gets a leading `'`, which Excel shows as text.

    export_csv(connect_read_only(db_path), Path("利用登记.csv"), since="2026-01-01")
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from assistant.answer.citations import where
from assistant.errors import storage_error
from assistant.index import audit_log
from assistant.index.audit_log import connect_read_only as connect_read_only  # the CLI's export opens it here
from assistant.index.audit_log import entries as entries  # the admin page reads it here
from assistant.index.sqlite import Connection
from assistant.models import Answer, Chunk, Principal

HEADERS = ("序号", "时间(UTC)", "用户", "角色", "模式", "问题", "结果", "展示的档案与页码")
INTERRUPTED = "interrupted"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def record(conn: Connection, principal: Principal, mode: str, answer: Answer) -> None:
    shown = [
        {"source": c.source, "page": c.page, "fonds": c.fonds, "archival_code": c.archival_code}
        for c in answer.citations
    ]
    _insert(conn, principal, mode, answer.question, answer.status, shown)


def record_interrupted(
    conn: Connection, principal: Principal, mode: str, question: str, chunks: Iterable[Chunk]
) -> None:
    """A streamed answer the user stopped: every chunk the model was given counts as shown."""
    shown = [
        {"source": c.source_name, "page": c.page, "fonds": c.fonds, "archival_code": c.archival_code} for c in chunks
    ]
    _insert(conn, principal, mode, question, INTERRUPTED, shown)


# Library and account actions share the log with answers: the mode column names the action.
# `mcp` is not an action but the answers given to programs (assistant/ui/mcp_tools.py); it is
# here so the admin page names it in words and can filter by it.
ACTIONS = {
    "mcp": "程序接口",
    "upload": "上传导入",
    "delete": "删除文档",
    "reindex": "重新导入",
    "access": "修改访问级别",
    "users": "账号管理",
}


def record_action(conn: Connection, principal: Principal, action: str, detail: str) -> None:
    """A document library or account action (`ACTIONS`) with what it was done to."""
    _insert(conn, principal, action, detail, "done", [])


def shown_places(shown: object) -> str:
    """The `shown` column (JSON) as one cell: 文件 第n页 档号 …；…"""
    return "；".join(place(item) for item in json.loads(str(shown)))


def export_csv(
    conn: Connection,
    path: Path,
    since: str | None = None,
    *,
    until: str | None = None,
    user: str | None = None,
    mode: str | None = None,
) -> int:
    """Write the log (UTF-8 with BOM, so Excel opens the Chinese correctly); returns the row count.
    A file this call created and could not finish (a full disk) is removed again."""
    rows = entries(conn, since, until, user, mode)
    return write_csv(path, HEADERS, ([*head, shown_places(shown)] for *head, shown in rows))


def write_csv(path: Path, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Rows as CSV for Excel (UTF-8 with BOM, so it opens the Chinese correctly; formulas
    neutralised); returns the row count. A file this call created and could not finish (a full
    disk) is removed again."""
    existed = path.exists()
    count = 0
    try:
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(headers)
            for row in rows:
                writer.writerow([spreadsheet_safe(value) for value in row])
                count += 1
    except OSError as exc:
        if not existed and path.is_file():
            path.unlink()
        raise storage_error(exc, f"无法写入 {path}") from exc
    return count


def spreadsheet_safe(value: object) -> object:
    """A cell Excel shows as text: strings starting like a formula get a leading `'`."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def place(item: Mapping[str, object]) -> str:
    """Where a shown citation points, in one cell: 文件 第n页 档号 …"""
    return where(str(item["source"]), item.get("page"), code=item.get("archival_code"), sep=" ")


def _insert(conn: Connection, principal: Principal, mode: str, question: str, status: str, shown: list[dict]) -> None:
    audit_log.insert(conn, principal.name, str(principal.role), mode, question, status, shown)
