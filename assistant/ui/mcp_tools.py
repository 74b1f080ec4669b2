"""The MCP tools: the exact questions other programs (an agent, Claude Desktop) may ask, each
with a user's access token, through Gradio's MCP server at `/gradio_api/mcp/`.

Off unless `settings.mcp_enabled`; then `register` adds four tools to the app and nothing else
(every UI event is `api_visibility="private"`, so Gradio lists none of them):

- `lookup_archival_code(code)`: the catalogue rows of the 档号s given;
- `count_catalogue(fonds, year_from, year_to, title_words)`: how many catalogue entries;
- `list_catalogue(fonds, year_from, year_to, title_words, page)`: those entries, 20 a page;
- `search_archives(question)`: the chat's answer to a question, with its citations.

Programs cannot fill in the login form, and Gradio's login does not cover the MCP routes, so each
tool authenticates its own call: the token made by `archive-assistant users token NAME` comes in
the header `x-archive-token` (or `Authorization: Bearer …`), and maps to that user's principal
(`users.UserStore.user_of_token`). No token, an unknown or revoked one, or a locked account gets
one Chinese sentence and nothing else. The tools call the same Assistant methods as the chat with
that principal, so a reader's token sees what the reader sees in the chat, and every call is in
the audit log (mode `mcp`) with what it showed.

Each tool answers one JSON document (text): `answer` (the chat's wording), `status`, the records
or `total`, and `citations` (全宗 `fonds`, 档号 `archival_code`, `source` file, `page`, quoted `text`).

Deliberately not handled: throttling token guesses (a token is 32 random bytes), streaming (an
answer comes whole), conversations (each call stands alone). The tools run outside Gradio's queue
(`queue=False`): queued MCP calls go through Gradio's own HTTP client back to this app, which the
login would refuse.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import gradio as gr

from assistant.errors import AssistantError
from assistant.index.catalogue import Entry, Listing
from assistant.models import Answer, Principal
from assistant.retrieve.catalogue import query_of
from assistant.service import Assistant
from assistant.users import UserStore

log = logging.getLogger(__name__)

AUDIT_MODE = "mcp"  # the audit log's mode for calls from programs
TOKEN_HEADER = "x-archive-token"
NO_TOKEN = (
    "缺少访问令牌：请在请求头 x-archive-token（或 Authorization: Bearer）中提供"
    "管理员用 `archive-assistant users token 用户名` 生成的令牌。"
)
BAD_TOKEN = "访问令牌无效、已撤销，或其账号已停用：请联系管理员重新生成令牌。"
UNEXPECTED = "处理请求时出错，请稍后再试；如果反复出现，请联系管理员查看日志。"
TOOL_NAMES = ("lookup_archival_code", "count_catalogue", "list_catalogue", "search_archives")


class ToolRefused(AssistantError):
    """A tool call that is not answered, as the one sentence the calling program gets."""


def principal_of(users: UserStore, token_header: str | None, authorization: str | None) -> Principal:
    """The principal whose token the call carries (the header first, then a Bearer token)."""
    token = (token_header or "").strip()
    if not token and authorization and authorization.strip().lower().startswith("bearer "):
        token = authorization.strip()[len("bearer ") :].strip()
    if not token:
        raise ToolRefused(NO_TOKEN)
    user = users.user_of_token(token)
    if user is None:
        log.warning("MCP call refused: unknown, revoked or locked token")  # never the token itself
        raise ToolRefused(BAD_TOKEN)
    return Principal(user.name, user.role)


@contextmanager
def answered() -> Iterator[None]:
    """Expected failures become their own sentence; anything else a generic one (logged)."""
    try:
        yield
    except AssistantError as exc:
        raise ToolRefused(str(exc)) from None
    except Exception:
        log.exception("MCP tool failed")
        raise ToolRefused(UNEXPECTED) from None


def register(assistant: Assistant, users: UserStore) -> None:
    """Add the tools to the Blocks being built (call inside `with gr.Blocks()`)."""
    for tool in tools(assistant, users):
        gr.api(tool, api_name=tool.__name__, queue=False)


def tools(assistant: Assistant, users: UserStore) -> list[Callable[..., str]]:
    """The tool functions; their names, docstrings and parameters are what MCP clients see
    (Gradio reads the `Args:` section for the parameters; `gr.Header` ones are not shown)."""

    def lookup_archival_code(code: str, x_archive_token: gr.Header = None, authorization: gr.Header = None) -> str:
        """按档号查档案目录条目（精确查找，不做全文检索）。
        只返回令牌所属用户有权查阅的条目；查不到与无权查阅的回答相同。
        返回 JSON：answer、status、records（全宗 fonds、档号 archival_code、题名 title、年度 year、
        保管期限 retention、页数 pages、开放状态 open_status）、citations。

        Args:
            code: 档号，可一次写几个，例如 "38-1-0045" 或 "38-1-0045、38-1-0046"
        """
        with answered():
            me = principal_of(users, x_archive_token, authorization)
            answer, entries = assistant.look_up(code, me, audit_mode=AUDIT_MODE)
            return _json({**_answer_json(answer), "records": [_entry_json(e) for e in entries]})

    def count_catalogue(
        fonds: str = "",
        year_from: int | None = None,
        year_to: int | None = None,
        title_words: str = "",
        x_archive_token: gr.Header = None,
        authorization: gr.Header = None,
    ) -> str:
        """统计档案目录中符合条件的条目数（只计令牌所属用户有权查阅的条目）。
        条件都可不填；只填一个年度即只统计那一年。
        返回 JSON：total、answer、status、citations（前几条示例）。

        Args:
            fonds: 全宗号或全宗名称，例如 "38"
            year_from: 起始年度（含），例如 1975
            year_to: 截止年度（含），例如 1980
            title_words: 题名中应含的词，例如 "知青招工"
        """
        with answered():
            me = principal_of(users, x_archive_token, authorization)
            query = query_of("count", fonds=fonds, year_from=year_from, year_to=year_to, title_words=title_words)
            answer, listing = assistant.catalogue(query, me, audit_mode=AUDIT_MODE)
            return _json({"total": listing.total, **_answer_json(answer)})

    def list_catalogue(
        fonds: str = "",
        year_from: int | None = None,
        year_to: int | None = None,
        title_words: str = "",
        page: int = 1,
        x_archive_token: gr.Header = None,
        authorization: gr.Header = None,
    ) -> str:
        """列出档案目录中符合条件的条目，每页 20 条（只列令牌所属用户有权查阅的条目）。
        条件同 count_catalogue。
        返回 JSON：total、page、records（全宗 fonds、档号 archival_code、题名 title、年度 year、
        保管期限 retention、页数 pages、开放状态 open_status）、answer、status、citations。

        Args:
            fonds: 全宗号或全宗名称，例如 "38"
            year_from: 起始年度（含），例如 1975
            year_to: 截止年度（含），例如 1980
            title_words: 题名中应含的词，例如 "知青招工"
            page: 第几页，从 1 开始
        """
        with answered():
            me = principal_of(users, x_archive_token, authorization)
            query = query_of("list", fonds=fonds, year_from=year_from, year_to=year_to, title_words=title_words)
            answer, listing = assistant.catalogue(query, me, page=page, audit_mode=AUDIT_MODE)
            return _json({**_listing_json(listing, page), **_answer_json(answer)})

    def search_archives(question: str, x_archive_token: gr.Header = None, authorization: gr.Header = None) -> str:
        """用一句中文问题检索馆藏并作答，答案中的每个 [n] 对应一条引用。
        与网页对话的问答模式相同，只用令牌所属用户有权查阅的资料；找不到依据时 status 不是 answered。
        返回 JSON：answer、status、hint、citations（编号 id、全宗 fonds、档号 archival_code、
        文件 source、页码 page、原文 text）。

        Args:
            question: 问题，例如 "2023年接待查档多少人次？"
        """
        with answered():
            me = principal_of(users, x_archive_token, authorization)
            return _json(_answer_json(assistant.ask(question, me, audit_mode=AUDIT_MODE)))

    return [lookup_archival_code, count_catalogue, list_catalogue, search_archives]


def _answer_json(answer: Answer) -> dict[str, object]:
    return {
        "answer": answer.answer,
        "status": answer.status,
        "hint": answer.hint,
        "warnings": answer.warnings,
        "citations": [c.to_json() for c in answer.citations],
    }


def _entry_json(entry: Entry) -> dict[str, object]:
    # Everything but the chunk id, which means nothing outside the index.
    return {
        "fonds": entry.fonds,
        "archival_code": entry.archival_code,
        "title": entry.title,
        "year": entry.year,
        "retention": entry.retention,
        "pages": entry.pages,
        "open_status": entry.open_status,
    }


def _listing_json(listing: Listing, page: int) -> dict[str, object]:
    return {"total": listing.total, "page": page, "records": [_entry_json(e) for e in listing.entries]}


def _json(value: dict[str, object]) -> str:
    return json.dumps(value, ensure_ascii=False)
