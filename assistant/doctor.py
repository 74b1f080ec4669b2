"""`doctor`: what the assistant runs with, and what is wrong with it.

Each problem says the command that fixes it: an interrupted ingest and SQLite/Chroma out of step
are what `doctor --repair` reconciles (assistant/index/repair.py); re-running `ingest` would skip
the unchanged files and leave them as they are.
"""

from __future__ import annotations

from pathlib import Path

from assistant.answer.llm import check_llm
from assistant.errors import AssistantError, storage_error
from assistant.index.reindex import unfinished_reindex
from assistant.index.store import write_problem
from assistant.ingest.levels import stale_sources
from assistant.settings import Settings

FALLBACK_ADVICE = (
    "要使用配置的模型：在能联网的机器上下载它，把模型文件夹复制到本机，"
    "设 ARCHIVE_ASSISTANT_EMBEDDING_MODEL=该文件夹的路径，再运行 archive-assistant reindex。"
)


def repair_advice(settings: Settings) -> str:
    return f"请运行 archive-assistant --index-dir {settings.index_dir} doctor --repair 修复"


def diagnose(settings: Settings) -> tuple[list[str], list[str]]:
    """(findings, problems): lines for the user; any problem makes `doctor` exit non-zero."""
    from assistant.service import build_assistant

    findings = [f"索引目录：{settings.index_dir}"]
    problems: list[str] = []
    try:
        assistant = build_assistant(settings)
    except AssistantError as exc:
        return findings, [str(exc)]
    status = assistant.status()
    about = f"，{assistant.index.embedder.about}" if assistant.index.embedder.about else ""
    findings.append(f"嵌入模型：{status.embedding_model}（配置为 {settings.embedding_model}{about}）")
    if status.embedding_warning:
        findings.append(f"⚠ 离线回退：{status.embedding_warning}")
        findings.append(f"  {FALLBACK_ADVICE}")
    if target := unfinished_reindex(assistant.index):
        problems.append(f"向量重算（改用 {target}）中断过，尚未完成：请再次运行 archive-assistant reindex")
    findings.append(
        f"索引：{status.sources} 个来源，{status.chunks} 个文本块，{status.catalogue_rows} 条目录，"
        f"{assistant.index.collection.count()} 个向量"
    )
    findings.append(f"回答方式：{status.llm}")
    if problem := check_llm(assistant.settings):  # with a local model: the server it started
        problems.append(problem)
    if status.pending_sources:
        problems.append(f"{status.pending_sources} 个来源导入未完成（中断过）：{repair_advice(settings)}")
    if assistant.index.collection.count() != status.chunks:
        problems.append(
            f"向量数（{assistant.index.collection.count()}）与文本块数（{status.chunks}）不一致：{repair_advice(settings)}"
        )
    if stale := stale_sources(assistant.index.conn, settings):
        problems.append(
            f"{len(stale)} 个文档的访问级别与目录或访问设置不一致（如 {Path(stale[0].path).name}）："
            "请运行 archive-assistant doctor --repair"
        )
    if assistant.index.stale:
        problems.append(
            f"索引由旧版本建立（{'、'.join(assistant.index.stale)}已更新），在重建前不能导入新文件："
            f"请运行 archive-assistant --index-dir {settings.index_dir} reindex"
        )
    # A read-only mount opens and reads like any index; only the first write (an answer's audit
    # entry) would fail, so the folder is tried here.
    if unwritable := write_problem(settings.index_dir):
        problems.append(str(storage_error(unwritable, f"索引目录 {settings.index_dir} 无法写入，提问和导入都会失败")))
    if status.chunks == 0:
        problems.append("索引为空：请先运行 archive-assistant ingest <目录>")
    assistant.close()
    return findings, problems
