"""Access levels of documents that are records (issue 18, findings 3, 5, 6, 7): a file named by a
档号 in any way takes its catalogue row's level, or fails closed; a crash that left a record below
its row is seen and repaired by doctor; a 密级 column under another name never declassifies;
tightening an access setting reaches documents already stored."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from helpers import ADMIN, READER, STAFF, make_pdf, make_settings
from typer.testing import CliRunner

from assistant.access import CLASSIFIED, NOT_OPEN, OPEN
from assistant.cli import app
from assistant.doctor import diagnose
from assistant.ingest.catalogue import read_catalogue
from assistant.service import Assistant, build_assistant

CATALOGUE = (
    "档号,题名,年度,开放状态,密级\n"
    "39-1-0011,张三政审材料,1975,控制使用,\n"
    "39-1-0012,李四招工登记表,1976,开放,\n"
    "39-1-0050,县劳动局机要通信,1980,开放,机密\n"
)
NAMES = [
    "39-1-0011.docx",
    "39-1-0011(1).txt",
    "39-1-0011_扫描.txt",
    "全宗39-1-0011.md",
    "39_1_0011.txt",
    "39-1-0011 政审材料.txt",
    "39-1-0011/转录.txt",
]


def _levels(assistant: Assistant) -> dict[str, set[tuple[int, str | None]]]:
    """Source path relative name → {(access level, 档号)} of its chunks."""
    rows = assistant.index.conn.execute(
        "SELECT s.path, c.access_level, c.archival_code FROM chunks c JOIN sources s ON s.id = c.source_id "
        "WHERE c.kind != 'catalogue'"
    )
    found: dict[str, set[tuple[int, str | None]]] = {}
    for path, level, code in rows:
        found.setdefault("/".join(Path(path).parts[-2:]), set()).add((level, code))
    return found


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".docx":
        document = docx.Document()
        document.add_paragraph(text)
        document.save(str(path))
    else:
        path.write_text(text, encoding="utf-8")


def test_files_named_by_a_code_in_any_way_take_their_rows_level(assistant: Assistant, tmp_path: Path) -> None:
    corpus = tmp_path / "档案"
    corpus.mkdir()
    (corpus / "全宗39目录.csv").write_text(CATALOGUE, encoding="utf-8")
    for number, name in enumerate(NAMES):
        _write(corpus / name, f"张三同志一九七五年政审结论第{number}份：同意录用。")
    _write(corpus / "39-1-0011与39-1-0012合订.txt", "合订本：王五同志的调动审批意见。")
    _write(corpus / "2021-12-31会议纪要.txt", "会议纪要：讨论库房改造方案。")
    _write(corpus / "2023年度工作总结.txt", "全年接待查档1260人次。")
    report = assistant.ingest([corpus])
    assert report.ok, [f.message for f in report.failed]
    levels = _levels(assistant)
    for name in NAMES:
        key = name if "/" in name else f"档案/{name}"
        assert levels[key] == {(NOT_OPEN, "39-1-0011")}, (name, levels[key])
    # Unclear names fail closed: not linked, at least 未审核 (the most restricted of their rows).
    assert levels["档案/39-1-0011与39-1-0012合订.txt"] == {(NOT_OPEN, None)}
    assert levels["档案/2021-12-31会议纪要.txt"] == {(NOT_OPEN, None)}
    assert levels["档案/2023年度工作总结.txt"] == {(OPEN, None)}
    messages = {Path(f.path).name: f.message for f in report.files}
    assert "无法确定" in messages["39-1-0011与39-1-0012合订.txt"]
    assert assistant.ask("张三政审结论是什么？", READER).status == "no_evidence"
    staff = assistant.ask("张三政审结论是什么？", STAFF)
    assert staff.status == "answered" and staff.citations[0].archival_code == "39-1-0011"


def test_a_record_stored_before_its_catalogue_is_relinked_and_doctor_sees_a_miss(tmp_path: Path) -> None:
    """Finding 5: a crash after the catalogue was stored but before its records were re-linked
    leaves a record below its row's level (the state is written here as the crash leaves it)."""
    settings = make_settings(tmp_path / "index")
    assistant = build_assistant(settings)
    corpus = tmp_path / "档案"
    corpus.mkdir()
    make_pdf(corpus / "39-1-0050.pdf", [["关于机要通信线路的请示，涉及县委机要室。"]])
    assert assistant.ingest([corpus / "39-1-0050.pdf"]).ok  # unlinked: 未审核
    (corpus / "全宗39目录.csv").write_text(CATALOGUE, encoding="utf-8")
    assert assistant.ingest([corpus / "全宗39目录.csv"]).ok  # re-linked: 机密
    assert _levels(assistant)["档案/39-1-0050.pdf"] == {(CLASSIFIED, "39-1-0050")}
    conn = assistant.index.conn
    conn.execute("UPDATE chunks SET access_level = ? WHERE archival_code = '39-1-0050' AND kind != 'catalogue'", (1,))
    _, problems = diagnose(settings)
    assert any("访问级别" in p and "--repair" in p for p in problems), problems
    result = CliRunner().invoke(app, ["--index-dir", str(settings.index_dir), "doctor", "--repair"])
    assert "更正访问级别的文本块 1 个" in result.output, result.output
    fresh = build_assistant(settings)
    assert _levels(fresh)["档案/39-1-0050.pdf"] == {(CLASSIFIED, "39-1-0050")}
    assert fresh.ask("机要通信线路的请示", STAFF).status == "no_evidence"
    assert fresh.ask("机要通信线路的请示", ADMIN).status == "answered"
    assert not [p for p in diagnose(settings)[1] if "访问级别" in p]


@pytest.mark.parametrize("header", ["密级（保密期限）", "保密级别", "密級", "保密等级", "密级程度", "密级类别"])
def test_classification_columns_under_other_names_never_declassify(tmp_path: Path, header: str) -> None:
    """Finding 6: known variants are mapped; an unknown header with 密 is taken as 密级, with a warning."""
    path = tmp_path / "目录.csv"
    path.write_text(
        f"档号,题名,开放状态,{header}\n38-1-0001,公开的文件,开放,\n38-1-0002,机要文件,开放,机密★10年\n",
        encoding="utf-8",
    )
    catalogue = read_catalogue(path)
    assert [row.access_level for row in catalogue.rows] == [OPEN, CLASSIFIED]
    assert bool(catalogue.warnings) == (header == "密级类别"), catalogue.warnings


def test_tightening_an_access_setting_reaches_stored_documents(tmp_path: Path) -> None:
    """Finding 7: the files are unchanged (ingest skips them), yet the new setting applies."""
    corpus = tmp_path / "档案"
    corpus.mkdir()
    make_pdf(corpus / "2022年度工作总结.pdf", [["一、查阅利用", "全年接待查档1260人次。"]])
    make_pdf(corpus / "38-9-0001.pdf", [["关于某某同志工龄认定的证明材料。"]])
    open_index = build_assistant(make_settings(tmp_path / "index", unlinked_scan_open_status="开放"))
    assert open_index.ingest([corpus]).ok
    assert open_index.ask("2022年接待查档多少人次？", READER).status == "answered"
    assert open_index.ask("工龄认定的证明材料", READER).status == "answered"

    tightened = build_assistant(
        make_settings(tmp_path / "index", document_open_status="控制使用", unlinked_scan_open_status="未审核")
    )
    assert tightened.ask("2022年接待查档多少人次？", READER).status == "no_evidence"
    assert tightened.ask("工龄认定的证明材料", READER).status == "no_evidence"
    assert tightened.ask("2022年接待查档多少人次？", STAFF).status == "answered"
    assert [f.status for f in tightened.ingest([corpus]).files] == ["unchanged", "unchanged"]
    assert tightened.ask("2022年接待查档多少人次？", READER).status == "no_evidence"
