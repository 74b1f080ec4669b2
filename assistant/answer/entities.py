"""The entity check of `evidence`: the places, bodies, people, titles and ordinals a question
names (白河县, 第七届, 《头号玩家》) are the sentence's, its chunk's or its document's, not a
neighbour's."""

from __future__ import annotations

import re

from assistant.answer.question import Question
from assistant.index.lexical import terms

_ALIASES = {"中国": ("我国", "全国", "国内", "国家统计局", "中华人民共和国")}
_HEADER_PLACE = re.compile(
    r"[\u4e00-\u9fff]{2,4}?[省市县区](?=档案|人民政府|政府|财政|委员会|办公室|[\u4e00-\u9fff]{0,6}(?:馆|局))"
)


def entity_problem(question: Question, text: str, header: str) -> str | None:
    """The problem "entity" when a place, body, person, title or ordinal the question names is not
    in `text` (the sentence and its chunk), or when a question naming no place meets a
    neighbour's report; else None."""
    for entity in question.entities:
        if not _names(entity, text):
            return "entity"
    if not question.entities and question.home:
        # No place named: the question is about our archive; a neighbour's report does not answer it.
        places = set(_HEADER_PLACE.findall(header))
        if places and question.home not in header:
            return "entity"
    return None


def _names(entity: str, text: str) -> bool:
    if entity in text or any(alias in text for alias in _ALIASES.get(entity, ())):
        return True
    if re.search(r"\d|第", entity):  # 5号线, 第八届, DAG-2022-08: only the same one will do
        return False
    parts = [t for t in terms(entity) if len(t) >= 2 and t != entity]
    return bool(parts) and all(p in text for p in parts)
