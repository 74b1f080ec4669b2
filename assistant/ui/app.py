"""The Gradio app: layout and event wiring only; what each event does lives in `handlers`.

    demo = build_app(assistant, users)
    serve(demo, users, settings)

Every event resolves the caller's role on the server from `gr.Request.username` (set by Gradio's
login, checked against the users file) and passes it to the handler; nothing the browser sends
can choose a role. Errors reach the user as one sentence (`gr.Error`), never a traceback.
`serve` puts `guard.Guard` in front of Gradio's routes: sessions end after
`settings.session_idle_minutes` idle or `settings.session_max_hours` in all, exported files go
only to the user who exported them, and only staff may upload.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.utils import get_upload_folder

from assistant.errors import AssistantError
from assistant.ingest.pipeline import upload_suffixes
from assistant.models import Principal
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.ui import handlers as h
from assistant.ui.guard import Sessions, guard
from assistant.users import UserStore

log = logging.getLogger(__name__)

CONCURRENCY = 8  # simultaneous events; a small office rarely has more people asking at once
SESSION_CAPACITY = 500
UPLOAD_TYPES = upload_suffixes()  # whatever ingest reads: documents, catalogues, page images
AUTH_MESSAGE = "档案助手：请使用档案馆分配的用户名和密码登录。"
_UNEXPECTED = "处理请求时出错，请稍后再试；如果反复出现，请联系管理员查看日志。"
_PRIVATE: dict[str, Any] = {"api_visibility": "private"}


@contextmanager
def _friendly() -> Iterator[None]:
    """Expected failures become their own sentence; anything else a generic one (logged)."""
    try:
        yield
    except gr.Error:
        raise
    except AssistantError as exc:
        raise gr.Error(str(exc), title="提示", print_exception=False) from None
    except Exception:
        log.exception("UI event failed")
        raise gr.Error(_UNEXPECTED, title="出错了", print_exception=False) from None


def exports_root() -> Path:
    """Where exports are written, one folder per user (`handlers.export_folder`).

    Inside Gradio's own file cache on purpose: Gradio serves a returned file from there in place,
    while a file anywhere else is copied into the cache under a content hash, where the guard
    could no longer tell whose it is."""
    return Path(get_upload_folder()) / "archive-assistant-exports"


def build_app(assistant: Assistant, users: UserStore) -> gr.Blocks:
    uploads_dir = assistant.settings.index_dir / "uploads"
    exports = exports_root()

    def principal(request: gr.Request) -> Principal:
        return h.principal_for(users, getattr(request, "username", None))

    with gr.Blocks(title="档案助手") as demo:
        turn = gr.State(None)
        with gr.Row(equal_height=True):
            gr.Markdown("# 档案助手")
            who = gr.Markdown(elem_id="who")
            gr.Button("退出登录", link="/logout", size="sm", scale=0, elem_id="logout")
        status = gr.Markdown(elem_id="status-line")

        with gr.Row():
            with gr.Column(scale=3):
                mode = gr.Radio(list(h.MODES), value=h.DEFAULT_MODE, label="模式", elem_id="mode")
                figures = gr.Textbox(
                    label="本年度数字（起草时填写，如：2024年接待查档1500人次）",
                    visible=False,
                    lines=2,
                    elem_id="figures",
                )
                chatbot = gr.Chatbot(
                    label="对话",
                    height=420,
                    feedback_options=None,
                    buttons=["copy", "copy_all"],
                    elem_id="chat",
                    placeholder="请输入问题，例如：2023年接待查档多少人次？回答只依据您有权查阅的馆藏资料，并注明出处。",
                )
                with gr.Row():
                    question = gr.Textbox(
                        label="问题", placeholder="输入问题后按回车或点击“提问”", scale=5, elem_id="question"
                    )
                    send = gr.Button("提问", variant="primary", scale=1, elem_id="ask")
                with gr.Accordion("筛选条件", open=False, elem_id="filters"):
                    with gr.Row():
                        fonds = gr.Textbox(label="全宗号", placeholder="如 38 或 J038", elem_id="fonds")
                        year_from = gr.Number(label="起始年度", precision=0, elem_id="year-from")
                        year_to = gr.Number(label="截止年度", precision=0, elem_id="year-to")
                    kinds = gr.CheckboxGroup(h.KIND_CHOICES, label="文档类型（不选即全部）", elem_id="kinds")
                with gr.Row():
                    export_button = gr.Button("导出上一条回答（DOCX 和 Markdown）", elem_id="export")
                    exported = gr.File(label="导出文件", file_count="multiple", interactive=False, elem_id="exported")
            with gr.Column(scale=2):
                gr.Markdown("### 出处")
                sources = gr.Markdown(h.render_sources(None), elem_id="sources")
                pick = gr.Radio([], label="查看出处原页", elem_id="pick")
                page = gr.Image(
                    label="原文页面",
                    type="pil",
                    format="png",
                    interactive=False,
                    elem_id="page",
                    buttons=["fullscreen"],
                )
                caption = gr.Markdown(elem_id="page-caption")

        with gr.Column(visible=False, elem_id="upload-panel") as upload_panel:
            gr.Markdown("### 上传并导入文件（馆员、管理员）")
            upload_files = gr.File(
                label="选择文件（PDF、DOCX、MD、TXT、CSV、XLSX）",
                file_count="multiple",
                file_types=UPLOAD_TYPES,
                type="filepath",
                elem_id="upload-files",
            )
            upload_button = gr.Button("上传并导入", variant="primary", elem_id="upload")
            upload_result = gr.Markdown(elem_id="upload-result")

        def on_load(request: gr.Request):
            with _friendly():
                me = principal(request)
                return h.welcome(me), h.status_line(assistant), gr.update(visible=h.can_upload(me))

        def on_ask(text, history, mode_label, fonds_, from_, to_, kinds_, figures_, request: gr.Request):
            with _friendly():
                me = principal(request)
                results = h.ask_stream(
                    assistant, me, text, history, mode_label, fonds_, from_, to_, kinds_, figures_ or ""
                )
                for result in results:
                    if result.turn is None:  # still streaming: only the chat changes
                        yield result.history, "", gr.update(), result.sources, gr.update(), None, "", None
                        continue
                    choices = gr.update(choices=result.choices, value=None)
                    yield result.history, "", result.turn, result.sources, choices, None, "", None

        def on_pick(last, choice, request: gr.Request):
            with _friendly():
                view = h.show_page(assistant, principal(request), last, choice)
            return view.image, view.caption

        def on_export(last, request: gr.Request):
            with _friendly():
                return h.export(principal(request), last, exports)

        def on_upload(files, request: gr.Request, progress=gr.Progress()):  # noqa: B008 - Gradio's injection idiom
            def report(done: int, total: int, name: str) -> None:
                progress((done, total), desc=f"正在导入 {name}" if name else "导入完成", unit="个文件")

            try:
                with _friendly():
                    result = h.upload(assistant, principal(request), files, uploads_dir, report)
            finally:
                # Gradio keeps an upload in its file cache, where any logged-in user knowing the
                # path could fetch it; the index has its own copy now (or refused it).
                for file in files or []:
                    Path(file).unlink(missing_ok=True)
            return result.message, h.status_line(assistant), None

        demo.load(on_load, outputs=[who, status, upload_panel], **_PRIVATE)
        ask_inputs = [question, chatbot, mode, fonds, year_from, year_to, kinds, figures]
        mode.change(lambda label: gr.update(visible=h.mode_value(label) == "draft"), [mode], [figures], **_PRIVATE)
        ask_outputs = [chatbot, question, turn, sources, pick, page, caption, exported]
        send.click(on_ask, ask_inputs, ask_outputs, **_PRIVATE)
        question.submit(on_ask, ask_inputs, ask_outputs, **_PRIVATE)
        pick.input(on_pick, [turn, pick], [page, caption], **_PRIVATE)
        export_button.click(on_export, [turn], [exported], **_PRIVATE)
        # One ingest at a time: it writes the index that every question reads.
        upload_button.click(
            on_upload,
            [upload_files],
            [upload_result, status, upload_files],
            concurrency_limit=1,
            concurrency_id="ingest",
            **_PRIVATE,
        )
    return demo


def serve(demo: gr.Blocks, users: UserStore, settings: Settings, *, prevent_thread_lock: bool = False) -> Sessions:
    """Queue and launch behind the login and the guard on settings.host:port; the index is never
    served as a file. Blocks until the server stops unless `prevent_thread_lock`; returns the
    sessions the guard keeps (tests look into them)."""
    sessions = Sessions(idle=settings.session_idle_minutes * 60, lifetime=settings.session_max_hours * 3600)
    # Through the FastAPI constructor: the only way in before the server starts handling requests
    # (Starlette refuses `add_middleware` once it has), and `launch` keeps blocking as before.
    middleware = guard(sessions, exports_root(), lambda name: h.may_upload(users, name))
    demo.queue(default_concurrency_limit=CONCURRENCY)
    demo.launch(
        server_name=settings.host,
        server_port=settings.port,
        auth=users.verify,
        auth_message=AUTH_MESSAGE,
        share=False,
        inbrowser=False,
        show_error=False,
        quiet=True,
        ssr_mode=False,
        mcp_server=False,
        run_history=False,
        footer_links=["settings"],
        blocked_paths=[str(settings.index_dir.resolve())],
        max_file_size="200mb",
        # Each page load keeps a session (~80 KB measured); a small office never needs 10,000.
        state_session_capacity=SESSION_CAPACITY,
        prevent_thread_lock=prevent_thread_lock,
        app_kwargs={"middleware": [middleware]},
    )
    return sessions
