"""What the web UI does, as plain functions (inputs → outputs) that tests call directly.

`app.py` only lays out components and wires events to these functions. Every function that
touches records takes the `Principal` resolved on the server from the logged-in user name
(`principal_for`), never a role sent by the browser, and every record shown comes from
`Assistant.ask` for that principal: the sources panel and page images render only citations of
the answer this user was given, and the cited chunk's access level is checked again before a
page is drawn. Text from records, files and models is escaped (`markup`) wherever it is shown,
so a title is never a live image or link. Files the user receives (exports, page images) are
kept for the user's login session only (`files.SessionFiles`), and an upload is accepted only
from the session that sent it (`files.Uploads`).
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from assistant.access import clearance, may_see
from assistant.errors import AssistantError
from assistant.index import db
from assistant.ingest.pipeline import SUPPORTED_SUFFIXES
from assistant.models import Answer, Citation, FileResult, Filters, IngestReport, Principal, Role
from assistant.prompts import Mode
from assistant.service import Assistant
from assistant.ui.export import describe, export_answer
from assistant.ui.files import Link, SessionFiles, Uploads
from assistant.ui.markup import markdown_text, plain_text
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
NOT_THIS_SESSION = "不是本次登录上传的文件，已拒绝"
YEARS = (1, 9999)  # what a 年度 filter may say

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
    caption: str  # Markdown, record text escaped


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
    return f"当前用户：**{markdown_text(principal.name)}**（{ROLE_LABELS[principal.role]}）"


def status_line(assistant: Assistant, principal: Principal) -> str:
    """What this user may search. Counts are of what the user's clearance lets them see, never
    index-wide (which would tell a reader how much is restricted); readers get no counts and no
    model names at all. Staff see the embedding model and answerer, and the offline-fallback
    warning stands out."""
    if principal.role is Role.READER:
        return "回答只依据您有权查阅的馆藏资料，并注明出处。"
    status = assistant.status()
    counts = db.visible_stats(assistant.index.conn, clearance(principal))
    line = (
        f"文档 {counts['sources']} 个 · 文本块 {counts['chunks']} 个 · 目录条目 {counts['catalogue_rows']} 条 · "
        f"嵌入模型 {status.embedding_model} · 回答方式 {status.llm}"
    )
    if status.embedding_warning:
        return f"{line}\n\n> ⚠ **检索质量警告**：{status.embedding_warning}"
    return line


# ---- asking -----------------------------------------------------------------------------------


def build_filters(
    fonds: str | None, year_from: float | None, year_to: float | None, kinds: Sequence[str] | None
) -> Filters:
    low, high = _year(year_from, "起始年度"), _year(year_to, "截止年度")
    if low is not None and high is not None and low > high:
        raise UIError(f"起始年度 {low} 晚于截止年度 {high}，请检查筛选条件。")
    known = {value for _, value in KIND_CHOICES}
    return Filters(
        fonds=(fonds or "").strip() or None,
        year_from=low,
        year_to=high,
        kinds=tuple(kind for kind in kinds or () if kind in known),
    )


def _year(value: float | str | None, label: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UIError(f"{label}应是一个年份数字。") from None
    if not math.isfinite(number) or not YEARS[0] <= number <= YEARS[1]:
        raise UIError(f"{label}应在 {YEARS[0]} 到 {YEARS[1]} 之间。")
    return int(number)


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
    asked = [*(history or []), {"role": "user", "content": markdown_text(question)}]
    written = ""
    answer: Answer | None = None
    for event in run_mode(assistant, mode, question, principal, filters, conversation(history), figures):
        if isinstance(event, Answer):
            answer = event
        else:
            written += event
            partial = markdown_text(written) + " ▌"
            yield AskResult([*asked, {"role": "assistant", "content": partial}], None, "正在生成回答……", [])
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
        text = plain_text(content) if isinstance(content, str) else ""
        if message.get("role") == "user":
            pending = text
        elif message.get("role") == "assistant" and pending is not None:
            pairs.append((pending, text))
            pending = None
    return pairs[-turns:]


def chat_text(answer: Answer, mode: str) -> str:
    """The chat message: the answer, its sources and warnings, all shown as text."""
    parts = [] if mode == "ask" else [f"*【{mode_label(mode)}】*"]
    parts.append(markdown_text(answer.answer))
    if answer.citations:
        parts.append("出处：" + "；".join(markdown_text(f"[{c.id}] {describe(c)}") for c in answer.citations))
    parts.extend(f"⚠ {markdown_text(warning)}" for warning in answer.warnings)
    return "\n\n".join(parts)


def render_sources(answer: Answer | None) -> str:
    """The sources panel: each citation's file, page or 档号, fonds and quoted text."""
    if answer is None:
        return "提问后，这里列出回答引用的出处。"
    if not answer.citations:
        return "本次回答没有引用出处。"
    blocks = []
    for citation in answer.citations:
        quote = markdown_text(" ".join(citation.text.split()))
        blocks.append(f"**{markdown_text(f'[{citation.id}] {describe(citation)}')}**\n\n> {quote}")
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
    place = markdown_text(describe(citation))
    if citation.page is None:
        return PageView(None, f"{place}：目录条目或无页码的文本，没有页面图像。")
    if path.suffix.lower() != ".pdf":
        return PageView(None, f"{place}：不是 PDF 文件，没有页面图像。")
    image = render_page(path, citation.page, citation.text)
    return PageView(image, f"{place}（底色标出引用段落）")


# ---- upload -----------------------------------------------------------------------------------


def upload(
    assistant: Assistant,
    principal: Principal,
    files: Sequence[str | Path] | None,
    uploads_dir: Path,
    uploads: Uploads,
    session: str | None,
    progress: Progress | None = None,
) -> UploadResult:
    """Save the files this session uploaded under `uploads_dir` (same name = new version) and
    ingest them. The role is checked before anything is touched; a path this session did not
    upload (`Uploads.claim`) is refused and left where it is. Gradio's copies of this session's
    uploads are deleted once the index has its own (or refused them)."""
    if not can_upload(principal):
        raise UIError(UPLOAD_REFUSED)
    if not files:
        raise UIError("请先选择要上传的文件。")
    mine, others = uploads.claim(session, [str(file) for file in files])
    refused = [
        FileResult(Path(path).name, "failed", message=f"{Path(path).name}: {NOT_THIS_SESSION}") for path in others
    ]
    try:
        report = _save_and_ingest(assistant, [Path(path) for path in mine], uploads_dir.resolve(), progress)
    finally:
        for path in mine:
            Path(path).unlink(missing_ok=True)
    report.files[:0] = refused
    return UploadResult(upload_summary(report, uploads_dir.resolve()), report)


def _save_and_ingest(
    assistant: Assistant, files: Sequence[Path], uploads_dir: Path, progress: Progress | None
) -> IngestReport:
    uploads_dir.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    refused: list[FileResult] = []
    for file in files:
        name = file.name
        if name.startswith(".") or Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
            refused.append(FileResult(name, "failed", message=f"{name}: 不支持的文件类型"))
            continue
        target = uploads_dir / name
        shutil.copyfile(file, target)
        saved.append(target)
    report = assistant.ingest(saved, progress) if saved else IngestReport()
    report.files[:0] = refused
    return report


def upload_summary(report: IngestReport, uploads_dir: Path) -> str:
    lines = []
    for result in report.files:
        name = markdown_text(Path(result.path).name)
        if result.status == "ingested":
            note = f"（{markdown_text(result.message)}）" if result.message else ""  # OCR warnings, catalogue links
            lines.append(f"- ✓ {name}：已导入，{result.chunks} 个文本块{note}")
        elif result.status == "unchanged":
            lines.append(f"- ＝ {name}：内容未变化，已跳过")
        else:
            message = markdown_text(result.message.replace(f"{uploads_dir}/", ""))
            lines.append(f"- ✗ {name}：导入失败（{message}）")
    done = sum(r.status != "failed" for r in report.files)
    head = f"共 {len(report.files)} 个文件，成功 {done} 个，失败 {len(report.failed)} 个。"
    return "\n".join([head, "", *lines])


# ---- files for the user: exports and page images ----------------------------------------------


def export(principal: Principal, turn: Turn | None, files: SessionFiles, session: str | None) -> list[Link]:
    """The last answer of this user as Markdown and DOCX files, kept for this login session only."""
    if turn is None:
        raise UIError("还没有可导出的回答，请先提问。")
    if turn.user != principal.name:
        raise UIError("该回答不属于当前用户，请重新提问。")
    if session is None:
        raise UIError("无法确认当前登录，请重新登录。")
    label = mode_label(turn.mode)
    return files.store(session, lambda folder: export_answer(turn.answer, folder, mode=label, asked_by=principal.name))


def page_image(view: PageView, files: SessionFiles, session: str | None) -> Link | None:
    """The page image of `view` as a PNG kept for this login session only."""
    image = view.image
    if image is None or session is None:
        return None

    def write(folder: Path) -> list[Path]:
        path = folder / "page.png"
        image.save(path, format="PNG")
        return [path]

    (link,) = files.store(session, write)
    return link


def links_markdown(links: Sequence[Link]) -> str:
    """Download links for exported files (the server sends them as attachments)."""
    return "\n".join(f"- [{markdown_text(link.name)}]({link.url})" for link in links)


def image_markdown(link: Link | None, caption: str) -> str:
    """The page image, which opens on its own (full size) when clicked."""
    if link is None:
        return ""
    return f"[![{markdown_text(caption)}]({link.url})]({link.url})"
