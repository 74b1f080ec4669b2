"""Sentences and clauses of Chinese text, for quoting.

A sentence ends at 。！？； (or ! ? ;) or a line break; a clause ends at ， ； ： or the table
cell separator ｜. An ASCII comma inside a number ("1,260") does not end a clause.

>>> split_sentences("全年接待查档1190人次。提供档案4399卷次；出具证明372份")
['全年接待查档1190人次。', '提供档案4399卷次；', '出具证明372份']
>>> [c.text for c in clauses("基本支出207.27万元，比上年增加7.66万元，增长3.84%。")]
['基本支出207.27万元', '比上年增加7.66万元', '增长3.84%。']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

END_MARKS = "。！？；!?;"  # what ends a sentence; the other stages build their patterns from it
SENTENCE_ENDS = tuple(END_MARKS)
SENTENCE_END = re.compile(rf"(?<=[{END_MARKS}])")  # the place after each end mark
_CLAUSE_END = re.compile(r"[，；：｜|]|,(?!\d{3})|:(?!\d)")


def split_sentences(text: str) -> list[str]:
    """Sentences of a text, cut at 。！？； and line breaks, stripped, empty ones dropped."""
    parts: list[str] = []
    for line in text.splitlines():
        parts.extend(s.strip() for s in SENTENCE_END.split(line) if s.strip())
    return parts


@dataclass(frozen=True)
class Clause:
    text: str
    start: int  # offset in the sentence
    end: int


def clauses(sentence: str) -> list[Clause]:
    """The clauses of a sentence with their offsets (separators dropped)."""
    found: list[Clause] = []
    start = 0
    for match in _CLAUSE_END.finditer(sentence):
        if sentence[start : match.start()].strip():
            found.append(Clause(sentence[start : match.start()].strip(), start, match.start()))
        start = match.end()
    if sentence[start:].strip():
        found.append(Clause(sentence[start:].strip(), start, len(sentence)))
    return found


def lead_in(sentence: str) -> str:
    """What a sentence says before its first colon ('今年主要预期目标是：…' → '今年主要预期目标是'), or ''."""
    match = re.search(r"[：:](?!\d)", sentence)
    return sentence[: match.start()] if match else ""
