"""The UI handlers, called directly on a real assistant over a small real index."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document

from assistant.models import NO_EVIDENCE_ANSWER, Filters, Principal, Role
from assistant.service import Assistant, build_assistant
from assistant.settings import load_settings
from assistant.ui import handlers as h
from assistant.ui.export import DISCLAIMER
from assistant.users import UserStore
from tests.ui_fixtures import (
    OPEN_CODE,
    OPEN_TITLE,
    PDF_FACT,
    PDF_NAME,
    REPORT_NAME,
    RESTRICTED_CODE,
    RESTRICTED_TITLE,
    UPLOAD_NAME,
    write_corpus,
    write_upload,
)

READER = Principal("读者甲", Role.READER)
STAFF = Principal("馆员乙", Role.STAFF)


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    root = tmp_path_factory.mktemp("ui-handlers")
    built = build_assistant(load_settings(index_dir=root / "index"))
    report = built.ingest([write_corpus(root / "corpus")])
    assert report.ok and len(report.files) == 3
    return built


def everything_shown(result: h.AskResult) -> str:
    """All the assistant puts in front of the user: its reply, the sources panel, the citation picker."""
    replies = [str(m["content"]) for m in result.history if m["role"] == "assistant"]
    return "\n".join([*replies, result.sources, *(label for label, _ in result.choices)])


def test_principal_comes_from_the_users_file(tmp_path: Path) -> None:
    users = UserStore(tmp_path / "users.json")
    users.add_user("reader1", "reader-pass", Role.READER)
    assert h.principal_for(users, "reader1") == Principal("reader1", Role.READER)
    for name in ("ghost", "", None):
        with pytest.raises(h.UIError, match="重新登录"):
            h.principal_for(users, name)
    users.remove("reader1")
    with pytest.raises(h.UIError):
        h.principal_for(users, "reader1")


def test_only_staff_and_admin_may_upload() -> None:
    assert not h.can_upload(READER)
    assert h.can_upload(STAFF)
    assert h.can_upload(Principal("a", Role.ADMIN))
    assert h.welcome(READER) == "当前用户：**读者甲**（读者）"


def test_status_line_counts_and_warns(assistant: Assistant) -> None:
    line = h.status_line(assistant)
    assert line.startswith("文档 3 个 · 文本块 ")
    assert "目录条目 2 条" in line and "回答方式 extractive" in line
    warning = assistant.status().embedding_warning
    if warning:  # the shipped fallback model: the warning must stand out
        assert f"⚠ **检索质量警告**：{warning}" in line
    else:
        assert "⚠" not in line


@pytest.mark.parametrize("question", ["劳动模范评选的请示", RESTRICTED_CODE])
def test_reader_never_sees_a_restricted_record(assistant: Assistant, question: str) -> None:
    shown = everything_shown(h.ask(assistant, READER, question, [], "问答"))
    assert RESTRICTED_CODE not in shown
    assert RESTRICTED_TITLE not in shown

    staff = h.ask(assistant, STAFF, question, [], "问答")
    assert staff.turn.answer.status == "answered"
    assert RESTRICTED_CODE in staff.sources
    assert any(RESTRICTED_CODE in label for label, _ in staff.choices)


def test_reader_sees_open_records(assistant: Assistant) -> None:
    result = h.ask(assistant, READER, OPEN_CODE, [], "问答")
    assert OPEN_CODE in result.sources and OPEN_TITLE in everything_shown(result)


def test_ask_answers_with_sources_and_appends_to_history(assistant: Assistant) -> None:
    earlier = [{"role": "user", "content": "早先的问题"}, {"role": "assistant", "content": "早先的回答"}]
    result = h.ask(assistant, READER, "  2022年数字化扫描多少页  ", earlier, "问答")

    assert result.history[:2] == earlier
    assert result.history[2] == {"role": "user", "content": "2022年数字化扫描多少页"}
    reply = result.history[3]
    assert reply["role"] == "assistant" and "8600" in reply["content"] and f"{PDF_NAME}，第1页" in reply["content"]
    assert result.turn.user == READER.name and result.turn.mode == "ask"
    assert result.sources.startswith(f"**[1] {PDF_NAME}，第1页**")
    assert PDF_FACT in result.sources
    assert result.choices[0] == (f"[1] {PDF_NAME} 第1页", "1")


def test_no_evidence_says_so_without_sources(assistant: Assistant) -> None:
    result = h.ask(assistant, STAFF, "火星探测器的发射窗口是什么时候", [], "问答")
    assert result.turn.answer.status == "no_evidence"
    assert result.history[-1]["content"] == NO_EVIDENCE_ANSWER
    assert result.sources == "本次回答没有引用出处。"
    assert result.choices == []


@pytest.mark.parametrize(("label", "mode"), [("问答", "ask"), ("起草", "draft"), ("入门", "onboard"), (None, "ask")])
def test_mode_reaches_the_assistant(assistant: Assistant, label: str | None, mode: str) -> None:
    result = h.ask(assistant, STAFF, "2023年接待查档多少人次", [], label)
    assert result.turn.mode == mode
    reply = result.history[-1]["content"]
    assert "1234人次" in reply
    assert reply.startswith(f"*【{label}】*") == (mode != "ask")


def test_filters(assistant: Assistant) -> None:
    assert h.build_filters(" 38 ", 1970.0, 1980.0, ["catalogue", "bogus"]) == Filters("38", 1970, 1980, ("catalogue",))
    assert h.build_filters("", None, None, None) == Filters()
    with pytest.raises(h.UIError, match="起始年度 1990 晚于截止年度 1980"):
        h.build_filters(None, 1990, 1980, [])

    unfiltered = h.ask(assistant, STAFF, "2023年接待查档多少人次", [], "问答")
    assert unfiltered.turn.answer.citations[0].source == REPORT_NAME
    only_catalogue = h.ask(assistant, STAFF, "2023年接待查档多少人次", [], "问答", kinds=["catalogue"])
    assert all(c.source != REPORT_NAME for c in only_catalogue.turn.answer.citations)


def test_empty_question_is_refused(assistant: Assistant) -> None:
    with pytest.raises(h.UIError, match="请输入问题"):
        h.ask(assistant, STAFF, "   ", [], "问答")


def test_show_page_renders_the_cited_pdf_page_with_highlight(assistant: Assistant) -> None:
    result = h.ask(assistant, READER, "2022年数字化扫描多少页", [], "问答")
    view = h.show_page(assistant, READER, result.turn, "1")

    assert view.image is not None
    width, height = view.image.size
    assert 800 <= width <= 850 and 1150 <= height <= 1190  # A4 at 100 dpi
    assert view.caption.startswith(f"{PDF_NAME}，第1页")
    highlighted = sum(1 for r, g, b in view.image.getdata() if r > 240 and 200 < g < 250 and b < 200)
    assert highlighted > 1000
    assert h.show_page(assistant, READER, result.turn, None) == h.PageView(None, "")
    assert h.show_page(assistant, READER, None, "1") == h.PageView(None, "")


def test_show_page_of_a_catalogue_row_has_no_image(assistant: Assistant) -> None:
    result = h.ask(assistant, READER, OPEN_CODE, [], "问答")
    view = h.show_page(assistant, READER, result.turn, "1")
    assert view.image is None
    assert "没有页面图像" in view.caption and OPEN_CODE in view.caption


def test_show_page_only_for_this_users_own_cited_and_cleared_records(assistant: Assistant) -> None:
    staff = h.ask(assistant, STAFF, RESTRICTED_CODE, [], "问答")
    with pytest.raises(h.UIError, match="不属于当前用户"):
        h.show_page(assistant, READER, staff.turn, "1")
    with pytest.raises(h.UIError, match="没有这个出处"):
        h.show_page(assistant, STAFF, staff.turn, "9")
    # Even a turn that claims to be the reader's cannot show a record above the reader's clearance.
    forged = h.Turn(READER.name, "ask", staff.turn.answer)
    with pytest.raises(h.UIError, match="无权"):
        h.show_page(assistant, READER, forged, "1")


def test_export_writes_markdown_and_docx(assistant: Assistant, tmp_path: Path) -> None:
    result = h.ask(assistant, STAFF, "2022年数字化扫描多少页", [], "起草")
    paths = [Path(p) for p in h.export(STAFF, result.turn, tmp_path)]
    assert sorted(p.suffix for p in paths) == [".docx", ".md"]
    assert all(p.is_relative_to(tmp_path) and p.stat().st_size > 0 for p in paths)

    markdown = next(p for p in paths if p.suffix == ".md").read_text(encoding="utf-8")
    assert "- 问题：2022年数字化扫描多少页" in markdown and "- 模式：起草" in markdown
    assert f"1. {PDF_NAME}，第1页" in markdown and PDF_FACT in markdown and DISCLAIMER in markdown

    document = Document(str(next(p for p in paths if p.suffix == ".docx")))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "8600" in text and f"[1] {PDF_NAME}，第1页" in text and DISCLAIMER in text


def test_export_refuses_without_an_answer_of_this_user(assistant: Assistant, tmp_path: Path) -> None:
    with pytest.raises(h.UIError, match="还没有可导出的回答"):
        h.export(STAFF, None, tmp_path)
    result = h.ask(assistant, STAFF, "2022年数字化扫描多少页", [], "问答")
    with pytest.raises(h.UIError, match="不属于当前用户"):
        h.export(READER, result.turn, tmp_path)


def test_reader_cannot_upload(assistant: Assistant, tmp_path: Path) -> None:
    upload = write_upload(tmp_path / "incoming")
    with pytest.raises(h.UIError, match="只有馆员和管理员"):
        h.upload(assistant, READER, [upload], tmp_path / "uploads")
    assert not (tmp_path / "uploads").exists()


def test_upload_saves_ingests_and_reports_each_file(assistant: Assistant, tmp_path: Path) -> None:
    incoming = tmp_path / "incoming"
    good = write_upload(incoming)
    broken = incoming / "坏目录.csv"
    broken.write_text("这不是目录\n没有表头\n", encoding="utf-8")
    odd = incoming / "程序.exe"
    odd.write_bytes(b"MZ")
    uploads = tmp_path / "uploads"
    steps: list[tuple[int, int, str]] = []

    result = h.upload(assistant, STAFF, [str(good), str(broken), str(odd)], uploads, lambda *s: steps.append(s))

    assert (uploads / UPLOAD_NAME).read_text(encoding="utf-8") == good.read_text(encoding="utf-8")
    assert not (uploads / "程序.exe").exists()
    statuses = {Path(f.path).name: f.status for f in result.report.files}
    assert statuses == {UPLOAD_NAME: "ingested", "坏目录.csv": "failed", "程序.exe": "failed"}
    assert result.message.startswith("共 3 个文件，成功 1 个，失败 2 个。")
    assert f"✓ {UPLOAD_NAME}：已导入" in result.message
    assert "✗ 坏目录.csv：导入失败（坏目录.csv: 找不到目录表头" in result.message
    assert str(uploads) not in result.message
    assert steps[-1] == (2, 2, "")

    answer = h.ask(assistant, READER, "2024年消防演练组织了几次", [], "问答")
    assert answer.turn.answer.citations[0].source == UPLOAD_NAME
    assert "3次" in answer.history[-1]["content"]

    again = h.upload(assistant, STAFF, [str(good)], uploads)
    assert f"＝ {UPLOAD_NAME}：内容未变化，已跳过" in again.message
    with pytest.raises(h.UIError, match="请先选择"):
        h.upload(assistant, STAFF, [], uploads)


def test_streamed_answers_arrive_piece_by_piece_then_with_sources(assistant: Assistant, fake_llm, llm_settings) -> None:
    from llm_server import Reply

    settings = llm_settings.model_copy(update={"index_dir": assistant.settings.index_dir})
    streaming = build_assistant(settings)
    fake_llm.script(Reply(chunks=["2022年完成", "数字化扫描", "8600页[1]。"]))
    earlier = [{"role": "user", "content": "你好"}, {"role": "assistant", "content": "您好。"}]
    fake_llm.script("2022年数字化扫描多少页")  # the condensed question comes first
    fake_llm.replies.rotate(1)
    results = list(h.ask_stream(streaming, STAFF, "2022年数字化扫描多少页", earlier, "问答"))
    partial, final = results[:-1], results[-1]
    assert [r.turn for r in partial] == [None, None, None]
    assert partial[-1].history[-1]["content"].startswith("2022年完成数字化扫描8600页[1]")
    assert final.turn is not None and final.turn.answer.generated_by == "test-model"
    assert "8600" in final.sources and final.choices
    assert h.conversation(final.history)[-1][0] == "2022年数字化扫描多少页"
