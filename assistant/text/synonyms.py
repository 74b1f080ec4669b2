"""Words staff type and the words reports use for the same thing.

Two strengths, on purpose. `EQUIVALENT` words name the same thing ("GDP" and "地区生产总值",
"投入使用" and "投用"): retrieval searches for either, and a figure's head word may be either.
`RELATED` words only overlap ("经费" and "资金"): they help judge whether a passage is on the
question's topic, never whether a sentence names the thing asked (that would let "涉及资金84.25
万元" answer a question about 数字化经费).

>>> alternatives("gdp")
('gdp', '生产总值', '地区生产总值')
"""

from __future__ import annotations

EQUIVALENT: dict[str, tuple[str, ...]] = {
    "gdp": ("生产总值", "地区生产总值"),
    "经济总量": ("生产总值", "地区生产总值"),
    "在编人员": ("实有", "在职人员"),
    "在编": ("实有",),
    "工作人员": ("编制", "实有", "在编"),  # "档案馆有多少工作人员": its headcount
    "实际": ("实有",),
    "投入使用": ("投用", "启用", "建成使用"),
    "新档案馆": ("新馆",),
    "查档群众": ("查档",),
    "三公经费": ("“三公”经费", "三公"),
    "编研资料": ("编印",),
    "规上": ("规模以上",),
    "增速": ("增长", "增幅"),
    "增长率": ("增长", "增幅"),
    "规上工业": ("规模以上工业",),
}
RELATED: dict[str, tuple[str, ...]] = {
    "gdp": ("经济增长", "经济"),
    "查档": ("查阅", "利用", "调档"),
    "花费": ("支出", "经费", "费用"),
    "花": ("支出", "经费", "费用"),  # "一共花了多少钱"
    "经费": ("支出", "资金", "费用", "金额"),
    "人数": ("人",),
    "职工": ("人员", "在编", "编制"),
    "在编人员": ("编制",),
}


def alternatives(term: str) -> tuple[str, ...]:
    """The term and the words that mean the same, for searching."""
    return (term, *EQUIVALENT.get(term, ()))


def related(term: str) -> tuple[str, ...]:
    """Words that mean the same or overlap, for judging a passage's topic."""
    return (*EQUIVALENT.get(term, ()), *RELATED.get(term, ()))
