"""A corpus of bad inputs: each gets a clear message naming the file, the rest is ingested, the
run neither hangs nor exhausts memory, and nothing already stored is lost or duplicated."""

import ctypes
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from helpers import ROOT, STAFF, make_pdf
from openpyxl import Workbook
from pypdf import PdfReader, PdfWriter

from assistant.service import Assistant

GOOD_CSV = "档号,题名,年度,开放状态\n38-1-0001,关于招工的请示,1978,开放\n"


def _encrypted_pdf(source: Path, target: Path) -> Path:
    writer = PdfWriter()
    for page in PdfReader(source).pages:
        writer.add_page(page)
    writer.encrypt(user_password="secret", owner_password="owner")
    with target.open("wb") as handle:
        writer.write(handle)
    return target


def _merged_and_empty_xlsx(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(["青山县劳动局 案卷目录"])
    sheet.merge_cells("A1:D1")
    sheet.append(["档号", "题名", "年度", "开放状态"])
    sheet.append(["38-2-0001", "关于工资调整的报告", 1985, "开放"])
    sheet.append(["38-2-0002", "合并单元格的备注行", None, "开放"])
    sheet.merge_cells("B4:C4")
    book.create_sheet("空表")
    book.save(path)
    return path


def _bad_corpus(folder: Path) -> dict[str, str]:
    """Bad files → a word their message must contain."""
    folder.mkdir()
    good_pdf = make_pdf(folder / "好 报告 2022年 📄.pdf", [["一、查阅利用", "全年接待查档1260人次。"]])
    (folder / "目录 ✓.csv").write_bytes(GOOD_CSV.encode("gbk"))
    _merged_and_empty_xlsx(folder / "合并单元格.xlsx")
    data = good_pdf.read_bytes()
    (folder / "截断.pdf").write_bytes(data[: len(data) // 2])
    (folder / "损坏.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    _encrypted_pdf(good_pdf, folder / "加密.pdf")
    (folder / "空文件.pdf").write_bytes(b"")
    (folder / "空文件.csv").write_bytes(b"")
    (folder / "垃圾.csv").write_bytes(bytes(range(256)) * 64)
    (folder / "未知编码.csv").write_bytes("档号,题名\n38-1-9,测试\n".encode("utf-16"))
    (folder / "不是表格.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    (folder / "超长一行.txt").write_bytes(b"A" * (50 * 1024 * 1024))
    return {
        "截断.pdf": "PDF",
        "损坏.pdf": "PDF",
        "加密.pdf": "加密",
        "空文件.pdf": "空",
        "空文件.csv": "空",
        "垃圾.csv": "二进制",
        "未知编码.csv": "编码",
        "不是表格.xlsx": "XLSX",
        "超长一行.txt": "过大",
    }


def test_bad_inputs_are_named_and_the_rest_is_ingested(assistant: Assistant, tmp_path: Path) -> None:
    corpus = tmp_path / "坏 文件 夹"
    expected = _bad_corpus(corpus)
    started = time.perf_counter()
    report = assistant.ingest([corpus])
    assert time.perf_counter() - started < 120
    failed = {Path(f.path).name: f.message for f in report.failed}
    assert set(failed) == set(expected), failed
    for name, word in expected.items():
        assert name in failed[name] and word in failed[name], failed[name]
    ingested = {Path(f.path).name for f in report.files if f.status == "ingested"}
    assert ingested == {"好 报告 2022年 📄.pdf", "目录 ✓.csv", "合并单元格.xlsx"}
    # Whatever the process peaked at, it stayed far from the 50 MB file times any blow-up factor.
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 6 * 1024 * 1024  # KiB → under 6 GiB

    assert assistant.ask("38-2-0001是什么", STAFF).status == "answered"
    assert "1260" in assistant.ask("2022年全年接待查档多少人次", STAFF).answer


def test_a_bad_new_version_keeps_the_good_old_one(assistant: Assistant, tmp_path: Path) -> None:
    path = tmp_path / "目录.csv"
    path.write_bytes(GOOD_CSV.encode("gbk"))
    assert assistant.ingest([path]).ok
    path.write_bytes(b"\x00\x01 junk")
    report = assistant.ingest([path])
    assert not report.ok and "目录.csv" in report.failed[0].message
    answer = assistant.ask("38-1-0001是什么", STAFF)
    assert answer.status == "answered" and len(answer.citations) == 1


@contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    """Fail instead of hanging: a blocked open() of a FIFO is interrupted by the alarm."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"ingest still running after {seconds} s (blocked on a FIFO?)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_entries_that_are_not_regular_files_are_named_and_the_rest_is_ingested(
    assistant: Assistant, tmp_path: Path
) -> None:
    corpus = tmp_path / "不可读"
    corpus.mkdir()
    (corpus / "目录.csv").write_bytes(GOOD_CSV.encode("gbk"))
    (corpus / "x.pdf").mkdir()  # a folder that only looks like a PDF
    (corpus / "y.csv").symlink_to(corpus / "已删除.csv")  # points nowhere
    os.mkfifo(corpus / "z.txt")  # opening it for reading would wait for a writer forever
    with _deadline(120):
        report = assistant.ingest([corpus])
    failed = {Path(f.path).name: f.message for f in report.failed}
    assert set(failed) == {"x.pdf", "y.csv", "z.txt"}, failed
    for name, words in {"x.pdf": ("文件夹",), "y.csv": ("链接", "不存在"), "z.txt": ("不是普通文件",)}.items():
        assert str(corpus / name) in failed[name] and all(word in failed[name] for word in words), failed[name]
    assert [Path(f.path).name for f in report.files if f.status == "ingested"] == ["目录.csv"]
    assert assistant.ask("38-1-0001是什么", STAFF).status == "answered"

    # Named on their own (as on the command line), the link and the FIFO get the same messages.
    with _deadline(60):
        direct = assistant.ingest([corpus / "y.csv", corpus / "z.txt"])
    assert [f.message for f in direct.files] == [failed["y.csv"], failed["z.txt"]]


def _without_root_file_override() -> Callable[[], None]:
    """For the child of a root process: drop the capabilities that let root read any file
    (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH) from the bounding set, so the program it executes runs
    as root but obeys file permissions. Dropping to `nobody` instead does not work here: the venv's
    interpreter lives under /root (mode 700), which nobody cannot read."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved before the fork
    pr_capbset_drop, cap_dac_override, cap_dac_read_search = 24, 1, 2

    def drop() -> None:
        for capability in (cap_dac_override, cap_dac_read_search):
            if prctl(pr_capbset_drop, capability, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")

    return drop


def test_a_file_without_read_permission_is_named_and_the_rest_is_ingested(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "目录.csv").write_bytes(GOOD_CSV.encode("gbk"))
    secret = corpus / "无权读取.md"
    secret.write_text("# 2023年工作总结\n\n全年接待查档1234人次。\n", encoding="utf-8")
    secret.chmod(0)
    command = [sys.executable, "-m", "assistant", "--index-dir", str(tmp_path / "index"), "ingest", str(corpus)]
    root = os.geteuid() == 0  # root reads a mode-000 file unless it gives up that power first
    try:
        result = subprocess.run(
            command,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            # The child only calls the C function resolved above, nothing that could wait on a lock
            # another thread of this process held at the fork.
            preexec_fn=_without_root_file_override() if root else None,
        )
    finally:
        secret.chmod(0o644)  # so tmp_path can be cleaned up
    assert result.returncode == 1, result.stderr
    failures = [line for line in result.stderr.splitlines() if line.startswith("失败：")]
    assert failures == [f"失败：{secret}: 无法读取文件（Permission denied）"], result.stderr
    assert "导入 1 个文件" in result.stdout and "失败 1 个" in result.stdout, result.stdout
