"""The 文档库 page (staff and admin): the document library and uploads. Layout and wiring; what
happens is in `documents` (the library) and `handlers.upload`.

Its contents stay hidden (not sent to the browser) until the load event finds a staff member or
an admin; the 密级 choices are shown to admins only. Every event checks the role again.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from assistant.models import AccessChoice, Principal, Role
from assistant.ui import documents
from assistant.ui import handlers as h
from assistant.ui.guard import session_of
from assistant.ui.wiring import INGEST_QUEUE, PRIVATE, Context, Page, friendly

PICK_FIRST = "请先在列表中点击选中一个文档。"


def build(ctx: Context, status: gr.Markdown, tab: gr.Tab) -> Page:
    assistant = ctx.assistant
    listing = gr.State(None)  # documents.Listing shown in this tab
    picked = gr.State(None)  # the row of it selected

    with gr.Column(visible=False, elem_id="library-panel") as library_panel:
        with gr.Row():
            search = gr.Textbox(label="搜索文件名或标题", scale=3, elem_id="lib-search")
            kind = gr.Dropdown(
                [documents.ALL_KINDS, *documents.KIND_LABELS.values()],
                value=documents.ALL_KINDS,
                label="类型",
                scale=1,
                elem_id="lib-kind",
            )
            refresh = gr.Button("刷新", scale=0, min_width=80, elem_id="lib-refresh")
        summary = gr.Markdown(elem_id="lib-summary")
        table = gr.Dataframe(headers=documents.COLUMNS, interactive=False, wrap=True, max_height=330, elem_id="library")
        selected = gr.Markdown(PICK_FIRST, elem_id="lib-selected")
        with gr.Row():
            open_status = gr.Radio(list(documents.OPEN_STATUSES), label="开放状态", elem_id="lib-open-status")
            secret = gr.Dropdown(
                list(documents.CLASSIFICATIONS),
                value="无",
                label="密级（仅管理员）",
                visible=False,
                elem_id="lib-classification",
            )
            set_access = gr.Button("修改访问级别", elem_id="lib-set-access")
        with gr.Row():
            reindex = gr.Button("重新导入", elem_id="lib-reindex")
            delete = gr.Button("删除", variant="stop", elem_id="lib-delete")
            confirm = gr.Button("确认删除（不可恢复）", variant="stop", visible=False, elem_id="lib-confirm-delete")
        result = gr.Markdown(elem_id="lib-result", latex_delimiters=[])
    with gr.Column(visible=False, elem_id="upload-panel") as upload_panel:
        gr.Markdown("### 上传并导入文件")
        with gr.Row():
            # No file_types: Gradio's own refusal of a type is an English toast; ours is Chinese.
            files = gr.File(
                label="选择文件（PDF、扫描图像、DOCX、OFD、MD、TXT、CSV、XLSX 等）",
                file_count="multiple",
                type="filepath",
                scale=3,
                elem_id="upload-files",
            )
            with gr.Column(scale=2):
                upload_status = gr.Radio(
                    list(documents.OPEN_STATUSES),
                    value=documents.DEFAULT_STATUS,
                    label="开放状态（报告和扫描件；目录按每条的开放状态定级）",
                    elem_id="upload-open-status",
                )
                upload_secret = gr.Dropdown(
                    list(documents.CLASSIFICATIONS),
                    value="无",
                    label="密级（仅管理员）",
                    visible=False,
                    elem_id="upload-classification",
                )
                upload = gr.Button("上传并导入", variant="primary", elem_id="upload")
                uploaded = gr.Markdown(elem_id="upload-result", latex_delimiters=[])

    def load(me: Principal) -> tuple[Any, ...]:
        manage, admin = documents.may_manage(me), me.role is Role.ADMIN
        return (gr.update(visible=manage),) * 3 + (gr.update(visible=admin),) * 2

    def view(me: Principal, text: str, kind_label: str) -> tuple[Any, ...]:
        """[table, listing, summary, selected, picked row]"""
        shown = documents.listing(assistant, me, text, kind_label)
        return documents.rows(shown), shown, documents.summary(shown), PICK_FIRST, None

    view_outputs = [table, listing, summary, selected, picked]

    def on_list(text, kind_label, request: gr.Request):
        with friendly():
            return view(ctx.principal(request), text, kind_label)

    def on_row(shown, data: gr.SelectData, request: gr.Request):
        with friendly():
            me = ctx.principal(request)
            row = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
            entry = documents.selected(shown, me, row)
            current = entry.open_status if entry.open_status in documents.OPEN_STATUSES else None
            return row, documents.describe(entry), gr.update(value=current), gr.update(visible=False)

    def done(me: Principal, message: str, text: str, kind_label: str) -> tuple[Any, ...]:
        """[result, *listing view, status line, confirm button] after an action."""
        return (message, *view(me, text, kind_label), h.status_line(assistant, me), gr.update(visible=False))

    def on_set_access(shown, row, text, kind_label, status_, secret_, request: gr.Request):
        with friendly():
            me = ctx.principal(request)
            entry = documents.selected(shown, me, row)
            return done(me, documents.set_access(assistant, me, entry, status_, secret_), text, kind_label)

    def on_reindex(shown, row, text, kind_label, request: gr.Request):
        with friendly():
            me = ctx.principal(request)
            return done(me, documents.reindex(assistant, me, documents.selected(shown, me, row)), text, kind_label)

    def on_delete(shown, row, text, kind_label, request: gr.Request):
        with friendly():
            me = ctx.principal(request)
            return done(me, documents.delete(assistant, me, documents.selected(shown, me, row)), text, kind_label)

    # track_tqdm: the ingest's own bars (导入 per file, 文字识别 per OCR page) reach the browser as
    # they move, besides the file being imported named by `report`.
    def on_upload(chosen, status_, secret_, request: gr.Request, progress=gr.Progress(track_tqdm=True)):  # noqa: B008
        def report(done: int, total: int, name: str) -> None:
            progress((done, total), desc=f"正在导入 {name}" if name else "导入完成", unit="个文件")

        with friendly():
            me = ctx.principal(request)
            if not h.can_upload(me):
                raise h.UIError(h.UPLOAD_REFUSED)
            choice: AccessChoice = documents.choice_of(me, status_, secret_)
            yield "正在导入……", gr.update(), gr.update()  # the previous result goes at once
            done = h.upload(assistant, me, chosen, ctx.uploads_dir, ctx.uploads, session_of(request), report, choice)
            yield done.message, h.status_line(assistant, me), None

    listed = [search, kind]
    tab.select(on_list, listed, view_outputs, **PRIVATE)
    refresh.click(on_list, listed, view_outputs, **PRIVATE)
    search.submit(on_list, listed, view_outputs, **PRIVATE)
    kind.input(on_list, listed, view_outputs, **PRIVATE)
    table.select(on_row, [listing], [picked, selected, open_status, confirm], **PRIVATE)
    acted = [result, *view_outputs, status, confirm]
    on_selected = [listing, picked, search, kind]
    set_access.click(on_set_access, [*on_selected, open_status, secret], acted, **INGEST_QUEUE)
    reindex.click(on_reindex, on_selected, acted, **INGEST_QUEUE)
    delete.click(lambda: gr.update(visible=True), None, [confirm], **PRIVATE)
    confirm.click(on_delete, on_selected, acted, **INGEST_QUEUE)
    upload.click(on_upload, [files, upload_status, upload_secret], [uploaded, status, files], **INGEST_QUEUE).then(
        on_list, listed, view_outputs, **PRIVATE
    )
    return Page([tab, library_panel, upload_panel, secret, upload_secret], load)
