"""Answers that are true on real documents: year sense, the evidence checks, direct answers,
questions with several parts, and refusals with a hint that reveals nothing restricted.

The pure rules (assistant/text, assistant/answer/question|evidence|tense|rows) are tested as
functions; the whole path through the CLI and `Assistant.ask` on documents built here."""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import pytest
from helpers import READER, STAFF, make_pdf, make_settings
from typer.testing import CliRunner

from assistant import text
from assistant.answer import citations, evidence, followup, kinds, question, rows, series, tense
from assistant.answer.evidence import problem_of
from assistant.answer.question import analyse
from assistant.answer.tense import states_target
from assistant.cli import app
from assistant.errors import QuestionError
from assistant.index import lexical
from assistant.service import build_assistant
from assistant.text import encodings, quantities, sentences, synonyms, years
from assistant.text.years import document_years, fact_years, years_in


@pytest.mark.parametrize(
    "module",
    [
        years,
        sentences,
        encodings,
        quantities,
        synonyms,
        question,
        evidence,
        tense,
        rows,
        followup,
        series,
        lexical,
        citations,
    ],
)
def test_doctests(module) -> None:
    assert doctest.testmod(module).failed == 0


# --- year sense ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "lines", "expected"),
    [
        ("2025年政府工作报告", [], (2024, 2025, 2025)),
        ("2023年度部门决算", [], (2023, 2024, 2024)),
        (
            "2023年度部门整体支出绩效评价报告",
            ["青山县档案馆2023年度…", "青山县档案馆", "2024年3月24日"],
            (2023, 2024, 2024),
        ),
        ("2024年工作计划", [], (2023, 2024, 2024)),
        ("2024年工作总结", ["……", "2025年1月15日"], (2024, 2025, 2025)),
        ("扫描0001", [], (None, None, None)),
    ],
)
def test_documents_are_dated_by_what_they_cover(title: str, lines: list[str], expected: tuple) -> None:
    dated = document_years(title, lines)
    assert (dated.covered, dated.published, dated.plan) == expected


def test_sentence_years_leave_out_comparisons_and_codes_and_resolve_relative_words() -> None:
    assert fact_years("比2021年增长10%，2022年完成扫描30万页") == (2022,)
    assert fact_years("与2020年相比增长一倍") == ()
    assert fact_years("过去一年，地区生产总值增长5.8%", published=2025) == (2024,)
    assert fact_years("比上年减少9.71万元", published=2024) == ()
    assert years_in("J001-WS·2016-Y-BGS-0005 县档发〔2019〕3号") == ()
    assert years_in("2021—2023年分别是多少") == (2021, 2022, 2023)


def test_years_in_long_hostile_input_are_linear() -> None:
    """40,000 word characters or 120,000 spaces used to take seconds to minutes (issue 18 #1)."""
    import time

    started = time.perf_counter()
    years_in("档" * 40000 + "·" + "a" * 40000)
    years_in(" " * 120000 + "-")
    from assistant.codes import clean_code_text

    clean_code_text(" " * 120000 + "-" + " " * 120000)
    assert time.perf_counter() - started < 2.0


# --- what a question asks --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "kind", "target", "unit"),
    [
        ("2022年接待查档多少人次？", "quantity", False, "visits"),
        ("到2025年数字化率要达到多少", "quantity", True, "percent"),
        ("完成年度目标的百分之多少", "quantity", False, "percent"),
        ("第七届香港立法会议员宣誓仪式的时间", "date", False, None),
        ("电影《长河》的导演是谁", "person", False, None),
        ("2019年军运会在哪个城市举办", "place", False, None),
        ("什么是全宗", "definition", False, None),
        ("项目支出为什么减少了", "reason", False, None),
        ("价值鉴定和开放鉴定有什么区别", "compare", False, None),
    ],
)
def test_the_kind_of_answer_asked(asked: str, kind: str, target: bool, unit: str | None) -> None:
    read = analyse(asked, current_year=2026)
    assert (read.kind, read.wants_target, read.unit_family) == (kind, target, unit)


def test_questions_with_several_parts_are_split() -> None:
    assert [p.text for p in analyse("2021年香港和澳门的GDP增长率各是多少", current_year=2026).parts] == [
        "2021年香港的GDP增长率是多少",
        "2021年澳门的GDP增长率是多少",
    ]
    by_year = analyse("2021到2023年接待查档人次分别是多少", current_year=2026).parts
    assert [(p.years, p.label) for p in by_year] == [((2021,), "2021年"), ((2022,), "2022年"), ((2023,), "2023年")]
    two = analyse("2024年扫描多少页，数字化率达到多少？", current_year=2026).parts
    assert [p.years for p in two] == [(2024,), (2024,)]  # the second part inherits the year
    assert not analyse("2024年全县地区生产总值是多少", current_year=2026).parts


def test_relative_years_in_a_question_follow_the_calendar_setting() -> None:
    assert analyse("去年接待查档多少人次", current_year=2026).years == (2025,)
    assert analyse("比上年增加了多少", current_year=2026).years == ()


# --- does this sentence answer this question -------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "sentence", "years", "context", "problem"),
    [
        ("2019年中国经济增长了多少？", "预计2019年中国经济增长6.2%。", (2019,), "", "tense"),
        ("2019年中国经济增长了多少？", "2019年我国国内生产总值增长6.1%。", (2019,), "", None),
        ("2024年白河县接待查档多少人次", "全年接待查档1326人次。", (2024,), "青山县档案馆", "entity"),
        ("2023年接待查档多少人次", "全年接待查档1326人次。", (2024,), "", "year"),
        ("2021年编研资料印了多少册", "编研成果以资料汇编为主。", (2021,), "", "kind"),
        ("2024年计划扫描多少页", "全年完成数字化扫描21.5万页。", (2024,), "", "tense"),
        ("2024年计划扫描多少页", "计划完成数字化扫描30万页。", (2024,), "", None),
        ("《长河》的导演是谁", "电影《长河》由导演林远执导。", (), "", None),
        ("《大江》的导演是谁", "电影《长河》由导演林远执导。", (), "", "entity"),
    ],
)
def test_a_sentence_must_answer_this_question(asked, sentence, years, context, problem) -> None:
    assert problem_of(analyse(asked, current_year=2026), sentence, years, context) == problem


def test_results_and_targets_are_told_apart() -> None:
    assert states_target("今年主要预期目标是：地区生产总值增长6%左右", "地区生产总值增长6%左右")
    assert states_target("国家档案局要求，到2025年，数字化率达到80%以上。", "数字化率达到80%以上")
    assert not states_target("对照年初确定的绩效目标，全年接待查档1284人次。", "全年接待查档1284人次")
    assert not states_target("经自评，完成年度目标的120%。", "完成年度目标的120%")
    assert states_target("全年接待查档1300人次。", "全年接待查档1300人次", published=2024) is False
    assert states_target("2026年接待查档1500人次。", "2026年接待查档1500人次", published=2024)


# --- the whole path --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two reports of neighbouring years (the later one reviews the year before), a plan with
    targets, and a restricted report; ingested into one index."""
    folder = tmp_path_factory.mktemp("county")
    make_pdf(
        folder / "2025年江北县人民政府工作报告.pdf",
        [
            ["政府工作报告", "一、2024年工作回顾", "过去一年，全县地区生产总值达到212.4亿元，增长5.7%。"],
            ["二、2025年主要目标", "全县经济社会发展的主要预期目标是：地区生产总值增长6%左右。"],
        ],
    )
    make_pdf(
        folder / "2024年江北县人民政府工作报告.pdf",
        [["政府工作报告", "一、2023年工作回顾", "过去一年，全县地区生产总值达到200.9亿元，增长5.2%。"]],
    )
    (folder / "江北县档案馆2024年工作总结.md").write_text(
        "# 江北县档案馆2024年工作总结\n\n全年接待查档1426人次，出具档案证明388份。\n\n其中，民生类查档960人次。\n",
        encoding="utf-8",
    )
    (folder / "全宗12_江北县档案馆_文件级目录.csv").write_text(
        "档号,题名,年度,开放状态\n"
        "12-WS·2026-Y-0001,关于报送2026年档案工作要点的通知,2026,开放\n"
        "12-WS·2026-Y-0002,关于2026年接待查档目标定为1600人次的内部请示,2026,控制使用\n",
        encoding="utf-8",
    )
    index = tmp_path_factory.mktemp("county-index")
    assert build_assistant(make_settings(index, today_year=2026)).ingest([folder]).ok
    return folder, index


def _ask_json(index: Path, *args: str) -> dict:
    result = CliRunner().invoke(
        app, ["--index-dir", str(index), "ask", "--json", *args], env={"ARCHIVE_ASSISTANT_TODAY_YEAR": "2026"}
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])


def test_a_year_is_answered_from_the_report_that_reviews_it(county: tuple[Path, Path]) -> None:
    _, index = county
    answer = _ask_json(index, "2024年全县地区生产总值是多少？")
    assert answer["status"] == "answered"
    assert answer["direct_answer"].startswith("2024年") and "212.4亿元" in answer["direct_answer"]
    assert answer["citations"][0]["source"] == "2025年江北县人民政府工作报告.pdf"
    older = _ask_json(index, "2023年全县地区生产总值是多少？")
    assert "200.9亿元" in older["answer"] and older["citations"][0]["source"] == "2024年江北县人民政府工作报告.pdf"


def test_a_target_is_not_given_for_a_result_and_the_hint_says_so(county: tuple[Path, Path]) -> None:
    _, index = county
    refused = _ask_json(index, "2025年全县地区生产总值实际增长了多少？")
    assert refused["status"] == "no_evidence" and refused["direct_answer"] == ""
    assert "目标" in refused["hint"] and "不是答案" in refused["hint"]
    target = _ask_json(index, "2025年地区生产总值的预期增长目标是多少？")
    assert target["status"] == "answered" and "6%" in target["direct_answer"]


def test_a_missing_year_is_refused_with_the_years_that_exist(county: tuple[Path, Path]) -> None:
    _, index = county
    refused = _ask_json(index, "2022年全县地区生产总值是多少？")
    assert refused["status"] == "no_evidence"
    assert "2022年" in refused["hint"] and ("2023" in refused["hint"] or "2024" in refused["hint"])


def test_no_year_named_takes_the_newest_and_says_which(county: tuple[Path, Path]) -> None:
    _, index = county
    answer = _ask_json(index, "全县地区生产总值是多少？")
    assert answer["direct_answer"].startswith("2024年") and "212.4亿元" in answer["direct_answer"]
    assert "其他年度：2023年为200.9亿元" in answer["answer"]


def test_a_total_is_preferred_to_the_part_the_next_sentence_gives(county: tuple[Path, Path]) -> None:
    _, index = county
    answer = _ask_json(index, "2024年一共接待了多少查档群众？")
    assert "1426人次" in answer["direct_answer"]


def test_several_parts_each_cited_and_the_missing_part_named(county: tuple[Path, Path]) -> None:
    _, index = county
    answer = _ask_json(index, "2023年和2024年全县地区生产总值分别是多少？")
    assert "200.9亿元" in answer["answer"] and "212.4亿元" in answer["answer"]
    assert {c["source"] for c in answer["citations"]} == {
        "2024年江北县人民政府工作报告.pdf",
        "2025年江北县人民政府工作报告.pdf",
    }
    partial = _ask_json(index, "2024年和2026年全县地区生产总值分别是多少？")
    assert partial["status"] == "answered" and "未找到依据的部分：2026年" in partial["answer"]


def test_a_hint_never_names_what_the_asker_may_not_see(county: tuple[Path, Path]) -> None:
    _, index = county
    assistant = build_assistant(make_settings(index, today_year=2026))
    staff = assistant.ask("2026年接待查档的目标是多少人次？", STAFF)
    assert staff.status == "answered" and "1600人次" in staff.answer
    reader = assistant.ask("2026年接待查档的目标是多少人次？", READER)
    assert reader.status == "no_evidence"
    shown = reader.answer + reader.hint + reader.direct_answer
    assert "请示" not in shown and "1600" not in shown and "0002" not in shown


def test_too_long_and_meaningless_questions(county: tuple[Path, Path]) -> None:
    _, index = county
    assistant = build_assistant(make_settings(index))
    with pytest.raises(QuestionError, match="问题太长"):
        assistant.ask("档" * 501, STAFF)
    for nonsense in ("1", "+1+1", "？？"):
        assert assistant.ask(nonsense, STAFF).status == "no_evidence"
    result = CliRunner().invoke(app, ["--index-dir", str(index), "ask", "档" * 600])
    assert result.exit_code == 1 and "问题太长" in result.output


def test_text_package_is_one_home_for_year_rules() -> None:
    """No module outside assistant/text reads years with its own pattern (three copies used to
    disagree on 八十年代)."""
    root = Path(text.__file__).parent.parent
    year_readers = ("((?:19|20)\\d{2})(?!\\d)", "_YEAR_SPAN =", "\n_YEAR =")
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "text" not in path.parts and any(p in path.read_text(encoding="utf-8") for p in year_readers)
    ]
    assert offenders == [], offenders


@pytest.mark.parametrize(
    "asked, sentence, expected",
    [
        ("青山县档案馆有几个人？", "纳入本部门决算编制范围的单位共1个，实有在职人员21人。", "21人"),
        ("白河县档案馆有几个人？", "内设办公室、业务指导股等4个股室。", None),
        ("档案馆人数是多少？", "全年接待查档2104人次。", None),  # a headcount is not a count of visits
        ("全年接待了多少人？", "全年接待查档2104人次。", "2104人次"),  # but people asked for may be visits
    ],
)
def test_a_headcount_is_answered_by_people_only(asked: str, sentence: str, expected: str | None) -> None:
    found = kinds.answering_quantity(analyse(asked, current_year=2025), sentence)
    assert (found.text if found else None) == expected
