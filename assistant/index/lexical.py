"""Chinese lexical search: jieba segmentation feeding SQLite FTS5 with BM25 ranking.

FTS5's own tokenizers see a run of Chinese characters as one token, so text is segmented with
jieba first and stored as space-separated terms. Queries are segmented the same way and stop words
dropped; chunks holding every remaining term come first, then those holding any (BM25 ranks each).
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

import jieba
import jieba.posseg

from assistant.text.synonyms import alternatives

# Words of the trade that jieba's general dictionary would cut apart.
DOMAIN_WORDS = (
    "全宗",
    "全宗号",
    "档号",
    "案卷",
    "目录号",
    "案卷号",
    "查阅利用",
    "查档",
    "数字化",
    "著录",
    "控制使用",
    "延期开放",
    "未审核",
    "开放审核",
    "保管期限",
    "密级",
    "知青",
    "工龄",
    "转正定级",
    "退休审批",
    "人员经费",
    "公用经费",
    "项目支出",
    "基本支出",
    "编研",
    "八防",
    "接收进馆",
    "鉴定",
    "库房",
    "温湿度",
    "档案日",
    "人次",
    "卷次",
    "件次",
    "万元",
    "乡村振兴",
)

# Question words and particles: they say what kind of answer is wanted, not what it is about.
STOP_WORDS = frozenset(
    "的 了 是 在 和 与 及 或 等 吗 呢 吧 啊 么 什么 多少 哪些 哪个 哪 几 怎么 怎样 如何 为什么 请 请问 "
    "一下 有 有没有 没有 是否 我 你 您 我们 这 那 这个 那个 该 其 中 对 对于 关于 给 把 被 从 到 "
    "以及 还 也 都 就 又 个 上 下 了解 告诉 查询 查找 找 列出 一共 共 总共 情况 相关 方面 内容 "
    "里 里面 之 年度 年 月 日 号 应该 应当 需要 要 能 能够 可以 必须 一般 通常 主要 具体 分别 大概 大约 "
    # How people talk to a chat box: fillers that say nothing about the records.
    "过 才 啥 些 这些 那些 一些 东西 咱 咱们 县里 市里 省里 想 知道 想知道 帮 帮我 麻烦 啦 哦 呀 钱 打算".split()
)
_TOKEN_OK = re.compile(r"[\w\u4e00-\u9fff]")
# 几人, 几辆车, 多少钱 …: how much is asked, not what about.
_QUESTION_WORD = re.compile(r"^(?:几|多少)")


@lru_cache(maxsize=1)
def segmenter() -> jieba.Tokenizer:
    """jieba with the trade's words added; shared by every stage that segments."""
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in DOMAIN_WORDS:
        tokenizer.add_word(word, freq=20000, tag="n")
    return tokenizer


@lru_cache(maxsize=1)
def pos_segmenter() -> jieba.posseg.POSTokenizer:
    """Part-of-speech tagging over the same dictionary (names, places, organisations in questions)."""
    return jieba.posseg.POSTokenizer(segmenter())


def terms(text: str) -> list[str]:
    """Search terms of a text: jieba's search-mode words, lower-cased, no punctuation or stop words."""
    words = segmenter().cut_for_search(text.lower())
    return [
        w
        for w in (w.strip() for w in words)
        if w and _TOKEN_OK.search(w) and w not in STOP_WORDS and not _QUESTION_WORD.match(w)
    ]


def index_text(text: str) -> str:
    """The form stored in FTS5: terms separated by spaces."""
    return " ".join(terms(text))


def match_expression(query_terms: list[str], operator: str = "OR") -> str | None:
    """An FTS5 MATCH expression joining the quoted terms with `operator` (OR: any term; AND: every
    term), each term standing for itself or a word that means the same (GDP or 生产总值), or None
    when nothing is left to search."""
    unique = [t for t in dict.fromkeys(t.replace('"', "") for t in query_terms) if t]
    return f" {operator} ".join(_term_group(t) for t in unique) if unique else None


def _term_group(term: str) -> str:
    """'"gdp"', or '("gdp" OR ("地区" AND "生产总值"))' when the term has equivalents."""
    spelled = [f'"{term}"']
    for alternative in alternatives(term)[1:]:
        words = [w.replace('"', "") for w in terms(alternative)]
        words = [w for w in dict.fromkeys(words) if w and not any(w != o and w in o for o in words)]
        if words:
            spelled.append(f'"{words[0]}"' if len(words) == 1 else "(" + " AND ".join(f'"{w}"' for w in words) + ")")
    return spelled[0] if len(spelled) == 1 else "(" + " OR ".join(dict.fromkeys(spelled)) + ")"


def year_tag(year: int | None) -> str:
    """The token of a chunk's year in the FTS table's year_tag column."""
    return f"y{year}" if year is not None else "ynone"
