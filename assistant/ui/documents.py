"""The document library page (staff and admin): every source the user may see, with its kind,
year, pages or rows, access level, who added it and when, and OCR confidence for scans; search
and filter; delete, re-index and change the access level of the one selected.

The rows a user sees come from `Assistant.library` for their clearance (counts within it); the
listing shown in a tab is kept server-side (`Listing`), so a selected row is an index into it,
never an id sent by the browser, and every action checks the role and the source again in the
service. Cells are plain text in a Dataframe (no Markdown), so titles need no escaping there.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.access import CLASSIFIED, clearance
from assistant.errors import AssistantError
from assistant.index.library import SourceEntry
from assistant.models import AccessChoice, Principal, Role
from assistant.service import Assistant
from assistant.ui.markup import markdown_text

KIND_LABELS = {"report": "工作报告", "guide": "指南手册", "catalogue": "档案目录", "text": "其他文本"}
ALL_KINDS = "全部类型"
OPEN_STATUSES = ("开放", "控制使用", "延期开放", "未审核")
DEFAULT_STATUS = "未审核"  # an upload is not shown to readers until someone says it is open
CLASSIFICATIONS = ("无", "秘密", "机密", "绝密")
COLUMNS = ["文件名", "类型", "年度", "页数/条数", "访问级别", "添加人", "导入时间", "文字识别"]
LEVEL_WORDS = {0: "开放", 1: "不开放", 2: "涉密"}
MANAGERS = {Role.STAFF, Role.ADMIN}


class LibraryPageError(AssistantError):
    """A library request the UI refuses, as one sentence."""


@dataclass(frozen=True)
class Listing:
    """The rows shown in one tab, in order, for one user."""

    user: str
    entries: tuple[SourceEntry, ...] = ()


def may_manage(principal: Principal) -> bool:
    return principal.role in MANAGERS


def _check(principal: Principal) -> None:
    if not may_manage(principal):
        raise LibraryPageError("只有馆员和管理员可以查看文档库。")


def listing(assistant: Assistant, principal: Principal, text: str = "", kind_label: str = "") -> Listing:
    _check(principal)
    kind = next((kind for kind, label in KIND_LABELS.items() if label == kind_label), "")
    return Listing(principal.name, tuple(assistant.library(principal, text or "", kind)))


def rows(listing: Listing) -> list[list[str]]:
    return [
        [
            entry.name,
            KIND_LABELS.get(entry.kind, entry.kind),
            str(entry.year or ""),
            _size(entry),
            access_label(entry),
            entry.added_by or "",
            entry.added_at[:16],
            _ocr(entry),
        ]
        for entry in listing.entries
    ]


def _size(entry: SourceEntry) -> str:
    if entry.kind == "catalogue":
        return f"{entry.rows} 条"
    return f"{entry.pages} 页" if entry.pages else f"{entry.chunks} 段"


def _ocr(entry: SourceEntry) -> str:
    if not entry.ocr_pages:
        return ""
    confidence = f"，置信度 {entry.ocr_confidence:.2f}" if entry.ocr_confidence is not None else ""
    return f"{entry.ocr_pages} 页{confidence}"


def access_label(entry: SourceEntry) -> str:
    """A document's open status (as chosen, or what its level means); a catalogue's rows by level."""
    if entry.kind == "catalogue":
        return "按条目：" + "、".join(f"{LEVEL_WORDS[level]} {count} 条" for level, count in entry.rows_by_level)
    if entry.open_status:
        return "，".join(part for part in (entry.open_status, entry.classification) if part)
    return LEVEL_WORDS.get(max(entry.levels), "不开放") + "（默认）"


def summary(listing: Listing) -> str:
    count = len(listing.entries)
    return f"共 {count} 个文档。点击一行选中它，再删除、重新导入或修改访问级别。" if count else "没有找到文档。"


def selected(listing: Listing | None, principal: Principal, row: int | None) -> SourceEntry:
    """The entry at `row` of this user's listing."""
    _check(principal)
    if listing is None or listing.user != principal.name or row is None or not 0 <= row < len(listing.entries):
        raise LibraryPageError("请先在列表中点击选中一个文档。")
    return listing.entries[row]


def describe(entry: SourceEntry) -> str:
    kind = KIND_LABELS.get(entry.kind, entry.kind)
    return f"已选中：**{markdown_text(entry.name)}**（{kind}，{markdown_text(access_label(entry))}）"


def choice_of(principal: Principal, open_status: str | None, classification: str | None) -> AccessChoice:
    """The access chosen in the form; a 密级 only from an admin."""
    if open_status not in OPEN_STATUSES:
        raise LibraryPageError("请选择开放状态。")
    secret = "" if classification in (None, "", "无") else classification
    if secret and secret not in CLASSIFICATIONS:
        raise LibraryPageError("请选择密级。")
    if secret and clearance(principal) < CLASSIFIED:
        raise LibraryPageError("只有管理员可以设定密级。")
    return AccessChoice(open_status, secret)


def delete(assistant: Assistant, principal: Principal, entry: SourceEntry) -> str:
    name = assistant.delete_source(principal, entry.id)
    return f"已删除 {markdown_text(name)}（文本、向量和目录条目已一并删除，已记入利用登记）。"


def reindex(assistant: Assistant, principal: Principal, entry: SourceEntry) -> str:
    report = assistant.reindex_source(principal, entry.id)
    result = report.files[0] if report.files else None
    if result is None or result.status == "failed":
        reason = markdown_text(result.message) if result else "没有读到文件"
        return f"重新导入 {markdown_text(entry.name)} 失败：{reason}"
    return f"已重新导入 {markdown_text(entry.name)}：{result.chunks} 段。"


def set_access(
    assistant: Assistant, principal: Principal, entry: SourceEntry, open_status: str | None, classification: str | None
) -> str:
    choice = choice_of(principal, open_status, classification)
    name = assistant.set_access(principal, entry.id, choice)
    shown = "，".join(part for part in (choice.open_status, choice.classification) if part)
    return f"已将 {markdown_text(name)} 的访问级别改为：{shown}。"
