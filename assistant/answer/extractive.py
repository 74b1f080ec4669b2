"""The default answerer: quote the sentences that answer the question, or say nothing was found.

A sentence is scored by how much of the question's weighted vocabulary (IDF from the lexical
index) it covers, counting its chunk's context header (title, year, section) too, so that
"2023年人员经费" is covered by "人员经费186.52万元" under a 2023 heading. When the best sentence
covers less than `min_coverage`, the answer is `no_evidence`: quoting something loosely related
would look like an answer and mislead. No figure is ever composed here; only quoted.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from assistant.answer.citations import citation_of, place_of
from assistant.ingest.chunking import split_sentences
from assistant.models import NO_EVIDENCE_ANSWER, Answer, Chunk, Hit

_FIGURE_QUESTION = re.compile(r"多少|几[个人卷件次项条页份册名]|数量|金额|比例|百分|增长|减少|变化|万元|人次|规模")
# A quantity: a number followed by a unit or %, not a year ("2023年") or an ordinal ("第3").
_QUANTITY = re.compile(
    r"(?<!第)(?:\d+(?:\.\d+)?\s*(?:%|％|万元|元|人次|人|卷|件|页|册|份|条|场|个|次|分|张|期|项|家|平方米|米|盒|℃)"
    r"|(?<!\d)\d{1,3}\s*(?:年|个月|天|日)(?!度))"
)
_DEFINITION_ASKED = (
    re.compile(r"(?:什么是|何为|何谓|什么叫)\s*[“\"]?([\w·]{1,12}?)[”\"]?\s*[？?。]?$"),
    re.compile(r"^[“\"]?([\w·]{1,12}?)[”\"]?\s*(?:是什么|指什么|是指什么|指的是什么|是什么意思|的含义是什么|的定义)"),
)
_HEADER_SHARE = 0.8  # a term only in the header counts a little less than one in the sentence


@dataclass(frozen=True)
class Quote:
    sentence: str
    chunk: Chunk
    coverage: float
    score: float


def term_weights(query_terms: list[str], frequencies: dict[str, int], total: int) -> dict[str, float]:
    """IDF weights; a term the index has never seen weighs most (it is what the question is about)."""
    weights: dict[str, float] = {}
    for term in dict.fromkeys(query_terms):
        df = frequencies.get(term, 0)
        weights[term] = math.log(1 + (total - df + 0.5) / (df + 0.5))
    return weights


def best_quotes(question: str, hits: list[Hit], weights: dict[str, float], limit: int, depth: int = 8) -> list[Quote]:
    total = sum(weights.values())
    if total <= 0:
        return []
    wants_figure = bool(_FIGURE_QUESTION.search(question))
    subject = defined_term(question)
    quotes: list[Quote] = []
    for rank, hit in enumerate(hits[:depth]):
        header = f"{hit.chunk.header} {hit.chunk.section}".lower()
        for sentence in split_sentences(hit.chunk.text):
            coverage = _coverage(sentence.lower(), header, weights, total)
            if coverage <= 0:
                continue
            bonus = 0.0
            if wants_figure and _QUANTITY.search(sentence):
                bonus += 0.12
            if subject and re.search(re.escape(subject) + r"[^，。；]{0,6}?(?:是|指|即)", sentence):
                bonus += 0.3
            quotes.append(Quote(sentence, hit.chunk, coverage, coverage + bonus + 0.04 / (1 + rank)))
    quotes.sort(key=lambda q: q.score, reverse=True)
    chosen: list[Quote] = []
    for quote in quotes:
        if len(chosen) >= limit:
            break
        if chosen and (quote.score < chosen[0].score * 0.9 or any(q.sentence == quote.sentence for q in chosen)):
            continue
        chosen.append(quote)
    return chosen


def defined_term(question: str) -> str | None:
    """X in 'X是什么' / '什么是X': a definition is wanted, and a sentence 'X是…' gives it."""
    text = question.strip()
    for pattern in _DEFINITION_ASKED:
        if match := pattern.search(text):
            return match.group(1)
    return None


def _coverage(sentence: str, header: str, weights: dict[str, float], total: int | float) -> float:
    in_sentence = sum(w for t, w in weights.items() if t in sentence)
    if in_sentence == 0:
        return 0.0
    in_header = sum(w for t, w in weights.items() if t not in sentence and t in header)
    return (in_sentence + _HEADER_SHARE * in_header) / total


def answer_from_quotes(question: str, quotes: list[Quote], min_coverage: float) -> Answer:
    if not quotes or quotes[0].coverage < min_coverage:
        return Answer(question=question, answer=NO_EVIDENCE_ANSWER, status="no_evidence")
    citations = []
    lines = []
    numbers: dict[str, int] = {}
    for quote in quotes:
        if quote.chunk.id not in numbers:
            numbers[quote.chunk.id] = len(numbers) + 1
            citations.append(citation_of(numbers[quote.chunk.id], quote.chunk))
        lines.append(f"据{place_of(quote.chunk)}：“{quote.sentence}”[{numbers[quote.chunk.id]}]")
    return Answer(question=question, answer="\n".join(lines), status="answered", citations=citations)


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
