"""Drafting a report section from the same section of the latest earlier report.

"起草2024年档案利用工作部分", with this year's figures typed in any order and wording ("接待查档
1500人次，出具证明420份"), gives a real draft without a language model: the latest earlier year's
section is the skeleton; each of its figures is replaced by this year's figure where the user gave
one, a "比上年增加…" is recomputed from last year's figure, and every other figure is left to fill
in as 【待填：2023年为1381人次】; every kept sentence is cited. With a model, the model writes from
the same passages and the figure checks apply.

>>> given_figures("2024年接待查档1500人次，出具档案证明420份")
[('接待查档', '1500', '人次'), ('出具档案证明', '420', '份')]

Deliberately not handled: figures the user gives in words (一千五百), sections split across
several headings, and a draft year more than one year after the skeleton's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from assistant.answer.citations import citation_of, place_of
from assistant.index.lexical import terms
from assistant.ingest.figures import stated
from assistant.models import NO_EVIDENCE_ANSWER, Answer, Chunk
from assistant.text.quantities import quantities, unit_family
from assistant.text.sentences import split_sentences
from assistant.text.years import remove_years, years_in

_QUOTED = re.compile(r"[“\"'‘「『《]([^”\"'’」』》]{2,30})[”\"'’」』》]")
_NUMBERED = re.compile(r"[一二三四五六七八九十]+、\s*([\u4e00-\u9fff（）()]{2,20})")
_NUMBERING = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）]|\d{1,2}[.、])\s*")
# Words of a drafting request that do not say which section: 起草 2024年 … 部分.
_REQUEST_WORDS = frozenset(
    "起草 草拟 撰写 拟写 写 写一下 帮 帮我 请 一份 一段 一节 部分 章节 内容 报告 年度 工作 情况 材料 "
    "草稿 初稿 的".split()
)


def section_hint(question: str) -> str | None:
    """The section a drafting request names in quotes or by its number: '起草…“七、存在的主要问题”'
    → '存在的主要问题'."""
    for pattern in (_QUOTED, _NUMBERED):
        for match in pattern.finditer(question):
            hint = _NUMBERING.sub("", match.group(1)).strip()
            if hint and not re.search(r"报告|总结|\d{4}", hint):
                return hint
    return None


def best_section(question: str, sections: list[str]) -> str | None:
    """The heading of the earlier reports a natural request means ("起草2024年档案利用工作部分"
    → "（一）档案查阅利用"): the one sharing most of the request's words, the innermost on a tie."""
    wanted = {t for t in terms(remove_years(question)) if len(t) >= 2} - _REQUEST_WORDS
    if not wanted:
        return None
    scored: list[tuple[int, int, str]] = []
    for path in sections:
        heading = path.split(" > ")[-1]
        shared = sum(1 for t in wanted if t in heading)
        if shared:
            scored.append((shared, path.count(" > "), heading))
    if not scored:
        return None
    return _NUMBERING.sub("", max(scored)[2]).strip() or None


def given_figures(text: str) -> list[tuple[str, str, str]]:
    """(indicator, value, unit) of the figures a user typed for the year being drafted."""
    found = [s.figure for sentence in split_sentences(text) for s in stated(sentence)]
    return [(f.indicator, f.value, f.unit) for f in found if f.kind != "change"]


@dataclass(frozen=True)
class _Given:
    indicator: str
    value: str
    unit: str


def draft_section(question: str, section: str, chunks: list[Chunk], draft_year: int, figures_text: str = "") -> Answer:
    """The draft of `section` for `draft_year` from the latest earlier year's chunks, or a refusal."""
    earlier = [c for c in chunks if c.year is not None and c.year < draft_year] or chunks
    if not earlier:
        return Answer(question, NO_EVIDENCE_ANSWER, "no_evidence")
    base_year = max(c.year or 0 for c in earlier)
    skeleton = sorted((c for c in earlier if c.year == base_year), key=lambda c: (c.source_id, c.ordinal))
    given = [_Given(*g) for g in given_figures(figures_text)]
    used: set[int] = set()
    lines = [
        f"{draft_year}年“{section}”草稿（以《{skeleton[0].source_name.rsplit('.', 1)[0]}》同一节为底稿，"
        "【待填】处请补充本年度数字并注明出处）：",
        "",
    ]
    citations = []
    texts = _without_page_carry(skeleton)
    for number, (chunk, text) in enumerate(zip(skeleton, texts, strict=True), start=1):
        citations.append(citation_of(number, chunk))
        drafted = [_draft_sentence(s, base_year, draft_year, given, used) for s in split_sentences(text)]
        lines.append("".join(drafted) + f"[{number}]")
    if given:
        lines.append("")
        lines.append("本次提供的数字：" + "；".join(f"{g.indicator}{g.value}{g.unit}" for g in given) + "。")
        unused = [g for n, g in enumerate(given) if n not in used]
        if unused:
            lines.append(
                "底稿中没有对应位置的数字（请自行写入）："
                + "；".join(f"{g.indicator}{g.value}{g.unit}" for g in unused)
                + "。"
            )
    # Earlier years' versions of the section are cited, not only named, so each can be opened.
    seen = []
    for year in sorted({c.year for c in chunks if c.year and c.year != base_year}, reverse=True):
        first = min((c for c in chunks if c.year == year), key=lambda c: (c.source_id, c.ordinal))
        citations.append(citation_of(len(citations) + 1, first))
        seen.append(f"{year}年报告[{len(citations)}]")
    if seen:
        lines.append("往年同一节另见：" + "、".join(seen) + "。")
    lines.append(f"底稿出处：{place_of(skeleton[0])}。")
    return Answer(question, "\n".join(lines), "answered", citations=citations, direct_answer=lines[0])


def _without_page_carry(chunks: list[Chunk]) -> list[str]:
    """The chunks' texts, a sentence cut by a page break kept once: ingest repeats it whole at the
    top of the next page, so the cut-off start at the foot of the previous one goes."""
    texts = [c.text for c in chunks]
    for n in range(len(texts) - 1):
        tail = split_sentences(texts[n])[-1] if split_sentences(texts[n]) else ""
        if tail and not tail.endswith(("。", "；", "！", "？")) and texts[n + 1].lstrip().startswith(tail):
            texts[n] = texts[n][: texts[n].rfind(tail)]
    return texts


def _draft_sentence(sentence: str, base_year: int, draft_year: int, given: list[_Given], used: set[int]) -> str:
    """One skeleton sentence with this year's figures, recomputed changes and 【待填】 marks."""
    out: list[str] = []
    at = 0
    previous_new: Decimal | None = None
    previous_old: Decimal | None = None
    items = {s.start: s for s in stated(sentence)}
    for quantity in quantities(sentence):
        item = items.get(quantity.start)
        if item is None:  # a figure whose indicator cannot be told is never carried over silently
            out.append(_shift_years(sentence[at : quantity.start], base_year, draft_year))
            out.append(f"【待填：{base_year}年为{quantity.text}】")
            at = quantity.end
            continue
        out.append(_shift_years(sentence[at : item.start], base_year, draft_year))
        figure = item.figure
        if figure.kind == "change" and previous_new is not None and previous_old is not None:
            out[-1] = _VERB_AT_END.sub("", out[-1])  # the verb follows the new change's sign
            out.append(_change_text(previous_new, previous_old, figure.unit))
        elif figure.kind == "change":
            out.append(f"【待填：{base_year}年为{sentence[item.start : item.end]}】")
        else:
            match = _match(figure.indicator, figure.unit, given, used)
            if match is not None:
                used.add(match)
                out.append(f"{given[match].value}{given[match].unit}（用户提供）")
                previous_new, previous_old = Decimal(given[match].value), Decimal(figure.value)
            else:
                out.append(f"【待填：{base_year}年为{sentence[item.start : item.end]}】")
                previous_new = previous_old = None
        at = item.end
    out.append(_shift_years(sentence[at:], base_year, draft_year))
    return "".join(out)


def _match(indicator: str, unit: str, given: list[_Given], used: set[int]) -> int | None:
    """The user's figure for a skeleton figure: the same unit family, sharing most words."""
    words = {t for t in terms(indicator) if len(t) >= 2}
    best: tuple[int, int] | None = None
    for n, g in enumerate(given):
        if n in used or unit_family(g.unit) != unit_family(unit):
            continue
        shared = len(words & {t for t in terms(g.indicator) if len(t) >= 2})
        if shared and (best is None or shared > best[0]):
            best = (shared, n)
    return best[1] if best else None


_VERB_AT_END = re.compile(r"(?:增加|减少|增长|下降|提高|降低|多|少)$")


def _change_text(new: Decimal, old: Decimal, unit: str) -> str:
    """'增加119人次（1500 − 1381）' or, for a percentage, '增长8.62%', recomputed from the two figures."""
    change = new - old
    if unit_family(unit) == "percent":
        verb = "增长" if change >= 0 else "下降"
        rate = (abs(change) / old * 100).quantize(Decimal("0.01")) if old else Decimal(0)
        return f"{verb}{_plain(rate)}{unit}"
    verb = "增加" if change >= 0 else "减少"
    return f"{verb}{_plain(abs(change))}{unit}（{_plain(new)} − {_plain(old)}）"


def _shift_years(text: str, base_year: int, draft_year: int) -> str:
    """Years move with the draft: the skeleton's year becomes the draft year, the one before it the skeleton's."""
    shift = draft_year - base_year
    for year in sorted(set(years_in(text, bare=False)), reverse=True):
        if year in (base_year, base_year - 1):
            text = text.replace(f"{year}年", f"{year + shift}年")
    return text


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def evidence_pack(question: str, section: str, chunks: list[Chunk]) -> Answer:
    """Every earlier year's text of a section, newest first, cited: what a model drafts from."""
    if not chunks:
        return Answer(question, NO_EVIDENCE_ANSWER, "no_evidence")
    lines = [f"以下是往年报告中“{section}”一节的原文（按年度从新到旧），可作为起草提纲和依据："]
    citations = []
    current_source = None
    for number, chunk in enumerate(chunks, start=1):
        if chunk.source_id != current_source:
            current_source = chunk.source_id
            year = f"{chunk.year}年 " if chunk.year else ""
            lines.append(f"\n【{year}{chunk.source_name}】")
        page = f"（第{chunk.page}页）" if chunk.page else ""
        lines.append(f"{chunk.text}{page}[{number}]")
        citations.append(citation_of(number, chunk))
    return Answer(question, "\n".join(lines), "answered", citations=citations)
