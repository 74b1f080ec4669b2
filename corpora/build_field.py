"""Render the hand-written documents of ``corpora/field_src/`` into ``corpora/field/``.

The generated sample (``build_sample.py``) is regular by construction: one outline, one phrasing,
figures drawn at random. These documents are written by hand the way real ones are: county
government work reports that review the previous year and set targets for the current one, a
部门决算 published the year after the year it accounts for, a plan with targets for 2025, a
half-year summary, a neighbouring county's archive with the same indicators, and short news
items whose dates give no year. Their gold questions (``field_src/gold.jsonl``) ask what real
staff ask, and many of them should be refused: a target asked as a result, another county, a
year the holdings do not have.

Source format, one ``.txt`` per document: ``% file: NAME.pdf|docx|md|txt`` and ``% author:``
lines, then ``=`` title, ``==`` subtitle, ``#`` / ``##`` headings, ``| a | b |`` table rows,
``>`` right-aligned signature lines, and paragraphs separated by blank lines.

Run ``python corpora/build_field.py``; gold items naming ``page_of`` get the PDF page that holds
that text as ``expect_page``.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from docx import Document

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from corpora.build_sample import Block, find_page, normalise_zip, write_pdf

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "field_src"
DEFAULT_OUT = HERE / "field"


@dataclass
class Source:
    file: str
    author: str
    blocks: list[Block] = field(default_factory=list)


def read_source(path: Path) -> Source:
    meta: dict[str, str] = {}
    blocks: list[Block] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append(Block("para", "".join(paragraph)))
            paragraph.clear()

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("%"):
            key, _, value = line[1:].partition(":")
            meta[key.strip()] = value.strip()
            continue
        if not line:
            flush()
            continue
        for prefix, kind in (("==", "subtitle"), ("=", "title"), ("##", "h2"), ("#", "h1"), (">", "right")):
            if line.startswith(prefix):
                flush()
                blocks.append(Block(kind, line[len(prefix) :].strip()))
                break
        else:
            if line.startswith("|"):
                flush()
                blocks.append(Block("row", cells=tuple(c.strip() for c in line.strip("|").split("|"))))
            else:
                paragraph.append(line)
    flush()
    return Source(meta["file"], meta.get("author", ""), blocks)


def write_docx(path: Path, source: Source) -> None:
    document = Document()
    document.core_properties.author = source.author
    table = None
    for block in source.blocks:
        if block.kind == "row":
            if table is None:
                table = document.add_table(rows=0, cols=len(block.cells))
                table.style = "Table Grid"
            cells = table.add_row().cells
            for cell, text in zip(cells, block.cells, strict=False):
                cell.text = text
            continue
        table = None
        if block.kind == "title":
            document.add_heading(block.text, level=0)
        elif block.kind in ("h1", "h2"):
            document.add_heading(block.text, level=1 if block.kind == "h1" else 2)
        elif block.kind == "right":
            document.add_paragraph(block.text).alignment = 2
        else:
            document.add_paragraph(block.text)
    document.save(str(path))
    normalise_zip(path)


def markdown_of(source: Source) -> str:
    lines: list[str] = []
    for block in source.blocks:
        prefix = {"title": "# ", "h1": "## ", "h2": "### "}.get(block.kind, "")
        if block.kind == "row":
            lines.append("| " + " | ".join(block.cells) + " |")
            continue
        lines += [prefix + block.text, ""]
    return "\n".join(lines)


def plain_text_of(source: Source) -> str:
    return "\n\n".join(" ".join(b.cells) if b.kind == "row" else b.text for b in source.blocks) + "\n"


def build(out: Path = DEFAULT_OUT) -> list[dict[str, object]]:
    """Write every document and the gold set; return the gold items."""
    out.mkdir(parents=True, exist_ok=True)
    pages: dict[str, list[str]] = {}
    for path in sorted(SOURCE.glob("*.txt")):
        source = read_source(path)
        target = out / source.file
        suffix = target.suffix
        if suffix == ".pdf":
            pages[source.file] = write_pdf(target, source.blocks, title=target.stem, author=source.author)
        elif suffix == ".docx":
            write_docx(target, source)
        elif suffix == ".md":
            target.write_text(markdown_of(source), encoding="utf-8")
        else:
            target.write_text(plain_text_of(source), encoding="utf-8")
    gold, problems = [], []
    for number, line in enumerate((SOURCE / "gold.jsonl").read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        item = json.loads(line)
        needle = item.pop("page_of", None)
        if needle:
            page = find_page(pages[item["expect_source"]], needle)
            if page is None:
                problems.append(f"gold line {number}: {needle!r} is not on exactly one page of {item['expect_source']}")
            item["expect_page"] = page
        gold.append(item)
    if problems:
        raise SystemExit("\n".join(problems))
    with (out / "gold.jsonl").open("w", encoding="utf-8") as fh:
        for item in gold:
            fh.write(json.dumps(item, ensure_ascii=False) + "\n")
    return gold


NEWS_SOURCE = HERE / "news_src"
NEWS_OUT = HERE / "news"


def build_news(out: Path = NEWS_OUT) -> list[dict[str, object]]:
    """One text file per news item of ``news_src/passages.txt`` (``@ name`` starts an item), and
    the gold set: short items in the shape of a public RAG benchmark, many of them near misses."""
    out.mkdir(parents=True, exist_ok=True)
    items: dict[str, list[str]] = {}
    name = None
    for line in (NEWS_SOURCE / "passages.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        if line.startswith("@"):
            name = line[1:].strip()
            items[name] = []
        elif name:
            items[name].append(line.strip())
    for name, lines in items.items():
        (out / f"{name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    gold = [json.loads(line) for line in (NEWS_SOURCE / "gold_src.jsonl").read_text(encoding="utf-8").splitlines()]
    for item in gold:
        item.setdefault("expect_status", "answered")
        item.setdefault("expect_contains", [])
        item.setdefault("role", "staff")
    with (out / "gold.jsonl").open("w", encoding="utf-8") as fh:
        for item in gold:
            fh.write(json.dumps(item, ensure_ascii=False) + "\n")
    return gold


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    gold = build(args.out)
    news = build_news()
    print(f"wrote {args.out}: {len(gold)} gold items; {NEWS_OUT}: {len(news)} gold items")


if __name__ == "__main__":
    main()
