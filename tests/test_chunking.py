from pathlib import Path

from helpers import make_pdf

from assistant.ingest.chunking import chunk_document, heading_level
from assistant.ingest.loaders import load_document


def test_chinese_heading_levels() -> None:
    assert heading_level("一、部门基本情况") == 1
    assert heading_level("（二）机构设置") == 2
    assert heading_level("1. 档案安全") == 3
    assert heading_level("（3）库房管理") == 4
    assert heading_level("一、本年度接待查档1260人次，比上年增加12%。") is None  # a sentence, not a heading
    assert heading_level("2023年全年接待查档") is None


def test_pdf_chunks_know_page_section_and_year(tmp_path: Path) -> None:
    path = make_pdf(
        tmp_path / "2022年度工作总结.pdf",
        [
            ["一、部门基本情况", "（一）人员情况", "本馆编制15人，实有14人。"],
            ["二、主要工作", "（一）查阅利用", "全年接待查档1260人次，出具证明", "420份。", "- 2 -"],
        ],
    )
    doc = load_document(path)
    assert doc.year == 2022 and doc.title == "2022年度工作总结"
    chunks = chunk_document(doc, "src", path.name, access=0, size=200, minimum=40)
    by_text = {c.text: c for c in chunks}
    staff = by_text["本馆编制15人，实有14人。"]
    assert staff.page == 1 and staff.section == "一、部门基本情况 > （一）人员情况"
    visits = by_text["全年接待查档1260人次，出具证明420份。"]  # a wrapped line is joined, the footer dropped
    assert visits.page == 2 and visits.section == "二、主要工作 > （一）查阅利用"
    assert "2022年" in visits.header and "2022年度工作总结" in visits.header


def test_chunks_are_bounded_and_ids_stable(tmp_path: Path) -> None:
    body = "档案数字化工作稳步推进，完成目录著录和全文扫描。" * 40
    path = tmp_path / "指南.md"
    path.write_text(f"# 指南\n## 数字化\n{body}\n", encoding="utf-8")
    doc = load_document(path)
    first = chunk_document(doc, "src", path.name, access=0, size=120, minimum=40)
    second = chunk_document(load_document(path), "src", path.name, access=0, size=120, minimum=40)
    assert len(first) > 5 and all(len(c.text) <= 120 for c in first)
    assert [c.id for c in first] == [c.id for c in second]
    assert doc.kind == "guide" and first[0].section == "指南 > 数字化"


def test_docx_headings_become_the_section_path(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("2023年度工作总结", level=1)
    document.add_heading("一、查阅利用", level=2)
    document.add_paragraph("全年接待查档1388人次。")
    path = tmp_path / "总结.docx"
    document.save(str(path))
    chunks = chunk_document(load_document(path), "src", path.name, access=0, size=200, minimum=40)
    assert [(c.text, c.section, c.page) for c in chunks] == [
        ("全年接待查档1388人次。", "2023年度工作总结 > 一、查阅利用", None)
    ]


def test_title_and_year_come_from_the_text_when_the_file_name_says_nothing(tmp_path: Path) -> None:
    path = make_pdf(
        tmp_path / "report_b.pdf",
        [["青山县档案馆2022年度部门整体支出绩效评价报告", "一、部门基本情况", "本馆编制15人。"]],
    )
    doc = load_document(path)
    assert doc.title == "青山县档案馆2022年度部门整体支出绩效评价报告" and doc.year == 2022
    chunks = chunk_document(doc, "src", path.name, access=0, size=200, minimum=40)
    assert "2022年" in chunks[0].header
