"""Generated answers: stream the model's text, then hold it to the evidence.

After generation, [n] markers that point at no supplied chunk are removed (and reported), the
citations are exactly the chunks the text cites, and every figure in the text must occur in a
cited chunk (or in the figures the user typed) or the answer carries a warning naming it. When
the model cannot be reached, times out or breaks its stream, the extractive answer is returned
with a warning instead: never a traceback, never an empty answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from assistant.answer.citations import citation_of
from assistant.answer.grounding import check_markers, cited_ids, evidence_text, is_no_evidence, unsupported_figures
from assistant.answer.llm import stream_answer
from assistant.errors import LLMError
from assistant.models import NO_EVIDENCE_ANSWER, Answer, Hit
from assistant.prompts import Mode
from assistant.settings import Settings

log = logging.getLogger(__name__)

AnswerEvent = str | Answer  # text pieces while streaming, then the final Answer


def generate(
    settings: Settings,
    mode: Mode,
    question: str,
    hits: list[Hit],
    fallback: Callable[[], Answer],
    figures: str = "",
) -> Iterator[AnswerEvent]:
    pieces: list[str] = []
    try:
        for piece in stream_answer(settings, mode, question, hits, figures=figures):
            pieces.append(piece)
            yield piece
    except LLMError as exc:
        log.warning("language model failed, answering extractively: %s", exc)
        answer = fallback()
        answer.warnings.append(f"语言模型不可用，已改用摘录式回答：{exc}")
        yield answer
        return
    yield grounded_answer(settings, question, "".join(pieces), hits, figures)


def grounded_answer(settings: Settings, question: str, text: str, hits: list[Hit], figures: str = "") -> Answer:
    """The model's text checked against the chunks it was given."""
    if is_no_evidence(text) or not text.strip():
        return Answer(question, NO_EVIDENCE_ANSWER, "no_evidence", generated_by=settings.llm_model)
    text, removed = check_markers(text.strip(), set(range(1, len(hits) + 1)))
    numbers = cited_ids(text)
    warnings = []
    if removed:
        warnings.append("已删除指向不存在资料的引用标记：" + "、".join(f"[{n}]" for n in removed))
    if not numbers:
        warnings.append("回答没有标注任何出处，请核对原文后再使用。")
    cited = [evidence_text(hits[n - 1].chunk) for n in numbers]
    unsupported = unsupported_figures(text, cited + ([figures] if figures else []))
    if unsupported:
        warnings.append("以下数字未在引用资料中找到，请核对：" + "、".join(unsupported))
    return Answer(
        question=question,
        answer=text,
        status="answered",
        citations=[citation_of(n, hits[n - 1].chunk) for n in numbers],
        warnings=warnings,
        generated_by=settings.llm_model,
    )
