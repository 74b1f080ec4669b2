"""The audit log (利用登记): who asked what, when, and which records and pages were shown.

Append-only inside SQLite: triggers refuse UPDATE and DELETE, so not even a bug in our code can
rewrite history. An administrator exports it as CSV (`archive-assistant audit export`, or the
admin panel of the UI). It is written for administrators only; it never reaches readers.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

from assistant.models import Answer, Principal

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


def create(conn: sqlite3.Connection) -> None:
    conn.executescript(SCHEMA)


def record(conn: sqlite3.Connection, principal: Principal, mode: str, answer: Answer) -> None:
    shown = [
        {"source": c.source, "page": c.page, "fonds": c.fonds, "archival_code": c.archival_code}
        for c in answer.citations
    ]
    conn.execute(
        "INSERT INTO audit_log(user, role, mode, question, status, shown) VALUES (?, ?, ?, ?, ?, ?)",
        (
            principal.name,
            str(principal.role),
            mode,
            answer.question,
            answer.status,
            json.dumps(shown, ensure_ascii=False),
        ),
    )


def entries(conn: sqlite3.Connection, since: str | None = None) -> list[tuple[object, ...]]:
    sql = f"SELECT {', '.join(COLUMNS)} FROM audit_log"
    params: tuple[object, ...] = ()
    if since:
        sql += " WHERE at >= ?"
        params = (since,)
    return conn.execute(sql + " ORDER BY id", params).fetchall()


def export_csv(conn: sqlite3.Connection, path: Path, since: str | None = None) -> int:
    """Write the log (UTF-8 with BOM, so Excel opens the Chinese correctly); returns the row count."""
    rows = entries(conn, since)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for row in rows:
            *head, shown = row
            places = "；".join(_place(item) for item in json.loads(str(shown)))
            writer.writerow([*head, places])
    return len(rows)


def _place(item: dict[str, object]) -> str:
    parts = [str(item["source"])]
    if item.get("page"):
        parts.append(f"第{item['page']}页")
    if item.get("archival_code"):
        parts.append(f"档号 {item['archival_code']}")
    return " ".join(parts)
