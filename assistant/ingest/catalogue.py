"""Catalogues (目录) exported as CSV, XLSX, XLS, DBF (or WPS .et), mapped to one schema.

Exports differ by system and era: GBK or UTF-8 (with or without BOM), a title row above the
header, several sheets, Chinese column names or their pinyin initials, DBF tables of older
archive systems with GBK field names. We find the header row by the names we know, map each
column to a field, and keep the 档号 as written next to its key. A row without 档号 and 题名 is
skipped; a file with no recognisable header is an `IngestError`.

Readers: python-calamine reads .xlsx and .xls (same rows as openpyxl and xlrd, 2-10x faster:
docs/benchmarks/documents.md; and it reads every cell, where openpyxl's read-only mode
trusted a stale `<dimension>` and read 10 rows as 2); dbfread reads .dbf; .et is converted by
LibreOffice first. Rows are also counted another way (the sheet XML's rows, CSV lines, the DBF
header's record count) and a mismatch is reported: a reader that silently drops rows, or an
unclosed quote that swallows the rest of a CSV, would otherwise hide records.

A 密级 column under a name we do not know would silently declassify every row, so a header
that mentions 密 is taken as the 密级 column when no known one is found (fail closed), with a
warning naming it.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from struct import error as struct_error
from typing import TYPE_CHECKING

from assistant.access import access_level
from assistant.codes import clean_code_text, code_key, fonds_of
from assistant.errors import IngestError
from assistant.ingest.convert import CATALOGUE_TARGETS, converted
from assistant.ingest.loaders import check_not_empty, year_of
from assistant.models import CELL_SEPARATOR, LABEL_SEPARATOR, CatalogueRow
from assistant.text.encodings import CHINESE_FALLBACK, decoded

if TYPE_CHECKING:
    from assistant.settings import Settings

CATALOGUE_SUFFIXES = {".csv", ".xlsx", ".xls", ".dbf"} | set(CATALOGUE_TARGETS)
Table = list[list[object]]

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
    "密級": "classification",
    "MJ": "classification",
    "保密级别": "classification",
    "保密等级": "classification",
    "密级程度": "classification",
    "密级(保密期限)": "classification",
    "密级及保密期限": "classification",
    "密级保密期限": "classification",
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


@dataclass
class Catalogue:
    rows: list[CatalogueRow]
    warnings: list[str] = field(default_factory=list)


def load_catalogue(path: Path, settings: Settings | None = None) -> list[CatalogueRow]:
    return read_catalogue(path, settings).rows


def read_catalogue(path: Path, settings: Settings | None = None) -> Catalogue:
    """The catalogue's rows and what a person should check (columns guessed, rows miscounted)."""
    from assistant.ingest.loaders import _default_settings

    settings = settings or _default_settings()
    check_not_empty(path)
    suffix = path.suffix.lower()
    warnings: list[str] = []
    if suffix in CATALOGUE_TARGETS:
        with converted(path, CATALOGUE_TARGETS[suffix], settings) as target:
            sheets, counted = _spreadsheet(target, settings)
    elif suffix in {".xlsx", ".xls"}:
        sheets, counted = _spreadsheet(path, settings)
    elif suffix == ".csv":
        sheets, counted = _csv_sheets(path, settings, warnings)
    elif suffix == ".dbf":
        sheets, counted = _dbf_sheets(path, warnings)
    else:
        raise IngestError(path, f"不支持的目录格式 {suffix}")
    read = sum(1 for table in sheets.values() for row in table if any(_cell_text(c) for c in row))
    if counted is not None and counted != read:
        warnings.append(f"读出 {read} 行，但文件中有 {counted} 行：可能有行未被读出，请核对原文件")
    if read > settings.max_catalogue_rows:
        raise IngestError(path, f"目录行数过多（{read} 行，{_row_limit(settings)}）")
    rows: list[CatalogueRow] = []
    found_header = False
    for sheet, table in sheets.items():
        header_at, columns = _find_header(table)
        if header_at is None:
            continue
        found_header = True
        columns, guessed = _with_classification(table[header_at], columns)
        if guessed:
            where = f"工作表「{sheet}」" if sheet else ""
            warnings.append(f"{where}列「{guessed}」按密级列处理（不是标准列名「密级」），请核对")
        rows.extend(_rows_of(path, sheet, table, header_at, columns))
    if not found_header:
        raise IngestError(path, "找不到目录表头（需要含有 档号/题名/全宗号 等列名）")
    return Catalogue(rows, warnings)


def _row_limit(settings: Settings) -> str:
    return f"上限 {settings.max_catalogue_rows} 行，见设置 max_catalogue_rows"


def _with_classification(header: list[object], columns: dict[int, str]) -> tuple[dict[int, str], str | None]:
    """The columns, with a header that mentions 密 as the 密级 column when none is known."""
    if "classification" in columns.values():
        return columns, None
    for col, cell in enumerate(header):
        name = _header_key(cell)
        if col not in columns and "密" in name:
            return {**columns, col: "classification"}, str(cell).strip()
    return columns, None


def _csv_sheets(path: Path, settings: Settings, warnings: list[str]) -> tuple[dict[str, Table], int | None]:
    """The CSV's records, and its non-blank lines (a cell spanning lines makes them differ)."""
    text = _decode_csv(path)
    table: Table = []
    reader = csv.reader(io.StringIO(text))
    try:
        for record in reader:
            table.append(record)  # type: ignore[arg-type]
            if len(table) > settings.max_catalogue_rows:
                raise IngestError(path, f"目录行数过多（{_row_limit(settings)}）")
    except csv.Error as exc:
        raise IngestError(path, f"CSV 格式有误（{exc}），可能有未闭合的引号", row=reader.line_num) from exc
    lines = sum(1 for line in text.splitlines() if line.strip(" ,;\t\"'"))  # a line of empty cells is no record
    records = sum(1 for record in table if any(str(c).strip() for c in record))
    if lines != records:
        spanning = (n for n, record in enumerate(table, start=1) if any("\n" in str(c) for c in record))
        first = next(spanning, None)
        where = f"第 {first} 条记录起" if first else ""
        warnings.append(
            f"CSV 的 {lines} 行文字只读出 {records} 条记录：{where}有单元格跨行，可能是引号未闭合吞掉了后面的行，请核对"
        )
    return {"": table}, None


def _decode_csv(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(path, f"无法读取文件：{exc.strerror or exc}") from exc
    if b"\x00" in data[:4096]:
        raise IngestError(path, "不是文本格式的 CSV（含有二进制内容）")
    text = decoded(data)
    if text is not None:
        return text
    raise IngestError(path, "CSV 编码无法识别（请另存为 UTF-8 或 GBK）")


def _spreadsheet(path: Path, settings: Settings) -> tuple[dict[str, Table], int | None]:
    """Every sheet of an .xlsx or .xls (python-calamine), and for .xlsx the rows with values
    counted in the sheet XML."""
    from python_calamine import CalamineError, CalamineWorkbook

    kind = path.suffix.lower().lstrip(".").upper()
    counted = _xlsx_rows(path, settings) if path.suffix.lower() == ".xlsx" else None
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        try:
            sheets = {name: workbook.get_sheet_by_name(name).to_python() for name in workbook.sheet_names}
            return {name: [list[object](row) for row in rows] for name, rows in sheets.items()}, counted
        finally:
            workbook.close()
    except (CalamineError, ValueError, OSError) as exc:
        raise IngestError(path, f"{kind} 文件损坏或不是 Excel 工作簿（{type(exc).__name__}）") from exc


def _xlsx_rows(path: Path, settings: Settings) -> int:
    """Rows holding a value in all worksheets, counted in the XML itself; also refuses an
    archive that would unpack beyond `max_xlsx_uncompressed_mb` (a zip bomb)."""
    limit = settings.max_xlsx_uncompressed_mb * 2**20
    try:
        with zipfile.ZipFile(path) as archive:
            if sum(info.file_size for info in archive.infolist()) > limit:
                limit_mb = settings.max_xlsx_uncompressed_mb
                raise IngestError(path, f"XLSX 解压后过大（上限 {limit_mb:.0f} MB，见设置 max_xlsx_uncompressed_mb）")
            sheets = [n for n in archive.namelist() if re.fullmatch(r"xl/worksheets/[^/]+\.xml", n)]
            return sum(_rows_with_values(archive, name) for name in sheets)
    except IngestError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, KeyError, zlib.error) as exc:
        raise IngestError(path, f"XLSX 文件损坏或不是 Excel 工作簿（{type(exc).__name__}）") from exc


# Sheet XML, read as bytes (4x faster than parsing it): a <row> element, with or without a
# namespace prefix, holds a value when it has a <v> (number, shared string) or <t> (inline string).
_ROW_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?row>")
_ROW_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
_VALUE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?[vt][\s>]")


def _rows_with_values(archive: zipfile.ZipFile, name: str) -> int:
    count, rest = 0, b""
    with archive.open(name) as stream:  # zipfile reads no more than the declared size, CRC-checked
        while chunk := stream.read(2**20):
            parts = _ROW_END.split(rest + chunk)
            rest = parts.pop()  # an unfinished row waits for the next chunk
            for part in parts:
                starts = list(_ROW_START.finditer(part))
                if starts and _VALUE.search(part, starts[-1].start()):
                    count += 1
    return count


def _dbf_sheets(path: Path, warnings: list[str]) -> tuple[dict[str, Table], int | None]:
    """A DBF table: field names as the header row, in its code page (GBK when it names none)."""
    from dbfread import DBF
    from dbfread.exceptions import DBFNotFound, MissingMemoFile

    try:
        table = DBF(str(path), encoding=_dbf_encoding(path), char_decode_errors="replace", load=False)
        rows: Table = [list(table.field_names)]
        rows.extend([list(record.values()) for record in table])
        header = table.header
    except (DBFNotFound, MissingMemoFile, ValueError, LookupError, struct_error, OSError, EOFError) as exc:
        raise IngestError(path, f"DBF 文件损坏或不完整（{type(exc).__name__}）") from exc
    deleted = len(table.deleted) if header.numrecords < 1_000_000 else 0
    in_file = (path.stat().st_size - header.headerlen) // max(header.recordlen, 1)
    if header.numrecords - deleted != len(rows) - 1 or in_file < header.numrecords:
        warnings.append(f"DBF 文件头记载 {header.numrecords} 条记录，读出 {len(rows) - 1} 条：文件可能不完整，请核对")
    return {"": rows}, None


def _dbf_encoding(path: Path) -> str:
    """The code page a DBF names in its header (byte 29), GBK when it names none we know."""
    from dbfread.codepages import guess_encoding

    with path.open("rb") as handle:
        head = handle.read(32)
    try:
        encoding = guess_encoding(head[29]) if len(head) > 29 else "ascii"
    except LookupError:
        encoding = "ascii"
    return CHINESE_FALLBACK if encoding in {"ascii", "cp437", "cp850"} else encoding


def _header_key(cell: object) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(cell or ""))).upper()


def _column_of(cell: object) -> str | None:
    """Our field for a header cell: its name, or its name before a bracket (题名(标题))."""
    key = _header_key(cell)
    return COLUMN_ALIASES.get(key) or COLUMN_ALIASES.get(re.sub(r"\(.*\)$", "", key))


def _find_header(table: list[list[object]]) -> tuple[int | None, dict[int, str]]:
    """The first row that names at least two known columns, one of them 档号, 题名 or 全宗号."""
    for index, row in enumerate(table[:_HEADER_SCAN_ROWS]):
        columns = {col: name for col, cell in enumerate(row) if (name := _column_of(cell))}
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
        return cell.strftime("%Y%m%d")
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
