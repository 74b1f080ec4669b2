"""Legacy office files (.doc .wps .rtf .ppt .et) converted by LibreOffice before loading.

    with converted(Path("2019年工作总结.doc"), "docx", settings) as docx_path:
        lines = docx_lines(docx_path)

`soffice --headless --convert-to` writes the converted file into a temporary folder, which goes
when the `with` block ends; the original is never touched (it is copied in first, so its name,
whatever it is, never reaches LibreOffice's command line, and no lock file appears beside it).
Each conversion gets its own LibreOffice profile in that folder: two conversions at once (two
ingests, or the UI and the CLI) cannot meet in one running LibreOffice. This costs about 1.5 s
per file (2.8 s in all against 1.3 s with a warm profile, on our 2-core machine).

When LibreOffice is not installed (`settings.soffice_binary` not found) the file fails with one
sentence saying how to enable it; nothing else stops.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import IngestError

if TYPE_CHECKING:
    from assistant.settings import Settings

# What each legacy suffix becomes before our loaders read it.
DOCUMENT_TARGETS = {".doc": "docx", ".wps": "docx", ".rtf": "docx", ".ppt": "pdf"}
CATALOGUE_TARGETS = {".et": "xlsx"}
LEGACY_SUFFIXES = set(DOCUMENT_TARGETS) | set(CATALOGUE_TARGETS)


def soffice_path(settings: Settings) -> str | None:
    """The LibreOffice binary to run, or None when it is not installed."""
    return shutil.which(settings.soffice_binary)


@contextmanager
def converted(path: Path, target: str, settings: Settings) -> Iterator[Path]:
    """The file converted to `target` (docx, xlsx, pdf), in a temporary folder removed afterwards."""
    binary = soffice_path(settings)
    if binary is None:
        raise IngestError(
            path,
            f"{path.suffix} 文件需要 LibreOffice 转换，但本机没有找到 {settings.soffice_binary}；"
            "请安装 LibreOffice（Debian/Ubuntu：apt-get install libreoffice-writer libreoffice-calc），"
            "或另存为 .docx/.xlsx/.pdf 后再导入",
        )
    with tempfile.TemporaryDirectory(prefix="archive-assistant-convert-") as folder:
        work = Path(folder)
        source = work / f"source{path.suffix.lower()}"
        try:
            shutil.copyfile(path, source)
        except OSError as exc:
            raise IngestError(path, f"无法读取文件：{exc.strerror or exc}") from exc
        command = [
            binary,
            "--headless",
            "--norestore",
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--convert-to",
            target,
            "--outdir",
            str(work / "out"),
            str(source),
        ]
        _run(path, command, settings.soffice_timeout)
        result = work / "out" / f"source.{target}"
        if not result.is_file() or result.stat().st_size == 0:
            raise IngestError(path, f"LibreOffice 无法转换此文件（文件损坏，或不是真正的 {path.suffix} 文件）")
        yield result


def _run(path: Path, command: list[str], timeout: float) -> None:
    """Run LibreOffice in its own process group: `soffice` is a script whose soffice.bin child
    would outlive a timeout that killed only the script."""
    try:
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
    except OSError as exc:
        raise IngestError(path, f"无法运行 LibreOffice（{exc.strerror or exc}）") from exc
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise IngestError(path, f"LibreOffice 转换超过 {timeout:.0f} 秒仍未完成，已跳过") from exc
