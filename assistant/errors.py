"""The few domain exceptions. Each message is a sentence a user can act on.

They are raised where the fault is found and turned into friendly text once, at the edge
(the CLI and the UI); nothing below the edge prints or swallows them.
"""

from __future__ import annotations

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
