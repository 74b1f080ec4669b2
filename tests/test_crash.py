"""Crash-safe ingest: SIGKILL the ingest process while it writes, run it again, and the index
equals a clean ingest of the same files: same sources, chunk ids, vectors, lexical and catalogue
rows, no orphans in either store."""

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

from helpers import ROOT, make_settings

from assistant.index import vectors
from assistant.service import Assistant, build_assistant

FILES = ["全宗39_青山县劳动局_案卷级目录.csv", "2022年度部门整体支出绩效评价报告.pdf", "新进人员入门指南.md"]


def _state(assistant: Assistant) -> dict[str, object]:
    conn = assistant.index.conn
    return {
        "sources": sorted(conn.execute("SELECT name, content_hash, status, n_chunks FROM sources").fetchall()),
        "chunks": sorted(r[0] for r in conn.execute("SELECT id FROM chunks")),
        "lexical_rows": conn.execute("SELECT count(*) FROM chunks_fts").fetchone()[0],
        "catalogue_rows": conn.execute("SELECT count(*) FROM catalogue").fetchone()[0],
        "vectors": sorted(vectors.all_ids(assistant.index.collection)),
    }


def _pending(database: Path) -> int:
    """Sources stored without their vectors yet, read as another process would (-1: not yet readable)."""
    try:
        with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)) as conn:
            return conn.execute("SELECT count(*) FROM sources WHERE status != 'complete'").fetchone()[0]
    except sqlite3.Error:  # not created yet, or its tables not yet
        return -1


def _wait_for_pending(database: Path, process: subprocess.Popen[bytes], timeout: float = 240) -> bool:
    """Whether a half-written source showed up while the ingest still ran."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if _pending(database) > 0:
            return True
        time.sleep(0.02)
    return False


def _cli(index: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "assistant", "--index-dir", str(index), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_killed_ingest_converges_to_a_clean_ingest(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in FILES:
        shutil.copy(ROOT / "corpora" / "sample" / name, corpus / name)

    clean = build_assistant(make_settings(tmp_path / "clean"))
    assert clean.ingest([corpus]).ok
    expected = _state(clean)

    crashed = tmp_path / "crashed"
    rng = random.Random(20261125)
    mid_write = []
    for _ in range(3):
        process = _cli(crashed, "ingest", str(corpus))
        # Kill only once a source is stored but its vectors are not (status 'pending'), a little
        # later each time, so each kill lands inside the writes, not in model loading or after.
        writing = _wait_for_pending(crashed / "assistant.sqlite3", process)
        time.sleep(rng.uniform(0.0, 0.3))
        alive = process.poll() is None
        process.send_signal(signal.SIGKILL)
        process.wait()
        mid_write.append(writing and alive and _pending(crashed / "assistant.sqlite3") > 0)
    assert any(mid_write), "no kill landed while a source was half written"

    repaired = _cli(crashed, "doctor", "--repair")
    assert repaired.wait(timeout=300) in (0, 1), repaired.stderr.read().decode()  # type: ignore[union-attr]
    final = _cli(crashed, "ingest", str(corpus))
    assert final.wait(timeout=300) == 0, final.stderr.read().decode()  # type: ignore[union-attr]
    state = _state(build_assistant(make_settings(crashed)))
    # Source paths differ only by index folder; compare by name, hash, status and size.
    assert state == expected
