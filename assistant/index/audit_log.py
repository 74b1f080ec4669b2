"""The audit log's table (利用登记): append-only, written once per answer or action, read by admins.

Triggers refuse UPDATE and DELETE, so not even a bug in our code can rewrite history. What a row
holds and how it is exported is assistant/audit.py; this module only stores and reads rows.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from assistant.errors import StorageError, storage_error

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


def create(conn: sqlite3.Connection) -> None:
    conn.executescript(SCHEMA)


def insert(
    conn: sqlite3.Connection, user: str, role: str, mode: str, question: str, status: str, shown: list[dict]
) -> None:
    """Append one row; a write the database refuses is a `StorageError` (the answer is then not shown)."""
    try:
        conn.execute(
            "INSERT INTO audit_log(user, role, mode, question, status, shown) VALUES (?, ?, ?, ?, ?, ?)",
            (user, role, mode, question, status, json.dumps(shown, ensure_ascii=False)),
        )
    except sqlite3.OperationalError as exc:
        raise storage_error(exc, f"无法写入索引 {_folder(conn)} 的利用登记，本次回答没有显示") from exc


def _folder(conn: sqlite3.Connection) -> str:
    """The folder of the connection's database file, for a message the administrator can act on."""
    path = next((row[2] for row in conn.execute("PRAGMA database_list") if row[1] == "main"), "")
    return str(Path(path).parent) if path else "（内存数据库）"


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
