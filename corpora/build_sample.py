"""Build a small fictional county-archive corpus and a gold question set from it.

Run ``python corpora/build_sample.py`` to (re)write ``corpora/sample/``.  Tests import
``build_corpus`` and build into a temporary folder with another seed, years or county,
so the assistant can be evaluated on an archive it has never seen.

Everything is derived from one seeded RNG per component; the gold items are computed
from the same numbers and from the laid-out page text, never typed by hand.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

from docx import Document
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

FONT_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
FONT_NAME = "WQYMicroHei"
DEFAULT_OUT = Path(__file__).resolve().parent / "sample"
GUIDE_NAME = "新进人员入门指南.md"
GOLD_NAME = "gold.jsonl"

# Fixed timestamps keep DOCX/XLSX bytes identical between runs (zip entries and
# docProps/core.xml would otherwise carry "now").
_ZIP_TIME = (2024, 1, 1, 0, 0, 0)
_GENERATED_SUFFIXES = (".pdf", ".docx", ".csv", ".xlsx", ".md", ".jsonl")


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Ctx:
    """Arguments of one build; every RNG is derived from them."""

    seed: int
    years: tuple[int, ...]
    county: str

    @property
    def archive(self) -> str:
        return f"{self.county}档案馆"

    def rng(self, *parts: object) -> random.Random:
        # A separate stream per component, so editing one part of the corpus does
        # not reshuffle the figures of every other part.
        key = ":".join(str(p) for p in (self.seed, self.county, *self.years, *parts))
        return random.Random(key)


def money(hundredths: int) -> str:
    """Format an amount kept in 0.01万元 units as printed in reports ("186.52")."""
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def percent(numerator: int, denominator: int, places: str = "0.01") -> str:
    value = Decimal(numerator) * 100 / Decimal(denominator)
    return str(value.quantize(Decimal(places), rounding=ROUND_HALF_UP))


def tenths(value: int) -> str:
    return f"{value // 10}.{value % 10}"


def change(cur: int, prev: int, unit: str = "万元") -> tuple[str, str, str]:
    """Return (phrase, amount, pct) for "比上年减少18.45万元，减少9.56%"-style text."""
    diff = cur - prev
    amount = f"{money(abs(diff))}{unit}" if unit == "万元" else f"{abs(diff)}{unit}"
    pct = f"{percent(abs(diff), prev)}%"
    if diff >= 0:
        return f"比上年增加{amount}，增长{pct}", amount, pct
    return f"比上年减少{amount}，减少{pct}", amount, pct


_FULLWIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")


def to_fullwidth(code: str) -> str:
    return code.translate(_FULLWIDTH)


def unpad_last(code: str) -> str:
    """Drop the zero padding of the last (item/volume) segment only: fonds keep theirs."""
    head, _, last = code.rpartition("-")
    return f"{head}-{int(last)}"


class Names:
    """Person names that are unique over the whole corpus.

    Restricted rows are looked up by a person's name, so a name must never be shared
    with an open row.
    """

    SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
    GIVEN = "建国华明伟芳秀英玉兰德顺志强永福海军红梅桂珍国庆春生光荣金凤立新学文淑贞树林长青"

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[str] = set()

    def new(self) -> str:
        while True:
            given = "".join(self._rng.choice(self.GIVEN) for _ in range(self._rng.choice((1, 2))))
            name = self._rng.choice(self.SURNAMES) + given
            if name not in self._used and len(set(name)) == len(name):
                self._used.add(name)
                return name


def find_page(pages: list[str], needle: str) -> int | None:
    """1-based page holding ``needle``, or None unless it occurs exactly once.

    Plain substring counting on purpose: "1.23万元" inside "21.23万元" would let a wrong
    answer pass the gold check, so such a figure is not used as gold at all.
    """
    counts = [text.count(needle) for text in pages]
    if sum(counts) != 1:
        return None
    return counts.index(1) + 1


# ---------------------------------------------------------------------------
# PDF layout: our own line breaking, so a figure such as "186.52万元" is never split
# across lines and we know the page of every line without re-reading the PDF.
# ---------------------------------------------------------------------------

PAGE_W, PAGE_H = A4
MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 28 * mm, 26 * mm, 37 * mm, 35 * mm
TEXT_W = PAGE_W - MARGIN_L - MARGIN_R
BODY_SIZE, LEADING = 16, 26

_NO_LINE_START = set("，。、；：？！）》”’%％…")
_NO_LINE_END = set("（《“‘")
_ATOM_RE = re.compile(
    r"\d+(?:\.\d+)?(?:万元|卷（件）次|人次|万字|平方米|元/页|TB|GB|%|页|条|册|份|人|件|卷|个|次|分|处"
    r"|场|套|名|期|张|家)?"
    r"|[A-Za-z][A-Za-z0-9/.\-]*"
    r"|.",
    re.S,
)


@dataclass(frozen=True)
class Block:
    """One logical piece of a document: a heading, a paragraph, a table row…"""

    kind: str  # title | subtitle | h1 | h2 | para | plain | right | row | gap
    text: str = ""
    cells: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Style:
    size: float
    leading: float
    align: str
    indent: float  # in em, first line only
    bold: bool = False


_STYLES = {
    "title": _Style(20, 38, "center", 0, bold=True),
    "subtitle": _Style(16, 28, "center", 0),
    "h1": _Style(16, LEADING, "left", 2, bold=True),
    "h2": _Style(16, LEADING, "left", 2),
    "para": _Style(BODY_SIZE, LEADING, "left", 2),
    "plain": _Style(BODY_SIZE, LEADING, "left", 0),
    "right": _Style(BODY_SIZE, LEADING, "right", 0),
    "row": _Style(12, 22, "left", 0),
    "gap": _Style(BODY_SIZE, 14, "left", 0),
}
_TABLE_COLS = (0.0, 0.08, 0.22, 0.58, 0.72, 0.86)


@dataclass(frozen=True)
class _Line:
    kind: str
    text: str
    y: float
    indent: float = 0.0
    cells: tuple[str, ...] = ()


@cache
def register_font() -> str:
    pdfmetrics.registerFont(TTFont(FONT_NAME, str(FONT_PATH), subfontIndex=0))
    return FONT_NAME


def _atoms(text: str) -> list[str]:
    """Split text into unbreakable pieces, applying the usual CJK line-break rules."""
    atoms: list[str] = []
    carry = ""
    for tok in _ATOM_RE.findall(text):
        if tok in _NO_LINE_END:
            carry += tok
            continue
        tok, carry = carry + tok, ""
        if tok[0] in _NO_LINE_START and atoms:
            atoms[-1] += tok
        else:
            atoms.append(tok)
    if carry:
        atoms.append(carry)
    return atoms


def _wrap(text: str, size: float, first_indent: float) -> list[str]:
    register_font()
    lines: list[str] = []
    cur, avail = "", TEXT_W - first_indent
    for atom in _atoms(text):
        if cur and pdfmetrics.stringWidth(cur + atom, FONT_NAME, size) > avail:
            lines.append(cur)
            cur, avail = atom, TEXT_W
        else:
            cur += atom
    if cur:
        lines.append(cur)
    return lines


def layout(blocks: list[Block]) -> list[list[_Line]]:
    """Flow blocks onto A4 pages; headings are kept with the line that follows."""
    pages: list[list[_Line]] = [[]]
    y = PAGE_H - MARGIN_T

    def new_page() -> None:
        nonlocal y
        pages.append([])
        y = PAGE_H - MARGIN_T

    for block in blocks:
        style = _STYLES[block.kind]
        if block.kind == "gap":
            y -= style.leading
            continue
        indent = style.indent * style.size
        texts = [" ".join(block.cells)] if block.kind == "row" else _wrap(block.text, style.size, indent)
        needed = style.leading * (2 if block.kind in ("h1", "h2") else 1)
        if y - needed < MARGIN_B and pages[-1]:
            new_page()
        for i, text in enumerate(texts):
            if y - style.leading < MARGIN_B:
                new_page()
            y -= style.leading
            pages[-1].append(_Line(block.kind, text, y, indent if i == 0 else 0.0, block.cells))
    return pages


def page_texts(pages: list[list[_Line]]) -> list[str]:
    """The text of each page as pypdf will give it back (footer included)."""
    return ["\n".join([*(line.text for line in page), f"- {n} -"]) for n, page in enumerate(pages, 1)]


def _draw_line(c: canvas.Canvas, line: _Line) -> None:
    style = _STYLES[line.kind]
    if line.kind == "row":
        c.setFont(FONT_NAME, style.size)
        for x_frac, cell in zip(_TABLE_COLS, line.cells, strict=False):
            c.drawString(MARGIN_L + x_frac * TEXT_W, line.y, cell)
        return
    width = pdfmetrics.stringWidth(line.text, FONT_NAME, style.size)
    x = {
        "center": (PAGE_W - width) / 2,
        "right": PAGE_W - MARGIN_R - width,
    }.get(style.align, MARGIN_L + line.indent)
    text = c.beginText(x, line.y)
    text.setFont(FONT_NAME, style.size)
    # Fake bold for headings: fill + thin stroke (the font has no bold face).
    text.setTextRenderMode(2 if style.bold else 0)
    text.textOut(line.text)
    c.drawText(text)


def write_pdf(path: Path, blocks: list[Block], *, title: str, author: str) -> list[str]:
    """Render blocks to ``path``; return the text of each page."""
    register_font()
    pages = layout(blocks)
    # invariant=1: no creation date / random document id, so rebuilding is byte-stable.
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    c.setTitle(title)
    c.setAuthor(author)
    c.setLineWidth(0.4)
    for n, page in enumerate(pages, 1):
        for line in page:
            _draw_line(c, line)
        c.setFont(FONT_NAME, 12)
        c.drawCentredString(PAGE_W / 2, 18 * mm, f"- {n} -")
        c.showPage()
    c.save()
    return page_texts(pages)


# ---------------------------------------------------------------------------
# Yearly figures for the performance reports
# ---------------------------------------------------------------------------

# name: (start low, start high, change low, change high, probability of increase)
# Money is kept in 0.01万元 units so every sum in the report is exact.
_SERIES = {
    "renyuan": (14000, 26000, 0.02, 0.10, 0.7),
    "gongyong": (1500, 3200, 0.03, 0.15, 0.4),
    "xiangmu": (4000, 11000, 0.05, 0.30, 0.5),
    "chadang": (900, 2200, 0.04, 0.25, 0.6),
    "juanci": (2500, 6500, 0.04, 0.25, 0.6),
    "zhengming": (300, 900, 0.05, 0.25, 0.6),
    "yidi": (20, 90, 0.10, 0.40, 0.7),
    "bianyan_ce": (300, 1500, 0.10, 0.50, 0.5),
    "saomiao": (350000, 1200000, 0.10, 0.40, 0.6),
    "mulu": (20000, 90000, 0.10, 0.40, 0.6),
    "szh_jingfei": (800, 2500, 0.05, 0.30, 0.5),
    "xuanchuan": (1500, 5000, 0.05, 0.30, 0.5),
    "canguan": (300, 1200, 0.05, 0.30, 0.6),
    "xinxi": (40, 120, 0.05, 0.30, 0.6),
    "bangfu": (150, 600, 0.05, 0.40, 0.5),
}


@dataclass(frozen=True)
class YearFigures:
    year: int
    values: dict[str, int]

    def __getattr__(self, name: str) -> int:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def jiben(self) -> int:
        return self.values["renyuan"] + self.values["gongyong"]

    @property
    def total(self) -> int:
        return self.jiben + self.values["xiangmu"]


def _walk(rng: random.Random, value: int, lo: float, hi: float, up: float) -> int:
    while True:
        step = rng.uniform(lo, hi) * (1 if rng.random() < up else -1)
        new = round(value * (1 + step))
        if new != value and new > 0:
            return new


def _staffing(rng: random.Random, bianzhi: int) -> dict[str, int]:
    shiyou = bianzhi - rng.randint(1, 3)
    gongqin = rng.randint(1, 2)
    guanli = rng.randint(4, 6)
    return {
        "bianzhi": bianzhi,
        "shiyou": shiyou,
        "guanli": guanli,
        "gongqin": gongqin,
        "zhuanji": shiyou - guanli - gongqin,
        "pinyong": rng.randint(2, 5),
        "tuixiu": rng.randint(6, 12),
        "benke": shiyou - rng.randint(2, 5),
        "zhicheng": rng.randint(4, 8),
    }


def year_series(ctx: Ctx) -> dict[int, YearFigures]:
    """Figures for every year from years[0]-1 (the "上年" of the first report) on."""
    rng = ctx.rng("series")
    first, last = min(ctx.years) - 1, max(ctx.years)
    cur = {k: rng.randint(lo, hi) for k, (lo, hi, *_rest) in _SERIES.items()}
    bianzhi = rng.choice((16, 18, 20, 22))
    rate, tb = rng.randint(300, 500), rng.randint(30, 90)
    out: dict[int, YearFigures] = {}
    for year in range(first, last + 1):
        if year > first:
            cur = {k: _walk(rng, v, *_SERIES[k][2:]) for k, v in cur.items()}
            if rng.random() < 0.3:
                bianzhi += rng.choice((-1, 1))
            rate = min(rate + rng.randint(25, 80), 985)
            tb += rng.randint(8, 30)
        values = dict(cur)
        # Digitisation money is part of project spending, so keep it below it.
        values["szh_jingfei"] = min(values["szh_jingfei"], values["xiangmu"] * 6 // 10)
        values.update(_staffing(rng, bianzhi))
        values.update(
            minsheng=values["chadang"] * rng.randint(55, 80) // 100,
            jiancha=rng.randint(12, 30),
            yinhuan=rng.randint(3, 15),
            shebei=rng.randint(2, 9),
            szh_rate=rate,
            ziyuan_tb=tb,
            zhanlan=rng.randint(2, 6),
            cun=rng.randint(8, 40),
            duiyuan=rng.randint(1, 3),
            score=rng.randint(880, 975),
        )
        out[year] = YearFigures(year, values)
    return out


# ---------------------------------------------------------------------------
# 部门整体支出绩效评价报告
# ---------------------------------------------------------------------------

_THEMES = (
    "档案资源建设、档案安全保障、档案利用服务",
    "守底线、强基础、提效能",
    "数字档案馆建设和档案利用服务提质增效",
    "走好第一方阵、服务中心大局",
    "档案工作高质量发展",
)
FOCUS = (
    "加快推进馆藏档案数字化，扩大数字化成果的查阅利用范围",
    "做好到期档案的接收进馆和社会档案资料征集",
    "推进馆藏档案开放审核，向社会公布开放档案目录",
    "围绕县委中心工作开展档案编研，编印档案资料汇编",
    "加强对全县机关、乡镇和村级档案工作的监督指导",
    "推进民生档案“跨馆出证、就近查档”便民服务",
    "开展库房温湿度调控和消防设施改造",
)
_BOOKS = (
    "{county}红色档案选编",
    "{county}老照片集",
    "{county}民生档案查询指南",
    "{county}知青岁月档案汇编",
    "档案里的{county}",
    "{county}改革开放大事选编",
    "{county}乡村记忆档案汇编",
)
_DAY69 = (
    "档案见证百年",
    "档案话小康",
    "奋进新征程 兰台谱新篇",
    "档案：携手迈进新时代",
    "走近档案 留住乡愁",
)
# (problem, matching measure); 3 are drawn per year so the section differs by year.
_PROBLEMS = (
    (
        "档案库房容量趋于饱和。现有库房使用率已超过{kufang}%，部分单位到期档案不能按时接收进馆，"
        "新馆建设尚在前期论证阶段。",
        "积极争取新馆建设项目。配合有关部门做好新馆选址和立项论证，近期通过密集架改造挖掘现有库房"
        "潜力，确保到期档案应收尽收。",
    ),
    (
        "馆藏档案数字化程度仍然不高。民国档案和建国初期档案数字化尚未全面完成，数字化成果的利用渠道比较单一。",
        "加快馆藏档案数字化进度。优先完成利用频率高的民生档案和珍贵档案数字化，推动数字化成果在查阅利用中全面应用。",
    ),
    (
        "专业技术人才不足。在职人员中档案、计算机专业人员偏少，信息化建设和系统运维主要依靠外部服务。",
        "加强干部队伍建设。通过公开招聘、业务培训和跟班学习等方式，培养既懂档案业务又懂信息技术的专业人才。",
    ),
    (
        "预算编制的精准性有待提高。部分项目前期论证不够充分，支出进度前慢后快，年中调整预算{tiaozheng}次。",
        "提高预算编制质量。加强项目前期论证，细化项目实施计划，按月跟踪预算执行进度，减少年中预算调整。",
    ),
    (
        "档案编研开发深度不够。编研成果以资料汇编为主，精品成果较少，对档案资源的深层次开发利用不足。",
        "深化档案编研开发。围绕重大纪念活动和地方特色选题，联合党史、方志等部门推出一批有影响的编研成果。",
    ),
    (
        "绩效目标设置不够细化。部分项目绩效指标以定性描述为主，可量化、可考核的指标偏少，绩效评价结果运用不充分。",
        "完善绩效目标管理。按照可量化、可考核的原则细化绩效指标，将绩效评价结果作为下年度预算安排的重要依据。",
    ),
    (
        "库房安全设施老化。部分消防、安防和温湿度调控设备使用年限较长，故障时有发生，维护成本逐年增加。",
        "加强档案安全基础设施建设。分步更新库房消防、安防和恒温恒湿设备，建立设备维护台账，落实专人管理。",
    ),
)


def perf_strings(f: YearFigures, prev: YearFigures) -> dict[str, str]:
    """Every figure of one report exactly as printed; used for the text AND the gold."""
    t = {
        "bianzhi": f"{f.bianzhi}人",
        "shiyou": f"{f.shiyou}人",
        "renyuan": f"{money(f.renyuan)}万元",
        "gongyong": f"{money(f.gongyong)}万元",
        "jiben": f"{money(f.jiben)}万元",
        "xiangmu": f"{money(f.xiangmu)}万元",
        "total": f"{money(f.total)}万元",
        "chadang": f"{f.chadang}人次",
        "juanci": f"{f.juanci}卷（件）次",
        "zhengming": f"{f.zhengming}份",
        "minsheng": f"{f.minsheng}人次",
        "bianyan_ce": f"{f.bianyan_ce}册",
        "saomiao": f"{f.saomiao}页",
        "mulu": f"{f.mulu}条",
        "szh_jingfei": f"{money(f.szh_jingfei)}万元",
        "canguan": f"{f.canguan}人次",
        "xuanchuan": f"{f.xuanchuan}份",
        "bangfu": f"{money(f.bangfu)}万元",
        "score": f"{tenths(f.score)}分",
        "szh_rate": f"{tenths(f.szh_rate)}%",
    }
    for key in ("total", "jiben", "renyuan", "gongyong", "xiangmu"):
        cur, old = getattr(f, key), getattr(prev, key)
        t[f"{key}_chg"], t[f"{key}_diff"], t[f"{key}_pct"] = change(cur, old)
    t["jiben_share"] = f"{percent(f.jiben, f.total)}%"
    t["xiangmu_share"] = f"{Decimal('100.00') - Decimal(t['jiben_share'][:-1])}%"
    return t


def _perf_reasons(f: YearFigures, prev: YearFigures) -> tuple[str, str]:
    total_up = f.total >= prev.total
    xm_up = f.xiangmu >= prev.xiangmu
    total = (
        "人员工资正常晋档调标，同时档案数字化等项目支出有所增加"
        if total_up
        else "认真落实过紧日子要求，大力压减一般性支出，部分项目结转下年实施"
    )
    xm = (
        "增加的原因是馆藏档案数字化加工和库房设施改造项目集中实施。"
        if xm_up
        else "减少的原因是上年一次性实施的库房设施改造项目本年未再安排。"
    )
    return total, xm


def perf_blocks(ctx: Ctx, f: YearFigures, prev: YearFigures) -> list[Block]:
    """The report text; headings and phrasing are identical for every year."""
    rng = ctx.rng("perf-text", f.year)
    y, c, t = f.year, ctx.county, perf_strings(f, prev)
    reason_total, reason_xm = _perf_reasons(f, prev)
    focus = rng.sample(FOCUS, 3)
    book = rng.choice(_BOOKS).format(county=c)
    problems = rng.sample(_PROBLEMS, 3)
    fill = {"kufang": rng.randint(86, 97), "tiaozheng": rng.randint(2, 4)}
    grade = "优" if f.score >= 900 else "良"
    blocks = [
        Block("title", ctx.archive),
        Block("title", f"{y}年度部门整体支出绩效评价报告"),
        Block("gap"),
        Block(
            "para",
            f"根据{c}财政局《关于开展{y}年度部门整体支出绩效评价工作的通知》要求，我馆对照部门职责"
            f"和年初确定的绩效目标，对{y}年度部门整体支出情况进行了全面自评。现将有关情况报告如下。",
        ),
        Block("h1", "一、部门基本情况"),
        Block("h2", "（一）部门职能"),
        Block(
            "para",
            f"{ctx.archive}为县委直属公益一类事业单位，机构规格为正科级。主要职责是：负责接收、征集、"
            "整理、保管全县党政机关、人民团体、企事业单位和其他组织形成的具有永久和长期保存价值的"
            "档案资料；负责馆藏档案的价值鉴定、开放审核和提供利用；负责全县档案信息化建设和馆藏档案"
            "数字化工作；组织开展档案编研、展览和宣传教育；承担县委、县政府交办的其他任务。",
        ),
        Block("h2", "（二）机构设置"),
        Block(
            "para",
            "我馆内设办公室、接收征集股、管理鉴定股、查阅利用股、科技信息股、编研展览股6个股室，"
            f"无下属二级单位。纳入{y}年度部门决算编制范围的单位只有{ctx.archive}本级。",
        ),
        Block("h2", "（三）人员情况"),
        Block(
            "para",
            f"截至{y}年12月31日，我馆编制{t['bianzhi']}，实有{t['shiyou']}，其中管理人员{f.guanli}人、"
            f"专业技术人员{f.zhuanji}人、工勤技能人员{f.gongqin}人；另有编外聘用人员{f.pinyong}人，"
            f"离退休人员{f.tuixiu}人。在职人员中，大学本科及以上学历{f.benke}人，具有档案系列中级及"
            f"以上专业技术职称{f.zhicheng}人。",
        ),
        Block("h2", "（四）年度工作重点"),
        Block(
            "para",
            f"{y}年，我馆以“{rng.choice(_THEMES)}”为主线，重点抓好以下工作：一是{focus[0]}；"
            f"二是{focus[1]}；三是{focus[2]}；四是持续推进档案安全体系建设，确保馆藏档案绝对安全。",
        ),
        Block("h1", "二、一般公共预算支出情况"),
        Block(
            "para",
            f"{y}年度一般公共预算支出{t['total']}，{t['total_chg']}。主要原因是{reason_total}。"
            "按支出性质分，基本支出和项目支出情况如下。",
        ),
        Block("h2", "（一）基本支出"),
        Block(
            "para",
            f"基本支出{t['jiben']}，占一般公共预算支出的{t['jiben_share']}，{t['jiben_chg']}。基本支出"
            "是为保障机构正常运转、完成日常工作任务而发生的各项支出。其中：人员经费"
            f"{t['renyuan']}，{t['renyuan_chg']}，主要包括基本工资、津贴补贴、奖金、绩效工资、"
            "机关事业单位基本养老保险缴费、职工基本医疗保险缴费、住房公积金等；公用经费"
            f"{t['gongyong']}，{t['gongyong_chg']}，主要包括办公费、印刷费、水电费、邮电费、差旅费、"
            "维修（护）费、公务接待费、工会经费、福利费等。",
        ),
        Block("h2", "（二）项目支出"),
        Block(
            "para",
            f"项目支出{t['xiangmu']}，占一般公共预算支出的{t['xiangmu_share']}，{t['xiangmu_chg']}。"
            "项目支出主要用于档案数字化加工、档案库房设施设备维护、档案编研出版、档案征集和宣传等"
            f"专项工作。项目支出{reason_xm}",
        ),
        Block("h1", "三、政府性基金预算支出情况"),
        Block("para", f"{y}年度本部门无政府性基金预算支出。"),
        Block("h1", "四、国有资本经营预算支出情况"),
        Block("para", f"{y}年度本部门无国有资本经营预算支出。"),
        Block("h1", "五、社会保险基金预算支出情况"),
        Block("para", f"{y}年度本部门无社会保险基金预算支出。"),
        Block("h1", "六、部门整体支出绩效情况"),
        Block(
            "para",
            f"{y}年，我馆认真落实预算绩效管理要求，部门整体支出绩效目标基本实现。经自评，部门整体"
            f"支出绩效得分{t['score']}，评价等级为“{grade}”。具体情况如下。",
        ),
        Block("h2", "（一）档案查阅利用"),
        Block(
            "para",
            f"全年接待查档{t['chadang']}，提供档案{t['juanci']}，出具档案证明{t['zhengming']}。其中，"
            "为群众办理工龄认定、退休审批、知青身份确认、婚姻登记等民生类查档"
            f"{t['minsheng']}。深化“异地查档、便民服务”，办理跨馆查档{f.yidi}件，群众满意率保持在"
            "较高水平。",
        ),
        Block("h2", "（二）档案编研"),
        Block(
            "para",
            f"围绕县委中心工作开展档案编研，编印《{book}》{t['bianyan_ce']}，向县直各单位和各乡镇"
            f"赠阅；整理完成《{c}大事记（{y}年）》，为县委、县政府决策提供参考。",
        ),
        Block("h2", "（三）档案安全"),
        Block(
            "para",
            f"严格落实档案安全工作责任制，全年开展库房安全检查{f.jiancha}次，排查整改安全隐患"
            f"{f.yinhuan}处；完成档案库房{f.shebei}套消防及温湿度调控设备的更新维护，库房温湿度保持"
            "在规定范围内，全年未发生档案安全事故。",
        ),
        Block("h2", "（四）档案信息化建设"),
        Block(
            "para",
            f"持续推进馆藏档案数字化，完成数字化扫描{t['saomiao']}，完成目录著录{t['mulu']}，"
            f"数字化经费{t['szh_jingfei']}。截至{y}年底，馆藏档案数字化率达到{t['szh_rate']}，"
            f"数字档案资源总量达到{tenths(f.ziyuan_tb)}TB，档案管理系统运行稳定。",
        ),
        Block("h2", "（五）档案宣传"),
        Block(
            "para",
            f"以“6·9国际档案日”为契机，开展“{rng.choice(_DAY69)}”主题宣传活动，举办档案展览"
            f"{f.zhanlan}场，发放宣传资料{t['xuanchuan']}，接待参观{t['canguan']}；在县融媒体中心"
            f"和政务新媒体发布档案工作信息{f.xinxi}条。",
        ),
        Block("h2", "（六）服务乡村振兴"),
        Block(
            "para",
            f"指导{f.cun}个村（社区）规范村级档案管理，建立乡村振兴档案专柜；选派驻村工作队员"
            f"{f.duiyuan}名，投入帮扶资金{t['bangfu']}，协助帮扶村完善基础设施和产业项目。",
        ),
        Block("h1", "七、存在的主要问题"),
        Block("para", "对照绩效目标，我馆部门整体支出管理中还存在以下问题："),
        *(Block("para", f"{i}.{p.format(**fill)}") for i, (p, _m) in enumerate(problems, 1)),
        Block("h1", "八、改进措施和建议"),
        Block("para", "针对上述问题，下一步我馆将重点做好以下工作："),
        *(Block("para", f"{i}.{m}") for i, (_p, m) in enumerate(problems, 1)),
        Block("gap"),
        Block("right", ctx.archive),
        Block("right", f"{y + 1}年3月{rng.randint(5, 28)}日"),
    ]
    return blocks


def perf_name(year: int) -> str:
    return f"{year}年度部门整体支出绩效评价报告.pdf"


# key: question variants; {y} is the year.  Each yields one gold item per year.
_PERF_QUESTIONS: dict[str, tuple[str, ...]] = {
    "bianzhi": ("{y}年末我馆编制是多少人？", "{y}年档案馆核定编制几人？"),
    "shiyou": ("{y}年底档案馆实有人员多少人？", "截至{y}年底实有在编人数是多少"),
    "renyuan": ("{y}年度人员经费是多少万元", "{y}年人员经费支出多少？"),
    "gongyong": ("{y}年公用经费花了多少万元？", "{y}年度公用经费是多少"),
    "jiben": ("{y}年基本支出合计多少万元？",),
    "xiangmu": ("{y}年项目支出是多少万元？", "{y}年度项目支出总额多少"),
    "total": ("{y}年一般公共预算支出总额是多少？", "{y}年度一般公共预算支出多少万元"),
    "total_diff": ("{y}年一般公共预算支出比上年增减了多少万元？",),
    "xiangmu_diff": ("{y}年项目支出比上年变化多少？",),
    "renyuan_diff": ("{y}年人员经费比上年变化了多少万元？",),
    "total_pct": ("{y}年一般公共预算支出比上年变化的百分比是多少？",),
    "chadang": ("{y}年接待查档多少人次？", "{y}年全年接待了多少查档人次"),
    "juanci": ("{y}年提供档案利用多少卷（件）次？",),
    "zhengming": ("{y}年出具了多少份档案证明？", "{y}年出具档案证明多少份"),
    "bianyan_ce": ("{y}年编研资料印了多少册？",),
    "saomiao": ("{y}年数字化扫描了多少页？", "{y}年全年完成数字化扫描多少页"),
    "mulu": ("{y}年完成目录著录多少条？",),
    "szh_jingfei": ("{y}年数字化经费是多少万元？", "{y}年花在数字化上的经费有多少"),
    "canguan": ("{y}年国际档案日宣传活动接待参观多少人次？",),
    "score": ("{y}年度部门整体支出绩效自评得了多少分？",),
}


# ---------------------------------------------------------------------------
# Gold items
# ---------------------------------------------------------------------------


def gold_item(
    item_id: str,
    kind: str,
    question: str,
    *,
    role: str = "staff",
    contains: Iterable[str] = (),
    source: str | None = None,
    page: int | None = None,
    code: str | None = None,
    forbidden: Iterable[str] = (),
) -> dict:
    answered = kind in ("figure", "catalogue", "guide", "series")
    return {
        "id": item_id,
        "type": kind,
        "question": question,
        "role": role,
        "expect_status": "answered" if answered else "no_evidence",
        "expect_contains": list(contains),
        "expect_source": source,
        "expect_page": page,
        "expect_archival_code": code,
        "forbidden": list(forbidden),
    }


def figure_items(
    prefix: str,
    specs: Iterable[tuple[str, str, str]],
    source: str,
    pages: list[str] | None,
) -> list[dict]:
    """One gold item per (key, printed figure, question) whose figure is unambiguous.

    ``pages`` None means a paged-less source (DOCX): the figure must still occur once
    in its text, which the caller passes as a one-element list.
    """
    items = []
    for key, figure, question in specs:
        page = find_page(pages or [], figure)
        if page is None:
            continue  # figure string not unique in the document: skip rather than mislead
        items.append(
            gold_item(
                f"fig-{prefix}-{key}",
                "figure",
                question,
                contains=[figure],
                source=source,
                page=page if source.endswith(".pdf") else None,
            )
        )
    return items


def build_perf_reports(ctx: Ctx, out: Path, series: dict[int, YearFigures]) -> list[dict]:
    gold = []
    for year in ctx.years:
        f, prev = series[year], series[year - 1]
        name = perf_name(year)
        pages = write_pdf(
            out / name,
            perf_blocks(ctx, f, prev),
            title=f"{ctx.archive}{year}年度部门整体支出绩效评价报告",
            author=ctx.archive,
        )
        if not 4 <= len(pages) <= 6:
            raise RuntimeError(f"{name}: {len(pages)} pages, expected 4-6")
        t = perf_strings(f, prev)
        rng = ctx.rng("perf-questions", year)
        specs = [(key, t[key], rng.choice(variants).format(y=year)) for key, variants in _PERF_QUESTIONS.items()]
        gold += figure_items(str(year), specs, name, pages)
    return gold


# ---------------------------------------------------------------------------
# 数字化项目验收报告
# ---------------------------------------------------------------------------

_VENDORS = ("华数档案信息技术有限公司", "启明数据科技有限公司", "兰台智信信息技术有限公司")
_OTHER_FONDS = (
    ("中共{county}委员会办公室", 1),
    ("{county}人民政府", 2),
    ("{county}财政局", 17),
    ("{county}教育局", 24),
    ("{county}卫生局", 31),
    ("{county}粮食局", 45),
)


@dataclass(frozen=True)
class Acceptance:
    year: int
    fonds: tuple[tuple[str, str, int, int, int], ...]  # 全宗号, 名称, 卷, 件, 页
    contract: int  # 0.01万元
    paid: int
    first_pay: int
    price_fen: int
    sample_pct: int
    pass_rate: int  # hundredths of a percent
    defects: int
    gb: int
    vendor: str
    code: str
    start: tuple[int, int]
    end: tuple[int, int]

    @property
    def volumes(self) -> int:
        return sum(r[2] for r in self.fonds)

    @property
    def items(self) -> int:
        return sum(r[3] for r in self.fonds)

    @property
    def pages(self) -> int:
        return sum(r[4] for r in self.fonds)


def make_acceptance(ctx: Ctx, annual: YearFigures, fonds: list[tuple[str, str, int, int]]) -> Acceptance:
    """The year's outsourced project: a part of the pages and money in that year's report.

    ``fonds`` is (全宗号, 名称, 卷, 件); a volume count of 0 is drawn here.
    """
    rng = ctx.rng("acceptance", annual.year)
    target = annual.saomiao * rng.randint(45, 75) // 100
    sized = [
        (qzh, name, vols if vols or items else target // rng.randint(40, 80) // len(fonds), items)
        for qzh, name, vols, items in fonds
    ]
    weights = [v * 40 + n * 5 for _q, _n, v, n in sized]
    pages = [target * w // sum(weights) for w in weights]
    pages[-1] += target - sum(pages)  # so the table adds up to the total in the text
    rows = [(*row, p) for row, p in zip(sized, pages, strict=True)]
    budget = annual.szh_jingfei * rng.randint(55, 85) // 100
    price = max(1, round(budget * 10000 / target))  # fen per page, all processes included
    paid = round(target * price / 10000)  # fen -> 0.01万元
    contract = paid + rng.randint(50, 600)
    return Acceptance(
        year=annual.year,
        fonds=tuple(rows),
        contract=contract,
        paid=paid,
        first_pay=paid * rng.randint(50, 70) // 100,
        price_fen=price,
        sample_pct=rng.choice((5, 8, 10)),
        pass_rate=rng.randint(9950, 9995),
        defects=rng.randint(12, 80),
        gb=target // rng.randint(180, 260),
        vendor=rng.choice(_VENDORS),
        code=f"DAG-SZH-{annual.year}-{rng.randint(1, 9):02d}",
        start=(rng.randint(3, 5), rng.randint(1, 28)),
        end=(rng.randint(9, 11), rng.randint(1, 28)),
    )


def acceptance_name(year: int) -> str:
    return f"{year}年馆藏档案数字化项目验收报告.pdf"


def acceptance_strings(a: Acceptance) -> dict[str, str]:
    return {
        "volumes": f"{a.volumes}卷",
        "items": f"{a.items}件",
        "pages": f"{a.pages}页",
        "entries": f"{a.volumes + a.items}条",
        "contract": f"{money(a.contract)}万元",
        "paid": f"{money(a.paid)}万元",
        "pass_rate": f"{a.pass_rate // 100}.{a.pass_rate % 100:02d}%",
    }


def acceptance_blocks(ctx: Ctx, a: Acceptance, names: Names) -> list[Block]:
    t, y = acceptance_strings(a), a.year
    sampled = a.pages * a.sample_pct // 100
    a4 = a.pages * 9 // 10
    second = a.paid - a.first_pay
    rows = [
        Block("row", cells=(str(i), qzh, name, str(v), str(n), str(p)))
        for i, (qzh, name, v, n, p) in enumerate(a.fonds, 1)
    ]
    return [
        Block("title", f"{ctx.archive}{y}年馆藏档案数字化加工项目"),
        Block("title", "验收报告"),
        Block("gap"),
        Block("h1", "一、项目基本情况"),
        Block("plain", f"项目名称：{ctx.archive}{y}年馆藏档案数字化加工项目"),
        Block("plain", f"项目编号：{a.code}"),
        Block("plain", f"承建单位：{a.vendor}"),
        Block("plain", f"实施时间：{y}年{a.start[0]}月{a.start[1]}日至{y}年{a.end[0]}月{a.end[1]}日"),
        Block(
            "para",
            f"本项目对馆藏{len(a.fonds)}个全宗的纸质档案进行数字化加工，包括档案出入库交接、整理拆装、"
            "扫描、图像处理、目录著录、数据挂接、数据备份和档案复原装订等环节。项目实施期间，"
            "加工场地设在馆内，全程视频监控，档案实体未出馆。",
        ),
        Block("h1", "二、项目完成情况"),
        Block(
            "para",
            f"项目共完成{t['volumes']}、{t['items']}档案的数字化加工，扫描图像{t['pages']}，其中"
            f"A4幅面{a4}页，A3及以上幅面{a.pages - a4}页；完成目录著录{t['entries']}，按档号将"
            "图像与目录逐一挂接，挂接准确率100%。形成数字化成果数据"
            f"{a.gb}GB，已按要求异地备份并导入档案管理系统。各全宗完成情况见下表。",
        ),
        Block("row", cells=("序号", "全宗号", "全宗名称", "卷数", "件数", "页数")),
        *rows,
        Block("h1", "三、质量检查情况"),
        Block(
            "para",
            "验收组按照《纸质档案数字化规范》（DA/T 31—2017）的要求，采取随机抽样方式对数字化成果"
            f"进行检查，抽检比例为{a.sample_pct}%，抽检图像{sampled}页，图像质量、目录数据和挂接"
            f"关系总体合格率为{t['pass_rate']}。对发现的{a.defects}处问题（主要是图像歪斜、"
            "页码漏号和著录错字），承建单位已全部整改到位并经复检合格。",
        ),
        Block("h1", "四、经费使用情况"),
        Block(
            "para",
            f"项目合同金额{t['contract']}，按扫描单价{a.price_fen / 100:.2f}元/页（含整理、著录、"
            f"挂接等全部工序）据实结算，实际支付{t['paid']}，其中首期款{money(a.first_pay)}万元、"
            f"尾款{money(second)}万元。结余资金{money(a.contract - a.paid)}万元，主要原因是部分"
            "档案破损严重需先行修裱，未列入本期扫描范围。",
        ),
        Block("h1", "五、验收结论"),
        Block(
            "para",
            "验收组认为，该项目完成了合同约定的工作内容，数字化成果符合相关标准规范要求，"
            "档案实体安全、数据安全管理措施落实到位，同意通过验收。建议承建单位按合同约定做好"
            "质保期内的技术服务。",
        ),
        Block("gap"),
        Block("plain", f"验收组组长：{names.new()}"),
        Block("plain", f"验收组成员：{names.new()}、{names.new()}、{names.new()}"),
        Block("right", f"{y}年{a.end[0] + 1}月{a.end[1]}日"),
    ]


_ACCEPTANCE_QUESTIONS = {
    "pages": "{y}年馆藏档案数字化加工项目一共扫描了多少页？",
    "volumes": "{y}年数字化加工项目验收报告里，完成了多少卷档案的数字化？",
    "entries": "{y}年数字化加工项目完成目录著录多少条？",
    "contract": "{y}年馆藏档案数字化加工项目的合同金额是多少？",
    "paid": "{y}年数字化加工项目实际支付了多少万元？",
    "pass_rate": "{y}年数字化项目验收抽检的合格率是多少？",
}


def build_acceptance(
    ctx: Ctx,
    out: Path,
    annual: YearFigures,
    fonds: list[tuple[str, str, int, int]],
    names: Names,
) -> list[dict]:
    year = annual.year
    a = make_acceptance(ctx, annual, fonds)
    name = acceptance_name(year)
    pages = write_pdf(
        out / name,
        acceptance_blocks(ctx, a, names),
        title=f"{ctx.archive}{year}年馆藏档案数字化加工项目验收报告",
        author=ctx.archive,
    )
    if not 2 <= len(pages) <= 3:
        raise RuntimeError(f"{name}: {len(pages)} pages, expected 2-3")
    t = acceptance_strings(a)
    specs = [(k, t[k], q.format(y=year)) for k, q in _ACCEPTANCE_QUESTIONS.items()]
    return figure_items(f"ysbg-{year}", specs, name, pages)


# ---------------------------------------------------------------------------
# 年度工作总结 (DOCX)
# ---------------------------------------------------------------------------


def summary_name(year: int) -> str:
    return f"{year}年度工作总结.docx"


def summary_figures(ctx: Ctx, year: int) -> dict[str, int]:
    rng = ctx.rng("summary", year)
    jieshou, kaifang_jd = rng.sample(range(1200, 6000), 2)
    return {
        "danwei": rng.randint(8, 25),
        "jieshou": jieshou,
        "jieshou_jian": rng.randint(5000, 20000),
        "zhaopian": rng.randint(300, 2500),
        "zhengji": rng.randint(60, 900),
        "kaifang_jd": kaifang_jd,
        "xin_kaifang": kaifang_jd * rng.randint(55, 85) // 100,
        "banci": rng.randint(2, 6),
        "peixun": rng.randint(150, 600),
        "zhidao": rng.randint(20, 70),
    }


def summary_paragraphs(ctx: Ctx, year: int, s: dict[str, int]) -> list[tuple[str, str]]:
    """(style, text) pairs; style is 'Title', 'Heading 1', 'Heading 2' or 'Normal'."""
    c = ctx.county
    return [
        ("Title", f"{ctx.archive}{year}年度工作总结"),
        (
            "Normal",
            f"{year}年，在县委、县政府的坚强领导和上级档案部门的指导下，我馆坚持“为党管档、为国守史、"
            "为民服务”的理念，各项工作取得新进展。现将全年工作总结如下。",
        ),
        ("Heading 1", "一、主要工作完成情况"),
        ("Heading 2", "（一）档案接收与征集"),
        (
            "Normal",
            f"完成{s['danwei']}家单位到期档案的接收进馆工作，全年接收进馆档案{s['jieshou']}卷、"
            f"{s['jieshou_jian']}件，其中照片档案{s['zhaopian']}张。面向社会征集{c}老照片、地方文献、"
            f"名人手稿等档案资料{s['zhengji']}件（张）。",
        ),
        ("Heading 2", "（二）档案开放鉴定"),
        (
            "Normal",
            f"会同形成单位完成{s['kaifang_jd']}卷档案的开放鉴定，新增向社会开放档案"
            f"{s['xin_kaifang']}卷，其余档案根据审核结果分别列为控制使用或延期开放，开放档案目录已"
            "在县政府门户网站公布。",
        ),
        ("Heading 2", "（三）业务指导与培训"),
        (
            "Normal",
            f"举办全县档案业务培训班{s['banci']}期，培训各单位兼职档案员{s['peixun']}人次；对"
            f"{s['zhidao']}个单位开展档案工作监督指导，督促整改问题。",
        ),
        ("Heading 2", "（四）查阅利用与编研"),
        (
            "Normal",
            f"查阅利用、档案编研和数字化工作按计划推进，有关数据详见《{year}年度部门整体支出绩效评价报告》。",
        ),
        ("Heading 1", "二、存在的不足"),
        (
            "Normal",
            "一是库房容量接近饱和，部分到期档案不能及时进馆；二是档案开放审核进度与群众需求还有差距；"
            "三是专业人才缺乏，信息化建设依赖外部力量。",
        ),
        ("Heading 1", f"三、{year + 1}年工作打算"),
        ("Heading 2", "（一）推进档案资源建设"),
        ("Normal", "做好到期档案接收进馆，加大重大活动和乡村振兴档案的征集力度。"),
        ("Heading 2", "（二）提升利用服务水平"),
        ("Normal", "扩大开放档案范围，推进民生档案跨馆出证，完善查档预约和线上服务。"),
        ("Heading 2", "（三）筑牢档案安全防线"),
        ("Normal", "落实档案安全责任制，完成库房消防和温湿度调控设备改造。"),
    ]


_SUMMARY_QUESTIONS = {
    "jieshou": ("{y}年度工作总结中，全年接收进馆档案多少卷？", "{n}卷"),
    "zhengji": ("{y}年征集了多少件（张）档案资料？", "{n}件"),
    "kaifang_jd": ("{y}年完成了多少卷档案的开放鉴定？", "{n}卷"),
    "xin_kaifang": ("{y}年新增向社会开放档案多少卷？", "{n}卷"),
    "peixun": ("{y}年档案业务培训了多少人次？", "{n}人次"),
}


def build_summary(ctx: Ctx, out: Path, year: int) -> list[dict]:
    s = summary_figures(ctx, year)
    doc = Document()
    for style, text in summary_paragraphs(ctx, year, s):
        doc.add_paragraph(text, style=style)
    stamp = datetime(year + 1, 1, 15, 9, 0, 0)
    doc.core_properties.author = ctx.archive
    doc.core_properties.title = f"{ctx.archive}{year}年度工作总结"
    doc.core_properties.created = stamp
    doc.core_properties.modified = stamp
    doc.core_properties.last_modified_by = ctx.archive
    name = summary_name(year)
    doc.save(str(out / name))
    normalise_zip(out / name)
    text = "\n".join(t for _s, t in summary_paragraphs(ctx, year, s))
    specs = [(k, fmt.format(n=s[k]), q.format(y=year)) for k, (q, fmt) in _SUMMARY_QUESTIONS.items()]
    return figure_items(f"zj-{year}", specs, name, [text])


def normalise_zip(path: Path) -> None:
    """Rewrite an OOXML zip with fixed timestamps so rebuilding gives identical bytes."""
    with zipfile.ZipFile(path) as zin:
        entries = [(info.filename, zin.read(info)) for info in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*",
                    rb"\g<1>2024-01-01T00:00:00Z",
                    data,
                )
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(info, data)


# ---------------------------------------------------------------------------
# Catalogues
# ---------------------------------------------------------------------------


@dataclass
class Record:
    """One catalogue row, whatever the catalogue; ``extra`` holds format-specific cells."""

    code: str  # 档号 as written in the catalogue (may be messy)
    clean_code: str  # 档号 as it should be
    title: str
    year: int
    retention: str
    status: str  # 开放 | 控制使用 | 控制 | 延期开放 | 未审核
    secret: str = ""
    keyword: str = ""  # distinctive words for restricted look-ups by title
    kind: str = "open"
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        return self.status == "开放" and not self.secret


_COMPANIES = (
    "县农机厂",
    "县化肥厂",
    "县棉纺厂",
    "县酒厂",
    "县印刷厂",
    "县水泥厂",
    "县食品公司",
    "县建筑公司",
    "县陶瓷厂",
    "县五金厂",
    "县造纸厂",
    "县粮油加工厂",
)
_COMMUNES = ("红旗", "东风", "城关", "石桥", "柳河", "青龙", "白沙", "双庙", "河口", "东岭")
_HIRE_KINDS = ("全民所有制", "集体所有制", "亦工亦农", "合同制")


def _gov(county: str, year: int) -> str:
    if year < 1968:
        return f"{county}人民委员会"
    if year < 1981:
        return f"{county}革命委员会"
    return f"{county}人民政府"


def _labour_bureau(county: str, year: int) -> str:
    if 1968 <= year < 1981:
        return f"{county}革命委员会劳动局"
    if year >= 2000:
        return f"{county}劳动和社会保障局"
    return f"{county}劳动局"


# (title template, first year, last year, retention, kind, keyword template)
# kind: open | personal (控制使用) | deferred (延期开放) | secret (classified)
_VOLUME_TEMPLATES: tuple[tuple[str, int, int, str, str, str], ...] = (
    ("关于{y}年招收{hire}职工的请示及{gov}批复", 1962, 1995, "永久", "open", ""),
    ("{y}年{co}新工人转正定级审批表", 1962, 1995, "永久", "open", ""),
    ("{y}年{co}职工退休审批表", 1960, 2005, "永久", "open", ""),
    ("关于{name}等{n}名职工办理退休手续的批复", 1978, 2005, "永久", "open", ""),
    ("{y}年知识青年上山下乡安置花名册（{commune}公社）", 1964, 1978, "永久", "open", ""),
    ("关于{y}年下乡知识青年招工回城的通知", 1971, 1980, "永久", "open", ""),
    ("{y}年{commune}公社知青点建房及安置经费使用情况的报告", 1965, 1978, "永久", "open", ""),
    ("{y}年知识青年病退、困退回城审批表", 1974, 1981, "永久", "open", ""),
    ("{y}年职工工资调整审批表（{co}）", 1963, 2005, "永久", "open", ""),
    ("关于{y}年调整部分职工工资的通知", 1963, 2005, "永久", "open", ""),
    ("{y}年劳动合同制工人劳动合同鉴证登记表（{co}）", 1986, 2005, "长期", "open", ""),
    ("{y}年劳动工资统计年报", 1960, 2005, "永久", "open", ""),
    ("{y}年全县劳动工作会议材料", 1960, 2005, "长期", "open", ""),
    ("{y}年精简下放职工花名册", 1961, 1963, "永久", "open", ""),
    ("{y}年城镇待业青年就业安置工作总结", 1979, 1992, "长期", "open", ""),
    ("{y}年企业职工养老保险基金征缴情况报告", 1992, 2005, "长期", "open", ""),
    ("{y}年下岗职工再就业工作材料", 1996, 2005, "长期", "open", ""),
    ("{y}年临时工、合同工使用情况检查报告", 1972, 1990, "长期", "open", ""),
    ("关于{co}{y}年增加劳动指标的批复", 1962, 1995, "长期", "open", ""),
    ("{y}年技工学校招生及毕业生分配材料", 1979, 1998, "短期", "open", ""),
    ("{y}年劳动保护和安全生产检查情况通报", 1960, 2005, "短期", "open", ""),
    ("{y}年{name}诉{co}劳动争议仲裁案卷", 1987, 2005, "长期", "personal", "{name}劳动争议仲裁"),
    ("关于{name}工伤认定的调查材料", 1970, 2005, "长期", "personal", "{name}工伤认定"),
    ("关于{name}违纪问题的处分决定及本人检查", 1960, 2005, "永久", "personal", "{name}违纪处分"),
    ("{name}等{n}人来信来访处理材料", 1979, 2005, "长期", "personal", "{name}来信来访"),
    ("关于{name}病故抚恤问题的请示", 1960, 2005, "永久", "personal", "{name}病故抚恤"),
    ("关于{name}等人历史问题复查处理意见", 1978, 1985, "永久", "deferred", "{name}历史问题复查"),
    ("关于{name}错案平反及恢复工作的决定", 1978, 1984, "永久", "deferred", "{name}错案平反"),
    ("{y}年三线建设企业招工政审材料", 1965, 1975, "永久", "secret", "三线建设企业招工政审"),
    ("关于{y}年国防工业企业劳动力调配计划的通知", 1966, 1980, "永久", "secret", "国防工业企业劳动力调配计划"),
    ("{y}年战备疏散人员安置方案", 1969, 1979, "永久", "secret", "战备疏散人员安置方案"),
    ("{y}年民兵武器仓库看护人员招用审批表", 1985, 2000, "长期", "secret", "民兵武器仓库看护人员招用"),
    ("关于{y}年重点企业劳动用工情况的专题报告", 1995, 2005, "长期", "secret", "重点企业劳动用工情况专题报告"),
)
_SECRET_LEVELS = ("机密", "秘密", "机密★10年", "秘密★10年", "机密★10年")
_CATALOGUE_NO = {"永久": "1", "长期": "2", "短期": "3"}


def _fill(template: str, year: int, rng: random.Random, names: Names, county: str) -> dict:
    values = {
        "y": year,
        "co": rng.choice(_COMPANIES),
        "commune": rng.choice(_COMMUNES),
        "hire": rng.choice(_HIRE_KINDS),
        "gov": _gov(county, year),
        "n": rng.randint(3, 12),
    }
    if "{name}" in template:
        values["name"] = names.new()
    return values


def _draw_volumes(ctx: Ctx, names: Names, count: int) -> list[tuple[int, str, str, str, str]]:
    """(year, title, retention, kind, keyword) for every volume, titles unique."""
    rng = ctx.rng("volumes")
    by_kind: dict[str, list[tuple[str, int, int, str, str, str]]] = {}
    for tpl in _VOLUME_TEMPLATES:
        by_kind.setdefault(tpl[4], []).append(tpl)
    wanted = [("secret", 5), ("deferred", 4), ("personal", 18)]
    plan = [t for kind, n in wanted for t in _pick(rng, by_kind[kind], n, kind == "secret")]
    plan += [rng.choice(by_kind["open"]) for _ in range(count - len(plan))]
    rows, seen = [], set()
    for tpl in plan:
        while (drawn := _try_unique(tpl, rng, names, ctx.county, seen)) is None:
            tpl = rng.choice(by_kind["open"])  # template exhausted (e.g. 精简 only 1961-63)
        year, title, values = drawn
        seen.add(title)
        rows.append((year, title, tpl[3], tpl[4], tpl[5].format(**values)))
    return rows


def _try_unique(
    tpl: tuple[str, int, int, str, str, str],
    rng: random.Random,
    names: Names,
    county: str,
    seen: set[str],
) -> tuple[int, str, dict] | None:
    for _ in range(20):
        year = rng.randint(tpl[1], tpl[2])
        values = _fill(tpl[0], year, rng, names, county)
        title = tpl[0].format(**values)
        if title not in seen:
            return year, title, values
    return None


def _pick(rng: random.Random, pool: list, n: int, distinct: bool) -> list:
    # Secret templates are used once each so their keywords identify a single row.
    return rng.sample(pool, n) if distinct else [rng.choice(pool) for _ in range(n)]


def make_volume_catalogue(ctx: Ctx, qzh: str, names: Names) -> list[Record]:
    rng = ctx.rng("volume-rows")
    drawn = _draw_volumes(ctx, names, rng.randint(195, 210))
    # Sort by catalogue then year, then number volumes with the odd gap (withdrawn numbers).
    drawn.sort(key=lambda r: (_CATALOGUE_NO[r[2]], r[0], r[1]))
    records, counters = [], dict.fromkeys(_CATALOGUE_NO.values(), 0)
    for year, title, retention, kind, keyword in drawn:
        mlh = _CATALOGUE_NO[retention]
        counters[mlh] += 1 + (rng.random() < 0.06)
        code = f"{qzh}-{mlh}-{counters[mlh]:04d}"
        status = {"personal": "控制使用", "deferred": "延期开放", "secret": "控制使用"}.get(kind, "开放")
        secret = rng.choice(_SECRET_LEVELS) if kind == "secret" else ""
        m1, m2 = sorted(rng.sample(range(1, 13), 2))
        records.append(
            Record(
                code=code,
                clean_code=code,
                title=title,
                year=year,
                retention=retention,
                status=status,
                secret=secret,
                keyword=keyword,
                kind=kind,
                extra={
                    "全宗号": qzh,
                    "目录号": mlh,
                    "案卷号": str(counters[mlh]),
                    "起止日期": f"{year}{m1:02d}{rng.randint(1, 28):02d}-{year}{m2:02d}{rng.randint(1, 28):02d}",
                    "页数": str(rng.randint(8, 260)),
                    "责任者": _labour_bureau(ctx.county, year),
                    "备注": rng.choice(("", "", "", "", "", "", "破损，已修裱", "含照片")),
                },
            )
        )
    _mark_unreviewed(rng, [r for r in records if r.kind == "open" and r.year >= 2000], 5)
    return records


def _mark_unreviewed(rng: random.Random, candidates: list[Record], n: int) -> None:
    # Records younger than 25 years whose opening review has not happened yet.
    for record in rng.sample(candidates, min(n, len(candidates))):
        record.status, record.kind = "未审核", "unreviewed"


VOLUME_COLUMNS = (
    "全宗号",
    "目录号",
    "案卷号",
    "档号",
    "案卷题名",
    "年度",
    "起止日期",
    "保管期限",
    "页数",
    "密级",
    "开放状态",
    "责任者",
    "备注",
)


def write_volume_csv(path: Path, records: list[Record]) -> None:
    # GBK + CRLF: what the archive management system's export gives Windows users.
    with path.open("w", encoding="gbk", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(VOLUME_COLUMNS)
        for r in records:
            cells = {
                **r.extra,
                "档号": r.code,
                "案卷题名": r.title,
                "年度": str(r.year),
                "保管期限": r.retention,
                "密级": r.secret,
                "开放状态": r.status,
            }
            writer.writerow([cells[c] for c in VOLUME_COLUMNS])


# --- item-level (文件级) catalogue of the county government office -------------

_TOWNS = ("城关镇", "石桥镇", "柳河乡", "青龙乡", "白沙镇", "东岭乡", "河口镇", "双庙乡")
_TASKS = (
    "防汛抗旱",
    "森林防火",
    "安全生产大检查",
    "春耕生产",
    "秸秆禁烧",
    "冬春农田水利建设",
    "食品安全",
    "征兵",
    "农村危房改造",
    "城乡居民医疗保险征缴",
)
_PLANS_NEW = (
    ("农村人居环境整治三年行动", 2011, 2020),
    ("城乡生活垃圾治理", 2011, 2020),
    ("全面推行河长制", 2017, 2020),
    ("全民参保登记", 2014, 2020),
    ("乡村振兴战略", 2018, 2020),
    ("农村集体产权制度改革", 2016, 2020),
    ("城区老旧小区改造", 2019, 2020),
    ("义务教育均衡发展", 2011, 2016),
    ("全域旅游发展", 2016, 2020),
    ("脱贫攻坚", 2015, 2020),
    ("第七次全国人口普查", 2019, 2020),
    ("扫黑除恶专项斗争", 2018, 2020),
)
_PLANS_OLD = (
    ("农村税费改革", 2001, 2004),
    ("县属国有企业改制", 2001, 2006),
    ("非典型肺炎防治", 2003, 2003),
    ("新型农村合作医疗", 2006, 2010),
    ("第二次全国农业普查", 2006, 2007),
    ("集体林权制度改革", 2008, 2010),
    ("撤乡并镇", 2001, 2005),
    ("第六次全国人口普查", 2010, 2010),
    ("农村义务教育经费保障机制改革", 2006, 2008),
    ("家电下乡", 2008, 2010),
)
_MATTERS = (
    "调整行政村规划",
    "设立农贸市场",
    "建设污水处理站",
    "实施土地整理项目",
    "设立便民服务中心",
    "新建中心小学教学楼",
)
_HONOURS = ("安全生产先进单位", "招商引资先进个人", "综合目标考核先进单位", "社会治安综合治理先进集体")

# (title template, retention class, kind, keyword, 文号 kind)
_ITEM_TEMPLATES: tuple[tuple[str, str, str, str, str], ...] = (
    ("{county}人民政府关于印发《{county}{plan}实施方案》的通知", "Y", "open", "", "政发"),
    ("{county}人民政府办公室关于做好{y}年{task}工作的通知", "D30", "open", "", "政办发"),
    ("{county}人民政府关于同意{town}{matter}的批复", "Y", "open", "", "政函"),
    ("{county}人民政府{y}年第{k}次常务会议纪要", "Y", "open", "", "纪要"),
    ("{county}人民政府关于表彰{y}年度{honour}的决定", "Y", "open", "", "政发"),
    ("{town}关于{y}年度{task}工作情况的报告", "D10", "open", "", ""),
    ("{county}人民政府办公室关于召开{y}年{task}工作会议的通知", "D10", "open", "", "政办发"),
    ("关于{name}信访事项的处理意见", "D30", "personal", "{name}信访事项", "政办发"),
    ("关于{name}等{n}人违规占用耕地建房问题的调查处理报告", "D30", "personal", "{name}违规占用耕地建房", ""),
    ("关于{name}房屋拆迁补偿问题的处理意见", "Y", "deferred", "{name}房屋拆迁补偿", "政办发"),
    ("{y}年全县民兵整组工作方案", "Y", "secret", "民兵整组工作方案", "政发"),
    ("关于加强县域重要军事设施保护工作的通知", "Y", "secret", "重要军事设施保护", "政发"),
    ("{y}年县级粮食应急储备调运预案", "Y", "secret", "粮食应急储备调运预案", "政办发"),
    ("关于{y}年度征兵政治审查工作的通知", "D30", "secret", "征兵政治审查", "政办发"),
)


def _item_title(tpl: str, year: int, rng: random.Random, names: Names, county: str, plans: tuple) -> dict:
    fitting = [p for p, lo, hi in plans if lo <= year <= hi]
    values = {
        "y": year,
        "county": county,
        "plan": rng.choice(fitting),
        "task": rng.choice(_TASKS),
        "town": rng.choice(_TOWNS),
        "matter": rng.choice(_MATTERS),
        "honour": rng.choice(_HONOURS),
        "k": rng.randint(1, 30),
        "n": rng.randint(3, 9),
    }
    if "{name}" in tpl:
        values["name"] = names.new()
    return values


@dataclass(frozen=True)
class ItemSheet:
    name: str
    first: int
    last: int
    rows: int
    with_office: bool  # newer codes carry the 机构 segment ("BGS")
    plans: tuple
    restricted: tuple[tuple[str, int], ...]  # (kind, how many)


def _retention_code(cls: str, year: int) -> tuple[str, str]:
    # Before 2006: 永久/长期/短期 (codes Y/C/D); after: 永久/定期30年/定期10年.
    if year < 2006:
        return {"Y": ("Y", "永久"), "D30": ("C", "长期"), "D10": ("D", "短期")}[cls]
    return {"Y": ("Y", "永久"), "D30": ("D30", "定期30年"), "D10": ("D10", "定期10年")}[cls]


def _wenhao(kind: str, county: str, year: int, rng: random.Random) -> str:
    if not kind:
        return ""
    if kind == "纪要":
        return f"常务会议纪要〔{year}〕{rng.randint(1, 30)}号"
    return f"{county[0]}{kind}〔{year}〕{rng.randint(1, 120)}号"


def make_item_sheet(ctx: Ctx, qzh: str, sheet: ItemSheet, names: Names, seen: set[str]) -> list[Record]:
    """Rows of one sheet; ``seen`` holds titles (and secret keywords) used so far."""
    rng = ctx.rng("items", sheet.name)
    by_kind: dict[str, list] = {}
    for tpl in _ITEM_TEMPLATES:
        by_kind.setdefault(tpl[2], []).append(tpl)
    plan = []
    for kind, n in sheet.restricted:
        pool = [t for t in by_kind[kind] if t[3] not in seen]
        chosen = rng.sample(pool, n) if kind == "secret" else [rng.choice(pool) for _ in range(n)]
        seen.update(t[3] for t in chosen if kind == "secret")
        plan += chosen
    plan += [rng.choice(by_kind["open"]) for _ in range(sheet.rows - len(plan))]
    drafts = []
    for template in plan:
        while (drawn := _try_item(template[0], sheet, rng, names, ctx.county, seen)) is None:
            template = rng.choice(by_kind["open"])
        tpl, cls, kind, kw_t, wh_kind = template
        year, title, values = drawn
        seen.add(title)
        date = f"{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        drafts.append((date, title, cls, kind, kw_t.format(**values), wh_kind))
    drafts.sort()
    return _number_items(ctx, qzh, sheet, drafts, rng)


def _try_item(
    tpl: str, sheet: ItemSheet, rng: random.Random, names: Names, county: str, seen: set[str]
) -> tuple[int, str, dict] | None:
    for _ in range(20):
        year = rng.randint(sheet.first, sheet.last)
        values = _item_title(tpl, year, rng, names, county, sheet.plans)
        title = tpl.format(**values)
        if title not in seen:
            return year, title, values
    return None


def _number_items(ctx: Ctx, qzh: str, sheet: ItemSheet, drafts: list, rng: random.Random) -> list[Record]:
    counters: dict[tuple[int, str], int] = {}
    records = []
    for date, title, cls, kind, keyword, wh_kind in drafts:
        year = int(date[:4])
        code_ret, retention = _retention_code(cls, year)
        counters[year, code_ret] = counters.get((year, code_ret), 0) + rng.randint(1, 3)
        office = "-BGS" if sheet.with_office else ""
        code = f"{qzh}-WS·{year}-{code_ret}{office}-{counters[year, code_ret]:04d}"
        status = {"personal": "控制", "deferred": "延期开放", "secret": "控制"}.get(kind, "开放")
        records.append(
            Record(
                code=code,
                clean_code=code,
                title=title,
                year=year,
                retention=retention,
                status=status,
                secret=rng.choice(_SECRET_LEVELS) if kind == "secret" else "",
                keyword=keyword,
                kind=kind,
                extra={
                    "文号": _wenhao(wh_kind, ctx.county, year, rng),
                    "责任者": _responsible(ctx.county, title),
                    "日期": date,
                    "页数": str(rng.randint(1, 40)),
                    "备注": rng.choice(("", "", "", "", "", "有附件", "复印件")),
                },
            )
        )
    return records


def _responsible(county: str, title: str) -> str:
    for town in _TOWNS:
        if title.startswith(town):
            return f"{county}{town}人民政府"
    if title.startswith(f"{county}人民政府办公室"):
        return f"{county}人民政府办公室"
    if title.startswith(f"{county}人民政府"):
        return f"{county}人民政府"
    return f"{county}人民政府办公室"


def _messy_code(code: str, style: int) -> str:
    """How a hand-keyed legacy code really looks."""
    if style == 0:
        return to_fullwidth(code)
    if style == 1:
        return code.replace("·", " · ")
    if style == 2:
        return code.replace("-Y-", "-永久-") if "-Y-" in code else code.replace("·", "· ")
    return unpad_last(code)


def mess_up(rng: random.Random, records: list[Record], n: int) -> None:
    for i, record in enumerate(rng.sample([r for r in records if r.is_open], n)):
        record.code = _messy_code(record.clean_code, i % 4)


ITEM_COLUMNS_NEW = ("档号", "文号", "责任者", "题名", "日期", "页数", "密级", "保管期限", "开放标识", "备注")
ITEM_COLUMNS_OLD = ("DH", "TM", "ZRZ", "ND", "BGQX", "YS", "MJ", "开放标识")


def _item_cells(r: Record, pinyin: bool) -> list:
    if pinyin:
        return [
            r.code,
            r.title,
            r.extra["责任者"],
            r.year,
            r.retention,
            int(r.extra["页数"]),
            r.secret,
            r.status,
        ]
    return [
        r.code,
        r.extra["文号"],
        r.extra["责任者"],
        r.title,
        r.extra["日期"],
        int(r.extra["页数"]),
        r.secret,
        r.retention,
        r.status,
        r.extra["备注"],
    ]


def write_item_xlsx(path: Path, title: str, sheets: list[tuple[ItemSheet, list[Record], bool]]) -> None:
    wb = Workbook()
    wb.remove(wb.active)
    for sheet, records, pinyin in sheets:
        ws = wb.create_sheet(sheet.name)
        columns = ITEM_COLUMNS_OLD if pinyin else ITEM_COLUMNS_NEW
        # The title row above the header is what real exports look like and what a
        # naive reader trips over.
        ws.append([f"{title}（{sheet.first}—{sheet.last}年）"])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
        ws["A1"].font = Font(bold=True, size=14)
        ws["A1"].alignment = Alignment(horizontal="center")
        ws.append(list(columns))
        for record in records:
            ws.append(_item_cells(record, pinyin))
        ws.column_dimensions["A"].width = 30
        ws.column_dimensions["B" if pinyin else "D"].width = 60
    stamp = datetime(2024, 1, 1)
    wb.properties.creator = "档案管理系统"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.save(str(path))
    normalise_zip(path)


# ---------------------------------------------------------------------------
# Onboarding guide
# ---------------------------------------------------------------------------

# (id, question, phrases that appear verbatim in the guide)
GUIDE_QUESTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("wendu", "纸质档案库房的温度要控制在多少度？", ("14", "24")),
    ("shidu", "档案库房的相对湿度标准是多少？", ("45%", "60%")),
    ("kaifang", "档案一般形成多少年后向社会开放？", ("25年",)),
    ("quanzong", "什么是全宗？", ("有机整体",)),
    ("d30", "文件级档号里的D30代表什么？", ("定期30年",)),
    ("bafang", "档案保管的“八防”指的是哪些？", ("防潮", "防虫")),
    ("jianding", "价值鉴定主要解决什么问题？", ("保管期限",)),
    ("jiaojie", "接收进馆时清点无误后双方要在什么文件上签字盖章？", ("交接文据",)),
    ("zhengjian", "来查档的人需要带什么证件？", ("身份证件",)),
    ("ws", "档号里的门类代码WS表示什么？", ("文书",)),
)


def guide_text(ctx: Ctx, volume_example: str, item_example: str) -> str:
    a = ctx.archive
    return f"""# {a}新进人员入门指南

> 本指南帮助新入馆的同事尽快熟悉馆藏和日常业务。遇到具体问题，以馆内制度和国家标准为准，
> 拿不准的事情先问股室负责人。

## 一、全宗：档案的“户口”

全宗是一个独立的机关、组织或个人在社会活动中形成的档案有机整体。同一个立档单位形成的档案
不能拆散到不同全宗，不同单位的档案也不能混在一个全宗里。比如县劳动局几十年形成的招工、
转正定级、退休审批、知青安置材料，都属于劳动局全宗。

每个全宗有一个全宗号。全宗号有纯数字的（如38、0127），也有字母加三位数字的（如J001、X013）。
全宗号一律当作文本处理，前面的0不能省略：“0127”和“127”不是同一个全宗。

## 二、档号是怎么编出来的

档号是每一卷、每一件档案的唯一代码，查档、调卷、挂接扫描图像都靠它。馆里有两类档号并存。

### 案卷级档号（老档案）

格式为“全宗号-目录号-案卷号”，例如 {volume_example}。案卷号一般补足4位，个别档号后面还带页号或件号。

### 文件级档号（约2000年以后按件整理的档案）

格式为“全宗号-门类代码·年度-保管期限代码-（机构代码-）件号”，例如 {item_example}、
0094-WS·2021-D10-0533。

- 门类代码：WS表示文书，KJ表示科技，RS表示人事，KU表示会计，ZP表示照片。
- 保管期限代码：Y表示永久，D30表示定期30年，D10表示定期10年。

### 检索时的注意事项

目录来自不同年代、不同系统，写法很乱：全角数字和全角横杠（如３８－１－００４５）、“·”前后多了空格、
把Y写成“永久”、件号没有补零（如38-1-45）。比对档号前，先把两边都转成半角、去掉空格、统一代码、
补齐位数，不要因为写法不同就回答“查无此档”。

## 三、保管期限

2006年以前形成的档案，保管期限分为永久、长期、短期；2006年以后调整为永久、定期30年、定期10年。
进馆的主要是永久和长期（定期30年）档案，定期10年的一般留在形成单位保存。

## 四、接收进馆

1. 移交单位按要求完成档案整理和编目，形成纸质和电子两套移交目录。
2. 接收征集股到移交单位现场检查整理质量，不合格的退回整改。
3. 档案运抵馆内后，双方逐卷（件）清点，核对实物与目录是否一致。
4. 清点核对无误后，双方在档案交接文据上签字盖章，各执一份。
5. 档案入库前先消毒、除尘，再把目录数据导入档案管理系统。

## 五、整理

整理就是把零散的文件按形成规律和相互联系组成有序的整体。2000年以前多以“卷”为单位组卷；
2000年以后以“件”为单位整理，依次做好装订、分类、排列、编号、编目和装盒，并在每件文件首页
右上端加盖归档章，填写档号等项目。

## 六、鉴定：两件不同的事

鉴定有两种，千万不要混淆：

- **价值鉴定**：判断档案的保存价值，确定保管期限，对到期档案提出续存或销毁意见。销毁必须经
  鉴定小组审核、按程序报批，并编制销毁清册。
- **开放鉴定**（开放审核）：判断档案能否向社会开放。涉及国家秘密、个人隐私、商业秘密的档案，
  列为控制使用或延期开放。开放鉴定由档案馆会同档案形成单位共同进行。

## 七、保管与“八防”

库房要做好八防：防盗、防光、防高温、防火、防潮、防尘、防鼠、防虫。纸质档案库房的温度控制在
14～24℃，相对湿度控制在45%～60%，每天记录温湿度，超出范围要及时调控。档案出入库一律登记，
调出的档案要按时归还原位。

## 八、利用

- 查档者须出示有效身份证件，填写查档登记表，写明查档目的。
- 查阅以数字化副本为主，原件原则上不出库；需要复制的，经审批后由工作人员复制，复制件加盖
  档案馆印章。
- 工作人员不得向利用者提供未开放或涉密的档案，不得透露这些档案的题名和内容，也不得私自把
  档案带出库房。
- 档案馆出具的是档案证明，只说明“档案里记载了什么”；工龄认定、退休审批等结论由主管部门作出。

## 九、开放

档案一般自形成之日起满25年向社会开放。开放前由档案馆会同形成单位进行开放审核，结果分为
开放、控制使用、延期开放三类；还没有审核的目录标为“未审核”，不能向社会提供。
"""


def build_guide(ctx: Ctx, out: Path, volume_example: str, item_example: str) -> list[dict]:
    text = guide_text(ctx, volume_example, item_example)
    (out / GUIDE_NAME).write_text(text, encoding="utf-8")
    items = []
    for key, question, phrases in GUIDE_QUESTIONS:
        missing = [p for p in phrases if p not in text]
        if missing:
            raise RuntimeError(f"guide lacks {missing}")
        items.append(gold_item(f"guide-{key}", "guide", question, contains=phrases, source=GUIDE_NAME))
    return items


# ---------------------------------------------------------------------------
# Catalogue, restricted and unanswerable gold items
# ---------------------------------------------------------------------------

_LOOKUP_QUESTIONS = (
    "档号{q}是什么档案？",
    "帮我查一下{q}这一卷（件）的题名。",
    "{q}对应的是哪份档案？",
    "请问档号为{q}的档案标题是什么？",
)


# How staff type a 档号; a lookup must normalise all of these to the catalogue's row.
QUERY_FORMS: dict[str, Callable[[str], str]] = {
    "plain": lambda c: c,
    "fullwidth": to_fullwidth,
    "unpadded": unpad_last,
    "spaced": lambda c: c.replace("·", " · "),
    "lower": str.lower,
    "yongjiu": lambda c: c.replace("-Y-", "-永久-"),
}
_FORM_NEEDS = {"spaced": "·", "lower": "·", "yongjiu": "-Y-"}


def catalogue_items(ctx: Ctx, catalogues: list[tuple[str, list[Record], list[str]]]) -> list[dict]:
    """Look-ups of open rows by 档号, one per wanted form ("messy" = a messy row asked cleanly)."""
    rng = ctx.rng("catalogue-gold")
    items = []
    for source, records, forms in catalogues:
        open_rows = [r for r in records if r.is_open]
        messy = [r for r in open_rows if r.code != r.clean_code]
        clean = [r for r in open_rows if r.code == r.clean_code]
        rng.shuffle(messy)
        rng.shuffle(clean)
        for form in forms:
            if form == "messy":
                r = messy.pop()
                query = r.clean_code  # normalisation must work on the catalogue side too
            else:
                r = next(r for r in clean if _FORM_NEEDS.get(form, "") in r.code)
                clean.remove(r)
                query = QUERY_FORMS[form](r.code)
            question = _LOOKUP_QUESTIONS[len(items) % len(_LOOKUP_QUESTIONS)].format(q=query)
            items.append(
                gold_item(
                    f"cat-{len(items) + 1:02d}",
                    "catalogue",
                    question,
                    contains=[r.title],
                    source=source,
                    code=r.code,
                )
            )
    return items


_RESTRICTED_BY_CODE = ("我想看一下档号{q}的档案。", "请帮我调阅{q}。", "{q}这份档案讲的是什么？")
_RESTRICTED_BY_WORDS = ("我想查阅关于{k}的档案，能给我看看吗？", "请帮我找一下{k}的那份材料。")


def restricted_items(ctx: Ctx, catalogues: list[tuple[str, list[Record]]]) -> list[dict]:
    """Readers (and, for classified rows, staff) asking for what they may not see."""
    rng = ctx.rng("restricted-gold")
    # (kind, by code, by words) per catalogue: reader requests
    plan = {
        0: (("personal", 2, 2), ("deferred", 2, 1), ("unreviewed", 2, 0), ("secret", 0, 1)),
        1: (("personal", 1, 1), ("deferred", 0, 1), ("unreviewed", 1, 0), ("secret", 0, 1)),
    }
    items: list[dict] = []
    used: set[str] = set()
    for idx, (_source, records) in enumerate(catalogues):
        for kind, by_code, by_words in plan[idx]:
            pool = [r for r in records if r.kind == kind and r.code not in used]
            rows = rng.sample(pool, min(len(pool), by_code + by_words))
            for i, r in enumerate(rows):
                used.add(r.code)
                items.append(_restricted(r, "reader", i < by_code, len(items)))
    secrets = [r for _s, recs in catalogues for r in recs if r.secret and r.code not in used]
    for i, r in enumerate(rng.sample(secrets, 3)):
        items.append(_restricted(r, "staff", i != 1, len(items)))
    return items


def _restricted(r: Record, role: str, by_code: bool, n: int) -> dict:
    if by_code or not r.keyword:
        question = _RESTRICTED_BY_CODE[n % len(_RESTRICTED_BY_CODE)].format(q=r.clean_code)
    else:
        question = _RESTRICTED_BY_WORDS[n % len(_RESTRICTED_BY_WORDS)].format(k=r.keyword)
    return gold_item(f"res-{n + 1:02d}", "restricted", question, role=role, forbidden=[r.code, r.title])


def unanswerable_items(ctx: Ctx, vol_qzh: str, item_qzh: str, codes: set[str]) -> list[dict]:
    y0, y_last = ctx.years[0], ctx.years[-1]
    other_qzh = next(q for q in ("77", "93", "15") if q != vol_qzh)
    ghost_codes = [f"{vol_qzh}-9-0999", f"{item_qzh}-WS·{y0 - 8}-Y-BGS-0999", f"{other_qzh}-1-0001"]
    if codes.intersection(ghost_codes):
        raise RuntimeError("a ghost 档号 exists")
    questions = [
        f"{y0 - 5}年度人员经费是多少万元？",
        f"{y0 - 5}年接待查档多少人次？",
        f"{y_last + 1}年度项目支出是多少万元？",
        "档案馆有多少个停车位？",
        "馆里职工食堂每餐的伙食标准是多少钱？",
        "馆藏恐龙化石一共有多少件？",
        "档案馆馆长的手机号码是多少？",
        f"{y_last}年档案馆接待外宾多少人次？",
        *(f"档号{c}是什么档案？" for c in ghost_codes),
    ]
    return [
        gold_item(f"una-{i:02d}", "unanswerable", q, role="staff" if i % 3 else "reader")
        for i, q in enumerate(questions, 1)
    ]


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------


def _clean_out(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for path in out.iterdir():
        if path.is_file() and path.suffix in _GENERATED_SUFFIXES:
            path.unlink()


def _fonds_numbers(ctx: Ctx) -> tuple[str, str]:
    rng = ctx.rng("fonds")
    return str(rng.randint(21, 69)), f"{rng.choice('JX')}{rng.randint(1, 40):03d}"


def build_catalogues(ctx: Ctx, out: Path, names: Names) -> tuple[list[tuple[str, list[Record]]], str, str]:
    vol_qzh, item_qzh = _fonds_numbers(ctx)
    volumes = make_volume_catalogue(ctx, vol_qzh, names)
    csv_name = f"全宗{vol_qzh}_{ctx.county}劳动局_案卷级目录.csv"
    write_volume_csv(out / csv_name, volumes)

    seen: set[str] = set()
    new = ItemSheet(
        "2011-2020年",
        2011,
        2020,
        86,
        True,
        _PLANS_NEW,
        (("personal", 6), ("deferred", 1), ("secret", 3)),
    )
    old = ItemSheet(
        "2001-2010年",
        2001,
        2010,
        64,
        False,
        _PLANS_OLD,
        (("personal", 4), ("deferred", 2), ("secret", 1)),
    )
    new_rows = make_item_sheet(ctx, item_qzh, new, names, seen)
    old_rows = make_item_sheet(ctx, item_qzh, old, names, seen)
    rng = ctx.rng("item-status")
    _mark_unreviewed(rng, [r for r in new_rows if r.kind == "open" and r.year >= 2018], 4)
    _mark_unreviewed(rng, [r for r in old_rows if r.kind == "open"], 2)
    mess_up(rng, old_rows, 8)
    xlsx_name = f"{item_qzh}_{ctx.county}人民政府办公室_文件级目录.xlsx"
    write_item_xlsx(
        out / xlsx_name,
        f"{item_qzh} {ctx.county}人民政府办公室 文件级目录",
        [(new, new_rows, False), (old, old_rows, True)],
    )
    return [(csv_name, volumes), (xlsx_name, new_rows + old_rows)], vol_qzh, item_qzh


def build_corpus(
    out_dir: Path,
    *,
    seed: int = 0,
    years: tuple[int, ...] = (2021, 2022, 2023),
    county: str = "青山县",
) -> list[dict]:
    """Write the whole corpus into ``out_dir`` and return (and write) its gold items."""
    if not years:
        raise ValueError("years must not be empty")
    ctx = Ctx(seed, tuple(sorted(set(years))), county)
    out = Path(out_dir)
    _clean_out(out)
    names = Names(ctx.rng("names"))

    catalogues, vol_qzh, item_qzh = build_catalogues(ctx, out, names)
    series = year_series(ctx)
    mid_year = ctx.years[len(ctx.years) // 2]
    # The project digitised catalogue 1 of the labour fonds and the office's items, so
    # its table agrees with the catalogues we ship.
    volumes, items = catalogues[0][1], catalogues[1][1]
    fonds = [
        (vol_qzh, f"{county}劳动局", sum(r.extra["目录号"] == "1" for r in volumes), 0),
        (item_qzh, f"{county}人民政府办公室", 0, len(items)),
    ]
    fonds += [(str(no), name.format(county=county), 0, 0) for name, no in _OTHER_FONDS if str(no) != vol_qzh][:3]

    gold = build_perf_reports(ctx, out, series)
    gold += build_acceptance(ctx, out, series[mid_year], fonds, names)
    gold += build_summary(ctx, out, ctx.years[-1])
    lookups = catalogue_items(
        ctx,
        [
            (catalogues[0][0], catalogues[0][1], ["plain", "fullwidth", "unpadded"] * 2 + ["plain"]),
            (catalogues[1][0], catalogues[1][1], ["messy", "messy", *QUERY_FORMS]),
        ],
    )
    gold += lookups
    gold += restricted_items(ctx, catalogues)
    all_codes = {r.code for _s, recs in catalogues for r in recs}
    all_codes |= {r.clean_code for _s, recs in catalogues for r in recs}
    gold += unanswerable_items(ctx, vol_qzh, item_qzh, all_codes)
    example_vol = next(r.code for r in catalogues[0][1] if r.is_open)
    example_item = next(r.code for r in catalogues[1][1] if r.is_open)
    gold += build_guide(ctx, out, example_vol, example_item)

    with (out / GOLD_NAME).open("w", encoding="utf-8") as fh:
        for item in gold:
            fh.write(json.dumps(item, ensure_ascii=False) + "\n")
    from corpora.build_followups import write_followup_gold  # it builds on this module's figures

    write_followup_gold(out, ctx)
    return gold


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--years", type=int, nargs="+", default=[2021, 2022, 2023])
    parser.add_argument("--county", default="青山县")
    args = parser.parse_args(argv)
    gold = build_corpus(args.out, seed=args.seed, years=tuple(args.years), county=args.county)
    counts: dict[str, int] = {}
    for item in gold:
        counts[item["type"]] = counts.get(item["type"], 0) + 1
    print(f"wrote {args.out}: {len(gold)} gold items {counts}")


if __name__ == "__main__":
    main()
