"""What the wiring of every page shares: `Context` (the assistant, the users file, the session
files, who is asking), `friendly` (errors as one Chinese sentence) and `PRIVATE` (no named API).

    ctx = Context(assistant, users, files, uploads)
    def on_click(value, request: gr.Request):
        with friendly():
            me = ctx.principal(request)
            ...

Each page module (`chat_page`, `library_page`, `admin_page`) lays out its components, wires
their events to its handler module, and returns a `Page`: the components the page's load event
fills and the function that fills them for a principal.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.errors import AssistantError
from assistant.models import Principal
from assistant.service import Assistant
from assistant.ui import handlers as h
from assistant.ui.files import SessionFiles, Uploads
from assistant.users import UserStore

log = logging.getLogger(__name__)

PRIVATE: dict[str, Any] = {"api_visibility": "private"}
# One ingest at a time: it writes the index that every question reads.
INGEST_QUEUE: dict[str, Any] = {"concurrency_limit": 1, "concurrency_id": "ingest", **PRIVATE}
_UNEXPECTED = "处理请求时出错，请稍后再试；如果反复出现，请联系管理员查看日志。"


@contextmanager
def friendly() -> Iterator[None]:
    """Expected failures become their own sentence; anything else a generic one (logged)."""
    try:
        yield
    except gr.Error:
        raise
    except AssistantError as exc:
        raise gr.Error(str(exc), title="提示", print_exception=False) from None
    except Exception:
        log.exception("UI event failed")
        raise gr.Error(_UNEXPECTED, title="出错了", print_exception=False) from None


@dataclass
class Context:
    assistant: Assistant
    users: UserStore
    files: SessionFiles
    uploads: Uploads

    @property
    def uploads_dir(self) -> Path:
        return self.assistant.settings.index_dir / "uploads"

    def principal(self, request: gr.Request) -> Principal:
        """Who is asking: the logged-in user's role from the users file, never from the browser."""
        return h.principal_for(self.users, getattr(request, "username", None))


@dataclass
class Page:
    """What the page's part of the load event fills, and how, for a principal."""

    outputs: Sequence[gr.components.Component | gr.blocks.BlockContext]
    load: Callable[[Principal], tuple[Any, ...]]
