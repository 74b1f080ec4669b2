"""Conversations of each web user, and the feedback they give on answers, in SQLite.

A conversation belongs to one user name; every function takes that name and touches only that
user's rows, so one user can never read, rename or delete another's conversation, whatever id
the browser sends. A turn keeps the question as typed, the mode, the answer as data (text,
status, citations with their chunk ids, warnings, direct answer, hint) and the clearance the
user had when it was given.

    conversation = start(conn, "王芳", "2022年接待查档多少人次？")
    add_turn(conn, conversation.id, "王芳", "ask", answer, clearance=1)
    [turn.answer.answer for turn in turns(conn, conversation.id, "王芳")]

Showing a stored answer again is a new showing: `shown_again` decides whether a turn may be shown
to the user as they are now (clearance not lower than when it was answered, every cited chunk
still there and within it); a turn that may not is replaced by a sentence saying so. A refusal's
hint names nearby sources whose levels were not recorded: `ui/conversation.hint_shown_again`
shows it again only while every place it names is within the user's clearance.

Feedback (👍/👎 and a comment) is kept with a copy of the question, the answer and its sources,
so it survives the deletion of its conversation and can be exported for evaluation
(`export_feedback_csv`, `archive-assistant feedback export`).

Deliberately not handled: sharing a conversation with another user; searching conversations.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path

from assistant.audit import place, write_csv
from assistant.errors import storage_error
from assistant.index.sqlite import transaction
from assistant.models import Answer, Citation

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    title TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX IF NOT EXISTS conversations_user ON conversations(user, updated_at);
CREATE TABLE IF NOT EXISTS conversation_turns (
    id INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    mode TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,            -- JSON: the Answer's fields, citations with chunk ids
    clearance INTEGER NOT NULL,      -- the user's clearance when it was answered
    at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX IF NOT EXISTS conversation_turns_conversation ON conversation_turns(conversation_id, id);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    turn_id INTEGER REFERENCES conversation_turns(id) ON DELETE SET NULL,
    user TEXT NOT NULL,
    rating TEXT NOT NULL,            -- 'up' or 'down'
    comment TEXT NOT NULL DEFAULT '',
    mode TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    status TEXT NOT NULL,
    sources TEXT NOT NULL,           -- the places cited, as the audit log writes them
    at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (turn_id, user)
);
"""

TITLE_CHARS = 40
RATINGS = {"up": "👍 有用", "down": "👎 没用"}
FEEDBACK_HEADERS = ("序号", "时间(UTC)", "用户", "评价", "意见", "模式", "问题", "回答", "结果", "出处")
WITHHELD = "（这条回答引用的资料现已超出您的查阅权限或已从馆藏中移除，不再显示。）"


@dataclass(frozen=True)
class Conversation:
    id: str
    user: str
    title: str
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class StoredTurn:
    id: int
    mode: str
    question: str
    answer: Answer
    clearance: int
    at: str


def create(conn: sqlite3.Connection) -> None:
    conn.executescript(SCHEMA)


def title_of(question: str) -> str:
    """A conversation's first title: its first question, on one line, cut to `TITLE_CHARS`."""
    line = " ".join(question.split())
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1] + "…"


def start(conn: sqlite3.Connection, user: str, first_question: str) -> Conversation:
    conversation_id = secrets.token_urlsafe(12)
    _write(
        conn,
        "INSERT INTO conversations(id, user, title) VALUES (?, ?, ?)",
        (conversation_id, user, title_of(first_question) or "新对话"),
    )
    found = get(conn, conversation_id, user)
    assert found is not None
    return found


def get(conn: sqlite3.Connection, conversation_id: str | None, user: str) -> Conversation | None:
    """The conversation, if it exists and is this user's."""
    if not conversation_id:
        return None
    row = conn.execute(
        "SELECT id, user, title, created_at, updated_at FROM conversations WHERE id = ? AND user = ?",
        (conversation_id, user),
    ).fetchone()
    return Conversation(*row) if row else None


def of_user(conn: sqlite3.Connection, user: str, limit: int = 200) -> list[Conversation]:
    """The user's conversations, the most recently used first."""
    rows = conn.execute(
        "SELECT id, user, title, created_at, updated_at FROM conversations WHERE user = ? "
        "ORDER BY updated_at DESC, rowid DESC LIMIT ?",
        (user, limit),
    )
    return [Conversation(*row) for row in rows]


def rename(conn: sqlite3.Connection, conversation_id: str, user: str, title: str) -> bool:
    """Give the user's conversation a new title (one line, at most `TITLE_CHARS`); False if not theirs."""
    title = " ".join(title.split())[:TITLE_CHARS]
    if not title:
        return False
    cursor = _write(
        conn, "UPDATE conversations SET title = ? WHERE id = ? AND user = ?", (title, conversation_id, user)
    )
    return cursor.rowcount == 1


def delete(conn: sqlite3.Connection, conversation_id: str, user: str) -> bool:
    """Delete the user's conversation and its turns (their feedback stays, detached); False if not theirs."""
    cursor = _write(conn, "DELETE FROM conversations WHERE id = ? AND user = ?", (conversation_id, user))
    return cursor.rowcount == 1


def add_turn(
    conn: sqlite3.Connection, conversation_id: str, user: str, mode: str, answer: Answer, clearance: int
) -> int:
    """Store a turn of the user's conversation; returns its id."""
    if get(conn, conversation_id, user) is None:
        raise LookupError(conversation_id)
    with transaction(conn, immediate=True):
        cursor = _write(
            conn,
            "INSERT INTO conversation_turns(conversation_id, mode, question, answer, clearance) VALUES (?, ?, ?, ?, ?)",
            (conversation_id, mode, answer.question, answer_json(answer), clearance),
        )
        _write(
            conn,
            "UPDATE conversations SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?",
            (conversation_id,),
        )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def turns(conn: sqlite3.Connection, conversation_id: str, user: str) -> list[StoredTurn]:
    """The turns of the user's conversation in order (none when it is not theirs)."""
    rows = conn.execute(
        "SELECT t.id, t.mode, t.question, t.answer, t.clearance, t.at FROM conversation_turns t "
        "JOIN conversations c ON c.id = t.conversation_id WHERE c.id = ? AND c.user = ? ORDER BY t.id",
        (conversation_id, user),
    )
    return [
        StoredTurn(id, mode, question, answer_from_json(data), clearance, at)
        for id, mode, question, data, clearance, at in rows
    ]


def shown_again(turn: StoredTurn, clearance: int, levels: dict[str, int]) -> Answer | None:
    """The stored answer as it may be shown now to a user of `clearance`, given the current
    level of each chunk still in the index (`levels`, by chunk id): the answer itself, a refusal
    without its hint, or None (withheld: show `WITHHELD`) when it was given under a higher
    clearance or cites a chunk that is gone or now above the user's clearance."""
    answer = turn.answer
    cited = [c.chunk_id for c in answer.citations]
    if turn.clearance > clearance or any(levels.get(chunk, clearance + 1) > clearance for chunk in cited):
        return None
    if answer.status != "answered":
        return Answer(answer.question, answer.answer, answer.status, warnings=list(answer.warnings))
    return answer


# ---- feedback ---------------------------------------------------------------------------------


def give_feedback(conn: sqlite3.Connection, turn_id: int, user: str, rating: str, comment: str = "") -> bool:
    """Record (or replace) the user's rating of a turn of their own conversation. The comment is
    kept unless a new one is given. False when the turn is not theirs."""
    row = conn.execute(
        "SELECT t.mode, t.answer FROM conversation_turns t JOIN conversations c ON c.id = t.conversation_id "
        "WHERE t.id = ? AND c.user = ?",
        (turn_id, user),
    ).fetchone()
    if row is None:
        return False
    if rating not in RATINGS:
        raise ValueError(rating)
    mode, data = row
    answer = answer_from_json(data)
    sources = "；".join(place(asdict(c)) for c in answer.citations)
    _write(
        conn,
        "INSERT INTO feedback(turn_id, user, rating, comment, mode, question, answer, status, sources) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(turn_id, user) DO UPDATE SET rating = excluded.rating, "
        "comment = CASE WHEN excluded.comment != '' THEN excluded.comment ELSE feedback.comment END, "
        "at = excluded.at",
        (turn_id, user, rating, comment.strip(), mode, answer.question, answer.answer, answer.status, sources),
    )
    return True


def comment_on(conn: sqlite3.Connection, turn_id: int, user: str, comment: str) -> bool:
    """Add a comment to the user's rating of a turn; False when there is no such rating."""
    cursor = _write(
        conn, "UPDATE feedback SET comment = ? WHERE turn_id = ? AND user = ?", (comment.strip(), turn_id, user)
    )
    return cursor.rowcount == 1


def ratings(conn: sqlite3.Connection, user: str, turn_ids: list[int]) -> dict[int, str]:
    """The user's rating of each of these turns that has one."""
    if not turn_ids:
        return {}
    marks = ", ".join("?" * len(turn_ids))
    sql = f"SELECT turn_id, rating FROM feedback WHERE user = ? AND turn_id IN ({marks})"
    return dict(conn.execute(sql, [user, *turn_ids]).fetchall())


def feedback_rows(conn: sqlite3.Connection, since: str | None = None) -> list[tuple[object, ...]]:
    sql = "SELECT id, at, user, rating, comment, mode, question, answer, status, sources FROM feedback"
    params: tuple[object, ...] = ()
    if since:
        sql += " WHERE at >= ?"
        params = (since,)
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'feedback'").fetchone() is None:
        return []  # an index nobody has given feedback on yet
    return conn.execute(sql + " ORDER BY id", params).fetchall()


def export_feedback_csv(conn: sqlite3.Connection, path: Path, since: str | None = None) -> int:
    """Write every feedback row as CSV for Excel (UTF-8 with BOM, formulas neutralised); returns
    the row count. A file this call created and could not finish is removed again."""
    rated = ([*row[:3], RATINGS.get(str(row[3]), row[3]), *row[4:]] for row in feedback_rows(conn, since))
    return write_csv(path, FEEDBACK_HEADERS, rated)


# ---- answers as data --------------------------------------------------------------------------

_ANSWER_FIELDS = (
    "question",
    "answer",
    "status",
    "warnings",
    "generated_by",
    "direct_answer",
    "hint",
    "understood_as",
    "series",
)


def answer_json(answer: Answer) -> str:
    data = {name: getattr(answer, name) for name in _ANSWER_FIELDS}
    data["citations"] = [asdict(citation) for citation in answer.citations]
    return json.dumps(data, ensure_ascii=False)


def answer_from_json(text: str) -> Answer:
    data = json.loads(text)
    citations = [Citation(**citation) for citation in data.get("citations", [])]
    known = {name: data[name] for name in _ANSWER_FIELDS if name in data}
    return Answer(**known, citations=citations)


def _write(conn: sqlite3.Connection, sql: str, params: tuple[object, ...]) -> sqlite3.Cursor:
    try:
        return conn.execute(sql, params)
    except sqlite3.OperationalError as exc:
        raise storage_error(exc, "无法保存对话") from exc
