"""Crash-safe ingest: SIGKILL the ingest process at random points, run it again, and the index
equals a clean ingest of the same files: same sources, chunk ids, vectors, lexical and catalogue
rows, no orphans in either store."""

import os
import random
import shutil
import signal
import subprocess
import sys
import time
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
    for _ in range(3):
        process = _cli(crashed, "ingest", str(corpus))
        time.sleep(rng.uniform(3.0, 9.0))  # model loading takes a few seconds; then the writes start
        process.send_signal(signal.SIGKILL)
        process.wait()

    repaired = _cli(crashed, "doctor", "--repair")
    assert repaired.wait(timeout=300) in (0, 1), repaired.stderr.read().decode()  # type: ignore[union-attr]
    final = _cli(crashed, "ingest", str(corpus))
    assert final.wait(timeout=300) == 0, final.stderr.read().decode()  # type: ignore[union-attr]
    state = _state(build_assistant(make_settings(crashed)))
    # Source paths differ only by index folder; compare by name, hash, status and size.
    assert state == expected
