"""Follow-up questions in a chat, resolved from the conversation without a language model.

Staff ask the way people talk: "2021年完成数字化扫描多少页？" then "那2022年呢？", "比上年增加了
多少？", "出具证明多少份？", "它有多少页", "这些档案里哪些是永久的", "还有吗". A follow-up keeps
the previous question's slots (years, places, 档号, topic) and replaces what it names itself:

>>> resolve("那2022年呢？", ["2021年完成数字化扫描多少页？"]).question
'2022年完成数字化扫描多少页？'
>>> resolve("比上年增加了多少？", ["2022年全年接待查档多少人次？"]).question
'2022年全年接待查档比上年增加了多少？'
>>> resolve("它有多少页", ["39-1-0011是什么档案"]).question
'39-1-0011有多少页'
>>> resolve("白河县呢", ["2024年接待查档多少人次"]).question
'2024年白河县接待查档多少人次'
>>> resolve("什么是全宗？", ["2022年接待查档多少人次？"]).question
'什么是全宗？'
>>> resolve("那人员经费呢？", ["2023年项目支出比上年增加了多少？"]).question
'2023年人员经费比上年增加了多少？'
>>> resolve("出具档案证明呢？", ["2021年到2023年接待查档人次有什么变化？"]).question
'2021年到2023年出具档案证明有什么变化？'
>>> resolve("哪一年最多？", ["2021年到2023年接待查档人次有什么变化？"]).question
'2021年到2023年哪一年的接待查档人次最多？'
>>> resolve("2023年比2022年多了多少？", ["2023年公用经费是多少？"]).question
'2023年比2022年公用经费多了多少？'
>>> resolve("那前年呢？", ["2025年接待查档多少人次？"], current_year=2026).question
'2024年接待查档多少人次？'
>>> resolve("那上一年呢？", ["2023年接待查档多少人次？"], current_year=2026).question
'2022年接待查档多少人次？'
>>> resolve("那2024年的目标呢？", ["2023年的档案数字化率是多少？"]).question
'2024年档案数字化率的目标是多少？'

`history` is the user's earlier questions, oldest first; each is resolved against the ones before
it, so a chain of follow-ups carries its slots along. A question with its own topic but no year
after a question with one ("出具证明多少份？") is `tentative`: the caller tries it with the year
and, if that finds nothing, as asked. Deliberately not handled: follow-ups that refer back two
questions, and pronouns for people ("他").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.answer.question import analyse, entities_in
from assistant.codes import codes_in
from assistant.index.lexical import terms
from assistant.text.years import absolute_years, leading_years_end, remove_years, replace_years, years_in

_MORE = re.compile(r"^(?:还有吗|还有呢|还有没有|还有其他的?吗?|更多|继续|下一页|再列一些|其他的呢)[？?。！!]*$")
_POINTING = re.compile(r"^(?:那么|那|再问一下|另外|还有|同样)\s*|(?:的情况|情况)?(?:呢|吗)?[？?。！!]*$")
_PRONOUN = re.compile(r"^(?:它们?|这些档案|这些|这个|该档案|该|这份|这卷|这件|其中|上述档案|上述)(?:里|中|的)?")
_CHANGE_ONLY = re.compile(
    r"^(?:比上年|比去年|同比|较上年)?(?:增加|减少|增长|下降|提高|降低|变化|增减|多|少)了?(?:多少|几)"
)
_QUESTION_TAIL = re.compile(
    r"(?:是)?(?:多少|几)[\u4e00-\u9fff（）()]{0,5}[？?。]*$|(?:是什么|是哪些|有哪些|是谁|在哪里|何时|什么时候)[？?。]*$"
)
# The question words of a follow-up that names a new topic and nothing else ("那公用经费呢？").
_ASKS = re.compile(r"多少|几|什么|哪|怎么|如何|是否|吗|为何|为什么|谁")
# What a question asks about its topic, kept when the topic is swapped: a change, a trend, an extreme.
_CHANGE_TAIL = re.compile(
    r"(?:比上年|比去年|较上年|同比|与上年相比)?(?:增加|减少|增长|下降|提高|降低|增减|变化)了?(?:多少|几).*$"
)
_TREND_TAIL = re.compile(
    r"(?:有什么|有何|怎么|如何|是怎样)变化.*$|的?变化(?:趋势|情况)?[？?。]*$|(?:是|分别是)?多少.*各.*$"
)
_EXTREME = re.compile(r"^(.*?)哪一?年(?:的)?(.+?)(最多|最少|最高|最低|最大|最小)(.*)$")
_EXTREME_ONLY = re.compile(
    r"^(?:哪一?年|哪个年度)(?:的)?(最多|最少|最高|最低|最大|最小)|^(最多|最少|最高|最低)的?是哪一?年"
)
# "2023年比2022年多了多少": two years compared, the figure left to the conversation.
_COMPARED = re.compile(r"(?:多|少|增加|减少|增长|下降|提高|降低|变化|相差|差)了?(?:多少|几)")
# Words that ask for another side of the same figure, not for another figure.
_ASPECT = re.compile(r"目标|计划|任务|预期目标|计划数|完成情况|实际完成")
_RETENTION = re.compile(r"永久|长期|短期|定期30年|定期10年|30年|10年")


@dataclass(frozen=True)
class Resolution:
    question: str  # standalone
    followed_up: bool  # the question was read with the conversation
    tentative: bool = False  # try it as asked too, if the resolved question finds nothing
    page: int = 1  # "还有吗": the next page of the previous list


def resolve(question: str, history: list[str], current_year: int | None = None) -> Resolution:
    """The question as a standalone one, given the user's earlier questions (oldest first).
    With `current_year`, a follow-up's 去年 / 前年 are the years they mean ("那前年呢？");
    上一年 / 下一年 count from the year of the question before, when it names one."""
    previous: Resolution | None = None
    for earlier in history:
        previous = _resolve_one(earlier, previous, current_year)
    return _resolve_one(question, previous, current_year)


def _resolve_one(question: str, previous: Resolution | None, current_year: int | None) -> Resolution:
    original = asked = question.strip()
    if previous is None:
        return Resolution(asked, False)
    before = previous.question
    talked_about = years_in(before)
    reference = talked_about[0] if len(talked_about) == 1 else None
    if current_year or reference:
        asked = absolute_years(asked, current_year, reference)
    if _MORE.match(asked):
        return Resolution(before, True, page=previous.page + 1)
    core = _POINTING.sub("", asked).strip()
    years, entities = years_in(core), entities_in(core)
    rest = _rest(core)
    if years and not rest and not entities:
        return Resolution(_with_years(before, years), True)
    if entities and not rest and not codes_in(core):
        return Resolution(_with_entities(before, entities, years), True)
    if _PRONOUN.match(core):
        return Resolution(_with_subject(before, _PRONOUN.sub("", core)), True)
    old_topic = _topic(before)
    compared = _COMPARED.search(asked)
    if len(years) == 2 and compared and not _rest(asked[: compared.start()].replace("比", "")) and old_topic:
        return Resolution(asked[: compared.start()] + old_topic + asked[compared.start() :], True)
    extreme = _EXTREME_ONLY.match(core)
    if extreme and old_topic:
        word = extreme.group(1) or extreme.group(2)
        return Resolution(f"{before[: leading_years_end(before)]}哪一年的{old_topic}{word}？", True)
    codes, before_codes = codes_in(core), codes_in(before)
    swapped = re.search(r"呢[？?。！!]*$", asked) or asked.startswith("那")
    if swapped and codes and before_codes and not _rest(core.replace(codes[0], "")):  # "39-1-0012呢"
        return Resolution(before.replace(before_codes[0], codes[0], 1), True)
    if _RETENTION.search(core) and re.search(r"哪些|列出", before) and not _ASKS.search(core):  # "永久的呢"
        return Resolution(_with_subject(before, core), True)
    said = remove_years(core).strip("的 ")
    if swapped and old_topic and _ASPECT.fullmatch(said):  # "那2024年的目标呢": the same figure's target
        base = _with_years(before, years) if years else before
        return Resolution(f"{base[: leading_years_end(base)]}{old_topic}的{said}是多少？", True)
    # A new topic alone, said as a follow-up ("那人员经费呢？", "公用经费呢"), asking nothing itself.
    if rest and swapped and not _ASKS.search(asked) and len(core) <= 12 and old_topic:
        base = _with_years(before, years) if years else before
        return Resolution(_with_topic(base, old_topic, said), True)
    if _CHANGE_ONLY.match(core) and not _has_topic(_CHANGE_ONLY.sub("", core)):
        return Resolution(_stem(before) + core + ("？" if asked.endswith(("？", "?")) else ""), True)
    if not years and years_in(before) and _short_figure_question(core):
        prefix = "".join(f"{y}年" for y in years_in(before))
        return Resolution(prefix + asked, True, tentative=True)
    return Resolution(original, False)


def _rest(text: str) -> list[str]:
    """The content words of `text` once years, places and particles are taken out."""
    named = {t for e in entities_in(text) for t in terms(e)} | set(entities_in(text))
    return [t for t in terms(remove_years(text)) if t not in named and t not in {"年", "年度", "的"}]


def _has_topic(text: str) -> bool:
    return bool([t for t in terms(text) if len(t) >= 2])


def _short_figure_question(text: str) -> bool:
    """'出具证明多少份？': a figure asked in a few words, with no place or year of its own."""
    read = analyse(text, current_year=2000)
    return read.kind == "quantity" and not read.entities and len(re.sub(r"[？?。\s]", "", text)) <= 12


def _with_years(before: str, years: tuple[int, ...]) -> str:
    said = "和".join(f"{y}年" for y in years)
    if len(years) > 1 and not re.search(r"分别|各", before):
        said += "分别"
    return replace_years(before, said) or said + before


def _with_entities(before: str, entities: tuple[str, ...], years: tuple[int, ...]) -> str:
    base = _with_years(before, years) if years else before
    old = entities_in(base)
    if old:
        return base.replace(old[0], entities[0], 1)
    at = leading_years_end(base)
    return base[:at] + "".join(entities) + base[at:]


def _topic(question: str) -> str:
    """What a question asks a figure of: '2023年项目支出比上年增加了多少？' → '项目支出'."""
    text = question.strip()[leading_years_end(question.strip()) :]
    extreme = _EXTREME.match(text)
    if extreme:
        return extreme.group(2).strip("的")
    for tail in (_CHANGE_TAIL, _TREND_TAIL, _QUESTION_TAIL):
        text = tail.sub("", text)
    text = text.strip("的，,？?。 ")
    listing = re.search(r"哪些|列出|清单", text)
    return text if _has_topic(text) and not codes_in(text) and not listing else ""


def _with_topic(base: str, old: str, topic: str) -> str:
    """`base` (the previous question, its years perhaps replaced) asking of `topic` instead of
    `old`: a change, trend or extreme kept; a plain figure asked as '是多少' (the old unit may not fit)."""
    at = leading_years_end(base)
    years, text = base[:at], base[at:]
    if _EXTREME.match(text) or _CHANGE_TAIL.search(text) or _TREND_TAIL.search(text):
        return years + text.replace(old, topic, 1)
    return f"{years}{topic}是多少？"


def _with_subject(before: str, rest: str) -> str:
    """'它有多少页' → '<档号>有多少页'; '这些档案里哪些是永久的' → the previous list, 永久 only."""
    codes = codes_in(before)
    if codes:
        return codes[0] + rest
    retention = _RETENTION.search(rest)
    if retention and re.search(r"哪些|有哪些|列出", before + rest):
        return f"{_stem(before).rstrip('？?。')}中保管期限为{retention.group(0)}的有哪些？"
    return _stem(before) + rest


def _stem(question: str) -> str:
    """The question without its question words: '2022年全年接待查档多少人次？' → '2022年全年接待查档'."""
    return _QUESTION_TAIL.sub("", question.strip()).rstrip("的，,")
