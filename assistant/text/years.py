"""Years in Chinese text: the years a question asks about, and the years a sentence talks about.

Reports are dated by what they are about, not by the first year in their title: a
"2024年政府工作报告" is published in 2024, reviews 2023 and sets targets for 2024; a
"2023年度部门决算" or "2023年度…绩效评价报告" describes 2023 and is written in 2024. Within a
document, a sentence belongs to the years it names ("2022年，…"), else to the year its words
imply ("去年" = the year before publication), else to the year carried from the sentences before
it, else to its section ("一、2023年工作回顾"), else to the document's covered year.

>>> years_in("2021—2023年查档人次分别是多少")
(2021, 2022, 2023)
>>> years_in("J001-WS·2016-Y-BGS-0005是什么")
()
>>> decade_span("八十年代的招工档案")
(1980, 1989)
>>> fact_years("比2021年增长10%，2022年完成扫描30万页")
(2022,)
>>> document_years("2024年政府工作报告", [])
DocumentYears(covered=2023, published=2024, plan=2024)

Every pattern here runs on user text, so each is linear in the text's length (no nested
quantifiers that backtrack). Deliberately not handled: years in Chinese numerals (二〇二三年),
lunar or reign years, and fiscal years that do not follow the calendar.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

FIRST_YEAR, LAST_YEAR = 1900, 2099
_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_Y = r"(?:19|20)\d{2}"
# The year inside an item-level 档号 (J001-WS·2016-Y-0005) and a 发文字号 year (〔2023〕5号) are
# not years the text talks about. Possessive `*+`: a long run of word characters is scanned once.
_CODE_YEAR = re.compile(r"(?<![-\w])[-\w]*+\s?·\s?\d{4}[-\w]*+")
_DOCUMENT_NUMBER = re.compile(r"[〔\[［(（]\s?\d{4}\s?[〕\]］)）]\s?\d{1,5}\s?号")
_RANGE = re.compile(rf"(?<!\d)({_Y})\s?年?\s?(?:——|[-—–~～至到－])\s?({_Y})(?!\d)")
# 1976年以后 / 1990年以前: one end of the period left open.
_ONWARDS = ("以后", "之后", "以来", "起", "至今")
_OPEN_END = re.compile(rf"(?<!\d)({_Y})\s?年(?:度)?\s?(以后|之后|以来|起|至今|以前|之前|为止)")
_LIST = re.compile(rf"(?<!\d)({_Y}(?:\s?[、,，和及与]\s?{_Y})+)\s?年")
# A year is a 4-digit number followed by 年/赛季/届 … or written as a date (2022-01-04, 2022.3).
_YEAR_WORD = re.compile(rf"(?<![\d.])({_Y})(?=\s?(?:年|赛季|届|财年|学年)|[-./]\d{{1,2}}(?!\d)|\s?[)）]?$)")
_BARE_YEAR = re.compile(
    rf"(?<![\d.])({_Y})(?![\d.%％‰])(?!\s?(?:万|亿|元|人|卷|件|页|册|份|条|个|次|名|项|张|盒|米|吨))"
)
# "2024年的政府工作报告里说…", "2023年度总结中": a year naming the document looked into.
_DOCUMENT_YEAR = re.compile(
    rf"(?<!\d)({_Y})\s?年(?:度)?的?[\u4e00-\u9fff]{{0,12}}?(?:报告|总结|公报|纲要|要点|白皮书|年鉴)"
    r"(?:里面?|中|上|内)?(?:说|讲|写|提到|提出|显示|称|的)?"
    r"(?=里|中|上|内|说|讲|写|提到|提出|显示|称|的|，|,|\s)"
)
# Years that are a comparison's base or a period's start, not the year of the fact.
_COMPARED = re.compile(
    rf"(?:比|较|相比|对比|同比|高于|低于|少于|多于)\s?({_Y})\s?年|与\s?({_Y})\s?年(?:度)?相比|({_Y})\s?年同期"
)
_DECADE_WORDS = {"五十": 1950, "六十": 1960, "七十": 1970, "八十": 1980, "九十": 1990}
_DECADE = re.compile(r"(?:(19|20)?([5-9]0)|(五十|六十|七十|八十|九十))\s?年代")
# Words that name a year relative to the date a text was written.
RELATIVE_YEARS = {
    "今年": 0,
    "本年度": 0,
    "本年": 0,
    "当年": 0,
    "去年": -1,
    "上年度": -1,
    "上一年": -1,
    "上年": -1,
    "过去一年": -1,
    "前年": -2,
    "明年": 1,
    "下一年": 1,
    "下年度": 1,
}
# Of those, the ones that count from the year being talked about rather than from today.
_FROM_THE_YEAR_TALKED_ABOUT = frozenset({"当年", "上年度", "上一年", "上年", "下一年", "下年度"})
_RELATIVE = re.compile("|".join(sorted(RELATIVE_YEARS, key=len, reverse=True)))
# "比上年增加", "较去年同期": the relative word is a comparison's base there, not the fact's year.
_RELATIVE_COMPARED = re.compile(
    r"(?:比|较|同比|相比|与)\s?(?:" + _RELATIVE.pattern + r")|(?:" + _RELATIVE.pattern + r")同期"
)
# Sections and titles that speak of what is planned rather than what was done.
_PLAN_WORDS = re.compile(r"计划|安排|打算|目标|任务|要点|思路|展望|重点工作|工作部署")
_REVIEW_WORDS = re.compile(r"回顾|总结|完成情况|主要工作|取得的成绩|成效")


def plain_digits(text: str) -> str:
    """Full-width digits as ASCII, so ２０２３年 reads as 2023年."""
    return text.translate(_DIGITS)


def _without_codes(text: str) -> str:
    return _DOCUMENT_NUMBER.sub(" ", _CODE_YEAR.sub(" ", plain_digits(text)))


def _plausible(years: Iterable[int]) -> tuple[int, ...]:
    return tuple(sorted({y for y in years if FIRST_YEAR <= y <= LAST_YEAR}))


def years_in(text: str, *, bare: bool = True) -> tuple[int, ...]:
    """Years a text names, ranges expanded ('2021—2023年' → 2021, 2022, 2023).

    `bare=True` (questions) also takes a 4-digit year written without 年 ("2020赛季", "2019人口");
    running text needs 年 or a date form, because "完成1986卷" is a count.
    """
    text = _without_codes(text)
    years: set[int] = set()
    for start, end in _RANGE.findall(text):
        low, high = sorted((int(start), int(end)))
        if high - low <= 50:
            years.update(range(low, high + 1))
    for group in _LIST.findall(text):
        years.update(int(y) for y in re.findall(r"\d{4}", group))
    pattern = _BARE_YEAR if bare else _YEAR_WORD
    years.update(int(y) for y in pattern.findall(text))
    return _plausible(years)


def year_of(text: str) -> int | None:
    """The first year a title or file name names ('2023年度工作总结' → 2023), or None."""
    text = _without_codes(text)
    for match in _BARE_YEAR.finditer(text):
        year = int(match.group(1))
        if FIRST_YEAR <= year <= LAST_YEAR:
            return year
    return None


def year_span(text: str) -> tuple[int | None, int | None]:
    """The period a (catalogue) question asks about: a range, a decade, a year onwards or up to
    a year (both ends included, as 以前/以后 are read in Chinese rules), or the years it names.

    >>> year_span("1976—1980年的案卷"), year_span("八十年代的案卷"), year_span("1976、1978年的")
    ((1976, 1980), (1980, 1989), (1976, 1978))
    >>> year_span("1976年以后的案卷"), year_span("1990年以前有几卷"), year_span("2000年至今")
    ((1976, None), (None, 1990), (2000, None))
    """
    text = _without_codes(text)
    if match := _RANGE.search(text):
        low, high = sorted((int(match.group(1)), int(match.group(2))))
        return low, high
    if span := decade_span(text):
        return span
    if match := _OPEN_END.search(text):
        year = int(match.group(1))
        return (year, None) if match.group(2) in _ONWARDS else (None, year)
    years = years_in(text)
    return (min(years), max(years)) if years else (None, None)


def decade_span(text: str) -> tuple[int, int] | None:
    """'八十年代' / '80年代' / '1980年代' → (1980, 1989)."""
    if not (match := _DECADE.search(text)):
        return None
    start = _DECADE_WORDS[match.group(3)] if match.group(3) else int((match.group(1) or "19") + match.group(2))
    return start, start + 9


def remove_years(text: str) -> str:
    """The text with its year expressions (ranges, decades, single years) blanked out."""
    text = re.sub(_RANGE.pattern + r"\s?(?:年度|年)?", " ", _without_codes(text))
    text = _DECADE.sub(" ", text)
    return re.sub(rf"(?<![\d.])({_Y})\s?(?:年度|年)?", " ", text)


def years_naming_a_document(text: str) -> tuple[int, ...]:
    """Years a question uses to name the document it points into, not the facts it asks about.

    >>> years_naming_a_document("2024年的政府工作报告里说2023年城镇新增就业多少人")
    (2024,)
    >>> years_naming_a_document("2024年工作报告中的主要预期目标"), years_naming_a_document("2024年预算是多少")
    ((2024,), ())
    """
    return _plausible(int(y) for y in _DOCUMENT_YEAR.findall(_without_codes(text)))


def compared_years(text: str) -> tuple[int, ...]:
    """Years a text uses only as a comparison's base ('比2021年增长10%')."""
    return _plausible(int(y) for groups in _COMPARED.findall(plain_digits(text)) for y in groups if y)


def fact_years(sentence: str, published: int | None = None) -> tuple[int, ...]:
    """The years a sentence states facts about: the years it names that are not a comparison's
    base, and, given the year it was written, the years its words imply ('去年' → published - 1)."""
    text = _without_codes(sentence)
    named = set(years_in(text, bare=False))
    # A year both compared and stated ("比2021年增长…，2021年完成…") stays.
    for year in compared_years(text):
        if len(re.findall(rf"{year}\s?年", text)) <= 1:
            named.discard(year)
    if published is not None:
        named.update(relative_years(text, published))
    return _plausible(named)


def relative_years(text: str, published: int) -> tuple[int, ...]:
    """Years implied by 今年 / 去年 / 过去一年 … in a text written in `published`."""
    text = _RELATIVE_COMPARED.sub(" ", text)
    return _plausible(published + RELATIVE_YEARS[word] for word in _RELATIVE.findall(text))


def absolute_years(text: str, current: int | None, reference: int | None = None) -> str:
    """`text` with 今年 / 去年 / 前年 … written as the years they mean in `current`; a relative
    word that is a comparison's base (比上年, 去年同期) is left as it is. With `reference`, the
    year a conversation is about, 上一年 / 下一年 / 当年 count from that year instead: they point
    back at the year just talked about, where 去年 points at the calendar.

    >>> absolute_years("那前年呢？", 2026)
    '那2024年呢？'
    >>> absolute_years("去年比上年增加了多少", 2026)
    '2025年比上年增加了多少'
    >>> absolute_years("那上一年呢？", 2026, reference=2023), absolute_years("那去年呢？", 2026, reference=2023)
    ('那2022年呢？', '那2025年呢？')
    """
    compared = [m.span() for m in _RELATIVE_COMPARED.finditer(text)]

    def said(match: re.Match[str]) -> str:
        word = match.group(0)
        base = reference if reference is not None and word in _FROM_THE_YEAR_TALKED_ABOUT else current
        if base is None or any(start <= match.start() < end for start, end in compared):
            return word
        return f"{base + RELATIVE_YEARS[word]}年"

    return _RELATIVE.sub(said, text)


def is_plan_heading(section: str) -> bool:
    """A section about what is to be done (工作安排, 主要目标, 工作打算 …)."""
    return bool(_PLAN_WORDS.search(section)) and not _REVIEW_WORDS.search(section)


@dataclass(frozen=True)
class DocumentYears:
    """When a document was written and which years its facts and plans belong to."""

    covered: int | None  # the year it reviews or accounts for (年度)
    published: int | None  # the year it was written
    plan: int | None  # the year its targets and plans are for

    @property
    def all(self) -> tuple[int, ...]:
        return _plausible(y for y in (self.covered, self.published, self.plan) if y is not None)


# A date written on its own line: the signing date (落款) or "（2024年1月15日在…大会上）".
_DATE_LINE = re.compile(rf"^[（(]?\s?({_Y})\s?年\s?\d{{1,2}}\s?月(?:\s?\d{{1,2}}\s?日)?")
_DATE_ANYWHERE = re.compile(rf"({_Y})\s?年\s?\d{{1,2}}\s?月\s?\d{{1,2}}\s?日\s?$")


def document_years(title: str, lines: list[str]) -> DocumentYears:
    """A document's covered, published and plan years from its title and its date lines.

    `lines` are the document's text lines; its first and last few are searched for the date it
    was signed or delivered, which settles the published year.
    """
    year = year_of(title)
    signed = _signed_year(lines)
    if year is None:
        opening = next((y for line in lines[:8] if (y := year_of_heading(line))), None)
        year = opening
        if year is None:
            return DocumentYears(signed, signed, signed)
    if "政府工作报告" in title or ("工作报告" in title and "年度" not in title and signed in (None, year)):
        return DocumentYears(year - 1, year, year)
    if re.search(rf"{year}\s?年度", title) or re.search(r"决算|绩效|评价|审计", title):
        return DocumentYears(year, signed or year + 1, year + 1)
    if re.search(r"计划|要点|打算|安排", title) and not re.search(r"总结|回顾", title):
        return DocumentYears(year - 1, signed or year, year)
    return DocumentYears(year, signed or year, year + 1 if signed and signed > year else year)


def year_of_heading(line: str) -> int | None:
    """The year a report names in an opening line ('…2023年度工作总结')."""
    match = re.search(rf"(?<!\d)({_Y})\s?年度?", plain_digits(line))
    return int(match.group(1)) if match else None


def _signed_year(lines: list[str]) -> int | None:
    """The year of the document's own date: a dated line near the start or the end."""
    candidates = [line.strip() for line in (*lines[:6], *lines[-4:]) if line.strip()]
    for line in candidates:
        text = plain_digits(line)
        if len(text) <= 40 and (match := _DATE_LINE.match(text) or _DATE_ANYWHERE.search(text)):
            return int(match.group(1))
    return None


def section_years(section: str, document: DocumentYears) -> tuple[int, ...]:
    """The years a section path puts its text in: named there, implied (今年), or by its kind
    (a plan section of a work report is about the plan year, the rest about the covered year)."""
    named = years_in(section, bare=False)
    if named:
        return named
    if document.published is not None and (implied := relative_years(section, document.published)):
        return implied
    if document.plan is not None and is_plan_heading(section):
        return (document.plan,)
    return (document.covered,) if document.covered is not None else ()


_YEAR_AT = re.compile(rf"{_Y}(?=\s?年)")


def is_year_at(text: str, start: int) -> bool:
    """The number starting at `start` is a year ('2023年'), not a figure."""
    return _YEAR_AT.match(text, start) is not None


# '2021年', '2021年和2022年', '2021年到2023年', and '2021—2023年' (the first 年 left out).
_YEARS_SAID = re.compile(rf"{_Y}\s?(?:年(?:度)?)?(?:\s?[和、至到—~－-]\s?{_Y}\s?年(?:度)?)+|{_Y}\s?年(?:度)?")


def replace_years(text: str, said: str) -> str | None:
    """`text` with its first years expression ('2021年', '2021年和2022年') replaced by `said`,
    or None when it names none."""
    replaced, count = _YEARS_SAID.subn(said, text, count=1)
    return replaced if count else None


def leading_years_end(text: str) -> int:
    """Where the years a text opens with end ('2024年接待…' → 5), 0 when it opens otherwise."""
    match = _YEARS_SAID.match(text)
    return match.end() if match else 0


_PERIOD = re.compile(
    r"上半年|下半年|[一二三四1-4]季度|前三季度|第[一二三四]季度|\d{1,2}\s?[-—至到~]\s?\d{1,2}月|\d{1,2}月份"
    r"|首月|首周|首日|首年|当月|前[一二三四五六七八九十\d]{1,2}个?月"
    r"|(?P<plan>十[一二三四五六七八九]五)[”\"']?(?=期间|时期|以来|末|时|期)"
)


def period_in(text: str) -> str:
    """The part of a year, or the five-year plan period, a text names ('上半年', '十三五'), or ''.
    '十四五规划' names a document, not a period."""
    match = _PERIOD.search(text)
    return (match.group("plan") or match.group(0)) if match else ""


def is_plan_period(period: str) -> bool:
    return period.startswith("十") and period.endswith("五")


def years_of(low: int | None, high: int | None) -> str:
    """A year range as a scope or a filter says it; either end may be open.

    >>> years_of(1976, 1976), years_of(1976, 1980), years_of(1976, None), years_of(None, 1980)
    ('1976年', '1976—1980年', '1976年以来', '1980年以前')
    """
    if low is not None and high is not None:
        return f"{low}年" if low == high else f"{low}—{high}年"
    return f"{low}年以来" if low is not None else f"{high}年以前"
