"""Real archive documents built for the tests: a report DOCX with a 自评表 in the middle, a text PDF
with a ruled table, an .xls and a .dbf catalogue, an OFD file, and legacy files LibreOffice makes."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from helpers import FONT

OFD_NS = "http://www.ofdspec.org/2016"


def make_report_docx(path: Path, year: int = 2023, executed: str = "98.6%") -> Path:
    """A performance report: sections, then the 自评表 (merged headers, a merged row label),
    then more sections after it."""
    import docx

    document = docx.Document()
    document.add_heading(f"{year}年度部门整体支出绩效评价报告", 0)
    document.add_heading("一、部门基本情况", 1)
    document.add_paragraph("本馆内设办公室、接收征集股、查阅利用股等6个股室。")
    document.add_heading("六、部门整体支出绩效情况", 1)
    document.add_paragraph("本年度部门整体支出绩效自评结果见下表。")
    document.add_paragraph(f"表1 {year}年度部门整体支出绩效自评表")
    table = document.add_table(rows=6, cols=5)
    header = [["一级指标", "指标", "完成情况", "", "得分"], ["", "", "目标值", "完成值", ""]]
    for r, values in enumerate(header):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    table.cell(0, 2).merge(table.cell(0, 3)).text = "完成情况"
    for c in (0, 1, 4):
        table.cell(0, c).merge(table.cell(1, c))
    body = [
        ["产出指标", "预算执行率", "100%", executed, "9"],
        ["", "档案查阅满意度", "95%", "97.2%", "10"],
        ["效益指标", "数字化扫描页数", "10万页", "12.4万页", "20"],
    ]
    for r, values in enumerate(body, start=2):
        for c, value in enumerate(values):
            if value:
                table.cell(r, c).text = value
    table.cell(2, 0).merge(table.cell(3, 0))
    table.cell(5, 0).merge(table.cell(5, 3)).text = "合计"
    table.cell(5, 4).text = "92"
    document.add_heading("七、存在的主要问题", 1)
    document.add_paragraph("库房面积不足，数字化进度偏慢。")
    document.save(str(path))
    return path


def make_table_pdf(path: Path) -> Path:
    """A text PDF: page 1 running text, page 2 a ruled table under a caption, text after it."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Table, TableStyle

    if "wqy" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("wqy", str(FONT), subfontIndex=0))
    style = ParagraphStyle("body", fontName="wqy", fontSize=10.5, leading=16)
    rows = [
        ["项目", "2021年", "2022年", "增减"],
        ["人员经费（万元）", "172.30", "186.52", "14.22"],
        ["公用经费（万元）", "40.18", "36.07", "-4.11"],
        ["数字化项目经费（万元）", "55.00", "68.40", "13.40"],
    ]
    table = Table(rows)
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), "wqy"), ("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
    story = [
        Paragraph("一、部门基本情况", style),
        Paragraph("本馆编制15人，实有14人。", style),
        PageBreak(),
        Paragraph("二、一般公共预算支出情况", style),
        Paragraph("表3 基本支出对比表", style),
        table,
        Paragraph("三、存在的主要问题", style),
        Paragraph("经费保障不足。", style),
    ]
    SimpleDocTemplate(str(path), pagesize=A4).build(story)
    return path


def make_xls_catalogue(path: Path) -> Path:
    """An .xls (BIFF8) volume catalogue with a title row above the header."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("案卷目录")
    sheet.write_merge(0, 0, 0, 5, "全宗41 青山县教育局 案卷级目录")
    for col, name in enumerate(["档号", "案卷题名", "年度", "保管期限", "密级", "开放状态"]):
        sheet.write(1, col, name)
    rows = [
        ["41-1-0007", "关于民办教师转正的请示", 1983, "永久", "", "开放"],
        ["41-1-0008", "县教育局知青子女入学情况统计", 1979, "长期", "", "控制使用"],
        ["41-1-0009", "关于学校基建的批复", 1986, "永久", "秘密", "开放"],
    ]
    for r, values in enumerate(rows, start=2):
        for col, value in enumerate(values):
            sheet.write(r, col, value)
    book.save(str(path))
    return path


def make_dbf_catalogue(path: Path, rows: list[dict[str, str]], language_driver: int = 0x4D) -> Path:
    """A dBase III table with GBK field names and values, as older archive systems export.
    `language_driver` 0x4D says GBK (cp936); 0 says nothing (we then read GBK)."""
    fields = [(name.encode("gbk"), max(len(str(r[name]).encode("gbk")) for r in rows) + 2) for name in rows[0]]
    header_length = 32 + 32 * len(fields) + 1
    record_length = 1 + sum(length for _, length in fields)
    head = struct.pack("<BBBBIHH", 0x03, 126, 5, 1, len(rows), header_length, record_length)
    head += b"\x00" * 17 + bytes([language_driver]) + b"\x00\x00"
    descriptors = b"".join(
        name.ljust(11, b"\x00") + b"C" + b"\x00" * 4 + bytes([length, 0]) + b"\x00" * 14 for name, length in fields
    )
    records = b"".join(
        b" " + b"".join(str(row[name.decode("gbk")]).encode("gbk").ljust(length) for name, length in fields)
        for row in rows
    )
    path.write_bytes(head + descriptors + b"\r" + records + b"\x1a")
    return path


def make_ofd(path: Path, pages: list[list[str]], title: str = "") -> Path:
    """A minimal valid OFD (GB/T 33190): one TextObject per line, glyph advances in DeltaX
    (full width for Chinese, half for digits and Latin), as converters write them."""
    size = 4.2

    def advances(text: str) -> str:
        return " ".join(f"{size if ord(ch) > 0x2E7F else size / 2:g}" for ch in text[:-1])

    def page_xml(lines: list[str], first_id: int) -> str:
        objects = "".join(
            f'<ofd:TextObject ID="{first_id + n}" Boundary="20 {30 + 9 * n} 170 6" Font="2" Size="{size}">'
            f'<ofd:TextCode X="0" Y="{size}" DeltaX="{advances(text)}">{escape(text)}</ofd:TextCode>'
            "</ofd:TextObject>"
            for n, text in enumerate(lines)
        )
        return (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{OFD_NS}"><ofd:Content>'
            f'<ofd:Layer ID="{first_id - 1}">{objects}</ofd:Layer></ofd:Content></ofd:Page>'
        )

    page_refs = "".join(f'<ofd:Page ID="{900 + n}" BaseLoc="Pages/Page_{n}/Content.xml"/>' for n in range(len(pages)))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "OFD.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{OFD_NS}" Version="1.0" DocType="OFD">'
            f"<ofd:DocBody><ofd:DocInfo><ofd:DocID>t1</ofd:DocID><ofd:Title>{escape(title)}</ofd:Title>"
            "</ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        )
        archive.writestr(
            "Doc_0/Document.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{OFD_NS}"><ofd:CommonData>'
            "<ofd:MaxUnitID>9999</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox>"
            "</ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData>"
            f"<ofd:Pages>{page_refs}</ofd:Pages></ofd:Document>",
        )
        archive.writestr(
            "Doc_0/PublicRes.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{OFD_NS}" BaseLoc="Res"><ofd:Fonts>'
            '<ofd:Font ID="2" FontName="宋体" FamilyName="宋体"/></ofd:Fonts></ofd:Res>',
        )
        for n, lines in enumerate(pages):
            archive.writestr(f"Doc_0/Pages/Page_{n}/Content.xml", page_xml(lines, 10 + 100 * n))
    return path


def soffice_convert(source: Path, target: str, out_dir: Path) -> Path:
    """`source` converted by LibreOffice (installed by .ci/run) into `out_dir`."""
    binary = shutil.which("soffice")
    assert binary, "LibreOffice is needed: apt-get install libreoffice-writer libreoffice-calc (.ci/run does)"
    profile = (out_dir / ".profile").as_uri()
    command = [binary, "--headless", "--norestore", f"-env:UserInstallation={profile}", "--convert-to", target]
    subprocess.run([*command, "--outdir", str(out_dir), str(source)], check=True, capture_output=True, timeout=180)
    return out_dir / f"{source.stem}.{target}"
