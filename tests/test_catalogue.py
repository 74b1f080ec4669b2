from pathlib import Path

import pytest
from openpyxl import Workbook

from assistant.access import CLASSIFIED, NOT_OPEN, OPEN
from assistant.errors import IngestError
from assistant.ingest.catalogue import load_catalogue

HEADER = "全宗号,目录号,案卷号,档号,案卷题名,年度,保管期限,页数,密级,开放状态\n"
ROWS = (
    "38,1,45,38-1-0045,关于张三退休审批的材料,1985,永久,12,,开放\n"
    "38,1,46,38-1-0046,关于李四知青安置的报告,1976,永久,20,,控制使用\n"
    "38,1,47,38-1-0047,劳动局机要文件,1980,永久,5,机密★10年,开放\n"
)


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
def test_csv_encodings_decode_without_garbling(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "目录.csv"
    path.write_bytes((HEADER + ROWS).encode(encoding))
    rows = load_catalogue(path)
    assert [r.title for r in rows] == ["关于张三退休审批的材料", "关于李四知青安置的报告", "劳动局机要文件"]
    assert [r.access_level for r in rows] == [OPEN, NOT_OPEN, CLASSIFIED]
    assert rows[0].fonds == "38" and rows[0].code_key == "38-1-45" and rows[0].year == 1985


def test_xlsx_with_title_row_several_sheets_and_pinyin_headers(tmp_path: Path) -> None:
    book = Workbook()
    first = book.active
    first.title = "2016"
    first.append(["J001 县人民政府办公室 文件级目录"])
    first.merge_cells("A1:F1")
    first.append(["档号", "文号", "题名", "日期", "密级", "开放标识"])
    first.append(["J001-WS·2016-Y-BGS-0005", "县政办〔2016〕5号", "关于印发档案工作要点的通知", 20160312, None, "开放"])
    second = book.create_sheet("旧")
    second.append(["DH", "TM", "ND", "BGQX", "MJ", "开放标识"])
    second.append(["J001－WS · 1998－永久－0012", "关于机构改革的请示", 1998, "永久", "秘密", "未审核"])
    book.create_sheet("空表")
    path = tmp_path / "J001.xlsx"
    book.save(path)

    rows = load_catalogue(path)
    assert [(r.sheet, r.title) for r in rows] == [("2016", "关于印发档案工作要点的通知"), ("旧", "关于机构改革的请示")]
    first_row, second_row = rows
    assert first_row.fonds == "J001" and first_row.year == 2016 and first_row.date == "20160312"
    assert first_row.access_level == OPEN
    assert second_row.archival_code == "J001－WS · 1998－永久－0012"  # the original spelling is kept
    assert second_row.code_key == "J1-WS·1998-Y-12" and second_row.fonds == "J001"
    assert second_row.access_level == CLASSIFIED


def test_file_without_a_known_header_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "乱码.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"乱码\.csv.*表头"):
        load_catalogue(path)


def test_binary_junk_named_csv_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.csv"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(IngestError, match=r"junk\.csv"):
        load_catalogue(path)
