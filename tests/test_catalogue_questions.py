"""Catalogue questions (档号 lookups, counts, lists) answered exactly, within the asker's clearance."""

from pathlib import Path

import pytest
from helpers import ADMIN, READER, STAFF

from assistant.retrieve.catalogue import parse_question
from assistant.service import Assistant

HEADER = "全宗号,目录号,案卷号,档号,案卷题名,年度,保管期限,页数,密级,开放状态\n"
ROWS = [
    ("38", "1", "0045", "关于张三退休审批的材料", 1985, "", "开放"),
    ("38", "1", "0046", "关于李四知青安置的报告", 1976, "", "控制使用"),
    ("38", "1", "0047", "劳动局机要文件汇编", 1985, "机密★10年", "开放"),
    ("38", "1", "0048", "关于知青返城安置的通知", 1979, "", "开放"),
    ("38", "2", "0001", "关于王五退休审批的材料", 1985, "", "开放"),
    ("38", "2", "0002", "关于招工指标的请示", 1986, "", "未审核"),
]


@pytest.fixture
def catalogue_assistant(assistant: Assistant, tmp_path: Path) -> Assistant:
    lines = [f"{f},{m},{v},{f}-{m}-{v},{t},{y},永久,10,{s},{o}" for f, m, v, t, y, s, o in ROWS]
    path = tmp_path / "劳动局目录.csv"
    path.write_bytes((HEADER + "\n".join(lines) + "\n").encode("gbk"))
    assert assistant.ingest([path]).ok
    return assistant


def test_question_kinds_are_recognised() -> None:
    count = parse_question("38号全宗1980—1985年有多少卷档案？")
    assert count is not None and (count.intent, count.fonds, count.year_from, count.year_to) == (
        "count",
        "38",
        1980,
        1985,
    )
    listing = parse_question("八十年代退休审批的档案有哪些")
    assert listing is not None and (listing.intent, listing.year_from, listing.keywords) == (
        "list",
        1980,
        ("退休审批",),
    )
    assert parse_question("2022年接待查档多少人次？") is None  # a report figure, not a catalogue count
    assert parse_question("库房温度要求是什么") is None


@pytest.mark.parametrize("written", ["38-1-0045", "３８－１－００４５", "38—1—45", "38 - 1 - 045"])
def test_lookup_by_any_spelling_returns_the_exact_title(catalogue_assistant: Assistant, written: str) -> None:
    answer = catalogue_assistant.ask(f"{written}是什么档案？", READER)
    assert answer.status == "answered"
    assert "关于张三退休审批的材料" in answer.answer
    assert [c.archival_code for c in answer.citations] == ["38-1-0045"]


def test_counts_are_exact_and_only_count_what_the_asker_may_see(catalogue_assistant: Assistant) -> None:
    question = "全宗38 1985年有多少卷？"
    assert "共有 2 卷" in catalogue_assistant.ask(question, READER).answer
    assert "共有 2 卷" in catalogue_assistant.ask(question, STAFF).answer  # the 1985 classified one is not staff's
    assert "共有 3 卷" in catalogue_assistant.ask(question, ADMIN).answer


def test_topic_lists_contain_the_right_codes(catalogue_assistant: Assistant) -> None:
    answer = catalogue_assistant.ask("有哪些关于知青安置的档案？", STAFF)
    codes = {c.archival_code for c in answer.citations}
    assert codes == {"38-1-0046", "38-1-0048"}
    reader_answer = catalogue_assistant.ask("有哪些关于知青安置的档案？", READER)
    assert {c.archival_code for c in reader_answer.citations} == {"38-1-0048"}
    assert "李四" not in reader_answer.answer


@pytest.mark.parametrize("question", ["38-1-0046是什么", "38-1-0047的题名是什么", "38-9-9999是什么"])
def test_restricted_and_missing_records_get_the_same_answer(catalogue_assistant: Assistant, question: str) -> None:
    answer = catalogue_assistant.ask(question, READER)
    missing = catalogue_assistant.ask("38-9-9999是什么", READER)
    assert (answer.status, answer.answer, answer.citations) == (missing.status, missing.answer, [])
    assert answer.status == "no_evidence"
