"""Answers to catalogue questions: the rows themselves, a count, or a list, each row cited."""

from __future__ import annotations

import re

from assistant.answer.citations import citation_of
from assistant.index.catalogue import CatalogueQuery, Entry, Listing
from assistant.models import NO_EVIDENCE_ANSWER, Answer, Chunk
from assistant.text.years import years_of

_SHOWN_IN_COUNT = 10


def describe(entry: Entry) -> str:
    details = "，".join(
        v
        for v in (
            f"{entry.year}年" if entry.year else "",
            entry.retention,
            f"{entry.pages}页" if entry.pages else "",
            entry.open_status,
        )
        if v
    )
    fonds = f"全宗{entry.fonds}，" if entry.fonds else ""
    return f"{fonds}档号 {entry.archival_code}：《{entry.title}》" + (f"（{details}）" if details else "")


def answer_lookup(question: str, entries: list[Entry], chunks: dict[str, Chunk]) -> Answer:
    """Answer a question that names 档号s straight from their rows (nothing found = no_evidence,
    the same whether the record does not exist or is above the asker's clearance)."""
    shown = [e for e in entries if e.chunk_id in chunks]
    if not shown:
        return Answer(question=question, answer=NO_EVIDENCE_ANSWER, status="no_evidence")
    lines = [f"{describe(e)}[{n}]" for n, e in enumerate(shown, start=1)]
    citations = [citation_of(n, chunks[e.chunk_id]) for n, e in enumerate(shown, start=1)]
    return Answer(question=question, answer="\n".join(lines), status="answered", citations=citations)


def answer_count(question: str, query: CatalogueQuery, total: int, sample: Listing, chunks: dict[str, Chunk]) -> Answer:
    unit = _unit(question)
    lines = [f"在您有权查阅的目录中，{scope_of(query)}共有 {total} {unit}。"]
    citations = []
    for n, entry in enumerate(sample.entries[:_SHOWN_IN_COUNT], start=1):
        lines.append(f"{describe(entry)}[{n}]")
        citations.append(citation_of(n, chunks[entry.chunk_id]))
    if total > len(citations):
        lines.append(f"（以上列出前 {len(citations)} {unit}，另有 {total - len(citations)} {unit}未列出）")
    return Answer(question=question, answer="\n".join(lines), status="answered", citations=citations)


def answer_list(question: str, query: CatalogueQuery, listing: Listing, chunks: dict[str, Chunk]) -> Answer:
    unit = _unit(question)
    shown_before = listing.offset
    lines = [f"在您有权查阅的目录中，{scope_of(query)}共找到 {listing.total} {unit}："]
    if shown_before and not listing.entries:
        lines = [f"在您有权查阅的目录中，{scope_of(query)}共 {listing.total} {unit}，前面已全部列出，没有更多了。"]
    elif shown_before:
        lines[0] = lines[0].rstrip("：") + f"，以下从第 {shown_before + 1} {unit}起："
    citations = []
    for n, entry in enumerate(listing.entries, start=1):
        lines.append(f"{shown_before + n}. {describe(entry)}[{n}]")
        citations.append(citation_of(n, chunks[entry.chunk_id]))
    rest = listing.total - shown_before - len(listing.entries)
    if rest > 0:
        lines.append(f"……另有 {rest} {unit}未列出，可问“还有吗”，或加上年度或全宗缩小范围。")
    return Answer(question=question, answer="\n".join(lines), status="answered", citations=citations)


def scope_of(query: CatalogueQuery) -> str:
    parts = []
    if query.fonds:
        parts.append(f"全宗{query.fonds}")
    if query.year_from is not None or query.year_to is not None:
        parts.append(years_of(query.year_from, query.year_to))
    if query.keywords:
        parts.append("题名含“" + "、".join(query.keywords) + "”")
    if query.retention:
        parts.append(f"保管期限为{query.retention}")
    return " ".join(parts) + "的档案" if parts else "档案"


def _unit(question: str) -> str:
    match = re.search(r"[卷件份条册]", question)
    return match.group(0) if match else "条"
