"""Catalogue questions answered exactly from the catalogue table, without similarity search.

Reading-room questions such as "38-1-0045是什么", "全宗38 1985年有多少卷", "有哪些关于知青安置的档案"
want an exact title, an exact count, an exact list. They are recognised here without a language
model, and answered with SQL over rows the principal may see; counts and lists never include
anything above the asker's clearance, so they reveal nothing about restricted records. These are
plain functions with typed arguments so that a language model can later call them as tools.

Deliberately not handled: questions combining two fonds, negations ("不是开放的"), and dates
finer than a year.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from typing import Literal

from assistant.codes import clean_code_text, fonds_key
from assistant.index.lexical import terms
from assistant.text.years import remove_years, year_span

Intent = Literal["lookup", "count", "list"]

_FONDS_PATTERNS = (
    re.compile(r"全宗(?:号)?\s*(?:为|是|:)?\s*([A-Z]?\d{1,4})(?![\d-])"),
    re.compile(r"(?<![\w-])([A-Z]?\d{1,4})\s*号?全宗"),
    re.compile(r"第\s*([A-Z]?\d{1,4})\s*(?:号)?全宗"),
    re.compile(r"(?<![\w-])([A-Z]\d{3})(?![\w-])"),
)
_COUNT = re.compile(r"(?:多少|几)\s*(?:个)?\s*(?:卷|件|份|条|盒|册)|数量|总数|共有多少|有多少(?:档案|案卷|文件|条目)")
_LIST = re.compile(
    r"有哪些|哪些(?:档案|案卷|文件|卷|件)|列出|列举|清单|目录中.*(?:关于|有关)|在哪个档号|哪个档号|哪一卷|档号是(?:什么|多少)"
)
_CATALOGUE_NOUN = re.compile(r"档案|案卷|文件|卷|件|目录|全宗")
# Words that frame the request rather than say what the records are about.
_FRAME_WORDS = frozenset(
    "档案 案卷 文件 卷 件 份 条 目录 条目 全宗 全宗号 馆藏 记录 材料 关于 有关 涉及 数量 总数 清单 列举 列出 "
    "年代 之间 以来 以后 以前 保存 保管 收藏".split()
)


# "保管期限为永久的", "永久的档案有哪些": a retention filter, not a title word.
_RETENTION = re.compile(r"(?:保管期限(?:为|是)?)?(永久|长期|短期|定期30年|定期10年)(?:保管)?的?")

_ENTRY_COLUMNS = "k.chunk_id, k.fonds, k.archival_code, k.title, k.year, k.retention, k.pages, k.open_status"


@dataclass(frozen=True)
class CatalogueQuery:
    intent: Intent
    fonds: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    keywords: tuple[str, ...] = ()
    retention: str | None = None  # 永久, 长期, 30年 …: only rows kept that long


@dataclass(frozen=True)
class Entry:
    chunk_id: str
    fonds: str | None
    archival_code: str | None
    title: str
    year: int | None
    retention: str
    pages: str
    open_status: str


@dataclass(frozen=True)
class Listing:
    entries: list[Entry] = field(default_factory=list)
    total: int = 0
    offset: int = 0  # how many entries earlier pages showed


def parse_question(question: str) -> CatalogueQuery | None:
    """The catalogue query a question asks, or None when it is not a catalogue question."""
    text = clean_code_text(question)
    fonds = _fonds_in(text)
    year_from, year_to = year_span(text)
    if _COUNT.search(text):
        intent: Intent = "count"
    elif _LIST.search(text) and _CATALOGUE_NOUN.search(text):
        intent = "list"
    else:
        return None
    if intent == "count" and fonds is None and not _CATALOGUE_NOUN.search(text):
        return None
    retention = _RETENTION.search(text)
    keywords = _keywords(_RETENTION.sub(" ", text), fonds)
    return CatalogueQuery(intent, fonds, year_from, year_to, keywords, retention.group(1) if retention else None)


def query_of(
    intent: Intent,
    *,
    fonds: str = "",
    year_from: int | None = None,
    year_to: int | None = None,
    title_words: str = "",
) -> CatalogueQuery:
    """A query given field by field (the MCP tools) rather than asked in words: the title words
    are segmented as a question's are; one year bound alone means that one year.

    >>> query_of("count", fonds="38", year_from=1975, title_words="知青招工")
    CatalogueQuery(intent='count', fonds='38', year_from=1975, year_to=1975, keywords=('知青', '招工'), retention=None)
    """
    low = year_from if year_from is not None else year_to
    high = year_to if year_to is not None else year_from
    words = [w for w in terms(title_words) if not w.isdigit()]
    return CatalogueQuery(intent, fonds.strip() or None, low, high, _longest(words))


def count_entries(conn: sqlite3.Connection, query: CatalogueQuery, max_level: int) -> int:
    where, params = _where(query, max_level)
    return conn.execute(f"SELECT count(*) FROM catalogue k WHERE {where}", params).fetchone()[0]


def list_entries(
    conn: sqlite3.Connection, query: CatalogueQuery, max_level: int, limit: int = 20, offset: int = 0
) -> Listing:
    """Up to `limit` entries from `offset` on (a later page for "还有吗"), and the total."""
    where, params = _where(query, max_level)
    rows = conn.execute(
        f"SELECT {_ENTRY_COLUMNS} FROM catalogue k WHERE {where} "
        "ORDER BY k.fonds, k.code_key, k.row_number LIMIT ? OFFSET ?",
        [*params, limit, offset],
    ).fetchall()
    total = offset + len(rows) if 0 < len(rows) < limit else count_entries(conn, query, max_level)
    return Listing([Entry(*row) for row in rows], total, offset)


def entries_by_chunk(conn: sqlite3.Connection, chunk_ids: list[str]) -> list[Entry]:
    """Entries for the given chunk ids, in the given order (ids come from an access-filtered leg)."""
    if not chunk_ids:
        return []
    marks = ", ".join("?" * len(chunk_ids))
    rows = conn.execute(f"SELECT {_ENTRY_COLUMNS} FROM catalogue k WHERE k.chunk_id IN ({marks})", chunk_ids).fetchall()
    by_id = {row[0]: Entry(*row) for row in rows}
    return [by_id[i] for i in chunk_ids if i in by_id]


def _where(query: CatalogueQuery, max_level: int) -> tuple[str, list[object]]:
    clauses: list[str] = ["k.access_level <= ?"]
    params: list[object] = [max_level]
    if query.fonds:
        clauses.append("k.fonds_key = ?")
        params.append(fonds_key(query.fonds))
    if query.year_from is not None:
        clauses.append("k.year >= ?")
        params.append(query.year_from)
    if query.year_to is not None:
        clauses.append("k.year <= ?")
        params.append(query.year_to)
    if query.retention:
        clauses.append("instr(k.retention, ?) > 0")
        params.append(query.retention)
    if query.keywords and (query.fonds or query.year_from is not None):
        # The fonds/year index narrows the rows to thousands at most: test titles directly.
        for keyword in query.keywords:
            clauses.append("instr(k.title, ?) > 0")
            params.append(keyword)
    elif query.keywords:
        # No narrowing filter: let the lexical index find the rows holding every keyword.
        expression = " AND ".join(f'"{k}"' for k in query.keywords)
        clauses.append(
            "k.chunk_id IN (SELECT c.id FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid "
            "WHERE chunks_fts MATCH ? AND c.kind = 'catalogue')"
        )
        params.append(expression)
    return " AND ".join(clauses), params


def _fonds_in(text: str) -> str | None:
    for pattern in _FONDS_PATTERNS:
        if match := pattern.search(text):
            value = match.group(1)
            if not (len(value) == 4 and value.isdigit() and value[:2] in {"19", "20"}):  # a year
                return value
    return None


def _keywords(text: str, fonds: str | None) -> tuple[str, ...]:
    text = remove_years(text)
    if fonds:
        text = text.replace(fonds, " ")
    text = _COUNT.sub(" ", _LIST.sub(" ", text))
    return _longest([w for w in terms(text) if w not in _FRAME_WORDS and not w.isdigit()])


def _longest(words: list[str]) -> tuple[str, ...]:
    """The longest words: jieba's search mode also yields their parts."""
    kept = [w for w in words if not any(w != o and w in o for o in words)]
    return tuple(dict.fromkeys(kept))
