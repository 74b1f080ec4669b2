"""The figures a report states, as rows: indicator, value, unit, year, result or target.

Annual reports repeat the same indicators every year, so ingest keeps what each sentence states
in the `figures` table (assistant/index/figures.py), rebuilt with its source and readable only through
its chunk's access level. They tell the series answers which years have a figure, and let staff
list an indicator over the years without reading every report.

>>> from assistant.models import Chunk
>>> chunk = Chunk("c1", "s1", "r.pdf", "report", 0, "全年接待查档1,190余人次，比上年减少94人次。", "", "", 3,
...               None, None, None, 2022, 0, context_years=(2022,), published=2023)
>>> [(f.indicator, f.value, f.unit, f.qualifier, f.year, f.kind) for f in figures_of(chunk)]
[('接待查档', '1190', '人次', '余', 2022, 'result'), ('接待查档', '94', '人次', '', 2022, 'change')]

Deliberately not handled: figures in table rows (the answerer reads those by cell) and figures
whose indicator is only in an earlier sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.answer.tense import states_target
from assistant.models import Chunk
from assistant.text.quantities import quantities
from assistant.text.sentences import clauses, split_sentences
from assistant.text.years import fact_years, remove_years

_LEADING = re.compile(
    r"^(?:其中|全年|本年度?|年度|当年|共计|共|合计|累计|完成了?|实现了?|新增|持续推进|按|截至\S{0,12}?年底)+"
)
_TRAILING = re.compile(r"(?:达到了?|达|为|共计|共|计|约|近|超过|逾|仅|只有)+$")
_CHANGE = re.compile(r"^(?:比上年|比去年|同比|较上年|较去年)?(?:增加|减少|增长|下降|提高|降低|多|少)")


@dataclass(frozen=True)
class Figure:
    chunk_id: str
    indicator: str  # 接待查档, 人员经费, 馆藏档案数字化率
    value: str  # as a plain number: 1190
    unit: str
    qualifier: str  # 余, 多, 左右, 以上 …
    year: int | None
    kind: str  # result | target | change
    sentence: str


def figures_of(chunk: Chunk) -> list[Figure]:
    """The figures a report or guide chunk states, in order."""
    if chunk.kind == "catalogue" or "｜" in chunk.text:
        return []
    found: list[Figure] = []
    carried: tuple[int, ...] = ()
    for sentence in split_sentences(chunk.text):
        own = fact_years(sentence, chunk.published)
        years = own or carried or chunk.context_years or ((chunk.year,) if chunk.year else ())
        carried = own or carried
        year = years[-1] if len(years) == 1 else None
        found += [s.figure for s in stated(sentence, chunk.id, year, chunk.section, chunk.published)]
    return list({(f.indicator, f.year, f.value, f.unit, f.kind): f for f in found}.values())


@dataclass(frozen=True)
class Stated:
    """A figure and where it is printed in its sentence."""

    figure: Figure
    start: int
    end: int


def stated(
    sentence: str, chunk_id: str = "", year: int | None = None, section: str = "", published: int | None = None
) -> list[Stated]:
    """The figures one sentence states, with their offsets: "接待查档1190人次，比上年减少94人次"
    gives 接待查档 1190 人次 (a result) and 接待查档 94 人次 (a change)."""
    found: list[Stated] = []
    subject = ""
    for clause in clauses(sentence):
        end = 0
        for quantity in quantities(clause.text):
            # The words since the clause's previous figure ("首期款8.98万元、尾款7.97万元").
            before, end = clause.text[end : quantity.start].lstrip("、和及与"), quantity.end
            change = bool(_CHANGE.match(before))
            indicator = subject if change or not before.strip() else _indicator(before)
            if not indicator:
                continue
            subject = subject or indicator
            target = states_target(sentence, clause.text, section, published)
            kind = "change" if change else "target" if target else "result"
            figure = Figure(
                chunk_id, indicator, quantity.number, quantity.unit, quantity.qualifier, year, kind, sentence
            )
            found.append(Stated(figure, clause.start + quantity.start, clause.start + quantity.end))
    return found


def _indicator(text: str) -> str:
    """'全年接待查档' → '接待查档'; '其中：人员经费' → '人员经费'."""
    text = remove_years(re.split(r"[：:]", text)[-1]).strip()
    if len(text) > 16:  # "为群众办理工龄认定、…、婚姻登记等民生类查档": the last item names it
        text = re.split(r"[、等]", text)[-1]
    text = _TRAILING.sub("", _LEADING.sub("", text)).strip("的，,、 ")
    return text if 2 <= len(text) <= 16 and re.search(r"[\u4e00-\u9fff]", text) else ""
