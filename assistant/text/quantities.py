"""Quantities in Chinese report text: a number with its unit, as printed.

>>> [q.text for q in quantities("全年接待查档1,190余人次，增长9.56%，人员经费186.52万元。")]
['1,190余人次', '9.56%', '186.52万元']
>>> quantities("2023年完成扫描")  # a year is not a quantity
[]
>>> unit_family("人次") == unit_family("万人次")
True

Deliberately not handled: numbers in Chinese numerals (一千二百), and fractions (三分之一).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.text.years import plain_digits

# Longest first, so 万人次 is not read as 万 + 人次. Grouped into families that answer the same
# kind of question ("多少人次" accepts 人次 and 万人次, not 人).
_FAMILIES: dict[str, tuple[str, ...]] = {
    "percent": ("个百分点", "%", "％", "‰", "成"),
    "money": ("万亿元", "亿元", "万元", "千元", "美元", "元"),
    "visits": ("亿人次", "万人次", "人次", "卷（件）次", "卷(件)次", "卷次", "件次", "册次"),
    "people": ("亿人", "万人", "名", "人", "户", "位"),
    "pages": ("亿页", "万页", "页", "幅", "画幅"),
    "volumes": ("亿卷", "万卷", "卷", "亿件", "万件", "件", "册", "盒", "份", "张", "篇", "部"),
    # Catalogue entries (目录著录 35247条) are not volumes: "多少卷完成了数字化" must not take them.
    "entries": ("万条", "条"),
    "area": ("平方公里", "平方米", "立方米", "公顷", "亩"),
    "length": ("公里", "千米", "米", "厘米"),
    "data": ("TB", "GB", "MB", "T", "G"),
    "time": ("个月", "小时", "分钟", "天", "周", "年"),
    "temperature": ("℃", "°C"),
    "score": ("分",),
    "count": tuple("个 次 场 期 项 家 所 座 辆 台 套 处 席 批 届 轮 倍 枚 种 类 本 株 只 头 万吨 吨 万 亿".split()),
}
_UNITS = sorted((u for units in _FAMILIES.values() for u in units), key=len, reverse=True)
_FAMILY_OF = {u: family for family, units in _FAMILIES.items() for u in units}
_NUMBER = r"\d+(?:,\d{3})*(?:\.\d+)?"
_QUANTITY = re.compile(
    rf"(?<![\d.A-Za-z-])(?P<number>{_NUMBER})(?P<more>余|多)?\s?(?P<unit>{'|'.join(re.escape(u) for u in _UNITS)})"
    r"(?P<after>左右|以上|以下|以内|上下)?"
)
_YEARISH = re.compile(r"(?:19|20)\d{2}")


@dataclass(frozen=True)
class Quantity:
    text: str  # as printed, with its qualifier: "1,190余人次"
    number: str  # "1190"
    unit: str
    start: int
    end: int
    qualifier: str = ""  # 余, 多, 左右, 以上 …

    @property
    def family(self) -> str:
        return unit_family(self.unit)


def unit_family(unit: str) -> str:
    return _FAMILY_OF.get(unit, "count")


# The unit families that answer a question asking for one ("多少人" takes 人 and 人次: people are
# counted as visits too; "几个人", "人数" ask a headcount and take 人 only).
_ANSWERED_BY = {
    "people": {"people", "visits"},
    "visits": {"visits", "people"},
    "headcount": {"people"},
    "volumes": {"volumes", "count"},
}


def answering_families(asked: str | None) -> set[str] | None:
    """The families of the units that may answer a question asking for `asked`; None = any."""
    if asked is None:
        return None
    return _ANSWERED_BY.get(asked, {asked})


# Words before a count of people that narrow whom it counts: "具有中级以上职称人员仅6人" is not
# the archive's headcount, "其中专业技术人员16人" not its staff, "60岁以上老人120人次" not all visitors.
_NARROWER_POPULATION = re.compile(
    r"其中|\d+周?岁|[一二三四五六七八九十]+岁|[初中高副正]级|本科|大专|中专|硕士|博士|研究生|学历|学位|职称|"
    r"党员|团员|女性|女职工|女同志|男性|少数民族|专业技术|管理人员|工勤|退休|离休|临时|聘用|兼职|派遣|"
    r"志愿者|老年|老人|残疾|青年|外籍|境外|网上|线上|现场"
)


def narrowing(before: str) -> str:
    """The first word in `before` (the text of a clause ahead of a count of people) that narrows
    whom the count covers; '' when it counts everyone.

    >>> narrowing("专业人才缺乏，具有中级以上职称人员仅")
    '中级'
    >>> narrowing("截至2023年12月31日，我馆编制")
    ''
    """
    found = _NARROWER_POPULATION.search(before)
    return found.group(0) if found else ""


def quantities(text: str) -> list[Quantity]:
    """Numbers with units in `text`, in order; years (2023年, 2023年度) and dates are not quantities."""
    text = plain_digits(text)
    found: list[Quantity] = []
    for match in _QUANTITY.finditer(text):
        number, unit = match.group("number").replace(",", ""), match.group("unit")
        if unit == "年" and (_YEARISH.fullmatch(number) or text[match.end() : match.end() + 1] in "度底初末中"):
            continue  # a year, not a duration
        if unit in {"万", "亿"} and text[match.end() : match.end() + 1] in "元人":
            continue  # part of 万元 / 万人, matched by the longer unit elsewhere
        if unit == "月" or (unit in {"日", "号"}):
            continue
        qualifier = (match.group("more") or "") + (match.group("after") or "")
        found.append(Quantity(match.group(0), number, unit, match.start(), match.end(), qualifier))
    return found


def numbers_in(text: str) -> set[str]:
    """Every number written in `text`, without thousands separators ('1,190' → '1190')."""
    return {n.replace(",", "") for n in re.findall(_NUMBER, plain_digits(text))}


_UNIT_AFTER = re.compile(rf"\s?({'|'.join(re.escape(u) for u in _UNITS)})")


def unit_after(text: str, end: int) -> str:
    """The unit written right after a number ending at `end` ('254607页' → '页'), or ''."""
    match = _UNIT_AFTER.match(text, end)
    return match.group(1) if match else ""
