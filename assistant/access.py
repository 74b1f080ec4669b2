"""Roles and what each may see, reduced to one integer so every leg can filter the same way.

Level 0: 开放 and unclassified. Level 1: not (yet) open: 控制使用, 延期开放, 未审核, or no status at
all (an unknown status is treated as not reviewed). Level 2: anything with a 密级.
A principal sees a record when the record's level is at most the role's clearance.
"""

from __future__ import annotations

import unicodedata

from assistant.models import Principal, Role

OPEN, NOT_OPEN, CLASSIFIED = 0, 1, 2

_CLEARANCE = {Role.READER: OPEN, Role.STAFF: NOT_OPEN, Role.ADMIN: CLASSIFIED}
_UNCLASSIFIED = {"", "无", "非密", "公开", "内部", "-", "—", "/"}
_OPEN_WORDS = {"开放", "已开放", "公开"}


def clearance(principal: Principal) -> int:
    return _CLEARANCE[principal.role]


def access_level(open_status: str | None, classification: str | None) -> int:
    """The level of a record from its 开放状态 and 密级 cells."""
    secret = unicodedata.normalize("NFKC", classification or "").strip()
    if secret not in _UNCLASSIFIED:
        return CLASSIFIED
    status = unicodedata.normalize("NFKC", open_status or "").strip()
    return OPEN if status in _OPEN_WORDS else NOT_OPEN


def may_see(principal: Principal, level: int) -> bool:
    return level <= clearance(principal)
