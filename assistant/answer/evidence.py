"""Does this sentence answer this question? Candidate sentences and the checks they must pass.

A candidate is a sentence of a retrieved chunk, scored by the share of the question's weighted
terms it covers (its chunk's header, which names the document, its issuer, year and section,
counts a little less). Before it may be quoted as the answer it must pass five checks, in this
order; the first it fails is its `problem`, which the refusal hint reports:

- topic: the question's content words (外宾, 扫描, 经费 …) are there, not only its frame words;
- entity: the places, bodies, people, titles and ordinals the question names (白河县, 第七届,
  《头号玩家》) are the sentence's, its chunk's or its document's, not a neighbour's;
- year: the years asked are among the years the sentence talks about (its own, 去年 resolved,
  those carried from the sentence before, or its section's);
- kind: the kind of answer asked is present: a figure with a fitting unit for 多少/几, a date for
  何时, a name for 谁, a place for 哪里, a cause for 为什么;
- tense: for figures, a target (计划、力争、预计…) is not given for what happened, nor a result
  for a target.

>>> from assistant.answer.question import analyse
>>> q = analyse("2019年中国经济增长了多少？", current_year=2026)
>>> problem_of(q, "预计2019年中国经济增长6.2%。", (2019,), "中国经济")
'tense'

The entity check is in `entities`, the kind check in `kinds`.

Deliberately not handled: negation ("没有完成"), numbers in Chinese numerals, and entities
named only by a pronoun two sentences back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.answer.entities import entity_problem
from assistant.answer.kinds import defined_key, kind_answer
from assistant.answer.question import Question, tagged
from assistant.answer.rows import is_row
from assistant.answer.tense import states_target
from assistant.index.lexical import terms
from assistant.models import Chunk, Hit
from assistant.text.sentences import clauses, split_sentences
from assistant.text.synonyms import EQUIVALENT, related
from assistant.text.years import RELATIVE_YEARS, fact_years, is_plan_period, period_in

HEADER_SHARE = 0.8  # a term only in the header counts a little less than one in the sentence

Problem = str  # "topic" | "entity" | "year" | "kind" | "tense"


@dataclass(frozen=True)
class Candidate:
    sentence: str
    chunk: Chunk
    rank: int  # of its chunk in retrieval
    coverage: float
    years: tuple[int, ...]  # the years the sentence talks about
    problem: Problem | None  # None: it answers the question
    answer: str  # the figure, date or name that answers ('' when the kind has none)
    clause: str  # the clause holding the answer (the sentence when there is none)
    score: float

    @property
    def ok(self) -> bool:
        return self.problem is None


def candidates(
    question: Question,
    hits: list[Hit],
    weights: dict[str, float],
    depth: int = 20,
    unseen: frozenset[str] = frozenset(),
) -> list[Candidate]:
    """Every sentence of the top `depth` chunks that shares a term with the question, best first.
    `unseen` are the question's terms that no visible chunk contains (the asker's own words)."""
    total = sum(weights.values())
    if total <= 0:
        return []
    required = required_terms(question, weights)
    head = head_term(question, unseen) if question.kind in _HEADED else None
    modifier = head_modifier(question, head, unseen)
    found: list[Candidate] = []
    for rank, hit in enumerate(hits[:depth]):
        chunk = hit.chunk
        header = f"{chunk.header} {chunk.section}".lower()
        context = f"{chunk.text} {header}"
        carried: tuple[int, ...] = ()
        for sentence in split_sentences(chunk.text):
            own = fact_years(sentence, chunk.published)
            years = own or carried or chunk.context_years
            carried = own or carried
            lowered = sentence.lower()
            coverage = _coverage(lowered, header, weights, total)
            if coverage <= 0:
                continue
            problem = _topic_problem(required, weights, f"{lowered} {context.lower()}")
            if problem is None and head and not present(head, f"{lowered} {header}", loosely=False):
                problem = "topic"
            if problem is None and modifier and not present(modifier, f"{lowered} {header}"):
                problem = "topic"
            answer, clause = "", sentence
            if problem is None:
                problem = entity_problem(question, f"{sentence} {context}", header)
            if problem is None:
                problem = _year_problem(question, years, sentence)
            if problem is None:
                answer, clause, problem = kind_answer(question, sentence)
            if problem is None and question.kind == "quantity":
                years, problem = _figure_problem(question, sentence, clause, chunk, head, years)
            elif problem is None and _target_for_result(question, sentence, clause, chunk):
                problem = "tense"
            if problem is None:
                dated = bool(fact_years(_up_to(sentence, clause), chunk.published))
                problem = _period_problem(question, sentence, clause, chunk.section, dated)
            found.append(
                Candidate(
                    sentence,
                    chunk,
                    rank,
                    coverage,
                    years,
                    problem,
                    answer,
                    clause,
                    _score(question, coverage, rank, sentence, answer, clause, weights),
                )
            )
    found.sort(key=lambda c: c.score, reverse=True)
    return found


def problem_of(question: Question, sentence: str, years: tuple[int, ...], context: str = "") -> Problem | None:
    """The first check `sentence` fails for `question` (None: it answers), without a chunk:
    for tests and for checking a model's sentences."""
    problem = entity_problem(question, f"{sentence} {context}", context) or _year_problem(question, years)
    if problem:
        return problem
    _, clause, problem = kind_answer(question, sentence)
    if problem is None and question.kind == "quantity" and states_target(sentence, clause) != question.wants_target:
        problem = "tense"
    return problem


def _score(
    question: Question, coverage: float, rank: int, sentence: str, answer: str, clause: str, weights: dict[str, float]
) -> float:
    score = coverage + 0.04 / (1 + rank)
    if answer and clause != sentence:
        # The clause holding the figure says what was asked ("完成数字化扫描188522页"), not just
        # its sentence ("…数字化加工，扫描图像109342页").
        total = sum(weights.values()) or 1.0
        score += 0.15 * sum(w for t, w in weights.items() if t in clause.lower()) / total
    if sentence.startswith("其中") and "其中" not in question.text:
        score -= 0.1  # a part of the figure the sentence before gives in full
    if answer:
        score += 0.12
    if question.years and any(str(y) in sentence for y in question.years):
        score += 0.03
    if question.defined and re.search(
        re.escape(defined_key(question)) + r"[^，。；]{0,6}?(?:是|指|即|表示|代表|：)", sentence
    ):
        score += 0.3
    return score


def _coverage(sentence: str, header: str, weights: dict[str, float], total: float) -> float:
    found = {t for t in weights if t in sentence or any(s in sentence for s in related(t))}
    in_sentence = sum(weights[t] for t in found)
    if in_sentence == 0:
        return 0.0
    in_header = sum(w for t, w in weights.items() if t not in found and t in header)
    return (in_sentence + HEADER_SHARE * in_header) / total


# --- topic ---------------------------------------------------------------------------------

# Words that frame a question about our reports rather than say what it is about.
_FRAME = frozenset(
    (
        "档案 档案馆 截至 截止 馆 我馆 本馆 馆里 工作 情况 状况 报告 全年 年度 本年度 当年 单位 "
        "部门 方面 内容 数据 数字 时间 期间 全县 全市 全省 今年 去年 上年 总共 合计 共计 "
        "总计 主要 其中 目前 现在 实际 计划 目标 任务 规划 预期 预计 增长 增加 减少 下降 "
        "变化 比上年 同比 多少 几 是 为 有 哪些 什么 区别 时候 日期 地点 原因 如何 怎样 "
        "分别 各 万元 元 人次 人 卷 件 页 份 册 条 个 次 率 比例 总额 总数 总量 数量 "
        "金额 数额 额度 规模 水平 程度 比重 结果 成绩 成效 事项 标准 核定 资料 材料 相关 "
        "具体 整体 全部 一共 大约 左右 以上 多 少 年底 年末 年初 上半年 下半年 全国 国家 "
        "地区 百分比 百分 占比 问题 作用 意义 目的 代表 表示 含义 意思 定义 不同 差别 步骤 "
        "页数 卷数 件数 人数 次数 份数 册数 条数 流程 办法 方法 措施 要求 规定 群众 公众 "
        "市民 老百姓 城市 省份 地方 机构 公司 举办 举行 位于 "
    ).split()
)
_CONTENT_FLAGS = re.compile(r"^(?:n|nz|vn|eng|an|nr|ns|nt|j|l|i)")


# "经费支出", "资金总额": a money noun with a money head that adds nothing; the noun is required.
_MONEY_HEAD = re.compile(r"(经费|资金|费用|收入|投资)(?:支出|总额|金额|数额)")


def _money_noun(term: str, weights: dict[str, float]) -> str:
    match = _MONEY_HEAD.fullmatch(term)
    return match.group(1) if match and match.group(1) in weights else term


def required_terms(question: Question, weights: dict[str, float]) -> list[str]:
    """The question's content words, heaviest first: nouns that are not frame words, entities or
    years. A sentence must have the heaviest and most of the rest (see `_topic_problem`)."""
    nouns = {w.lower() for w, flag in tagged(question.text) if _CONTENT_FLAGS.match(flag)}
    entity_words = {t for e in question.entities for t in terms(e)}
    required = [
        _money_noun(t, weights)
        for t in weights
        if len(t) >= 2
        and t in nouns
        and t not in _FRAME
        and t not in entity_words
        and not re.fullmatch(r"[\d.]+|(?:19|20)\d{2}", t)
    ]
    return sorted(dict.fromkeys(required), key=lambda t: weights.get(t, 0.0), reverse=True)


def present(term: str, text: str, loosely: bool = True) -> bool:
    """The term, a synonym, or the parts of a compound close together and in order (经费支出 in
    经费财政拨款支出, 接收进馆 in 接收县直14个单位到期档案进馆; not 项目支出 in "整体支出和3个项目")."""
    words = related(term) if loosely else EQUIVALENT.get(term, ())
    if term in text or any(s in text for s in words):
        return True
    parts = compound_parts(term)
    if len(parts) < 2:
        return False
    pattern = ".{0,12}?".join(re.escape(p) for p in parts)
    return re.search(pattern, text) is not None


@lru_cache(maxsize=4096)
def compound_parts(term: str) -> tuple[str, ...]:
    """'接收进馆' → ('接收', '进馆'): dictionary words tiling the term from the left, the rest kept."""
    from assistant.index.lexical import segmenter

    words = {w for w in segmenter().cut(term, cut_all=True) if len(w) >= 2 and w != term}
    parts: list[str] = []
    start = 0
    while start < len(term):
        word = max((w for w in words if term.startswith(w, start)), key=len, default="")
        if not word:
            rest = next(
                (i for i in range(start + 1, len(term)) if any(term.startswith(w, i) for w in words)), len(term)
            )
            word = term[start:rest]
        parts.append(word)
        start += len(word)
    return tuple(parts) if len(parts) > 1 else ()


# Kinds whose answer belongs to a named thing: a figure of an indicator, the 导演 of a film, the
# date of an opening. Their sentence must name it.
_HEADED = frozenset({"quantity", "person", "org", "place", "date"})


def head_term(question: Question, unseen: frozenset[str]) -> str | None:
    """The word naming what a 多少 question counts: its last content word that the holdings use
    ('人均消费支出是多少' → 支出, which '人均可支配收入' does not have)."""
    words = [
        t
        for t in terms(question.text)
        if len(t) >= 2
        and t not in _FRAME
        and t not in unseen
        and not re.fullmatch(r"[\d.]+", t)
        and not any(t in e for e in question.entities)
    ]
    return words[-1] if words else None


def head_modifier(question: Question, head: str | None, unseen: frozenset[str]) -> str | None:
    """The word just before the head in the question, when it narrows it: 扫描 in 扫描单价,
    消费 in 人均消费支出. A sentence must have it somewhere, if not next to the head."""
    if not head:
        return None
    pairs = [(w.lower(), f) for w, f in tagged(question.text)]
    at = max((i for i, (w, _) in enumerate(pairs) if w == head), default=-1)
    if at <= 0 or not pairs[at][1].startswith(("n", "vn")):
        return None  # only a noun is narrowed by the word before it (扫描单价, not 应该控制)
    before = pairs[at - 1][0]
    if len(before) < 2 or before in _FRAME or before in unseen or re.fullmatch(r"[\d.]+", before):
        return None
    return None if any(before in e for e in question.entities) else before


def _clause_on_topic(head: str | None, sentence: str, clause: str, section: str) -> bool:
    """The figure is about what was asked: the head word is in its clause, the clause before it,
    the sentence's first clause (its subject: '基本支出207.27万元，…，比上年增加7.66万元') or the
    section heading ('（一）档案查阅利用')."""
    if not head:
        return True
    if is_row(sentence):  # a table row is about its label; every cell belongs to it
        return present(head, sentence.lower(), loosely=False) or present(head, section.lower(), loosely=False)
    parts = clauses(sentence)
    at = next((i for i, c in enumerate(parts) if c.text == clause), 0)
    window = (
        " ".join(c.text for c in {0: parts[0], at: parts[at], max(at - 1, 0): parts[max(at - 1, 0)]}.values())
        if parts
        else sentence
    )
    return present(head, window.lower(), loosely=False) or present(head, section.lower(), loosely=False)


def _topic_problem(required: list[str], weights: dict[str, float], text: str) -> Problem | None:
    """'topic' when the passage lacks most of the question's content words (by weight), or, for a
    question with only one or two of them, any."""
    if not required:
        return None
    missing = [t for t in required if not present(t, text)]
    share = sum(weights[t] for t in missing) / sum(weights[t] for t in required)
    if share > 0.5 or (missing and len(required) <= 2):
        return "topic"
    return None


# --- year ----------------------------------------------------------------------------------


def _year_problem(question: Question, years: tuple[int, ...], sentence: str = "") -> Problem | None:
    if not question.years:
        return None
    if set(question.years) & set(years):
        return None
    # "今年高考共设多少个考点" and an undated text saying "今年高考…": the words match; the
    # year cannot be checked either way.
    if not question.years_named and not years and any(w in sentence and w in question.text for w in RELATIVE_YEARS):
        return None
    return "year"


def _figure_problem(
    question: Question, sentence: str, clause: str, chunk: Chunk, head: str | None, years: tuple[int, ...]
) -> tuple[tuple[int, ...], Problem | None]:
    """The figure's own years, and what is wrong with the figure: not about the head word, of
    another year than the sentence's other clauses (完成扫描96万页，到2020年底数字化率达到38%:
    the 2020 is the rate's), or a target given for a result."""
    own = fact_years(_up_to(sentence, clause), chunk.published)
    if own:
        years = own
    elif fact_years(sentence, chunk.published):
        years = chunk.context_years or years  # the year named after the figure is not its year
    if not _clause_on_topic(head, sentence, clause, chunk.section):
        return years, "topic"
    if problem := _year_problem(question, years, sentence):
        return years, problem
    if is_row(sentence):  # the cell was chosen by its headers (目标值 or 完成值) already
        return years, None
    if states_target(sentence, clause, chunk.section, chunk.published) != question.wants_target:
        return years, "tense"
    return years, None


def _target_for_result(question: Question, sentence: str, clause: str, chunk: Chunk) -> bool:
    """A question about what a year brought ("去年的数字化搞得怎么样") is not answered by a plan's
    target ("到2025年…数字化率达到80%以上"), whatever kind of answer it wants."""
    if not question.years or question.wants_target:
        return False
    return states_target(sentence, clause, chunk.section, chunk.published)


def _up_to(sentence: str, clause: str) -> str:
    """The sentence up to the end of `clause` (the whole sentence when the clause is not in it)."""
    at = sentence.find(clause)
    return sentence if at < 0 else sentence[: at + len(clause)]


def _period_problem(question: Question, sentence: str, clause: str, section: str, dated: bool) -> Problem | None:
    """A half-year figure does not answer a question about the year, nor the reverse. The period
    is the answering clause's, the sentence's when it opens with one ("上半年接待…，出具…"), or,
    when the clause names no year of its own, the section's: a half year always, a five-year plan
    period only for a cumulative figure ("一、“十三五”时期回顾" > "累计接收进馆档案3.1万卷"; the
    库房面积 in that section is the state at its end)."""
    said = period_in(clause) or period_in(sentence[:8])
    if not said and not dated:
        in_section = period_in(section)
        cumulative = re.search(r"累计|共计|合计|总计|期间", clause)
        said = in_section if in_section and (not is_plan_period(in_section) or cumulative) else ""
    return None if said == question.period else "period"
