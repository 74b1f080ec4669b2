"""The few domain exceptions. Each message is a sentence a user can act on.

They are raised where the fault is found and turned into friendly text once, at the edge
(the CLI and the UI); nothing below the edge prints or swallows them.
"""

from __future__ import annotations

import errno
from pathlib import Path


class AssistantError(Exception):
    """Base class: every expected failure of the assistant."""


class ConfigError(AssistantError):
    """Settings that cannot work (bad value, missing file, unknown model)."""


class IngestError(AssistantError):
    """One file (or one row of it) could not be ingested; the rest of the run goes on."""

    def __init__(self, path: Path | str, reason: str, row: int | None = None) -> None:
        self.path = str(path)
        self.reason = reason
        self.row = row
        where = f"{self.path}（第 {row} 行）" if row is not None else self.path
        super().__init__(f"{where}: {reason}")


class IndexMismatchError(AssistantError):
    """The index on disk was built with another embedding model or chunking."""


class LLMError(AssistantError):
    """The configured language model could not be reached or answered badly."""


class QuestionError(AssistantError):
    """A question that cannot be asked as written (too long, empty)."""


class StorageError(AssistantError):
    """The index or an output file cannot be written (read-only folder, full disk, no permission)."""


_REASONS = {
    errno.EROFS: "所在磁盘或目录是只读的",
    errno.ENOSPC: "磁盘已满",
    errno.EDQUOT: "磁盘配额已用完",
    errno.EACCES: "没有写入权限",
    errno.EPERM: "没有写入权限（文件可能被设为不可修改）",
}


def storage_error(exc: Exception, what: str) -> StorageError:
    """`what` failed because of `exc`, as one sentence that says what the administrator should check."""
    reason = _REASONS.get(getattr(exc, "errno", None) or -1)
    if reason is None:
        text = str(exc).lower()
        if "readonly" in text or "read-only" in text or "unable to open" in text:
            reason = "所在目录不可写（只读或没有权限）"
        elif "disk is full" in text or "no space" in text:
            reason = "磁盘已满"
        elif "disk i/o error" in text:
            reason = "磁盘读写出错（可能已满或只读）"
        else:
            reason = f"存储出错（{type(exc).__name__}）"
    return StorageError(f"{what}：{reason}。请管理员检查磁盘空间和目录权限后再试。")
