"""The Gradio app: the header, the three pages and the load event; each page's layout and
wiring is in its own module (`chat_page`, `library_page`, `admin_page`), what each event does in
`handlers` and the pages' handler modules (`conversation`, `sources`, `documents`, `admin`).

    web = build_app(assistant, users)
    serve(web)

对话 is for everyone (the user's conversations, the chat, the sources panel); 文档库 for staff and
admin (the document library and uploads); 管理 for admin (accounts, the audit log, the index
status). A page a role may not use is hidden and its contents are not even sent to the browser
(`visible=False` until the load event says otherwise), and every one of its events checks the
role again on the server.

Every event resolves the caller's role on the server from `gr.Request.username` (set by Gradio's
login, checked against the users file) and passes it to the handler; nothing the browser sends
can choose a role. Errors reach the user as one sentence (`gr.Error`), never a traceback.
`serve` puts `guard.Guard` in front of Gradio's routes: logins are throttled, sessions end after
`settings.session_idle_minutes` idle or `settings.session_max_hours` in all, exports and page
images go only to the login session they were made for, only staff may upload, and every
response carries security headers. `WebApp` holds what the events and the guard share.

With `settings.mcp_enabled`, the exact tools of `mcp_tools` are added and Gradio's MCP server
serves them (and only them) at `/gradio_api/mcp/`, each call authenticated by a user's access
token; off (the default), neither the tools nor the route exist.

No custom JavaScript (the page's policy allows none): the layout for 1366×768 is CSS (`CSS`),
and clickable citations are Gradio's message options under the newest answer.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import gradio as gr

from assistant.errors import ConfigError
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.ui import admin_page, chat_page, library_page, locale, mcp_tools
from assistant.ui import handlers as h
from assistant.ui.files import SessionFiles, Uploads
from assistant.ui.guard import guard
from assistant.ui.sessions import Sessions, login_check
from assistant.ui.wiring import PRIVATE, Context, friendly
from assistant.users import LoginThrottle, UserStore

CONCURRENCY = 8  # simultaneous events; a small office rarely has more people asking at once
SESSION_CAPACITY = 500
AUTH_MESSAGE = "档案助手：请使用档案馆分配的用户名和密码登录。"
MCP_PATH = "/gradio_api/mcp/"  # Gradio's streamable HTTP transport (its SSE one is at …/mcp/sse)
# Fits 1366×768 with the question box in view: the chat takes the height the header, the tabs
# and the question box leave (its own `height`), and the side columns wrap under it on a narrow
# window (their `min_width`).
CSS = """
.gradio-container { max-width: 100% !important; padding: 2px 14px !important; }
.gradio-container .main { padding-top: 0 !important; }
#header { align-items: center; gap: 12px; }
#brand h2 { margin: 0; white-space: nowrap; }
#who { text-align: right; }
#logout { flex: 0 0 auto !important; min-width: 88px !important; white-space: nowrap; }
#status-line p, #who p { margin: 0; font-size: 0.92em; }
#conversations .wrap { flex-direction: column; gap: 4px; }
#conversations label { width: 100%; }
#filter-badge p { margin: 2px 0; font-size: 0.92em; }
#page img { max-width: 100%; max-height: calc(100vh - 300px); object-fit: contain; }
#sources, #page-caption { max-height: calc(100vh - 330px); overflow-y: auto; }
footer { display: none !important; }
/* Gradio titles a toast with its type in English ("Error"); ours are in Chinese. */
.toast-title { font-size: 0 !important; }
.toast-title::before { font-size: var(--text-md); }
.toast-title.error::before { content: "提示"; }
.toast-title.warning::before { content: "注意"; }
.toast-title.info::before, .toast-title.success::before { content: "消息"; }
.toast-title .toast-count { font-size: var(--text-sm); }
/* Its progress line says "processing | 1.2s" in English; the bar and our Chinese description stay. */
.progress-text { display: none !important; }
"""


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
    keep = settings.session_files_minutes * 60
    files, uploads = SessionFiles(keep), Uploads(keep)
    sessions = Sessions(
        idle=settings.session_idle_minutes * 60,
        lifetime=settings.session_max_hours * 3600,
        on_end=[files.end, uploads.end],
    )
    ctx = Context(assistant, users, files, uploads)

    with gr.Blocks(title="档案助手") as demo:
        with gr.Row(elem_id="header", equal_height=True):
            # Columns, not bare Markdown blocks: a column keeps its `scale` and `min_width` in a row.
            with gr.Column(scale=0, min_width=130):
                gr.Markdown("## 档案助手", elem_id="brand")
            with gr.Column(scale=3, min_width=200):
                status = gr.Markdown(elem_id="status-line")
            with gr.Column(scale=2, min_width=180):
                who = gr.Markdown(elem_id="who")
            gr.Button("退出登录", link="/logout", size="sm", scale=0, min_width=90, elem_id="logout")
        with gr.Tabs(elem_id="tabs"):
            with gr.Tab("对话", id="chat-tab", elem_id="chat-tab"):
                chat = chat_page.build(ctx)
            with gr.Tab("文档库", id="library-tab", visible=False, elem_id="library-tab") as library_tab:
                library = library_page.build(ctx, status, library_tab)
            with gr.Tab("管理", id="admin-tab", visible=False, elem_id="admin-tab") as admin_tab:
                admin = admin_page.build(ctx, admin_tab)
        pages = (chat, library, admin)

        def on_load(request: gr.Request):
            with friendly():
                me = ctx.principal(request)
                filled = [value for page in pages for value in page.load(me)]
                return (h.welcome(me), h.status_line(assistant, me), *filled)

        demo.load(on_load, outputs=[who, status, *(o for page in pages for o in page.outputs)], **PRIVATE)
        if settings.mcp_enabled:
            mcp_tools.register(assistant, users)
    return WebApp(demo, users, settings, sessions, files, uploads)


def serve(web: WebApp, *, prevent_thread_lock: bool = False) -> None:
    """Queue and launch behind the login and the guard on settings.host:port; the index is never
    served as a file. Blocks until the server stops unless `prevent_thread_lock`."""
    settings, users = web.settings, web.users
    if settings.mcp_enabled and importlib.util.find_spec("mcp") is None:
        raise ConfigError(
            "已开启 MCP 服务（mcp_enabled），但没有安装 mcp：请运行 pip install 'archive-assistant[mcp]'，"
            "或关闭 ARCHIVE_ASSISTANT_MCP_ENABLED。"
        )
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
        # Gradio awaits a coroutine function here (routes.py checks iscoroutinefunction), though
        # its hint names only a plain `bool` callable.
        auth=cast(Callable[[str, str], bool], login_check(users)),
        auth_message=AUTH_MESSAGE,
        i18n=locale.translations(),  # Gradio's own labels in Chinese whatever the browser's language
        share=False,
        inbrowser=False,
        show_error=False,
        quiet=True,
        ssr_mode=False,
        mcp_server=settings.mcp_enabled,
        run_history=False,
        footer_links=["settings"],
        blocked_paths=[str(settings.index_dir.resolve())],
        max_file_size="200mb",
        # Each page load keeps a session (~80 KB measured); a small office never needs 10,000.
        state_session_capacity=SESSION_CAPACITY,
        prevent_thread_lock=True,  # blocked below, once the MCP server is known to run
        app_kwargs={"middleware": [middleware]},
        css=CSS,
    )
    if settings.mcp_enabled and not web.demo.mcp_server:  # Gradio keeps its reason quiet (quiet=True)
        web.demo.close()
        raise ConfigError(f"MCP 服务未能启动：{web.demo.mcp_error or '原因不明'}。")
    if not prevent_thread_lock:
        web.demo.block_thread()
