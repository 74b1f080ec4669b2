"""The 管理 page (admin only): the index status, accounts, the audit log and the exports. Layout
and wiring; what happens is in `admin`.

Its contents stay hidden (not sent to the browser) until the load event finds an admin, and are
filled only when the tab is opened; every event checks the role again (`admin._check`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr

from assistant.models import Principal, Role
from assistant.ui import admin
from assistant.ui import handlers as h
from assistant.ui.guard import session_of
from assistant.ui.wiring import PRIVATE, Context, Page, friendly

Account = Callable[[Principal, str, str], str]


def build(ctx: Context, tab: gr.Tab) -> Page:
    assistant, users = ctx.assistant, ctx.users
    with gr.Column(visible=False, elem_id="admin-panel") as panel:
        gr.Markdown("### 索引状态")
        status = gr.Markdown(elem_id="index-status", latex_delimiters=[])
        gr.Markdown("### 用户")
        table = gr.Dataframe(headers=admin.USER_COLUMNS, interactive=False, elem_id="users")
        with gr.Row():
            name = gr.Textbox(label="用户名（可在上表点击选中）", elem_id="user-name")
            role = gr.Radio(admin.ROLE_CHOICES, value="reader", label="角色", elem_id="user-role")
        with gr.Row():
            add = gr.Button("添加用户", elem_id="user-add")
            set_role = gr.Button("修改角色", elem_id="user-set-role")
            reset = gr.Button("重设密码", elem_id="user-reset")
            lock = gr.Button("锁定", elem_id="user-lock")
            unlock = gr.Button("解锁", elem_id="user-unlock")
        said = gr.Markdown(elem_id="user-result")
        gr.Markdown("### 利用登记")
        with gr.Row():
            who = gr.Textbox(label="用户", elem_id="audit-user")
            kind = gr.Dropdown(
                [admin.ALL, *admin.MODE_WORDS.values()], value=admin.ALL, label="类型", elem_id="audit-kind"
            )
            since = gr.Textbox(label="起始日期", placeholder="2026-01-01", elem_id="audit-since")
            until = gr.Textbox(label="截止日期", placeholder="2026-12-31", elem_id="audit-until")
            query = gr.Button("查询", scale=0, min_width=80, elem_id="audit-query")
        log = gr.Dataframe(headers=admin.AUDIT_COLUMNS, interactive=False, wrap=True, max_height=360, elem_id="audit")
        with gr.Row():
            export_log = gr.Button("导出利用登记（CSV）", elem_id="audit-export")
            export_feedback = gr.Button("导出回答评价（CSV）", elem_id="feedback-export")
        exported = gr.Markdown(elem_id="admin-files")

    def load(me: Principal) -> tuple[Any, ...]:
        return (gr.update(visible=me.role is Role.ADMIN),) * 2

    def on_open(request: gr.Request):
        with friendly():
            me = ctx.principal(request)
            return (
                admin.index_status(me, assistant, users),
                admin.user_rows(me, users),
                admin.audit_rows(me, assistant, None, None, None, None),
            )

    def account(act: Account):
        def run(name_: str, role_: str, request: gr.Request):
            with friendly():
                me = ctx.principal(request)
                return act(me, name_, role_), admin.user_rows(me, users)

        return run

    def on_user_row(data: gr.SelectData, request: gr.Request):
        with friendly():
            admin.user_rows(ctx.principal(request), users)  # the role check
            values = [str(v) for v in data.row_value or []]
            chosen = next((value for label, value in admin.ROLE_CHOICES if values[1:2] == [label]), None)
            return (values[0] if values else ""), gr.update(value=chosen) if chosen else gr.update()

    def on_query(user, kind_, since_, until_, request: gr.Request):
        with friendly():
            return admin.audit_rows(ctx.principal(request), assistant, user, kind_, since_, until_)

    def on_export_log(user, kind_, since_, until_, request: gr.Request):
        with friendly():
            me = ctx.principal(request)
            links = admin.export_audit(me, assistant, ctx.files, session_of(request), user, kind_, since_, until_)
            return h.links_markdown(links)

    def on_export_feedback(request: gr.Request):
        with friendly():
            me = ctx.principal(request)
            return h.links_markdown(admin.export_feedback(me, assistant, ctx.files, session_of(request)))

    tab.select(on_open, None, [status, table, log], **PRIVATE)
    table.select(on_user_row, None, [name, role], **PRIVATE)
    actions: list[tuple[gr.Button, Account]] = [
        (add, lambda me, n, r: admin.add_user(me, users, assistant, n, r)),
        (set_role, lambda me, n, r: admin.set_role(me, users, assistant, n, r)),
        (reset, lambda me, n, _: admin.reset_password(me, users, assistant, n)),
        (lock, lambda me, n, _: admin.set_locked(me, users, assistant, n, True)),
        (unlock, lambda me, n, _: admin.set_locked(me, users, assistant, n, False)),
    ]
    for button, act in actions:
        button.click(account(act), [name, role], [said, table], **PRIVATE)
    filters = [who, kind, since, until]
    query.click(on_query, filters, [log], **PRIVATE)
    export_log.click(on_export_log, filters, [exported], **PRIVATE)
    export_feedback.click(on_export_feedback, None, [exported], **PRIVATE)
    return Page([tab, panel], load)
