"""A read-only index and a full disk (finding 14): `ask`, `doctor` and `audit export` say so in one
sentence instead of a traceback, and the audit log can still be exported from a read-only index.

The tests run as root, for whom file permissions block nothing, so writes are blocked for real:
a read-only folder is a read-only bind mount of the folder onto itself (`mount --bind` then
`mount -o remount,ro,bind`; `chattr +i` on every file where mounting is not allowed; plain
`chmod a-w` for a non-root user), and a full disk is a small tmpfs filled to the last byte.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from helpers import READER
from typer.testing import CliRunner

from assistant.cli import app
from assistant.service import build_assistant
from assistant.settings import load_settings

GUIDE = "# 入门\n\n全宗是一个立档单位形成的全部档案，全宗号是它的编号。\n"


def run(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True)


@contextmanager
def read_only(folder: Path) -> Iterator[str]:
    """Writes anywhere under `folder` fail with EROFS (or EPERM / EACCES); yields the technique."""
    if os.geteuid() != 0:
        paths = [folder, *folder.rglob("*")]
        for path in paths:
            path.chmod(path.stat().st_mode & ~0o222)
        try:
            yield "chmod a-w"
        finally:
            for path in paths:
                path.chmod(path.stat().st_mode | 0o200)
        return
    try:
        run("mount", "--bind", str(folder), str(folder))
    except subprocess.CalledProcessError:
        paths = [*folder.rglob("*"), folder]
        for path in paths:
            run("chattr", "+i", str(path))
        try:
            yield "chattr +i"
        finally:
            for path in paths:
                run("chattr", "-i", str(path))
        return
    try:
        run("mount", "-o", "remount,ro,bind", str(folder), str(folder))
        yield "read-only bind mount"
    finally:
        run("umount", "-l", str(folder))  # lazy: a crashed command may still hold a file open


@contextmanager
def small_disk(folder: Path, size: str = "16m") -> Iterator[Path]:
    folder.mkdir(parents=True)
    run("mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(folder))
    try:
        yield folder
    finally:
        run("umount", "-l", str(folder))


def fill(disk: Path) -> None:
    """Write to `disk` until not one more byte fits."""
    with (disk / "filler").open("wb", buffering=0) as handle:
        for block in (1 << 20, 4096, 1):
            try:
                while True:
                    handle.write(b"\0" * block)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    with pytest.raises(OSError, match="No space"):
        (disk / "probe").write_bytes(b"x" * 4096)


def make_index(index_dir: Path, corpus: Path) -> None:
    corpus.mkdir(parents=True, exist_ok=True)
    (corpus / "入门.md").write_text(GUIDE, encoding="utf-8")
    assistant = build_assistant(load_settings(index_dir=index_dir))
    assert assistant.ingest([corpus]).ok
    assistant.ask("什么是全宗", READER)  # one row in the audit log
    assistant.index.conn.close()


def cli(index_dir: Path, *args: str):
    return CliRunner().invoke(app, ["--index-dir", str(index_dir), *args])


def one_sentence(result, *words: str) -> str:
    """The error output: one line, no traceback, with all of `words`. The "⚠" notice that the
    offline model stands in for the configured one may come first: where the folder can be made a
    read-only mount, `ask` opens the index and fails at its first write, after that notice."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    output = result.stderr.strip() or result.stdout.strip()
    lines = [line for line in output.splitlines() if not line.startswith("⚠ ")]
    text = "\n".join(lines)
    assert "Traceback" not in result.output and len(lines) == 1, result.output
    assert all(word in text for word in words), text
    return text


def test_a_read_only_index_is_one_sentence_and_its_log_still_exports(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    make_index(index_dir, tmp_path / "corpus")
    with read_only(index_dir) as how:
        with pytest.raises(OSError):
            (index_dir / "probe").write_text("x")  # really read-only, for root too
        ask = cli(index_dir, "ask", "什么是全宗")
        assert ask.exit_code == 1, (how, ask.output)
        one_sentence(ask, "错误：", str(index_dir), "只读", "请管理员检查")

        doctor = cli(index_dir, "doctor")
        assert doctor.exit_code == 1 and "Traceback" not in doctor.output
        assert any(line.startswith("✗ ") and "只读" in line for line in doctor.output.splitlines()), doctor.output

        out = tmp_path / "利用登记.csv"
        exported = cli(index_dir, "audit", "export", str(out))
        assert exported.exit_code == 0, exported.output
        assert "什么是全宗" in out.read_text(encoding="utf-8-sig")


def test_a_full_disk_is_one_sentence_and_leaves_no_half_file(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk") as disk:
        index_dir = disk / "index"
        make_index(index_dir, tmp_path / "corpus")
        fill(disk)
        ask = cli(index_dir, "ask", "什么是全宗")
        assert ask.exit_code == 1, ask.output
        one_sentence(ask, "错误：", "磁盘已满", "请管理员检查")

        out = disk / "利用登记.csv"
        exported = cli(index_dir, "audit", "export", str(out))
        assert exported.exit_code == 1, exported.output
        one_sentence(exported, "错误：", str(out), "磁盘已满")
        assert not out.exists()  # no half-written export is left behind

        doctor = cli(index_dir, "doctor")  # it only reads: it may find nothing wrong, but must not crash
        assert doctor.exception is None or isinstance(doctor.exception, SystemExit), repr(doctor.exception)
        assert "Traceback" not in doctor.output
