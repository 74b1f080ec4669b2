"""Scanned-page fixtures built on the fly: Chinese report text drawn with the CJK font into an image,
turned about 1° and blurred like a flatbed scan, saved as image-only PDF, PNG or multi-page TIFF.

Also used by bench/bench_ocr.py, so it depends on nothing but PIL, reportlab and the font.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
SCAN_DPI = 300  # the resolution the "scanner" produced; PDFs embed the image at this density

# A short report page: the heading lines are drawn flush left, body paragraphs indented.
REPORT_PAGE = [
    "一、查阅利用情况",
    "全年接待查档1381人次，调阅档案2456卷次，出具证明材料88份，比上年增加12.5%。",
    "二、档案数字化",
    "完成馆藏档案数字化扫描13.6万页，支出经费28.45万元。",
]
SECOND_PAGE = [
    "三、安全管理",
    "库房温湿度每日记录两次，全年开展消防演练4次，未发生安全事故。",
]
# A full A4 page of report prose for the benchmark (14 pt, about 30 lines).
A4_REPORT = [
    "二〇二三年度部门整体支出绩效评价报告",
    "一、部门基本情况",
    "县档案馆是县委办公室管理的副科级事业单位，内设办公室、接收征集股、管理鉴定股、查阅利用股、"
    "科技信息股和编研展览股，核定编制18名，实有在职人员16名，退休人员9名。",
    "二、一般公共预算支出情况",
    "2023年度一般公共预算支出合计193.02万元，比上年减少18.45万元，减少9.56%。其中：基本支出"
    "165.37万元，占85.67%；项目支出27.65万元，占14.33%。",
    "（一）基本支出",
    "人员经费148.21万元，主要用于在职人员工资福利和社会保障缴费；公用经费17.16万元，主要用于"
    "办公费、水电费、邮电费和公务用车运行维护费。",
    "（二）项目支出",
    "档案数字化项目支出19.80万元，完成馆藏档案数字化扫描13.6万页；档案安全保护项目支出7.85万元，"
    "更换库房除湿机6台、灭火器24具。",
    "三、部门整体支出绩效情况",
    "全年接待查档1381人次，调阅档案2456卷次，出具证明材料88份；编印《县档案馆大事记》一部，"
    "举办档案展览2次，参观群众3200余人次。",
    "四、存在的主要问题",
    "库房面积不足，现有库房使用率已达92%；数字化成果利用率不高，专业技术人员偏少。",
]
RECORD_PAGE = [
    "关于王某某等十二人招工的请示",
    "县劳动局：经研究，拟招收王某某等12人为全民所有制固定工，请予审批。",
]


def page_image(
    paragraphs: Sequence[str],
    *,
    width: int = 1240,
    font_px: int = 50,
    margin: int = 90,
    rotate: float = 1.0,
    blur: float = 0.7,
    seed: int = 0,
    height: int | None = None,
    page_number: int | None = None,
    thin: bool = False,
) -> Image.Image:
    """A grayscale 'scan' of the paragraphs; headings (short lines without 。) are not indented.

    The default is a small page (about 10.5 × 7 cm at 300 dpi) so that tests stay fast; the
    benchmark passes A4 sizes (2480 × 3508 px, 14 pt ≈ 58 px). `thin` erodes the strokes to the
    hairlines of a light 仿宋 print or a worn ribbon, the case where resolution matters.
    """
    font = ImageFont.truetype(str(FONT), font_px)
    lines: list[str] = []
    for paragraph in paragraphs:
        heading = not paragraph.endswith("。")
        lines.extend(_wrap(paragraph if heading else "\u3000\u3000" + paragraph, font, width - 2 * margin))
    leading = int(font_px * 1.6)
    height = height or margin * 2 + leading * len(lines) + (leading if page_number else 0)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    for number, line in enumerate(lines):
        draw.text((margin, margin + number * leading), line, font=font, fill=20)
    if page_number is not None:
        footer = f"- {page_number} -"
        draw.text((width // 2 - font_px, height - margin - font_px), footer, font=font, fill=20)
    if thin:
        image = image.filter(ImageFilter.MaxFilter(3))
    return _scanned(image, rotate, blur, seed)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Lines that fill the measure, as a typesetter would (digits are narrower than 汉字)."""
    lines, line = [], ""
    for char in text:
        if font.getlength(line + char) > width:
            lines.append(line)
            line = ""
        line += char
    return [*lines, line] if line else lines


def _scanned(image: Image.Image, rotate: float, blur: float, seed: int) -> Image.Image:
    """Tilt, soften and speckle the page the way a quick flatbed scan does."""
    image = image.rotate(rotate, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)
    image = image.filter(ImageFilter.GaussianBlur(blur))
    rng = random.Random(seed)
    pixels = image.load()
    for _ in range(image.width * image.height // 2000):  # sparse dust
        pixels[rng.randrange(image.width), rng.randrange(image.height)] = rng.randrange(0, 120)
    return image


def save_pdf(
    path: Path, pages: Sequence[Image.Image | Sequence[str]], text_page: tuple[float, float] = (595, 842)
) -> Path:
    """A PDF whose pages are images (scans) or, given a list of strings, real text lines on a
    page of `text_page` points (A4 unless told: a small one keeps OCR of it cheap)."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "wqy" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("wqy", str(FONT), subfontIndex=0))
    pdf = canvas.Canvas(str(path))
    for page in pages:
        if isinstance(page, Image.Image):
            size = (page.width * 72 / SCAN_DPI, page.height * 72 / SCAN_DPI)
            pdf.setPageSize(size)
            pdf.drawImage(ImageReader(page), 0, 0, *size)
        else:
            pdf.setPageSize(text_page)
            pdf.setFont("wqy", 11)
            for number, line in enumerate(page):
                pdf.drawString(30, text_page[1] - 40 - 18 * number, line)
        pdf.showPage()
    pdf.save()
    return path


def save_tiff(path: Path, pages: Sequence[Image.Image]) -> Path:
    first, *rest = pages
    first.save(path, "TIFF", save_all=True, append_images=rest, compression="tiff_deflate", dpi=(SCAN_DPI, SCAN_DPI))
    return path


def char_accuracy(reference: str, recognised: str) -> float:
    """1 − edit distance / reference length.

    Whitespace is ignored and both sides are NFKC-normalised: the recogniser writes （一） as (一),
    which is the same text to a reader and to search.
    """
    ref = "".join(unicodedata.normalize("NFKC", reference).split())
    hyp = "".join(unicodedata.normalize("NFKC", recognised).split())
    if not ref:
        return 1.0 if not hyp else 0.0
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        current = [i]
        for j, h in enumerate(hyp, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return max(0.0, 1 - previous[-1] / len(ref))
