"""Conversations in the web UI: the chat of the conversation open in a tab, the side panel of the
user's conversations, resuming one after a reload, renaming and deleting, 👍/👎 with a comment,
and example questions for an empty conversation.

The conversation open in a tab is a `Chat`, kept server-side in `gr.State`; it is stored in
SQLite (`index.conversations`) turn by turn, under the logged-in user's name, so a reload (or
another machine) resumes it. Every function checks that the chat is this user's: a chat state
of another user (a replayed session hash) is treated as no chat at all. A stored answer is shown
again only as `conversations.shown_again` allows for the user's clearance now, and a refusal
with its hint when every place the hint names is still within that clearance (`hint_shown_again`);
only shown turns feed the follow-up history given to `Assistant.ask`.

    chat = resume(assistant, me, conversation_id)   # or Chat.empty(me.name)
    messages(chat)                                  # what the chatbot shows
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from assistant.access import clearance
from assistant.errors import AssistantError, StorageError
from assistant.index import conversations, library
from assistant.models import Answer, Principal
from assistant.prompts import Mode
from assistant.service import Assistant
from assistant.ui.markup import markdown_text
from assistant.ui.sources import Turn, chat_text, citation_options

HISTORY_TURNS = 3  # earlier turns given to `ask` for a follow-up
EXAMPLES = 4
# Typical questions of an archive's annual reports, asked of a year whose reports hold the term.
REPORT_QUESTIONS = (
    ("查档", "{year}年接待查档多少人次？"),
    ("数字化", "{year}年完成数字化扫描多少页？"),
    ("项目支出", "{year}年项目支出是多少万元？"),
)
GUIDE_QUESTIONS = (("全宗", "什么是全宗？"), ("档号", "档号是怎样编制的？"))
# The places a refusal's hint names (`answer.citations.place_of`): 《document》 or 档号 X.
_HINT_NAME = re.compile(r"《([^》]+)》")
_HINT_CODE = re.compile(r"档号 ([^\s，。、；）)]+)")
FEEDBACK_THANKS = {"up": "已记录：这条回答有用。", "down": "已记录：这条回答没用。"}


class ConversationError(AssistantError):
    """A conversation action that cannot be done, as one sentence for the user."""


Message = dict[str, Any]  # one chatbot message: role, content, and options on the newest answer


@dataclass(frozen=True)
class ShownTurn:
    turn_id: int | None  # None when the turn could not be stored
    mode: Mode
    question: str
    answer: Answer  # as it may be shown now
    shown: bool  # False when withheld (no longer within the user's clearance)


@dataclass(frozen=True)
class Chat:
    user: str
    id: str | None  # None until the first answer is stored
    title: str
    turns: tuple[ShownTurn, ...] = ()

    @classmethod
    def empty(cls, user: str) -> Chat:
        return cls(user, None, "新对话")

    def mine(self, principal: Principal) -> bool:
        return self.user == principal.name


def own(chat: Chat | None, principal: Principal) -> Chat:
    """The chat if it is this user's, else a new empty one."""
    return chat if isinstance(chat, Chat) and chat.mine(principal) else Chat.empty(principal.name)


# ---- showing ----------------------------------------------------------------------------------


def messages(chat: Chat) -> list[Message]:
    """The chatbot's messages: question and answer per turn; the newest answer carries its
    citation chips (Gradio shows the options of the last message only)."""
    out: list[Message] = []
    for number, turn in enumerate(chat.turns):
        out.append({"role": "user", "content": markdown_text(turn.question)})
        reply: Message = {"role": "assistant", "content": chat_text(turn.answer, turn.mode)}
        if number == len(chat.turns) - 1 and turn.shown and turn.answer.citations:
            reply["options"] = citation_options(turn.answer)
        out.append(reply)
    return out


def history(chat: Chat, turns: int = HISTORY_TURNS) -> list[tuple[str, str]]:
    """The last shown (question, answer) pairs, for the assistant to resolve a follow-up."""
    return [(t.question, t.answer.answer) for t in chat.turns if t.shown][-turns:]


def last_turn(chat: Chat) -> Turn | None:
    """The newest shown answer as the sources panel's `Turn`."""
    shown = [t for t in chat.turns if t.shown]
    return Turn(chat.user, shown[-1].mode, shown[-1].answer) if shown else None


def choices(assistant: Assistant, principal: Principal) -> list[tuple[str, str]]:
    """The side panel: (title · when, id) of the user's conversations, newest first."""
    return [
        (f"{c.title} · {_when(c.updated_at)}", c.id)
        for c in conversations.of_user(assistant.index.conn, principal.name)
    ]


def _when(stamp: str) -> str:
    """A stored UTC time as the local month, day and time."""
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    return moment.astimezone().strftime("%m-%d %H:%M")


# ---- opening, storing, renaming, deleting -----------------------------------------------------


def resume(assistant: Assistant, principal: Principal, conversation_id: str | None) -> Chat:
    """The user's conversation as it may be shown to them now, or an empty chat when it is not theirs."""
    conn = assistant.index.conn
    found = conversations.get(conn, conversation_id, principal.name)
    if found is None:
        return Chat.empty(principal.name)
    stored = conversations.turns(conn, found.id, principal.name)
    levels = library.chunk_levels(conn, [c.chunk_id for t in stored for c in t.answer.citations])
    level = clearance(principal)
    turns = []
    for turn in stored:
        answer = conversations.shown_again(turn, level, levels)
        if answer is not None and turn.answer.hint and hint_shown_again(assistant, turn.answer.hint, level):
            answer = replace(answer, hint=turn.answer.hint)  # as it was first shown
        withheld = Answer(turn.question, conversations.WITHHELD, "no_evidence")
        turns.append(ShownTurn(turn.id, turn.mode, turn.question, answer or withheld, answer is not None))  # type: ignore[arg-type]
    return Chat(principal.name, found.id, found.title, tuple(turns))


def hint_shown_again(assistant: Assistant, hint: str, level: int) -> bool:
    """Whether a refusal's hint may be shown again to a user of clearance `level`: every place it
    names (a document as 《name》, a record as 档号 X) is still in the index and wholly within the
    clearance. The hint was made from what the user could see then; this catches a document
    deleted or restricted since. A hint naming no place (a way to ask) is always shown."""
    conn = assistant.index.conn
    return all(library.document_visible(conn, name, level) for name in _HINT_NAME.findall(hint)) and all(
        library.record_visible(conn, code, level) for code in _HINT_CODE.findall(hint)
    )


def latest(assistant: Assistant, principal: Principal) -> Chat:
    """The user's most recent conversation (what a reload opens), or an empty chat."""
    recent = conversations.of_user(assistant.index.conn, principal.name, limit=1)
    return resume(assistant, principal, recent[0].id) if recent else Chat.empty(principal.name)


def store(assistant: Assistant, principal: Principal, chat: Chat, mode: Mode, answer: Answer) -> Chat:
    """The chat with this answer added, stored (a new conversation on its first answer). When the
    disk refuses, the answer is still shown, with a warning that the conversation was not saved."""
    conn = assistant.index.conn
    try:
        conversation_id, title = chat.id, chat.title
        if conversation_id is None or conversations.get(conn, conversation_id, principal.name) is None:
            started = conversations.start(conn, principal.name, answer.question)
            conversation_id, title = started.id, started.title
        turn_id: int | None = conversations.add_turn(
            conn, conversation_id, principal.name, mode, answer, clearance(principal)
        )
    except StorageError as exc:
        answer.warnings.append(f"本轮对话未能保存：{exc}")
        turn_id, conversation_id, title = None, chat.id, chat.title
    turn = ShownTurn(turn_id, mode, answer.question, answer, True)
    return replace(chat, id=conversation_id, title=title, turns=(*chat.turns, turn))


def rename(assistant: Assistant, principal: Principal, chat: Chat | None, title: str) -> Chat:
    chat = own(chat, principal)
    if chat.id is None:
        raise ConversationError("还没有保存的对话可以重命名，请先提问。")
    title = " ".join((title or "").split())
    if not title:
        raise ConversationError("请输入新的对话名称。")
    if not conversations.rename(assistant.index.conn, chat.id, principal.name, title):
        raise ConversationError("该对话已不存在，请刷新页面。")
    return replace(chat, title=title[: conversations.TITLE_CHARS])


def delete(assistant: Assistant, principal: Principal, chat: Chat | None) -> None:
    chat = own(chat, principal)
    if chat.id is None:
        raise ConversationError("还没有保存的对话可以删除。")
    if not conversations.delete(assistant.index.conn, chat.id, principal.name):
        raise ConversationError("该对话已不存在，请刷新页面。")


# ---- feedback ---------------------------------------------------------------------------------


def rate(assistant: Assistant, principal: Principal, chat: Chat | None, liked: bool) -> ShownTurn:
    """Record 👍 (`liked`) or 👎 on the newest stored answer (the one the sources panel shows and
    导出 exports; a new rating replaces the last); returns that turn."""
    chat = own(chat, principal)
    turn = _newest(chat)
    if not conversations.give_feedback(
        assistant.index.conn, turn.turn_id or -1, principal.name, "up" if liked else "down"
    ):
        raise ConversationError("该回答已不在对话中，无法评价。")
    return turn


def comment(assistant: Assistant, principal: Principal, chat: Chat | None, turn_id: int | None, text: str) -> str:
    chat = own(chat, principal)
    text = (text or "").strip()
    if not text:
        raise ConversationError("请先填写意见。")
    if turn_id is None or all(t.turn_id != turn_id for t in chat.turns):
        raise ConversationError("请先点 👍 或 👎 评价一条回答，再填写意见。")
    if not conversations.comment_on(assistant.index.conn, turn_id, principal.name, text[:2000]):
        raise ConversationError("请先点 👍 或 👎 评价这条回答，再填写意见。")
    return "已记录您的意见，谢谢。"


def _newest(chat: Chat) -> ShownTurn:
    stored = [t for t in chat.turns if t.shown and t.turn_id is not None]
    if not stored:
        raise ConversationError("还没有可以评价的回答，请先提问。")
    return stored[-1]


# ---- example questions ------------------------------------------------------------------------


def examples(assistant: Assistant, principal: Principal) -> list[dict[str, str]]:
    """Questions for an empty conversation, from what this user may see: report indicators of the
    latest years, the fonds with the most catalogue rows, the guides' basic terms."""
    conn, level = assistant.index.conn, clearance(principal)
    found: list[str] = []
    for year in library.report_years(conn, level, limit=2):
        found += [q.format(year=year) for term, q in REPORT_QUESTIONS if library.has_term(conn, term, year, level)][:2]
    for fonds, fonds_year, _ in library.fonds_years(conn, level):  # a year may be unknown here
        found.append(f"全宗{fonds} {fonds_year}年有多少卷？" if fonds_year else f"全宗{fonds}有哪些档案？")
    found += [q for term, q in GUIDE_QUESTIONS if library.has_term(conn, term, None, level)][:1]
    return [{"text": text} for text in list(dict.fromkeys(found))[:EXAMPLES]]
