"""The Gradio app: layout and event wiring only; what each event does lives in `handlers`.

    web = build_app(assistant, users)
    serve(web)

Every event resolves the caller's role on the server from `gr.Request.username` (set by Gradio's
login, checked against the users file) and passes it to the handler; nothing the browser sends
can choose a role. Errors reach the user as one sentence (`gr.Error`), never a traceback.
`serve` puts `guard.Guard` in front of Gradio's routes: logins are throttled, sessions end after
`settings.session_idle_minutes` idle or `settings.session_max_hours` in all, exports and page
images go only to the login session they were made for, only staff may upload, and every
response carries security headers. `WebApp` holds what the events and the guard share.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import gradio as gr

from assistant.errors import AssistantError
from assistant.ingest.pipeline import upload_suffixes
from assistant.models import Principal
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.ui import handlers as h
from assistant.ui.files import SessionFiles, Uploads
from assistant.ui.guard import Sessions, guard, login_check, session_of
from assistant.users import LoginThrottle, UserStore

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


@dataclass
class WebApp:
    """The Gradio app and the per-session state its events and the guard share."""

    demo: gr.Blocks
    users: UserStore
    settings: Settings
    sessions: Sessions
    files: SessionFiles
    uploads: Uploads


def build_app(assistant: Assistant, users: UserStore) -> WebApp:
    settings = assistant.settings
    uploads_dir = settings.index_dir / "uploads"
    keep = settings.session_files_minutes * 60
    files, uploads = SessionFiles(keep), Uploads(keep)
    sessions = Sessions(
        idle=settings.session_idle_minutes * 60,
        lifetime=settings.session_max_hours * 3600,
        on_end=[files.end, uploads.end],
    )

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
                    latex_delimiters=[],
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
                    exported = gr.Markdown(label="导出文件", elem_id="exported", latex_delimiters=[])
            with gr.Column(scale=2):
                gr.Markdown("### 出处")
                sources = gr.Markdown(h.render_sources(None), elem_id="sources", latex_delimiters=[])
                pick = gr.Radio([], label="查看出处原页", elem_id="pick")
                page = gr.Markdown(label="原文页面", elem_id="page", latex_delimiters=[])
                caption = gr.Markdown(elem_id="page-caption", latex_delimiters=[])

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
            upload_result = gr.Markdown(elem_id="upload-result", latex_delimiters=[])

        def on_load(request: gr.Request):
            with _friendly():
                me = principal(request)
                return h.welcome(me), h.status_line(assistant, me), gr.update(visible=h.can_upload(me))

        def on_ask(text, history, mode_label, fonds_, from_, to_, kinds_, figures_, request: gr.Request):
            with _friendly():
                me = principal(request)
                results = h.ask_stream(
                    assistant, me, text, history, mode_label, fonds_, from_, to_, kinds_, figures_ or ""
                )
                for result in results:
                    if result.turn is None:  # still streaming: only the chat changes
                        yield result.history, "", gr.update(), result.sources, gr.update(), "", "", ""
                        continue
                    choices = gr.update(choices=result.choices, value=None)
                    yield result.history, "", result.turn, result.sources, choices, "", "", ""

        def on_pick(last, choice, request: gr.Request):
            with _friendly():
                view = h.show_page(assistant, principal(request), last, choice)
                link = h.page_image(view, files, session_of(request))
            return h.image_markdown(link, "原文页面"), view.caption

        def on_export(last, request: gr.Request):
            with _friendly():
                return h.links_markdown(h.export(principal(request), last, files, session_of(request)))

        def on_upload(chosen, request: gr.Request, progress=gr.Progress()):  # noqa: B008 - Gradio's injection idiom
            def report(done: int, total: int, name: str) -> None:
                progress((done, total), desc=f"正在导入 {name}" if name else "导入完成", unit="个文件")

            with _friendly():
                me = principal(request)
                result = h.upload(assistant, me, chosen, uploads_dir, uploads, session_of(request), report)
                return result.message, h.status_line(assistant, me), None

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
    return WebApp(demo, users, settings, sessions, files, uploads)


def serve(web: WebApp, *, prevent_thread_lock: bool = False) -> None:
    """Queue and launch behind the login and the guard on settings.host:port; the index is never
    served as a file. Blocks until the server stops unless `prevent_thread_lock`."""
    settings, users = web.settings, web.users
    throttle = LoginThrottle(
        per_address=settings.login_failures_per_address,
        per_name=settings.login_failures_per_name,
        window=settings.login_window_minutes * 60,
    )
    # Through the FastAPI constructor: the only way in before the server starts handling requests
    # (Starlette refuses `add_middleware` once it has), and `launch` keeps blocking as before.
    middleware = guard(web.sessions, lambda name: h.may_upload(users, name), web.files, web.uploads, throttle)
    web.demo.queue(default_concurrency_limit=CONCURRENCY)
    web.demo.launch(
        server_name=settings.host,
        server_port=settings.port,
        auth=login_check(users),
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
