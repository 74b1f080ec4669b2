"""A tiny OpenAI-compatible server for tests: the one seam we test through a stand-in.

    with FakeLLMServer() as server:
        server.script(Reply(chunks=["据", "报告[1]"]))
        settings = Settings(llm_base_url=server.base_url, llm_model="test-model", ...)
        ...
        assert "问题" in server.requests[-1].prompt

It speaks just enough of the API for the real `openai` / LangChain client: POST
/v1/chat/completions (plain JSON, or server-sent events when the request says `"stream": true`)
and GET /v1/models. Replies come from a queue the test fills (`script`), or from a function of the
request (`responder`), else `default_reply`. A reply can wait before answering (timeouts), pause
between stream chunks (to prove tokens arrive one by one), return an HTTP error, or send a broken
stream. Every request is recorded. Standard library only; each request is served on its own
daemon thread, so a handler still sleeping never blocks `stop()`.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    """One scripted answer. `chunks` (streaming) defaults to `text` in one piece."""

    text: str = ""
    chunks: tuple[str, ...] | list[str] | None = None
    delay: float = 0.0  # seconds before the status line: longer than the client timeout = timeout
    chunk_delay: float = 0.0  # seconds between stream chunks
    status: int = 200  # anything else: an OpenAI-style error body with this status
    malformed: bool = False  # stream: one valid chunk, then a `data:` line that is not JSON

    @property
    def pieces(self) -> list[str]:
        return list(self.chunks) if self.chunks is not None else [self.text]


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    @property
    def prompt(self) -> str:
        """All message contents joined: what the model was shown."""
        return "\n".join(str(message.get("content", "")) for message in self.messages)


class FakeLLMServer:
    def __init__(self, model: str = "test-model") -> None:
        self.model = model
        self.requests: list[RecordedRequest] = []
        self.replies: deque[Reply] = deque()
        self.responder: Callable[[RecordedRequest], Reply] | None = None
        self.default_reply = Reply(text="好的。")
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def script(self, *replies: Reply | str) -> None:
        """Queue replies, answered in order; a plain string is a one-piece text reply."""
        self.replies.extend(Reply(text=r) if isinstance(r, str) else r for r in replies)

    def start(self) -> FakeLLMServer:
        self._stopping.clear()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False  # type: ignore[attr-defined]
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,), name="fake-llm", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; handlers still waiting on a delay give up at once."""
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # Called from handler threads.
    def _record(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            if self.replies:
                return self.replies.popleft()
        if self.responder is not None:
            return self.responder(request)
        return self.default_reply

    def _wait(self, seconds: float) -> bool:
        """Sleep unless the server is stopping; True when it is time to give up."""
        return seconds > 0 and self._stopping.wait(seconds)


def _handler_for(server: FakeLLMServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.0: the body ends when the connection closes, which is all SSE needs here.
        protocol_version = "HTTP/1.0"

        def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
            pass

        def do_GET(self) -> None:
            server._record(RecordedRequest("GET", self.path, self._headers()))
            if self.path.rstrip("/").endswith("/models"):
                models = {
                    "object": "list",
                    "data": [{"id": server.model, "object": "model", "created": 0, "owned_by": "tests"}],
                }
                self._send_json(200, models)
            else:
                self._send_json(404, _error_body("not found", "not_found"))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                self._send_json(400, _error_body("request body is not JSON", "invalid_request_error"))
                return
            reply = server._record(RecordedRequest("POST", self.path, self._headers(), body))
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send_json(404, _error_body("not found", "not_found"))
                return
            if server._wait(reply.delay):
                return
            try:
                if reply.status != 200:
                    self._send_json(reply.status, _error_body(f"scripted error {reply.status}", "scripted"))
                elif body.get("stream"):
                    self._send_stream(reply)
                else:
                    self._send_json(200, _completion(server.model, "".join(reply.pieces)))
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up first (a timeout test): nothing left to tell it

        def _headers(self) -> dict[str, str]:
            return {name.lower(): value for name, value in self.headers.items()}

        def _send_json(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _send_stream(self, reply: Reply) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            self._event(_chunk(server.model, {"role": "assistant", "content": ""}))
            for number, piece in enumerate(reply.pieces):
                if number and server._wait(reply.chunk_delay):
                    return
                self._event(_chunk(server.model, {"content": piece}))
                if reply.malformed:
                    self.wfile.write(b'data: {"choices": [{"delta": {"content": \n\n')
                    return
            self._event(_chunk(server.model, {}, finish_reason="stop"))
            self.wfile.write(b"data: [DONE]\n\n")

        def _event(self, payload: dict[str, Any]) -> None:
            self.wfile.write(b"data: " + json.dumps(payload, ensure_ascii=False).encode("utf-8") + b"\n\n")
            self.wfile.flush()

    return Handler


def _completion(model: str, text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _chunk(model: str, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def _error_body(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "code": kind}}
