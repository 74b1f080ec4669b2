"""Real archive documents end to end: tables in DOCX and PDF, legacy .doc through LibreOffice, OFD,
.xls and .dbf catalogues. A question about one cell, one row or one catalogue entry is answered
and cited by file and page, or by 档号, through `Assistant.ask`.

The corpus is built and ingested once for the module (LibreOffice makes the .doc and converts
it back: about 6 s of the module's time)."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest
from document_fixtures import (
    make_dbf_catalogue,
    make_ofd,
    make_report_docx,
    make_table_pdf,
    make_xls_catalogue,
    soffice_convert,
)
from helpers import READER, STAFF, make_settings

from assistant.access import CLASSIFIED, NOT_OPEN, OPEN
from assistant.index import db
from assistant.ingest import ocr, scans, tables
from assistant.ingest.catalogue import load_catalogue
from assistant.ingest.chunking import chunk_document
from assistant.ingest.loaders import document_of, load_document
from assistant.ingest.ocr_layout import Box, RawPage
from assistant.ingest.pipeline import upload_suffixes
from assistant.ingest.tables import Cell
from assistant.models import Answer
from assistant.service import Assistant, build_assistant
from assistant.text.sentences import split_sentences
from assistant.ui.handlers import SUPPORTED_SUFFIXES as UPLOAD_TYPES

REPORT = "2023年度部门整体支出绩效评价报告.docx"
DECISION = "2022年度部门决算说明.pdf"
SUMMARY_OFD = "2023年度工作总结.ofd"
LEGACY_DOC = "2019年度部门整体支出绩效评价报告.doc"
DBF_ROWS = [
    {"档号": "40-2-0015", "题名": "关于知青返城安置的通知", "年度": "1979", "开放状态": "开放", "密级": ""},
    {"档号": "40-2-0016", "题名": "关于工资套改的请示", "年度": "1985", "开放状态": "控制使用", "密级": ""},
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("documents")
    make_report_docx(folder / REPORT)
    make_table_pdf(folder / DECISION)
    make_xls_catalogue(folder / "全宗41_教育局_案卷目录.xls")
    make_dbf_catalogue(folder / "全宗40_旧系统导出.dbf", DBF_ROWS)
    make_ofd(
        folder / SUMMARY_OFD,
        [
            ["2023年度工作总结", "一、档案接收", "全年接收进馆档案3200卷。"],
            ["二、查阅利用", "全年接待查档1260人次，出具证明材料420份。"],
        ],
    )
    legacy = tmp_path_factory.mktemp("legacy")
    docx = make_report_docx(legacy / "2019年度部门整体支出绩效评价报告.docx", year=2019, executed="87.5%")
    soffice_convert(docx, "doc", folder)
    return folder


@pytest.fixture(scope="module")
def documents(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    assistant = build_assistant(make_settings(tmp_path_factory.mktemp("documents-index")))
    report = assistant.ingest([corpus])
    assert report.ok, [f.message for f in report.failed]
    return assistant


def _answered(answer: Answer, *expected: str) -> None:
    assert answer.status == "answered", answer.answer
    for text in expected:
        assert text in answer.answer, (text, answer.answer)


def test_a_docx_table_stays_in_its_section_with_headers_on_every_row(corpus: Path) -> None:
    lines = load_document(corpus / REPORT).lines
    texts = [line.text for line in lines]
    rows = [line for line in lines if line.table is not None]
    assert [row.text for row in rows] == [
        "一级指标：产出指标｜指标：预算执行率｜完成情况·目标值：100%｜完成情况·完成值：98.6%｜得分：9",
        "一级指标：产出指标｜指标：档案查阅满意度｜完成情况·目标值：95%｜完成情况·完成值：97.2%｜得分：10",
        "一级指标：效益指标｜指标：数字化扫描页数｜完成情况·目标值：10万页｜完成情况·完成值：12.4万页｜得分：20",
        "一级指标：合计｜得分：92",
    ]
    assert {row.table for row in rows} == {"表1 2023年度部门整体支出绩效自评表"}
    # In reading order: after section 六's paragraph, before section 七 (not appended at the end).
    first_row = texts.index(rows[0].text)
    assert texts.index("本年度部门整体支出绩效自评结果见下表。") < first_row < texts.index("七、存在的主要问题")
    # Each row is one sentence for the answerer.
    assert all(split_sentences(row.text) == [row.text] for row in rows)


def test_a_docx_cell_and_row_are_answered_and_cited(documents: Assistant) -> None:
    cell = documents.ask("2023年预算执行率的完成值是多少？", STAFF)
    _answered(cell, "预算执行率", "98.6%")
    assert cell.citations[0].source == REPORT
    chunk = db.chunks_by_id(documents.index.conn, [cell.citations[0].chunk_id])[cell.citations[0].chunk_id]
    assert chunk.section == "六、部门整体支出绩效情况 > 表1 2023年度部门整体支出绩效自评表"
    row = documents.ask("2023年档案查阅满意度得分多少？", READER)
    _answered(row, "档案查阅满意度", "97.2%", "得分：10")


def test_a_ruled_pdf_table_is_read_as_rows_and_cited_by_page(documents: Assistant, corpus: Path) -> None:
    rows = [line for line in load_document(corpus / DECISION).lines if line.table is not None]
    assert [(row.page, row.table) for row in rows] == [(2, "表3 基本支出对比表")] * 3
    assert rows[1].text == "项目：公用经费（万元）｜2021年：40.18｜2022年：36.07｜增减：-4.11"
    answer = documents.ask("2022年公用经费是多少万元？", STAFF)
    _answered(answer, "公用经费", "36.07")
    assert (answer.citations[0].source, answer.citations[0].page) == (DECISION, 2)


def test_ofd_text_is_read_with_its_pages(documents: Assistant, corpus: Path) -> None:
    doc = load_document(corpus / SUMMARY_OFD)
    assert [(line.page, line.text) for line in doc.lines][-1] == (2, "全年接待查档1260人次，出具证明材料420份。")
    answer = documents.ask("2023年全年接待查档多少人次？", READER)
    _answered(answer, "1260人次")
    assert (answer.citations[0].source, answer.citations[0].page) == (SUMMARY_OFD, 2)


def test_a_legacy_doc_is_converted_and_its_table_cell_answered(documents: Assistant) -> None:
    answer = documents.ask("2019年预算执行率的完成值是多少？", STAFF)
    _answered(answer, "87.5%")
    assert answer.citations[0].source == LEGACY_DOC


def test_an_xls_catalogue_entry_is_found_by_its_code_and_kept_from_readers(documents: Assistant, corpus: Path) -> None:
    rows = load_catalogue(corpus / "全宗41_教育局_案卷目录.xls")
    assert [(r.archival_code, r.year, r.access_level) for r in rows] == [
        ("41-1-0007", 1983, OPEN),
        ("41-1-0008", 1979, NOT_OPEN),
        ("41-1-0009", 1986, CLASSIFIED),
    ]
    answer = documents.ask("41-1-0008是什么档案？", STAFF)
    _answered(answer, "县教育局知青子女入学情况统计")
    assert answer.citations[0].archival_code == "41-1-0008"
    assert documents.ask("41-1-0008是什么档案？", READER).status == "no_evidence"


def test_a_dbf_catalogue_with_gbk_field_names_is_read(documents: Assistant, tmp_path: Path) -> None:
    answer = documents.ask("40-2-0015是什么档案？", READER)
    _answered(answer, "关于知青返城安置的通知")
    assert answer.citations[0].archival_code == "40-2-0015"
    # A DBF whose header names no code page is read as GBK too.
    unnamed = make_dbf_catalogue(tmp_path / "无代码页.dbf", DBF_ROWS, language_driver=0)
    assert [(r.title, r.access_level) for r in load_catalogue(unnamed)] == [
        ("关于知青返城安置的通知", OPEN),
        ("关于工资套改的请示", NOT_OPEN),
    ]


def test_without_libreoffice_a_legacy_file_fails_with_a_message_and_the_rest_goes_on(
    corpus: Path, tmp_path: Path
) -> None:
    assistant = build_assistant(make_settings(tmp_path / "index", soffice_binary="no-such-soffice"))
    report = assistant.ingest([corpus / LEGACY_DOC, corpus / SUMMARY_OFD])
    [failed] = report.failed
    assert failed.path.endswith(LEGACY_DOC)
    assert LEGACY_DOC in failed.message and "LibreOffice" in failed.message and "no-such-soffice" in failed.message
    assert [f.status for f in report.files if f is not failed] == ["ingested"]


def test_table_examples_hold() -> None:
    assert doctest.testmod(tables).failed == 0
    grid = [[Cell("2023年度自评表", 0)] * 3, [Cell("指标", 1), Cell("目标值", 2), Cell("完成值", 3)]]
    grid += [[Cell("预算执行率。", 4), Cell("100%；", 5), Cell("完成。良好｜", 6)]]
    written = tables.table_rows(grid)
    assert written.caption == "2023年度自评表"
    assert written.rows == ["指标：预算执行率｜目标值：100%｜完成值：完成，良好|"]
    assert tables.row_cells(written.rows[0]) == [("指标", "预算执行率"), ("目标值", "100%"), ("完成值", "完成，良好|")]


def test_ocr_table_rows_stay_one_line_each_in_row_order() -> None:
    """A scanned table: each OCR row of cells is its own line of the chunk, in row order."""
    boxes = []
    rows = [("一、查阅利用",), ("项目", "人次", "比上年"), ("接待查档", "1381", "增加12.5%")]
    rows.append(("出具证明", "420", "持平"))
    for number, cells in enumerate(rows):
        top = 100 + number * 60
        for text, left in zip(cells, (100, 800, 1500), strict=False):
            boxes.append(Box(text, 0.99, (left, top, left + 300, top, left + 300, top + 40, left, top + 40)))
    page = ocr._ocr_page(1, RawPage(2000, 2800, tuple(boxes)), cached=False, min_score=0.5)
    assert page.paragraphs == ("一、查阅利用", "项目 人次 比上年", "接待查档 1381 增加12.5%", "出具证明 420 持平")
    assert page.table_rows == {1, 2, 3}
    doc = document_of(Path("2023年扫描件.pdf"), scans._ocr_lines([page]))
    [chunk] = chunk_document(doc, "s", "2023年扫描件.pdf", 0, 220, 40)
    assert chunk.text == "项目 人次 比上年\n接待查档 1381 增加12.5%\n出具证明 420 持平" and chunk.page == 1
    assert chunk.section == "一、查阅利用"
    assert split_sentences(chunk.text)[1] == "接待查档 1381 增加12.5%"


def test_the_upload_picker_offers_every_format_ingest_reads() -> None:
    # The upload handler (not Gradio's English toast) refuses other types; it accepts what ingest reads.
    assert upload_suffixes() == sorted(UPLOAD_TYPES)
    assert {".doc", ".wps", ".rtf", ".ofd", ".xls", ".et", ".dbf", ".jpg", ".png", ".tif"} <= set(UPLOAD_TYPES)
