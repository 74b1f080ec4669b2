"""The guard in front of the running app (assistant/ui/guard.py): throttled logins, sessions that
end, files for their own session only, uploads for staff only and only of one's own files, no
unused upload route, and security headers. Everything goes over HTTP to the real server on
loopback (tests/app_server.py); logins are Gradio's own POST /login, events go through
/gradio_api/queue/join as the page sends them, and Gradio's token store and the files on disk are
looked at directly. Other client addresses are real: the kernel routes all of 127.0.0.0/8 to
loopback, so a client bound to 127.0.0.7 is a different address to the server. Anonymous
requests are covered in test_load.py.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest
from gradio.utils import get_upload_folder

from assistant.models import Role
from assistant.ui.guard import EXPIRED, NOT_YOURS, THROTTLED
from assistant.ui.handlers import NOT_THIS_SESSION, UPLOAD_REFUSED
from bench.bench_load import SimUser
from bench.gradio_browser import UPLOAD_FORM, Browser, Event, Reply, async_client
from tests.app_server import App, client, logged_in, running_app
from tests.ui_fixtures import RESTRICTED_CODE, RESTRICTED_TITLE, UPLOAD_TEXT

STAFF_A = SimUser("馆员甲", "staff-pass-1", "staff")
STAFF_B = SimUser("馆员乙", "staff-pass-2", "staff")
READER = SimUser("读者甲", "reader-pass-1", "reader")
TARGET = SimUser("值班管理员", "target-pass-1", "staff")  # the name strangers try to lock out
ROLES = {"staff": Role.STAFF, "reader": Role.READER}
IDLE = 2.5  # seconds without a request before a session ends, in the short-session app
LIFETIME = 7.0  # seconds after login when it ends whatever happens
KEEP = 3.0  # seconds an export or page image is kept, in the short-session app
WINDOW = 3.0  # seconds failed logins count, in the short-session app
POLL = 0.3  # seconds between requests of a "busy" user: far below IDLE, so only LIFETIME can end it
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
LINK = re.compile(r"\]\((archive-files/[^)\s]+)\)")


def _users() -> list[tuple[str, str, Role]]:
    return [(u.name, u.password, ROLES[u.role]) for u in (STAFF_A, STAFF_B, READER, TARGET)]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """Default settings: a session and its files outlive every test here."""
    with running_app(tmp_path_factory.mktemp("security"), _users()) as app:
        yield app


@pytest.fixture(scope="module")
def short_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    overrides = {
        "session_idle_minutes": IDLE / 60,
        "session_max_hours": LIFETIME / 3600,
        "session_files_minutes": KEEP / 60,
        "login_window_minutes": WINDOW / 60,
    }
    with running_app(tmp_path_factory.mktemp("short-sessions"), _users(), **overrides) as app:
        yield app


def token_of(session: httpx.Client) -> str:
    (token,) = set(session.cookies.values())  # Gradio sets the same token in two cookies
    return token


def is_login_page(response: httpx.Response) -> bool:
    found = re.search(r"window\.gradio_config = (\{.*?\});</script>", response.text)
    config = json.loads(found.group(1)) if found else {}
    return response.status_code == 200 and config.get("auth_required") is True and config.get("components") == []


def from_address(app: App, address: str) -> httpx.Client:
    """A client whose requests come from another loopback address."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=app.url, timeout=30, trust_env=False, transport=transport)


def login(http: httpx.Client, user: SimUser, password: str | None = None) -> httpx.Response:
    """POST /login as the login page sends it (multipart form data)."""
    fields = {"username": (None, user.name), "password": (None, password or user.password)}
    return http.post("/login", files=fields)


def throttled(response: httpx.Response) -> bool:
    return response.status_code == 400 and response.json()["detail"] == THROTTLED


# ---- sessions ----------------------------------------------------------------------------------


def test_an_idle_session_ends_and_leaves_gradios_token_store(short_app: App) -> None:
    with (
        logged_in(short_app, STAFF_A.name, STAFF_A.password) as first,
        logged_in(short_app, STAFF_B.name, STAFF_B.password) as second,
    ):
        tokens = {token_of(first), token_of(second)}
        page_cookies = dict(second.cookies)
        assert first.get("/config").status_code == 200 and second.get("/config").status_code == 200
        assert tokens <= set(short_app.tokens) and all(token in short_app.sessions for token in tokens)

        time.sleep(IDLE + 1)
        with client(short_app, page_cookies) as browser:
            reload = browser.get("/", headers=HTML)  # the page, reloaded with the old cookie
            assert reload.status_code == 302 and reload.headers["location"] == "/", reload.text[:200]
            cleared = reload.headers.get_list("set-cookie")
            assert len(cleared) == 2 and all("Max-Age=0" in cookie for cookie in cleared)
            assert is_login_page(browser.get("/", headers=HTML))
        # That one request also ended the other idle session: neither token opens anything any more.
        assert not tokens & set(short_app.tokens) and not any(token in short_app.sessions for token in tokens)
        assert first.get("/config").status_code == 401


def test_activity_keeps_a_session_alive_past_the_idle_limit(short_app: App) -> None:
    with logged_in(short_app, READER.name, READER.password) as session:
        started = time.monotonic()
        statuses = []
        while time.monotonic() - started < 2 * IDLE:
            statuses.append(session.get("/config").status_code)
            time.sleep(POLL)
        assert statuses and set(statuses) == {200}
        assert token_of(session) in short_app.tokens


def test_a_busy_session_still_ends_at_its_lifetime(short_app: App) -> None:
    with logged_in(short_app, STAFF_A.name, STAFF_A.password) as session:
        token = token_of(session)
        started = time.monotonic()
        answered: list[float] = []
        while time.monotonic() - started < LIFETIME + 2:
            response = session.get("/config")
            if response.status_code != 200:
                break
            answered.append(time.monotonic() - started)
            time.sleep(POLL)
        ended_at = time.monotonic() - started
        assert response.status_code == 401 and EXPIRED in response.text, response.text[:200]
        assert answered[-1] > 2 * IDLE  # it was alive well past the idle limit: not an idle timeout
        assert LIFETIME - 1 <= ended_at <= LIFETIME + 2
        assert token not in short_app.tokens and token not in short_app.sessions


def test_logout_ends_the_session_and_its_record(app: App) -> None:
    with logged_in(app, READER.name, READER.password) as session:
        token, cookies = token_of(session), dict(session.cookies)
        assert session.get("/config").status_code == 200
        assert token in app.sessions
        assert session.get("/logout").status_code == 302
    assert token not in app.tokens and token not in app.sessions
    with client(app, cookies) as replay:
        assert replay.get("/config").status_code == 401


# ---- logins (finding 10) -----------------------------------------------------------------------


def test_one_address_guessing_is_stopped_without_locking_out_anyone_else(app: App) -> None:
    with from_address(app, "127.0.0.5") as guesser:
        wrong = [login(guesser, SimUser(f"guess-{n}", "", "staff"), "wrong-password").status_code for n in range(10)]
        assert wrong == [400] * 10
        started = time.perf_counter()
        refused = login(guesser, READER)  # even the right password: this address is over its limit
        assert throttled(refused)
        assert time.perf_counter() - started < 0.5  # refused before any password hashing
        assert not guesser.cookies
    with from_address(app, "127.0.0.6") as neighbour:
        assert login(neighbour, READER).status_code == 200  # another address is not affected


def test_strangers_cannot_lock_a_user_out_of_the_machine_they_use(short_app: App) -> None:
    with from_address(short_app, "127.0.0.20") as desk:
        assert login(desk, TARGET).status_code == 200  # the user's own machine, known from now on
    for n in range(5):  # five strangers, one wrong guess each: not over any address's limit
        with from_address(short_app, f"127.0.0.{21 + n}") as stranger:
            assert login(stranger, TARGET, "not-the-password").status_code == 400
    with from_address(short_app, "127.0.0.30") as new_machine:
        assert throttled(login(new_machine, TARGET))
    with from_address(short_app, "127.0.0.20") as desk:
        assert login(desk, TARGET).status_code == 200  # the user's machine still gets in
    time.sleep(WINDOW + 0.5)
    with from_address(short_app, "127.0.0.30") as new_machine:
        assert login(new_machine, TARGET).status_code == 200  # and the lock ends with its window


def test_a_wrong_password_never_logs_in(app: App) -> None:
    with from_address(app, "127.0.0.40") as http:
        assert login(http, STAFF_A, "staff-pass-2").status_code == 400 and not http.cookies
        assert login(http, STAFF_A).status_code == 200 and http.cookies


# ---- files for one session only: exports and page images (findings 2, 20) ----------------------


async def _page(http: httpx.AsyncClient, user: SimUser) -> Browser:
    browser = Browser(http)
    await browser.login(user.name, user.password)
    assert (await browser.open_page()).ok and browser.events is not None
    return browser


async def _event(browser: Browser, elem_id: str, kind: str) -> Event:
    """An event of the page by its component's elem_id, as the page finds it in /config."""
    config = (await browser.client.get("/config")).json()
    ids = {c["props"].get("elem_id"): c["id"] for c in config["components"] if c.get("props")}
    dep = next(d for d in config["dependencies"] if [ids[elem_id], kind] in [list(t) for t in d["targets"]])
    return Event(dep["id"], ids[elem_id])


async def _export_and_page(app: App, user: SimUser, question: str) -> tuple[list[str], str, dict[str, str]]:
    """Ask and export the answer, then ask for a PDF figure and show its cited page:
    (export links, page image link, the session's cookies)."""
    async with async_client(app.url) as http:
        browser = await _page(http, user)
        try:
            asked = await browser.ask(question)
            exported = await browser.call(browser.events.export, [None])  # type: ignore[union-attr]
            figure = await browser.ask("2022年数字化扫描多少页")
            picked = await browser.call(await _event(browser, "pick", "input"), [None, "1"])
        finally:
            await browser.close_page()
        cookies = dict(http.cookies)
    assert asked.ok and exported.ok and figure.ok and picked.ok, (exported.error, picked.error)
    links = LINK.findall(exported.outputs[0])  # type: ignore[index]
    images = LINK.findall(picked.outputs[0])  # type: ignore[index]
    assert len(links) == 2 and images, (exported.outputs, picked.outputs)
    return links, images[0], cookies


def on_disk(app: App, link: str) -> Path:
    _, key, name = link.split("/", 2)
    return app.files.root / key / unquote(name)


def test_exports_and_page_images_are_private_files_for_their_own_session(app: App) -> None:
    links, image, cookies = asyncio.run(_export_and_page(app, STAFF_A, RESTRICTED_CODE))
    files = [on_disk(app, link) for link in [*links, image]]
    assert sorted(p.suffix for p in files) == [".docx", ".md", ".png"]
    upload_folder = Path(get_upload_folder()).resolve()
    for path in files:
        assert path.is_file() and not path.resolve().is_relative_to(upload_folder)  # outside Gradio's folder
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert len(path.parent.name) >= 24  # a random key, not the user's name or a content hash
    assert stat.S_IMODE(app.files.root.stat().st_mode) == 0o700

    with client(app, cookies) as owner:
        markdown = next(link for link in links if link.endswith(".md"))
        served = owner.get(markdown)
        assert served.status_code == 200 and RESTRICTED_TITLE in served.text
        assert served.headers["content-disposition"].startswith("attachment")
        assert owner.get(image).headers["content-type"] == "image/png"
        for path in files:  # Gradio's own file route serves none of them, not even to the owner
            assert owner.get(f"/gradio_api/file={path}").status_code == 403

    for other in (STAFF_A, STAFF_B, READER):  # another login, even the same user's, is another session
        with logged_in(app, other.name, other.password) as session:
            for link in [*links, image]:
                response = session.get(link)
                assert response.status_code == 403 and NOT_YOURS in response.text, (other.name, link)
                assert RESTRICTED_TITLE not in response.text
    with client(app) as anonymous:
        assert anonymous.get(links[0]).status_code == 401


def test_logout_removes_the_sessions_files(app: App) -> None:
    links, image, cookies = asyncio.run(_export_and_page(app, STAFF_B, "2022年数字化扫描多少页"))
    files = [on_disk(app, link) for link in [*links, image]]
    assert all(path.is_file() for path in files)
    with client(app, cookies) as session:
        assert session.get("/logout").status_code == 302
    assert not any(path.exists() for path in files) and not any(path.parent.exists() for path in files)


def test_files_are_removed_after_a_while_even_in_a_live_session(short_app: App) -> None:
    links, image, cookies = asyncio.run(_export_and_page(short_app, STAFF_A, "2022年数字化扫描多少页"))
    files = [on_disk(short_app, link) for link in [*links, image]]
    assert all(path.is_file() for path in files)
    with client(short_app, cookies) as session:
        started = time.monotonic()
        while time.monotonic() - started < KEEP + 1:
            assert session.get("/config").status_code == 200  # the session stays alive meanwhile
            time.sleep(POLL)
        gone = session.get(links[0])
        assert gone.status_code == 404 and "已不存在" in gone.text
    assert not any(path.exists() for path in files)


# ---- uploads (findings 2, 21) ------------------------------------------------------------------


async def _upload_as(app: App, uploader: SimUser, caller: SimUser | None, name: str) -> tuple[str, Reply]:
    """`uploader` sends a file through Gradio's upload route; `caller` (another login, or the same
    one when None) then runs the upload event with that path."""
    async with async_client(app.url) as uploading:
        own = await _page(uploading, uploader)
        stored = await uploading.post("/gradio_api/upload", files={"files": (name, UPLOAD_TEXT.encode())})
        assert stored.status_code == 200, stored.text
        (path,) = stored.json()
        file = {"path": path, "orig_name": name, "meta": {"_type": "gradio.FileData"}}
        try:
            if caller is None:
                return path, await own.call(own.events.upload, [[file], *UPLOAD_FORM])  # type: ignore[union-attr]
            async with async_client(app.url) as other:
                browser = await _page(other, caller)
                try:
                    return path, await browser.call(browser.events.upload, [[file], *UPLOAD_FORM])  # type: ignore[union-attr]
                finally:
                    await browser.close_page()
        finally:
            await own.close_page()


def ingested(app: App, name: str) -> bool:
    return (app.index_dir / "uploads" / name).exists()


def test_the_upload_event_takes_only_files_its_own_session_uploaded(app: App) -> None:
    name = f"他人上传-{secrets.token_hex(4)}.md"
    path, reply = asyncio.run(_upload_as(app, STAFF_A, STAFF_B, name))
    assert reply.ok and NOT_THIS_SESSION in reply.outputs[0], reply  # type: ignore[index]
    assert Path(path).is_file()  # someone else's file is neither ingested nor deleted
    assert not ingested(app, name)

    name = f"本人上传-{secrets.token_hex(4)}.md"
    path, reply = asyncio.run(_upload_as(app, STAFF_A, None, name))
    assert reply.ok and "已导入" in reply.outputs[0], reply  # type: ignore[index]
    assert ingested(app, name) and not Path(path).exists()  # the session's own file: ingested, cache copy gone


def test_a_readers_forged_upload_event_is_refused_before_anything_is_touched(app: App) -> None:
    name = f"读者伪造-{secrets.token_hex(4)}.md"
    path, reply = asyncio.run(_upload_as(app, STAFF_A, READER, name))
    assert not reply.ok and UPLOAD_REFUSED in (reply.error or ""), reply
    assert Path(path).is_file() and not ingested(app, name)  # the staff member's upload is still there


def test_a_reader_cannot_upload_and_nothing_is_stored(app: App) -> None:
    upload_dir = Path(app.demo.server_app.uploaded_file_dir)
    names = {who: f"{who}-{secrets.token_hex(6)}.md" for who in ("reader", "staff")}
    with logged_in(app, READER.name, READER.password) as reader:
        refused = reader.post("/gradio_api/upload", files={"files": (names["reader"], b"# reader\n")})
    assert refused.status_code == 403 and refused.json()["detail"] == UPLOAD_REFUSED
    assert not list(upload_dir.rglob(names["reader"]))

    with logged_in(app, STAFF_A.name, STAFF_A.password) as staff:  # the same request from staff is stored, as before
        stored = staff.post("/gradio_api/upload", files={"files": (names["staff"], b"# staff\n")})
        assert stored.status_code == 200, stored.text
        (path,) = stored.json()
        assert Path(path).name == names["staff"] and Path(path).read_bytes() == b"# staff\n"
        assert Path(path).is_relative_to(upload_dir)
        assert staff.get(f"/gradio_api/file={path}").status_code == 200  # the uploader may look at it
        with logged_in(app, STAFF_B.name, STAFF_B.password) as other:
            assert other.get(f"/gradio_api/file={path}").status_code == 403  # nobody else may
        assert staff.get("/logout").status_code == 302
    assert not Path(path).exists()  # the upload was never ingested: the uploader's logout deleted it


def test_the_recording_upload_route_is_closed_to_everyone(app: App) -> None:
    upload_dir = Path(app.demo.server_app.uploaded_file_dir)
    before = {p for p in upload_dir.rglob("*") if p.is_file()}
    audio = b"RIFF" + secrets.token_bytes(256 * 1024)
    name = f"recording-{secrets.token_hex(4)}.wav"
    for user in (READER, STAFF_A):
        with logged_in(app, user.name, user.password) as session:
            response = session.post("/gradio_api/process_recording", files={"audio": (name, audio, "audio/wav")})
            assert response.status_code == 404, (user.name, response.status_code, response.text[:200])
    assert {p for p in upload_dir.rglob("*") if p.is_file()} <= before  # nothing new was stored
    assert not list(upload_dir.rglob(name))


# ---- headers (finding 17) ----------------------------------------------------------------------


def test_every_response_carries_the_security_headers(app: App) -> None:
    with client(app) as anonymous:
        page = anonymous.get("/", headers=HTML)
    policy = page.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([\w-]+)'", policy)
    assert nonce and "script-src 'self' 'nonce-" in policy and "frame-ancestors 'none'" in policy
    assert "img-src 'self' data: blob:" in policy and "connect-src 'self'" in policy and "unsafe-eval" not in policy
    scripts = re.findall(r"<script[^>]*>", page.text)
    assert scripts and all(f'nonce="{nonce.group(1)}"' in tag for tag in scripts)
    assert int(page.headers["content-length"]) == len(page.content)

    with logged_in(app, READER.name, READER.password) as reader:
        responses = [page, reader.get("/config"), reader.get("/gradio_api/info"), reader.get("/no-such-page")]
        with client(app) as anonymous:
            responses.append(anonymous.get("/config"))
    for response in responses:
        assert response.headers["x-frame-options"] == "DENY", response.url
        assert response.headers["x-content-type-options"] == "nosniff", response.url
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], response.url
    assert responses[1].headers["content-security-policy"].startswith("default-src 'none'")


def test_each_page_load_gets_its_own_nonce(app: App) -> None:
    with client(app) as anonymous:
        nonces = {re.search(r"'nonce-([\w-]+)'", anonymous.get("/").headers["content-security-policy"]).group(1)}  # type: ignore[union-attr]
        nonces.add(re.search(r"'nonce-([\w-]+)'", anonymous.get("/").headers["content-security-policy"]).group(1))  # type: ignore[union-attr]
    assert len(nonces) == 2
