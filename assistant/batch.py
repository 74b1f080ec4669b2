"""A backlog as a batch job on Dask: OCR and embedding on a cluster's workers, one index.

    pip install 'archive-assistant[batch]'
    archive-assistant --index-dir DIR batch FOLDER...                       # a local cluster
    archive-assistant --index-dir DIR batch --scheduler tcp://10.0.0.9:8786 FOLDER...

Dask does the scheduling, retries of lost workers and the dashboard; we only say what a task is.
Two phases, both idempotent, so an interrupted job is simply run again:

1. OCR. Every scanned file (a PDF with textless pages, page images, a 档号 folder) that is new
   or changed becomes one task: a worker reads it as ingest would (`scans.load_scan`, in the
   worker's own process, one onnxruntime thread) and leaves its pages in the OCR cache. The
   cache is keyed by page content, so the workers and this machine must see the same cache
   folder: on one machine the index's own; across machines a shared folder (`ocr_cache_dir`).
2. Ingest. The ordinary `pipeline.ingest` runs here and finds every page in the cache; the
   texts it embeds are cut into pieces and embedded by the workers (`ClusterEncoder`), each
   with its own copy of the model. SQLite and Chroma (local, or the Chroma server named by
   `chroma_url`) are written here only: one writer, so nothing is lost or stored twice.

Deliberately not handled: files the workers cannot see (paths are sent as they are named
here: mount the backlog at the same path everywhere), and workers with another embedding
model (refused: the vectors would not match the index's).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.errors import ConfigError
from assistant.index import db
from assistant.index.embeddings import Embedder, Encoder, load_embedder
from assistant.index.store import open_index
from assistant.ingest import scans
from assistant.ingest.pipeline import discover, ingest
from assistant.models import IngestReport
from assistant.settings import Settings

if TYPE_CHECKING:
    from dask.distributed import Client

log = logging.getLogger(__name__)

# Texts per embedding task: big enough that a task outweighs its scheduling (a few ms), small
# enough that a 2,048-text call from ingest keeps every worker busy.
PIECE = 256


@dataclass(frozen=True)
class BatchReport:
    report: IngestReport
    ocr_files: int  # scanned files the workers read
    ocr_failed: int  # of them, files a worker could not read (ingest then names the problem)
    workers: int
    embedding_warning: str | None  # the configured model could not load here: the fallback embeds


def run_batch(paths: Sequence[Path], settings: Settings, scheduler: str = "", workers: int = 2) -> BatchReport:
    """Ingest `paths` into the index of `settings` with a Dask cluster doing the heavy work: the
    one at `scheduler`, or a local one of `workers` processes."""
    with _client(scheduler, workers) as client:
        count = len(client.scheduler_info().get("workers", {}))
        embedder = cluster_embedder(client, settings)
        index = open_index(settings, embedder)
        files, _ = discover(paths)
        scanned = [str(f) for f in files if scans.is_scan_source(f) and _needs_reading(index.conn, f)]
        worker_settings = settings.model_copy(update={"ocr_workers": 1, "ocr_threads": 1})
        futures = client.map(read_scan, scanned, settings=worker_settings, pure=False)
        failed = sum(1 for ok in client.gather(futures) if not ok)
        report = ingest(index, paths)
    return BatchReport(report, len(scanned), failed, count, embedder.fallback_warning)


@contextmanager
def _client(scheduler: str, workers: int) -> Iterator[Client]:
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise ConfigError("批量导入需要 Dask：请运行 pip install 'archive-assistant[batch]'") from exc
    if scheduler:
        try:
            client = Client(scheduler, timeout=30)
        except OSError as exc:
            raise ConfigError(f"无法连接批量计算调度器 {scheduler}（{exc}），请检查地址和端口") from exc
        with client:
            yield client
        return
    # Processes, one thread each: OCR and the embedding model use a core apiece, and Dask's
    # workers start with OMP_NUM_THREADS=1. No dashboard: nobody is there to look at it.
    with (
        LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        yield client


def _needs_reading(conn: Any, path: Path) -> bool:
    """False for a file stored complete with this content: ingest will skip it anyway."""
    stored = db.source_state(conn, str(path.resolve()))
    try:
        return not (stored and stored[1] == scans.content_hash(path) and stored[2] == "complete")
    except OSError:
        return False  # ingest names the problem


# ---- on the workers -------------------------------------------------------------------------------


def read_scan(path: str, settings: Settings) -> bool:
    """OCR one scanned file into the cache (a task on a worker); False when it cannot be read,
    which ingest reports with its reason when it meets the file."""
    try:
        scans.load_scan(Path(path), settings)
    except Exception:  # any failure: the file's own message comes from ingest, on this machine
        log.warning("batch OCR of %s failed", path, exc_info=True)
        return False
    return True


def embed_piece(texts: list[str], settings: Settings) -> tuple[str, np.ndarray]:
    """The model's name and the vectors of `texts` (a task on a worker)."""
    embedder = _worker_embedder(settings.embedding_model, settings.embedding_device, settings.model_dump_json())
    return embedder.name, np.asarray(embedder.encoder.passages(texts, settings.embedding_batch_size))


@lru_cache(maxsize=2)
def _worker_embedder(model: str, device: str, settings_json: str) -> Embedder:
    """One model per worker process, loaded by its first task."""
    return load_embedder(Settings.model_validate_json(settings_json))


# ---- here -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClusterEncoder:
    """An `Encoder` whose passages are embedded by the cluster's workers; a question (never
    asked during a batch job, but part of the contract) is embedded here."""

    client: Client
    local: Encoder
    name: str
    settings: Settings

    def passages(self, texts: list[str], batch_size: int) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        pieces = [texts[start : start + PIECE] for start in range(0, len(texts), PIECE)]
        futures = self.client.map(embed_piece, pieces, settings=self.settings, pure=False)
        parts = []
        for name, vectors in self.client.gather(futures):
            if name != self.name:
                raise ConfigError(
                    f"批量计算节点使用的嵌入模型（{name}）与本机（{self.name}）不同，请在各节点安装相同的模型和软件版本"
                )
            parts.append(vectors)
        return np.concatenate(parts)

    def query(self, text: str) -> np.ndarray:
        return self.local.query(text)


def cluster_embedder(client: Client, settings: Settings) -> Embedder:
    """The configured model (or its fallback) as ingest records it, embedding on the cluster."""
    local = load_embedder(settings)
    encoder = ClusterEncoder(client, local.encoder, local.name, settings)
    return Embedder(local.name, encoder, local.fallback_warning, local.about)
