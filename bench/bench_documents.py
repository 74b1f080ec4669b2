"""Readers for catalogues and PDF tables, side by side: which to use, and what each costs.

    .venv/bin/pip install -e '.[bench]'     # xlrd, for the .xls comparison
    .venv/bin/python bench/bench_documents.py --rows 50000 --runs 5

1. Catalogue readers on the same 50k-row catalogue written as .xlsx (openpyxl) and .xls (xlwt):
   openpyxl read-only (with `reset_dimensions`, without which a stale <dimension> loses rows),
   python-calamine, xlrd. Each reader's cells go through our `_cell_text`, so "identical" means
   identical catalogue rows for ingest.
2. PDF tables on a reportlab report page with one ruled and one unruled table: pypdf's text,
   pdfplumber's `lines` and `text` strategies (pypdfium2 has no table finder; camelot needs
   Ghostscript and OpenCV; PyMuPDF's `find_tables` is AGPL).

Writes docs/benchmarks/documents.md. Run by hand, never by the test suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from measure import machine

from assistant.ingest.catalogue import _cell_text

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")

HEADER = ["档号", "题名", "年度", "日期", "保管期限", "页数", "开放状态"]


def rows_of(count: int) -> list[list[object]]:
    rows: list[list[object]] = []
    for n in range(count):
        code, title = f"{1 + n % 200}-1-{n:05d}", f"关于第{n}号职工工龄认定的请示"
        rows.append([code, title, 1950 + n % 70, 19500101 + n % 28, "永久", n % 90, "开放"])
    return rows


def write_xlsx(path: Path, rows: list[list[object]]) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("目录")
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)


def write_xls(path: Path, rows: list[list[object]]) -> None:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("目录")
    for col, name in enumerate(HEADER):
        sheet.write(0, col, name)
    for r, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            sheet.write(r, col, value)
    book.save(str(path))


def openpyxl_rows(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    sheet = book.worksheets[0]
    sheet.reset_dimensions()
    rows = [[_cell_text(c) for c in row] for row in sheet.iter_rows(values_only=True)]
    book.close()
    return rows


def calamine_rows(path: Path) -> list[list[str]]:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    rows = [[_cell_text(c) for c in row] for row in book.get_sheet_by_index(0).to_python()]
    book.close()
    return rows


def xlrd_rows(path: Path) -> list[list[str]]:
    import xlrd

    book = xlrd.open_workbook(str(path), on_demand=True)
    sheet = book.sheet_by_index(0)
    rows = [[_cell_text(v) for v in sheet.row_values(r)] for r in range(sheet.nrows)]
    book.release_resources()
    return rows


def timed(reader: Callable[[Path], list[list[str]]], path: Path, runs: int) -> tuple[float, list[list[str]]]:
    times, result = [], []
    for _ in range(runs):
        started = time.perf_counter()
        result = reader(path)
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def table_pdf(path: Path) -> None:
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    pdfmetrics.registerFont(TTFont("wqy", str(FONT), subfontIndex=0))
    style = ParagraphStyle("body", fontName="wqy", fontSize=10.5, leading=16)
    data = [["指标", "目标值", "完成值", "得分"], ["预算执行率", "100%", "98.6%", "9"]]
    data.append(["查档满意度", "95%", "97%", "10"])
    ruled, unruled = Table(data), Table(data)
    ruled.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), "wqy"), ("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
    unruled.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), "wqy")]))
    story = [Paragraph("表1 有框线", style), ruled, Spacer(1, 20), Paragraph("表2 无框线", style), unruled]
    SimpleDocTemplate(str(path)).build(story)


def pdf_tables(path: Path) -> list[str]:
    import pdfplumber
    from pypdf import PdfReader

    lines = [f"- pypdf text: `{' / '.join((PdfReader(path).pages[0].extract_text() or '').splitlines()[:8])} …`"]
    with pdfplumber.open(path) as pdf:
        page = pdf.pages[0]
        for strategy in ("lines", "text"):
            started = time.perf_counter()
            settings = {"vertical_strategy": strategy, "horizontal_strategy": strategy}
            tables = page.find_tables(settings)
            ms = (time.perf_counter() - started) * 1000
            found = "; ".join(f"{len(t.rows)}×{len(t.columns)} {t.extract()[:2]}" for t in tables)
            lines.append(f"- pdfplumber `{strategy}` ({ms:.0f} ms): {len(tables)} table(s): {found}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows = rows_of(args.rows)
    out = [
        "# Document readers: catalogues and PDF tables",
        "",
        f"Machine: {machine()}; load average {os.getloadavg()[0]:.2f} at start. "
        f"`bench/bench_documents.py --rows {args.rows} --runs {args.runs}`; medians of {args.runs} runs.",
        "",
        f"## Catalogue readers ({args.rows:,} rows + header)",
        "",
        "| file | reader | seconds (median) | rows/s | same rows as the first reader |",
        "|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as folder:
        xlsx, xls, pdf = Path(folder) / "c.xlsx", Path(folder) / "c.xls", Path(folder) / "t.pdf"
        write_xlsx(xlsx, rows)
        write_xls(xls, rows)
        for path, readers in ((xlsx, (openpyxl_rows, calamine_rows)), (xls, (xlrd_rows, calamine_rows))):
            first: list[list[str]] | None = None
            for reader in readers:
                seconds, result = timed(reader, path, args.runs)
                first = first if first is not None else result
                same = "yes" if result == first else "**no**"
                name = reader.__name__.removesuffix("_rows")
                out.append(f"| {path.suffix} | {name} | {seconds:.2f} | {args.rows / seconds:,.0f} | {same} |")
        table_pdf(pdf)
        out += ["", "## PDF tables (one ruled, one unruled, reportlab)", "", *pdf_tables(pdf)]
    out += [
        "",
        "## What ingest uses",
        "",
        "- Catalogues: python-calamine for .xlsx and .xls (identical rows, several times faster; it also reads",
        "  every cell where openpyxl's read-only mode trusts a stale `<dimension>`). Ingest also counts the rows",
        "  holding a value in the sheet XML (bytes, not parsed) to report a reader that drops rows.",
        "- PDF tables: pdfplumber's `lines` strategy, on pages whose content stream draws paths only. It reads",
        "  ruled tables exactly, spans included; the `text` strategy takes the page's text for one table, so",
        "  tables without rules are left to pypdf (one cell per line, still searchable).",
    ]
    target = Path(__file__).resolve().parent.parent / "docs" / "benchmarks" / "documents.md"
    target.write_text("\n".join(out) + "\n", encoding="utf-8")
    print("\n".join(out))


if __name__ == "__main__":
    main()
