"""What Gradio's login does not enforce: sessions that end, exports for their owner only, and
uploads for staff only. One ASGI middleware in front of Gradio's routes.

Gradio's login (`launch(auth=...)`) gives the browser a random token in the cookies
`access-token-<id>` and `access-token-unsecure-<id>` and keeps token → user name in the App's
`tokens` dict for as long as the process lives. `Sessions` records when each token was issued
and last used; a token idle for `idle` seconds, or older than `lifetime` seconds, is deleted from
that dict, so Gradio itself stops accepting it. `Guard` does the rest per request:

- a request carrying an ended session gets 401 (or, for a page load, a redirect to the login page);
- `/gradio_api/file=…` (and `/file/…`) of a path inside the exports root but outside the caller's
  own folder (`handlers.export_folder`) gets 403;
- `/gradio_api/upload` by a user whose role may not upload gets 403 before a byte is stored.

    sessions = Sessions(idle=30 * 60, lifetime=10 * 3600)
    demo.launch(auth=..., app_kwargs={"middleware": [guard(sessions, exports_root, may_upload)]})

Requests without a valid login pass through untouched: Gradio refuses them itself.
Deliberately not handled: sessions are kept in the memory of one process (as Gradio's tokens
are); a response already streaming (an answer being written) is not cut off when its session
ends; a user removed from the users file keeps an open session until it ends (their events
already fail in `handlers.principal_for`).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.ui.handlers import UPLOAD_REFUSED, export_folder

log = logging.getLogger(__name__)

API = "/gradio_api"
FILE_ROUTES = (f"{API}/file=", f"{API}/file/")
UPLOAD_ROUTE = f"{API}/upload"
EXPIRED = "登录已超时，请重新登录。"
NOT_YOURS = "无权下载该文件：导出文件只提供给导出它的用户。"


@dataclass
class Session:
    user: str
    started: float  # clock time of the login
    seen: float  # clock time of the last request


class Sessions:
    """Login time and last activity of each Gradio token; ends the idle and the too old.

    Methods take Gradio's token dict and delete the tokens of the sessions they end from it. All
    calls happen on the server's event loop, so the records need no lock; Gradio's own logout runs
    in a worker thread and only deletes from its dict, which is copied before being iterated here.
    """

    def __init__(self, idle: float, lifetime: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.idle = idle
        self.lifetime = lifetime
        self.clock = clock
        self._live: dict[str, Session] = {}

    def adopt(self, tokens: Mapping[str, str]) -> None:
        """Start the clock of every token Gradio issued since the last call (a login just happened)."""
        now = self.clock()
        for token, user in dict(tokens).items():
            self._live.setdefault(token, Session(user, now, now))

    def admit(self, token: str, tokens: MutableMapping[str, str]) -> bool:
        """Whether a request with this (Gradio-known) token may go on; if so it counts as activity.
        A token whose login was never seen is refused: it cannot be shown to be young enough."""
        session = self._live.get(token)
        now = self.clock()
        if session is None or self._over(session, now):
            self.end(token, tokens)
            return False
        session.seen = now
        return True

    def sweep(self, tokens: MutableMapping[str, str]) -> None:
        """End every session that is over, and forget those Gradio has dropped (logout)."""
        now = self.clock()
        for token, session in list(self._live.items()):
            if token not in tokens or self._over(session, now):
                self.end(token, tokens)

    def end(self, token: str, tokens: MutableMapping[str, str]) -> None:
        session = self._live.pop(token, None)
        if tokens.pop(token, None) is not None and session is not None:
            log.info("session of %s ended after %.0f s", session.user, self.clock() - session.started)

    def _over(self, session: Session, now: float) -> bool:
        return now - session.seen > self.idle or now - session.started > self.lifetime

    def __contains__(self, token: object) -> bool:
        return token in self._live

    def __len__(self) -> int:
        return len(self._live)


def guard(sessions: Sessions, exports_root: Path, may_upload: Callable[[str], bool]) -> Middleware:
    """The middleware entry for `launch(app_kwargs={"middleware": [...]})`."""
    return Middleware(Guard, sessions=sessions, exports_root=exports_root, may_upload=may_upload)


class Guard:
    """Pure ASGI middleware (no response buffering, so Gradio's event streams pass unchanged).

    Installed through the FastAPI constructor, it runs inside Gradio's `App`, which Starlette puts
    in `scope["app"]`: that is where the token dict and the cookie id live."""

    def __init__(
        self, app: ASGIApp, *, sessions: Sessions, exports_root: Path, may_upload: Callable[[str], bool]
    ) -> None:
        self.app = app
        self.sessions = sessions
        self.exports_root = exports_root
        self.may_upload = may_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        gradio: Any = scope["app"]
        path = _route_path(scope).rstrip("/")
        request = Request(scope)
        user, ended = self._caller(request, gradio)
        self.sessions.sweep(gradio.tokens)
        refusal = None
        if ended and path not in ("/login", "/logout"):  # logging in again must get through
            refusal = _expired(request, gradio.cookie_id)
        elif user is not None:
            refusal = self._refusal(path, user)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        if path in ("/login", "/logout"):
            send = self._after_login_or_logout(gradio, send)
        await self.app(scope, receive, send)

    def _caller(self, request: Request, gradio: Any) -> tuple[str | None, bool]:
        """(user name of a live session or None, whether this request's session just ended)."""
        token = _token(request, gradio.cookie_id)
        user = gradio.tokens.get(token) if token else None
        if token is None or user is None:
            return None, False  # no login at all: Gradio refuses what needs one
        if not self.sessions.admit(token, gradio.tokens):
            return None, True
        return user, False

    def _refusal(self, path: str, user: str) -> Response | None:
        if path == UPLOAD_ROUTE and not self.may_upload(user):
            return JSONResponse({"detail": UPLOAD_REFUSED}, status_code=403)
        file = _file_of(path)
        if file is not None and self._someone_elses_export(file, user):
            return JSONResponse({"detail": NOT_YOURS}, status_code=403)
        return None

    def _someone_elses_export(self, file: str, user: str) -> bool:
        """True for a path inside the exports root but not in `user`'s folder. Resolved the way
        Gradio resolves it (relative to the working directory, `..` and symlinks followed)."""
        if file.startswith(("http://", "https://")):
            return False  # not a local file; Gradio's proxy rules apply
        try:
            target = Path(os.path.abspath(file)).resolve()
            root = self.exports_root.resolve()
            own = export_folder(root, user).resolve()
        except (OSError, ValueError):  # a path that cannot be resolved is no one's export
            return True
        return target.is_relative_to(root) and not target.is_relative_to(own)

    def _after_login_or_logout(self, gradio: Any, send: Send) -> Send:
        """Catch the moment Gradio answers /login or /logout: its token dict has just changed and
        the browser has not yet seen the new cookie, so no request can race the bookkeeping."""

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.sessions.adopt(gradio.tokens)
                self.sessions.sweep(gradio.tokens)
            await send(message)

        return wrapped


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _token(request: Request, cookie_id: str) -> str | None:
    # The same cookie, in the same order, as Gradio's own `get_current_user`.
    return request.cookies.get(f"access-token-{cookie_id}") or request.cookies.get(f"access-token-unsecure-{cookie_id}")


def _file_of(path: str) -> str | None:
    for prefix in FILE_ROUTES:
        if path.startswith(prefix):
            return path[len(prefix) :]
    return None


def _expired(request: Request, cookie_id: str) -> Response:
    """A page load goes back to the login page; anything else gets Gradio's own 401 shape."""
    response: Response
    if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
        response = RedirectResponse(f"{request.scope.get('root_path', '')}/", status_code=302)
    else:
        detail = {"error": "Not authenticated", "auth_message": EXPIRED}
        response = JSONResponse({"detail": detail}, status_code=401)
    for name in (f"access-token-{cookie_id}", f"access-token-unsecure-{cookie_id}"):
        response.delete_cookie(name, path="/")
    return response
