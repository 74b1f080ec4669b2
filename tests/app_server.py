"""Start the real app on a free loopback port over a temporary index, and stop it.

    with running_app(tmp_path, [("读者甲", "reader-pass-1", Role.READER)]) as app:
        httpx.get(app.url)

The index holds the tiny corpus of `ui_fixtures` (a report, a catalogue with one 控制使用 row and a
one-page PDF), or `corpus` when given; the users are written to the index's users file before the
app starts, exactly as `archive-assistant users add` would. The app runs in this process
(`serve(..., prevent_thread_lock=True)`) and is closed on exit. Settings can be overridden
(`running_app(root, users, session_idle_minutes=0.05)`).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import httpx

from assistant.models import Role
from assistant.service import build_assistant
from assistant.settings import load_settings
from assistant.ui.app import WebApp, build_app, serve
from assistant.ui.files import SessionFiles, Uploads
from assistant.ui.sessions import Sessions
from assistant.users import open_users
from tests.ui_fixtures import write_corpus


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class App:
    url: str  # ends with "/"
    index_dir: Path
    corpus: Path
    web: WebApp

    @property
    def demo(self) -> gr.Blocks:
        return self.web.demo

    @property
    def sessions(self) -> Sessions:
        return self.web.sessions

    @property
    def files(self) -> SessionFiles:
        return self.web.files

    @property
    def uploads(self) -> Uploads:
        return self.web.uploads

    @property
    def tokens(self) -> dict[str, str]:
        """Gradio's own store of login tokens (token → user name)."""
        return self.demo.server_app.tokens


@contextmanager
def running_app(
    root: Path,
    users: Sequence[tuple[str, str, Role]],
    corpus: Callable[[Path], Path] = write_corpus,
    **settings_overrides: object,
) -> Iterator[App]:
    """The app served on 127.0.0.1:<free port> over an index of the fixture corpus under `root`."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    settings = load_settings(index_dir=root / "index", host="127.0.0.1", port=free_port(), **settings_overrides)
    store = open_users(settings)
    for name, password, role in users:
        store.add_user(name, password, role)
    assistant = build_assistant(settings)
    folder = corpus(root / "corpus")
    assert assistant.ingest([folder]).ok
    web = build_app(assistant, store)
    serve(web, prevent_thread_lock=True)
    try:
        yield App(f"http://{settings.host}:{settings.port}/", settings.index_dir, folder, web)
    finally:
        web.demo.close()
        web.files.close()


def client(app: App, cookies: dict[str, str] | None = None) -> httpx.Client:
    """A plain HTTP client for the running app (no proxy from the environment)."""
    return httpx.Client(base_url=app.url, timeout=30, trust_env=False, cookies=cookies)


@contextmanager
def logged_in(app: App, name: str, password: str) -> Iterator[httpx.Client]:
    """A client that has logged in through Gradio's own /login."""
    with client(app) as session:
        response = session.post("/login", data={"username": name, "password": password})
        assert response.status_code == 200, response.text
        yield session
