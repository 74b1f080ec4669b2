"""Tiny real sources for the UI tests: a Markdown report, a GBK catalogue and a one-page PDF.

The catalogue holds one 开放 row and one 控制使用 row; the restricted row's 档号 and title are
exported so tests can assert a reader never sees them and staff do.
"""

from __future__ import annotations

from pathlib import Path

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

OPEN_CODE = "38-1-0045"
OPEN_TITLE = "县劳动局关于知青招工的通知"
RESTRICTED_CODE = "38-1-0046"
RESTRICTED_TITLE = "县劳动局关于劳动模范评选的请示"

REPORT_NAME = "2023年档案馆工作总结.md"
REPORT_TEXT = """# 2023年档案馆工作总结

## 一、查阅利用

2023年全年接待查档利用者1234人次，调阅档案3456卷次，出具查档证明材料210份。

## 二、安全保管

库房温度保持在14至24摄氏度，相对湿度保持在45%至60%，全年开展安全检查12次。
"""

PDF_NAME = "2022年数字化项目验收报告.pdf"
PDF_LINES = [
    "2022年数字化项目验收报告",
    "一、项目概况",
    "2022年完成馆藏档案数字化扫描8600页，投入经费12.50万元。",
    "二、验收结论",
    "扫描图像清晰完整，目录挂接准确，同意通过验收。",
]
PDF_FACT = "数字化扫描8600页"

UPLOAD_NAME = "2024年消防演练记录.md"
UPLOAD_TEXT = """# 2024年消防演练记录

2024年全馆组织消防演练共3次，参加人员58人次，演练内容包括灭火器使用和人员疏散。
"""


def write_report(folder: Path) -> Path:
    path = folder / REPORT_NAME
    path.write_text(REPORT_TEXT, encoding="utf-8")
    return path


def write_catalogue(folder: Path) -> Path:
    """A GBK-encoded volume-level catalogue with a title row above the header."""
    rows = [
        "县劳动局档案案卷目录",
        "全宗号,目录号,案卷号,档号,案卷题名,年度,保管期限,开放状态,密级",
        f"38,1,0045,{OPEN_CODE},{OPEN_TITLE},1975,永久,开放,",
        f"38,1,0046,{RESTRICTED_CODE},{RESTRICTED_TITLE},1978,永久,控制使用,",
    ]
    path = folder / "劳动局案卷目录.csv"
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("gbk"))
    return path


def write_pdf(folder: Path) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "WQY" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("WQY", FONT, subfontIndex=0))
    path = folder / PDF_NAME
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.setFont("WQY", 14)
    y = 780
    for line in PDF_LINES:
        pdf.drawString(60, y, line)
        y -= 32
    pdf.showPage()
    pdf.save()
    return path


def write_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_report(folder)
    write_catalogue(folder)
    write_pdf(folder)
    return folder


def write_upload(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / UPLOAD_NAME
    path.write_text(UPLOAD_TEXT, encoding="utf-8")
    return path


SCAN_NAME = "2021年编研工作（扫描件）.pdf"
SCAN_LINES = [
    "一、编研工作",
    "2021年编印《县档案馆大事记》一部，举办档案展览5次，参观群众3200余人次。",
]
SCAN_FACT = "举办档案展览5次"


def write_scan(folder: Path) -> Path:
    """A one-page scanned PDF (an image, no text layer): ingest reads it by OCR."""
    from tests.scan_fixtures import page_image, save_pdf

    folder.mkdir(parents=True, exist_ok=True)
    return save_pdf(folder / SCAN_NAME, [page_image(SCAN_LINES, seed=3)])


def write_workspace_corpus(folder: Path) -> Path:
    """The usual corpus and a scanned report page."""
    write_corpus(folder)
    write_scan(folder)
    return folder
