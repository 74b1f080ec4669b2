"""What the web UI does, as plain functions (inputs → outputs) that tests call directly.

`app.py` only lays out components and wires events to these functions. Every function that
touches records takes the `Principal` resolved on the server from the logged-in user name
(`principal_for`), never a role sent by the browser, and every record shown comes from
`Assistant.ask` for that principal: the sources panel and page images render only citations of
the answer this user was given, and the cited chunk's access level is checked again before a
page is drawn.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from assistant.access import may_see
from assistant.errors import AssistantError
from assistant.ingest.pipeline import SUPPORTED_SUFFIXES
from assistant.models import Answer, Citation, FileResult, Filters, IngestReport, Principal, Role
from assistant.prompts import Mode
from assistant.service import Assistant
from assistant.ui.export import describe, export_answer
from assistant.ui.render import render_page
from assistant.users import UserStore

# Mode labels shown in the UI → the mode value passed down. `run_mode` is the one place a mode acts.
MODES: dict[str, Mode] = {"问答": "ask", "起草": "draft", "入门": "onboard"}
DEFAULT_MODE = "问答"

KIND_CHOICES: list[tuple[str, str]] = [
    ("工作报告", "report"),
    ("指南手册", "guide"),
    ("档案目录", "catalogue"),
    ("其他文本", "text"),
]
ROLE_LABELS = {Role.READER: "读者", Role.STAFF: "馆员", Role.ADMIN: "管理员"}
UPLOAD_ROLES = {Role.STAFF, Role.ADMIN}
UPLOAD_REFUSED = "只有馆员和管理员可以上传文件。"

Message = dict[str, Any]
Progress = Callable[[int, int, str], None]


class UIError(AssistantError):
    """A request the UI refuses, as one sentence for the user."""


@dataclass(frozen=True)
class Turn:
    """The last answer given in a browser session, kept server-side in `gr.State`."""

    user: str
    mode: Mode
    answer: Answer


@dataclass(frozen=True)
class AskResult:
    history: list[Message]
    turn: Turn | None  # None while the answer is still being written
    sources: str
    choices: list[tuple[str, str]]


@dataclass(frozen=True)
class PageView:
    image: Image.Image | None
    caption: str


@dataclass(frozen=True)
class UploadResult:
    message: str
    report: IngestReport


# ---- who is asking ----------------------------------------------------------------------------


def principal_for(users: UserStore, username: str | None) -> Principal:
    """The principal of a logged-in user, from the users file (so removed users lose access)."""
    role = users.role_of(username) if username else None
    if role is None:
        raise UIError("请重新登录：当前账号不存在或已被停用。")
    return Principal(name=username or "", role=role)


def can_upload(principal: Principal) -> bool:
    return principal.role in UPLOAD_ROLES


def may_upload(users: UserStore, username: str | None) -> bool:
    """Whether this logged-in user may send files at all (checked before Gradio stores a byte)."""
    try:
        return can_upload(principal_for(users, username))
    except UIError:
        return False


def welcome(principal: Principal) -> str:
    return f"当前用户：**{principal.name}**（{ROLE_LABELS[principal.role]}）"


def status_line(assistant: Assistant) -> str:
    """Documents, chunks, embedding model and answerer; the offline-fallback warning stands out."""
    status = assistant.status()
    line = status.summary().split("\n", 1)[0]
    if status.embedding_warning:
        return f"{line}\n\n> ⚠ **检索质量警告**：{status.embedding_warning}"
    return line


# ---- asking -----------------------------------------------------------------------------------


def build_filters(
    fonds: str | None, year_from: float | None, year_to: float | None, kinds: Sequence[str] | None
) -> Filters:
    low = int(year_from) if year_from not in (None, "") else None
    high = int(year_to) if year_to not in (None, "") else None
    if low is not None and high is not None and low > high:
        raise UIError(f"起始年度 {low} 晚于截止年度 {high}，请检查筛选条件。")
    known = {value for _, value in KIND_CHOICES}
    return Filters(
        fonds=(fonds or "").strip() or None,
        year_from=low,
        year_to=high,
        kinds=tuple(kind for kind in kinds or () if kind in known),
    )


def mode_value(label: str | None) -> Mode:
    return MODES.get(label or DEFAULT_MODE, MODES[DEFAULT_MODE])


def mode_label(mode: str) -> str:
    return next((label for label, value in MODES.items() if value == mode), DEFAULT_MODE)


def run_mode(
    assistant: Assistant,
    mode: Mode,
    question: str,
    principal: Principal,
    filters: Filters,
    history: Sequence[tuple[str, str]] = (),
    figures: str = "",
) -> Iterator[str | Answer]:
    """The one place a mode value turns into a call: text pieces while a model writes, then the Answer."""
    return assistant.ask_stream(question, principal, filters, mode=mode, history=history, figures=figures)


def ask_stream(
    assistant: Assistant,
    principal: Principal,
    question: str,
    history: list[Message] | None,
    mode_label: str | None,
    fonds: str | None = None,
    year_from: float | None = None,
    year_to: float | None = None,
    kinds: Sequence[str] | None = None,
    figures: str = "",
) -> Iterator[AskResult]:
    """Partial results while a model streams (turn None), then the final result."""
    question = (question or "").strip()
    if not question:
        raise UIError("请输入问题。")
    mode = mode_value(mode_label)
    filters = build_filters(fonds, year_from, year_to, kinds)
    asked = [*(history or []), {"role": "user", "content": question}]
    written = ""
    answer: Answer | None = None
    for event in run_mode(assistant, mode, question, principal, filters, conversation(history), figures):
        if isinstance(event, Answer):
            answer = event
        else:
            written += event
            yield AskResult([*asked, {"role": "assistant", "content": written + " ▌"}], None, "正在生成回答……", [])
    assert answer is not None
    final = [*asked, {"role": "assistant", "content": chat_text(answer, mode)}]
    yield AskResult(final, Turn(principal.name, mode, answer), render_sources(answer), citation_choices(answer))


def ask(
    assistant: Assistant,
    principal: Principal,
    question: str,
    history: list[Message] | None,
    mode_label: str | None,
    fonds: str | None = None,
    year_from: float | None = None,
    year_to: float | None = None,
    kinds: Sequence[str] | None = None,
    figures: str = "",
) -> AskResult:
    """The final result of `ask_stream`."""
    results = ask_stream(assistant, principal, question, history, mode_label, fonds, year_from, year_to, kinds, figures)
    return list(results)[-1]


def conversation(history: list[Message] | None, turns: int = 3) -> list[tuple[str, str]]:
    """The last (question, answer) pairs of the chat, for rewriting a follow-up question."""
    pairs: list[tuple[str, str]] = []
    pending: str | None = None
    for message in history or []:
        content = message.get("content")
        text = content if isinstance(content, str) else ""
        if message.get("role") == "user":
            pending = text
        elif message.get("role") == "assistant" and pending is not None:
            pairs.append((pending, text))
            pending = None
    return pairs[-turns:]


def chat_text(answer: Answer, mode: str) -> str:
    parts = [] if mode == "ask" else [f"*【{mode_label(mode)}】*"]
    parts.append(answer.answer)
    if answer.citations:
        parts.append("出处：" + "；".join(f"[{c.id}] {describe(c)}" for c in answer.citations))
    parts.extend(f"⚠ {warning}" for warning in answer.warnings)
    return "\n\n".join(parts)


def render_sources(answer: Answer | None) -> str:
    """The sources panel: each citation's file, page or 档号, fonds and quoted text."""
    if answer is None:
        return "提问后，这里列出回答引用的出处。"
    if not answer.citations:
        return "本次回答没有引用出处。"
    blocks = []
    for citation in answer.citations:
        quote = " ".join(citation.text.split())
        blocks.append(f"**[{citation.id}] {describe(citation)}**\n\n> {quote}")
    return "\n\n".join(blocks)


def citation_choices(answer: Answer) -> list[tuple[str, str]]:
    """(label, value) pairs for the citation picker; value is the citation number."""
    return [(f"[{c.id}] {_short_place(c)}", str(c.id)) for c in answer.citations]


def _short_place(citation: Citation) -> str:
    if citation.page:
        return f"{citation.source} 第{citation.page}页"
    if citation.archival_code:
        return f"档号 {citation.archival_code}"
    return citation.source


# ---- the cited page ---------------------------------------------------------------------------


def show_page(assistant: Assistant, principal: Principal, turn: Turn | None, choice: str | None) -> PageView:
    """The rendered PDF page of one citation of this user's last answer."""
    if turn is None or not choice:
        return PageView(None, "")
    if turn.user != principal.name:
        raise UIError("该回答不属于当前用户，请重新提问。")
    citation = next((c for c in turn.answer.citations if str(c.id) == str(choice)), None)
    if citation is None:
        raise UIError("没有这个出处，请重新选择。")
    row = assistant.index.conn.execute(
        "SELECT s.path, c.access_level FROM chunks c JOIN sources s ON s.id = c.source_id WHERE c.id = ?",
        (citation.chunk_id,),
    ).fetchone()
    if row is None:
        raise UIError("该出处已从索引中移除，请重新提问。")
    path, level = Path(row[0]), int(row[1])
    if not may_see(principal, level):
        raise UIError("您无权查看该出处。")
    if citation.page is None:
        return PageView(None, f"{describe(citation)}：目录条目或无页码的文本，没有页面图像。")
    if path.suffix.lower() != ".pdf":
        return PageView(None, f"{describe(citation)}：不是 PDF 文件，没有页面图像。")
    image = render_page(path, citation.page, citation.text)
    return PageView(image, f"{describe(citation)}（底色标出引用段落）")


# ---- upload -----------------------------------------------------------------------------------


def upload(
    assistant: Assistant,
    principal: Principal,
    files: Sequence[str | Path] | None,
    uploads_dir: Path,
    progress: Progress | None = None,
) -> UploadResult:
    """Save uploaded files under `uploads_dir` (same name = new version) and ingest them."""
    if not can_upload(principal):
        raise UIError(UPLOAD_REFUSED)
    if not files:
        raise UIError("请先选择要上传的文件。")
    uploads_dir = uploads_dir.resolve()
    uploads_dir.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    refused: list[FileResult] = []
    for file in files:
        name = Path(file).name
        if name.startswith(".") or Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
            refused.append(FileResult(name, "failed", message=f"{name}: 不支持的文件类型"))
            continue
        target = uploads_dir / name
        shutil.copyfile(file, target)
        saved.append(target)
    report = assistant.ingest(saved, progress) if saved else IngestReport()
    report.files[:0] = refused
    return UploadResult(upload_summary(report, uploads_dir), report)


def upload_summary(report: IngestReport, uploads_dir: Path) -> str:
    lines = []
    for result in report.files:
        name = Path(result.path).name
        if result.status == "ingested":
            note = f"（{result.message}）" if result.message else ""  # OCR warnings, catalogue links
            lines.append(f"- ✓ {name}：已导入，{result.chunks} 个文本块{note}")
        elif result.status == "unchanged":
            lines.append(f"- ＝ {name}：内容未变化，已跳过")
        else:
            message = result.message.replace(f"{uploads_dir}/", "")
            lines.append(f"- ✗ {name}：导入失败（{message}）")
    done = sum(r.status != "failed" for r in report.files)
    head = f"共 {len(report.files)} 个文件，成功 {done} 个，失败 {len(report.failed)} 个。"
    return "\n".join([head, "", *lines])


# ---- export -----------------------------------------------------------------------------------


def export(principal: Principal, turn: Turn | None, exports_dir: Path) -> list[str]:
    """The last answer of this user as Markdown and DOCX files, in this user's own folder."""
    if turn is None:
        raise UIError("还没有可导出的回答，请先提问。")
    if turn.user != principal.name:
        raise UIError("该回答不属于当前用户，请重新提问。")
    folder = export_folder(exports_dir, principal.name)
    return [str(p) for p in export_answer(turn.answer, folder, mode=mode_label(turn.mode), asked_by=principal.name)]


def export_folder(exports_dir: Path, username: str) -> Path:
    """A user's own folder of exports. Named by a hash, not the name: user names may hold any
    character, and the folder (seen in download links) need not tell who the user is; the web
    guard serves files in it to that user only."""
    return exports_dir / hashlib.sha256(username.encode()).hexdigest()[:16]
