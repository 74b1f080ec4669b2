"""What a question asks: the kind of answer, the years, the entities, and its parts.

`analyse` reads a question without a language model, so the answerer can check that a
sentence answers *this* question before quoting it:

>>> q = analyse("2022年青山县档案馆接待查档多少人次？", current_year=2026)
>>> q.kind, q.years, q.unit_family, q.entities
('quantity', (2022,), 'visits', ('青山县',))
>>> [p.text for p in analyse("2021年香港和澳门的GDP增长率各是多少", current_year=2026).parts]
['2021年香港的GDP增长率是多少', '2021年澳门的GDP增长率是多少']
>>> analyse("到2025年数字化率要达到多少", current_year=2026).wants_target
True

Deliberately not handled: questions joining two requests with a verb ("先…再…"), negations
("哪些不是开放的"), and coordination of more than four parts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Literal

from assistant.text.years import (
    RELATIVE_YEARS,
    compared_years,
    period_in,
    plain_digits,
    years_in,
    years_naming_a_document,
)

AnswerKind = Literal[
    "quantity", "date", "person", "place", "org", "list", "definition", "compare", "reason", "method", "yesno", "open"
]

_KIND_PATTERNS: tuple[tuple[AnswerKind, re.Pattern[str]], ...] = (
    ("compare", re.compile(r"区别|不同之处|有何不同|有什么不同|异同|差别|差异")),
    (
        "definition",
        re.compile(
            r"什么是|何为|何谓|什么叫|是什么意思|的含义|含义是|的定义|是指什么|指的是什么|指什么|代表什么|表示什么"
        ),
    ),
    ("person", re.compile(r"谁|哪位|何人|什么人|姓名|叫什么名字")),
    ("org", re.compile(r"哪个单位|哪家|哪个部门|什么单位|什么部门|哪个公司|什么公司|什么机构|哪个机构|哪一家")),
    ("place", re.compile(r"哪里|在哪|何地|何处|哪个城市|哪座城市|哪个国家|哪个省|哪个地方|什么地方|什么位置|地点在")),
    ("date", re.compile(r"何时|什么时候|哪天|哪一天|几月|几号|几日|哪年|哪一年|什么时间|何年|多久|日期是|时间是")),
    ("list", re.compile(r"哪些|有什么|列出|列举|包括什么|包含什么|几个方面|哪几")),
    (
        "quantity",
        re.compile(
            r"多少|几[个人卷件次项条页份册名位张天年月家所座台套处期批场届倍分辆部架间户本种类]|多大|多高|多长|多重|数量|总数|总额|金额|百分比|比例|比重|占比|增幅|降幅|增速|增长率|得分"
        ),
    ),
    ("reason", re.compile(r"为什么|为何|什么原因|原因是|怎么会")),
    ("method", re.compile(r"如何|怎样|怎么|步骤|流程|程序|办法|方法|要求")),
    ("yesno", re.compile(r"是否|有没有|能否|能不能|可不可以|可否|吗[？?]?$")),
)
# Questions without a question word ("2021年香港的GDP增长率", "…宣誓仪式的时间") end in the noun
# that names what is wanted.
_HEAD_NOUNS: tuple[tuple[AnswerKind, re.Pattern[str]], ...] = (
    ("date", re.compile(r"(?:时间|日期|时候|年份|开幕时间|召开时间)$")),
    ("place", re.compile(r"(?:地点|举办地|所在地|地址|位置|地方)$")),
    (
        "person",
        re.compile(
            r"(?:导演|作者|冠军|得主|获得者|获奖者|主席|负责人|组长|馆长|局长|书记|县长|市长|省长|主任|创始人|主持人|编剧|主演)$"
        ),
    ),
    ("org", re.compile(r"(?:承建单位|建设单位|实施单位|主办单位|承办单位|单位名称)$")),
    (
        "quantity",
        re.compile(
            r"(?:率|数|额|量|值|总值|总量|规模|人次|人数|支出|收入|经费|费用|资金|投资|面积|比例|比重|得分|分数|价格|产值|增速|增幅)$"
        ),
    ),
)
_TRAILING = re.compile(r"[\s？?。！!，,：:；;]+$")
# 多少人次 → visits … : the unit asked narrows which figures can answer.
_UNIT_ASKED: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("visits", re.compile(r"人次|卷次|件次|卷（件）次|册次")),
    ("pages", re.compile(r"多少页|几页|页数|多少幅|几幅")),
    ("score", re.compile(r"多少分|几分|得分|分数|评分")),
    ("entries", re.compile(r"多少万?条|几条|条数")),
    ("volumes", re.compile(r"多少[卷件册盒份张篇部]|几[卷件册盒份张篇部]|[卷件册盒份张篇部]数")),
    # "档案馆有多少人？" asks its staff, "接待了多少人" whom it served (people, below).
    (
        "headcount",
        re.compile(
            r"几个人|多少个人|人数|编制|在编|实有|(?:职工|员工|工作人员|干部)有?(?:多少|几)"
            r"|有(?:多少|几)(?:个|名|位)?(?:工作人员|职工|员工|干部|人)(?:[？?。，,]|$)"
        ),
    ),
    ("people", re.compile(r"几人|多少人(?!次)|几名|多少名|几位|多少位|多少户")),
    ("percent", re.compile(r"率|比例|比重|百分比|百分之|占比|增幅|降幅|增速|几成|%|％")),
    (
        "money",
        re.compile(
            r"万元|亿元|钱|多少元|几元|金额|经费|支出|收入|费用|资金|投资|预算|决算|拨款|资产|产值|生产总值|GDP",
            re.I,
        ),
    ),
    ("area", re.compile(r"面积|占地|多少平方")),
    ("data", re.compile(r"容量|数据量|存储|TB|GB", re.I)),
    ("time", re.compile(r"多少年|几年|多少天|几天|多久|多长时间|多少个月|几个月|多少小时|几小时")),
    ("count", re.compile(r"几[辆台套部架座所间处户本种类批个次场项家]|多少[辆台套架座所间处户种类批个次场项家]")),
)
# What the question asks about: the result, or the target (the earliest marker decides, so
# "完成年度目标的多少" asks a result and "计划完成多少" a target).
_TARGET_MARKERS = re.compile(r"计划|目标|要达到|力争|争取|预期|预计|打算|拟|规划|要求达到|指标值|任务是")
_RESULT_MARKERS = re.compile(r"完成|实现|实际|达到了|已经|截至|截止|目前|现在|现有|共有")
_CHANGE = re.compile(
    r"比上年|比去年|比\s?\d{4}年|同比|增减|变化|增加了?多少|减少了?多少|增长了?多少|下降了?多少|多了|少了|增幅|降幅|增长率|增速|提高了?多少|升了|降了"
)
_TOTAL = re.compile(r"共|合计|累计|总共|一共|总计")
_EACH = re.compile(r"各|分别|每年|逐年|各自|依次")
_CONJUNCTIONS = frozenset({"和", "与", "及", "以及", "、", "跟", "同", "还有"})
_STOP_CONJUNCT = frozenset(
    "的 是 为 有 各 分别 都 在 多少 几 谁 哪 哪里 哪些 什么 何 如何 怎样 怎么 有何 吗 呢 ？ ? ， ,".split()
)
# Place-like words jieba tags ns that name no particular place.
_GENERIC_PLACES = frozenset(
    "城镇 城市 农村 地区 国家 全国 全省 全市 全县 全区 国内 国外 海外 各地 当地 本地 基层 "
    "社区 乡村 乡镇 城乡 中部 西部 东部 北部 南部 省 市 县 区 镇 乡 村 全球 世界 亚洲 库房 "
    "馆内 馆外 城区 市区 县城 馆里 院里 局里 所里 单位里 我馆 本馆 咱馆".split()
)
_PLACE_SUFFIX = re.compile(r"^[省市县区镇乡村州旗]$")
_ORDINAL_ENTITY = re.compile(
    r"第[一二三四五六七八九十百\d]+[届期批次轮号]|[一二三四五六七八九十]期|[\d一二三四五六七八九十]+号(?:线|楼|库|馆|院)"
)
_BOOK_TITLE = re.compile(r"《([^》]{1,40})》")
_CODE_LIKE = re.compile(r"[A-Za-z]+[-_]?[A-Za-z0-9]*\d[-A-Za-z0-9]*")
_DEFINITION = (
    re.compile(r"(?:什么是|何为|何谓|什么叫)\s*[“\"]?([\w·]{1,12}?)[”\"]?\s*[？?。]?$"),
    re.compile(
        r"^[“\"]?([\w·]{1,16}?)[”\"]?\s*(?:是什么|指什么|是指什么|指的是什么|是什么意思|的含义是什么|的含义|的定义|代表什么|表示什么)"
    ),
)


@dataclass(frozen=True)
class Question:
    text: str
    kind: AnswerKind
    years: tuple[int, ...]  # the years the facts asked about belong to
    years_named: bool  # the question itself names them (else none, or implied by 今年/去年)
    wants_target: bool  # a plan or target is asked, not what happened
    asks_change: bool  # a change against another year (比上年…) is asked
    asks_total: bool
    unit_family: str | None
    entities: tuple[str, ...]
    defined: str | None
    label: str  # how this question (or part) is named in an answer
    parts: tuple[Question, ...] = field(default=())
    # Parts joined by 各/分别/区别: answer every part, never the whole as one.
    parts_required: bool = False
    # The place of the archive the holdings mostly come from (青山县), standing in for the entity
    # when the question names none: "2024年接待查档多少人次" asks about our archive, not a neighbour's.
    home: str = ""
    period: str = ""  # 上半年, 一季度 …: a part of the year asked about


def analyse(question: str, *, current_year: int) -> Question:
    """The question read for answering; `current_year` resolves 今年 / 去年."""
    text = _TRAILING.sub("", plain_digits(question).strip())
    whole = _read(text, current_year)
    parts, required = _parts(text, whole, current_year)
    return replace(whole, parts=tuple(parts), parts_required=required)


def _read(text: str, current_year: int, label: str | None = None) -> Question:
    kind = answer_kind(text)
    years = tuple(y for y in years_in(text) if y not in compared_years(text)) or years_in(text)
    # "2024年的政府工作报告里说2023年…" asks about 2023; 2024 only names where to look.
    years = tuple(y for y in years if y not in years_naming_a_document(text)) or years
    named = bool(years)
    if not years:
        implied = sorted(
            {current_year + offset for word, offset in RELATIVE_YEARS.items() if _relative_asked(text, word)}
        )
        years = tuple(implied)
    return Question(
        text=text,
        kind=kind,
        years=years,
        years_named=named,
        wants_target=wants_target(text),
        asks_change=bool(_CHANGE.search(text)),
        asks_total=bool(_TOTAL.search(text)),
        unit_family=unit_asked(text) if kind == "quantity" else None,
        entities=entities_in(text),
        defined=defined_term(text),
        label=label or text,
        period=period_in(text),
    )


def _relative_asked(text: str, word: str) -> bool:
    # "比上年增加多少" compares with the year before; it does not ask about it.
    return any(text[max(0, m.start() - 1) : m.start()] not in {"比", "较"} for m in re.finditer(word, text))


def answer_kind(text: str) -> AnswerKind:
    for kind, pattern in _KIND_PATTERNS:
        if pattern.search(text):
            if kind == "list" and re.search(r"有什么(?:区别|不同|意义|作用|要求|规定)", text):
                continue
            return kind
    for kind, pattern in _HEAD_NOUNS:
        if pattern.search(text):
            return kind
    return "open"


def unit_asked(text: str) -> str | None:
    """The unit family a quantity question asks for; None when any figure may answer (a growth
    is answered in 万元 or in %, unless the question says which)."""
    if re.search(r"增长|下降|提高|降低|增加|减少|变化|增减", text) and not re.search(
        r"万元|亿元|率|%|％|百分|人次|页|卷|件", text
    ):
        return None
    for family, pattern in _UNIT_ASKED:
        if pattern.search(text):
            return family
    return None


def wants_target(text: str) -> bool:
    target = _TARGET_MARKERS.search(text)
    if not target:
        return False
    result = _RESULT_MARKERS.search(text)
    return result is None or target.start() < result.start()


def defined_term(text: str) -> str | None:
    """X in 'X是什么' / '什么是X': a definition is wanted, and a sentence 'X是…' gives it."""
    for pattern in _DEFINITION:
        if match := pattern.search(text.strip()):
            return match.group(1)
    return None


@lru_cache(maxsize=4096)
def tagged(text: str) -> tuple[tuple[str, str], ...]:
    """(word, part of speech) pairs by jieba, place names joined with their 县/市/省 suffix."""
    from assistant.index.lexical import pos_segmenter

    pairs: list[tuple[str, str]] = []
    for pair in pos_segmenter().cut(text):
        word, flag = pair.word, pair.flag
        if pairs and pairs[-1][1] == "ns" and _PLACE_SUFFIX.match(word):
            pairs[-1] = (pairs[-1][0] + word, "ns")
            continue
        pairs.append((word, flag))
    return tuple(pairs)


def entities_in(text: str) -> tuple[str, ...]:
    """The named things a question is about: places, people, organisations, titles in 《》,
    ordinals such as 第七届 or 二期, and code-like names (DAG-SZH-2022-08)."""
    found: list[str] = [m.group(1) for m in _BOOK_TITLE.finditer(text)]
    found += [m.group(0) for m in _ORDINAL_ENTITY.finditer(text)]
    found += [m.group(0) for m in _CODE_LIKE.finditer(text) if not re.fullmatch(r"[A-Za-z]+", m.group(0))]
    for word, flag in tagged(_BOOK_TITLE.sub(" ", text)):
        named = (flag in {"ns", "nt", "nz"} and len(word) >= 2 and word not in _GENERIC_PLACES) or _is_person(
            word, flag
        )
        if named and not any(word in other for other in found):
            found.append(word)
    return tuple(dict.fromkeys(found))


# jieba tags many common words nr ("安全检查"); a person's name is 2–4 characters and starts
# with a surname (or is a transliteration with ·).
_SURNAMES = frozenset(
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范"
    "方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段漕钱汤尹黎易常武乔贺赖龚文庞樊兰殷施陶洪翟安颜倪严牛温芦季俞章鲁葛伍韦申尤"
    "毕聂丛焦向柳邢路岳齐沿梅莫庄辛管祝左涂谷祁时舒耿牟卜路詹关苗凌费纪靳盛童欧甄项曲成游阳裴席卫查屈鲍位覃霍翁隋植甘景薄单包司柏宁柯阮桂闵"
)


def _is_person(word: str, flag: str) -> bool:
    if flag not in {"nr", "nrfg", "nrt"}:
        return False
    return "·" in word or (2 <= len(word) <= 4 and word[0] in _SURNAMES and not re.search(r"[检查管理工作档案]", word))


def _parts(text: str, whole: Question, current_year: int) -> tuple[list[Question], bool]:
    """The sub-questions of a question with several parts, and whether each must be answered."""
    each = bool(_EACH.search(text)) or whole.kind == "compare"
    if asked := _asked_one_by_one(text, whole, current_year):
        return asked, True
    conjuncts = _coordination(text)
    if conjuncts:
        prefix, items, suffix = conjuncts
        suffix = _EACH.sub("", suffix)
        if whole.kind == "compare":
            parts = [_read(f"什么是{item}", current_year, label=item) for item in items]
            return [replace(p, kind="definition", defined=item) for p, item in zip(parts, items, strict=True)], True
        strong = (
            each
            or all(_is_entity(item) for item in items)
            or whole.kind in {"quantity", "date", "person", "place", "org"}
        )
        if strong:
            return [
                _read(f"{prefix}{item}{suffix}", current_year, label=f"{prefix}{item}{suffix}") for item in items
            ], each
    if whole.kind == "quantity" and 1 < len(whole.years) <= 6 and whole.years_named and not whole.asks_total:
        stripped = _EACH.sub("", _without_year_span(text))
        return [
            replace(_read(f"{year}年{stripped}", current_year, label=f"{year}年"), years=(year,))
            for year in whole.years
        ], True
    return [], False


def _asked_one_by_one(text: str, whole: Question, current_year: int) -> list[Question]:
    """'2024年扫描多少页，数字化率达到多少' → two questions, the later ones given the years and
    entities the first one named."""
    segments = [s.strip() for s in re.split(r"[，,；;]|(?<=[？?])", text) if s.strip()]
    if len(segments) < 2 or any(answer_kind(s) == "open" for s in segments):
        return []
    first = _read(segments[0], current_year)
    parts = [first]
    for segment in segments[1:]:
        context = "".join(f"{y}年" for y in first.years if str(y) not in segment)
        context += "".join(e for e in first.entities if e not in segment)
        parts.append(_read(context + segment, current_year, label=segment))
    return parts


def _without_year_span(text: str) -> str:
    from assistant.text.years import remove_years

    return re.sub(r"^\s*[，,、]?", "", remove_years(text)).strip()


def _is_entity(item: str) -> bool:
    return any(flag in {"ns", "nr", "nrfg", "nrt", "nt"} for _, flag in tagged(item))


def _coordination(text: str) -> tuple[str, list[str], str] | None:
    """'…A和B的…' → (prefix, [A, B], suffix), the conjuncts parallel in length; None when the
    question coordinates nothing (or only years, which `_parts` splits by year)."""
    pairs = tagged(text)
    words = [w for w, _ in pairs]
    positions = [i for i, w in enumerate(words) if w in _CONJUNCTIONS]
    if not positions:
        return None
    last = positions[-1]
    named = {"ns", "nr", "nrfg", "nrt", "nt"}
    if 0 < last < len(words) - 1 and pairs[last - 1][1] in named and pairs[last + 1][1] in named:
        # "青山县和白河县档案馆…": the places are the conjuncts; what follows belongs to both.
        return "".join(words[: last - 1]), [words[last - 1], words[last + 1]], "".join(words[last + 2 :])
    tail: list[str] = []
    for word in words[last + 1 :]:
        if word in _STOP_CONJUNCT or re.fullmatch(r"\d+", word):
            break
        tail.append(word)
    if not tail:
        return None
    width = len(tail)
    items = ["".join(tail)]
    end = last  # exclusive end of the conjunct before this conjunction
    while True:
        start = max(end - width, 0)
        while start < end and (words[start] in _STOP_CONJUNCT or re.fullmatch(r"\d+|年", words[start])):
            start += 1
        before = words[start:end]
        if not before or any(w in _STOP_CONJUNCT or w in _CONJUNCTIONS for w in before):
            return None
        items.insert(0, "".join(before))
        if start - 1 >= 0 and words[start - 1] in _CONJUNCTIONS and len(items) < 4:
            end = start - 1
            continue
        break
    if any(re.fullmatch(r"\d{4}年?", item) for item in items):
        return None
    prefix = "".join(words[:start])
    suffix = "".join(words[last + 1 + width :])
    return prefix, items, suffix
