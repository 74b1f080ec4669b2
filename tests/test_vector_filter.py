"""The dense leg keeps only what the SQL legs' filter keeps: access level, years, fonds, kinds."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import sqlite_index

from assistant.index import db, vectors
from assistant.models import Chunk, Filters


def _chunk(chunk_id: str, kind: str, year: int | None, level: int, fonds: str | None = None) -> Chunk:
    return Chunk(
        id=chunk_id,
        source_id="s1",
        source_name="x",
        kind=kind,
        ordinal=0,
        text="文本",
        header="",
        section="",
        page=None,
        fonds=fonds,
        archival_code=None,
        code_key=None,
        year=year,
        access_level=level,
    )


CHUNKS = [
    _chunk("report_2022", "report", 2022, 0),
    _chunk("guide", "guide", None, 0),
    _chunk("controlled_row", "catalogue", 1985, 1, fonds="38"),
    _chunk("secret_row", "catalogue", 1985, 2, fonds="38"),
]


@pytest.fixture(scope="module")
def conn(tmp_path_factory: pytest.TempPathFactory):
    return sqlite_index(tmp_path_factory.mktemp("filter") / "a.sqlite3", CHUNKS)


@pytest.mark.parametrize(
    ("chunk_id", "filters", "level", "expected"),
    [
        ("report_2022", Filters(), 0, True),
        ("controlled_row", Filters(), 0, False),
        ("controlled_row", Filters(), 1, True),
        ("secret_row", Filters(), 1, False),
        ("secret_row", Filters(), 2, True),
        ("no_such_chunk", Filters(), 2, False),  # a vector whose chunk row is gone is never shown
        ("report_2022", Filters(years=(2023,)), 0, False),
        ("guide", Filters(years=(2023,)), 0, True),  # undated guides stay with a year in the question
        ("report_2022", Filters(year_from=2021, year_to=2022), 0, True),
        ("guide", Filters(year_from=2021), 0, False),  # an explicit year range excludes undated text
        ("controlled_row", Filters(fonds="038"), 1, True),
        ("controlled_row", Filters(fonds="39"), 1, False),
        ("report_2022", Filters(kinds=("guide",)), 0, False),
    ],
)
def test_visible_ids_rules(conn, chunk_id: str, filters: Filters, level: int, expected: bool) -> None:
    assert (chunk_id in db.visible_ids(conn, [chunk_id], filters, level)) is expected


def test_dense_search_widens_until_enough_survive_and_never_returns_the_rest(tmp_path: Path) -> None:
    collection = vectors.open_collection(tmp_path / "chroma", "filter-test")
    # 300 vectors along one direction; only every 50th is visible, so the first 8x fetch finds too few.
    ids = [f"c{n:03d}" for n in range(300)]
    embeddings = [[1.0, n / 300, 0.0] for n in range(300)]
    collection.upsert(ids=ids, embeddings=embeddings)
    visible = set(ids[::50])
    asked: list[int] = []

    def keep(found: list[str]) -> set[str]:
        asked.append(len(found))
        return visible & set(found)

    hits = vectors.search(collection, [1.0, 0.0, 0.0], limit=5, visible=keep)
    assert [chunk_id for chunk_id, _ in hits] == ["c000", "c050", "c100", "c150", "c200"]
    assert asked == [40, 300]  # 8x the limit; 1 of 40 survived, so 40 x 5 x 1.5 next (all 300 there are)
    assert vectors.search(collection, [1.0, 0.0, 0.0], limit=5, visible=lambda found: set()) == []
