"""The two SQLite helpers every module of `index/` writes with: one transaction, one batching rule.

Only modules inside `assistant/index/` talk to SQLite or Chroma (tests/test_layout.py checks it);
the rest of the assistant calls their functions with plain arguments. Types and errors that
callers outside need to name are given here, so they never import `sqlite3` themselves.

>>> [list(batch) for batch in batched(["a", "b", "c"], 2)]
[['a', 'b'], ['c']]
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

Connection = sqlite3.Connection
# A write the database refused (read-only file, full disk, a lock held too long).
OperationalError = sqlite3.OperationalError

PARAMETERS = 500  # ids bound per statement: well under SQLite's limit of bound parameters

T = TypeVar("T")


@contextmanager
def transaction(conn: Connection, *, immediate: bool = False) -> Iterator[Connection]:
    """One transaction: committed when the block ends, rolled back when it raises.

    Connections are opened in autocommit mode (`schema.connect`), so without this every statement
    commits on its own. `immediate` takes the write lock at once: for a read-then-write that another
    process may race (an upgrade, a delete), so the read and the write see the same rows."""
    with conn:
        conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
        yield conn


def batched(items: Sequence[T], size: int = PARAMETERS) -> Iterator[Sequence[T]]:
    """`items` in consecutive slices of at most `size` (a statement's bound parameters, a Chroma
    request's largest batch)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def marks(count: int) -> str:
    """`?, ?, ?` for an IN list of `count` values."""
    return ", ".join("?" * count)
