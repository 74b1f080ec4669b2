"""An answer (or draft) with its citations, as Markdown and DOCX files to download.

    md_path, docx_path = export_answer(answer, Path("/tmp/exports"), mode="问答", asked_by="王芳")

Only what the answer already holds is written: the question, the answer text, each citation's
place and quoted text, and the warnings. The files say plainly that they point to records and
are not a certificate (证明).
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from assistant.models import Answer, Citation

DISCLAIMER = "说明：本回答仅指明馆藏档案出处，供查考参考，不作为证明材料；如需证明，请由馆员依原件出具。"


def describe(citation: Citation) -> str:
    """Where a citation points, as an archivist writes it: file, page, fonds, 档号."""
    parts = [citation.source]
    if citation.page:
        parts.append(f"第{citation.page}页")
    if citation.fonds:
        parts.append(f"全宗 {citation.fonds}")
    if citation.archival_code:
        parts.append(f"档号 {citation.archival_code}")
    return "，".join(parts)


def to_markdown(answer: Answer, *, mode: str, asked_by: str, when: datetime) -> str:
    lines = [
        "# 档案助手回答",
        "",
        f"- 问题：{answer.question}",
        f"- 模式：{mode}",
        f"- 提问人：{asked_by}",
        f"- 时间：{when:%Y-%m-%d %H:%M}",
        "",
        "## 回答",
        "",
        answer.answer,
        "",
    ]
    if answer.citations:
        lines += ["## 出处", ""]
        for citation in answer.citations:
            quote = " ".join(citation.text.split())
            lines += [f"{citation.id}. {describe(citation)}", "", f"   > {quote}", ""]
    if answer.warnings:
        lines += ["## 提示", ""] + [f"- ⚠ {warning}" for warning in answer.warnings] + [""]
    lines += ["---", "", DISCLAIMER, ""]
    return "\n".join(lines)


def to_docx(answer: Answer, path: Path, *, mode: str, asked_by: str, when: datetime) -> Path:
    from docx import Document
    from docx.oxml.ns import qn

    document = Document()
    normal = document.styles["Normal"]
    normal.font.name = "宋体"
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")
    document.add_heading("档案助手回答", level=1)
    facts = (("问题", answer.question), ("模式", mode), ("提问人", asked_by), ("时间", f"{when:%Y-%m-%d %H:%M}"))
    for label, value in facts:
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{label}：").bold = True
        paragraph.add_run(value)
    document.add_heading("回答", level=2)
    for block in answer.answer.split("\n"):
        if block.strip():
            document.add_paragraph(block)
    if answer.citations:
        document.add_heading("出处", level=2)
        for citation in answer.citations:
            document.add_paragraph(f"[{citation.id}] {describe(citation)}")
            document.add_paragraph(" ".join(citation.text.split()), style="Quote")
    if answer.warnings:
        document.add_heading("提示", level=2)
        for warning in answer.warnings:
            document.add_paragraph(f"⚠ {warning}")
    document.add_paragraph(DISCLAIMER).runs[0].italic = True
    document.save(str(path))
    return path


def export_answer(answer: Answer, folder: Path, *, mode: str = "问答", asked_by: str = "") -> tuple[Path, Path]:
    """Write `<stem>.md` and `<stem>.docx` into `folder`; return both paths."""
    folder.mkdir(parents=True, exist_ok=True)
    when = datetime.now()
    topic = re.sub(r"[^\w\u4e00-\u9fff]+", "", answer.question)[:16] or "回答"
    stem = f"档案助手-{topic}-{when:%Y%m%d-%H%M%S}"
    markdown = folder / f"{stem}.md"
    markdown.write_text(to_markdown(answer, mode=mode, asked_by=asked_by, when=when), encoding="utf-8")
    docx = to_docx(answer, folder / f"{stem}.docx", mode=mode, asked_by=asked_by, when=when)
    return markdown, docx
