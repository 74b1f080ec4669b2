"""The running app over loopback: simulated people asking at once, and every route closed without a login.

The app runs in this process on a free port over the ui_fixtures corpus (tests/app_server.py). The
simulated people are bench/bench_load.py's emulated browsers: they log in through POST /login and
ask through /gradio_api/queue/join and the /gradio_api/queue/data event stream with the ask
event's id from /config, exactly as the page does; no Python handler is called directly.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest

from assistant.models import NO_EVIDENCE_ANSWER, Role
from bench.bench_load import Question, SimUser, run_users
from bench.gradio_browser import UPLOAD_FORM, Browser, Reply, async_client, last_answer
from tests.app_server import App, client, logged_in, running_app
from tests.ui_fixtures import (
    OPEN_CODE,
    OPEN_TITLE,
    PDF_NAME,
    RESTRICTED_CODE,
    RESTRICTED_TITLE,
)

USERS = [
    SimUser("馆员甲", "staff-pass-1", "staff"),
    SimUser("馆员乙", "staff-pass-2", "staff"),
    SimUser("读者甲", "reader-pass-1", "reader"),
    SimUser("读者乙", "reader-pass-2", "reader"),
    SimUser("读者丙", "reader-pass-3", "reader"),
]
STAFF, READER = USERS[0], USERS[2]
SECONDS = 10
UNANSWERABLE = Question("档案馆有多少个停车位？", "unanswerable", no_evidence=True)
QUESTIONS = {
    "staff": [
        Question("2022年数字化扫描多少页", "figure", ("8600页",)),
        Question("2023年接待查档多少人次", "figure", ("1234人次",)),
        Question(RESTRICTED_CODE, "catalogue", (RESTRICTED_TITLE,)),  # staff are cleared for 控制使用
        Question(f"{OPEN_CODE}是什么档案", "catalogue", (OPEN_TITLE,)),
        UNANSWERABLE,
    ],
    "reader": [
        Question(OPEN_CODE, "catalogue", (OPEN_TITLE,)),
        Question(f"{RESTRICTED_CODE}是什么档案", "restricted", no_evidence=True),
        Question(RESTRICTED_CODE, "restricted", no_evidence=True),
        Question("劳动模范评选的请示", "restricted", no_evidence=True),
        Question("2022年数字化扫描多少页", "figure", ("8600页",)),
        UNANSWERABLE,
    ],
}
NOT_AUTHENTICATED = "Not authenticated"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    roles = {"staff": Role.STAFF, "reader": Role.READER}
    with running_app(tmp_path_factory.mktemp("load"), [(u.name, u.password, roles[u.role]) for u in USERS]) as app:
        yield app


async def _as(app: App, user: SimUser, *steps: tuple[str, object]) -> list[Reply]:
    """Log in as `user`, open the page and run ("ask", question) / ("export", None) steps in one tab."""
    async with async_client(app.url) as http:
        browser = Browser(http)
        await browser.login(user.name, user.password)
        assert (await browser.open_page()).ok
        assert browser.events is not None
        replies = []
        try:
            for step, value in steps:
                if step == "ask":
                    replies.append(await browser.ask(str(value)))
                else:
                    event = getattr(browser.events, step)
                    form = UPLOAD_FORM if step == "upload" else []  # the access level chosen next to the files
                    replies.append(await browser.call(event, [value, *form]))
        finally:
            await browser.close_page()
        return replies


def as_user(app: App, user: SimUser, *steps: tuple[str, object]) -> list[Reply]:
    return asyncio.run(_as(app, user, *steps))


def export_links(reply: Reply) -> list[str]:
    """The download links of an export event's output (Markdown links to archive-files/…)."""
    return re.findall(r"\]\((archive-files/[^)\s]+)\)", str((reply.outputs or [""])[0]))


@pytest.fixture(scope="module")
def staff_export(app: App) -> list[Path]:
    """Files a staff member exported from an answer about the restricted record (the session
    that made them stays open: the files live as long as it does)."""
    asked, exported = as_user(app, STAFF, ("ask", RESTRICTED_CODE), ("export", None))
    assert asked.ok and RESTRICTED_TITLE in last_answer(asked.outputs or []), asked
    links = export_links(exported)
    paths = [app.files.root / link.split("/")[1] / unquote(link.split("/", 2)[2]) for link in links]
    assert {path.suffix for path in paths} == {".md", ".docx"} and all(path.is_file() for path in paths)
    return paths


def test_simulated_users_get_right_answers_with_no_errors_and_no_leak(app: App) -> None:
    forbidden = [RESTRICTED_CODE, RESTRICTED_TITLE]
    tally = asyncio.run(run_users(app.url, USERS, QUESTIONS, forbidden, seconds=SECONDS, reload_every=4))

    assert tally.errors == []
    assert tally.leaks == []  # no reader page ever showed the restricted 档号 or title
    assert tally.unexpected == []  # every answer as expected, under load, to the right person
    assert tally.logins == len(USERS)
    assert len(tally.latencies) >= 10 * len(USERS), "too few questions answered to call this load"
    assert tally.page_loads >= 2 * len(USERS)
    assert tally.by_kind["restricted"] > 0 and tally.by_kind["figure"] > 0
    reader_asks = {text for (role, text) in tally.answers if role == "reader"}
    assert RESTRICTED_CODE in reader_asks  # readers did ask for the restricted record by its 档号
    for (role, text), answers in tally.answers.items():
        assert len(answers) == 1, f"{role} {text!r} got different answers: {list(answers)}"
        if role == "reader" and text in (RESTRICTED_CODE, f"{RESTRICTED_CODE}是什么档案"):
            assert NO_EVIDENCE_ANSWER in next(iter(answers))


def test_the_main_page_without_login_is_only_the_login_form(app: App) -> None:
    with client(app) as anonymous:
        for path in ("/", "/?all_endpoints=true"):
            response = anonymous.get(path)
            assert response.status_code == 200
            html = response.text
            found = re.search(r"window\.gradio_config = (\{.*?\});</script>", html)
            assert found, html[:500]
            config = json.loads(found.group(1))
            assert config["auth_required"] is True
            assert config["components"] == [] and config["dependencies"] == []
            api = re.search(r"window\.gradio_api_info = (\{.*?\});</script>", html)
            assert api and json.loads(api.group(1)) == {"named_endpoints": {}, "unnamed_endpoints": {}}
            for app_content in ('"question"', "upload-panel", "对话", "提问", "上传并导入", "出处"):
                assert app_content not in html


def test_without_login_every_route_is_refused(app: App, staff_export: list[Path], tmp_path: Path) -> None:
    with logged_in(app, STAFF.name, STAFF.password) as staff:
        config = staff.get("/config").json()
        cookie_name = next(iter(staff.cookies.keys()))
    ask = next(dep for dep in config["dependencies"] if dep["targets"][0][1] == "click" and len(dep["inputs"]) == 8)
    join = {
        "data": [RESTRICTED_CODE, [], "问答", "", None, None, [], ""],
        "event_data": None,
        "fn_index": ask["id"],
        "trigger_id": ask["targets"][0][0],
        "session_hash": "anonymous01",
    }
    files = [
        app.index_dir / "users.json",
        app.index_dir / "assistant.sqlite3",
        app.corpus / PDF_NAME,
        *staff_export,
    ]
    for path in files:
        assert path.is_file(), path
    upload = tmp_path / "note.md"
    upload.write_text("# 匿名上传\n", encoding="utf-8")

    requests: list[tuple[str, str, dict[str, object]]] = [
        ("GET", "/config", {}),
        ("GET", "/config?page=", {}),
        ("GET", "/gradio_api/info", {}),
        ("GET", "/gradio_api/info?all_endpoints=true", {}),
        ("GET", "/gradio_api/openapi.json", {}),
        ("POST", "/gradio_api/queue/join", {"json": join}),
        ("GET", "/gradio_api/queue/data?session_hash=anonymous01", {}),
        ("GET", "/gradio_api/queue/status", {}),
        ("POST", "/gradio_api/run/predict", {"json": {"data": [RESTRICTED_CODE]}}),
        ("POST", "/gradio_api/call/predict", {"json": {"data": [RESTRICTED_CODE]}}),
        ("POST", "/gradio_api/upload", {"files": {"files": (upload.name, upload.read_bytes())}}),
        ("GET", "/gradio_api/upload_progress?upload_id=x", {}),
        ("POST", "/gradio_api/component_server", {"json": {}}),
        ("GET", "/gradio_api/deep_link?session_hash=anonymous01", {}),
        ("GET", "/gradio_api/proxy=http://127.0.0.1/", {}),
        ("GET", "/monitoring", {}),
        *(("GET", f"/gradio_api/file={path}", {}) for path in files),
        *(("HEAD", f"/gradio_api/file={path}", {}) for path in files),
        *(("GET", f"/gradio_api/file/{path}", {}) for path in files),
    ]
    with client(app) as anonymous:
        for method, path, kwargs in requests:
            response = anonymous.request(method, path, **kwargs)  # type: ignore[arg-type]
            assert response.status_code == 401, (method, path, response.status_code, response.text[:200])
            if method != "HEAD":
                assert NOT_AUTHENTICATED in response.text, (path, response.text[:200])
                assert RESTRICTED_TITLE not in response.text and RESTRICTED_CODE not in response.text

        # Neither a wrong password nor a made-up cookie opens anything.
        wrong = anonymous.post("/login", data={"username": STAFF.name, "password": "not-the-password"})
        assert wrong.status_code == 400 and not anonymous.cookies
        forged = anonymous.get("/config", cookies={cookie_name: "made-up-token"})
        assert forged.status_code == 401


def test_the_routes_gradio_leaves_open_reveal_no_record_user_or_page(app: App) -> None:
    """Gradio serves these without a login; none may carry a record, a user name or the page layout."""
    open_routes = [
        ("GET", "/gradio_api/user", {}),
        ("GET", "/gradio_api/token", {}),
        ("GET", "/gradio_api/app_id", {}),
        ("GET", "/gradio_api/startup-events", {}),
        ("GET", "/manifest.json", {}),
        ("GET", "/theme.css", {}),
        ("POST", "/gradio_api/cancel", {"json": {"session_hash": "x", "fn_index": 0, "event_id": "x"}}),
        ("POST", "/gradio_api/reset", {"json": {"event_id": "x"}}),
        ("POST", "/gradio_api/stream/x", {"json": {"data": []}}),
        ("POST", "/gradio_api/stream/x/close", {}),
    ]
    private = [RESTRICTED_CODE, RESTRICTED_TITLE, OPEN_TITLE, *(u.name for u in USERS), '"question"', "elem_id"]
    with client(app) as anonymous:
        for method, path, kwargs in open_routes:
            response = anonymous.request(method, path, **kwargs)  # type: ignore[arg-type]
            assert response.status_code in (200, 404), (path, response.status_code)
            assert not [item for item in private if item in response.text], (path, response.text[:200])
        with anonymous.stream("GET", "/gradio_api/heartbeat/anonymous01") as beat:
            assert beat.status_code == 200 and next(beat.iter_lines()) == "data: ALIVE"


def test_after_logout_the_old_cookie_opens_nothing(app: App) -> None:
    with logged_in(app, READER.name, READER.password) as session:
        cookies = dict(session.cookies)
        assert session.get("/config").status_code == 200
        assert session.get("/logout").status_code == 302
    with client(app) as replay:
        assert replay.get("/config", cookies=cookies).status_code == 401


def test_a_logged_in_reader_gets_no_source_or_index_file(app: App, staff_export: list[Path]) -> None:
    index = app.index_dir
    refused = [
        app.corpus / PDF_NAME,  # the source PDF behind the answers
        index / "users.json",
        index / "assistant.sqlite3",
        index / ".." / "index" / "users.json",
        *(path for path in index.rglob("*") if path.is_file()),
        *staff_export,
    ]
    with logged_in(app, READER.name, READER.password) as reader:
        for path in refused:
            for route in (f"/gradio_api/file={path}", f"/gradio_api/file/{path}"):
                response = reader.get(route)
                assert response.status_code == 403, (route, response.status_code)
                assert "File not allowed" in response.text and RESTRICTED_TITLE not in response.text


def test_a_reader_cannot_run_the_upload_event(app: App) -> None:
    before = sorted((app.index_dir / "uploads").glob("*"))
    with logged_in(app, STAFF.name, STAFF.password) as staff:
        # The guard refuses a reader's upload itself (test_ui_security.py); a file that is in
        # Gradio's upload folder all the same must still be refused by the ingest event.
        stored = staff.post("/gradio_api/upload", files={"files": ("读者上传.md", "# 读者上传\n".encode())})
        assert stored.status_code == 200
    (path,) = stored.json()
    file = {"path": path, "orig_name": "读者上传.md", "meta": {"_type": "gradio.FileData"}}
    (reply,) = as_user(app, READER, ("upload", [file]))
    assert not reply.ok and "只有馆员和管理员可以上传文件" in (reply.error or "")
    assert sorted((app.index_dir / "uploads").glob("*")) == before  # nothing saved, nothing ingested
    assert Path(path).is_file()  # and the staff member's file was not deleted either


# ---- a flood of logins (finding 10) ------------------------------------------------------------

FLOOD_ADDRESSES = [f"127.0.1.{n}" for n in range(1, 7)]  # 6 addresses, 10 wrong guesses each


async def _flood(app: App, per_address: int) -> list[int]:
    """Wrong logins from many addresses at once, each address within its limit: all are hashed."""

    async def guess(http: httpx.AsyncClient, n: int) -> int:
        name = f"stranger-{n}-{secrets.token_hex(3)}"
        return (await http.post("/login", data={"username": name, "password": "wrong-password"})).status_code

    clients = [
        httpx.AsyncClient(
            base_url=app.url,
            timeout=httpx.Timeout(120.0),
            trust_env=False,
            transport=httpx.AsyncHTTPTransport(local_address=address),
        )
        for address in FLOOD_ADDRESSES
    ]
    try:
        return await asyncio.gather(*(guess(http, n) for http in clients for n in range(per_address)))
    finally:
        await asyncio.gather(*(http.aclose() for http in clients))


async def _latencies(http: httpx.AsyncClient, until: asyncio.Future[object] | None, count: int = 0) -> list[float]:
    """Seconds each of a logged-in user's requests took, until `until` is done (or `count` requests)."""
    seconds: list[float] = []
    while (until is not None and not until.done()) or len(seconds) < count:
        started = time.perf_counter()
        response = await http.get("/config")
        assert response.status_code == 200
        seconds.append(time.perf_counter() - started)
        await asyncio.sleep(0.02)
    return seconds


def test_a_flood_of_wrong_logins_does_not_stall_the_people_working(app: App) -> None:
    async def run() -> tuple[list[float], list[float], list[int], float]:
        async with async_client(app.url) as http:
            await Browser(http).login(STAFF.name, STAFF.password)
            quiet = await _latencies(http, None, count=10)
            started = time.perf_counter()
            flood = asyncio.ensure_future(_flood(app, per_address=10))
            busy = await _latencies(http, flood)
            return quiet, busy, await flood, time.perf_counter() - started

    quiet, busy, statuses, seconds = asyncio.run(run())
    assert statuses == [400] * len(statuses) and len(statuses) == 60  # every guess hashed and refused
    assert len(busy) >= 10, "the flood ended too soon to measure anything"
    # The hashing takes about 60 × 50 ms of one core; answering /config must not wait for it.
    assert statistics.median(busy) < max(0.15, 5 * statistics.median(quiet)), (quiet, busy, seconds)
    with httpx.Client(
        base_url=app.url, trust_env=False, transport=httpx.HTTPTransport(local_address=FLOOD_ADDRESSES[0])
    ) as again:
        started = time.perf_counter()
        refused = again.post("/login", data={"username": STAFF.name, "password": STAFF.password})
        assert refused.status_code == 400 and "登录失败次数过多" in refused.json()["detail"]
        assert time.perf_counter() - started < 0.5  # over its limit: refused without hashing
