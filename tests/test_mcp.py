"""The MCP tools over the real server: Gradio's MCP server with `mcp_enabled`, a real MCP client
(the `mcp` package) over the streamable HTTP transport Gradio serves, the fixture corpus indexed.

Every call carries a user's access token; the tools see what that user sees in the chat, no more.
"""

from __future__ import annotations

import asyncio
import doctest
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult

from assistant.audit import connect_read_only, entries
from assistant.models import Role
from assistant.retrieve import catalogue as catalogue_search
from tests.app_server import App, running_app
from tests.ui_fixtures import OPEN_CODE, OPEN_TITLE, PDF_NAME, REPORT_NAME, RESTRICTED_CODE, RESTRICTED_TITLE

USERS = [("admin1", "admin-pass-1", Role.ADMIN), ("reader1", "reader-pass-1", Role.READER)]
MCP = "gradio_api/mcp/"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    with running_app(tmp_path_factory.mktemp("mcp"), USERS, mcp_enabled=True) as app:
        yield app


@pytest.fixture(scope="module")
def tokens(app: App) -> dict[str, str]:
    return {name: app.web.users.create_token(name) for name, _, _ in USERS}


async def _session(app: App, headers: dict[str, str], work: Any) -> Any:
    async with (
        httpx.AsyncClient(headers=headers, timeout=120, trust_env=False) as http,
        streamable_http_client(app.url + MCP, http_client=http) as (read, write, _),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        return await work(session)


def list_tools(app: App, headers: dict[str, str] | None = None) -> list[Any]:
    async def work(session: ClientSession) -> list[Any]:
        return (await session.list_tools()).tools

    return asyncio.run(_session(app, headers or {}, work))


def call(app: App, headers: dict[str, str], tool: str, arguments: dict[str, Any]) -> CallToolResult:
    async def work(session: ClientSession) -> CallToolResult:
        return await session.call_tool(tool, arguments)

    return asyncio.run(_session(app, headers, work))


def text_of(result: CallToolResult) -> str:
    return "".join(part.text for part in result.content if part.type == "text")


def answer(app: App, token: str, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = call(app, {"x-archive-token": token}, tool, arguments)
    assert not result.isError, text_of(result)
    return json.loads(text_of(result))


def test_only_our_tools_are_listed_with_their_descriptions(app: App) -> None:
    tools = {tool.name: tool for tool in list_tools(app)}

    assert set(tools) == {"lookup_archival_code", "count_catalogue", "list_catalogue", "search_archives"}
    assert "档号" in tools["lookup_archival_code"].description
    assert tools["lookup_archival_code"].inputSchema["required"] == ["code"]
    assert set(tools["list_catalogue"].inputSchema["properties"]) == {
        "fonds",
        "year_from",
        "year_to",
        "title_words",
        "page",
    }
    # The token travels in a header: it is no parameter a model would be asked to fill in.
    assert all("token" not in json.dumps(tool.inputSchema) for tool in tools.values())
    assert all("authorization" not in json.dumps(tool.inputSchema) for tool in tools.values())


def test_archival_code_lookup_admin_sees_the_restricted_record_reader_does_not(
    app: App, tokens: dict[str, str]
) -> None:
    admin = answer(app, tokens["admin1"], "lookup_archival_code", {"code": RESTRICTED_CODE})
    assert admin["status"] == "answered"
    assert [r["title"] for r in admin["records"]] == [RESTRICTED_TITLE]
    assert admin["records"][0]["open_status"] == "控制使用"
    assert admin["citations"][0]["archival_code"] == RESTRICTED_CODE
    assert admin["citations"][0]["fonds"] == "38"

    result = call(app, {"x-archive-token": tokens["reader1"]}, "lookup_archival_code", {"code": RESTRICTED_CODE})
    reader = json.loads(text_of(result))
    assert reader["status"] == "no_evidence"
    assert reader["records"] == [] and reader["citations"] == []
    assert RESTRICTED_TITLE not in text_of(result)
    assert "劳动模范" not in text_of(result)

    both = answer(app, tokens["reader1"], "lookup_archival_code", {"code": f"{OPEN_CODE}、{RESTRICTED_CODE}"})
    assert [r["title"] for r in both["records"]] == [OPEN_TITLE]


def test_a_bearer_token_works_like_the_header(app: App, tokens: dict[str, str]) -> None:
    result = call(app, {"Authorization": f"Bearer {tokens['reader1']}"}, "lookup_archival_code", {"code": OPEN_CODE})
    assert not result.isError, text_of(result)
    assert [r["archival_code"] for r in json.loads(text_of(result))["records"]] == [OPEN_CODE]


def test_catalogue_count_and_list_within_the_clearance(app: App, tokens: dict[str, str]) -> None:
    assert answer(app, tokens["admin1"], "count_catalogue", {"fonds": "38"})["total"] == 2
    reader_count = call(app, {"x-archive-token": tokens["reader1"]}, "count_catalogue", {"fonds": "38"})
    assert json.loads(text_of(reader_count))["total"] == 1
    assert RESTRICTED_TITLE not in text_of(reader_count)

    assert answer(app, tokens["admin1"], "count_catalogue", {"year_from": 1978})["total"] == 1
    assert answer(app, tokens["reader1"], "count_catalogue", {"year_from": 1978})["total"] == 0
    assert answer(app, tokens["admin1"], "count_catalogue", {"title_words": "劳动模范"})["total"] == 1
    assert answer(app, tokens["reader1"], "count_catalogue", {"title_words": "劳动模范"})["total"] == 0

    admin_list = answer(app, tokens["admin1"], "list_catalogue", {"fonds": "38"})
    assert [r["archival_code"] for r in admin_list["records"]] == [OPEN_CODE, RESTRICTED_CODE]
    result = call(app, {"x-archive-token": tokens["reader1"]}, "list_catalogue", {"fonds": "38", "year_to": 1980})
    reader_list = json.loads(text_of(result))
    assert [r["title"] for r in reader_list["records"]] == []  # one bound alone is that one year: 1980
    result = call(app, {"x-archive-token": tokens["reader1"]}, "list_catalogue", {"fonds": "38"})
    reader_list = json.loads(text_of(result))
    assert [r["title"] for r in reader_list["records"]] == [OPEN_TITLE]
    assert reader_list["total"] == 1
    assert RESTRICTED_TITLE not in text_of(result) and RESTRICTED_CODE not in text_of(result)


def test_cited_search_returns_the_citation_fields(app: App, tokens: dict[str, str]) -> None:
    report = answer(app, tokens["reader1"], "search_archives", {"question": "2023年接待查档多少人次？"})
    assert report["status"] == "answered"
    assert "1234" in report["answer"]
    cited = report["citations"][0]
    assert set(cited) >= {"id", "source", "page", "fonds", "archival_code", "text"}
    assert cited["source"] == REPORT_NAME
    assert f"[{cited['id']}]" in report["answer"]

    pdf = answer(app, tokens["reader1"], "search_archives", {"question": "2022年数字化扫描了多少页？"})
    assert pdf["status"] == "answered"
    assert "8600" in pdf["answer"]
    assert (pdf["citations"][0]["source"], pdf["citations"][0]["page"]) == (PDF_NAME, 1)

    catalogue = answer(app, tokens["admin1"], "search_archives", {"question": "劳动模范评选的档案有哪些？"})
    assert any(c["fonds"] == "38" and c["archival_code"] == RESTRICTED_CODE for c in catalogue["citations"])
    result = call(app, {"x-archive-token": tokens["reader1"]}, "search_archives", {"question": "劳动模范评选的档案"})
    assert not result.isError
    assert RESTRICTED_TITLE not in text_of(result) and RESTRICTED_CODE not in text_of(result)


def test_each_call_is_audited_under_the_tokens_user(app: App, tokens: dict[str, str]) -> None:
    answer(app, tokens["reader1"], "lookup_archival_code", {"code": OPEN_CODE})
    answer(app, tokens["reader1"], "count_catalogue", {"fonds": "38", "year_from": 1975})

    conn = connect_read_only(app.index_dir / "assistant.sqlite3")
    rows = entries(conn, mode="mcp", user="reader1")
    conn.close()
    asked = [row[5] for row in rows]
    assert asked[-2:] == [OPEN_CODE, "统计全宗38 1975年的档案"]
    assert rows[-2][4] == "mcp" and rows[-2][3] == "reader"
    assert OPEN_CODE in rows[-2][7]  # what was shown


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "缺少访问令牌"),
        ({"x-archive-token": "aat_not-a-real-token"}, "访问令牌无效"),
        ({"x-archive-token": "admin-pass-1"}, "访问令牌无效"),  # a password is no token
        ({"Authorization": "Basic YWRtaW4xOmFkbWluLXBhc3MtMQ=="}, "缺少访问令牌"),
    ],
)
def test_calls_without_a_valid_token_are_refused(app: App, headers: dict[str, str], message: str) -> None:
    for tool, arguments in [
        ("lookup_archival_code", {"code": OPEN_CODE}),
        ("count_catalogue", {"fonds": "38"}),
        ("list_catalogue", {}),
        ("search_archives", {"question": "2023年接待查档多少人次？"}),
    ]:
        result = call(app, headers, tool, arguments)
        assert result.isError
        assert text_of(result).startswith(message), text_of(result)
        assert OPEN_TITLE not in text_of(result) and "1234" not in text_of(result)


def test_a_revoked_token_or_a_locked_account_is_refused(app: App) -> None:
    store = app.web.users
    store.add_user("reader2", "reader-pass-2", Role.READER)
    old = store.create_token("reader2")
    assert not call(app, {"x-archive-token": old}, "lookup_archival_code", {"code": OPEN_CODE}).isError

    new = store.create_token("reader2")  # a new token replaces the old one
    refused = call(app, {"x-archive-token": old}, "lookup_archival_code", {"code": OPEN_CODE})
    assert refused.isError and text_of(refused).startswith("访问令牌无效")

    store.set_locked("reader2", True)
    refused = call(app, {"x-archive-token": new}, "lookup_archival_code", {"code": OPEN_CODE})
    assert refused.isError and text_of(refused).startswith("访问令牌无效")
    store.set_locked("reader2", False)
    assert not call(app, {"x-archive-token": new}, "lookup_archival_code", {"code": OPEN_CODE}).isError

    assert store.revoke_token("reader2")
    refused = call(app, {"x-archive-token": new}, "lookup_archival_code", {"code": OPEN_CODE})
    assert refused.isError and text_of(refused).startswith("访问令牌无效")
    assert OPEN_TITLE not in text_of(refused)


def test_a_role_change_reaches_the_token_at_once(app: App) -> None:
    store = app.web.users
    store.add_user("staff3", "staff-pass-3", Role.ADMIN)
    token = store.create_token("staff3")
    assert answer(app, token, "count_catalogue", {"fonds": "38"})["total"] == 2
    store.set_role("staff3", Role.READER)
    assert answer(app, token, "count_catalogue", {"fonds": "38"})["total"] == 1


def test_a_bad_argument_is_one_sentence(app: App, tokens: dict[str, str]) -> None:
    result = call(app, {"x-archive-token": tokens["reader1"]}, "lookup_archival_code", {"code": "劳动局"})
    assert result.isError
    assert text_of(result).startswith("没有认出档号")
    result = call(app, {"x-archive-token": tokens["reader1"]}, "list_catalogue", {"page": 0})
    assert result.isError and text_of(result) == "页码从 1 开始。"


def test_without_mcp_enabled_there_is_no_mcp_endpoint(tmp_path_factory: pytest.TempPathFactory) -> None:
    with running_app(tmp_path_factory.mktemp("no-mcp"), USERS) as app:
        with httpx.Client(base_url=app.url, timeout=30, trust_env=False) as http:
            initialize = {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t"}},
            }
            accept = {"Accept": "application/json, text/event-stream"}
            assert http.post(MCP, json=initialize, headers=accept).status_code == 404
            assert http.get(MCP + "sse", headers={"Accept": "text/event-stream"}).status_code == 404
            assert http.get(MCP + "schema").status_code == 404
        assert app.demo.mcp_server is False
        assert not app.demo.get_api_info()["named_endpoints"]  # no tool registered either


def test_the_query_of_a_tools_fields_doctest() -> None:
    assert doctest.testmod(catalogue_search).failed == 0
