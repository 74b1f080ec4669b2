"""Generated answers: stream the model's text, then hold it to the evidence before showing it.

The model's text is shown as the answer only when it passes every check below; otherwise the
extractive answer (which the service computed first, from the same chunks) is shown, with one
warning saying why the generated one was not used. Small models on a CPU fail in all these ways:

- it refuses although the extractive answerer found checked evidence;
- it copies the material block back instead of answering (small models do, editing its years);
- it writes no citation at all, even after its sentences are matched to the chunks
  (`grounding.attach_citations`: small models rarely write [n]);
- a sentence states a figure of another year or another entity than the one asked (ask mode);
- it states a figure found in none of the chunks it cites (nor the question, nor the figures
  the user typed for a draft);
- it leaves out the figure or date the extractive answerer checked, with its unit (ask mode):
  a figure copied from the right chunk can still be the wrong one (公用经费 for 人员经费).

The model is not asked at all when the extractive answer says more than a short answer can (ask
mode): a part of the question has no answer in the holdings, or two documents give different
figures for the same year. Small models fill the gap with a neighbour's figure, or pick one.

Markers pointing at no supplied chunk are removed and reported. When the model cannot be reached,
times out or breaks its stream, the extractive answer is returned with a warning too: never a
traceback, never an empty answer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from assistant.answer.citations import citation_of
from assistant.answer.grounding import (
    attach_citations,
    check_markers,
    cited_ids,
    evidence_text,
    is_no_evidence,
    missing_figures,
    off_question,
    unsupported_figures,
)
from assistant.answer.llm import stream_answer
from assistant.answer.question import analyse
from assistant.errors import LLMError
from assistant.models import NO_EVIDENCE_ANSWER, Answer, Hit
from assistant.prompts import Mode
from assistant.settings import Settings

log = logging.getLogger(__name__)

AnswerEvent = str | Answer  # text pieces while streaming, then the final Answer

# The kinds of question whose extractive answer is one checked figure or date the model must state.
_CHECKED_KINDS = frozenset({"quantity", "date"})


def generate(
    settings: Settings,
    mode: Mode,
    question: str,
    hits: list[Hit],
    extractive: Answer,
    figures: str = "",
) -> Iterator[AnswerEvent]:
    """Text pieces as the model writes them, then the checked Answer: the model's, or `extractive`."""
    if mode == "ask" and (reason := _beyond_a_short_answer(extractive)):
        log.debug("model not asked: %s", reason)  # the quotes are the answer; no need to wait for a model
        yield extractive
        return
    pieces: list[str] = []
    try:
        for piece in stream_answer(settings, mode, question, hits, figures=figures):
            pieces.append(piece)
            yield piece
    except LLMError as exc:
        log.warning("language model failed, answering extractively: %s", exc)
        extractive.warnings.append(f"语言模型不可用，已改用摘录式回答：{exc}")
        yield extractive
        return
    yield grounded_answer(settings, mode, question, "".join(pieces), hits, extractive, figures)


def grounded_answer(
    settings: Settings,
    mode: Mode,
    question: str,
    text: str,
    hits: list[Hit],
    extractive: Answer,
    figures: str = "",
) -> Answer:
    """The model's text checked against the chunks it was given, or `extractive` and the reason."""
    if is_no_evidence(text) or not text.strip():
        if extractive.status == "answered":
            return _instead(extractive, "它说没有找到依据，但资料中有核对过的答案")
        return Answer(
            question, NO_EVIDENCE_ANSWER, "no_evidence", generated_by=settings.llm_model, hint=extractive.hint
        )
    text, removed = check_markers(text.strip(), set(range(1, len(hits) + 1)))
    if not cited_ids(text):
        text = attach_citations(text, hits)
    numbers = cited_ids(text)
    if not numbers:
        everything = [evidence_text(hit.chunk) for hit in hits]
        if unsupported := unsupported_figures(text, [*everything, question, figures]):
            return _instead(extractive, "其中的数字" + "、".join(unsupported) + "在资料中找不到")
        return _instead(extractive, "它的内容对应不到任何一条资料")
    if reason := _reason_to_refuse(settings, mode, question, text, hits, numbers, extractive, figures):
        return _instead(extractive, reason)
    warnings = []
    if removed:
        warnings.append("已删除指向不存在资料的引用标记：" + "、".join(f"[{n}]" for n in removed))
    return Answer(
        question=question,
        answer=text,
        status="answered",
        citations=[citation_of(n, hits[n - 1].chunk) for n in numbers],
        warnings=warnings,
        generated_by=settings.llm_model,
    )


def _reason_to_refuse(
    settings: Settings,
    mode: Mode,
    question: str,
    text: str,
    hits: list[Hit],
    numbers: list[int],
    extractive: Answer,
    figures: str,
) -> str | None:
    """Why the model's text must not be shown as the answer, or None."""
    if _ECHO.search(text):
        return "它照抄了提供给它的资料格式，而不是作答"
    asked = analyse(question, current_year=settings.current_year()) if mode == "ask" else None
    if asked and (off := off_question(asked, text, hits)):
        sentence, problem = off[0]
        what = "年份" if problem == "year" else "单位或对象"
        return f"“{sentence}”的{what}与问题不符"
    cited = [evidence_text(hits[n - 1].chunk) for n in numbers]
    unsupported = unsupported_figures(text, [*cited, question, figures])
    if unsupported:
        return "其中的数字" + "、".join(unsupported) + "在所引资料中找不到"
    if asked and asked.kind in _CHECKED_KINDS and extractive.status == "answered":
        missing = missing_figures(extractive.first_sentence, text, question)
        if missing:
            return "它没有给出原文中核对过的" + "、".join(missing)
    return None


# The material block as the model was shown it (grounding.format_context): copied back, with
# titles and years edited to fit the question, it would pass the figure checks.
_ECHO = re.compile(r"={3,}\s*资料(?:开始|结束)|^\s*\[\d+\]\s*出处：|^标题：", re.MULTILINE)

# How extractive.render marks an answer that is not one figure: a part of the question the holdings
# do not answer, and another document giving another figure for the same year.
_PARTS_NOT_FOUND = "未找到依据的部分："
_OTHER_SOURCE = "\n另据"


def _beyond_a_short_answer(extractive: Answer) -> str | None:
    """What the extractive answer says that a one- or two-sentence answer would hide: small
    models fill a missing part with a neighbour's figure, and pick one of two disagreeing ones."""
    if _PARTS_NOT_FOUND in extractive.answer:
        return "问题的一部分在资料中没有答案"
    if _OTHER_SOURCE in extractive.answer:
        return "不同资料给出的数字不一致，需要对照原文"
    return None


def _instead(extractive: Answer, reason: str) -> Answer:
    """The extractive answer, saying why the generated one is not shown."""
    log.info("generated answer not used: %s", reason)
    extractive.warnings.append(f"自动生成的回答未采用（{reason}），以下是原文摘录。")
    return extractive
