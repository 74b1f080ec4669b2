"""Drafting a report section from the same section in earlier years' reports.

Without a model, the draft mode answers with an *evidence pack*: the section as written in each
earlier report, newest first, every passage cited, for staff to adapt. With a model, the same
passages are the material the model drafts from.
"""

from __future__ import annotations

import re

from assistant.answer.citations import citation_of
from assistant.models import NO_EVIDENCE_ANSWER, Answer, Chunk

_QUOTED = re.compile(r"[“\"'‘「『《]([^”\"'’」』》]{2,30})[”\"'’」』》]")
_NUMBERED = re.compile(r"[一二三四五六七八九十]+、\s*([\u4e00-\u9fff（）()]{2,20})")
_NUMBERING = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）])\s*")


def section_hint(question: str) -> str | None:
    """The section a drafting request names: '起草…“七、存在的主要问题”' → '存在的主要问题'."""
    for pattern in (_QUOTED, _NUMBERED):
        for match in pattern.finditer(question):
            hint = _NUMBERING.sub("", match.group(1)).strip()
            if hint and not re.search(r"报告|总结|\d{4}", hint):
                return hint
    return None


def evidence_pack(question: str, section: str, chunks: list[Chunk]) -> Answer:
    if not chunks:
        return Answer(question, NO_EVIDENCE_ANSWER, "no_evidence")
    lines = [f"以下是往年报告中“{section}”一节的原文（按年度从新到旧），可作为起草提纲和依据："]
    citations = []
    current_source = None
    for number, chunk in enumerate(chunks, start=1):
        if chunk.source_id != current_source:
            current_source = chunk.source_id
            year = f"{chunk.year}年 " if chunk.year else ""
            lines.append(f"\n【{year}{chunk.source_name}】")
        page = f"（第{chunk.page}页）" if chunk.page else ""
        lines.append(f"{chunk.text}{page}[{number}]")
        citations.append(citation_of(number, chunk))
    lines.append("\n起草时请用本年度数字替换上述数字，每个数字注明出处。")
    return Answer(question, "\n".join(lines), "answered", citations=citations)
