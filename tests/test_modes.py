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
    assert pieces == ["2022年全年", "接待查档1260人次[1]", "，另见[9]。"]
    assert answer.generated_by == "test-model" and answer.status == "answered"
    assert "[9]" not in answer.answer and any("[9]" in w for w in answer.warnings)
    assert [c.source for c in answer.citations] == ["2022年度部门整体支出绩效评价报告.pdf"]
    prompt = fake_llm.chat_requests[-1].prompt
    assert "1260" in prompt and "1388" not in prompt  # the 2023 report never reached the model


def test_unsupported_figures_are_flagged(llm_settings: Settings, fake_llm: FakeLLMServer, corpus: Path) -> None:
    assistant = _built(llm_settings, corpus)
    fake_llm.script("2022年接待查档1300人次[1]。")
    answer = assistant.ask("2022年接待查档多少人次？", STAFF)
    assert any("1300" in w for w in answer.warnings)


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


def test_follow_up_is_condensed_before_retrieval(llm_settings: Settings, fake_llm: FakeLLMServer, corpus: Path) -> None:
    assistant = _built(llm_settings, corpus)
    fake_llm.script("2021年接待查档多少人次？", "2021年接待查档980人次[1]。")
    history = [("2022年接待查档多少人次？", "2022年接待查档1260人次[1]。")]
    answer = assistant.ask("那2021年呢？", STAFF, history=history)
    assert answer.status == "answered" and answer.citations[0].source.startswith("2021")
    assert "那2021年呢" in fake_llm.chat_requests[0].prompt


def test_draft_without_model_is_an_evidence_pack_of_earlier_years(tmp_path: Path, corpus: Path) -> None:
    assistant = _built(make_settings(tmp_path / "idx"), corpus)
    answer = assistant.ask("起草2024年度绩效评价报告“七、存在的主要问题”", STAFF, mode="draft")
    assert answer.status == "answered"
    years = [c.source[:4] for c in answer.citations]
    assert years == ["2023", "2022", "2021"]
    assert all(c.page == 3 for c in answer.citations)
    assert "2023年档案数字化进度偏慢" in answer.answer


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
