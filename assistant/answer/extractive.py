"""The default answerer: a plain first sentence that answers, the source's own words, or a refusal.

An answer is built from the candidate sentences that pass every check in `evidence` (right topic,
entity, year, kind of answer, result or target):

    2022年全年接待查档1190人次[1]。                          ← the direct answer
    据《2022年度部门整体支出绩效评价报告》第3页：“全年接待查档1190人次，…”[1]   ← the quote
    其他年度：2021年为1284人次[2]。                          ← when no year was asked

The direct answer is the clause of the quoted sentence that holds the answer, with the year put
in front when the clause does not say it; nothing else is composed, and no figure is ever
computed here. When no sentence passes, the answer is `no_evidence` with a hint naming what was
found nearby and why it does not answer (another year, only a target, no figure), marked as not
an answer. Questions with several parts get one line per part, each cited, and the parts not
found are named.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from assistant.answer.citations import citation_of, place_of
from assistant.answer.evidence import Candidate, candidates
from assistant.answer.question import Question
from assistant.answer.rows import is_row, row_label
from assistant.models import NO_EVIDENCE_ANSWER, Answer, Citation, Hit
from assistant.text.years import period_in

_SUPPORT_SHARE = 0.9  # a second quote must score this close to the first
_OTHER_YEAR_SHARE = 0.8
_KIND_WORDS = {
    "quantity": "具体数字",
    "date": "具体日期",
    "person": "人名",
    "place": "地点",
    "org": "单位名称",
    "reason": "原因说明",
    "definition": "定义或解释",
}
NOT_AN_ANSWER = "（以上仅为检索线索，不是答案。）"


@dataclass
class Finding:
    """What the holdings say to one question (or one part of it)."""

    question: Question
    quotes: list[Candidate] = field(default_factory=list)  # the first answers; the rest support it
    other_years: list[Candidate] = field(default_factory=list)
    other_sources: list[Candidate] = field(default_factory=list)  # same year, another document, another figure
    hint: str = ""

    @property
    def found(self) -> bool:
        return bool(self.quotes)


def term_weights(query_terms: list[str], frequencies: dict[str, int], total: int) -> dict[str, float]:
    """IDF weights of the question's terms, for scoring how much of it a sentence covers.

    A term no visible chunk contains is the asker's own wording ("上花", "县里"): it cannot be
    found, so it weighs as much as the rarest word the holdings do use, not more (else it would
    sink every sentence below the evidence threshold). Whether the question is about something
    the holdings never mention is the topic check's business. A single character weighs half."""
    raw = {t: math.log(1 + (total - frequencies.get(t, 0) + 0.5) / (frequencies.get(t, 0) + 0.5)) for t in query_terms}
    seen = [w for t, w in raw.items() if frequencies.get(t, 0)]
    ceiling = max(seen) if seen else max(raw.values(), default=0.0)
    weights: dict[str, float] = {}
    for term, weight in raw.items():
        weight = min(weight, ceiling)
        weights[term] = weight / 2 if len(term) == 1 and not term.isascii() else weight
    return weights


def find(
    question: Question,
    hits: list[Hit],
    weights: dict[str, float],
    min_coverage: float,
    max_quotes: int,
    depth: int = 20,
    unseen: frozenset[str] = frozenset(),
) -> Finding:
    """The sentences that answer `question`, best first, or a hint when none does."""
    ranked = candidates(question, hits, weights, depth, unseen)
    passing = [c for c in ranked if c.ok and c.coverage >= min_coverage]
    if not passing:
        return Finding(question, hint=hint_for(question, ranked, min_coverage))
    primary = _primary(question, passing)
    limit = max(max_quotes, 4) if question.kind == "list" else max_quotes
    quotes = [primary]
    for candidate in passing:
        if len(quotes) >= limit:
            break
        if candidate.score < primary.score * _SUPPORT_SHARE or candidate.years != primary.years:
            continue
        if (
            candidate.answer
            and candidate.answer != primary.answer
            and candidate.chunk.source_id != primary.chunk.source_id
        ):
            continue  # another document's other figure is shown as such (`_other_sources`), not as support
        if all(candidate.sentence != q.sentence for q in quotes):
            quotes.append(candidate)
    return Finding(question, quotes, _other_years(question, passing, primary), _other_sources(passing, primary))


def _primary(question: Question, passing: list[Candidate]) -> Candidate:
    """The best sentence; with no year asked, the newest among those nearly as good."""
    best = passing[0]
    if question.years:
        return best
    if not best.years:  # an undated guide answers a general question; no year to prefer
        return best
    close = [c for c in passing if c.score >= best.score * _SUPPORT_SHARE and c.years]
    return max(close, key=lambda c: (max(c.years), c.score))


def _other_years(question: Question, passing: list[Candidate], primary: Candidate) -> list[Candidate]:
    """With no year asked, the best answer of each other year, when it differs from the primary."""
    if question.years or question.kind != "quantity" or len(primary.years) != 1:
        return []
    by_year: dict[int, Candidate] = {}
    for candidate in passing:
        if len(candidate.years) != 1 or candidate.years == primary.years:
            continue
        if candidate.score < primary.score * _OTHER_YEAR_SHARE or candidate.answer == primary.answer:
            continue
        by_year.setdefault(candidate.years[0], candidate)
    return [by_year[year] for year in sorted(by_year, reverse=True)[:5]]


def _other_sources(passing: list[Candidate], primary: Candidate) -> list[Candidate]:
    """Other documents giving another figure for the same years (a plan's 80% and the year
    plan's 70%): shown, so that staff see the disagreement instead of one arbitrary figure."""
    if not primary.answer:
        return []
    others: dict[str, Candidate] = {}
    for candidate in passing:
        same_years = candidate.years == primary.years
        if candidate.chunk.source_id == primary.chunk.source_id or not same_years or not candidate.answer:
            continue
        if candidate.answer == primary.answer or candidate.score < primary.score * _OTHER_YEAR_SHARE:
            continue
        others.setdefault(candidate.chunk.source_id, candidate)
    return list(others.values())[:2]


def direct_sentence(question: Question, candidate: Candidate) -> str:
    """The answer in one plain sentence, in the source's words: the clause holding the answer
    (with its subject when the clause lacks it) and the year in front when it is not said."""
    sentence = candidate.sentence.rstrip("。；;！!？?")
    text = candidate.clause.rstrip("。；;！!？?，,")
    if question.kind in {"definition", "open", "method", "list", "yesno", "reason"} or not candidate.answer:
        text = _shortened(sentence)
    elif is_row(sentence):
        label = row_label(sentence)
        text = f"{label}，{text}" if label and label not in text else text
    elif text != sentence:
        subject = _subject(sentence)
        if subject and subject not in text and not _shares_words(text, question.text):
            text = subject + text
    year = _year_to_say(question, candidate)
    if year and str(year) not in text:
        text = f"{year}年，{text}" if re.match(r"[\d（(]", text) else f"{year}年{text}"
    return text


def _year_to_say(question: Question, candidate: Candidate) -> int | None:
    if not candidate.years:
        return None
    asked = [y for y in question.years if y in candidate.years]
    return asked[0] if asked else candidate.years[-1] if len(candidate.years) == 1 else None


def _subject(sentence: str) -> str:
    """What the sentence's first clause is about, before its first figure ('基本支出207.27万元' →
    '基本支出'); '' when that clause is only a time ('截至2021年12月31日')."""
    first = re.split(r"[，,；：]", sentence, maxsplit=1)[0]
    if re.match(r"^(?:截至|截止|到|至|自|从|在)?\s?(?:19|20)\d{2}", first):
        return ""
    match = re.match(r"([^\d]{2,16}?)(?:为|是|达|共|计)?\d", first)
    return match.group(1) if match else ""


def _shares_words(text: str, question: str) -> bool:
    """The clause names something the question asks about (so it needs no subject in front)."""
    from assistant.index.lexical import terms

    return any(t in text for t in terms(question) if len(t) >= 2 and not re.fullmatch(r"[\d.]+", t))


def _shortened(sentence: str, limit: int = 90) -> str:
    if len(sentence) <= limit:
        return sentence
    cut = max(sentence.rfind(mark, 0, limit) for mark in "，；：,;")
    return sentence[:cut] + "……" if cut > 20 else sentence[:limit] + "……"


# --- refusals --------------------------------------------------------------------------------


def hint_for(question: Question, ranked: list[Candidate], min_coverage: float) -> str:
    """Why the nearest sentences do not answer, in one line, naming their source; '' when nothing
    came close. Only sentences the asker may see are ever ranked, so a hint reveals nothing more."""
    near = [c for c in ranked if c.coverage >= min_coverage * 0.8 and c.problem]
    if not near:
        return ""
    best = near[0]
    where = place_of(best.chunk)
    if best.problem == "year":
        years = sorted({y for c in near if c.problem == "year" for y in c.years})
        asked = "、".join(str(y) for y in question.years)
        shown = "、".join(str(y) for y in years[-4:])
        text = (
            f"馆藏资料中有{shown}年的相关内容（如{where}），但没有{asked}年的。"
            if shown
            else f"找到的相关内容（{where}）没有写明年份。"
        )
    elif best.problem == "period":
        said = next((p for p in (period_in(best.clause), period_in(best.sentence)) if p), "")
        wanted = question.period or "全年"
        text = f"找到的是{said or '其他时段'}的情况，不是{wanted}的（{where}）。"
    elif best.problem == "tense":
        text = (
            f"找到的是实际完成情况，不是计划或目标（{where}）。"
            if question.wants_target
            else f"找到的只是计划或预期目标，不是实际完成数（{where}）。"
        )
    elif best.problem == "kind":
        text = f"找到了相关内容（{where}），但其中没有{_KIND_WORDS.get(question.kind, '所问的内容')}。"
    elif best.problem == "entity":
        named = "、".join(question.entities) or f"本馆（{question.home}）"
        text = (
            f"找到的相关内容不是关于“{named}”的（{where}）。"
            if question.entities
            else f"找到的是其他单位的资料（{where}），不是{named}的。"
        )
    else:
        text = f"找到的内容与问题相近（{where}），但没有谈到问题所问的事项。"
    return text + NOT_AN_ANSWER


# --- rendering -------------------------------------------------------------------------------


class _Numbers:
    """Citation numbers by chunk, in order of first use."""

    def __init__(self) -> None:
        self.by_chunk: dict[str, int] = {}
        self.citations: list[Citation] = []

    def of(self, candidate: Candidate) -> int:
        chunk = candidate.chunk
        if chunk.id not in self.by_chunk:
            self.by_chunk[chunk.id] = len(self.by_chunk) + 1
            self.citations.append(citation_of(self.by_chunk[chunk.id], chunk))
        return self.by_chunk[chunk.id]


def render(text: str, question: Question, findings: list[Finding]) -> Answer:
    """The Answer for a question from its findings (one, or one per part)."""
    found = [f for f in findings if f.found]
    if not found:
        hints = [f.hint for f in findings if f.hint]
        hint = hints[0] if hints else ""
        return Answer(question=text, answer=NO_EVIDENCE_ANSWER, status="no_evidence", hint=hint)
    numbers = _Numbers()
    if len(findings) == 1:
        lines, direct = _render_one(findings[0], numbers)
    else:
        lines, direct = _render_parts(question, findings, numbers)
    return Answer(
        question=text,
        answer="\n".join(lines),
        status="answered",
        citations=numbers.citations,
        direct_answer=direct,
    )


def _render_one(finding: Finding, numbers: _Numbers) -> tuple[list[str], str]:
    primary = finding.quotes[0]
    direct = direct_sentence(finding.question, primary) + "。"
    lines = [f"{direct[:-1]}[{numbers.of(primary)}]。"]
    lines += [_quote_line(c, numbers) for c in finding.quotes]
    if finding.other_years:
        others = "；".join(f"{c.years[0]}年为{c.answer}[{numbers.of(c)}]" for c in finding.other_years)
        lines.append(f"其他年度：{others}。")
    for other in finding.other_sources:
        lines.append(f"另据{place_of(other.chunk)}：“{other.sentence}”[{numbers.of(other)}]")
    return lines, direct


def _render_parts(question: Question, findings: list[Finding], numbers: _Numbers) -> tuple[list[str], str]:
    heads: list[str] = []
    body: list[str] = []
    missing: list[str] = []
    for finding in findings:
        label = finding.question.label
        if not finding.found:
            missing.append(label)
            continue
        primary = finding.quotes[0]
        said = direct_sentence(finding.question, primary)
        heads.append(said)
        body.append(f"{label}：{said}[{numbers.of(primary)}]。")
        body += ["  " + _quote_line(c, numbers) for c in finding.quotes]
    direct = "；".join(heads) + "。"
    if missing:
        body.append(f"未找到依据的部分：{'、'.join(missing)}。")
        hints = [f.hint for f in findings if not f.found and f.hint]
        if hints:
            body.append(f"提示：{hints[0]}")
    return [direct, *body], direct


def _quote_line(candidate: Candidate, numbers: _Numbers) -> str:
    return f"据{place_of(candidate.chunk)}：“{candidate.sentence}”[{numbers.of(candidate)}]"


def further_reading(hits: list[Hit], answer: Answer, count: int = 2) -> str:
    """Two other sections of the guides near the question, for a new archivist to read next."""
    cited = {c.chunk_id for c in answer.citations}
    cited_sections = {h.chunk.section for h in hits if h.chunk.id in cited}
    sections: list[str] = []
    for hit in hits:
        section = hit.chunk.section.split(" > ")[-1] if hit.chunk.section else ""
        if section and hit.chunk.section not in cited_sections and section not in sections:
            sections.append(section)
    return "\n延伸阅读：" + "；".join(sections[:count]) if sections else ""
