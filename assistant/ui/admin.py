"""The admin page: accounts (add, role, reset password, lock), the audit log with filters and
export, feedback export, and the index's technical status (models, counts, problems), which no
other page shows.

Every function checks on the server that the caller is an admin (`_check`); the page is hidden
from everyone else, and its events refuse them too. Exports are private files of the admin's
login session (`files.SessionFiles`), like answer exports.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from pathlib import Path

from assistant import audit
from assistant.errors import AssistantError
from assistant.index import conversations
from assistant.ingest.levels import stale_sources
from assistant.models import Principal, Role
from assistant.service import Assistant
from assistant.ui.files import Link, SessionFiles
from assistant.ui.markup import markdown_text
from assistant.users import UserStore

ROLE_CHOICES = [("读者", "reader"), ("馆员", "staff"), ("管理员", "admin")]
ROLE_WORDS = {Role.READER: "读者", Role.STAFF: "馆员", Role.ADMIN: "管理员"}
USER_COLUMNS = ["用户名", "角色", "状态"]
AUDIT_COLUMNS = ["时间(UTC)", "用户", "角色", "类型", "问题或对象", "结果", "展示的档案与页码"]
MODE_WORDS = {"ask": "问答", "draft": "起草", "onboard": "入门", **audit.ACTIONS}
STATUS_WORDS = {"answered": "已回答", "no_evidence": "未找到依据", "interrupted": "中途停止", "done": "完成"}
_ROLE_BY_VALUE = {role.value: word for role, word in ROLE_WORDS.items()}
ALL = "全部"
ONCE = "（只显示这一次，请转告本人）。"
AUDIT_SHOWN = 200
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class AdminError(AssistantError):
    """An admin request the UI refuses, as one sentence."""


def is_admin(principal: Principal) -> bool:
    return principal.role is Role.ADMIN


def _check(principal: Principal) -> None:
    if not is_admin(principal):
        raise AdminError("只有管理员可以使用管理页面。")


# ---- accounts ---------------------------------------------------------------------------------


def user_rows(principal: Principal, users: UserStore) -> list[list[str]]:
    _check(principal)
    return [[u.name, ROLE_WORDS[u.role], "已锁定" if u.locked else "正常"] for u in users.list()]


def add_user(principal: Principal, users: UserStore, assistant: Assistant, name: str, role: str) -> str:
    """Add an account with a random password, shown once."""
    _check(principal)
    name = (name or "").strip()
    password = secrets.token_urlsafe(12)
    users.add_user(name, password, role or "reader")
    audit.record_action(assistant.index.conn, principal, "users", f"添加用户 {name}（{_role_word(role)}）")
    return f"已添加用户 **{markdown_text(name)}**（{_role_word(role)}），初始密码：`{password}`{ONCE}"


def set_role(principal: Principal, users: UserStore, assistant: Assistant, name: str, role: str) -> str:
    _check(principal)
    user = users.set_role(_name(name), role)
    audit.record_action(assistant.index.conn, principal, "users", f"修改 {user.name} 的角色为{_role_word(role)}")
    return f"已将 **{markdown_text(user.name)}** 的角色改为{_role_word(role)}。"


def reset_password(principal: Principal, users: UserStore, assistant: Assistant, name: str) -> str:
    _check(principal)
    password = users.reset_password(_name(name))
    audit.record_action(assistant.index.conn, principal, "users", f"重设 {name} 的密码")
    return f"已重设 **{markdown_text(name)}** 的密码，新密码：`{password}`{ONCE}"


def set_locked(principal: Principal, users: UserStore, assistant: Assistant, name: str, locked: bool) -> str:
    _check(principal)
    if _name(name) == principal.name and locked:
        raise AdminError("不能锁定自己正在使用的账号。")
    users.set_locked(name, locked)
    word = "锁定" if locked else "解锁"
    audit.record_action(assistant.index.conn, principal, "users", f"{word} {name}")
    return f"已{word}用户 **{markdown_text(name)}**。" + ("该用户的下一次操作即失去权限。" if locked else "")


def _name(name: str | None) -> str:
    name = (name or "").strip()
    if not name:
        raise AdminError("请填写用户名（可在上表中点击选中）。")
    return name


def _role_word(role: str | None) -> str:
    return next((label for label, value in ROLE_CHOICES if value == role), "读者")


# ---- the audit log ----------------------------------------------------------------------------


def _filters(user: str | None, kind: str | None, since: str | None, until: str | None) -> dict[str, str | None]:
    for label, value in (("起始日期", since), ("截止日期", until)):
        if value and not _DATE.match(value.strip()):
            raise AdminError(f"{label}请写成 2026-01-31 这样的日期。")
    mode = next((key for key, word in MODE_WORDS.items() if word == kind), None) if kind and kind != ALL else None
    return {
        "user": (user or "").strip() or None,
        "mode": mode,
        "since": (since or "").strip() or None,
        "until": (until or "").strip() or None,
    }


def audit_rows(
    principal: Principal, assistant: Assistant, user: str | None, kind: str | None, since: str | None, until: str | None
) -> list[list[str]]:
    """The newest `AUDIT_SHOWN` log entries that pass the filters, oldest first."""
    _check(principal)
    found = _filters(user, kind, since, until)
    rows = audit.entries(
        assistant.index.conn, found["since"], found["until"], found["user"], found["mode"], AUDIT_SHOWN
    )
    return [
        [
            str(at)[:19].replace("T", " "),
            str(who),
            _ROLE_BY_VALUE.get(str(role), str(role)),
            MODE_WORDS.get(str(mode), str(mode)),
            str(question),
            STATUS_WORDS.get(str(status), str(status)),
            audit.shown_places(shown),
        ]
        for _, at, who, role, mode, question, status, shown in rows
    ]


def export_audit(
    principal: Principal,
    assistant: Assistant,
    files: SessionFiles,
    session: str | None,
    user: str | None,
    kind: str | None,
    since: str | None,
    until: str | None,
) -> list[Link]:
    _check(principal)
    found = _filters(user, kind, since, until)

    def write(folder: Path) -> list[Path]:
        path = folder / "利用登记.csv"
        audit.export_csv(
            assistant.index.conn, path, found["since"], until=found["until"], user=found["user"], mode=found["mode"]
        )
        return [path]

    return _store(files, session, write)


def export_feedback(principal: Principal, assistant: Assistant, files: SessionFiles, session: str | None) -> list[Link]:
    _check(principal)

    def write(folder: Path) -> list[Path]:
        path = folder / "回答评价.csv"
        conversations.export_feedback_csv(assistant.index.conn, path)
        return [path]

    return _store(files, session, write)


def _store(files: SessionFiles, session: str | None, write: Callable[[Path], list[Path]]) -> list[Link]:
    if session is None:
        raise AdminError("无法确认当前登录，请重新登录。")
    return files.store(session, write)


# ---- the index --------------------------------------------------------------------------------


def index_status(principal: Principal, assistant: Assistant, users: UserStore) -> str:
    """The technical status: folder, counts, models, problems (admins only)."""
    _check(principal)
    status = assistant.status()
    stale = stale_sources(assistant.index.conn, assistant.settings)
    lines = [
        f"- 索引目录：{markdown_text(status.index_dir)}",
        f"- 文档 {status.sources} 个，文本块 {status.chunks} 个，目录条目 {status.catalogue_rows} 条",
        f"- 嵌入模型：{markdown_text(status.embedding_model)}",
        f"- 回答方式：{markdown_text(status.llm)}",
        f"- 账号 {len(users)} 个",
    ]
    problems = []
    if status.embedding_warning:
        problems.append(f"⚠ **检索质量警告**：{markdown_text(status.embedding_warning)}")
    if status.pending_sources:
        problems.append(f"⚠ {status.pending_sources} 个文档导入未完成，请运行 `archive-assistant doctor --repair`。")
    if stale:
        problems.append(f"⚠ {len(stale)} 个文档的访问级别与规则不符，请运行 `archive-assistant doctor --repair`。")
    return "\n".join([*lines, "", *(problems or ["✓ 没有发现问题。"])])
