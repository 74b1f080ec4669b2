"""A real language model end to end: Qwen2.5-Coder-0.5B-Instruct (Q4_K_M GGUF, assembled from its
PyPI part packages) served by llama.cpp (`xllamacpp`), asked through the CLI.

One thread and greedy decoding (temperature 0): steady on a busy 2-core machine, and the same
answer every run. The model answers in 2-10 s once loaded; the whole module takes about 1-2
minutes. What these tests assert is what a real small model actually does through our checks;
edge cases it cannot be made to produce are tested with the fake server (test_modes.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import ROOT
from typer.testing import CliRunner

from assistant.answer.grounding import evidence_text, unsupported_figures
from assistant.answer.local_llm import LocalModelServer
from assistant.cli import app
from assistant.errors import ConfigError
from assistant.gguf_parts import PACKAGED_MODELS, assemble, packaged_model
from assistant.index import db
from assistant.models import NO_EVIDENCE_ANSWER
from assistant.service import Assistant

MODEL = "qwen2.5-coder-0.5b"
# Deterministic answers, short ones, one thread; the timeout covers a machine busy with other tests.
REAL_MODEL_ENV = {
    "ARCHIVE_ASSISTANT_LLM_TEMPERATURE": "0",
    "ARCHIVE_ASSISTANT_LLM_MAX_TOKENS": "160",
    "ARCHIVE_ASSISTANT_LLM_TIMEOUT": "300",
    "ARCHIVE_ASSISTANT_LLM_LOCAL_THREADS": "1",
    "ARCHIVE_ASSISTANT_LLM_LOCAL_CONTEXT": "4096",
}


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The test model, assembled once into the user cache folder and verified by size and sha256."""
    return packaged_model(MODEL)


@pytest.fixture(scope="session")
def model_server(model_path: Path) -> Iterator[LocalModelServer]:
    """One server for the tests that do not test starting it: its prompt cache then holds the
    system prompt, which every answer shares."""
    with LocalModelServer(model_path, threads=1) as server:
        yield server


def _cli(sample: Assistant, args: list[str], env: dict[str, str], stdin: str | None = None) -> str:
    result = CliRunner().invoke(
        app, ["--index-dir", str(sample.settings.index_dir), *args], env={**REAL_MODEL_ENV, **env}, input=stdin
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def _remote(server: LocalModelServer) -> dict[str, str]:
    return {"ARCHIVE_ASSISTANT_LLM_BASE_URL": server.base_url, "ARCHIVE_ASSISTANT_LLM_MODEL": server.model}


def _shown_figures_outside_citations(sample: Assistant, answer: dict) -> list[str]:
    """Figures of the answer found in none of its cited chunks (as the model saw them) nor the question."""
    cited = {c["text"] for c in answer["citations"]}
    rows = sample.index.conn.execute("SELECT id, text FROM chunks").fetchall()
    chunks = db.chunks_by_id(sample.index.conn, [row[0] for row in rows if row[1] in cited])
    assert len(chunks) >= len(cited)
    return unsupported_figures(answer["answer"], [*(evidence_text(c) for c in chunks.values()), answer["question"]])


# The model file


def test_the_test_model_is_assembled_and_verified(model_path: Path) -> None:
    expected = PACKAGED_MODELS[MODEL]
    assert model_path.stat().st_size == expected.size == 491_400_064
    with model_path.open("rb") as model:
        assert model.read(4) == b"GGUF"
    assert ROOT not in model_path.parents  # cached outside the repository, kept between runs


def test_parts_with_a_wrong_hash_are_refused(tmp_path: Path) -> None:
    parts = [tmp_path / "a.bin", tmp_path / "b.bin"]
    parts[0].write_bytes(b"GGUF" + b"\0" * 60)
    parts[1].write_bytes(b"\1" * 64)
    import hashlib

    good = hashlib.sha256(parts[0].read_bytes() + parts[1].read_bytes()).hexdigest()
    target = tmp_path / "cache" / "m.gguf"
    with pytest.raises(ConfigError, match="校验值"):
        assemble(parts, target, 128, "0" * 64)
    with pytest.raises(ConfigError, match="大小不对"):
        assemble(parts, target, 100, good)
    assert not target.exists() and list(target.parent.iterdir()) == []  # nothing half-written is left
    assert assemble(parts, target, 128, good) == target and target.stat().st_size == 128
    target.write_bytes(b"GGUF" + b"\2" * 124)  # changed in place: hashed again, found wrong, rebuilt
    assert assemble(parts, target, 128, good).read_bytes() == parts[0].read_bytes() + parts[1].read_bytes()


def test_a_file_that_is_not_a_model_is_a_config_error(tmp_path: Path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_text("not a model", encoding="utf-8")
    with pytest.raises(ConfigError, match="不是 GGUF 模型文件"):
        LocalModelServer(fake).start()
    with pytest.raises(ConfigError, match="本地模型文件不存在"):
        LocalModelServer(tmp_path / "none.gguf").start()


# Through the CLI with the real model


def test_figure_question_is_answered_from_the_right_year_and_cited_and_the_server_stops(
    sample_assistant: Assistant, model_path: Path
) -> None:
    """The embedded path: the CLI starts llama.cpp for the GGUF file, answers, and stops it."""
    env = {"ARCHIVE_ASSISTANT_LLM_LOCAL_MODEL": str(model_path)}
    out = _cli(sample_assistant, ["ask", "--json", "2022年全年接待了多少查档人次", "县档案馆食堂每天供应几种菜？"], env)
    figure, unanswerable = (json.loads(line) for line in out.strip().splitlines())
    assert figure["generated_by"] == model_path.stem, figure  # the model's own text passed the checks
    assert "1190人次" in figure["answer"] and "[1]" in figure["answer"]
    assert [(c["source"], c["page"]) for c in figure["citations"]] == [("2022年度部门整体支出绩效评价报告.pdf", 3)]
    assert _shown_figures_outside_citations(sample_assistant, figure) == []
    assert (unanswerable["status"], unanswerable["answer"]) == ("no_evidence", NO_EVIDENCE_ANSWER)
    assert unanswerable["citations"] == []
    children = subprocess.run(["pgrep", "-P", str(os.getpid()), "-f", "assistant.answer.local_llm"], check=False)
    assert children.returncode == 1  # no llama.cpp server left running


def test_a_follow_up_is_condensed_in_chat(sample_assistant: Assistant, model_server: LocalModelServer) -> None:
    """The 0.5B model repeats the previous question instead of condensing; the check in
    `condense_question` catches that and asks the previous question of the year named."""
    out = _cli(
        sample_assistant, ["chat"], _remote(model_server), stdin="2022年全年接待了多少查档人次\n那2021年呢？\n\n"
    )
    first, follow_up = out.split("问> ")[1:3]
    assert "1190人次" in first and "2022年度部门整体支出绩效评价报告.pdf，第3页" in first
    assert "1284人次" in follow_up and "2021年度部门整体支出绩效评价报告.pdf，第3页" in follow_up
    assert "1190" not in follow_up


def test_draft_mode_never_shows_unchecked_text(sample_assistant: Assistant, model_server: LocalModelServer) -> None:
    """Asked to draft from nine passages, the 0.5B model declines (or, told it may not, copies the
    material back with its years changed): the evidence pack of earlier years is shown instead."""
    question = "起草2024年度部门整体支出绩效评价报告“七、存在的主要问题”"
    out = _cli(sample_assistant, ["ask", "--json", "--mode", "draft", question], _remote(model_server))
    draft = json.loads(out)
    assert draft["status"] == "answered" and draft["citations"]
    assert {c["source"][:4] for c in draft["citations"]} <= {"2021", "2022", "2023"}
    assert "=====资料" not in draft["answer"]
    assert _shown_figures_outside_citations(sample_assistant, draft) == []
    if draft["generated_by"] == "extractive":
        assert draft["answer"].startswith("2024年“存在的主要问题”草稿")
        assert any(w.startswith("自动生成的回答未采用") for w in draft["warnings"])


# prompts/ in an installed (non-editable) copy


def test_an_installed_wheel_finds_its_prompt_templates(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = tmp_path.glob("archive_assistant-*.whl")
    installed = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(installed)
    names = {p.name for p in (installed / "assistant" / "prompt_templates").iterdir()}
    assert names == {p.name for p in (ROOT / "prompts").glob("*.txt")}
    code = (
        "import assistant.prompts as p; p.validate_prompts(); "
        "print(p.default_prompts_dir()); print(p.load_prompt('ask').input_variables)"
    )
    # Outside the repository, with the unpacked wheel first on the path: the copy pip would install.
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(installed)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    folder, variables = run.stdout.splitlines()
    assert Path(folder) == installed / "assistant" / "prompt_templates"
    assert "question" in variables and "context" in variables
