"""What an answer cites, as the user sees it: the chat message, the sources panel, the citation
chips under the newest answer, and the view of one citation (its page image with the passage
highlighted, its catalogue row, or its paragraph in context).

Every view takes the `Turn` this user was given and the principal resolved on the server: a
citation is shown only from this user's own answer, and its chunk's current level is checked
again before anything of it is drawn. Record text is escaped (`markup`) wherever it is placed in
Markdown. A file is named once in the sources panel, its citations listed under it; cited
catalogue rows are a table with the catalogue's own column names.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from assistant.access import clearance, may_see
from assistant.answer.citations import where
from assistant.errors import AssistantError
from assistant.index import library
from assistant.ingest import scans
from assistant.ingest.scans import IMAGE_SUFFIXES
from assistant.models import Answer, Citation, Principal, catalogue_cells
from assistant.prompts import Mode
from assistant.service import Assistant
from assistant.ui.export import describe
from assistant.ui.markup import markdown_text
from assistant.ui.render import render_page, render_scan

MODE_LABELS = {"ask": "问答", "draft": "起草", "onboard": "入门"}
# The columns of a cited catalogue row, in the order an archivist reads them.
ROW_LABELS = ("档号", "题名", "年度", "日期", "责任者", "保管期限", "页数", "密级", "开放状态", "备注")
HIGHLIGHTED = "（底色标出引用段落）"


class SourceError(AssistantError):
    """A citation that cannot be shown, as one sentence for the user."""


@dataclass(frozen=True)
class Turn:
    """The answer whose sources the panel shows, kept server-side in `gr.State`."""

    user: str
    mode: Mode
    answer: Answer


@dataclass(frozen=True)
class PageView:
    image: Image.Image | None
    caption: str  # Markdown, record text escaped


# ---- the chat message -------------------------------------------------------------------------


def chat_text(answer: Answer, mode: str) -> str:
    """The chat message: how a follow-up was understood (理解为), the direct answer first (bold),
    the quotes, a question across years' table and chart, the sources (each file once) and
    warnings; a refusal with its hint, marked as a lead and not an answer."""
    parts = [] if mode == "ask" else [f"*【{MODE_LABELS.get(mode, '问答')}】*"]
    if answer.understood_as:
        parts.append(f"*理解为：{markdown_text(answer.understood_as)}*")
    parts.append(_body(answer))
    if answer.series:
        parts.extend([series_table(answer.series), series_chart(answer.series)])
    if answer.status != "answered" and answer.hint:
        parts.append(f"> 线索：{markdown_text(answer.hint)}")
    if answer.citations:
        parts.append("出处：" + "；".join(markdown_text(place) for place in grouped_places(answer.citations)))
    parts.extend(f"⚠ {markdown_text(warning)}" for warning in answer.warnings)
    return "\n\n".join(parts)


def _body(answer: Answer) -> str:
    lines = answer.answer.split("\n")
    if answer.understood_as and lines[0].startswith("理解为："):
        lines = lines[1:]  # shown above the answer, set apart
    if answer.series:  # the answerer's own table is text here; `series_table` draws it from the data
        lines = [line for line in lines if not line.startswith("|")]
    direct = answer.first_sentence.rstrip("。")
    if not direct:
        return markdown_text(answer.answer)
    if lines and lines[0].startswith(direct):  # the answerer already put it first: make it stand out
        return "\n".join([f"**{markdown_text(lines[0])}**", *(markdown_text(line) for line in lines[1:])])
    return "\n".join([f"**{markdown_text(answer.first_sentence)}**", *(markdown_text(line) for line in lines)])


def series_table(series: Sequence[dict[str, object]]) -> str:
    """Each year's checked figure of a question across years, as a Markdown table."""
    lines = ["| 年度 | 数字 | 出处 |", "| --- | --- | --- |"]
    for point in series:
        lines.append(f"| {int(str(point['year']))} | {markdown_text(str(point['text']))} | \\[{point['citation']}\\] |")
    return "\n".join(lines)


def series_chart(series: Sequence[dict[str, object]]) -> str:
    """A line chart of the yearly figures as an SVG image in the message (a `data:` image, which
    the page's policy allows; numbers only, no record text). '' for fewer than two years."""
    points = [(int(str(p["year"])), float(str(p["value"]))) for p in series]
    if len(points) < 2:
        return ""
    width, height, pad = 360, 150, 34
    years = [year for year, _ in points]
    low, high = min(v for _, v in points), max(v for _, v in points)
    span_x, span_y = (years[-1] - years[0]) or 1, (high - low) or 1

    def xy(year: int, value: float) -> tuple[float, float]:
        x = pad + (year - years[0]) / span_x * (width - 2 * pad)
        y = height - pad - (value - low) / span_y * (height - 2 * pad)
        return round(x, 1), round(y, 1)

    placed = [xy(year, value) for year, value in points]
    line = " ".join(f"{x},{y}" for x, y in placed)
    marks = "".join(
        f'<circle cx="{x}" cy="{y}" r="3"/><text x="{x}" y="{height - 10}" text-anchor="middle">{year}</text>'
        f'<text x="{x}" y="{y - 8}" text-anchor="middle">{value:g}</text>'
        for (x, y), (year, value) in zip(placed, points, strict=True)
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-size="11" '
        f'font-family="sans-serif"><polyline points="{line}" fill="none" stroke="#d9480f" stroke-width="2"/>'
        f'<g fill="#d9480f">{marks}</g></svg>'
    )
    encoded = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f"![各年数字折线图](data:image/svg+xml;base64,{encoded})"


def grouped_places(citations: Sequence[Citation]) -> list[str]:
    """Where the citations point, each file named once: `a.pdf 第1页[1]、第3页[2]`."""
    groups: dict[str, list[str]] = {}
    for citation in citations:
        groups.setdefault(citation.source, []).append(f"{_locator(citation)}[{citation.id}]")
    return [f"{source} {'、'.join(places)}".replace(" [", "[") for source, places in groups.items()]


def _locator(citation: Citation) -> str:
    return where(None, citation.page, code=citation.archival_code, sep=" ")


# ---- the sources panel ------------------------------------------------------------------------


def render_sources(answer: Answer | None, kinds: dict[str, str] | None = None) -> str:
    """The sources panel: each cited file once, its citations under it; catalogue rows as a table.
    `kinds` gives the kind of each cited chunk still in the index (by chunk id)."""
    if answer is None:
        return "提问后，这里列出回答引用的出处。点击回答下方的出处标号，可在这里查看原文。"
    if not answer.citations:
        return "本次回答没有引用出处。"
    kinds = kinds or {}
    groups: dict[str, list[Citation]] = {}
    for citation in answer.citations:
        groups.setdefault(citation.source, []).append(citation)
    blocks = []
    for source, cited in groups.items():
        rows = [c for c in cited if kinds.get(c.chunk_id) == "catalogue"]
        blocks.append(f"**{markdown_text(source)}**")
        if rows:
            blocks.append(row_table(rows))
        for citation in cited:
            if citation in rows:
                continue
            quote = markdown_text(" ".join(citation.text.split()))
            where = markdown_text(f"[{citation.id}] {_locator(citation) or '引文'}")
            blocks.append(f"{where}\n\n> {quote}")
    return "\n\n".join(blocks)


def row_table(citations: Sequence[Citation]) -> str:
    """Cited catalogue rows as a Markdown table, the columns any of them fills."""
    cells = [catalogue_cells(c.text) for c in citations]
    columns = [label for label in ROW_LABELS if any(row.get(label) for row in cells)]
    head = "| 标号 | " + " | ".join(columns) + " |"
    rule = "|" + " --- |" * (len(columns) + 1)
    lines = [head, rule]
    for citation, row in zip(citations, cells, strict=True):
        values = [markdown_text(row.get(label, "")) for label in columns]
        lines.append(f"| \\[{citation.id}\\] | " + " | ".join(values) + " |")
    return "\n".join(lines)


def citation_choices(answer: Answer | None) -> list[tuple[str, str]]:
    """(label, value) pairs for the citation picker; value is the citation number."""
    return [(f"[{c.id}] {short_place(c)}", str(c.id)) for c in (answer.citations if answer else [])]


def citation_options(answer: Answer) -> list[dict[str, str]]:
    """The citation chips under the newest answer (Gradio message options, shown as text)."""
    return [{"label": label, "value": value} for label, value in citation_choices(answer)]


def short_place(citation: Citation) -> str:
    if citation.page:
        return where(citation.source, citation.page, sep=" ")
    return where(None, code=citation.archival_code) or citation.source


def cited_kinds(assistant: Assistant, answer: Answer | None) -> dict[str, str]:
    """The kind of each cited chunk still in the index."""
    found = {}
    for citation in answer.citations if answer else []:
        place = library.cited(assistant.index.conn, citation.chunk_id)
        if place is not None:
            found[citation.chunk_id] = place.kind
    return found


# ---- one citation -----------------------------------------------------------------------------


def show_citation(assistant: Assistant, principal: Principal, turn: Turn | None, choice: str | None) -> PageView:
    """One citation of this user's answer: the page image with the passage highlighted (a text
    PDF, a scan), else the catalogue row, else the passage with the paragraphs around it."""
    if turn is None or not choice:
        return PageView(None, "")
    if turn.user != principal.name:
        raise SourceError("该回答不属于当前用户，请重新提问。")
    citation = next((c for c in turn.answer.citations if str(c.id) == str(choice)), None)
    if citation is None:
        raise SourceError("没有这个出处，请重新选择。")
    place = library.cited(assistant.index.conn, citation.chunk_id)
    if place is None:
        raise SourceError("该出处已从馆藏中移除，请重新提问。")
    if not may_see(principal, place.level):
        raise SourceError("您无权查看该出处。")
    title = markdown_text(f"[{citation.id}] {describe(citation)}")
    if place.kind == "catalogue":
        return PageView(None, f"{title}\n\n{_row_view(assistant, principal, citation)}")
    if citation.page is not None:
        image = _page_image(assistant, Path(place.path), place.source_id, citation)
        if image is not None:
            return PageView(image, f"{title}{HIGHLIGHTED}")
    return PageView(None, f"{title}（没有页面图像）\n\n{_in_context(assistant, principal, citation)}")


def _page_image(assistant: Assistant, path: Path, source_id: str, citation: Citation) -> Image.Image | None:
    """The cited page, highlighted: by OCR boxes when OCR read it, else on the PDF's text layer;
    None for formats without pages to draw (DOCX, OFD, text)."""
    settings = assistant.settings
    page = citation.page or 0
    is_scan = path.is_dir() or path.suffix.lower() in IMAGE_SUFFIXES
    if is_scan or (path.suffix.lower() == ".pdf" and library.ocr_read(assistant.index.conn, source_id, page)):
        ref = scans.page_ref(path, page, settings.max_pages)
        if ref is None:
            raise SourceError(f"{path.name} 没有第 {page} 页。")
        image, _ = render_scan(ref, citation.text, settings)
        return image
    if path.suffix.lower() == ".pdf":
        return render_page(path, page, citation.text)
    return None


def _row_view(assistant: Assistant, principal: Principal, citation: Citation) -> str:
    cells = library.catalogue_row(assistant.index.conn, citation.chunk_id, clearance(principal))
    if not cells:
        return row_table([citation])
    head = "| " + " | ".join(label for label, _ in cells) + " |"
    rule = "|" + " --- |" * len(cells)
    return "\n".join([head, rule, "| " + " | ".join(markdown_text(value) for _, value in cells) + " |"])


def _in_context(assistant: Assistant, principal: Principal, citation: Citation) -> str:
    """The cited passage in bold between the passages before and after it (those the user may see)."""
    chunks = library.around(assistant.index.conn, citation.chunk_id, clearance(principal))
    if not chunks:
        return f"> {markdown_text(' '.join(citation.text.split()))}"
    blocks = []
    for chunk in chunks:
        text = markdown_text(" ".join(chunk.text.split()))
        blocks.append(f"> **{text}**" if chunk.id == citation.chunk_id else f"> {text}")
    return "\n>\n".join(blocks)
