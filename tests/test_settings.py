"""Settings strict and self-describing: a misspelt variable or TOML key is an error naming it and
the nearest setting; `config show` lists every setting with its value, source and description."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.settings import Settings


def _show(tmp_path: Path, env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--index-dir", str(tmp_path / "index"), "config", "show", *args], env=env)
    return result.exit_code, result.output


def test_every_setting_is_described_and_shown_with_its_source(tmp_path: Path) -> None:
    config = tmp_path / "assistant.toml"
    config.write_text('archive_name = "东川县档案馆"\n', encoding="utf-8")
    env = {
        "ARCHIVE_ASSISTANT_TOP_K": "7",
        "ARCHIVE_ASSISTANT_CONFIG": str(config),
        "ARCHIVE_ASSISTANT_LLM_API_KEY": "s3cret",
    }
    code, output = _show(tmp_path, env, "--json")
    assert code == 0, output
    shown = {d["name"]: d for d in json.loads(output)}
    assert set(shown) == set(Settings.model_fields)
    assert all(d["description"] for d in shown.values())
    assert (shown["top_k"]["value"], shown["top_k"]["source"]) == ("7", "环境变量")
    assert (shown["archive_name"]["value"], shown["archive_name"]["source"]) == ("东川县档案馆", "配置文件")
    assert shown["index_dir"]["source"] == "命令行" and shown["port"]["source"] == "默认"
    assert "s3cret" not in output and shown["llm_api_key"]["value"] == "（已设置）"


@pytest.mark.parametrize(
    "env, named",
    [
        ({"ARCHIVE_ASSISTANT_LLM_MODLE": "qwen"}, ["ARCHIVE_ASSISTANT_LLM_MODLE", "ARCHIVE_ASSISTANT_LLM_MODEL"]),
        ({"ARCHIVE_ASSISTANT_PORT": "八千"}, ["port", "应为整数"]),
        ({"ARCHIVE_ASSISTANT_DOCUMENT_OPEN_STATUS": "公开"}, ["document_open_status", "控制使用"]),
        ({"ARCHIVE_ASSISTANT_CHUNK_SIZE": "10"}, ["chunk_size", "50 到 4000"]),
    ],
)
def test_a_wrong_variable_is_an_error_that_names_it(tmp_path: Path, env: dict[str, str], named: list[str]) -> None:
    code, output = _show(tmp_path, env)
    assert code == 1 and "Traceback" not in output
    assert all(word in output for word in named), output


def test_a_misspelt_key_in_the_config_file_is_an_error_that_names_it(tmp_path: Path) -> None:
    config = tmp_path / "assistant.toml"
    config.write_text("top_kk = 3\n", encoding="utf-8")
    code, output = _show(tmp_path, {"ARCHIVE_ASSISTANT_CONFIG": str(config)})
    assert code == 1 and str(config) in output and "top_kk" in output and "top_k" in output.replace("top_kk", "")
