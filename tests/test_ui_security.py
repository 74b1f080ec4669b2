"""The guard in front of the running app (assistant/ui/guard.py): sessions that end, exports for
their owner only, uploads for staff only. Everything goes over HTTP to the real server on loopback
(tests/app_server.py); logins are Gradio's own POST /login, and Gradio's token store is looked at
directly to show an ended session really is gone. Anonymous requests are covered in test_load.py.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.models import Role
from assistant.ui.guard import EXPIRED
from assistant.ui.handlers import UPLOAD_REFUSED, export_folder
from bench.bench_load import Browser, SimUser, async_client, last_answer
from tests.app_server import App, client, logged_in, running_app
from tests.ui_fixtures import RESTRICTED_CODE, RESTRICTED_TITLE

STAFF_A = SimUser("馆员甲", "staff-pass-1", "staff")
STAFF_B = SimUser("馆员乙", "staff-pass-2", "staff")
READER = SimUser("读者甲", "reader-pass-1", "reader")
ROLES = {"staff": Role.STAFF, "reader": Role.READER}
IDLE = 2.5  # seconds without a request before a session ends, in the short-session app
LIFETIME = 7.0  # seconds after login when it ends whatever happens
POLL = 0.3  # seconds between requests of a "busy" user: far below IDLE, so only LIFETIME can end it
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def _users() -> list[tuple[str, str, Role]]:
    return [(u.name, u.password, ROLES[u.role]) for u in (STAFF_A, STAFF_B, READER)]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """Default settings: a session outlives every test here."""
    with running_app(tmp_path_factory.mktemp("security"), _users()) as app:
        yield app


@pytest.fixture(scope="module")
def short_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    overrides = {"session_idle_minutes": IDLE / 60, "session_max_hours": LIFETIME / 3600}
    with running_app(tmp_path_factory.mktemp("short-sessions"), _users(), **overrides) as app:
        yield app


def token_of(session: httpx.Client) -> str:
    (token,) = set(session.cookies.values())  # Gradio sets the same token in two cookies
    return token


def is_login_page(response: httpx.Response) -> bool:
    found = re.search(r"window\.gradio_config = (\{.*?\});</script>", response.text)
    config = json.loads(found.group(1)) if found else {}
    return response.status_code == 200 and config.get("auth_required") is True and config.get("components") == []


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


# ---- exports -----------------------------------------------------------------------------------


async def _ask_and_export(app: App, user: SimUser, question: str) -> list[Path]:
    async with async_client(app.url) as http:
        browser = Browser(http)
        await browser.login(user.name, user.password)
        assert (await browser.open_page()).ok and browser.events is not None
        try:
            asked = await browser.ask(question)
            exported = await browser.call(browser.events.export, [None])
        finally:
            await browser.close_page()
    assert asked.ok and RESTRICTED_TITLE in last_answer(asked.outputs or []), asked
    assert exported.ok and exported.outputs, exported
    return [Path(item["path"]) for item in exported.outputs[0]]


def test_an_export_is_served_only_to_the_user_who_made_it(app: App) -> None:
    paths = asyncio.run(_ask_and_export(app, STAFF_A, RESTRICTED_CODE))
    own = export_folder(app.exports, STAFF_A.name)
    assert {path.parent for path in paths} == {own}  # served in place from A's folder, not copied
    markdown = next(path for path in paths if path.suffix == ".md")
    routes = [
        ("GET", f"/gradio_api/file={markdown}"),
        ("HEAD", f"/gradio_api/file={markdown}"),
        ("GET", f"/gradio_api/file/{markdown}"),  # Gradio has no HEAD on this older route
    ]
    with logged_in(app, STAFF_A.name, STAFF_A.password) as owner:
        for method, route in routes:
            response = owner.request(method, route)
            assert response.status_code == 200, (method, route, response.status_code)
        assert RESTRICTED_TITLE in owner.get(routes[0][1]).text

    # A link in the reader's own folder that points at A's file is judged by where it leads.
    link = export_folder(app.exports, READER.name) / f"link-{secrets.token_hex(4)}.md"
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(markdown)
    try:
        for other in (STAFF_B, READER):
            with logged_in(app, other.name, other.password) as session:
                for method, route in [
                    *routes,
                    ("HEAD", f"/gradio_api/file/{markdown}"),
                    ("GET", f"/gradio_api/file={link}"),
                ]:
                    response = session.request(method, route)
                    assert response.status_code == 403, (other.name, method, route, response.status_code)
                    assert RESTRICTED_TITLE not in response.text
    finally:
        link.unlink()


# ---- uploads -----------------------------------------------------------------------------------


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
