"""The three modes through the Assistant API and the CLI, with and without a language model.

The model is the one seam tested through a stand-in: a local OpenAI-compatible server driven by
the real LangChain client. Everything else (index, retrieval, grounding checks) is real.
"""

import json
from pathlib import Path

import pytest
from helpers import READER, STAFF, make_pdf, make_settings
from llm_server import FakeLLMServer, Reply
from typer.testing import CliRunner

from assistant.cli import app
from assistant.models import NO_EVIDENCE_ANSWER
from assistant.service import Assistant, build_assistant
from assistant.settings import Settings

FIGURES = {2021: ("980", "156.20"), 2022: ("1260", "171.35"), 2023: ("1388", "186.52")}


def _reports(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    for year, (visits, staff_cost) in FIGURES.items():
        make_pdf(
            folder / f"{year}年度部门整体支出绩效评价报告.pdf",
            [
                ["一、部门基本情况", f"本年度人员经费{staff_cost}万元。"],
                ["六、部门整体支出绩效情况", f"全年接待查档{visits}人次。"],
                ["七、存在的主要问题", f"{year}年档案数字化进度偏慢，库房面积不足。"],
            ],
        )
    (folder / "新进人员入门指南.md").write_text(
        "# 入门指南\n## 保管\n库房温度保持在14至24摄氏度，相对湿度45%至60%。\n"
        "## 鉴定\n鉴定分为价值鉴定和开放审核两种。\n## 利用\n查阅档案须办理利用登记手续。\n",
        encoding="utf-8",
    )
    return folder


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return _reports(tmp_path / "corpus")


def _built(settings: Settings, corpus: Path) -> Assistant:
    built = build_assistant(settings)
    assert built.ingest([corpus]).ok
    return built


def test_generated_answer_cites_only_retrieved_chunks(
    llm_settings: Settings, fake_llm: FakeLLMServer, corpus: Path
) -> None:
    assistant = _built(llm_settings, corpus)
    fake_llm.script(Reply(chunks=["2022年全年", "接待查档1260人次[1]", "，另见[9]。"]))
    events = list(assistant.ask_stream("2022年接待查档多少人次？", STAFF))
    pieces, answer = events[:-1], events[-1]
    assert pieces == []  # a question's answer is shown only once it is checked, never while written
    assert answer.generated_by == "test-model" and answer.status == "answered"
    assert "[9]" not in answer.answer and any("[9]" in w for w in answer.warnings)
    assert [c.source for c in answer.citations] == ["2022年度部门整体支出绩效评价报告.pdf"]
    prompt = fake_llm.chat_requests[-1].prompt
    assert "1260" in prompt and "1388" not in prompt  # the 2023 report never reached the model


# Small models made safe: the model's text is shown only when it holds up against the evidence


def test_a_figure_absent_from_the_cited_chunk_is_not_shown(
    llm_settings: Settings, fake_llm: FakeLLMServer, corpus: Path
) -> None:
    assistant = _built(llm_settings, corpus)
    fake_llm.script("2022年接待查档1300人次[1]。")
    answer = assistant.ask("2022年接待查档多少人次？", STAFF)
    assert answer.generated_by == "extractive" and "1300" not in answer.answer and "1260" in answer.answer
    assert any("未采用" in w and "1300" in w for w in answer.warnings)


def test_the_model_sees_only_the_checked_chunks(llm_settings: Settings, fake_llm: FakeLLMServer, corpus: Path) -> None:
    assistant = _built(llm_settings, corpus)
    fake_llm.script("2022年全年接待查档1260人次[1]。")
    answer = assistant.ask("2022年接待查档多少人次？", STAFF)
    assert answer.generated_by == "test-model"
    prompt = fake_llm.chat_requests[-1].prompt
    assert "[1] 出处：2022年度部门整体支出绩效评价报告.pdf｜第2页" in prompt
    assert "[2] 出处" not in prompt and "171.35" not in prompt  # not the 人员经费 page of the same report


def test_a_refusal_while_checked_evidence_exists_shows_the_extractive_answer(
    llm_settings: Settings, fake_llm: FakeLLMServer, corpus: Path
) -> None:
    assistant = _built(llm_settings, corpus)
    fake_llm.script(NO_EVIDENCE_ANSWER)
    answer = assistant.ask("2022年接待查档多少人次？", STAFF)
    assert (answer.status, answer.generated_by) == ("answered", "extractive")
    assert "1260" in answer.answer and answer.citations[0].source.startswith("2022")
    assert any("没有找到依据" in w and "原文摘录" in w for w in answer.warnings)


def test_an_answer_from_another_year_shows_the_extractive_answer(
    llm_settings: Settings, fake_llm: FakeLLMServer, corpus: Path
) -> None:
    assistant = _built(llm_settings, corpus)
    fake_llm.script("2023年全年接待查档1260人次[1]。")  # the right figure, said to be another year's
    answer = assistant.ask("2022年接待查档多少人次？", STAFF)
    assert answer.generated_by == "extractive" and answer.answer.startswith("2022年")
    assert any("年份与问题不符" in w for w in answer.warnings)


def test_a_wrong_figure_from_the_right_chunk_shows_the_extractive_answer(
    llm_settings: Settings, fake_llm: FakeLLMServer, tmp_path: Path
) -> None:
    folder = tmp_path / "one"
    folder.mkdir()
    make_pdf(
        folder / "2022年度部门整体支出绩效评价报告.pdf", [["二、支出", "2022年人员经费171.35万元，公用经费20.10万元。"]]
    )
    assistant = _built(llm_settings, folder)
    fake_llm.script("2022年人员经费20.10万元[1]。")  # in the cited chunk, but it is 公用经费
    answer = assistant.ask("2022年人员经费是多少？", STAFF)
    assert answer.generated_by == "extractive" and "171.35" in answer.answer
    assert any("没有给出原文中核对过的171.35万元" in w for w in answer.warnings)


def test_an_answer_without_markers_is_cited_by_matching_its_sentences(
    llm_settings: Settings, fake_llm: FakeLLMServer, corpus: Path
) -> None:
    assistant = _built(llm_settings, corpus)
    fake_llm.script("2022年全年接待查档1260人次。")
    answer = assistant.ask("2022年接待查档多少人次？", STAFF)
    assert answer.generated_by == "test-model"
    assert answer.answer == "2022年全年接待查档1260人次[1]。"
    assert [(c.source, c.page) for c in answer.citations] == [("2022年度部门整体支出绩效评价报告.pdf", 2)]


def test_no_evidence_does_not_call_the_model(llm_settings: Settings, fake_llm: FakeLLMServer, corpus: Path) -> None:
    assistant = _built(llm_settings, corpus)
    answer = assistant.ask("县档案馆食堂每天供应几种菜？", STAFF)
    assert (answer.status, answer.answer) == ("no_evidence", NO_EVIDENCE_ANSWER)
    assert fake_llm.chat_requests == []


def test_unreachable_model_falls_back_to_extractive(
    llm_settings: Settings, fake_llm: FakeLLMServer, corpus: Path
) -> None:
    assistant = _built(llm_settings, corpus)
    fake_llm.stop()
    answer = assistant.ask("2023年接待查档多少人次？", STAFF)
    assert answer.generated_by == "extractive" and answer.status == "answered"
    assert "1388" in answer.answer and answer.citations[0].page == 2
    assert any("语言模型不可用" in w for w in answer.warnings)


def test_follow_up_the_rules_resolve_needs_no_condensing_request(
    llm_settings: Settings, fake_llm: FakeLLMServer, corpus: Path
) -> None:
    assistant = _built(llm_settings, corpus)
    fake_llm.script("2021年接待查档980人次[1]。")
    history = [("2022年接待查档多少人次？", "2022年接待查档1260人次[1]。")]
    answer = assistant.ask("那2021年呢？", STAFF, history=history)
    assert answer.status == "answered" and answer.citations[0].source.startswith("2021")
    assert answer.understood_as == "2021年接待查档多少人次？"
    # One request only, the answer itself, and it asks the resolved question.
    assert len(fake_llm.chat_requests) == 1
    assert "问题：2021年接待查档多少人次？" in fake_llm.chat_requests[0].prompt


def test_follow_up_the_rules_leave_is_condensed_by_the_model(
    llm_settings: Settings, fake_llm: FakeLLMServer, corpus: Path
) -> None:
    assistant = _built(llm_settings, corpus)
    fake_llm.script("2022年为什么接待查档人次这么多？", "资料没有说明原因。")
    history = [("2022年接待查档多少人次？", "2022年接待查档1260人次[1]。")]
    assistant.ask("为什么这么多？", STAFF, history=history)
    condensing = fake_llm.chat_requests[0].prompt
    assert "为什么这么多" in condensing and "2022年接待查档多少人次" in condensing


def test_draft_without_model_is_an_evidence_pack_of_earlier_years(tmp_path: Path, corpus: Path) -> None:
    assistant = _built(make_settings(tmp_path / "idx"), corpus)
    answer = assistant.ask("起草2024年度绩效评价报告“七、存在的主要问题”", STAFF, mode="draft")
    assert answer.status == "answered"
    years = [c.source[:4] for c in answer.citations]
    assert years == ["2023", "2022", "2021"]
    assert all(c.page == 3 for c in answer.citations)
    # The latest year is the skeleton, its year moved to the year drafted; earlier years are cited.
    assert "2024年档案数字化进度偏慢" in answer.answer and "2022年报告[2]、2021年报告[3]" in answer.answer


def test_draft_with_model_drafts_from_the_section(
    llm_settings: Settings, fake_llm: FakeLLMServer, corpus: Path
) -> None:
    assistant = _built(llm_settings, corpus)
    fake_llm.script("一是档案数字化进度偏慢[1]；二是库房面积不足[2]。")
    answer = assistant.ask("起草2024年度报告“七、存在的主要问题”", STAFF, mode="draft", figures="2024年扫描12000页")
    assert answer.generated_by == "test-model" and len(answer.citations) == 2
    assert "12000" in fake_llm.chat_requests[-1].prompt and "存在的主要问题" in fake_llm.chat_requests[-1].prompt


def test_onboard_without_model_quotes_the_guide_and_suggests_reading(tmp_path: Path, corpus: Path) -> None:
    assistant = _built(make_settings(tmp_path / "idx"), corpus)
    answer = assistant.ask("库房温度和湿度应该控制在多少？", READER, mode="onboard")
    assert answer.status == "answered" and answer.citations[0].source == "新进人员入门指南.md"
    assert "14至24摄氏度" in answer.answer and "延伸阅读：" in answer.answer


def test_cli_json_with_model_and_after_it_stops(llm_settings: Settings, fake_llm: FakeLLMServer, corpus: Path) -> None:
    _built(llm_settings, corpus)
    env = {
        "ARCHIVE_ASSISTANT_LLM_BASE_URL": llm_settings.llm_base_url,
        "ARCHIVE_ASSISTANT_LLM_MODEL": llm_settings.llm_model,
        "ARCHIVE_ASSISTANT_LLM_TIMEOUT": "2",
    }
    args = ["--index-dir", str(llm_settings.index_dir), "ask", "--json", "2023年接待查档多少人次？"]
    fake_llm.script("2023年接待查档1388人次[1]。")
    generated = json.loads(CliRunner().invoke(app, args, env=env).stdout.strip())
    assert generated["generated_by"] == "test-model" and generated["citations"][0]["page"] == 2
    fake_llm.stop()
    result = CliRunner().invoke(app, args, env=env)
    fallback = json.loads(result.stdout.strip())
    assert result.exit_code == 0 and fallback["generated_by"] == "extractive"
    assert fallback["status"] == "answered" and fallback["warnings"]


def test_doctor_reports_an_unreachable_model(llm_settings: Settings, fake_llm: FakeLLMServer, corpus: Path) -> None:
    _built(llm_settings, corpus)
    env = {"ARCHIVE_ASSISTANT_LLM_BASE_URL": llm_settings.llm_base_url, "ARCHIVE_ASSISTANT_LLM_MODEL": "test-model"}
    args = ["--index-dir", str(llm_settings.index_dir), "doctor"]
    assert CliRunner().invoke(app, args, env=env).exit_code == 0
    fake_llm.stop()
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 1 and "✗" in result.output and "Traceback" not in result.output


def test_the_material_copied_back_is_not_shown(llm_settings: Settings, fake_llm: FakeLLMServer, corpus: Path) -> None:
    assistant = _built(llm_settings, corpus)
    fake_llm.script(
        "=====资料开始=====\n[1] 出处：2024年度部门整体支出绩效评价报告.pdf｜第3页\n2024年档案数字化进度偏慢。"
    )
    answer = assistant.ask("起草2024年度报告“七、存在的主要问题”", STAFF, mode="draft")
    assert answer.generated_by == "extractive" and answer.answer.startswith("2024年“存在的主要问题”草稿")
    assert any("照抄" in w for w in answer.warnings)
