"""Hostile files (issue 18, findings 4, 12, 13, 22): each fails alone with a Chinese message naming
it, or is read whole with a warning; the rest of the run is stored; nothing stored before is lost;
symbolic links are not followed; limits stop work before it starts."""

from __future__ import annotations

import os
import re
import sys
import time
import zipfile
import zlib
from pathlib import Path

import docx
from helpers import READER, STAFF, make_pdf, make_settings
from openpyxl import Workbook

from assistant.index import db
from assistant.service import Assistant, build_assistant

GOOD_CSV = "档号,题名,年度,开放状态\n38-1-0001,关于招工的请示,1978,开放\n"


def _raw_pdf(objects: list[bytes]) -> bytes:
    """A PDF written by hand: object n is objects[n - 1], object 1 the catalog."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _flate_bomb_pdf(path: Path) -> Path:
    """One page whose content stream inflates to 80 MB (pypdf stops at 75 MB: LimitReachedError)."""
    data = zlib.compress(b" " * 80_000_000, 9)
    path.write_bytes(
        _raw_pdf(
            [
                b"<< /Type /Catalog /Pages 2 0 R >>",
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
                f"<< /Length {len(data)} /Filter /FlateDecode >>\nstream\n".encode() + data + b"\nendstream",
            ]
        )
    )
    return path


def _rewrite_zip(source: Path, target: Path, member: str, change) -> Path:  # type: ignore[no-untyped-def]
    """A copy of a zip with one member's bytes changed (`change(bytes) -> bytes`)."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for item in original.infolist():
            data = original.read(item.filename)
            copy.writestr(item, change(data) if item.filename == member else data)
    return target


def _corrupt_deflate(path: Path, member: str) -> Path:
    """Damage the compressed bytes of one member in place (its header stays valid): zlib.error."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for offset in range(start + 2, start + min(info.compress_size, 40)):
        data[offset] = 0xFF
    path.write_bytes(bytes(data))
    return path


def _xlsx(path: Path, rows: int = 3) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(["档号", "题名", "年度", "开放状态"])
    for n in range(1, rows + 1):
        sheet.append([f"39-2-{n:04d}", f"第{n}卷 关于劳动工资的文件", 1980 + n, "开放"])
    book.save(path)
    return path


def _docx(path: Path) -> Path:
    document = docx.Document()
    document.add_paragraph("一份正常的文档。")
    document.save(str(path))
    return path


def _hostile_corpus(folder: Path, outside: Path) -> dict[str, str]:
    """Bad files → a word their message must contain."""
    folder.mkdir()
    make_pdf(folder / "好报告2022年.pdf", [["一、查阅利用", "全年接待查档1260人次。"]])
    (folder / "好目录.csv").write_bytes(GOOD_CSV.encode("gbk"))
    work = folder.parent / "work"
    work.mkdir()
    # Finding 4: foreign exceptions of every parser.
    good_xlsx = _xlsx(work / "good.xlsx")
    _rewrite_zip(good_xlsx, folder / "坏工作表.xlsx", "xl/worksheets/sheet1.xml", lambda d: d[: len(d) // 2])
    _corrupt_deflate(
        _rewrite_zip(good_xlsx, folder / "坏压缩.xlsx", "xl/worksheets/sheet1.xml", lambda d: d),
        "xl/worksheets/sheet1.xml",
    )
    good_docx = _docx(work / "good.docx")
    _rewrite_zip(good_docx, folder / "坏正文.docx", "word/document.xml", lambda d: d[: len(d) // 2])
    _corrupt_deflate(
        _rewrite_zip(good_docx, folder / "坏压缩.docx", "word/document.xml", lambda d: d), "word/document.xml"
    )
    (folder / "不是压缩包.docx").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 8)
    _flate_bomb_pdf(folder / "解压炸弹.pdf")
    (folder / "超长字段.csv").write_bytes(("档号,题名\n38-1-0002," + "长" * 200_000 + "\n").encode("utf-8"))
    (folder / "坏目录.ofd").write_bytes(b"PK\x03\x04 not an ofd")
    os.close(os.open(os.fsencode(folder) + "/全宗39目录.csv".encode("gbk"), os.O_CREAT | os.O_WRONLY))
    # Finding 22: links are not followed, out of the folder or onto a record's name.
    secret = outside / "外部机密.txt"
    secret.write_text("外部文件里的机密内容：青山县地下管网图纸。", encoding="utf-8")
    (folder / "外链.txt").symlink_to(secret)
    (folder / "39-1-0011.pdf").symlink_to(folder / "好报告2022年.pdf")
    return {
        "坏工作表.xlsx": "XLSX",
        "坏压缩.xlsx": "XLSX",
        "坏正文.docx": "DOCX",
        "坏压缩.docx": "DOCX",
        "不是压缩包.docx": "DOCX",
        "解压炸弹.pdf": "PDF",
        "超长字段.csv": "CSV",
        "坏目录.ofd": "OFD",
        "全宗39目录.csv": "UTF-8",
        "外链.txt": "符号链接",
        "39-1-0011.pdf": "符号链接",
    }


def _stored(assistant: Assistant) -> dict[str, int]:
    conn = assistant.index.conn
    return {name: n for name, n in conn.execute("SELECT name, n_chunks FROM sources WHERE status = 'complete'")}


def test_hostile_files_fail_alone_and_the_rest_is_stored(assistant: Assistant, tmp_path: Path) -> None:
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    make_pdf(earlier / "2021年度工作总结.pdf", [["一、档案接收", "全年接收进馆档案3200卷。"]])
    assert assistant.ingest([earlier]).ok
    outside = tmp_path / "outside"
    outside.mkdir()
    expected = _hostile_corpus(tmp_path / "上传", outside)

    started = time.perf_counter()
    report = assistant.ingest([tmp_path / "上传"])
    elapsed = time.perf_counter() - started

    failed = {Path(f.path).name: f.message for f in report.failed}
    failed = {("全宗39目录.csv" if "39" in name and "目录.csv" in name else name): m for name, m in failed.items()}
    assert set(failed) == set(expected), failed
    for name, word in expected.items():
        message = failed[name]
        assert word in message, message
        assert re.search(r"[\u4e00-\u9fff]{4}", message.split(":", 1)[-1]), message  # a Chinese sentence
        if name != "全宗39目录.csv":
            assert name in message, message
    assert "Traceback" not in "".join(failed.values())
    stored = _stored(assistant)
    assert set(stored) == {"2021年度工作总结.pdf", "好报告2022年.pdf", "好目录.csv"}  # the earlier file kept
    assert elapsed < 60
    # The linked file outside the folder was never read.
    assert assistant.ask("青山县地下管网图纸在哪里？", STAFF).status == "no_evidence"


def test_catalogue_rows_are_counted_another_way_and_losses_reported(assistant: Assistant, tmp_path: Path) -> None:
    """Finding 12: a stale <dimension> no longer hides rows; an unclosed quote is reported."""
    corpus = tmp_path / "目录"
    corpus.mkdir()
    good = _xlsx(tmp_path / "good.xlsx", rows=10)
    stale = _rewrite_zip(
        good,
        corpus / "过期维度.xlsx",
        "xl/worksheets/sheet1.xml",
        lambda d: re.sub(rb'<dimension ref="[^"]+"\s*/>', b'<dimension ref="A1:B2"/>', d),
    )
    assert b'ref="A1:B2"' in zipfile.ZipFile(stale).read("xl/worksheets/sheet1.xml")
    rows = ["档号,题名,年度,开放状态", '38-3-0001,"关于招工的请示,1978,开放']
    rows += [f"38-3-{n:04d},第{n}卷题名,1979,开放" for n in range(2, 8)]
    (corpus / "未闭合引号.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    report = assistant.ingest([corpus])
    by_name = {Path(f.path).name: f for f in report.files}
    conn = assistant.index.conn
    count = conn.execute("SELECT count(*) FROM catalogue WHERE archival_code LIKE '39-2-%'").fetchone()[0]
    assert count == 10  # openpyxl's read-only mode read 2 of them
    unclosed = by_name["未闭合引号.csv"]
    assert unclosed.status == "ingested" and "引号" in unclosed.message and "8 行" in unclosed.message


def test_limits_stop_work_before_it_starts(tmp_path: Path) -> None:
    """Finding 13: pages, file size (checked before hashing), decompressed XLSX size, rows."""
    settings = make_settings(
        tmp_path / "index", max_pages=3, max_file_mb=1, max_xlsx_uncompressed_mb=1, max_catalogue_rows=20
    )
    assistant = build_assistant(settings)
    corpus = tmp_path / "limits"
    corpus.mkdir()
    make_pdf(corpus / "四页.pdf", [[f"第{n}页正文内容。"] for n in range(1, 5)])
    make_pdf(corpus / "三页.pdf", [[f"第{n}页正文内容：全年接待查档1260人次。"] for n in range(1, 4)])
    with (corpus / "巨大导出.txt").open("wb") as handle:
        handle.truncate(3 * 2**30)  # 3 GB, sparse: hashing it would read 3 GB
    padded = _xlsx(tmp_path / "small.xlsx")
    with zipfile.ZipFile(padded, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", b"\0" * (2 * 2**20))  # 2 MB unpacked, a few KB packed
    padded.rename(corpus / "解压过大.xlsx")
    csv_rows = "\n".join(f"38-4-{n:04d},第{n}卷,1980,开放" for n in range(1, 31))
    (corpus / "行数过多.csv").write_text("档号,题名,年度,开放状态\n" + csv_rows + "\n", encoding="utf-8")
    started = time.perf_counter()
    report = assistant.ingest([corpus])
    assert time.perf_counter() - started < 30
    failed = {Path(f.path).name: f.message for f in report.failed}
    assert set(failed) == {"四页.pdf", "巨大导出.txt", "解压过大.xlsx", "行数过多.csv"}, failed
    assert "页数过多" in failed["四页.pdf"] and "max_pages" in failed["四页.pdf"]
    assert "文件过大" in failed["巨大导出.txt"] and "max_file_mb" in failed["巨大导出.txt"]
    assert "解压后过大" in failed["解压过大.xlsx"] and "max_xlsx_uncompressed_mb" in failed["解压过大.xlsx"]
    assert "行数过多" in failed["行数过多.csv"] and "max_catalogue_rows" in failed["行数过多.csv"]
    assert set(_stored(assistant)) == {"三页.pdf"}
    assert not db.pending_source_paths(assistant.index.conn)


def test_a_symlink_named_on_the_command_line_is_its_target(assistant: Assistant, tmp_path: Path) -> None:
    """Finding 22: named by the user, a link is followed, but stored as its target (name and path),
    so a link named by a 档号 cannot make an open report pass for a record, or the reverse."""
    report_path = make_pdf(tmp_path / "公开报告2022年.pdf", [["一、查阅利用", "全年接待查档1260人次。"]])
    link = tmp_path / "39-1-0011.pdf"
    link.symlink_to(report_path)
    assert assistant.ingest([link]).ok
    assert set(_stored(assistant)) == {"公开报告2022年.pdf"}
    answer = assistant.ask("2022年接待查档多少人次？", READER)
    assert answer.status == "answered" and answer.citations[0].archival_code is None


def test_a_conversion_that_hangs_is_stopped_with_its_children(tmp_path: Path) -> None:
    """A .doc that makes LibreOffice hang: the whole process group goes at `soffice_timeout`."""
    fake = tmp_path / "hanging-soffice"
    child = f"{sys.executable} -c 'import time; time.sleep(120)' {tmp_path.name}"  # a child that would linger
    fake.write_text(f"#!/bin/sh\n{child} &\nwait\n", encoding="utf-8")
    fake.chmod(0o755)
    assistant = build_assistant(make_settings(tmp_path / "index", soffice_binary=str(fake), soffice_timeout=1))
    (tmp_path / "卡住.doc").write_bytes(b"\xd0\xcf\x11\xe0 not really a doc")
    started = time.perf_counter()
    [result] = assistant.ingest([tmp_path / "卡住.doc"]).files
    assert time.perf_counter() - started < 20
    assert result.status == "failed" and "卡住.doc" in result.message and "秒仍未完成" in result.message
    time.sleep(0.2)
    left = [p for p in Path("/proc").glob("[0-9]*") if tmp_path.name.encode() in _cmdline(p)]
    assert not left, "the hanging converter's children outlived the timeout"


def _cmdline(process: Path) -> bytes:
    try:
        return (process / "cmdline").read_bytes()
    except OSError:
        return b""
