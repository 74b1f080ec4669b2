"""The batch job on a real Dask cluster of 2 local worker processes: OCR and embedding on the
workers, SQLite and Chroma written here, the same answers as a single-machine ingest.

One cluster start (a few seconds) for the job and one for the re-run through the CLI; the
pages are small, as in test_ocr.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from helpers import READER, STAFF, make_settings
from scan_fixtures import RECORD_PAGE, REPORT_PAGE, SECOND_PAGE, page_image, save_pdf
from typer.testing import CliRunner

from assistant.batch import run_batch
from assistant.cli import app
from assistant.index import db
from assistant.index.embeddings import load_embedder
from assistant.ingest.ocr_cache import cache_dir
from assistant.service import build_assistant

CATALOGUE = (
    "档号,题名,年度,开放状态\n"
    "38-1-0045,关于王某某等十二人招工的请示,1978,控制使用\n"
    "38-1-0046,县档案馆安全管理情况,1979,开放\n"
)


def test_a_backlog_is_read_and_embedded_by_two_workers_into_one_index(tmp_path: Path) -> None:
    backlog = tmp_path / "backlog"
    backlog.mkdir()
    (backlog / "目录.csv").write_text(CATALOGUE, encoding="utf-8")
    report_pdf = save_pdf(backlog / "2023年度工作总结.pdf", [page_image(SECOND_PAGE, seed=1), page_image(REPORT_PAGE)])
    save_pdf(backlog / "38-1-0045.pdf", [page_image(RECORD_PAGE, seed=3)])
    (backlog / "损坏.pdf").write_bytes(b"%PDF-1.4 not really")
    settings = make_settings(tmp_path / "index")

    batch = run_batch([backlog], settings, workers=2)

    assert batch.workers == 2 and batch.ocr_files == 3 and batch.ocr_failed == 1
    by_name = {Path(f.path).name: f for f in batch.report.files}
    assert by_name["损坏.pdf"].status == "failed" and "损坏.pdf" in by_name["损坏.pdf"].message
    assert all(by_name[n].status == "ingested" for n in ("目录.csv", report_pdf.name, "38-1-0045.pdf"))
    assert len(list(cache_dir(settings).rglob("*.json"))) == 3  # the workers' pages, in the shared cache

    assistant = build_assistant(settings)
    answer = assistant.ask("2023年全年接待查档多少人次？", STAFF)
    assert answer.status == "answered" and "1381" in answer.answer
    assert answer.citations[0].source == report_pdf.name and answer.citations[0].page == 2
    # The scan took its catalogue row's access level: a reader does not see the restricted record.
    assert "王某某" not in assistant.ask("王某某等十二人招工", READER).answer
    # Every chunk has its vector, and the workers' vectors are the model's own.
    conn = assistant.index.conn
    ids = [row[0] for row in conn.execute("SELECT id FROM chunks ORDER BY id")]
    stored = assistant.index.collection.get(ids=ids, include=["embeddings"])
    assert sorted(stored["ids"]) == ids
    chunks = db.chunks_by_id(conn, stored["ids"])
    local = load_embedder(settings).embed_documents([chunks[i].embedding_text for i in stored["ids"]])
    assert np.allclose(np.asarray(stored["embeddings"]), np.asarray(local), atol=1e-5)

    # Again through the CLI: nothing to read or store twice.
    rerun = CliRunner().invoke(app, ["--index-dir", str(settings.index_dir), "batch", str(backlog), "--workers", "2"])
    assert rerun.exit_code == 1, rerun.output  # the damaged file still fails, and says so
    assert "计算节点 2 个，文字识别 1 个扫描文件。" in rerun.stdout  # only the damaged one is tried again
    assert "导入 0 个文件（0 个文本块），未变化跳过 3 个，失败 1 个。" in rerun.stdout
    assert conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0] == len(ids)
