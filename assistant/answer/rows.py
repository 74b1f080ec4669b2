"""Figures in table rows: which cell of a row answers a 多少 question.

Tables are ingested one row a line, each cell with its column headers
(`assistant.ingest.tables`): "指标：预算执行率｜完成情况·目标值：100%｜完成情况·完成值：98.6%｜得分：9".
A cell's header says what its figure is: a year (2022年：36.07), a target (目标值) or a result
(完成值, 实际), a change (增减), a score (得分); a unit missing from the cell is in a header or
the row's label ("公用经费（万元）").

>>> from assistant.answer.question import analyse
>>> row = "项目：公用经费（万元）｜2021年：40.18｜2022年：36.07｜增减：-4.11"
>>> row_answer(analyse("2022年公用经费是多少万元？", current_year=2026), row)
('36.07', '2022年：36.07', '公用经费（万元）')

Deliberately not handled: rows whose cells hold two figures, and tables whose headers run down
the first column.
"""

from __future__ import annotations

import re

from assistant.answer.question import Question
from assistant.ingest.tables import HEADER_SEPARATOR, ROW_SEPARATOR, row_cells
from assistant.text.quantities import answering_families, quantities, unit_family
from assistant.text.years import years_in

_BARE_NUMBER = re.compile(r"^[-+]?\d+(?:,\d{3})*(?:\.\d+)?$")
_UNIT_IN_HEADER = re.compile(r"[（(]([^）)]{1,6})[）)]")
_TARGET_HEADER = re.compile(r"目标|计划|预算|预期|指标值")
_RESULT_HEADER = re.compile(r"完成|实际|实现|决算|执行")
_CHANGE_HEADER = re.compile(r"增减|增长|变化|同比|比上年|增幅")
_SCORE_HEADER = re.compile(r"得分|分值|评分")
_LABEL_HEADERS = ("指标", "项目", "名称", "科目", "内容", "二级指标", "三级指标", "一级指标")


def is_row(sentence: str) -> bool:
    return ROW_SEPARATOR in sentence and HEADER_SEPARATOR in sentence


def row_answer(question: Question, sentence: str) -> tuple[str, str, str] | None:
    """(figure, the cell as 'header：value', the row's label) of the cell answering `question`."""
    cells = row_cells(sentence)
    label = _label(cells)
    unit = _unit(cells)
    fitting: list[tuple[int, str, str]] = []
    for header, value in cells:
        figure = _figure(value, unit)
        if figure is None or header in _LABEL_HEADERS:
            continue
        last = header.split("·")[-1]
        family = _family(value, unit, last)
        wanted = answering_families(question.unit_family)
        if wanted is not None and family not in wanted and (question.unit_family, family) != ("count", "volumes"):
            continue
        fit = _fit(question, header, last)
        if fit < 0:
            continue
        fitting.append((fit, value, f"{last}{HEADER_SEPARATOR}{value}"))
    if not fitting:
        return None
    _, value, cell = max(fitting, key=lambda f: f[0])
    return value, cell, label


def _fit(question: Question, header: str, last: str) -> int:
    """How well a cell's headers fit the question: -1 excludes it (another year, a target for a
    result, a change when none is asked)."""
    named = years_in(header)
    if named and question.years and not set(named) & set(question.years):
        return -1
    target = bool(_TARGET_HEADER.search(last)) and not _RESULT_HEADER.search(last)
    if question.wants_target != target and (target or _RESULT_HEADER.search(last)):
        return -1
    change = bool(_CHANGE_HEADER.search(last))
    if change != question.asks_change:
        return -1 if change else 0
    return 1 + (1 if named else 0) + (1 if question.unit_family == "score" and _SCORE_HEADER.search(last) else 0)


def row_label(sentence: str) -> str:
    """What a row is about: its 指标 / 项目 cell ('公用经费（万元）')."""
    return _label(row_cells(sentence))


def _label(cells: list[tuple[str, str]]) -> str:
    for header, value in reversed(cells):  # the last label is the most specific (指标 after 一级指标)
        labelled = header.split("·")[-1] in _LABEL_HEADERS or not header
        if labelled and value and not _BARE_NUMBER.match(value):
            return value
    return ""


def _unit(cells: list[tuple[str, str]]) -> str:
    for header, value in cells:
        for text in (header, value):
            if match := _UNIT_IN_HEADER.search(text):
                return match.group(1)
    return ""


def _figure(value: str, unit: str) -> str | None:
    value = value.strip()
    if quantities(value):
        return value
    if _BARE_NUMBER.match(value):
        return value + unit if unit else value
    return None


def _family(value: str, unit: str, header: str) -> str:
    found = quantities(value)
    if found:
        return found[0].family
    if _SCORE_HEADER.search(header):
        return "score"
    return unit_family(unit) if unit else "count"
