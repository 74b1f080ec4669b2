"""The layout rules of issue 19, read from the source with `ast`: storage stays behind
`assistant/index/`, and no module grows past 400 lines."""

from __future__ import annotations

import ast
import doctest
import sys
from pathlib import Path

import pytest

from assistant.index import filters, sqlite
from assistant.retrieve import fusion

PACKAGE = Path(__file__).resolve().parent.parent / "assistant"
STORAGE = PACKAGE / "index"
STORAGE_MODULES = {"sqlite3", "chromadb"}
QUERY_CALLS = {"execute", "executemany", "executescript"}
MAX_LINES = 400


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def storage_uses(source: str) -> list[str]:
    """What in `source` reaches SQLite or Chroma directly: imports of either, calls of a
    connection's execute methods.

    >>> storage_uses("import sqlite3\\nfrom chromadb.errors import ChromaError\\nconn.execute('SELECT 1')")
    ['line 1: import sqlite3', 'line 2: import chromadb.errors', 'line 3: .execute()']
    >>> storage_uses("from assistant.index import db\\ndb.chunks_by_id(conn, ids)")
    []
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in QUERY_CALLS:
            found.append((node.lineno, f".{node.func.attr}()"))
            continue
        else:
            continue
        found += [(node.lineno, f"import {name}") for name in names if name.split(".")[0] in STORAGE_MODULES]
    return [f"line {line}: {what}" for line, what in sorted(found)]


def test_only_the_index_package_talks_to_sqlite_or_chroma() -> None:
    outside = [path for path in _modules() if STORAGE not in path.parents]
    assert len(outside) > 50  # the walk found the package, not an empty folder
    offenders = {
        str(path.relative_to(PACKAGE)): uses
        for path in outside
        if (uses := storage_uses(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_the_index_package_is_where_storage_is() -> None:
    """The rule above would pass vacuously if the walk could not see storage code at all."""
    inside = {path.name: storage_uses(path.read_text(encoding="utf-8")) for path in STORAGE.glob("*.py")}
    assert inside["db.py"] and inside["catalogue.py"] and inside["vectors.py"]


def test_no_module_is_over_400_lines() -> None:
    sizes = {str(path.relative_to(PACKAGE)): len(path.read_text(encoding="utf-8").splitlines()) for path in _modules()}
    assert sizes and {name: lines for name, lines in sizes.items() if lines > MAX_LINES} == {}


@pytest.mark.parametrize("module", [sqlite, filters, fusion, sys.modules[__name__]], ids=lambda m: m.__name__)
def test_doctests(module) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
