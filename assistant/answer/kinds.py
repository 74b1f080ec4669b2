"""The kind check of `evidence`: what in a sentence answers the kind of answer a question asks
(a figure with a fitting unit for 多少/几, a date for 何时, a name for 谁, a place for 哪里, a cause
for 为什么, a definition for 什么是), and the clause that holds it."""

from __future__ import annotations

import re

from assistant.answer.question import Question, tagged
from assistant.answer.rows import is_row, row_answer
from assistant.index.lexical import terms
from assistant.text.quantities import Quantity, answering_families, narrowing, numbers_in, quantities
from assistant.text.sentences import clauses
from assistant.text.years import plain_digits

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
_NAMED_UNIT = re.compile(r"(?:多少|几)([卷件册盒份张篇部])|([卷件册盒份张篇部])数")


def kind_answer(question: Question, sentence: str) -> tuple[str, str, str | None]:
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
        cause = _CAUSE.search(sentence)
        return ("", clause_around(sentence, cause.start()), None) if cause else ("", sentence, "kind")
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
    wanted = answering_families(question.unit_family)
    fitting = [
        q for q in quantities(sentence) if q.number not in asked_numbers and (wanted is None or q.family in wanted)
    ]
    named = _NAMED_UNIT.search(question.text) if question.unit_family == "volumes" else None
    if named:  # "编研资料册数": 册, or another unit of volumes, never "6个股室"
        unit = named.group(1) or named.group(2)
        fitting = [q for q in fitting if q.unit.endswith(unit)] or [q for q in fitting if q.family == "volumes"]
    if question.asks_change:  # "比上年增长多少" is answered by a change, not by the year's figure
        fitting = [q for q in fitting if _about_change(sentence, q)]
    fitting = [q for q in fitting if not _narrower_count(question, sentence, q)]
    if not fitting:
        return None
    question_terms = set(terms(question.text))

    def preference(q: Quantity) -> tuple[int, int, int]:
        clause = clause_around(sentence, q.start)
        change_fit = 1 if _about_change(sentence, q) == question.asks_change else 0
        shared = sum(1 for t in question_terms if t in clause)
        return (change_fit, shared, -q.start)

    return max(fitting, key=preference)


def _narrower_count(question: Question, sentence: str, quantity: Quantity) -> bool:
    """A headcount restricted to a group the question does not name: "具有中级以上职称人员仅6人"
    does not say how many people the archive has; it answers "中级以上职称的有几人"."""
    if question.unit_family != "headcount":
        return False  # "培训兼职档案员553人次" answers how many were trained
    clause = clause_around(sentence, quantity.start)
    word = narrowing(clause[: max(0, clause.find(quantity.text))])
    return bool(word) and word not in question.text


def _about_change(sentence: str, quantity: Quantity) -> bool:
    clause = clause_around(sentence, quantity.start)
    before = clause[: max(0, clause.find(quantity.text))]
    return bool(_CHANGE_CLAUSE.search(before or clause))


def _name_in(question: Question, sentence: str) -> str:
    """A name of the asked kind in the sentence that the question does not already contain."""
    asked = question.text
    words = [(w, f) for w, f in tagged(sentence) if len(w) >= 2 and w not in asked]
    if question.kind == "person":  # a person's name first; a body (a team, a unit) only failing one
        dotted = re.search(r"[\u4e00-\u9fff]{1,6}·[\u4e00-\u9fff]{1,8}", sentence)
        if dotted and dotted.group(0) not in asked:
            return dotted.group(0)
        if people := [w for w, f in words if f in {"nr", "nrfg", "nrt"}]:
            return people[0]
    for word, flag in words:
        if question.kind == "place" and flag in _PLACE_FLAGS:
            return word
        if question.kind in {"person", "org"} and flag in _NAME_FLAGS:
            return word
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
