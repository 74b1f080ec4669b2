"""Result or target: does a clause say what happened, or what is planned?

Work reports put both side by side ("全年接待查档1326人次"; "计划完成数字化扫描30万页，力争
年底数字化率达到70%"), and a question asks for one of them. A clause is judged by, in order:

1. its own words: the earliest marker decides ("计划完成" a target, "完成年度目标的120%" a
   result), and a done-word ("全面完成", "已", "达到了") makes it a result;
1b. a sentence that opens with a target word ("计划…，…，…") is a plan throughout;
2. the nearest earlier clause of its sentence that opens with a marker or is short
   ("到2025年，…达到80%以上");
3. the sentence's lead-in before a colon ("今年主要预期目标是：…");
4. the years it names: a figure for a year after the text was written is a plan;
5. its section heading (二、2024年工作安排).
Otherwise it states a result.

>>> states_target("计划完成数字化扫描30万页，力争年底馆藏档案数字化率达到70%。", "力争年底馆藏档案数字化率达到70%")
True
>>> states_target("截至2021年底，馆藏档案数字化率达到49.9%。", "馆藏档案数字化率达到49.9%")
False

Deliberately not handled: negated plans ("未能完成计划") and conditionals spanning sentences.
"""

from __future__ import annotations

import re

from assistant.text.sentences import clauses, lead_in
from assistant.text.years import fact_years, is_plan_heading

_TARGET = re.compile(
    r"计划|目标|力争|争取|预期|预计|拟|确保|规划|力求|有望|或将|可能|如果|若|假如|一旦|能否|"
    r"(?<![主重需只必])要(?=达到|完成|实现|提高|增长|控制|保持|突破|超过|在|建成)|"
    r"将(?=于|在|要|会|达|实现|完成|举|开|启|建|超|提|增|继续|进一步|全面|重点|着力|逐步|有)|"
    r"到\s?(?:19|20)\d{2}\s?年(?![底末])|不少于|不低于|不超过|每年|要求|应当|必须"
)
# Single characters only where they cannot be part of another word: 共 in 共5场, not in 公共.
# 达到 alone says nothing (a target 达到 80%, a result 达到 49.9%); 达到了 is done.
# 完成 and 实现 alone say nothing either ("计划完成", "完成扫描21.5万页"); "完成…目标的120%" is done.
_RESULT = re.compile(
    r"完成[^，。；]{0,10}(?:目标|任务|计划)的|实际|已|截至|截止|累计|共计|共有|(?<![公总])共(?=\s?\d)|比上年|同比|全年|仅为|只有|"
    r"(?<![作认成称因])为(?=\s?\d)|(?<![到表传下])达(?=\s?\d)"
)
_DONE = re.compile(
    r"完成了|已完成|全面完成|圆满完成|超额完成|顺利完成|实现了|达到了|已经|已(?=达|实现|建成|接收|开放|有|完成)"
)


def marker_of(text: str) -> bool | None:
    """True for a target, False for a result, None when the text has no marker."""
    if _DONE.search(text):
        return False
    target, result = _TARGET.search(text), _RESULT.search(text)
    if target and (result is None or target.start() < result.start()):
        return True
    return False if result else None


def _leads(text: str) -> bool:
    first = min((m.start() for m in (_TARGET.search(text), _RESULT.search(text), _DONE.search(text)) if m), default=99)
    return first <= 2 or len(text) <= 8


def states_target(sentence: str, clause: str, section: str = "", published: int | None = None) -> bool:
    """Whether `clause` (of `sentence`, in `section` of a text written in `published`) is a target."""
    own = marker_of(clause)
    if own is not None:
        return own
    parts = clauses(sentence)
    if parts and _TARGET.match(parts[0].text):  # "计划9月底前完成装修，年内完成搬迁，搬迁约12万卷"
        return True
    at = next((i for i, c in enumerate(parts) if c.text == clause), len(parts))
    for earlier in reversed(parts[:at]):
        # Only a clause that opens with its marker, or a short one ("到2025年"), governs the next:
        # "对照年初确定的绩效目标，全年接待查档1284人次" states a result.
        if (found := marker_of(earlier.text)) is not None and _leads(earlier.text):
            return found
    if (head := lead_in(sentence)) and (found := marker_of(head)) is not None:
        return found
    named = fact_years(clause, published) or fact_years(sentence, published)
    if published and named and min(named) > published:
        return True  # a figure for a year after the text was written can only be a plan
    return is_plan_heading(section)
