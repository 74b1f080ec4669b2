"""The FTS5 lexical index: years named in a question narrow the MATCH, and old indexes upgrade in place."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from helpers import add_source, sqlite_index

from assistant import retrieve
from assistant.index import db, fts
from assistant.index.lexical import match_expression, terms
from assistant.index.sqlite import transaction
from assistant.index.term_counts import TermCounts
from assistant.models import Chunk, Filters
from assistant.retrieve.lexical import RANKED_ROWS


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
    return [chunk_id for chunk_id, _ in fts.lexical_search(conn, match, filters, max_level=0, limit=10)]


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


def _candidates(conn: sqlite3.Connection, question: str, limit: int, max_level: int = 0) -> list[str]:
    words = terms(question)
    frequencies = TermCounts().frequencies(conn, words, max_level)
    return [c for c, _ in retrieve.lexical_candidates(conn, words, frequencies, Filters(), max_level, limit)]


def test_chunks_holding_every_term_come_first_and_any_term_fills_up(tmp_path: Path) -> None:
    conn = _store(tmp_path / "a.sqlite3")
    question = terms("查档接待流程")  # every term only in the guide; 查档/接待 in every report too
    frequencies = TermCounts().frequencies(conn, question, 0)
    best = retrieve.lexical_candidates(conn, question, frequencies, Filters(), 0, limit=1)
    every = match_expression(question, "AND")
    assert every and [c for c, _ in best] == [c for c, _ in fts.lexical_search(conn, every, Filters(), 0, 1)]
    ranked = _candidates(conn, "查档接待流程", limit=10)
    assert ranked[0] == "c3" and sorted(ranked) == ["c1", "c2", "c3", "c4"]
    assert retrieve.lexical_candidates(conn, [], {}, Filters(), 0, limit=10) == []


def test_a_word_no_chunk_holds_does_not_empty_the_search(tmp_path: Path) -> None:
    conn = _store(tmp_path / "a.sqlite3")
    # 韩明 is in no chunk: the chunk holding every other word still comes first.
    assert _candidates(conn, "韩明的查档接待流程", limit=10)[0] == "c3"
    assert _candidates(conn, "韩明", limit=10) == []


def test_the_commonest_word_is_let_go_first_and_alone_fills_nothing(tmp_path: Path) -> None:
    common = [_chunk(n, "库房巡查记录。", None) for n in range(10, 11 + RANKED_ROWS)]
    rare = [
        _chunk(1, "库房消防检查，温湿度正常。", None),
        _chunk(2, "消防器材检查，温湿度正常。", None),
        _chunk(3, "消防通道畅通。", None),
    ]
    conn = sqlite_index(tmp_path / "a.sqlite3", [*common, *rare])
    # Every word at once, then without 库房 (in thousands of chunks), then 温湿度 or 消防 alone
    # (the rarer first); chunks holding only 库房 are too many to rank and are left to the dense leg.
    assert _candidates(conn, "库房消防温湿度", limit=10) == ["c1", "c2"]
    assert _candidates(conn, "库房的消防", limit=10)[0] == "c1"
    assert sorted(_candidates(conn, "库房的消防", limit=10)) == ["c1", "c2", "c3"]


def test_only_the_newest_matching_rows_are_ranked_when_asked(tmp_path: Path) -> None:
    conn = _store(tmp_path / "a.sqlite3")
    match = match_expression(terms("接待查档"), "AND")
    assert match
    assert sorted(c for c, _ in fts.lexical_search(conn, match, Filters(), 0, 10)) == ["c1", "c2", "c3", "c4"]
    assert sorted(c for c, _ in fts.lexical_search(conn, match, Filters(), 0, 10, ranked=2)) == ["c3", "c4"]
    assert len(fts.lexical_search(conn, match, Filters(), 0, 10, ranked=50)) == 4


def test_word_counts_follow_the_holdings_of_another_connection(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite3"
    reader = _store(path)
    counts = TermCounts()
    assert counts.frequencies(reader, ["流程", "韩明"], 0) == {"流程": 1, "韩明": 0}
    assert counts.visible_total(reader, 0) == 4
    writer = db.connect(path)  # an ingest beside the running app
    add_source(writer, "s2", [_chunk(9, "韩明退休审批流程。", None)])
    assert counts.frequencies(reader, ["流程", "韩明"], 0) == {"流程": 2, "韩明": 1}
    assert counts.visible_total(reader, 0) == 5
    with transaction(writer):  # relabelled above this clearance
        writer.execute("UPDATE chunks SET access_level = 2 WHERE id = 'c9'")
    assert counts.frequencies(reader, ["流程", "韩明"], 0) == {"流程": 1, "韩明": 0}
    assert counts.visible_total(reader, 0) == 4


def test_a_word_only_restricted_chunks_hold_searches_like_a_word_no_chunk_holds(tmp_path: Path) -> None:
    restricted = Chunk(**{**vars(_chunk(9, "韩明调动审批。", None)), "access_level": 2})
    conn = sqlite_index(tmp_path / "a.sqlite3", [*CHUNKS, restricted])
    assert TermCounts().frequencies(conn, ["韩明"], 0) == {"韩明": 0}
    assert _candidates(conn, "韩明的查档接待流程", limit=10) == _candidates(conn, "王五的查档接待流程", limit=10)
    assert "c9" not in _candidates(conn, "韩明调动审批", limit=10)
    assert _candidates(conn, "韩明调动审批", limit=10, max_level=2)[0] == "c9"


def test_rows_qualify_by_every_term_and_are_scored_by_the_rarer_ones(tmp_path: Path) -> None:
    conn = _store(tmp_path / "a.sqlite3")
    every = match_expression(terms("接待查档"), "AND")
    assert every
    plain = fts.lexical_search(conn, every, Filters(), 0, 10)
    scored = fts.lexical_search(conn, every, Filters(), 0, 10, scored_by='"接待"')
    assert sorted(c for c, _ in scored) == sorted(c for c, _ in plain) == ["c1", "c2", "c3", "c4"]
    # Scored by a word only the guide holds: only rows holding it and every word of the match.
    assert [c for c, _ in fts.lexical_search(conn, every, Filters(), 0, 10, scored_by='"流程"')] == ["c3"]
    assert fts.lexical_search(conn, match_expression(["流程"], "AND") or "", Filters(), 0, 10, scored_by='"接待"') == [
        hit for hit in fts.lexical_search(conn, '"流程"', Filters(), 0, 10, scored_by='"接待"')
    ]
    in_2022 = fts.lexical_search(conn, every, Filters(years=(2022,)), 0, 10, scored_by='"接待"')
    assert sorted(c for c, _ in in_2022) == ["c2", "c3"]


def _kept_counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {t: n for t, n in conn.execute("SELECT term, chunks FROM term_chunks") if n}


def _fts5_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """FTS5's own count of the chunks holding each token of the terms column (not the year tags)."""
    conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.cols USING fts5vocab(main, chunks_fts, 'col')")
    return dict(conn.execute("SELECT term, doc FROM temp.cols WHERE col = 'terms'"))


def test_term_counts_kept_by_ingest_are_fts5s_own_through_adds_and_deletes(tmp_path: Path) -> None:
    conn = _store(tmp_path / "a.sqlite3")
    other = [_chunk(7, "2023年GDP增长3.5%，“三公”经费0.8万元；查档_登记。", 2023), _chunk(8, "查档接待。", None)]
    add_source(conn, "s2", [Chunk(**{**vars(c), "source_id": "s2"}) for c in other])
    assert _kept_counts(conn) == _fts5_counts(conn) and _kept_counts(conn)["查档"] == 6
    with transaction(conn):
        db.delete_source(conn, "s1")
    assert _kept_counts(conn) == _fts5_counts(conn) and _kept_counts(conn)["查档"] == 2
    # Counted exactly when FTS5 cuts the word in parts, or holds nothing of it.
    assert fts.document_frequencies(conn, ["3.5", "gdp", "查档", "_", '"'], 0) == {
        "3.5": 1,
        "gdp": 1,
        "查档": 2,
        "_": 0,
        '"': 0,
    }


def test_an_index_without_term_counts_gets_them_from_fts5_on_open(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = _store(path)
    with transaction(conn):
        conn.execute("DELETE FROM term_chunks")
        conn.execute("DELETE FROM meta WHERE key = 'term_chunks'")
    conn.close()
    upgraded = db.connect(path)
    assert _kept_counts(upgraded) == _fts5_counts(upgraded) and _kept_counts(upgraded)["接待"] == 4
