"""Catalogues (目录) exported as CSV or XLSX, mapped to one schema.

Exports differ by system and era: GBK or UTF-8 (with or without BOM), a title row above the
header, several sheets, Chinese column names or their pinyin initials. We find the header row by
the names we know, map each column to a field, and keep the 档号 as written next to its key.
A row without 档号 and 题名 is skipped; a file with no recognisable header is an `IngestError`.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

from assistant.access import access_level
from assistant.codes import clean_code_text, code_key, fonds_of
from assistant.errors import IngestError
from assistant.ingest.loaders import check_not_empty, year_of
from assistant.models import CELL_SEPARATOR, LABEL_SEPARATOR, CatalogueRow

CATALOGUE_SUFFIXES = {".csv", ".xlsx"}

# Column names seen in exports, mapped to our field names. Keys are compared after
# `_header_key` (NFKC, no spaces, upper case).
COLUMN_ALIASES: dict[str, str] = {
    "全宗号": "fonds",
    "全宗": "fonds",
    "QZH": "fonds",
    "目录号": "catalogue_no",
    "MLH": "catalogue_no",
    "案卷号": "volume_no",
    "AJH": "volume_no",
    "件号": "volume_no",
    "JH": "volume_no",
    "档号": "archival_code",
    "DH": "archival_code",
    "案卷题名": "title",
    "题名": "title",
    "文件题名": "title",
    "TM": "title",
    "标题": "title",
    "年度": "year",
    "ND": "year",
    "年份": "year",
    "起止日期": "date",
    "日期": "date",
    "文件形成日期": "date",
    "形成日期": "date",
    "RQ": "date",
    "保管期限": "retention",
    "BGQX": "retention",
    "页数": "pages",
    "页号": "pages",
    "YS": "pages",
    "密级": "classification",
    "MJ": "classification",
    "开放状态": "open_status",
    "开放标识": "open_status",
    "开放情况": "open_status",
    "KFZT": "open_status",
    "KFBS": "open_status",
    "责任者": "creator",
    "ZRZ": "creator",
    "备注": "notes",
    "BZ": "notes",
    "文号": "doc_no",
    "WH": "doc_no",
    "存址": "location",
    "CZ": "location",
}
_HEADER_SCAN_ROWS = 15


def load_catalogue(path: Path) -> list[CatalogueRow]:
    check_not_empty(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        sheets = {"": list(csv.reader(io.StringIO(_decode_csv(path))))}
    elif suffix == ".xlsx":
        sheets = _xlsx_sheets(path)
    else:
        raise IngestError(path, f"不支持的目录格式 {suffix}")
    rows: list[CatalogueRow] = []
    found_header = False
    for sheet, table in sheets.items():
        header_at, columns = _find_header(table)
        if header_at is None:
            continue
        found_header = True
        rows.extend(_rows_of(path, sheet, table, header_at, columns))
    if not found_header:
        raise IngestError(path, "找不到目录表头（需要含有 档号/题名/全宗号 等列名）")
    return rows


def _decode_csv(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(path, f"无法读取文件：{exc.strerror or exc}") from exc
    if b"\x00" in data[:4096]:
        raise IngestError(path, "不是文本格式的 CSV（含有二进制内容）")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise IngestError(path, "CSV 编码无法识别（请另存为 UTF-8 或 GBK）")


def _xlsx_sheets(path: Path) -> dict[str, list[list[object]]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, KeyError, ValueError, OSError) as exc:
        raise IngestError(path, "XLSX 文件损坏或不是 Excel 工作簿") from exc
    try:
        return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in workbook.worksheets}
    finally:
        workbook.close()


def _header_key(cell: object) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(cell or ""))).upper()


def _find_header(table: list[list[object]]) -> tuple[int | None, dict[int, str]]:
    """The first row that names at least two known columns, one of them 档号, 题名 or 全宗号."""
    for index, row in enumerate(table[:_HEADER_SCAN_ROWS]):
        columns = {
            col: COLUMN_ALIASES[_header_key(cell)]
            for col, cell in enumerate(row)
            if _header_key(cell) in COLUMN_ALIASES
        }
        fields = set(columns.values())
        if len(fields) >= 2 and fields & {"archival_code", "title", "fonds"}:
            return index, columns
    return None, {}


def _rows_of(
    path: Path, sheet: str, table: list[list[object]], header_at: int, columns: dict[int, str]
) -> Iterator[CatalogueRow]:
    for offset, row in enumerate(table[header_at + 1 :], start=header_at + 2):
        values = _values_of(row, columns)
        if not values.get("archival_code") and not values.get("title"):
            continue
        yield _row_from(path, sheet, offset, values)


def _values_of(row: Iterable[object], columns: dict[int, str]) -> dict[str, str]:
    cells = list(row)
    values: dict[str, str] = {}
    for col, field_name in columns.items():
        if col < len(cells) and field_name not in values:
            values[field_name] = _cell_text(cells[col])
    return values


def _cell_text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    if hasattr(cell, "strftime"):
        return cell.strftime("%Y%m%d")  # type: ignore[union-attr]
    return str(cell).strip()


def _row_from(path: Path, sheet: str, row_number: int, v: dict[str, str]) -> CatalogueRow:
    code = v.get("archival_code", "")
    fonds = v.get("fonds", "") or (fonds_of(code) if code else None) or None
    if not code and fonds and v.get("volume_no"):
        # Old volume-level exports sometimes leave 档号 empty: build it from its parts.
        code = "-".join(p for p in (fonds, v.get("catalogue_no", ""), v["volume_no"]) if p)
    code_clean = clean_code_text(code).strip() if code else ""
    return CatalogueRow(
        source_path=str(path),
        sheet=sheet,
        row_number=row_number,
        fonds=clean_code_text(fonds).strip() if fonds else None,
        archival_code=code or None,
        code_key=code_key(code_clean) if code_clean else None,
        title=v.get("title", ""),
        year=_year_from(v, code_clean),
        date=v.get("date", ""),
        retention=v.get("retention", ""),
        pages=v.get("pages", ""),
        classification=v.get("classification", ""),
        open_status=v.get("open_status", ""),
        creator=v.get("creator", ""),
        catalogue_no=v.get("catalogue_no", ""),
        volume_no=v.get("volume_no", ""),
        notes=" ".join(x for x in (v.get("doc_no", ""), v.get("notes", ""), v.get("location", "")) if x),
        access_level=access_level(v.get("open_status"), v.get("classification")),
    )


def _year_from(v: dict[str, str], code: str) -> int | None:
    for text in (v.get("year", ""), v.get("date", "")[:4], code.split("·", 1)[-1][:4] if "·" in code else ""):
        if text and (year := year_of(text)):
            return year
    return None


def row_text(row: CatalogueRow) -> str:
    """The text of a catalogue row's chunk: what staff would read in the catalogue."""
    parts = [
        ("档号", row.archival_code),
        ("题名", row.title),
        ("年度", str(row.year) if row.year else ""),
        ("日期", row.date),
        ("责任者", row.creator),
        ("保管期限", row.retention),
        ("页数", row.pages),
        ("密级", row.classification),
        ("开放状态", row.open_status),
        ("备注", row.notes),
    ]
    return CELL_SEPARATOR.join(f"{name}{LABEL_SEPARATOR}{value}" for name, value in parts if value)
