"""Catalogue questions answered exactly from the catalogue table, without similarity search.

Reading-room questions such as "38-1-0045是什么", "全宗38 1985年有多少卷", "有哪些关于知青安置的档案"
want an exact title, an exact count, an exact list. They are recognised here without a language
model, and answered with SQL over rows the principal may see (assistant/index/catalogue.py);
counts and lists never include anything above the asker's clearance, so they reveal nothing about
restricted records. These are plain functions with typed arguments so that a language model can
later call them as tools.

Deliberately not handled: questions combining two fonds, negations ("不是开放的"), and dates
finer than a year.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from assistant.codes import clean_code_text
from assistant.index import catalogue, db
from assistant.index.catalogue import CatalogueQuery, Entry, Intent, Listing
from assistant.index.lexical import terms
from assistant.index.sqlite import Connection
from assistant.models import Chunk, Filters
from assistant.text.years import remove_years, year_span

PAGE = 20  # catalogue entries listed per answer; "还有吗" shows the next ones

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
    "年代 之间 以来 以后 以前 之后 之前 为止 至今 起 保存 保管 收藏".split()
)


# "保管期限为永久的", "永久的档案有哪些": a retention filter, not a title word.
_RETENTION = re.compile(r"(?:保管期限(?:为|是)?)?(永久|长期|短期|定期30年|定期10年)(?:保管)?的?")


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


def entries_of_codes(conn: Connection, keys: list[str], max_level: int) -> tuple[list[Entry], dict[str, Chunk]]:
    """The catalogue entries of these 档号 keys within the clearance, and their chunks."""
    ids = catalogue.chunk_ids_by_code(conn, keys, max_level)
    return catalogue.entries_by_chunk(conn, ids), db.chunks_by_id(conn, ids)


def listing_of(
    conn: Connection, query: CatalogueQuery, filters: Filters, max_level: int, page: int = 1
) -> tuple[CatalogueQuery, Listing, dict[str, Chunk]]:
    """The page of entries a count or list question asks for, within the asker's filters (a
    fonds filter applies when the question names none; a year filter bounds the question's
    years), with the query as narrowed and the entries' chunks. A question naming another fonds
    than the filter finds nothing: the filter is the asker's choice too."""
    if filters.fonds and query.fonds and filters.fonds != query.fonds:
        return query, Listing(), {}
    if filters.fonds and not query.fonds:
        query = replace(query, fonds=filters.fonds)
    low = _tightest(max, filters.year_from, query.year_from)
    high = _tightest(min, filters.year_to, query.year_to)
    query = replace(query, year_from=low, year_to=high)
    listing = catalogue.list_entries(conn, query, max_level, offset=(page - 1) * PAGE)
    chunks = db.chunks_by_id(conn, [e.chunk_id for e in listing.entries]) if listing.total else {}
    return query, listing, chunks


def _tightest(pick: Callable[..., int], *bounds: int | None) -> int | None:
    given = [b for b in bounds if b is not None]
    return pick(given) if given else None


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
