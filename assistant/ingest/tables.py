"""Tables as citable rows: each body row written with its column headers, one line per row.

    指标：预算执行率｜目标值：100%｜完成值：98.6%｜得分：9

A table arrives as a grid of `Cell`s, one per row and grid column. A merged cell appears in
every position it covers with the same `origin` (DOCX: python-docx repeats it; PDF: the cell
whose box covers the position), so spans are known exactly, not guessed from equal texts.
From the grid:

- title rows: leading rows that are one cell across the whole width; the first is the caption
  ("2023年度部门整体支出绩效自评表" merged over all columns);
- header rows: the first other row, and the rows below it while the row above has a cell
  spanning several columns that this row subdivides (完成情况 over 目标值 | 完成值), at most
  `MAX_HEADER_ROWS`; a column's header is its header texts top to bottom, repeats dropped,
  joined by "·" (完成情况·目标值);
- body rows: `header：value` for each non-empty cell (a cell spanning columns once, under its
  first column's header), joined by "｜"; a row that is one cell across is written as its text
  (a group label such as "一、产出指标"); a repeat of the header row (a table continued over a
  page) is dropped.

A row must stay one sentence for the answerer, which splits at 。！？； (see
`assistant.text.sentences.split_sentences`): inside a cell those marks become "，", and a trailing one is dropped.
"｜" and "：" inside cells become "|" and ":" so that a row always splits back into
(header, value) pairs at "｜" and the first "：" (`row_cells`).

>>> grid = [[Cell("指标", 0), Cell("完成情况", 1), Cell("完成情况", 1)],
...         [Cell("指标", 0), Cell("目标值", 2), Cell("完成值", 3)],
...         [Cell("预算执行率", 4), Cell("100%", 5), Cell("98.6%", 6)]]
>>> table_rows(grid).rows
['指标：预算执行率｜完成情况·目标值：100%｜完成情况·完成值：98.6%']
>>> row_cells('指标：预算执行率｜得分：9')
[('指标', '预算执行率'), ('得分', '9')]

Deliberately not handled: form-like tables (label | value | label | value) are read as a header
row over rows; headers down the first column; nested tables (their text is lost with the cell).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.text.sentences import END_MARKS

ROW_SEPARATOR = "｜"
HEADER_SEPARATOR = "："
HEADER_JOINER = "·"
MAX_HEADER_ROWS = 3
_INNER_SENTENCE_END = re.compile(rf"[{END_MARKS}]+(?=.)")
_TRAILING_SENTENCE_END = re.compile(rf"[{END_MARKS}，,、\s]+$")


@dataclass(frozen=True)
class Cell:
    text: str
    origin: int  # the same number in every grid position one merged cell covers


@dataclass(frozen=True)
class TableRows:
    caption: str  # from the table's title row, "" when it has none
    rows: list[str]


def cell_text(text: str | None) -> str:
    """A cell's text on one line, with no sentence end or row separator inside."""
    text = re.sub(r"\s+", " ", text or "").strip()
    text = re.sub(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff])", "", text)  # a line break inside Chinese text
    text = _TRAILING_SENTENCE_END.sub("", text)
    text = _INNER_SENTENCE_END.sub("，", text)
    return text.replace(ROW_SEPARATOR, "|").replace(HEADER_SEPARATOR, ":")


def table_rows(grid: list[list[Cell]]) -> TableRows:
    """The caption and the citable text of each body row (see the module docstring)."""
    grid = [[Cell(cell_text(c.text), c.origin) for c in row] for row in grid if row]
    grid = [row for row in grid if any(c.text for c in row)]
    caption = ""
    while grid and _is_one_cell(grid[0]) and len(grid) > 1:
        caption = caption or grid[0][0].text
        grid = grid[1:]
    if not grid:
        return TableRows(caption, [])
    if len(grid) == 1 or max(len(row) for row in grid) == 1:  # a list or a text box, not a table
        return TableRows(caption, [_plain(row) for row in grid])
    header_count = _header_count(grid)
    headers = _column_headers(grid[:header_count])
    header_texts = [c.text for c in grid[header_count - 1]]
    rows = []
    for row in grid[header_count:]:
        if [c.text for c in row] == header_texts:
            continue  # the header repeated where the table goes on over a page
        rows.append(_plain(row) if _is_one_cell(row) else _row_text(row, headers))
    return TableRows(caption, [row for row in rows if row])


def row_cells(row: str) -> list[tuple[str, str]]:
    """(header, value) pairs of a row written by `table_rows` (header '' for a cell without one)."""
    pairs = []
    for part in row.split(ROW_SEPARATOR):
        header, found, value = part.partition(HEADER_SEPARATOR)
        pairs.append((header, value) if found else ("", header))
    return pairs


def _is_one_cell(row: list[Cell]) -> bool:
    return len({c.origin for c in row}) == 1


def _plain(row: list[Cell]) -> str:
    return ROW_SEPARATOR.join(dict.fromkeys(c.text for c in row if c.text))


def _spans(row: list[Cell]) -> set[int]:
    """Origins of the cells of a row that cover more than one column."""
    origins = [c.origin for c in row]
    return {origin for origin in origins if origins.count(origin) > 1}


def _header_count(grid: list[list[Cell]]) -> int:
    """1, or more while a header row's spanning cell is subdivided by the row below (and a
    body row is left after the headers)."""
    count = 1
    while count < MAX_HEADER_ROWS and count + 1 < len(grid):
        above, below = grid[count - 1], grid[count]
        spanned = [col for col, c in enumerate(above) if c.origin in _spans(above)]
        under = {below[col].origin for col in spanned if col < len(below)}
        if len(under) <= len({above[col].origin for col in spanned}):
            break
        count += 1
    return count


def _column_headers(header_rows: list[list[Cell]]) -> list[str]:
    width = max(len(row) for row in header_rows)
    headers = []
    for col in range(width):
        texts = [row[col].text for row in header_rows if col < len(row) and row[col].text]
        headers.append(HEADER_JOINER.join(dict.fromkeys(texts)))
    return headers


def _row_text(row: list[Cell], headers: list[str]) -> str:
    parts = []
    seen: set[int] = set()
    for col, cell in enumerate(row):
        if cell.origin in seen or not cell.text:
            seen.add(cell.origin)
            continue
        seen.add(cell.origin)
        header = headers[col] if col < len(headers) else ""
        parts.append(f"{header}{HEADER_SEPARATOR}{cell.text}" if header and header != cell.text else cell.text)
    return ROW_SEPARATOR.join(parts)
