"""Gold files written by other people use other field names; eval reads the usual ones."""

import json
from pathlib import Path

import pytest

from assistant.errors import ConfigError
from assistant.evaluate import load_gold


def test_other_field_names_are_understood(tmp_path: Path) -> None:
    path = tmp_path / "gold.jsonl"
    lines = [
        {"question": "2022年接待查档多少人次", "answer": "1190人次", "source": "a.pdf", "page": 3},
        {"q": "停车位有多少", "unanswerable": True},
        {"question": "38-1-0046是什么", "role": "reader", "must_not_contain": "38-1-0046", "status": "no_evidence"},
    ]
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", encoding="utf-8")
    figure, refused, restricted = load_gold(path)
    assert (figure["expect_contains"], figure["expect_page"], figure["type"]) == (["1190人次"], 3, "figure")
    assert (refused["question"], refused["expect_status"]) == ("停车位有多少", "no_evidence")
    assert restricted["forbidden"] == ["38-1-0046"] and restricted["role"] == "reader"


def test_a_broken_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "gold.jsonl"
    path.write_text('{"question": "好"}\n{not json}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"gold\.jsonl 第 2 行"):
        load_gold(path)
