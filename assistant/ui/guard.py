"""What Gradio's login does not enforce, as one ASGI middleware in front of Gradio's routes:
throttled logins, sessions that end, files for their own session only, uploads for staff only,
no unused upload routes, and security headers.

Gradio's login (`launch(auth=...)`) gives the browser a random token in the cookies
`access-token-<id>` and `access-token-unsecure-<id>` and keeps token → user name in the App's
`tokens` dict for as long as the process lives. That token is what this module calls a session.
`sessions.Sessions` records when each token was issued and last used; a token idle for `idle` seconds,
or older than `lifetime` seconds, is deleted from that dict, so Gradio itself stops accepting it,
and the session's files go with it (`files.SessionFiles.end`, `files.Uploads.end`). `Guard` does
the rest per request:

- `POST /login` is counted by `users.LoginThrottle` per client address and per name before Gradio
  sees it: a refused attempt gets 400 with `THROTTLED` and costs no password hashing; the hashing itself (scrypt,
  `login_check`) runs in one worker thread, never on the event loop, so a flood of logins slows
  logins only, not everyone's page;
- a request carrying an ended session gets 401 (or, for a page load, a redirect to the login page);
- `archive-files/<key>/<name>` (exports and page images, `files.SessionFiles`) is served only to
  the session that made the file;
- `/gradio_api/file=…` (and `/file/…`) serves only a file this session uploaded itself (Gradio's
  upload component links to it); anything else in Gradio's folders gets 403;
- `/gradio_api/upload` by a user whose role may not upload gets 403 before a byte is stored; for
  staff, the paths Gradio answers with are recorded as this session's (`files.Uploads`), and the
  upload event accepts no other;
- routes the app never uses that take uploads (`/gradio_api/process_recording`) answer 404;
- every response carries the headers of `headers.with_security_headers`.

    sessions = Sessions(idle=30 * 60, lifetime=10 * 3600, on_end=[files.end, uploads.end])
    demo.launch(auth=login_check(users), app_kwargs={"middleware": [guard(sessions, ...)]})

Requests without a valid login pass through untouched (Gradio refuses them itself), except the
login route, the unused routes and `archive-files`. Deliberately not handled: sessions are kept in
the memory of one process (as Gradio's tokens are); a response already streaming (an answer being
written) is not cut off when its session ends; a user removed from the users file keeps an open
session until it ends (their events already fail in `handlers.principal_for`).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from starlette.datastructures import FormData
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.ui import files as session_files
from assistant.ui.handlers import UPLOAD_REFUSED
from assistant.ui.headers import with_security_headers
from assistant.ui.sessions import Sessions
from assistant.users import LoginThrottle

log = logging.getLogger(__name__)

API = "/gradio_api"
FILE_ROUTES = (f"{API}/file=", f"{API}/file/")
UPLOAD_ROUTE = f"{API}/upload"
FILES_ROUTE = f"/{session_files.ROUTE}/"
# Routes that take uploads for components this app does not have (audio, video, webcam streams).
UNUSED = (f"{API}/process_recording",)
LOGIN_BODY_LIMIT = 64 * 1024
EXPIRED = "登录已超时，请重新登录。"
NOT_YOURS = "无权下载该文件：导出文件和页面图像只提供给生成它的登录会话。"
FILE_REFUSED = "File not allowed：该文件不提供下载。"
GONE = "该文件已不存在：导出文件和页面图像只保留一段时间，退出登录后即删除，请重新生成。"
THROTTLED = "登录失败次数过多，请稍后再试；如果忘记密码，请联系管理员重设。"
UNUSED_ROUTE = "该接口未启用。"


def session_of(request: Any) -> str | None:
    """The login session (Gradio token) of a request: a Starlette request, or the `gr.Request`
    of an event (whose `.request` is the queue/join request that carried the cookies)."""
    inner = getattr(request, "request", None) or request
    gradio = inner.scope.get("app") if hasattr(inner, "scope") else None
    cookie_id = getattr(gradio, "cookie_id", None)
    if cookie_id is None:
        return None
    return _token(inner, cookie_id)


def guard(
    sessions: Sessions,
    may_upload: Callable[[str], bool],
    files: session_files.SessionFiles,
    uploads: session_files.Uploads,
    throttle: LoginThrottle,
) -> Middleware:
    """The middleware entry for `launch(app_kwargs={"middleware": [...]})`."""
    return Middleware(Guard, sessions=sessions, may_upload=may_upload, files=files, uploads=uploads, throttle=throttle)


class Guard:
    """Pure ASGI middleware (only HTML pages and login forms are buffered, so Gradio's event
    streams pass unchanged).

    Installed through the FastAPI constructor, it runs inside Gradio's `App`, which Starlette puts
    in `scope["app"]`: that is where the token dict and the cookie id live."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        sessions: Sessions,
        may_upload: Callable[[str], bool],
        files: session_files.SessionFiles,
        uploads: session_files.Uploads,
        throttle: LoginThrottle,
    ) -> None:
        self.app = app
        self.sessions = sessions
        self.may_upload = may_upload
        self.files = files
        self.uploads = uploads
        self.throttle = throttle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = with_security_headers(send, scope["method"])
        gradio: Any = scope["app"]
        path = _route_path(scope).rstrip("/")
        if path in UNUSED:
            await JSONResponse({"detail": UNUSED_ROUTE}, status_code=404)(scope, receive, send)
            return
        request = Request(scope)
        if path == "/login" and request.method == "POST":
            await self._login(scope, receive, send, gradio)
            return
        token, user, ended = self._caller(request, gradio)
        self.sessions.sweep(gradio.tokens)
        self.files.sweep()
        self.uploads.sweep()
        refusal = None
        if ended and path != "/logout":  # logging out again must get through
            refusal = _expired(request, gradio.cookie_id)
        elif path.startswith(FILES_ROUTE.rstrip("/")):
            refusal = self._session_file(path, token if user is not None else None)
        elif user is not None:
            refusal = self._refusal(path, user, token)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        if path == "/logout":
            send = self._after_login_or_logout(gradio, send)
        elif path == UPLOAD_ROUTE and token is not None and user is not None:
            send = self._recording_uploads(token, send)
        await self.app(scope, receive, send)

    # ---- who is asking -------------------------------------------------------------------------

    def _caller(self, request: Request, gradio: Any) -> tuple[str | None, str | None, bool]:
        """(token, user name of a live session or None, whether this request's session just ended)."""
        token = _token(request, gradio.cookie_id)
        user = gradio.tokens.get(token) if token else None
        if token is None or user is None:
            return None, None, False  # no login at all: Gradio refuses what needs one
        if not self.sessions.admit(token, gradio.tokens):
            return token, None, True
        return token, user, False

    # ---- login ---------------------------------------------------------------------------------

    async def _login(self, scope: Scope, receive: Receive, send: Send, gradio: Any) -> None:
        """Count the attempt per address and name, refuse it cheaply when over the limits, else
        let Gradio check it (`login_check`) and take the count back when it succeeds."""
        body = await _read_body(receive, LOGIN_BODY_LIMIT)
        if body is None:
            await JSONResponse({"detail": "登录请求过大。"}, status_code=413)(scope, receive, send)
            return
        replay = _replaying(body, receive)
        form = await _form(scope, replay())
        name = str(form.get("username") or "").strip()
        address = (scope.get("client") or ("unknown", 0))[0]
        if not self.throttle.begin(address, name):
            log.warning("login refused by the throttle (%s)", self.throttle.refusal(address, name))
            # 400, as for a wrong password: Gradio's login page shows an error only for 400.
            await JSONResponse({"detail": THROTTLED}, status_code=400)(scope, receive, send)
            return

        async def answered(message: Message) -> None:
            if message["type"] == "http.response.start":
                if message["status"] == 200:
                    self.throttle.succeeded(address, name)
                self.sessions.adopt(gradio.tokens)
                self.sessions.sweep(gradio.tokens)
            await send(message)

        await self.app(scope, replay(), answered)

    # ---- files ---------------------------------------------------------------------------------

    def _session_file(self, path: str, token: str | None) -> Response:
        if token is None:
            detail = {"error": "Not authenticated", "auth_message": EXPIRED}
            return JSONResponse({"detail": detail}, status_code=401)
        key, _, name = path[len(FILES_ROUTE) :].partition("/")
        found = self.files.find(token, key, unquote(name))
        if found is False:
            return JSONResponse({"detail": NOT_YOURS}, status_code=403)
        if not isinstance(found, Path):
            return JSONResponse({"detail": GONE}, status_code=404)
        return FileResponse(found, filename=found.name, headers={"Cache-Control": "no-store"})

    def _refusal(self, path: str, user: str, token: str | None) -> Response | None:
        if path == UPLOAD_ROUTE and not self.may_upload(user):
            return JSONResponse({"detail": UPLOAD_REFUSED}, status_code=403)
        file = _file_of(path)
        if file is not None and not self._own_upload(file, token):
            return JSONResponse({"detail": FILE_REFUSED}, status_code=403)
        return None

    def _own_upload(self, file: str, token: str | None) -> bool:
        """Whether the file route may serve `file`: only a file this session uploaded itself,
        resolved the way Gradio resolves it (relative to the working directory, links followed)."""
        if file.startswith(("http://", "https://")):
            return False  # Gradio would fetch it for the caller: nothing in this app needs that
        try:
            target = str(Path(os.path.abspath(file)).resolve())
        except (OSError, ValueError):
            return False
        return self.uploads.owns(token, target)

    def _recording_uploads(self, token: str, send: Send) -> Send:
        """Note the paths Gradio's upload route answers with as this session's uploads."""
        status = 0
        body = bytearray()

        async def wrapped(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and status == 200:
                body.extend(message.get("body", b""))
                if not message.get("more_body", False):
                    self.uploads.record(token, _paths(bytes(body)))
            await send(message)

        return wrapped

    def _after_login_or_logout(self, gradio: Any, send: Send) -> Send:
        """Catch the moment Gradio answers /logout: its token dict has just changed and the
        browser has not yet seen the new cookie, so no request can race the bookkeeping."""

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.sessions.sweep(gradio.tokens)
            await send(message)

        return wrapped


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _token(request: Any, cookie_id: str) -> str | None:
    # The same cookie, in the same order, as Gradio's own `get_current_user`.
    return request.cookies.get(f"access-token-{cookie_id}") or request.cookies.get(f"access-token-unsecure-{cookie_id}")


def _file_of(path: str) -> str | None:
    for prefix in FILE_ROUTES:
        if path.startswith(prefix):
            return path[len(prefix) :]
    return None


def _paths(body: bytes) -> list[str]:
    try:
        paths = json.loads(body)
    except ValueError:
        return []
    return [path for path in paths if isinstance(path, str)] if isinstance(paths, list) else []


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None when it is longer than `limit`."""
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return bytes(body)
        body.extend(message.get("body", b""))
        if len(body) > limit:
            return None
        if not message.get("more_body", False):
            return bytes(body)


def _replaying(body: bytes, receive: Receive) -> Callable[[], Receive]:
    """Fresh `receive` callables that each hand out `body` once, then listen to the real client
    (a disconnect)."""

    def make() -> Receive:
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        return replay

    return make


async def _form(scope: Scope, receive: Receive) -> FormData:
    try:
        return await Request(scope, receive).form()
    except Exception:  # a malformed form: no name, so Gradio answers it (with 422)
        return FormData()


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
