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

Deliberately not handled: negation ("没有完成"), numbers in Chinese numerals, and entities
named only by a pronoun two sentences back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.answer.question import Question, period_in, tagged
from assistant.answer.rows import is_row, row_answer
from assistant.index.lexical import terms
from assistant.models import Chunk, Hit
from assistant.text.quantities import Quantity, numbers_in, quantities
from assistant.text.sentences import clauses, lead_in, split_sentences
from assistant.text.years import fact_years, is_plan_heading, plain_digits

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
    head = head_term(question, unseen) if question.kind == "quantity" else None
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
            if problem is None and head and not present(head, f"{lowered} {header}", synonyms=False):
                problem = "topic"
            answer, clause = "", sentence
            if problem is None:
                problem = _entity_problem(question, f"{sentence} {context}", header)
            if problem is None:
                problem = _year_problem(question, years) or _period_problem(question, sentence, header)
            if problem is None:
                answer, clause, problem = _kind(question, sentence)
            if problem is None and question.kind == "quantity":
                if not _clause_on_topic(head, sentence, clause, chunk.section):
                    problem = "topic"
                elif _is_target(sentence, clause, chunk) != question.wants_target:
                    problem = "tense"
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
                    _score(question, coverage, rank, sentence, answer),
                )
            )
    found.sort(key=lambda c: c.score, reverse=True)
    return found


def problem_of(question: Question, sentence: str, years: tuple[int, ...], context: str = "") -> Problem | None:
    """The first check `sentence` fails for `question` (None: it answers), without a chunk:
    for tests and for checking a model's sentences."""
    problem = _entity_problem(question, f"{sentence} {context}", context) or _year_problem(question, years)
    if problem:
        return problem
    _, clause, problem = _kind(question, sentence)
    if problem is None and question.kind == "quantity" and _clause_is_target(sentence, clause) != question.wants_target:
        problem = "tense"
    return problem


def _score(question: Question, coverage: float, rank: int, sentence: str, answer: str) -> float:
    score = coverage + 0.04 / (1 + rank)
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
    in_sentence = sum(w for t, w in weights.items() if t in sentence)
    if in_sentence == 0:
        return 0.0
    in_header = sum(w for t, w in weights.items() if t not in sentence and t in header)
    return (in_sentence + HEADER_SHARE * in_header) / total


# --- topic ---------------------------------------------------------------------------------

# Words that frame a question about our reports rather than say what it is about.
_FRAME = frozenset(
    (
        "档案 档案馆 截至 截止 馆 我馆 本馆 工作 情况 状况 报告 全年 年度 本年度 当年 单位 部门 方面 内容 数据 "
        "数字 时间 期间 全县 全市 全省 今年 去年 上年 总共 合计 共计 总计 主要 其中 目前 现在 实际 "
        "计划 目标 任务 规划 预期 预计 增长 增加 减少 下降 变化 比上年 同比 多少 几 是 为 有 哪些 "
        "什么 区别 时候 日期 地点 原因 如何 怎样 分别 各 万元 元 人次 人 卷 件 页 份 册 条 个 次 "
        "率 比例 总额 总数 总量 数量 金额 数额 额度 规模 水平 程度 比重 结果 成绩 成效 事项 标准 "
        "核定 资料 材料 相关 具体 整体 全部 一共 大约 左右 以上 多 少 年底 年末 年初 上半年 下半年 "
        "全国 国家 地区 百分比 百分 占比 问题 作用 意义 目的 代表 表示 含义 意思 定义 不同 差别 步骤 "
        "流程 办法 方法 措施 要求 规定 "
    ).split()
)
_CONTENT_FLAGS = re.compile(r"^(?:n|nz|vn|eng|an|nr|ns|nt|j|l|i)")


def required_terms(question: Question, weights: dict[str, float]) -> list[str]:
    """The question's content words, heaviest first: nouns that are not frame words, entities or
    years. A sentence must have the heaviest and most of the rest (see `_topic_problem`)."""
    nouns = {w.lower() for w, flag in tagged(question.text) if _CONTENT_FLAGS.match(flag)}
    entity_words = {t for e in question.entities for t in terms(e)}
    required = [
        t
        for t in weights
        if len(t) >= 2
        and t in nouns
        and t not in _FRAME
        and t not in entity_words
        and not re.fullmatch(r"[\d.]+|(?:19|20)\d{2}", t)
    ]
    return sorted(required, key=lambda t: weights[t], reverse=True)


# Report words a sentence may use for the question's word (GDP ↔ 生产总值).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "gdp": ("生产总值", "经济增长", "经济总量", "经济"),
    "增长率": ("增长", "增速", "增幅"),
    "增速": ("增长", "增长率"),
    "查档": ("查阅", "利用", "调档"),
    "花费": ("支出", "经费", "费用"),
    "经费": ("支出", "资金", "费用", "金额"),
    "人数": ("人",),
    "职工": ("人员", "在编", "编制"),
}


def present(term: str, text: str, synonyms: bool = True) -> bool:
    """The term, a synonym, or the parts of a compound close together and in order (经费支出 in
    经费财政拨款支出, 接收进馆 in 接收县直14个单位到期档案进馆; not 项目支出 in "整体支出和3个项目")."""
    if term in text or (synonyms and any(s in text for s in SYNONYMS.get(term, ()))):
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


def _clause_on_topic(head: str | None, sentence: str, clause: str, section: str) -> bool:
    """The figure is about what was asked: the head word is in its clause, the clause before it,
    the sentence's first clause (its subject: '基本支出207.27万元，…，比上年增加7.66万元') or the
    section heading ('（一）档案查阅利用')."""
    if not head:
        return True
    if is_row(sentence):  # a table row is about its label; every cell belongs to it
        return present(head, sentence.lower(), synonyms=False) or present(head, section.lower(), synonyms=False)
    parts = clauses(sentence)
    at = next((i for i, c in enumerate(parts) if c.text == clause), 0)
    window = (
        " ".join(c.text for c in {0: parts[0], at: parts[at], max(at - 1, 0): parts[max(at - 1, 0)]}.values())
        if parts
        else sentence
    )
    return present(head, window.lower(), synonyms=False) or present(head, section.lower(), synonyms=False)


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


# --- entity --------------------------------------------------------------------------------

_ALIASES = {"中国": ("我国", "全国", "国内", "国家统计局", "中华人民共和国")}
_LEVEL_WORDS = {
    "省": ("全省", "我省", "本省"),
    "市": ("全市", "我市", "本市"),
    "县": ("全县", "我县", "本县"),
    "区": ("全区", "我区", "本区"),
}


_HEADER_PLACE = re.compile(
    r"[\u4e00-\u9fff]{2,4}?[省市县区](?=档案|人民政府|政府|财政|委员会|办公室|[\u4e00-\u9fff]{0,6}(?:馆|局))"
)


def _entity_problem(question: Question, text: str, header: str) -> Problem | None:
    for entity in question.entities:
        if not _names(entity, text):
            return "entity"
    if not question.entities and question.home:
        # No place named: the question is about our archive; a neighbour's report does not answer it.
        places = set(_HEADER_PLACE.findall(header))
        if places and question.home not in header:
            return "entity"
    return None


def _names(entity: str, text: str) -> bool:
    if entity in text or any(alias in text for alias in _ALIASES.get(entity, ())):
        return True
    parts = [t for t in terms(entity) if len(t) >= 2 and t != entity]
    return bool(parts) and all(p in text for p in parts)


# --- year ----------------------------------------------------------------------------------


def _year_problem(question: Question, years: tuple[int, ...]) -> Problem | None:
    if not question.years:
        return None
    return None if set(question.years) & set(years) else "year"


def _period_problem(question: Question, sentence: str, header: str) -> Problem | None:
    """A half-year figure does not answer a question about the year, nor the reverse."""
    said = period_in(sentence) or period_in(header)
    return None if said == question.period else "year"


# --- kind ----------------------------------------------------------------------------------

_DATE = re.compile(
    r"(?:(?:19|20)\d{2}\s?年\s?)?\d{1,2}\s?月(?:\s?\d{1,2}\s?[日号])?(?:\s?[上下]午)?"
    r"|(?:19|20)\d{2}[-/.]\d{1,2}(?:[-/.]\d{1,2})?"
    r"|(?<!\d)\d{1,2}\s?日(?!报)"
    r"|(?:19|20)\d{2}\s?年(?!度)"
)
_NAME_FLAGS = {"nr", "nrfg", "nrt", "nt", "nz", "ns", "j"}
_PLACE_FLAGS = {"ns"}
_ORG_SUFFIX = re.compile(
    r"[\u4e00-\u9fff]{2,}(?:局|委员会|委|办公室|办|馆|院|公司|部|厅|中心|集团|大学|学校|协会|股|科|室|队|所|站|社)"
)
_PLACE_WORDS = re.compile(r"[\u4e00-\u9fff]{1,8}(?:省|市|县|区|镇|乡|村|馆|厅|楼|中心|会议厅|广场|体育场|大厦)")
_CAUSE = re.compile(r"因为|由于|原因|为了|主要是|导致|所以|因此|鉴于|得益于|受.{1,8}影响")
_DEFINES = re.compile(r"是|指|即|称为|叫做|就是|表示|代表|意味着|：")
_CHANGE_CLAUSE = re.compile(r"比上年|比去年|同比|较上年|较去年|增长|增加|减少|下降|提高|降低|增幅|降幅|上升|回落")
_COMPATIBLE = {"people": {"people", "visits"}, "visits": {"visits", "people"}, "volumes": {"volumes", "count"}}


def _kind(question: Question, sentence: str) -> tuple[str, str, Problem | None]:
    """(answer, clause holding it, problem): what in the sentence answers the question's kind."""
    kind = question.kind
    if kind == "quantity" and is_row(sentence):
        cell = row_answer(question, sentence)
        return (cell[0], cell[1], None) if cell else ("", sentence, "kind")
    if kind == "quantity":
        chosen = answering_quantity(question, sentence)
        if chosen is None:
            return "", sentence, "kind"
        return chosen.text, clause_around(sentence, chosen.start), None
    if kind == "date":
        for match in _DATE.finditer(plain_digits(sentence)):
            value = match.group(0)
            is_asked_year = re.fullmatch(r"((?:19|20)\d{2})\s?年", value) and int(value[:4]) in question.years
            if re.search(r"哪年|哪一年|何年|年份", question.text):
                if re.fullmatch(r"(?:19|20)\d{2}\s?年", value) and not is_asked_year:
                    return value, clause_around(sentence, match.start()), None
                continue
            if not is_asked_year:
                return value, clause_around(sentence, match.start()), None
        return "", sentence, "kind"
    if kind in {"person", "place", "org"}:
        name = _name_in(question, sentence)
        return (name, clause_around(sentence, sentence.find(name)), None) if name else ("", sentence, "kind")
    if kind == "reason":
        match = _CAUSE.search(sentence)
        return ("", clause_around(sentence, match.start()), None) if match else ("", sentence, "kind")
    if kind == "definition" and question.defined:
        key = defined_key(question)
        place = sentence.find(key)
        if place < 0 or not _DEFINES.search(sentence[place + len(key) : place + len(key) + 12]):
            return "", sentence, "kind"
    return "", sentence, None


def defined_key(question: Question) -> str:
    """The word a definition must be about: 'D30' in '文件级档号里的D30代表什么', else the term."""
    defined = question.defined or ""
    named = [e for e in question.entities if e in defined]
    if named:
        return named[-1]
    words = [t for t in terms(defined) if len(t) >= 2]
    return defined if len(defined) <= 6 or not words else max(words, key=lambda w: (defined.rfind(w), len(w)))


def answering_quantity(question: Question, sentence: str) -> Quantity | None:
    """The figure in `sentence` that answers a 多少 question: a unit the question can take, not a
    number the question itself wrote; in a clause about a change only when a change is asked;
    and, among several, the one whose clause shares most words with the question."""
    asked_numbers = numbers_in(question.text)
    wanted = _COMPATIBLE.get(question.unit_family or "", {question.unit_family} if question.unit_family else None)
    fitting = [
        q for q in quantities(sentence) if q.number not in asked_numbers and (wanted is None or q.family in wanted)
    ]
    if question.asks_change:  # "比上年增长多少" is answered by a change, not by the year's figure
        fitting = [q for q in fitting if _about_change(sentence, q)]
    if not fitting:
        return None
    question_terms = set(terms(question.text))

    def preference(q: Quantity) -> tuple[int, int, int]:
        clause = clause_around(sentence, q.start)
        change_fit = 1 if _about_change(sentence, q) == question.asks_change else 0
        shared = sum(1 for t in question_terms if t in clause)
        return (change_fit, shared, -q.start)

    return max(fitting, key=preference)


def _about_change(sentence: str, quantity: Quantity) -> bool:
    clause = clause_around(sentence, quantity.start)
    before = clause[: max(0, clause.find(quantity.text))]
    return bool(_CHANGE_CLAUSE.search(before or clause))


def _name_in(question: Question, sentence: str) -> str:
    """A name of the asked kind in the sentence that the question does not already contain."""
    asked = question.text
    for word, flag in tagged(sentence):
        if len(word) < 2 or word in asked:
            continue
        if question.kind == "place" and flag in _PLACE_FLAGS:
            return word
        if question.kind in {"person", "org"} and flag in _NAME_FLAGS:
            return word
    dotted = re.search(r"[\u4e00-\u9fff]{1,6}·[\u4e00-\u9fff]{1,8}", sentence)
    if question.kind == "person" and dotted and dotted.group(0) not in asked:
        return dotted.group(0)
    pattern = _PLACE_WORDS if question.kind == "place" else _ORG_SUFFIX if question.kind == "org" else None
    if pattern:
        for match in pattern.finditer(sentence):
            if match.group(0) not in asked:
                return match.group(0)
    return ""


def clause_around(sentence: str, offset: int) -> str:
    """The clause of `sentence` that holds character `offset`."""
    for clause in clauses(sentence):
        if clause.start <= offset < clause.end:
            return clause.text
    return sentence


# --- tense ---------------------------------------------------------------------------------

# The earliest marker in a clause decides ("计划完成" a target, "完成年度目标的120%" a result);
# a done-word anywhere ("全面完成", "已") makes it a result.
_TARGET = re.compile(
    r"计划|目标|力争|争取|预期|预计|拟|确保|规划|力求|有望|或将|可能|如果|若|假如|一旦|能否|"
    r"(?<![主重需只必])要(?=达到|完成|实现|提高|增长|控制|保持|突破|超过|在|建成)|"
    r"将(?=于|在|要|会|达|实现|完成|举|开|启|建|超|提|增|继续|进一步|全面|重点|着力|逐步|有)|"
    r"到\s?(?:19|20)\d{2}\s?年(?![底末])|不少于|不低于|不超过|每年|要求|应当|必须"
)
# Single characters only where they cannot be part of another word: 共 in 共5场, not in 公共.
_RESULT = re.compile(
    r"完成|实现|实际|达到了|已|截至|截止|累计|共计|共有|(?<![公总])共(?=\s?\d)|比上年|同比|全年|仅为|只有|"
    r"(?<![作认成称因])为(?=\s?\d)|(?<![到表传下])达(?=到|\s?\d)"
)
_DONE = re.compile(
    r"完成了|已完成|全面完成|圆满完成|超额完成|顺利完成|实现了|达到了|已经|已(?=达|实现|建成|接收|开放|有|完成)"
)


def _clause_is_target(sentence: str, clause: str) -> bool:
    if _DONE.search(clause):
        return False
    target, result = _TARGET.search(clause), _RESULT.search(clause)
    if target and (result is None or target.start() < result.start()):
        return True
    if result:
        return False
    head = lead_in(sentence)
    return bool(head and _TARGET.search(head) and not _DONE.search(head))


def _is_target(sentence: str, clause: str, chunk: Chunk) -> bool:
    """A clause states a target or plan, judged by its own words, then its sentence's lead-in
    ('今年主要预期目标是：'), then its section (二、2024年工作安排)."""
    if _clause_is_target(sentence, clause):
        return True
    named = fact_years(clause, chunk.published) or fact_years(sentence, chunk.published)
    if chunk.published and named and min(named) > chunk.published and not _DONE.search(clause):
        return True  # a figure for a year after the text was written can only be a plan
    if _TARGET.search(clause) or _RESULT.search(clause) or lead_in(sentence):
        return False
    return is_plan_heading(chunk.section)
