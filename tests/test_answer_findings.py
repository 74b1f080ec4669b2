"""Issue 18's findings on the answer side, each with a test that failed before its fix:
draft years picked before the access filter (15) and catalogue counts that ignored the year and
kind filters (16). Findings 1 (linear patterns, question length) and 24 (meaningless questions)
are in test_answer_truth.py."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from helpers import READER, ROOT, STAFF, sqlite_index
from typer.testing import CliRunner

from assistant.cli import app
from assistant.index import db
from assistant.models import Chunk, Filters
from assistant.service import Assistant


def _report_chunk(chunk_id: str, year: int, level: int) -> Chunk:
    return Chunk(
        id=chunk_id,
        source_id="s1",
        source_name=f"{year}年度工作总结.md",
        kind="report",
        ordinal=year,
        text=f"{year}年存在的主要问题：库房容量不足。",
        header=f"《{year}年度工作总结》",
        section="七、存在的主要问题",
        page=None,
        fonds=None,
        archival_code=None,
        code_key=None,
        year=year,
        access_level=level,
    )


def test_draft_years_are_chosen_among_what_the_asker_may_see(tmp_path: Path) -> None:
    chunks = [_report_chunk(f"y{y}", y, 0) for y in (2020, 2021, 2022)] + [_report_chunk("y2023", 2023, 1)]
    conn = sqlite_index(tmp_path / "index.sqlite3", chunks)
    reader = db.chunks_in_section(conn, "存在的主要问题", max_level=0)
    assert [c.year for c in reader] == [2022, 2021, 2020]  # three visible years, not two
    staff = db.chunks_in_section(conn, "存在的主要问题", max_level=1)
    assert [c.year for c in staff] == [2023, 2022, 2021]


def _visible_volumes(fonds: str, year: int) -> int:
    path = ROOT / "corpora" / "sample" / "全宗39_青山县劳动局_案卷级目录.csv"
    with path.open(encoding="gb18030") as handle:  # exported by the archive system in GBK
        rows = list(csv.DictReader(handle))
    return sum(1 for r in rows if r["全宗号"] == fonds and r["年度"] == str(year) and not r["密级"])


def test_catalogue_counts_keep_the_askers_year_filter(sample_assistant: Assistant) -> None:
    truth = _visible_volumes("39", 1980)
    assert truth > 0
    answer = sample_assistant.ask("全宗39有多少卷", STAFF, Filters(year_from=1980, year_to=1980))
    assert f"共有 {truth} 卷" in answer.answer, answer.answer
    result = CliRunner().invoke(
        app,
        [
            "--index-dir",
            str(sample_assistant.settings.index_dir),
            "ask",
            "--json",
            "--year-from",
            "1980",
            "--year-to",
            "1980",
            "全宗39有多少卷",
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"共有 {truth} 卷" in json.loads(result.output.strip().splitlines()[-1])["answer"]


def test_catalogue_counts_keep_the_askers_fonds_filter(sample_assistant: Assistant) -> None:
    assert "共有" in sample_assistant.ask("全宗39有多少卷", STAFF).answer
    answer = sample_assistant.ask("全宗39有多少卷", STAFF, Filters(fonds="38"))
    assert answer.status == "no_evidence", answer.answer
    assert "全宗39" not in answer.direct_answer


def test_catalogue_answers_stay_out_when_the_kind_filter_leaves_catalogues_out(sample_assistant: Assistant) -> None:
    answer = sample_assistant.ask("全宗39有多少卷", READER, Filters(kinds=("report",)))
    assert "共有" not in answer.answer
    assert all(c.archival_code is None for c in answer.citations)


def test_a_period_open_at_one_end_counts_every_year_on_that_side(sample_assistant: Assistant) -> None:
    """'1990年以前' was counted as 1990 alone; both ends count in, as 以前/以后 read in Chinese rules."""
    every = sample_assistant.ask("全宗39有多少卷", STAFF).answer
    total = int(every.split("共有 ")[1].split(" 卷")[0])
    counts = {}
    for question in ("1990年以前全宗39有多少卷", "1991年以后全宗39有多少卷", "1990年全宗39有多少卷"):
        answer = sample_assistant.ask(question, STAFF)
        counts[question] = int(answer.answer.split("共有 ")[1].split(" 卷")[0])
    assert "1990年以前的档案" in sample_assistant.ask("1990年以前全宗39有多少卷", STAFF).answer
    before, after, alone = counts.values()
    assert before + after == total and alone < before


def test_catalogue_entries_do_not_answer_a_question_about_volumes() -> None:
    """ "多少卷档案完成了数字化" was answered with "目录著录35247条": 条 counted as a unit of volumes."""
    from assistant.answer.kinds import answering_quantity
    from assistant.answer.question import analyse

    sentence = "持续推进馆藏档案数字化，完成数字化扫描254607页，完成目录著录35247条，数字化经费26.84万元。"
    volumes = analyse("2023年档案馆共有多少卷档案完成了数字化？", current_year=2026)
    entries = analyse("2023年著录了多少条目录", current_year=2026)
    assert answering_quantity(volumes, sentence) is None
    found = answering_quantity(entries, sentence)
    assert found is not None and (found.number, found.unit) == ("35247", "条")
