"""The workspace of issue 17, below the browser: conversations, feedback, the document library,
chosen access levels, the admin page, citations of scans, filters. Real assistant, real SQLite,
Chroma and OCR over the UI fixture corpus plus one scanned page; handlers called directly."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app as cli
from assistant.index import conversations, db, library, vectors
from assistant.models import NO_EVIDENCE_ANSWER, AccessChoice, Principal, Role
from assistant.service import Assistant, LibraryError, build_assistant
from assistant.settings import load_settings
from assistant.ui import admin, conversation, documents, sources
from assistant.ui import handlers as h
from assistant.ui.files import SessionFiles
from assistant.users import UserStore
from tests.ui_fixtures import (
    OPEN_CODE,
    PDF_NAME,
    REPORT_NAME,
    RESTRICTED_CODE,
    RESTRICTED_TITLE,
    SCAN_FACT,
    SCAN_NAME,
    write_upload,
    write_workspace_corpus,
)

READER = Principal("读者甲", Role.READER)
OTHER_READER = Principal("读者乙", Role.READER)
STAFF = Principal("馆员乙", Role.STAFF)
ADMIN = Principal("管理员", Role.ADMIN)
SCAN_QUESTION = "2021年举办档案展览几次"


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    root = tmp_path_factory.mktemp("workspace")
    built = build_assistant(load_settings(index_dir=root / "index", ocr_workers=1))
    report = built.ingest([write_workspace_corpus(root / "corpus")])
    assert report.ok and len(report.files) == 4
    return built


@pytest.fixture
def files() -> Iterator[SessionFiles]:
    kept = SessionFiles(keep=60)
    yield kept
    kept.close()


def names(assistant: Assistant, principal: Principal) -> set[str]:
    return {entry.name for entry in assistant.library(principal)}


# ---- conversations ----------------------------------------------------------------------------


def test_a_conversation_is_stored_resumed_renamed_and_deleted_by_its_owner_only(assistant: Assistant) -> None:
    first = h.ask(assistant, READER, "2023年接待查档多少人次", None, "问答")
    second = h.ask(assistant, READER, "火星上有档案馆吗", first.chat, "问答")
    chat_id = second.chat.id
    assert chat_id and second.chat.title == "2023年接待查档多少人次"

    resumed = conversation.resume(assistant, READER, chat_id)  # what a reload opens
    assert [t.question for t in resumed.turns] == ["2023年接待查档多少人次", "火星上有档案馆吗"]
    shown = [m["content"] for m in conversation.messages(resumed)]
    assert shown[:3] == [m["content"] for m in second.history[:3]]
    assert shown[3] == second.history[3]["content"]  # a resumed refusal as first shown, with any hint
    assert shown[3].startswith(NO_EVIDENCE_ANSWER)
    assert conversation.latest(assistant, READER).id == chat_id
    assert conversation.history(resumed) == [(t.question, t.answer.answer) for t in resumed.turns]
    assert any(value == chat_id for _, value in conversation.choices(assistant, READER))

    # Another user: nothing of it, whatever id is sent.
    assert conversation.resume(assistant, OTHER_READER, chat_id).turns == ()
    assert not conversations.rename(assistant.index.conn, chat_id, OTHER_READER.name, "偷看")
    assert not conversations.delete(assistant.index.conn, chat_id, OTHER_READER.name)
    assert all(value != chat_id for _, value in conversation.choices(assistant, OTHER_READER))

    renamed = conversation.rename(assistant, READER, resumed, "  查档人次  ")
    assert renamed.title == "查档人次" and conversation.resume(assistant, READER, chat_id).title == "查档人次"
    conversation.delete(assistant, READER, renamed)
    assert conversation.resume(assistant, READER, chat_id).turns == ()
    with pytest.raises(conversation.ConversationError, match="已不存在"):
        conversation.delete(assistant, READER, renamed)


def test_a_stored_answer_is_withheld_once_its_record_is_above_the_readers_clearance(tmp_path: Path) -> None:
    built = build_assistant(load_settings(index_dir=tmp_path / "index"))
    note = write_upload(tmp_path / "corpus")
    assert built.ingest([note], choice=AccessChoice("开放")).ok
    asked = h.ask(built, READER, "2024年消防演练组织了几次", None, "问答")
    assert "3次" in asked.history[-1]["content"]

    (source,) = built.library(STAFF)
    built.set_access(STAFF, source.id, AccessChoice("控制使用"))  # no longer open
    resumed = conversation.resume(built, READER, asked.chat.id)
    (turn,) = resumed.turns
    assert not turn.shown and turn.answer.answer == conversations.WITHHELD
    assert "3次" not in str(conversation.messages(resumed)) and conversation.history(resumed) == []
    assert conversation.last_turn(resumed) is None  # the sources panel gets nothing of it
    assert conversation.resume(built, STAFF, asked.chat.id).turns == ()  # and it is still the reader's alone

    # A user whose role was lowered does not see what they were shown under the higher one.
    staff_chat = h.ask(built, STAFF, "2024年消防演练组织了几次", None, "问答").chat
    lowered = Principal(STAFF.name, Role.READER)
    assert not conversation.resume(built, lowered, staff_chat.id).turns[0].shown


def test_a_resumed_refusal_keeps_its_hint_while_the_document_it_names_is_within_the_clearance(tmp_path: Path) -> None:
    built = build_assistant(load_settings(index_dir=tmp_path / "index"))
    assert built.ingest([write_upload(tmp_path / "corpus")], choice=AccessChoice("开放")).ok
    asked = h.ask(built, READER, "2023年消防演练组织了几次", None, "问答")
    hint = asked.turn.answer.hint
    assert asked.turn.answer.status == "no_evidence" and "《2024年消防演练记录》" in hint
    first = asked.history[-1]["content"]
    assert f"> 线索：{hint[:10]}" in first

    resumed = conversation.messages(conversation.resume(built, READER, asked.chat.id))
    assert resumed[-1]["content"] == first  # after a reload, as when first shown

    (source,) = built.library(STAFF)
    built.set_access(STAFF, source.id, AccessChoice("控制使用"))  # the document the hint names is closed now
    again = conversation.messages(conversation.resume(built, READER, asked.chat.id))[-1]["content"]
    assert again.startswith(NO_EVIDENCE_ANSWER) and "线索" not in again and "消防演练记录" not in again
    assert (
        "线索"
        in conversation.messages(
            conversation.resume(built, STAFF, h.ask(built, STAFF, "2023年消防演练组织了几次", None, "问答").chat.id)
        )[-1]["content"]
    )  # staff still may

    assert conversation.hint_shown_again(built, "请用一句完整的话提问。", 0)  # names no place
    assert not conversation.hint_shown_again(built, "找到的相关内容（《不存在的文件》）没有写明年份。", 2)
    assert not conversation.hint_shown_again(built, "找到的是其他单位的资料（全宗9，档号 9-9-9），不是本馆的。", 2)


def test_feedback_with_a_comment_is_stored_and_exported(assistant: Assistant, tmp_path: Path) -> None:
    asked = h.ask(assistant, STAFF, "2022年数字化扫描多少页", None, "问答")
    turn = conversation.rate(assistant, STAFF, asked.chat, False)  # 👎 on the newest answer
    assert turn.turn_id is not None
    assert conversations.ratings(assistant.index.conn, STAFF.name, [turn.turn_id]) == {turn.turn_id: "down"}
    assert (
        conversation.comment(assistant, STAFF, asked.chat, turn.turn_id, "应当注明是2022年的数字")
        == "已记录您的意见，谢谢。"
    )
    with pytest.raises(conversation.ConversationError):
        conversation.rate(assistant, READER, asked.chat, True)  # not the reader's chat: nothing to rate
    conversation.rate(assistant, STAFF, asked.chat, True)  # changed mind: the comment stays
    conversations.delete(assistant.index.conn, asked.chat.id or "", STAFF.name)  # feedback outlives its conversation

    out = tmp_path / "评价.csv"
    result = CliRunner().invoke(cli, ["--index-dir", str(assistant.settings.index_dir), "feedback", "export", str(out)])
    assert result.exit_code == 0 and "已导出 1 条回答评价" in result.output, result.output
    rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert rows[0] == list(conversations.FEEDBACK_HEADERS)
    assert rows[1][2:5] == [STAFF.name, "👍 有用", "应当注明是2022年的数字"]
    assert rows[1][6] == "2022年数字化扫描多少页" and "8600" in rows[1][7] and f"{PDF_NAME} 第1页" in rows[1][9]


def test_examples_come_from_what_the_user_may_see(assistant: Assistant) -> None:
    staff = [e["text"] for e in conversation.examples(assistant, STAFF)]
    assert "2023年接待查档多少人次？" in staff and "全宗38 1975年有多少卷？" in staff
    reader = [e["text"] for e in conversation.examples(assistant, READER)]
    assert reader and all(RESTRICTED_CODE not in text for text in reader)


# ---- answers and citations --------------------------------------------------------------------


def test_clicking_a_citation_of_a_scan_shows_its_page_with_the_ocr_boxes_of_the_passage(assistant: Assistant) -> None:
    asked = h.ask(assistant, READER, SCAN_QUESTION, None, "问答")
    assert SCAN_FACT in asked.history[-1]["content"]
    (chip,) = asked.history[-1]["options"]
    assert chip == {"label": f"[1] {SCAN_NAME} 第1页", "value": "1"}
    view = sources.show_citation(assistant, READER, asked.turn, chip["value"])
    assert view.image is not None and view.caption.endswith(sources.HIGHLIGHTED)
    shaded = sum(1 for r, g, b in view.image.getdata() if r > 240 and 200 < g < 250 and b < 200)
    assert shaded > 2000  # the highlight colour over the recognised lines of the passage


def test_a_refusal_under_a_filter_says_so_and_shows_its_hint_as_a_lead(assistant: Assistant) -> None:
    refused = h.ask(assistant, STAFF, "2023年接待查档多少人次", None, "问答", fonds="99")
    reply = refused.history[-1]["content"]
    assert refused.turn.answer.status == "no_evidence"
    assert "本次检索启用了筛选条件（全宗 99）" in reply
    assert h.filter_badge("99", 1970, 1980.0, ["catalogue"]) == "🔎 已启用筛选：全宗 99 · 1970—1980年 · 档案目录"
    assert h.filter_badge("", None, None, []) == ""
    assert h.filter_badge(None, 1990, 1980, []).startswith("⚠ 筛选条件有误：起始年度 1990 晚于截止年度 1980")
    hinted = h.ask(assistant, STAFF, "2019年接待查档多少人次", None, "问答")
    if hinted.turn.answer.hint:  # the answerer found the figure of another year
        assert f"> 线索：{hinted.turn.answer.hint[:6]}" in hinted.history[-1]["content"]


def test_filters_apply_to_every_kind_of_answer_and_a_refusal_under_one_says_so(assistant: Assistant) -> None:
    def asked(question: str, **filters: object) -> tuple[str, str]:
        result = h.ask(assistant, STAFF, question, None, "问答", **filters)  # type: ignore[arg-type]
        return result.turn.answer.status, result.history[-1]["content"]

    # A catalogue count and list: only the rows of the years asked for.
    status, reply = asked("全宗38有多少卷", year_from=1976, year_to=1980)
    assert status == "answered" and "共有 1 卷" in reply and RESTRICTED_CODE in reply and OPEN_CODE not in reply
    status, reply = asked("全宗38有哪些档案", year_from=1970, year_to=1976)
    assert status == "answered" and OPEN_CODE in reply and RESTRICTED_CODE not in reply
    # A catalogue list, a 档号 and a question across years with the catalogue or the reports left out.
    for question, kinds, words in (
        ("全宗38有哪些档案", ["report"], "工作报告"),
        (OPEN_CODE, ["report"], "工作报告"),
        ("近两年接待查档人次有什么变化", ["catalogue"], "档案目录"),
        ("2023年接待查档多少人次", ["catalogue", "guide"], "档案目录、指南手册"),
    ):
        status, reply = asked(question, kinds=kinds)
        assert status == "no_evidence" and OPEN_CODE not in reply.split("\n")[0], (question, reply)
        assert f"本次检索启用了筛选条件（{words}）" in reply, (question, reply)
    # A report's figure: kept by a filter that includes it, refused by one that leaves its year out.
    status, reply = asked("2023年接待查档多少人次", kinds=["report"], year_from=2023)
    assert status == "answered" and "1234人次" in reply and "筛选条件" not in reply
    status, reply = asked("2023年接待查档多少人次", year_from=2022, year_to=2022)
    assert status == "no_evidence" and "1234" not in reply and "本次检索启用了筛选条件（2022年）" in reply
    status, reply = asked(SCAN_QUESTION, fonds="99")
    assert status == "no_evidence" and "本次检索启用了筛选条件（全宗 99）" in reply


def test_the_sources_panel_names_each_file_once() -> None:
    from assistant.models import Answer, Citation

    cited = [Citation(1, "a.pdf", 1, None, None, "甲"), Citation(2, "a.pdf", 3, None, None, "乙")]
    answer = Answer("问", "甲[1]乙[2]", "answered", citations=[*cited, Citation(3, "b.md", None, None, None, "丙")])
    panel = sources.render_sources(answer)
    assert panel.count("a.pdf") == 1 and panel.count("b.md") == 1
    assert sources.grouped_places(answer.citations) == ["a.pdf 第1页[1]、第3页[2]", "b.md[3]"]


# ---- the document library ---------------------------------------------------------------------


def test_the_library_lists_what_the_user_may_see_with_counts_within_it(assistant: Assistant) -> None:
    with pytest.raises(documents.LibraryPageError):
        documents.listing(assistant, READER)
    shown = documents.listing(assistant, STAFF)
    rows = {row[0]: row for row in documents.rows(shown)}
    assert {PDF_NAME, REPORT_NAME, SCAN_NAME, "劳动局案卷目录.csv"} <= set(rows)
    assert rows["劳动局案卷目录.csv"][3:5] == ["2 条", "按条目：开放 1 条、不开放 1 条"]
    assert rows[PDF_NAME][1:5] == ["工作报告", "2022", "1 页", "开放（默认）"]
    assert rows[SCAN_NAME][7].startswith("1 页，置信度 ")  # OCR confidence for the scan
    assert [row[0] for row in documents.rows(documents.listing(assistant, STAFF, "数字化"))] == [PDF_NAME]
    only = documents.listing(assistant, STAFF, "", "档案目录")
    assert [entry.kind for entry in only.entries] == ["catalogue"]
    with pytest.raises(documents.LibraryPageError, match="选中"):
        documents.selected(shown, Principal("馆员丙", Role.STAFF), 0)  # another user's listing


def test_a_classified_document_is_not_in_the_staff_library(tmp_path: Path) -> None:
    built = build_assistant(load_settings(index_dir=tmp_path / "index"))
    secret = write_upload(tmp_path / "corpus")
    assert built.ingest([secret], choice=AccessChoice("开放", "机密"), added_by=ADMIN.name).ok
    assert names(built, STAFF) == set() and db.visible_stats(built.index.conn, 1)["sources"] == 0
    (entry,) = built.library(ADMIN)
    assert entry.added_by == ADMIN.name and documents.access_label(entry) == "开放，机密"
    with pytest.raises(LibraryError, match="已不在索引中"):  # as if it did not exist
        built.delete_source(STAFF, entry.id)
    with pytest.raises(documents.LibraryPageError, match="只有管理员可以设定密级"):
        documents.choice_of(STAFF, "开放", "秘密")


def test_deleting_removes_chunks_vectors_and_rows_and_is_audited(tmp_path: Path) -> None:
    built = build_assistant(load_settings(index_dir=tmp_path / "index"))
    assert built.ingest([write_workspace_corpus(tmp_path / "corpus")]).ok
    catalogue = next(e for e in built.library(ADMIN) if e.kind == "catalogue")
    with pytest.raises(LibraryError, match="需由管理员操作"):
        built.delete_source(STAFF, catalogue.id)
    with pytest.raises(LibraryError, match="只有馆员和管理员"):
        built.delete_source(READER, catalogue.id)
    chunk_ids = [
        row[0] for row in built.index.conn.execute("SELECT id FROM chunks WHERE source_id = ?", (catalogue.id,))
    ]
    assert len(chunk_ids) == 2 and set(chunk_ids) <= vectors.all_ids(built.index.collection)

    message = documents.delete(built, ADMIN, catalogue)
    assert message.startswith("已删除 劳动局案卷目录.csv")
    conn = built.index.conn
    for table in ("chunks", "catalogue"):
        assert conn.execute(f"SELECT count(*) FROM {table} WHERE source_id = ?", (catalogue.id,)).fetchone()[0] == 0
    assert not set(chunk_ids) & vectors.all_ids(built.index.collection)
    row = conn.execute("SELECT user, mode, question FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    assert row == (ADMIN.name, "delete", "劳动局案卷目录.csv")
    assert h.ask(built, ADMIN, RESTRICTED_CODE, None, "问答").turn.answer.status == "no_evidence"

    report = next(e for e in built.library(STAFF) if e.name == REPORT_NAME)
    assert documents.reindex(built, STAFF, report).startswith(f"已重新导入 {REPORT_NAME}")
    assert documents.delete(built, STAFF, report).startswith(f"已删除 {REPORT_NAME}")  # staff may delete documents
    assert REPORT_NAME not in names(built, STAFF)


def test_changing_the_access_level_hides_a_document_from_readers(assistant: Assistant) -> None:
    entry = next(e for e in assistant.library(STAFF) if e.name == PDF_NAME)
    assert h.ask(assistant, READER, "2022年数字化扫描多少页", None, "问答").turn.answer.status == "answered"
    assert documents.set_access(assistant, STAFF, entry, "延期开放", "无").endswith("延期开放。")
    assert h.ask(assistant, READER, "2022年数字化扫描多少页", None, "问答").turn.answer.status == "no_evidence"
    assert h.ask(assistant, STAFF, "2022年数字化扫描多少页", None, "问答").turn.answer.status == "answered"
    relisted = next(e for e in assistant.library(STAFF) if e.name == PDF_NAME)
    assert documents.access_label(relisted) == "延期开放"
    assistant.set_access(STAFF, entry.id, AccessChoice("开放"))  # as it was, for the other tests
    assert h.ask(assistant, READER, "2022年数字化扫描多少页", None, "问答").turn.answer.status == "answered"


def test_the_cli_ingests_with_an_open_status_and_a_linked_record_only_gets_stricter(tmp_path: Path) -> None:
    index = tmp_path / "index"
    corpus = write_workspace_corpus(tmp_path / "corpus")
    record = corpus / f"{OPEN_CODE}.md"  # the record of an 开放 catalogue row
    record.write_text("# 招工通知\n\n县劳动局通知：招收知青王某某等十二人为全民所有制固定工。\n", encoding="utf-8")
    run = CliRunner().invoke(cli, ["--index-dir", str(index), "ingest", "--open-status", "控制使用", str(corpus)])
    assert run.exit_code == 0, run.output
    built = build_assistant(load_settings(index_dir=index))
    levels = dict(
        built.index.conn.execute(
            "SELECT s.name, max(c.access_level) FROM chunks c JOIN sources s ON s.id = c.source_id GROUP BY s.name"
        )
    )
    assert levels[REPORT_NAME] == levels[PDF_NAME] == levels[f"{OPEN_CODE}.md"] == 1  # the row is 开放: stricter wins
    assert library.choice(built.index.conn, str((corpus / REPORT_NAME).resolve())).added_by == "命令行"
    again = CliRunner().invoke(
        cli, ["--index-dir", str(index), "ingest", "--open-status", "开放", str(corpus / REPORT_NAME)]
    )
    assert again.exit_code == 0 and "未变化跳过 1 个" in again.output  # unchanged, yet it takes the new level
    assert (
        built.index.conn.execute(
            "SELECT max(access_level) FROM chunks WHERE source_name = ?", (REPORT_NAME,)
        ).fetchone()[0]
        == 0
    )
    bad = CliRunner().invoke(cli, ["--index-dir", str(index), "ingest", "--classification", "机密", str(corpus)])
    assert bad.exit_code == 2 and "同时给出开放状态" in bad.output


# ---- the admin page ---------------------------------------------------------------------------


def test_admin_manages_accounts_and_reads_the_audit_log(
    assistant: Assistant, tmp_path: Path, files: SessionFiles
) -> None:
    users = UserStore(tmp_path / "users.json")
    users.add_user(ADMIN.name, "admin-pass-1", Role.ADMIN)
    for principal in (READER, STAFF):
        with pytest.raises(admin.AdminError, match="只有管理员"):
            admin.user_rows(principal, users)
        with pytest.raises(admin.AdminError):
            admin.index_status(principal, assistant, users)

    said = admin.add_user(ADMIN, users, assistant, "新馆员", "staff")
    password = said.split("`")[1]
    assert users.verify("新馆员", password) and users.role_of("新馆员") is Role.STAFF
    admin.set_role(ADMIN, users, assistant, "新馆员", "reader")
    assert users.role_of("新馆员") is Role.READER
    admin.set_locked(ADMIN, users, assistant, "新馆员", True)
    assert users.role_of("新馆员") is None and not users.verify("新馆员", password)
    with pytest.raises(h.UIError, match="重新登录"):
        h.principal_for(users, "新馆员")  # an open session of a locked account fails on its next event
    assert ["新馆员", "读者", "已锁定"] in admin.user_rows(ADMIN, users)
    admin.set_locked(ADMIN, users, assistant, "新馆员", False)
    new_password = admin.reset_password(ADMIN, users, assistant, "新馆员").split("`")[1]
    assert users.verify("新馆员", new_password) and not users.verify("新馆员", password)
    with pytest.raises(admin.AdminError, match="不能锁定自己"):
        admin.set_locked(ADMIN, users, assistant, ADMIN.name, True)

    h.ask(assistant, READER, OPEN_CODE, None, "问答")
    rows = admin.audit_rows(ADMIN, assistant, READER.name, "问答", None, None)
    assert rows and all(row[1] == READER.name and row[3] == "问答" for row in rows)
    assert any(OPEN_CODE in row[6] for row in rows)
    accounts = admin.audit_rows(ADMIN, assistant, None, "账号管理", "2000-01-01", "2999-12-31")
    assert [row[4] for row in accounts][:2] == ["添加用户 新馆员（馆员）", "修改 新馆员 的角色为读者"]
    with pytest.raises(admin.AdminError, match="日期"):
        admin.audit_rows(ADMIN, assistant, None, None, "昨天", None)
    (link,) = admin.export_audit(ADMIN, assistant, files, "s", READER.name, None, None, None)
    _, key, name = link.url.split("/", 2)
    exported = files.find("s", key, name.replace("%E5%88%A9%E7%94%A8%E7%99%BB%E8%AE%B0", "利用登记"))
    assert isinstance(exported, Path) and READER.name in exported.read_text(encoding="utf-8-sig")
    status = admin.index_status(ADMIN, assistant, users)
    assert "嵌入模型" in status and "回答方式：extractive" in status
    assert RESTRICTED_TITLE not in status
