"""What the web UI does, as plain functions (inputs → outputs) that tests call directly.

`app.py` only lays out components and wires events to these functions and to those of the
pages' own modules (`conversation`, `sources`, `documents`, `admin`). Every function that
touches records takes the `Principal` resolved on the server from the logged-in user name
(`principal_for`), never a role sent by the browser, and every record shown comes from
`Assistant.ask` for that principal: the sources panel and page images render only citations of
the answer this user was given, and the cited chunk's access level is checked again before a
page is drawn (`sources`). Text from records, files and models is escaped (`markup`) wherever it
is shown, so a title is never a live image or link. Files the user receives (exports, page
images) are kept for the user's login session only (`files.SessionFiles`), and an upload is
accepted only from the session that sent it (`files.Uploads`), with the access level the
uploader chose (not 开放 unless chosen).
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant import audit
from assistant.access import clearance
from assistant.errors import AssistantError
from assistant.index import db
from assistant.ingest.catalogue import CATALOGUE_SUFFIXES as CATALOGUES
from assistant.ingest.pipeline import SUPPORTED_SUFFIXES
from assistant.models import AccessChoice, Answer, FileResult, Filters, IngestReport, Principal, Role
from assistant.prompts import Mode
from assistant.service import Assistant
from assistant.text.years import years_of
from assistant.ui import conversation, sources
from assistant.ui.conversation import Chat, Message
from assistant.ui.export import export_answer
from assistant.ui.files import Link, SessionFiles, Uploads
from assistant.ui.markup import markdown_text
from assistant.ui.sources import PageView, Turn
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
DEFAULT_UPLOAD_STATUS = "未审核"
YEARS = (1, 9999)  # what a 年度 filter may say

Progress = Callable[[int, int, str], None]


class UIError(AssistantError):
    """A request the UI refuses, as one sentence for the user."""


@dataclass(frozen=True)
class AskResult:
    chat: Chat  # the conversation with this turn (stored once the answer is final)
    history: list[Message]  # the chatbot's messages
    turn: Turn | None  # None while the answer is still being written
    sources: str
    choices: list[tuple[str, str]]


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
    """What this user may search, in plain words. Counts are of what the user's clearance lets
    them see, never index-wide (which would tell a reader how much is restricted); readers get no
    counts at all. Models and other technical status are on the admin page only; an admin is
    pointed there when something needs attention."""
    if principal.role is Role.READER:
        return "回答只依据您有权查阅的馆藏资料，并注明出处。"
    counts = db.visible_stats(assistant.index.conn, clearance(principal))
    line = f"可检索文档 {counts['sources']} 个 · 目录条目 {counts['catalogue_rows']} 条"
    if principal.role is Role.ADMIN and assistant.status().embedding_warning:
        return f"{line} · ⚠ 检索质量需要注意，详见“管理”页"
    return line


# ---- asking -----------------------------------------------------------------------------------


def build_filters(
    fonds: str | None, year_from: float | None, year_to: float | None, kinds: Sequence[str] | None
) -> Filters:
    low, high = _year(year_from, "起始年度"), _year(year_to, "截止年度")
    if low is not None and high is not None and low > high:
        raise UIError(f"起始年度 {low} 晚于截止年度 {high}，请检查筛选条件。")
    # The page sends the Chinese labels (Gradio shows a choice's value as its tooltip); scripts
    # and the MCP tools may send the kinds themselves.
    by_label = {label: value for label, value in KIND_CHOICES} | {value: value for _, value in KIND_CHOICES}
    return Filters(
        fonds=(fonds or "").strip() or None,
        year_from=low,
        year_to=high,
        kinds=tuple(by_label[kind] for kind in kinds or () if kind in by_label),
    )


def _year(value: float | str | None, label: str) -> int | None:
    if value is None or value == "" or value == 0:  # an emptied gr.Number sends 0: no year
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
    chat: Chat | None,
    mode_label: str | None,
    fonds: str | None = None,
    year_from: float | None = None,
    year_to: float | None = None,
    kinds: Sequence[str] | None = None,
    figures: str = "",
) -> Iterator[AskResult]:
    """Partial results while a model streams (turn None), then the final result, whose turn is
    stored in the user's conversation. The follow-up history comes from the stored conversation
    (what this user was shown), never from what the browser sends."""
    question = (question or "").strip()
    if not question:
        raise UIError("请输入问题。")
    chat = conversation.own(chat, principal)
    mode = mode_value(mode_label)
    filters = build_filters(fonds, year_from, year_to, kinds)
    asked = [*conversation.messages(chat), {"role": "user", "content": markdown_text(question)}]
    written = ""
    answer: Answer | None = None
    events = run_mode(assistant, mode, question, principal, filters, conversation.history(chat), figures)
    for event in events:
        if isinstance(event, Answer):
            answer = event
        else:
            written += event
            partial = markdown_text(written) + " ▌"
            yield AskResult(chat, [*asked, {"role": "assistant", "content": partial}], None, "正在生成回答……", [])
    assert answer is not None
    if answer.status != "answered" and (active := filter_words(filters)):
        answer.warnings.append(f"本次检索启用了筛选条件（{active}），清除筛选条件后再问一次，可能找到更多资料。")
    chat = conversation.store(assistant, principal, chat, mode, answer)
    turn = Turn(principal.name, mode, answer)
    kinds_ = sources.cited_kinds(assistant, answer)
    yield AskResult(
        chat,
        conversation.messages(chat),
        turn,
        sources.render_sources(answer, kinds_),
        sources.citation_choices(answer),
    )


def ask(
    assistant: Assistant,
    principal: Principal,
    question: str,
    chat: Chat | None,
    mode_label: str | None,
    fonds: str | None = None,
    year_from: float | None = None,
    year_to: float | None = None,
    kinds: Sequence[str] | None = None,
    figures: str = "",
) -> AskResult:
    """The final result of `ask_stream`."""
    results = ask_stream(assistant, principal, question, chat, mode_label, fonds, year_from, year_to, kinds, figures)
    return list(results)[-1]


def filter_words(filters: Filters) -> str:
    """The active filters in words (全宗 38 · 1970—1980年 · 档案目录), '' when none."""
    parts = []
    if filters.fonds:
        parts.append(f"全宗 {filters.fonds}")
    if filters.year_from is not None or filters.year_to is not None:
        parts.append(years_of(filters.year_from, filters.year_to))
    labels = dict((value, label) for label, value in KIND_CHOICES)
    if filters.kinds:
        parts.append("、".join(labels[kind] for kind in filters.kinds))
    return " · ".join(parts)


def filter_badge(fonds: str | None, year_from: float | None, year_to: float | None, kinds: Sequence[str] | None) -> str:
    """The badge above the question box: the filters that apply to every answer, or a problem with them."""
    try:
        words = filter_words(build_filters(fonds, year_from, year_to, kinds))
    except UIError as exc:
        return f"⚠ 筛选条件有误：{exc}"
    return f"🔎 已启用筛选：{markdown_text(words)}" if words else ""


# ---- upload -----------------------------------------------------------------------------------


def upload(
    assistant: Assistant,
    principal: Principal,
    files: Sequence[str | Path] | None,
    uploads_dir: Path,
    uploads: Uploads,
    session: str | None,
    progress: Progress | None = None,
    choice: AccessChoice | None = None,
) -> UploadResult:
    """Save the files this session uploaded under `uploads_dir` (same name = new version) and
    ingest them with the access the uploader chose (`choice`; 未审核 when none, so an upload is
    never open to readers unless someone says so; a 密级 only from an admin). The role is
    checked before anything is touched; a path this session did not upload (`Uploads.claim`) is
    refused and left where it is. Gradio's copies of this session's uploads are deleted once the
    index has its own (or refused them). Audited."""
    if not can_upload(principal):
        raise UIError(UPLOAD_REFUSED)
    if not files:
        raise UIError("请先选择要上传的文件。")
    choice = choice or AccessChoice(DEFAULT_UPLOAD_STATUS)
    if choice.classification and principal.role is not Role.ADMIN:
        raise UIError("只有管理员可以设定密级。")
    mine, others = uploads.claim(session, [str(file) for file in files])
    refused = [
        FileResult(Path(path).name, "failed", message=f"{Path(path).name}: {NOT_THIS_SESSION}") for path in others
    ]
    try:
        report = _save_and_ingest(
            assistant, principal, [Path(path) for path in mine], uploads_dir.resolve(), progress, choice
        )
    finally:
        for path in mine:
            Path(path).unlink(missing_ok=True)
    report.files[:0] = refused
    stored = [Path(f.path).name for f in report.files if f.status != "failed"]
    if stored:
        shown = "，".join(part for part in (choice.open_status, choice.classification) if part)
        audit.record_action(assistant.index.conn, principal, "upload", f"{'、'.join(stored)}（{shown}）")
    return UploadResult(upload_summary(report, uploads_dir.resolve(), choice), report)


def _save_and_ingest(
    assistant: Assistant,
    principal: Principal,
    files: Sequence[Path],
    uploads_dir: Path,
    progress: Progress | None,
    choice: AccessChoice,
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
    report = assistant.ingest(saved, progress, choice=choice, added_by=principal.name) if saved else IngestReport()
    report.files[:0] = refused
    return report


def upload_summary(report: IngestReport, uploads_dir: Path, choice: AccessChoice | None = None) -> str:
    lines = []
    level = "，".join(part for part in (choice.open_status, choice.classification) if part) if choice else ""
    for result in report.files:
        name = markdown_text(Path(result.path).name)
        if result.status == "ingested":
            notes = [f"{result.chunks} 段"]
            if level:
                catalogue = Path(result.path).suffix.lower() in CATALOGUES
                notes.append("目录按每条的开放状态定级" if catalogue else f"访问级别：{level}")
            if result.message:  # OCR warnings, catalogue links
                notes.append(markdown_text(result.message))
            lines.append(f"- ✓ {name}：已导入（{'；'.join(notes)}）")
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
