"""Ingest end to end on real SQLite and Chroma: incremental, idempotent, bad files isolated."""

from pathlib import Path

import numpy as np
from helpers import STAFF, make_pdf, make_settings
from typer.testing import CliRunner

from assistant.cli import app
from assistant.index import db
from assistant.service import Assistant, build_assistant

CSV = "档号,题名,年度,开放状态\n38-1-0001,关于招工的请示,1978,开放\n38-1-0002,关于转正定级的批复,1979,开放\n"


def _counts(assistant: Assistant) -> tuple[int, int, int, int]:
    conn = assistant.index.conn
    lexical = conn.execute("SELECT count(*) FROM chunks_fts").fetchone()[0]
    stats = db.stats(conn)
    return stats["sources"], stats["chunks"], lexical, assistant.index.collection.count()


def _corpus(folder: Path) -> Path:
    folder.mkdir()
    make_pdf(folder / "2021年度报告.pdf", [["一、查阅利用", "全年接待查档980人次。"]])
    (folder / "目录.csv").write_bytes(CSV.encode("gbk"))
    (folder / "说明.md").write_text("# 说明\n库房温度14至24摄氏度。\n", encoding="utf-8")
    return folder


def test_reingest_is_a_no_op_and_changed_files_are_replaced(assistant: Assistant, tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus")
    first = assistant.ingest([corpus])
    assert [f.status for f in first.files] == ["ingested"] * 3
    before = _counts(assistant)
    assert before[0] == 3 and before[1] == before[2] == before[3] == 4

    again = assistant.ingest([corpus])
    assert [f.status for f in again.files] == ["unchanged"] * 3
    assert _counts(assistant) == before

    (corpus / "目录.csv").write_bytes((CSV + "38-1-0003,关于退休审批的报告,1990,开放\n").encode("gbk"))
    changed = assistant.ingest([corpus])
    assert sorted(f.status for f in changed.files) == ["ingested", "unchanged", "unchanged"]
    assert _counts(assistant) == (3, 5, 5, 5)
    assert assistant.ask("38-1-0003是什么", STAFF).status == "answered"


def test_a_bad_file_is_named_and_the_rest_is_ingested(assistant: Assistant, tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus")
    (corpus / "坏文件.pdf").write_bytes(b"%PDF-1.4 truncated")
    (corpus / "空.csv").write_bytes(b"")
    report = assistant.ingest([corpus])
    failed = {Path(f.path).name: f.message for f in report.failed}
    assert set(failed) == {"坏文件.pdf", "空.csv"}
    assert "坏文件.pdf" in failed["坏文件.pdf"] and "损坏" in failed["坏文件.pdf"]
    assert _counts(assistant)[0] == 3


def test_cli_ingest_exits_non_zero_when_a_file_failed(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus")
    (corpus / "坏文件.pdf").write_bytes(b"not a pdf at all")
    result = CliRunner().invoke(app, ["--index-dir", str(tmp_path / "idx"), "ingest", str(corpus)])
    assert result.exit_code == 1
    assert "坏文件.pdf" in result.output and "导入 3 个文件" in result.output


def test_files_embedded_together_get_the_vectors_each_would_get_alone(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus")
    together = build_assistant(make_settings(tmp_path / "together"))
    report = together.ingest([corpus])
    assert [Path(f.path).name for f in report.files] == ["目录.csv", "2021年度报告.pdf", "说明.md"]  # catalogues first
    alone = build_assistant(make_settings(tmp_path / "alone"))
    for path in sorted(corpus.iterdir()):
        assert alone.ingest([path]).ok

    def vectors_by_id(assistant: Assistant) -> dict[str, list[float]]:
        stored = assistant.index.collection.get(include=["embeddings"])
        return dict(zip(stored["ids"], stored["embeddings"], strict=True))

    batched, single = vectors_by_id(together), vectors_by_id(alone)
    assert batched.keys() == single.keys() and len(batched) == 4
    for chunk_id, vector in batched.items():
        assert np.allclose(vector, single[chunk_id], atol=1e-5), chunk_id
