"""Generated answers through any OpenAI-compatible server (vLLM, llama.cpp, Ollama, a cloud API).

    for token in stream_answer(settings, "ask", question, hits):
        print(token, end="")

Every failure of the model server, the network or the stream surfaces as an `LLMError` whose
message says what to check; the original exception stays chained for the logs. Messages name the
server by scheme, host and path only, so a key or password in the URL never reaches a user.
Grounding (markers, figures) is checked afterwards on the whole text, see `grounding.py`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import urlsplit

import openai
from langchain_core.exceptions import ContextOverflowError
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_openai import ChatOpenAI

from assistant.answer.grounding import format_context
from assistant.errors import ConfigError, LLMError
from assistant.models import NO_EVIDENCE_ANSWER, Hit
from assistant.prompts import Mode, load_prompt
from assistant.settings import Settings

log = logging.getLogger(__name__)

# Earlier turns matter for names, years and codes; a long quoted answer adds little but tokens.
_HISTORY_TURNS = 3
_HISTORY_ANSWER_CHARS = 300
_FENCE = re.compile(r"={3,}\s*对话(?:开始|结束)\s*={3,}")
# A malformed stream or body fails inside the client's JSON and message parsing.
_MALFORMED = (ValueError, KeyError, TypeError, AttributeError, IndexError)


def build_chat_model(settings: Settings) -> ChatOpenAI:
    """The chat model the settings name; no retries, so a dead server fails within one timeout."""
    if not settings.llm_enabled:
        raise ConfigError(
            "未配置语言模型：请设置 ARCHIVE_ASSISTANT_LLM_BASE_URL 和 ARCHIVE_ASSISTANT_LLM_MODEL，或使用摘录式回答。"
        )
    return ChatOpenAI(
        model=settings.llm_model,
        base_url=settings.llm_base_url,
        # Local servers ignore the key, but the OpenAI client refuses to start without one.
        api_key=settings.llm_api_key or "not-needed",
        temperature=settings.llm_temperature,
        max_tokens=settings.llm_max_tokens,
        timeout=settings.llm_timeout,
        max_retries=0,
        # Plain chat completions: the one API every OpenAI-compatible server implements.
        use_responses_api=False,
        stream_usage=False,
    )


def stream_answer(
    settings: Settings,
    mode: Mode,
    question: str,
    hits: list[Hit],
    *,
    figures: str = "",
    prompts_dir: Path | None = None,
) -> Iterator[str]:
    """Text pieces of the answer as the model produces them; [n] in the text means hits[n - 1].

    With no hits the model is not asked at all: it could only answer from its own knowledge.
    The prompt and the model are prepared before the first piece is requested, so a broken
    template or missing setting raises here rather than halfway through a stream.
    """
    if not hits:
        return iter([NO_EVIDENCE_ANSWER])
    variables = {"question": question.strip(), "context": format_context(hits)}
    if mode == "draft":
        variables["figures"] = figures.strip() or "无"
    messages = load_prompt(mode, prompts_dir or settings.prompts_dir).format_messages(**variables)
    return _stream_text(settings, build_chat_model(settings), messages)


def condense_question(
    settings: Settings,
    question: str,
    history: list[tuple[str, str]],
    *,
    prompts_dir: Path | None = None,
) -> str:
    """A follow-up rewritten as a standalone question, using the (user, assistant) history.

    Without history the question is already standalone and is returned unchanged, no request made.
    """
    if not history:
        return question
    prompt = load_prompt("condense", prompts_dir or settings.prompts_dir)
    messages = prompt.format_messages(history=_format_history(history), question=question.strip())
    text = _invoke_text(settings, build_chat_model(settings), messages)
    # Models like to wrap the line in quotes or prefix it despite the instructions.
    lines = [line for line in text.splitlines() if line.strip()] or [text]
    standalone = re.sub(r"^(?:独立问题|改写后的问题|问题)\s*[:：]\s*", "", lines[0].strip())
    standalone = standalone.strip("\"'“”‘’「」 ")
    if not standalone:
        raise LLMError("语言模型没有给出改写后的问题：请重试，或换一种说法直接提问。")
    echoed = _POINTING.sub("", standalone) == _POINTING.sub("", question)
    if echoed or not keeps_the_follow_up(standalone, question):
        # Small models often repeat the previous question or echo the follow-up unchanged.
        log.info("condensed question dropped what the follow-up asks; rewritten without the model")
        return with_other_year(history[-1][0], question) or question
    return standalone


# Words that only point back at the previous question ("那2021年呢？", "其中…").
_POINTING = re.compile(r"那么|那|呢|其中|的情况|情况|的|又|还有|也|吗|[？?。，,\s]")


def keeps_the_follow_up(standalone: str, follow_up: str) -> bool:
    """The rewrite still asks what the follow-up asks: its years and content words are there.

    >>> keeps_the_follow_up("2022年接待查档多少人次？", "那2021年呢？")
    False
    >>> keeps_the_follow_up("2021年接待查档多少人次？", "那2021年呢？")
    True
    """
    from assistant.index.lexical import terms
    from assistant.text.years import years_in

    words = [t for t in terms(follow_up) if len(t) >= 2 and not t.isdigit() and not _POINTING.fullmatch(t)]
    return all(str(year) in standalone for year in years_in(follow_up)) and all(w in standalone for w in words)


def with_other_year(previous: str, follow_up: str) -> str | None:
    """A follow-up that only names other years, asked as the previous question of those years:
    ('2022年接待查档多少人次？', '那2021年呢？') → '2021年接待查档多少人次？'. None for any other follow-up.
    """
    from assistant.text.years import years_in

    years = years_in(follow_up)
    rest = _POINTING.sub("", re.sub(r"(?:19|20)\d{2}\s?年?(?:度)?", "", follow_up))
    if not years or rest:
        return None
    said = "、".join(f"{year}年" for year in years)
    replaced, count = re.subn(r"(?:19|20)\d{2}\s?年", said, previous, count=1)
    return replaced if count else f"{said}{previous}"


def check_llm(settings: Settings) -> str | None:
    """For `doctor`: None when the model answers a tiny request, else one sentence on what is wrong.

    Not configuring a model is not a problem (answers are then extractive); configuring half is.
    """
    if not settings.llm_base_url and not settings.llm_model:
        return None
    if not settings.llm_base_url:
        return "已设置 ARCHIVE_ASSISTANT_LLM_MODEL，但没有设置 ARCHIVE_ASSISTANT_LLM_BASE_URL。"
    if not settings.llm_model:
        return "已设置 ARCHIVE_ASSISTANT_LLM_BASE_URL，但没有设置 ARCHIVE_ASSISTANT_LLM_MODEL。"
    try:
        # Reachability, key and model name are what is checked: a reasoning model may spend these
        # few tokens thinking and return no text, which is no fault of the configuration.
        _invoke(settings, build_chat_model(settings), [HumanMessage("请只回复：好")], max_tokens=16)
    except LLMError as exc:
        return str(exc)
    return None


def _stream_text(settings: Settings, model: ChatOpenAI, messages: Sequence[BaseMessage]) -> Iterator[str]:
    received = False
    try:
        for chunk in model.stream(messages):
            text = str(chunk.text)
            if text:
                received = True
                yield text
    except (openai.OpenAIError, *_MALFORMED) as exc:
        raise _llm_error(settings, exc) from exc
    if not received:
        raise LLMError(_empty_reply(settings))


def _invoke(settings: Settings, model: ChatOpenAI, messages: Sequence[BaseMessage], **kwargs: object) -> AIMessage:
    try:
        return model.invoke(messages, **kwargs)
    except (openai.OpenAIError, *_MALFORMED) as exc:
        raise _llm_error(settings, exc) from exc


def _invoke_text(settings: Settings, model: ChatOpenAI, messages: Sequence[BaseMessage]) -> str:
    text = str(_invoke(settings, model, messages).text).strip()
    if not text:
        raise LLMError(_empty_reply(settings))
    return text


def _llm_error(settings: Settings, exc: BaseException) -> LLMError:
    """One sentence a user can act on. The foreign message is not shown: it may echo request data."""
    log.debug("language model request failed: %s", type(exc).__name__, exc_info=exc)
    server = _safe_url(settings.llm_base_url)
    if isinstance(exc, openai.APITimeoutError):
        return LLMError(
            f"语言模型服务 {server} 在 {settings.llm_timeout:g} 秒内没有响应：请确认服务没有过载，"
            "或调大 ARCHIVE_ASSISTANT_LLM_TIMEOUT。"
        )
    if isinstance(exc, openai.APIConnectionError):
        return LLMError(f"无法连接语言模型服务 {server}：请确认服务已启动，ARCHIVE_ASSISTANT_LLM_BASE_URL 正确。")
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return LLMError(f"语言模型服务 {server} 拒绝了访问：请检查 ARCHIVE_ASSISTANT_LLM_API_KEY。")
    if isinstance(exc, openai.NotFoundError):
        return LLMError(
            f"语言模型服务 {server} 上找不到模型 {settings.llm_model}：请检查 ARCHIVE_ASSISTANT_LLM_MODEL，"
            "以及地址是否以 /v1 结尾。"
        )
    if isinstance(exc, ContextOverflowError):
        return LLMError("问题和检索到的资料超出了模型的上下文长度：请减少 top_k，或换用上下文更长的模型。")
    if isinstance(exc, openai.RateLimitError):
        return LLMError(f"语言模型服务 {server} 当前请求过多：请稍后再试。")
    if isinstance(exc, openai.APIStatusError):
        return LLMError(f"语言模型服务 {server} 返回了错误（HTTP {exc.status_code}）：请查看服务端日志后重试。")
    return LLMError(f"语言模型服务 {server} 返回了无法解析的数据：请确认它是 OpenAI 兼容接口，然后重试。")


def _empty_reply(settings: Settings) -> str:
    return f"语言模型 {settings.llm_model} 返回了空回答：请重试，或检查模型和 ARCHIVE_ASSISTANT_LLM_MAX_TOKENS 设置。"


def _safe_url(url: str) -> str:
    """scheme://host[:port]/path: user, password and query (which may hold a key) left out."""
    parts = urlsplit(url)
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # a port that is not a number
        port = ""
    if not parts.hostname:
        return "（地址无效）"
    return f"{parts.scheme}://{parts.hostname}{port}{parts.path}"


def _format_history(history: list[tuple[str, str]]) -> str:
    lines: list[str] = []
    for user, assistant in history[-_HISTORY_TURNS:]:
        answer = assistant.strip()
        if len(answer) > _HISTORY_ANSWER_CHARS:
            answer = answer[:_HISTORY_ANSWER_CHARS] + "……"
        lines += [f"用户：{user.strip()}", f"助手：{answer}"]
    # A turn containing the closing fence could smuggle text out of the history block.
    return _FENCE.sub("[对话分隔线]", "\n".join(lines))
