"""An answer (or draft) with its citations, as Markdown and DOCX files to download.

    md_path, docx_path = export_answer(answer, Path("/tmp/exports"), mode="问答", asked_by="王芳")

Only what the answer already holds is written: the question, the answer text, each citation's
place and quoted text, and the warnings. The files say plainly that they point to records and
are not a certificate (证明).

Text from records may hold characters XML cannot carry (OCR and old systems leave `\x00`, `\x0b`,
`\x1b`…); DOCX is XML, so they are dropped from both files (`printable`), and the two files are
written side by side under temporary names and renamed only when both are complete: an export
is both files or nothing.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from assistant.answer.citations import where
from assistant.models import Answer, Citation

DISCLAIMER = "说明：本回答仅指明馆藏档案出处，供查考参考，不作为证明材料；如需证明，请由馆员依原件出具。"
# What XML 1.0 cannot hold: C0 controls but tab, LF and CR; lone surrogates; U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def printable(text: str) -> str:
    """`text` without the characters XML (and so DOCX) cannot hold."""
    return _NOT_XML.sub("", text)


def describe(citation: Citation) -> str:
    """Where a citation points, as an archivist writes it: file, page, fonds, 档号."""
    return where(citation.source, citation.page, citation.fonds, citation.archival_code)


def to_markdown(answer: Answer, *, mode: str, asked_by: str, when: datetime) -> str:
    return printable("\n".join(_markdown_lines(answer, mode=mode, asked_by=asked_by, when=when)))


def _markdown_lines(answer: Answer, *, mode: str, asked_by: str, when: datetime) -> list[str]:
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
    return lines


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
        paragraph.add_run(printable(value))
    document.add_heading("回答", level=2)
    for block in printable(answer.answer).split("\n"):
        if block.strip():
            document.add_paragraph(block)
    if answer.citations:
        document.add_heading("出处", level=2)
        for citation in answer.citations:
            document.add_paragraph(printable(f"[{citation.id}] {describe(citation)}"))
            document.add_paragraph(printable(" ".join(citation.text.split())), style="Quote")
    if answer.warnings:
        document.add_heading("提示", level=2)
        for warning in answer.warnings:
            document.add_paragraph(printable(f"⚠ {warning}"))
    document.add_paragraph(DISCLAIMER).runs[0].italic = True
    document.save(str(path))
    return path


def export_answer(answer: Answer, folder: Path, *, mode: str = "问答", asked_by: str = "") -> tuple[Path, Path]:
    """Write `<stem>.md` and `<stem>.docx` into `folder`; return both paths. On any failure
    neither file is left behind."""
    folder.mkdir(parents=True, exist_ok=True)
    when = datetime.now()
    topic = re.sub(r"[^\w\u4e00-\u9fff]+", "", printable(answer.question))[:16] or "回答"
    stem = f"档案助手-{topic}-{when:%Y%m%d-%H%M%S}"
    markdown, docx = folder / f"{stem}.md", folder / f"{stem}.docx"
    drafts = folder / f".{stem}.md.part", folder / f".{stem}.docx.part"
    try:
        drafts[0].write_text(to_markdown(answer, mode=mode, asked_by=asked_by, when=when), encoding="utf-8")
        to_docx(answer, drafts[1], mode=mode, asked_by=asked_by, when=when)
        drafts[0].replace(markdown)
        drafts[1].replace(docx)
    except BaseException:
        for path in (*drafts, markdown, docx):
            path.unlink(missing_ok=True)
        raise
    return markdown, docx
