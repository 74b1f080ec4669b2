"""A browser emulated over HTTP: what Gradio's page sends and receives for one login session
(`Browser`: log in, join the queue, read the event stream, apply the output diffs), so that the
load benchmark and the load and security tests can be many users at once without Chromium."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

API = "/gradio_api"
# The rest of the ask form as a browser sends it untouched: mode, 全宗号, years, kinds, figures.
ASK_FORM: list[Any] = ["问答", "", None, None, [], ""]
# The rest of the upload form as a browser sends it untouched: 开放状态 (the safe default), 密级.
UPLOAD_FORM: list[Any] = ["未审核", "无"]
TIMEOUT = httpx.Timeout(60.0, connect=10.0)


class ProtocolError(Exception):
    """The server did not answer the way it answers a browser."""


# ---- the browser, emulated ------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    fn_index: int
    trigger_id: int


@dataclass(frozen=True)
class Events:
    """The events a page can trigger, found in /config by the elem_id of their components."""

    load: Event
    ask: Event  # click on the 提问 button
    submit: Event  # Enter in the question box: the same handler
    export: Event
    upload: Event

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Events:
        ids = {c["props"]["elem_id"]: c["id"] for c in config["components"] if c.get("props", {}).get("elem_id")}
        deps = config["dependencies"]

        def on(target: int, kind: str) -> tuple[dict[str, Any], Event]:
            for dep in deps:
                if [target, kind] in [list(t) for t in dep["targets"]]:
                    return dep, Event(dep["id"], target)
            raise ProtocolError(f"no {kind} event on component {target} in /config")

        load = next((dep for dep in deps if any(t[1] == "load" for t in dep["targets"])), None)
        if load is None:
            raise ProtocolError("no load event in /config")
        asks = []
        for target, kind in ((ids["ask"], "click"), (ids["question"], "submit")):
            dep, event = on(target, kind)
            if ids["question"] not in dep["inputs"] or ids["chat"] not in dep["outputs"]:
                raise ProtocolError(f"the {kind} event does not take the question and fill the chat")
            asks.append(event)
        return cls(
            load=Event(load["id"], load["targets"][0][0]),
            ask=asks[0],
            submit=asks[1],
            export=on(ids["export"], "click")[1],
            upload=on(ids["upload"], "click")[1],
        )


@dataclass
class Reply:
    """One event's outcome: the final outputs and every state the page showed on the way."""

    seconds: float
    outputs: list[Any] | None = None
    states: list[list[Any]] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.outputs is not None


def apply_diff(value: Any, edits: list[list[Any]]) -> Any:
    """Apply one output's edits of a process_generating message, as Gradio's JS client does."""
    for action, path, new in edits:
        if not path:
            value = value + new if action == "append" else new
            continue
        parent = value
        for key in path[:-1]:
            parent = parent[key]
        last = path[-1]
        if action == "replace":
            parent[last] = new
        elif action == "append":
            parent[last] += new
        elif action == "add":
            if isinstance(parent, list):
                parent.insert(last, new)
            else:
                parent[last] = new
        elif action == "delete":
            del parent[last]
        else:
            raise ProtocolError(f"unknown diff action {action!r}")
    return value


def message_text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def chat_messages(outputs: Sequence[Any]) -> list[dict[str, Any]]:
    """The chat's messages in an ask event's outputs: the first output, sent as the message list
    itself or as an update that also carries the 👍/👎 marks ({"value": [...], "feedback_value": ...})."""
    chat = outputs[0] if outputs else None
    if isinstance(chat, dict):
        chat = chat.get("value")
    return [m for m in chat if isinstance(m, dict)] if isinstance(chat, list) else []


def last_answer(outputs: Sequence[Any]) -> str:
    """The text of the last assistant message in the chat output, less how a follow-up was
    understood (which depends on the questions before it, not on the answer)."""
    chat = chat_messages(outputs)
    answers = [message_text(m) for m in chat if m.get("role") == "assistant"]
    text = answers[-1] if answers else ""
    return "\n".join(line for line in text.splitlines() if "理解为：" not in line[:6]).strip()


def last_question(outputs: Sequence[Any]) -> str:
    chat = chat_messages(outputs)
    questions = [message_text(m) for m in chat if m.get("role") == "user"]
    return questions[-1] if questions else ""


def shown_text(outputs: Sequence[Any]) -> str:
    """Everything an ask event puts on the page except what the user typed: the assistant's chat
    messages (less their "理解为：" line, which restates the user's own questions), the sources
    panel, the citation picker's labels and the page caption."""
    _chat, _question, _turn, sources, pick, _image, caption, _exported = outputs[:8]  # then the conversation's
    said = [message_text(m) for m in chat_messages(outputs) if m.get("role") == "assistant"]
    parts = ["\n".join(line for line in text.splitlines() if "理解为：" not in line[:6]) for text in said]
    parts += [text for text in (sources, caption) if isinstance(text, str)]
    if isinstance(pick, dict):
        parts += [str(choice[0]) for choice in pick.get("choices") or []]
    return "\n".join(parts)


class Browser:
    """One person in one browser tab: a cookie jar, a session hash and the chat so far."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.events: Events | None = None
        self.session_hash = ""
        self.history: list[Any] = []
        self._heartbeat: asyncio.Task[None] | None = None

    async def login(self, name: str, password: str) -> None:
        response = await self.client.post("/login", data={"username": name, "password": password})
        if response.status_code != 200 or response.json().get("success") is not True:
            raise ProtocolError(f"login as {name}: HTTP {response.status_code} {response.text[:200]}")

    async def open_page(self) -> Reply:
        """Load the page as a new tab: the HTML, the config, the heartbeat and the load event."""
        await self.close_page()
        page = await self.client.get("/")
        config = await self.client.get("/config")
        if page.status_code != 200 or config.status_code != 200:
            raise ProtocolError(f"page HTTP {page.status_code}, /config HTTP {config.status_code}")
        self.events = Events.from_config(config.json())
        self.session_hash = secrets.token_hex(6)
        self.history = []
        self._heartbeat = asyncio.create_task(self._beat(self.session_hash))
        return await self.call(self.events.load, [])

    async def close_page(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
                await self._heartbeat
            self._heartbeat = None

    async def _beat(self, session_hash: str) -> None:
        async with self.client.stream("GET", f"{API}/heartbeat/{session_hash}", timeout=None) as stream:
            async for _ in stream.aiter_lines():
                pass

    async def ask(self, question: str, via: str = "click") -> Reply:
        assert self.events is not None, "open_page first"
        event = self.events.ask if via == "click" else self.events.submit
        reply = await self.call(event, [question, self.history, *ASK_FORM])
        if reply.ok and reply.outputs:
            self.history = chat_messages(reply.outputs)
        return reply

    async def call(self, event: Event, data: list[Any]) -> Reply:
        """Join the queue with one event and read its messages until the stream closes."""
        started = time.perf_counter()
        body = {
            "data": data,
            "event_data": None,
            "fn_index": event.fn_index,
            "trigger_id": event.trigger_id,
            "session_hash": self.session_hash,
        }
        joined = await self.client.post(f"{API}/queue/join", json=body)
        if joined.status_code != 200:
            return Reply(
                time.perf_counter() - started, error=f"queue/join HTTP {joined.status_code}: {joined.text[:200]}"
            )
        event_id = joined.json()["event_id"]
        reply = Reply(0.0)
        current: list[Any] | None = None
        params = {"session_hash": self.session_hash}
        async with self.client.stream("GET", f"{API}/queue/data", params=params) as stream:
            if stream.status_code != 200:
                await stream.aread()
                reply.error = f"queue/data HTTP {stream.status_code}: {stream.text[:200]}"
            else:
                async for line in stream.aiter_lines():
                    if not line.startswith("data:"):
                        continue
                    message = json.loads(line[5:])
                    kind = message.get("msg")
                    if kind == "close_stream":
                        break
                    if kind == "unexpected_error":
                        reply.error = f"unexpected_error: {message.get('message')}"
                        break
                    if message.get("event_id") != event_id:
                        continue
                    if kind in ("process_generating", "process_streaming"):
                        chunk = message["output"]["data"]
                        if current is None:
                            current = copy.deepcopy(chunk)
                        else:
                            current = [apply_diff(value, edits) for value, edits in zip(current, chunk, strict=True)]
                        reply.states.append(copy.deepcopy(current))
                    elif kind == "process_completed":
                        if message.get("success"):
                            reply.outputs = message["output"]["data"]
                            reply.states.append(reply.outputs)
                        else:
                            reply.error = f"event failed: {message['output'].get('error')}"
        reply.seconds = time.perf_counter() - started
        if reply.error is None and reply.outputs is None:
            reply.error = "the stream closed without process_completed"
        return reply


def async_client(base_url: str) -> httpx.AsyncClient:
    """A client of the app on loopback only (no proxy from the environment)."""
    if not base_url.startswith(("http://127.0.0.1:", "http://localhost:")):
        raise ValueError(f"loopback only, not {base_url}")
    return httpx.AsyncClient(base_url=base_url, timeout=TIMEOUT, trust_env=False)
