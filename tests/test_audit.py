"""The audit log (利用登记): every question recorded with who, when and what was shown;
append-only; exported as CSV for administrators."""

import csv
import sqlite3
from pathlib import Path

import pytest
from helpers import READER, STAFF
from typer.testing import CliRunner

from assistant.cli import app
from assistant.service import Assistant

CSV = "档号,题名,年度,开放状态\n38-1-0001,关于招工的请示,1978,开放\n38-1-0002,关于转正定级的批复,1979,控制使用\n"


@pytest.fixture
def catalogue(assistant: Assistant, tmp_path: Path) -> Assistant:
    path = tmp_path / "目录.csv"
    path.write_bytes(CSV.encode("gbk"))
    assert assistant.ingest([path]).ok
    return assistant


def test_questions_are_logged_and_exported(catalogue: Assistant, tmp_path: Path) -> None:
    catalogue.ask("38-1-0001是什么", READER)
    catalogue.ask("38-1-0002是什么", READER)
    catalogue.ask("38-1-0002是什么", STAFF)
    out = tmp_path / "利用登记.csv"
    result = CliRunner().invoke(app, ["--index-dir", str(catalogue.settings.index_dir), "audit", "export", str(out)])
    assert result.exit_code == 0 and "3 条" in result.output
    rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    header, first, refused, staff = rows
    assert header[:3] == ["序号", "时间(UTC)", "用户"]
    assert first[2:4] == ["reader", "reader"] and "档号 38-1-0001" in first[-1] and first[6] == "answered"
    assert refused[6] == "no_evidence" and refused[-1] == ""  # nothing was shown to the reader
    assert staff[2] == "staff" and "38-1-0002" in staff[-1]


def test_the_log_is_append_only(catalogue: Assistant) -> None:
    catalogue.ask("38-1-0001是什么", READER)
    conn = catalogue.index.conn
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE audit_log SET user = 'someone else'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM audit_log")
    assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 1
