"""The UI handlers, called directly on a real assistant over a small real index."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote

import pytest
from docx import Document

from assistant.models import NO_EVIDENCE_ANSWER, AccessChoice, Filters, Principal, Role
from assistant.service import Assistant, build_assistant
from assistant.settings import load_settings
from assistant.ui import conversation, sources
from assistant.ui import handlers as h
from assistant.ui.export import DISCLAIMER
from assistant.ui.files import SessionFiles, Uploads
from assistant.ui.markup import markdown_text, plain_text
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


@pytest.fixture
def session_files() -> Iterator[SessionFiles]:
    files = SessionFiles(keep=60)
    yield files
    files.close()


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


def test_status_line_counts_in_plain_words(assistant: Assistant) -> None:
    line = h.status_line(assistant, STAFF)
    assert (
        line == "可检索文档 3 个 · 目录条目 2 条"
    )  # no 文本块, model names or "extractive": those are the admin page's
    admin_line = h.status_line(assistant, Principal("管理员", Role.ADMIN))
    if assistant.status().embedding_warning:  # the shipped fallback model: the admin is pointed to the admin page
        assert admin_line == f"{line} · ⚠ 检索质量需要注意，详见“管理”页"
    else:
        assert admin_line == line


@pytest.mark.parametrize("question", ["劳动模范评选的请示", RESTRICTED_CODE])
def test_reader_never_sees_a_restricted_record(assistant: Assistant, question: str) -> None:
    shown = everything_shown(h.ask(assistant, READER, question, None, "问答"))
    assert RESTRICTED_CODE not in shown
    assert RESTRICTED_TITLE not in shown

    staff = h.ask(assistant, STAFF, question, None, "问答")
    assert staff.turn.answer.status == "answered"
    assert RESTRICTED_CODE in staff.sources
    assert any(RESTRICTED_CODE in label for label, _ in staff.choices)


def test_reader_sees_open_records(assistant: Assistant) -> None:
    result = h.ask(assistant, READER, OPEN_CODE, None, "问答")
    assert OPEN_CODE in result.sources and OPEN_TITLE in everything_shown(result)


def test_ask_answers_with_sources_and_continues_the_stored_conversation(assistant: Assistant) -> None:
    first = h.ask(assistant, READER, "2023年接待查档多少人次", None, "问答")
    result = h.ask(assistant, READER, "  2022年数字化扫描多少页  ", first.chat, "问答")

    assert result.chat.id == first.chat.id and len(result.chat.turns) == 2
    assert [m["content"] for m in result.history[:2]] == [m["content"] for m in first.history[:2]]
    assert result.history[2] == {"role": "user", "content": "2022年数字化扫描多少页"}
    reply = result.history[3]
    assert reply["role"] == "assistant" and "8600" in reply["content"]
    assert reply["content"].startswith("**2022年完成馆藏档案数字化扫描8600页\\[1\\]。**")  # the direct answer first
    assert f"出处：{PDF_NAME} 第1页\\[1\\]" in reply["content"]
    assert reply["options"] == [{"label": f"[1] {PDF_NAME} 第1页", "value": "1"}]  # the clickable [1]
    assert "options" not in result.history[1]  # only the newest answer carries chips
    assert result.turn.user == READER.name and result.turn.mode == "ask"
    assert result.sources.startswith(f"**{PDF_NAME}**\n\n\\[1\\] 第1页")  # [ ] escaped: shown as text
    assert PDF_FACT in result.sources
    assert result.choices[0] == (f"[1] {PDF_NAME} 第1页", "1")
    # The follow-up history is what the user was shown, from the store; a chat of someone else is not continued.
    assert conversation.history(result.chat)[0][0] == "2023年接待查档多少人次"
    other = h.ask(assistant, STAFF, "2022年数字化扫描多少页", result.chat, "问答")
    assert other.chat.id != result.chat.id and len(other.chat.turns) == 1


def test_no_evidence_says_so_without_sources(assistant: Assistant) -> None:
    result = h.ask(assistant, STAFF, "火星探测器的发射窗口是什么时候", None, "问答")
    assert result.turn.answer.status == "no_evidence"
    assert result.history[-1]["content"].startswith(NO_EVIDENCE_ANSWER)
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
    for huge in (1e20, float("inf"), float("nan"), -5):  # the number box accepts them all
        with pytest.raises(h.UIError, match="起始年度应在 1 到 9999 之间"):
            h.build_filters(None, huge, None, [])

    unfiltered = h.ask(assistant, STAFF, "2023年接待查档多少人次", None, "问答")
    assert unfiltered.turn.answer.citations[0].source == REPORT_NAME
    only_catalogue = h.ask(assistant, STAFF, "2023年接待查档多少人次", None, "问答", kinds=["catalogue"])
    assert all(c.source != REPORT_NAME for c in only_catalogue.turn.answer.citations)


def test_empty_question_is_refused(assistant: Assistant) -> None:
    with pytest.raises(h.UIError, match="请输入问题"):
        h.ask(assistant, STAFF, "   ", None, "问答")


def test_show_page_renders_the_cited_pdf_page_with_highlight(assistant: Assistant) -> None:
    result = h.ask(assistant, READER, "2022年数字化扫描多少页", None, "问答")
    view = sources.show_citation(assistant, READER, result.turn, "1")

    assert view.image is not None
    width, height = view.image.size
    assert 800 <= width <= 850 and 1150 <= height <= 1190  # A4 at 100 dpi
    assert view.caption == f"\\[1\\] {PDF_NAME}，第1页（底色标出引用段落）"
    highlighted = sum(1 for r, g, b in view.image.getdata() if r > 240 and 200 < g < 250 and b < 200)
    assert highlighted > 1000
    assert sources.show_citation(assistant, READER, result.turn, None) == sources.PageView(None, "")
    assert sources.show_citation(assistant, READER, None, "1") == sources.PageView(None, "")


def test_a_cited_catalogue_row_is_shown_as_a_row(assistant: Assistant) -> None:
    result = h.ask(assistant, READER, OPEN_CODE, None, "问答")
    view = sources.show_citation(assistant, READER, result.turn, "1")
    assert view.image is None  # no page image offered
    head, rule, row = view.caption.split("\n\n")[1].split("\n")
    assert head == "| 档号 | 全宗号 | 题名 | 年度 | 保管期限 | 开放状态 |" and rule.count("---") == 6
    assert row == f"| {OPEN_CODE} | 38 | {OPEN_TITLE} | 1975 | 永久 | 开放 |"
    panel = result.sources.split("\n")  # the sources panel shows the row as a row too
    assert panel[0] == "**劳动局案卷目录.csv**" and f"| \\[1\\] | {OPEN_CODE} | {OPEN_TITLE} |" in result.sources


def test_a_text_citation_without_pages_shows_its_passage_in_context(assistant: Assistant) -> None:
    result = h.ask(assistant, STAFF, "2023年接待查档多少人次", None, "问答")
    view = sources.show_citation(assistant, STAFF, result.turn, "1")
    assert view.image is None and "（没有页面图像）" in view.caption
    assert "> **2023年全年接待查档利用者1234人次" in view.caption  # the cited passage, in bold
    assert "库房温度保持在14至24摄氏度" in view.caption  # and the one after it


def test_show_page_only_for_this_users_own_cited_and_cleared_records(assistant: Assistant) -> None:
    staff = h.ask(assistant, STAFF, RESTRICTED_CODE, None, "问答")
    with pytest.raises(sources.SourceError, match="不属于当前用户"):
        sources.show_citation(assistant, READER, staff.turn, "1")
    with pytest.raises(sources.SourceError, match="没有这个出处"):
        sources.show_citation(assistant, STAFF, staff.turn, "9")
    # Even a turn that claims to be the reader's cannot show a record above the reader's clearance.
    forged = sources.Turn(READER.name, "ask", staff.turn.answer)
    with pytest.raises(sources.SourceError, match="无权"):
        sources.show_citation(assistant, READER, forged, "1")


def test_export_writes_markdown_and_docx(assistant: Assistant, session_files: SessionFiles) -> None:
    result = h.ask(assistant, STAFF, "2022年数字化扫描多少页", None, "起草")
    links = h.export(STAFF, result.turn, session_files, "session-1")
    paths = [session_files.find("session-1", link.url.split("/")[1], unquote(link.url.split("/")[2])) for link in links]
    assert sorted(p.suffix for p in paths) == [".docx", ".md"]
    assert all(p.is_relative_to(session_files.root) and p.stat().st_size > 0 for p in paths)
    assert h.links_markdown(links).count("](archive-files/") == 2

    markdown = next(p for p in paths if p.suffix == ".md").read_text(encoding="utf-8")
    assert "- 问题：2022年数字化扫描多少页" in markdown and "- 模式：起草" in markdown
    assert f"1. {PDF_NAME}，第1页" in markdown and PDF_FACT in markdown and DISCLAIMER in markdown

    document = Document(str(next(p for p in paths if p.suffix == ".docx")))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "8600" in text and f"[1] {PDF_NAME}，第1页" in text and DISCLAIMER in text


def test_export_refuses_without_an_answer_of_this_user(assistant: Assistant, session_files: SessionFiles) -> None:
    with pytest.raises(h.UIError, match="还没有可导出的回答"):
        h.export(STAFF, None, session_files, "session-1")
    result = h.ask(assistant, STAFF, "2022年数字化扫描多少页", None, "问答")
    with pytest.raises(h.UIError, match="不属于当前用户"):
        h.export(READER, result.turn, session_files, "session-1")
    assert len(session_files) == 0


def test_reader_cannot_upload(assistant: Assistant, tmp_path: Path) -> None:
    upload = write_upload(tmp_path / "incoming")
    uploads = Uploads(keep=60)
    uploads.record("reader-session", [str(upload)])
    with pytest.raises(h.UIError, match="只有馆员和管理员"):
        h.upload(assistant, READER, [upload], tmp_path / "uploads", uploads, "reader-session")
    assert not (tmp_path / "uploads").exists()
    assert upload.is_file() and uploads.owns("reader-session", str(upload))  # untouched, still unclaimed


def test_upload_saves_ingests_and_reports_each_file(assistant: Assistant, tmp_path: Path) -> None:
    incoming = tmp_path / "incoming"
    good = write_upload(incoming)
    text = good.read_text(encoding="utf-8")
    broken = incoming / "坏目录.csv"
    broken.write_text("这不是目录\n没有表头\n", encoding="utf-8")
    odd = incoming / "程序.exe"
    odd.write_bytes(b"MZ")
    uploads, session = Uploads(keep=60), "staff-session"
    uploads.record(session, [str(good), str(broken), str(odd)])
    target = tmp_path / "uploads"
    steps: list[tuple[int, int, str]] = []

    result = h.upload(
        assistant, STAFF, [str(good), str(broken), str(odd)], target, uploads, session, lambda *s: steps.append(s)
    )

    assert (target / UPLOAD_NAME).read_text(encoding="utf-8") == text
    assert not (target / "程序.exe").exists()
    assert not any(p.exists() for p in (good, broken, odd))  # Gradio's copies are gone once ingested
    statuses = {Path(f.path).name: f.status for f in result.report.files}
    assert statuses == {UPLOAD_NAME: "ingested", "坏目录.csv": "failed", "程序.exe": "failed"}
    assert result.message.startswith("共 3 个文件，成功 1 个，失败 2 个。")
    assert f"✓ {UPLOAD_NAME}：已导入" in result.message
    assert "✗ 坏目录.csv：导入失败（坏目录.csv: 找不到目录表头" in result.message
    assert str(target) not in result.message
    assert steps[-1] == (2, 2, "")

    assert f"访问级别：{h.DEFAULT_UPLOAD_STATUS}" in result.message  # an upload is not open unless someone says so
    hidden = h.ask(assistant, READER, "2024年消防演练组织了几次", None, "问答")
    assert UPLOAD_NAME not in everything_shown(hidden)
    staff = h.ask(assistant, STAFF, "2024年消防演练组织了几次", None, "问答")
    assert staff.turn.answer.citations[0].source == UPLOAD_NAME and "3次" in staff.history[-1]["content"]

    again = write_upload(incoming)
    uploads.record(session, [str(again)])
    assert (
        f"＝ {UPLOAD_NAME}：内容未变化，已跳过"
        in h.upload(assistant, STAFF, [str(again)], target, uploads, session).message
    )
    opened = write_upload(incoming)  # the same file once more, now said to be open: it takes that level
    uploads.record(session, [str(opened)])
    h.upload(assistant, STAFF, [str(opened)], target, uploads, session, choice=AccessChoice("开放"))
    shown = h.ask(assistant, READER, "2024年消防演练组织了几次", None, "问答")
    assert shown.turn.answer.citations[0].source == UPLOAD_NAME
    replayed = write_upload(incoming)  # the same path again, no longer recorded: refused, left alone
    refused = h.upload(assistant, STAFF, [str(replayed)], target, uploads, session)
    assert f"✗ {UPLOAD_NAME}：导入失败（{UPLOAD_NAME}: {h.NOT_THIS_SESSION}）" in refused.message and replayed.is_file()
    with pytest.raises(h.UIError, match="请先选择"):
        h.upload(assistant, STAFF, [], target, uploads, session)
    secret = write_upload(incoming)  # checked before the file is touched
    uploads.record(session, [str(secret)])
    with pytest.raises(h.UIError, match="只有管理员可以设定密级"):
        h.upload(assistant, STAFF, [str(secret)], target, uploads, session, choice=AccessChoice("开放", "机密"))
    assert secret.is_file() and uploads.owns(session, str(secret))


def test_a_model_answer_is_shown_only_once_checked_with_its_sources(
    assistant: Assistant, fake_llm, llm_settings
) -> None:
    from llm_server import Reply

    settings = llm_settings.model_copy(update={"index_dir": assistant.settings.index_dir})
    streaming = build_assistant(settings)
    fake_llm.script(Reply(chunks=["2022年完成", "数字化扫描", "8600页[1]。"]))
    earlier = h.ask(assistant, STAFF, "2023年接待查档多少人次", None, "问答").chat  # answered without a model
    fake_llm.script("2022年数字化扫描多少页")  # the condensed question comes first
    fake_llm.replies.rotate(1)
    results = list(h.ask_stream(streaming, STAFF, "2022年数字化扫描多少页", earlier, "问答"))
    partial, final = results[:-1], results[-1]
    # In ask mode nothing the model writes is shown before it is checked.
    assert all("8600" not in str(r.history) for r in partial)
    assert final.turn is not None and final.turn.answer.generated_by == "test-model"
    assert "8600" in final.sources and final.choices
    assert "2023年接待查档多少人次" in fake_llm.chat_requests[0].prompt  # the stored turn was the history
    assert conversation.history(final.chat)[-1][0] == "2022年数字化扫描多少页"


# ---- the security round (issue 18) -------------------------------------------------------------

LEVELS_CSV = (
    "档号,题名,年度,开放状态,密级\n"
    "38-2-0001,关于招工的通知,1975,开放,\n"
    "38-2-0002,关于转正定级的请示,1978,控制使用,\n"
    "38-2-0003,关于人员调配的批复,1979,开放,机密\n"
)


@pytest.fixture(scope="module")
def three_levels(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """An index with one catalogue row at each access level (开放, 控制使用, 机密)."""
    root = tmp_path_factory.mktemp("levels")
    (root / "corpus").mkdir()
    (root / "corpus" / "目录.csv").write_bytes(LEVELS_CSV.encode("gbk"))
    built = build_assistant(load_settings(index_dir=root / "index"))
    assert built.ingest([root / "corpus"]).ok
    return built


def test_the_status_line_counts_only_what_the_user_may_see(three_levels: Assistant) -> None:
    """Finding 8: index-wide counts told a reader how much is restricted."""
    reader = h.status_line(three_levels, READER)
    assert not any(ch.isdigit() for ch in reader)  # no counts at all for readers
    assert "嵌入模型" not in reader and three_levels.status().embedding_model not in reader  # no jargon
    assert "目录条目 2 条" in h.status_line(three_levels, STAFF)  # 开放 and 控制使用, not the 机密 row
    assert "目录条目 3 条" in h.status_line(three_levels, Principal("管理员", Role.ADMIN))


HOSTILE = [
    "![x](http://127.0.0.1:9/leak.png)",
    '<img src=x onerror="window.__xss=1">',
    "见 http://evil.example.com/a 或 www.evil.cn 或 a@b.cn",
    "[点此](javascript:alert(1)) **粗体** $$x$$ `code` <http://a.b>",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_record_text_becomes_markdown_that_shows_as_text(text: str) -> None:
    """Finding 17 (the browser test shows the rendering; here the escaping round-trips)."""
    escaped = markdown_text(text)
    assert plain_text(escaped) == text
    assert "http://" not in escaped and "www." not in escaped and "@" not in escaped.replace("\\@", "")
    for mark in "[]()<>!*`$":
        assert text.count(mark) == escaped.count("\\" + mark)


def test_an_export_with_control_characters_is_written_whole(assistant: Assistant, session_files: SessionFiles) -> None:
    """Finding 19: python-docx refused \\x00, \\x0b, \\x1b… and left the Markdown half of the export behind."""
    result = h.ask(assistant, STAFF, "2022年数字化扫描多少页", None, "问答")
    answer = result.turn.answer
    dirty = sources.Turn(
        STAFF.name,
        "ask",
        replace(
            answer,
            question="扫描\x0b多少页\x00",
            answer=answer.answer + "\x1b[31m\x0c\ufffe",
            citations=[replace(c, text=c.text + "\x00\x08") for c in answer.citations],
            warnings=["\x1b注意"],
        ),
    )
    links = h.export(STAFF, dirty, session_files, "session-2")
    paths = [session_files.find("session-2", link.url.split("/")[1], unquote(link.url.split("/")[2])) for link in links]
    assert sorted(p.suffix for p in paths) == [".docx", ".md"] and len(list(paths[0].parent.iterdir())) == 2
    text = "\n".join(p.text for p in Document(str(next(p for p in paths if p.suffix == ".docx"))).paragraphs)
    markdown = next(p for p in paths if p.suffix == ".md").read_text(encoding="utf-8")
    for written in (text, markdown):
        assert "8600" in written and "扫描多少页" in written
        assert not any(ch in written for ch in "\x00\x08\x0b\x0c\x1b\ufffe")
