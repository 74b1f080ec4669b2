"""The FTS5 lexical index: years named in a question narrow the MATCH, and old indexes upgrade in place."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from helpers import sqlite_index

from assistant import retrieve
from assistant.index import db
from assistant.index.lexical import match_expression, terms
from assistant.models import Chunk, Filters


def _chunk(n: int, text: str, year: int | None, kind: str = "report") -> Chunk:
    return Chunk(
        id=f"c{n}",
        source_id="s1",
        source_name="r.pdf",
        kind=kind,
        ordinal=n,
        text=text,
        header="",
        section="",
        page=1,
        fonds=None,
        archival_code=None,
        code_key=None,
        year=year,
        access_level=0,
    )


CHUNKS = [
    _chunk(1, "2021年接待查档人员800人次。", 2021),
    _chunk(2, "2022年接待查档人员950人次。", 2022),
    _chunk(3, "查档接待流程：登记、审核、调卷。", None, kind="guide"),
    _chunk(4, "2023年接待查档人员1200人次。", 2023),
]


def _store(path: Path) -> sqlite3.Connection:
    return sqlite_index(path, CHUNKS)


def _search(conn: sqlite3.Connection, filters: Filters) -> list[str]:
    match = match_expression(terms("接待查档人次"))
    assert match
    return [chunk_id for chunk_id, _ in db.lexical_search(conn, match, filters, max_level=0, limit=10)]


def test_named_years_keep_their_chunks_and_undated_guides(tmp_path: Path) -> None:
    conn = _store(tmp_path / "a.sqlite3")
    assert sorted(_search(conn, Filters())) == ["c1", "c2", "c3", "c4"]
    assert sorted(_search(conn, Filters(years=(2022,)))) == ["c2", "c3"]
    assert sorted(_search(conn, Filters(years=(2021, 2023)))) == ["c1", "c3", "c4"]
    assert sorted(_search(conn, Filters(years=(1999,)))) == ["c3"]


def test_year_tags_do_not_change_the_ranking_of_terms(tmp_path: Path) -> None:
    conn = _store(tmp_path / "a.sqlite3")
    everything = _search(conn, Filters())
    year_2022 = _search(conn, Filters(years=(2022,)))
    assert year_2022 == [c for c in everything if c in {"c2", "c3"}]


def test_an_index_without_year_tags_is_upgraded_on_open(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = _store(path)
    # Rebuild the FTS table as indexes before the year_tag column had it.
    with conn:
        conn.execute("BEGIN")
        rows = conn.execute("SELECT rowid, terms FROM chunks_fts").fetchall()
        conn.execute("DROP TABLE chunks_vocab")
        conn.execute("DROP TABLE chunks_fts")
        conn.execute("CREATE VIRTUAL TABLE chunks_fts USING fts5(terms)")
        conn.executemany("INSERT INTO chunks_fts(rowid, terms) VALUES (?, ?)", rows)
        conn.execute("CREATE VIRTUAL TABLE chunks_vocab USING fts5vocab(chunks_fts, 'row')")
    conn.close()

    upgraded = db.connect(path)
    columns = [row[1] for row in upgraded.execute("PRAGMA table_info(chunks_fts)")]
    assert columns == ["terms", "year_tag"]
    assert sorted(_search(upgraded, Filters(years=(2023,)))) == ["c3", "c4"]
    assert upgraded.execute("SELECT doc FROM chunks_vocab WHERE term = '接待'").fetchone() == (4,)
    assert db.connect(path).execute("SELECT count(*) FROM chunks_fts").fetchone() == (4,)  # opened again: no copy


def test_chunks_holding_every_term_come_first_and_any_term_fills_up(tmp_path: Path) -> None:
    conn = _store(tmp_path / "a.sqlite3")
    question = terms("查档接待流程")  # every term only in the guide; 查档/接待 in every report too
    assert retrieve.lexical_candidates(conn, question, Filters(), 0, limit=1) == [
        hit for hit in db.lexical_search(conn, match_expression(question, "AND"), Filters(), 0, 1)
    ]
    ranked = [chunk_id for chunk_id, _ in retrieve.lexical_candidates(conn, question, Filters(), 0, limit=10)]
    assert ranked[0] == "c3" and sorted(ranked) == ["c1", "c2", "c3", "c4"]
    assert retrieve.lexical_candidates(conn, [], Filters(), 0, limit=10) == []
