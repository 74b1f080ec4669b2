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
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from assistant.errors import StorageError, storage_error
from assistant.models import Answer, Chunk, Principal

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    user TEXT NOT NULL,
    role TEXT NOT NULL,
    mode TEXT NOT NULL,
    question TEXT NOT NULL,
    status TEXT NOT NULL,
    shown TEXT NOT NULL            -- JSON: [{"source", "page", "fonds", "archival_code"}]
);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
"""

COLUMNS = ("id", "at", "user", "role", "mode", "question", "status", "shown")
HEADERS = ("序号", "时间(UTC)", "用户", "角色", "模式", "问题", "结果", "展示的档案与页码")
INTERRUPTED = "interrupted"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def create(conn: sqlite3.Connection) -> None:
    conn.executescript(SCHEMA)


def record(conn: sqlite3.Connection, principal: Principal, mode: str, answer: Answer) -> None:
    shown = [
        {"source": c.source, "page": c.page, "fonds": c.fonds, "archival_code": c.archival_code}
        for c in answer.citations
    ]
    _insert(conn, principal, mode, answer.question, answer.status, shown)


def record_interrupted(
    conn: sqlite3.Connection, principal: Principal, mode: str, question: str, chunks: Iterable[Chunk]
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


def record_action(conn: sqlite3.Connection, principal: Principal, action: str, detail: str) -> None:
    """A document library or account action (`ACTIONS`) with what it was done to."""
    _insert(conn, principal, action, detail, "done", [])


def _insert(
    conn: sqlite3.Connection, principal: Principal, mode: str, question: str, status: str, shown: list[dict]
) -> None:
    try:
        conn.execute(
            "INSERT INTO audit_log(user, role, mode, question, status, shown) VALUES (?, ?, ?, ?, ?, ?)",
            (principal.name, str(principal.role), mode, question, status, json.dumps(shown, ensure_ascii=False)),
        )
    except sqlite3.OperationalError as exc:
        raise storage_error(exc, "无法写入利用登记，本次回答没有显示") from exc


def connect_read_only(path: Path) -> sqlite3.Connection:
    """The index database for reading the log, also when its folder is read-only or the disk is
    full (nothing is written; `immutable` when even the WAL index cannot be opened)."""
    if not path.is_file():
        raise StorageError(f"索引 {path.parent} 中还没有数据库，没有可导出的利用登记。")
    for query in ("mode=ro", "mode=ro&immutable=1"):
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?{query}", uri=True)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.OperationalError:
            conn.close()
    raise StorageError(f"无法读取索引数据库 {path}：请检查文件权限。")


def entries(
    conn: sqlite3.Connection,
    since: str | None = None,
    until: str | None = None,
    user: str | None = None,
    mode: str | None = None,
    limit: int | None = None,
) -> list[tuple[object, ...]]:
    """Log rows in order; `since`/`until` bound the time (an ISO date or time; `until` a date
    includes that whole day), `user` and `mode` (ask, draft, onboard or an action) narrow it;
    `limit` keeps the newest that many (still in order)."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'audit_log'").fetchone() is None:
        return []  # an index nobody has asked anything yet
    clauses, params = [], []
    if since:
        clauses.append("at >= ?")
        params.append(since)
    if until:
        clauses.append("at < ?")
        params.append(until + "\uffff" if len(until) > 10 else until + "T\uffff")
    if user:
        clauses.append("user = ?")
        params.append(user)
    if mode:
        clauses.append("mode = ?")
        params.append(mode)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    sql = f"SELECT {', '.join(COLUMNS)} FROM audit_log{where} ORDER BY id DESC"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return conn.execute(sql, params).fetchall()[::-1]


def shown_places(shown: object) -> str:
    """The `shown` column (JSON) as one cell: 文件 第n页 档号 …；…"""
    return "；".join(place(item) for item in json.loads(str(shown)))


def export_csv(
    conn: sqlite3.Connection,
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
    parts = [str(item["source"])]
    if item.get("page"):
        parts.append(f"第{item['page']}页")
    if item.get("archival_code"):
        parts.append(f"档号 {item['archival_code']}")
    return " ".join(parts)
