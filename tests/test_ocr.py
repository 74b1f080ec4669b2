"""OCR of scans end to end: real rapidocr on pages drawn here, real SQLite and Chroma.

OCR is slow on our two shared cores, so the pages are small (a few lines each) and most tests
read in this process (`ocr_workers=1`, one engine for the session); one test uses the pool.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from helpers import READER, STAFF, make_pdf, make_settings
from scan_fixtures import RECORD_PAGE, REPORT_PAGE, SECOND_PAGE, char_accuracy, page_image, save_pdf, save_tiff

from assistant.index import db
from assistant.ingest.ocr import PageRef, ocr_pages
from assistant.ingest.ocr_cache import cache_dir
from assistant.ingest.ocr_layout import Box, RawPage, clean_boxes, paragraphs
from assistant.models import Chunk
from assistant.service import Assistant, build_assistant

CATALOGUE = (
    "档号,题名,年度,开放状态\n"
    "38-1-0045,关于王某某等十二人招工的请示,1978,控制使用\n"
    "38-1-0046,县档案馆安全管理情况,1979,开放\n"
    "38-1-0047,关于转正定级的批复,1979,控制使用\n"
)


def _assistant(tmp_path: Path, **overrides: object) -> Assistant:
    return build_assistant(make_settings(tmp_path / "index", ocr_workers=1, **overrides))


def _chunks(assistant: Assistant, name: str) -> list[Chunk]:
    ids = [r[0] for r in assistant.index.conn.execute("SELECT id FROM chunks WHERE source_name = ?", (name,))]
    return list(db.chunks_by_id(assistant.index.conn, ids).values())


def _message(report: object, name: str) -> str:
    return next(f.message for f in report.files if Path(f.path).name == name)  # type: ignore[attr-defined]


# ---- recognition, in worker processes, and the cache --------------------------------------------


def test_tiff_frames_are_read_accurately_in_parallel_and_cached(tmp_path: Path) -> None:
    tiff = save_tiff(
        tmp_path / "scan.tif",
        [page_image(REPORT_PAGE, page_number=1), page_image(SECOND_PAGE, seed=2, rotate=-1.0, page_number=2)],
    )
    settings = make_settings(tmp_path / "index", ocr_workers=2)
    refs = [PageRef(str(tiff), frame, frame + 1, is_pdf=False) for frame in range(2)]

    first = ocr_pages(refs, settings)
    assert [p.page for p in first] == [1, 2] and not any(p.cached for p in first)
    for page, expected in zip(first, [REPORT_PAGE, SECOND_PAGE], strict=True):
        assert char_accuracy("".join(expected), "".join(page.paragraphs)) >= 0.98, page.paragraphs
        assert page.confidence > 0.9 and page.chars > 20
    # Reading order and joining: headings alone, a wrapped sentence whole, the page number gone.
    assert first[0].paragraphs[0] == "一、查阅利用情况"
    assert any("全年接待查档1381人次" in p and p.endswith("12.5%。") for p in first[0].paragraphs)
    assert not any("-" in p for p in first[1].paragraphs)

    again = ocr_pages(refs, settings)
    assert again == [replace(page, cached=True) for page in first]
    assert len(list(cache_dir(settings).rglob("*.json"))) == 2


# ---- scanned PDFs through the assistant -----------------------------------------------------------


def test_scanned_pdf_is_answered_with_its_page_and_a_changed_file_reuses_the_cache(tmp_path: Path) -> None:
    assistant = _assistant(tmp_path)
    pages = [page_image(SECOND_PAGE, seed=1), page_image(REPORT_PAGE, seed=2)]
    pdf = save_pdf(tmp_path / "2023年度工作总结.pdf", pages)

    report = assistant.ingest([pdf])
    assert report.ok, report.failed
    assert "文字识别 2 页（其中缓存 0 页）" in _message(report, pdf.name)
    answer = assistant.ask("2023年全年接待查档多少人次？", STAFF)
    assert answer.status == "answered" and "1381" in answer.answer
    assert answer.citations[0].source == pdf.name and answer.citations[0].page == 2
    source_id = _chunks(assistant, pdf.name)[0].source_id
    assert [
        (page, chars > 20, confidence > 0.9)
        for page, confidence, chars in db.ocr_pages(assistant.index.conn, source_id)
    ] == [
        (1, True, True),
        (2, True, True),
    ]

    # The same pages in a new file (other metadata): nothing is recognised again.
    save_pdf(pdf, [*pages, ["附：本页为文字层，不需要识别，内容是全年工作的补充说明。"]])
    changed = assistant.ingest([pdf])
    assert "文字识别 2 页（其中缓存 2 页）" in _message(changed, pdf.name)
    assert len(list(cache_dir(assistant.settings).rglob("*.json"))) == 2
    assert {c.page for c in _chunks(assistant, pdf.name)} == {1, 2, 3}


def test_mixed_pdf_keeps_its_text_pages_and_reads_its_scanned_page(tmp_path: Path) -> None:
    assistant = _assistant(tmp_path)
    pdf = save_pdf(
        tmp_path / "2022年度工作总结.pdf",
        # Page 3 has too little text to be sure it is not a scan with a stray text line: OCR'd.
        [["一、基本情况", "本馆核定编制18名，实有在职人员16名。", "- 1 -"], page_image(SECOND_PAGE), ["附件一"]],
        text_page=(300, 200),
    )
    report = assistant.ingest([pdf])
    assert report.ok and "文字识别 2 页" in _message(report, pdf.name)
    chunks = _chunks(assistant, pdf.name)
    assert {c.page for c in chunks} == {1, 2, 3}
    assert any("实有在职人员16名" in c.text and c.page == 1 for c in chunks)
    answer = assistant.ask("全年开展消防演练几次？", STAFF)
    assert answer.status == "answered" and "4次" in answer.answer and answer.citations[0].page == 2
    source_id = chunks[0].source_id
    assert [page for page, _, _ in db.ocr_pages(assistant.index.conn, source_id)] == [2, 3]
    assert any(c.page == 3 and "附件一" in c.text for c in chunks)


# ---- scans named by their 档号 ------------------------------------------------------------------


def test_scans_named_by_code_follow_their_catalogue_row(tmp_path: Path) -> None:
    assistant = _assistant(tmp_path)
    restricted = save_pdf(tmp_path / "38-1-0045.pdf", [page_image(RECORD_PAGE)])
    folder = tmp_path / "38-1-0046"
    folder.mkdir()
    page_image(REPORT_PAGE[:2]).save(folder / "0001.png")
    page_image(SECOND_PAGE, seed=4).save(folder / "0002.png")
    born_digital = make_pdf(
        tmp_path / "38-1-0047.pdf", [["关于转正定级的批复", "同意李某某等三人转正定级，工资自1979年7月起执行。"]]
    )

    # Scans first: the catalogue is not there yet, so they are unlinked and not open to readers.
    first = assistant.ingest([restricted, folder / "0001.png", folder / "0002.png"])
    assert [Path(f.path).name for f in first.files] == ["38-1-0045.pdf", "38-1-0046"]  # the folder is one source
    assert "未挂接" in _message(first, "38-1-0046")
    assert {c.page for c in _chunks(assistant, "38-1-0046")} == {1, 2}
    assert assistant.ask("全年开展消防演练几次？", READER).status == "no_evidence"

    # The catalogue arrives (GBK, as exported): both scans are re-linked to their rows; a PDF
    # named by a 档号 and ingested after it is linked at once.
    catalogue = tmp_path / "目录.csv"
    catalogue.write_bytes(CATALOGUE.encode("gbk"))
    second = assistant.ingest([catalogue, born_digital])
    assert second.ok and "已挂接目录条目 38-1-0047" in _message(second, born_digital.name)
    for name, level, key in [
        ("38-1-0045.pdf", 1, "38-1-45"),
        ("38-1-0046", 0, "38-1-46"),
        ("38-1-0047.pdf", 1, "38-1-47"),
    ]:
        chunks = _chunks(assistant, name)
        assert chunks and {(c.access_level, c.code_key, c.fonds) for c in chunks} == {(level, key, "38")}

    hidden = assistant.ask("拟招收王某某等多少人为全民所有制固定工？", READER)
    assert hidden.status == "no_evidence" and not hidden.citations
    assert assistant.ask("同意李某某等几人转正定级？", READER).status == "no_evidence"
    seen = assistant.ask("拟招收王某某等多少人为全民所有制固定工？", STAFF)
    assert seen.status == "answered" and "12人" in seen.answer
    assert ("38-1-0045.pdf", 1, "38-1-0045") in {(c.source, c.page, c.archival_code) for c in seen.citations}
    opened = assistant.ask("全年开展消防演练几次？", READER)
    assert opened.status == "answered" and "4次" in opened.answer
    assert (opened.citations[0].source, opened.citations[0].page, opened.citations[0].archival_code) == (
        "38-1-0046",
        2,
        "38-1-0046",
    )


def test_a_corrupt_image_fails_with_a_chinese_reason_and_the_rest_goes_on(tmp_path: Path) -> None:
    assistant = _assistant(tmp_path)
    (tmp_path / "坏扫描.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    (tmp_path / "38-1-0050").mkdir()
    (tmp_path / "38-1-0050" / "0001.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    make_pdf(tmp_path / "说明.pdf", [["库房温度保持在14至24摄氏度，相对湿度45%至60%。"]])
    report = assistant.ingest([tmp_path])
    failed = {Path(f.path).name: f.message for f in report.failed}
    assert set(failed) == {"坏扫描.png", "38-1-0050"}
    assert all("图像文件损坏" in message for message in failed.values())
    assert [Path(f.path).name for f in report.files if f.status == "ingested"] == ["说明.pdf"]


# ---- reading order and cleaning, on boxes placed by hand --------------------------------------------


def _box(text: str, left: float, top: float, right: float, score: float = 0.99, height: float = 40) -> Box:
    return Box(text, score, (left, top, right, top, right, top + height, left, top + height))


def test_two_columns_are_read_column_by_column_under_a_full_width_title() -> None:
    boxes = [
        _box("右栏第二行。", 1050, 160, 1900),
        _box("左栏第一行，接着", 100, 100, 950),
        _box("关于两栏排版的说明", 100, 30, 1900),
        _box("右栏第一行，接着", 1050, 100, 1900),
        _box("左栏第二行。", 100, 160, 950),
        _box("左栏第三行。", 100, 220, 950),
        _box("右栏第三行。", 1050, 220, 1900),
    ]
    assert paragraphs(boxes) == [
        "关于两栏排版的说明",
        "左栏第一行，接着左栏第二行。",
        "左栏第三行。",
        "右栏第一行，接着右栏第二行。",
        "右栏第三行。",
    ]


def test_a_tilted_table_keeps_its_rows() -> None:
    # Drawn 2° downhill: a row's last cell sits as low as the next row's first cell, so only
    # deskewing the page keeps each row together.
    tilt, boxes = 0.035, []
    for row, cells in enumerate([("项目", "人次", "比上年"), ("接待查档", "1381", "增加12.5%")]):
        top = 100 + row * 50
        for text, left in zip(cells, (100, 800, 1500), strict=True):
            y0, y1 = top + left * tilt, top + (left + 300) * tilt
            boxes.append(Box(text, 0.99, (left, y0, left + 300, y1, left + 300, y1 + 40, left, y0 + 40)))
    assert paragraphs(boxes) == ["项目 人次 比上年", "接待查档 1381 增加12.5%"]


def test_a_figure_cut_at_the_line_end_stays_whole() -> None:
    boxes = [_box("全年参观群众共计3", 100, 100, 1900), _box("200余人次，比上年增加。", 100, 160, 1200)]
    assert paragraphs(boxes) == ["全年参观群众共计3200余人次，比上年增加。"]


def test_noise_is_dropped_but_numbers_in_the_text_are_kept() -> None:
    raw = RawPage(
        1000,
        1400,
        (
            _box("全年接待查档", 100, 100, 500),
            _box("1381", 600, 100, 700),  # a table cell in the body: kept
            _box("县档案馆印", 300, 300, 500, score=0.31),  # a stamp the recogniser half reads
            _box("。", 100, 400, 120),
            _box("- 3 -", 450, 1340, 550),
            _box("12", 480, 20, 520),  # a page number in the top margin
        ),
    )
    assert [b.text for b in clean_boxes(raw, min_score=0.5)] == ["全年接待查档", "1381"]
