"""Questions across years: a report series read as data.

Annual reports repeat the same indicators every year (接待查档人次, 项目支出, 数字化扫描页数 …), so
"三年来查档人次有什么变化", "2023年比2022年多接待了多少人次", "哪一年的项目支出最多" are answered
from the figure each year's report states, each checked and cited like any answer, then
compared here. The arithmetic is shown (1381 − 1190 = 191), a report's own "比上年增加…" is
preferred and checked against it, and the years the holdings lack are named.

>>> span = read_span("2023年比2022年多接待了多少查档人次？")
>>> span.kind, span.years, span.topic
('difference', (2022, 2023), '接待查档人次')
>>> read_span("哪一年的项目支出最多").kind
'extreme'
>>> read_span("近三年查档人次有什么变化").recent
3
>>> read_span("2022年接待查档多少人次") is None
True
>>> read_span("与2021年相比，2023年查档人次变化了多少？").topic
'查档人次'
>>> read_span("2023年的查档人次比2022年多还是少？").topic
'查档人次'
>>> span = read_span("2021年以来数字化经费是增加了还是减少了？")
>>> span.kind, span.years, span.since, span.topic
('trend', (2021,), True, '数字化经费')
>>> change_span("2022年全年接待查档比上年减少了多少？").years
(2021, 2022)

Deliberately not handled: figures in different units across years (万元 one year, 元 the next),
and growth rates computed over more than two years.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Literal

from assistant.answer.citations import citation_of, place_of
from assistant.answer.evidence import Candidate
from assistant.answer.extractive import Finding
from assistant.models import Answer, Citation
from assistant.text.quantities import quantities
from assistant.text.years import plain_digits, remove_years, years_in

SpanKind = Literal["trend", "difference", "extreme"]

_NUMBERS = {"两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_RECENT = re.compile(r"(?:近|最近|过去)([二两三四五六七八九十\d]{1,2})\s?年|([二两三四五六七八九十\d]{1,2})\s?年来")
_SINCE = re.compile(r"年(?:度)?以来|年(?:度)?至今|年(?:度)?到现在")
_TREND = re.compile(
    r"(?:是|有所)?(?:增加|增长|上升|提高)了?还是(?:减少|下降|降低)了?|以来|至今|有什么变化|有何变化|怎么变化|怎样变化|如何变化|变化情况|变化趋势|趋势|历年|这几年|近几年|逐年|各年"
)
_EXTREME = re.compile(r"(最多|最少|最高|最低|最大|最小)")
_WHICH_YEAR = re.compile(r"哪一?年|哪个年度")
_DIFFERENCE = re.compile(r"比.{0,12}?(?:多|少|增加|减少|增长|下降|提高|降低|高|低)|相比|相差|差多少|差了多少")
_FRAME = re.compile(
    r"^与|(?:是|有所)?(?:增加|增长|上升|提高)了?还是(?:减少|下降|降低)了?|(?:多|高|大)还是(?:少|低|小)|以来|至今|到现在|(?:是)?(?:怎么|如何)变化了?的?|变化了(?=多少|几)"
    r"|哪一?年的?|哪个年度的?|有什么变化|有何变化|怎么变化|怎样变化|如何变化|变化情况|变化趋势|的?趋势|历年|这几年|近几年|逐年|各年"
    r"|(?:近|最近|过去)[二两三四五六七八九十\d]{1,2}\s?年(?:来)?|[二两三四五六七八九十\d]{1,2}\s?年来"
    r"|最多|最少|最高|最低|最大|最小|比|相比|相差|差了?多少|分别|各"
    r"|(?:多|少|增加|减少|增长|下降|提高|降低)了?(?:多少|几)?|是多少|有多少|多少|是|的$|[？?。，,\s]"
)


@dataclass(frozen=True)
class Span:
    kind: SpanKind
    years: tuple[int, ...]  # named (two for a difference); () for every year the holdings have
    topic: str  # what is counted: 接待查档人次
    recent: int = 0  # 近三年 → 3
    extreme: str = ""  # 最多 …
    since: bool = False  # "2021年以来": from the year named to the newest the holdings have


def read_span(question: str) -> Span | None:
    """The cross-year question asked, or None for a question about one year (or none)."""
    text = plain_digits(question).strip()
    years = years_in(text)
    recent = _recent(text)
    extreme = _EXTREME.search(text)
    if extreme and _WHICH_YEAR.search(text):
        kind: SpanKind = "extreme"
    elif len(years) == 2 and _DIFFERENCE.search(remove_years(text)):
        kind = "difference"
    elif _TREND.search(text) or recent:
        kind = "trend"
    else:
        return None
    topic = _FRAME.sub("", remove_years(text)).replace("了", "").strip("的")
    if not topic:
        return None
    since = len(years) == 1 and bool(_SINCE.search(text))
    if kind == "trend" and len(years) == 1 and not since:
        return None  # "2023年查档人次是增加了还是减少了": a change against the year before, not a series
    return Span(kind, years, topic, recent, extreme.group(1) if extreme else "", since)


_AGAINST_LAST_YEAR = re.compile(r"比上年|比去年|较上年|较去年|同比")


def change_span(question: str) -> Span | None:
    """'2022年接待查档比上年增加了多少' as the difference of 2021 and 2022, or None."""
    text = plain_digits(question).strip()
    years = years_in(text)
    if len(years) != 1 or not _AGAINST_LAST_YEAR.search(text):
        return None
    topic = _FRAME.sub("", _AGAINST_LAST_YEAR.sub("", remove_years(text))).replace("了", "").strip("的")
    return Span("difference", (years[0] - 1, years[0]), topic) if topic else None


def _recent(text: str) -> int:
    match = _RECENT.search(text)
    if not match:
        return 0
    said = match.group(1) or match.group(2)
    return int(said) if said.isdigit() else _NUMBERS.get(said, 0)


def part_question(year: int, topic: str) -> str:
    return f"{year}年{topic}是多少"


@dataclass
class YearFigure:
    year: int
    finding: Finding
    value: Decimal | None = None
    unit: str = ""
    text: str = ""  # as printed: 1,190余人次

    @property
    def found(self) -> bool:
        return self.value is not None


def figure_of(year: int, finding: Finding) -> YearFigure:
    """The checked figure of one year's finding, as a number and unit."""
    figure = YearFigure(year, finding)
    if finding.found and (found := quantities(finding.quotes[0].answer)):
        try:
            figure.value = Decimal(found[0].number)
        except InvalidOperation:
            return figure
        figure.unit, figure.text = found[0].unit, finding.quotes[0].answer
    return figure


def one_series(figures: Iterable[YearFigure]) -> list[YearFigure]:
    """The figures read from one series of reports where the holdings allow: a year whose figure
    came from another kind of document (a project's acceptance report beside the annual reports)
    takes the same-unit figure its own annual report states, when its finding has one."""
    figures = list(figures)
    kinds = Counter(_report_kind(f.finding.quotes[0]) for f in figures)
    if len(kinds) < 2:
        return figures
    # The kind most years can be read from (already, or from another quote of theirs).
    main = max(kinds, key=lambda kind: (sum(_in_kind(f, kind) is not None for f in figures), kinds[kind]))
    if sum(_in_kind(f, main) is not None for f in figures) < 2:
        return figures
    out = []
    for figure in figures:
        same = _in_kind(figure, main)
        if same is not None and same is not figure.finding.quotes[0]:
            rest = [q for q in figure.finding.quotes if q is not same]
            figure = figure_of(figure.year, replace(figure.finding, quotes=[same, *rest]))
        out.append(figure)
    return out


def _in_kind(figure: YearFigure, kind: str) -> Candidate | None:
    """The figure's quote from a report of `kind` with the figure's unit, if its finding has one."""
    first = figure.finding.quotes[0]
    if _report_kind(first) == kind:
        return first
    others = figure.finding.quotes[1:] + figure.finding.other_sources
    return next((c for c in others if _report_kind(c) == kind and _unit_of(c.answer) == figure.unit), None)


def _report_kind(candidate: Candidate) -> str:
    """A source's name without its years: the series it belongs to ('年度部门整体支出绩效评价报告')."""
    return remove_years(candidate.chunk.source_name.rsplit(".", 1)[0])


def _unit_of(text: str) -> str:
    found = quantities(text)
    return found[0].unit if found else ""


@dataclass
class _Cited:
    by_chunk: dict[str, int] = field(default_factory=dict)
    citations: list[Citation] = field(default_factory=list)

    def of(self, figure: YearFigure) -> int:
        chunk = figure.finding.quotes[0].chunk
        if chunk.id not in self.by_chunk:
            self.by_chunk[chunk.id] = len(self.by_chunk) + 1
            self.citations.append(citation_of(self.by_chunk[chunk.id], chunk))
        return self.by_chunk[chunk.id]


def render_span(question: str, span: Span, figures: list[YearFigure]) -> Answer | None:
    """The answer across years, or None when fewer than two years have the figure (the caller
    then answers the question as an ordinary one)."""
    found = sorted(one_series(f for f in figures if f.found), key=lambda f: f.year)
    missing = sorted(f.year for f in figures if not f.found)
    if len(found) < 2 or len({f.unit for f in found}) != 1:
        return None
    cited = _Cited()
    unit = found[0].unit
    if span.kind == "difference":
        direct = _difference_sentence(span, found[0], found[-1], unit)
    elif span.kind == "extreme":
        pick = max if span.extreme in {"最多", "最高", "最大"} else min
        top = pick(found, key=lambda f: f.value or 0)
        direct = f"{top.year}年{span.extreme}：{span.topic}{top.text}[{cited.of(top)}]。"
    else:
        direct = f"{found[0].year}—{found[-1].year}年{span.topic}：" + "；".join(_changes(found, unit)) + "。"
    lines = [direct, "", f"| 年度 | {span.topic} | 出处 |", "|---|---|---|"]
    for figure in found:
        lines.append(f"| {figure.year} | {figure.text} | [{cited.of(figure)}] |")
    lines.append("")
    for figure in found:
        quote = figure.finding.quotes[0]
        lines.append(f"据{place_of(quote.chunk)}：“{quote.sentence}”[{cited.of(figure)}]")
    if checked := _stated_change(found, unit):
        lines.append(checked)
    if missing:
        lines.append("馆藏资料中没有" + "、".join(f"{y}年" for y in missing) + "的这项数字。")
    series = [
        {"year": f.year, "value": float(f.value or 0), "unit": unit, "text": f.text, "citation": cited.of(f)}
        for f in found
    ]
    return Answer(question, "\n".join(lines), "answered", cited.citations, direct_answer=direct, series=series)


def _difference_sentence(span: Span, earlier: YearFigure, later: YearFigure, unit: str) -> str:
    assert earlier.value is not None and later.value is not None
    change = later.value - earlier.value
    verb = "增加" if change >= 0 else "减少"
    shown = f"{_plain(later.value)} − {_plain(earlier.value)} = {_plain(change)}"
    return f"{later.year}年比{earlier.year}年{verb}{_plain(abs(change))}{unit}（{shown}）。"


def _changes(found: list[YearFigure], unit: str) -> list[str]:
    said = [f"{found[0].year}年{found[0].text}"]
    for before, now in pairwise(found):
        assert before.value is not None and now.value is not None
        change = now.value - before.value
        verb = "增加" if change >= 0 else "减少"
        said.append(f"{now.year}年{now.text}（比{before.year}年{verb}{_plain(abs(change))}{unit}）")
    return said


def _stated_change(found: list[YearFigure], unit: str) -> str:
    """A report's own "比上年增加X" beside the computed difference; a mismatch is shown, not hidden."""
    notes = []
    for before, now in pairwise(found):
        if now.year != before.year + 1 or now.value is None or before.value is None:
            continue
        sentence = now.finding.quotes[0].sentence
        match = re.search(r"比上年(增加|减少|多|少)(\d+(?:\.\d+)?)", plain_digits(sentence).replace(",", ""))
        if not match:
            continue
        stated = Decimal(match.group(2)) * (1 if match.group(1) in {"增加", "多"} else -1)
        computed = now.value - before.value
        if stated != computed:
            notes.append(
                f"注意：{now.year}年报告写“比上年{match.group(1)}{match.group(2)}{unit}”，"
                f"与两年数字相减（{_plain(computed)}）不一致，请核对原文。"
            )
    return "\n".join(notes)


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")
