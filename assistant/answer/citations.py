"""Citations are chunk metadata rendered; markers [n] must point at a cited chunk."""

from __future__ import annotations

import re

from assistant.models import Chunk, Citation

_MARKER = re.compile(r"\[(\d+)\]")


def citation_of(number: int, chunk: Chunk) -> Citation:
    return Citation(
        id=number,
        source=chunk.source_name,
        page=chunk.page,
        fonds=chunk.fonds,
        archival_code=chunk.archival_code,
        text=chunk.text,
        chunk_id=chunk.id,
    )


def where(source: str | None, page: object = None, fonds: object = None, code: object = None, sep: str = "，") -> str:
    """Where a citation points, as an archivist writes it: the parts given, in this order. The one
    rendering of a citation's place (answers' source lists, exports, the audit log, the CLI).

    >>> where("2022年工作总结.pdf", 3), where("目录.csv", None, "39", "39-1-0011")
    ('2022年工作总结.pdf，第3页', '目录.csv，全宗 39，档号 39-1-0011')
    >>> where(None, 3, code="39-1-0011", sep=" ")
    '第3页 档号 39-1-0011'
    """
    parts = [
        str(source) if source else "",
        f"第{page}页" if page else "",
        f"全宗 {fonds}" if fonds else "",
        f"档号 {code}" if code else "",
    ]
    return sep.join(part for part in parts if part)


def place_of(chunk: Chunk) -> str:
    """Where a quote comes from, as an archivist would write it."""
    if chunk.archival_code:
        fonds = f"全宗{chunk.fonds}，" if chunk.fonds else ""
        return f"{fonds}档号 {chunk.archival_code}"
    page = f"第{chunk.page}页" if chunk.page else ""
    return f"《{chunk.source_name.rsplit('.', 1)[0]}》{page}"


def markers_in(text: str) -> list[int]:
    return [int(m) for m in _MARKER.findall(text)]


def drop_unknown_markers(text: str, known: set[int]) -> tuple[str, list[int]]:
    """Remove [n] markers that point at no citation; return the text and the removed numbers."""
    removed: list[int] = []

    def keep_or_drop(match: re.Match[str]) -> str:
        number = int(match.group(1))
        if number in known:
            return match.group(0)
        removed.append(number)
        return ""

    return _MARKER.sub(keep_or_drop, text), removed
