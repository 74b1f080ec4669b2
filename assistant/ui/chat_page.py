"""The 对话 page: the user's conversations on the left, the chat with the question box under it,
the sources panel on the right. Layout and wiring; what happens is in `handlers` (asking),
`conversation` (conversations, feedback, examples) and `sources` (what an answer cites).

The ask event's first eight inputs and outputs keep the order the load benchmark
(bench/bench_load.py) sends and reads; its conversation state is server-side (`gr.State`), so
nothing the browser sends for it is used. A citation chip under the newest answer (a Gradio
message option) opens the sources panel at that citation, as the picker does.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from assistant.models import Principal
from assistant.ui import conversation, sources
from assistant.ui import handlers as h
from assistant.ui.conversation import Chat
from assistant.ui.guard import session_of
from assistant.ui.wiring import PRIVATE, Context, Page, friendly

PLACEHOLDER = "请输入问题，例如：2023年接待查档多少人次？回答只依据您有权查阅的馆藏资料，并注明出处。"


def build(ctx: Context) -> Page:
    assistant = ctx.assistant
    chat_state = gr.State(None)  # conversation.Chat of this tab
    turn = gr.State(None)  # sources.Turn: the answer whose sources the panel shows
    rated = gr.State(None)  # the turn id the user last rated (for a comment)

    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=180, elem_id="conv-panel"):
            new_chat = gr.Button("＋ 新对话", size="sm", elem_id="new-chat")
            conv_list = gr.Radio([], label="我的对话", elem_id="conversations")
            with gr.Accordion("重命名或删除当前对话", open=False, elem_id="conv-actions"):
                title_box = gr.Textbox(label="对话名称", max_length=40, elem_id="conv-title")
                rename = gr.Button("重命名", size="sm", elem_id="rename")
                delete = gr.Button("删除当前对话", size="sm", variant="stop", elem_id="delete-chat")
                confirm = gr.Button("确认删除", size="sm", variant="stop", visible=False, elem_id="confirm-delete-chat")
            note = gr.Markdown(elem_id="conv-note")
        with gr.Column(scale=4, min_width=360):
            chatbot = gr.Chatbot(
                label="对话",
                show_label=False,
                latex_delimiters=[],
                height="calc(100vh - 250px)",
                min_height=220,
                # No Gradio 👍/👎: their tooltips turn into English ("Liked") once clicked; ours are below.
                feedback_options=None,
                buttons=["copy"],
                elem_id="chat",
                placeholder=PLACEHOLDER,
            )
            with gr.Row(visible=False, elem_id="feedback-row") as feedback_row:
                feedback_text = gr.Textbox(
                    label="意见（可选）：哪里不对，或应当怎样回答", scale=5, elem_id="feedback-text"
                )
                feedback_send = gr.Button("提交意见", scale=1, elem_id="feedback-send")
            badge = gr.Markdown(elem_id="filter-badge")
            with gr.Row(elem_id="ask-row"):
                question = gr.Textbox(
                    label="问题",  # unlabelled, Gradio names it "Textbox" for screen readers
                    show_label=False,
                    placeholder="输入问题后按回车或点击“提问”",
                    scale=5,
                    elem_id="question",
                )
                send = gr.Button("提问", variant="primary", scale=1, min_width=80, elem_id="ask")
            with gr.Row():
                mode = gr.Radio(list(h.MODES), value=h.DEFAULT_MODE, label="模式", scale=3, elem_id="mode")
                export = gr.Button("导出当前回答（DOCX、Markdown）", scale=2, elem_id="export")
                rate_up = gr.Button("👍 有用", scale=0, min_width=80, elem_id="rate-up")
                rate_down = gr.Button("👎 没用", scale=0, min_width=80, elem_id="rate-down")
            figures = gr.Textbox(
                label="本年度数字（起草时填写，如：2024年接待查档1500人次）", visible=False, lines=2, elem_id="figures"
            )
            with gr.Accordion("筛选条件", open=False, elem_id="filters"):
                with gr.Row():
                    fonds = gr.Textbox(label="全宗号", placeholder="如 38 或 J038", elem_id="fonds")
                    year_from = gr.Number(label="起始年度", precision=0, elem_id="year-from")
                    year_to = gr.Number(label="截止年度", precision=0, elem_id="year-to")
                kinds = gr.CheckboxGroup(
                    [label for label, _ in h.KIND_CHOICES], label="文档类型（不选即全部）", elem_id="kinds"
                )
            exported = gr.Markdown(elem_id="exported", latex_delimiters=[])
        with gr.Column(scale=3, min_width=300, elem_id="source-panel"):
            gr.Markdown("### 出处")
            page = gr.Markdown(elem_id="page", latex_delimiters=[])
            caption = gr.Markdown(elem_id="page-caption", latex_delimiters=[])
            pick = gr.Radio([], label="查看出处原文", visible=False, elem_id="pick")
            source_list = gr.Markdown(sources.render_sources(None), elem_id="sources", latex_delimiters=[])

    def view(me: Principal, chat: Chat, **chatbot_props: Any) -> tuple[Any, ...]:
        """The page for a chat: [chatbot, chat, turn, sources, pick, page, caption, list, title, feedback]."""
        last = conversation.last_turn(chat)
        answer = last.answer if last else None
        messages = conversation.messages(chat)
        return (
            gr.update(value=messages, **chatbot_props),
            chat,
            last,
            sources.render_sources(answer, sources.cited_kinds(assistant, answer)),
            _picker(sources.citation_choices(answer)),
            "",
            "",
            gr.update(choices=conversation.choices(assistant, me), value=chat.id),
            chat.title if chat.id else "",
            gr.update(visible=False),
        )

    outputs = [chatbot, chat_state, turn, source_list, pick, page, caption, conv_list, title_box, feedback_row]

    def load(me: Principal) -> tuple[Any, ...]:
        """After a reload: the user's latest conversation, and example questions for an empty one."""
        return view(me, conversation.latest(assistant, me), examples=conversation.examples(assistant, me))

    # ---- asking ---------------------------------------------------------------------------------

    def on_ask(text, chat, mode_label, fonds_, from_, to_, kinds_, figures_, request: gr.Request):
        with friendly():
            me = ctx.principal(request)
            results = h.ask_stream(assistant, me, text, chat, mode_label, fonds_, from_, to_, kinds_, figures_ or "")
            for result in results:
                if result.turn is None:  # still streaming: only the chat changes
                    unchanged = [gr.update()] * 4  # the conversation is stored once the answer is final
                    yield (result.history, "", gr.update(), result.sources, gr.update(), "", "", "", *unchanged)
                    continue
                yield (
                    result.history,
                    "",
                    result.turn,
                    result.sources,
                    _picker(result.choices),
                    "",
                    "",
                    "",
                    result.chat,
                    gr.update(choices=conversation.choices(assistant, me), value=result.chat.id),
                    result.chat.title,
                    gr.update(visible=False),
                )

    ask_inputs = [question, chat_state, mode, fonds, year_from, year_to, kinds, figures]
    ask_outputs = [chatbot, question, turn, source_list, pick, page, caption, exported]
    ask_outputs += [chat_state, conv_list, title_box, feedback_row]
    send.click(on_ask, ask_inputs, ask_outputs, **PRIVATE)
    question.submit(on_ask, ask_inputs, ask_outputs, **PRIVATE)

    def on_example(data: gr.SelectData) -> str:
        return str((data.value or {}).get("text", ""))  # asked like a typed question, for this user

    chatbot.example_select(on_example, None, [question], **PRIVATE).then(on_ask, ask_inputs, ask_outputs, **PRIVATE)
    mode.change(lambda label: gr.update(visible=h.mode_value(label) == "draft"), [mode], [figures], **PRIVATE)
    filters = [fonds, year_from, year_to, kinds]
    gr.on([fonds.change, year_from.change, year_to.change, kinds.change], h.filter_badge, filters, [badge], **PRIVATE)

    # ---- conversations --------------------------------------------------------------------------

    def on_open(conversation_id, request: gr.Request):
        with friendly():
            me = ctx.principal(request)
            return view(me, conversation.resume(assistant, me, conversation_id))

    def on_new(request: gr.Request):
        with friendly():
            me = ctx.principal(request)
            return (*view(me, Chat.empty(me.name)), "")

    def on_rename(chat, title, request: gr.Request):
        with friendly():
            me = ctx.principal(request)
            chat = conversation.rename(assistant, me, chat, title)
            return chat, gr.update(choices=conversation.choices(assistant, me), value=chat.id), "已重命名。"

    def on_delete(chat, request: gr.Request):
        with friendly():
            me = ctx.principal(request)
            conversation.delete(assistant, me, chat)
            return (*view(me, conversation.latest(assistant, me)), "已删除该对话。", gr.update(visible=False))

    conv_list.input(on_open, [conv_list], outputs, **PRIVATE)
    new_chat.click(on_new, None, [*outputs, exported], **PRIVATE)
    rename.click(on_rename, [chat_state, title_box], [chat_state, conv_list, note], **PRIVATE)
    delete.click(lambda: gr.update(visible=True), None, [confirm], **PRIVATE)
    confirm.click(on_delete, [chat_state], [*outputs, note, confirm], **PRIVATE)

    # ---- feedback -------------------------------------------------------------------------------

    def on_rate(liked: bool):
        def rate(chat, request: gr.Request):
            """👍/👎 on the newest answer (the one the sources panel shows and 导出 exports)."""
            with friendly():
                rated_turn = conversation.rate(assistant, ctx.principal(request), chat, liked)
                return (
                    rated_turn.turn_id,
                    gr.update(visible=True),
                    conversation.FEEDBACK_THANKS["up" if liked else "down"],
                )

        return rate

    def on_comment(chat, turn_id, text, request: gr.Request):
        with friendly():
            said = conversation.comment(assistant, ctx.principal(request), chat, turn_id, text)
            return "", gr.update(visible=False), said

    rate_up.click(on_rate(True), [chat_state], [rated, feedback_row, note], **PRIVATE)
    rate_down.click(on_rate(False), [chat_state], [rated, feedback_row, note], **PRIVATE)
    feedback_send.click(on_comment, [chat_state, rated, feedback_text], [feedback_text, feedback_row, note], **PRIVATE)

    # ---- sources --------------------------------------------------------------------------------

    def on_pick(last, choice, request: gr.Request):
        with friendly():
            shown = sources.show_citation(assistant, ctx.principal(request), last, choice)
            link = h.page_image(shown, ctx.files, session_of(request))
        return h.image_markdown(link, "原文页面"), shown.caption

    def on_option(last, data: gr.SelectData, request: gr.Request):
        choice = str(data.value)
        image, said = on_pick(last, choice, request)
        return gr.update(value=choice), image, said

    def on_export(last, request: gr.Request):
        with friendly():
            return h.links_markdown(h.export(ctx.principal(request), last, ctx.files, session_of(request)))

    chatbot.option_select(on_option, [turn], [pick, page, caption], **PRIVATE)
    pick.input(on_pick, [turn, pick], [page, caption], **PRIVATE)
    export.click(on_export, [turn], [exported], **PRIVATE)
    return Page(outputs, load)


def _picker(choices: list[tuple[str, str]]) -> dict[str, Any]:
    """The citation picker for an answer's citations, hidden when there are none."""
    return gr.update(choices=choices, value=None, visible=bool(choices))
