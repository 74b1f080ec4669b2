"""Tests for corpora/build_sample.py: the files it writes and the gold set it derives.

Everything is built into temporary folders; the committed corpora/sample is not read.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
import time
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # corpora/ is a namespace package at the repo root

from corpora.build_sample import build_corpus  # noqa: E402

YEARS = (2021, 2022, 2023)
GOLD_KEYS = {
    "id",
    "type",
    "question",
    "role",
    "expect_status",
    "expect_contains",
    "expect_source",
    "expect_page",
    "expect_archival_code",
    "forbidden",
}
H1 = ("一", "二", "三", "四", "五", "六", "七", "八")
HEADING_RE = re.compile(r"^(?:[一二三四五六七八]、|（[一二三四五六]）)\S+$")
FOOTER_RE = re.compile(r"^- \d+ -$")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict], float]:
    out = tmp_path_factory.mktemp("sample")
    start = time.perf_counter()
    gold = build_corpus(out)
    return out, gold, time.perf_counter() - start


@pytest.fixture(scope="module")
def out(built: tuple[Path, list[dict], float]) -> Path:
    return built[0]


@pytest.fixture(scope="module")
def gold(built: tuple[Path, list[dict], float]) -> list[dict]:
    return built[1]


@pytest.fixture(scope="module")
def other_seed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    out = tmp_path_factory.mktemp("seed1")
    return out, build_corpus(out, seed=1)


def pdf_pages(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def body_text(pages: list[str]) -> str:
    """All pages as one string without footers or line breaks (lines wrap mid-phrase)."""
    lines = [ln for page in pages for ln in page.splitlines() if not FOOTER_RE.match(ln.strip())]
    return "".join(lines)


def headings(pages: list[str]) -> list[str]:
    return [ln.strip() for page in pages for ln in page.splitlines() if HEADING_RE.match(ln.strip())]


def norm_code(text: str) -> str:
    """Normalise an 档号 (or a question holding one) the way a lookup must."""
    text = unicodedata.normalize("NFKC", text).replace(" ", "").replace("永久", "Y").upper()
    return re.sub(r"(?<=-)0+(?=\d)", "", text)


def only(out: Path, pattern: str) -> Path:
    matches = sorted(out.glob(pattern))
    assert len(matches) == 1, (pattern, matches)
    return matches[0]


def read_csv_catalogue(out: Path) -> list[dict[str, str]]:
    raw = only(out, "*.csv").read_bytes()
    return list(csv.DictReader(io.StringIO(raw.decode("gbk"))))


def read_xlsx_catalogue(out: Path) -> list[dict[str, object]]:
    """Item rows of both sheets under the new-style column names."""
    wb = load_workbook(only(out, "*.xlsx"))
    rename = {"DH": "档号", "TM": "题名", "ZRZ": "责任者", "ND": "年度", "BGQX": "保管期限", "YS": "页数", "MJ": "密级"}
    rows = []
    for ws in wb.worksheets:
        values = list(ws.iter_rows(values_only=True))
        header = [rename.get(h, h) for h in values[1]]
        rows += [dict(zip(header, row, strict=True)) for row in values[2:]]
    return rows


def catalogue_index(out: Path) -> dict[str, tuple[str, str, str]]:
    """档号 as written -> (title, open status, 密级) over both catalogues."""
    index = {r["档号"]: (r["案卷题名"], r["开放状态"], r["密级"]) for r in read_csv_catalogue(out)}
    for r in read_xlsx_catalogue(out):
        index[str(r["档号"])] = (str(r["题名"]), str(r["开放标识"]), r["密级"] or "")
    return index


# --- files -----------------------------------------------------------------


def test_builds_quickly_and_writes_every_file(built: tuple[Path, list[dict], float]) -> None:
    out, _gold, seconds = built
    assert seconds < 30
    for year in YEARS:
        assert (out / f"{year}年度部门整体支出绩效评价报告.pdf").is_file()
    assert (out / "2022年馆藏档案数字化项目验收报告.pdf").is_file()
    assert (out / "2023年度工作总结.docx").is_file()
    assert (out / "新进人员入门指南.md").is_file()
    assert (out / "gold.jsonl").is_file()
    only(out, "*.csv")
    only(out, "*.xlsx")
    assert sum(p.stat().st_size for p in out.iterdir()) < 3 * 1024 * 1024


def test_same_arguments_give_identical_files(out: Path, tmp_path: Path) -> None:
    build_corpus(tmp_path)
    for path in sorted(out.iterdir()):
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


# --- performance reports ------------------------------------------------------


def test_reports_share_headings_but_not_figures(out: Path) -> None:
    per_year = {y: pdf_pages(out / f"{y}年度部门整体支出绩效评价报告.pdf") for y in YEARS}
    outlines = {y: headings(pages) for y, pages in per_year.items()}
    first = outlines[YEARS[0]]
    assert [h[0] for h in first if h[1] == "、"] == list(H1)
    assert "（三）人员情况" in first
    assert "（四）档案信息化建设" in first
    for year in YEARS:
        assert 4 <= len(per_year[year]) <= 6
        assert outlines[year] == first
    texts = {y: body_text(p) for y, p in per_year.items()}
    staff_cost = {re.search(r"人员经费(\d+\.\d{2})万元", t).group(1) for t in texts.values()}
    assert len(staff_cost) == len(YEARS)
    assert "本部门无政府性基金预算支出" in texts[2022]
    assert "6·9国际档案日" in texts[2022]


def test_report_pages_have_footers_and_sections_span_pages(out: Path) -> None:
    for year in YEARS:
        pages = pdf_pages(out / f"{year}年度部门整体支出绩效评价报告.pdf")
        for n, text in enumerate(pages, 1):
            assert text.strip().splitlines()[-1] == f"- {n} -"
        # A page starting mid-section (not with a heading) shows sections cross page breaks.
        continued = [p for p in pages[1:] if not HEADING_RE.match(p.strip().splitlines()[0])]
        assert continued


def _money(pattern: str, text: str) -> Decimal:
    return Decimal(re.search(pattern + r"(\d+\.\d{2})万元", text).group(1))


def test_report_arithmetic_is_consistent(out: Path) -> None:
    totals = {}
    for year in YEARS:
        text = body_text(pdf_pages(out / f"{year}年度部门整体支出绩效评价报告.pdf"))
        jiben, xiangmu = _money("基本支出", text), _money("项目支出", text)
        assert jiben == _money("人员经费", text) + _money("公用经费", text)
        assert _money("一般公共预算支出", text) == jiben + xiangmu
        m = re.search(
            r"一般公共预算支出\d+\.\d{2}万元，比上年(增加|减少)(\d+\.\d{2})万元，(?:增长|减少)([\d.]+)%", text
        )
        totals[year] = (jiben + xiangmu, m.group(1), Decimal(m.group(2)), Decimal(m.group(3)))
    for year in YEARS[1:]:
        total, direction, diff, pct = totals[year]
        prev = totals[year - 1][0]
        assert (total - prev) == (diff if direction == "增加" else -diff)
        assert pct == (abs(total - prev) * 100 / prev).quantize(Decimal("0.01"))


# --- other documents -------------------------------------------------------------


def test_acceptance_report_and_work_summary(out: Path) -> None:
    pages = pdf_pages(out / "2022年馆藏档案数字化项目验收报告.pdf")
    assert 2 <= len(pages) <= 3
    text = body_text(pages)
    for phrase in ("项目完成情况", "扫描图像", "目录著录", "合同金额", "实际支付", "验收结论"):
        assert phrase in text
    doc = Document(str(out / "2023年度工作总结.docx"))
    styles = {p.style.name for p in doc.paragraphs}
    assert {"Heading 1", "Heading 2", "Normal"} <= styles
    assert any(re.search(r"接收进馆档案\d+卷", p.text) for p in doc.paragraphs)


def test_guide_covers_the_onboarding_topics(out: Path) -> None:
    text = (out / "新进人员入门指南.md").read_text(encoding="utf-8")
    assert text.startswith("# ")
    assert len(re.findall(r"^## ", text, re.M)) >= 8
    for phrase in (
        "全宗号",
        "38-1-",
        "WS·",
        "D30",
        "永久",
        "接收进馆",
        "价值鉴定",
        "开放鉴定",
        "八防",
        "14～24℃",
        "45%～60%",
        "25年",
    ):
        assert phrase in text, phrase


# --- catalogues ----------------------------------------------------------------------


def test_csv_catalogue_is_gbk_with_the_expected_mix(out: Path) -> None:
    raw = only(out, "*.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    rows = read_csv_catalogue(out)
    assert list(rows[0]) == [
        "全宗号", "目录号", "案卷号", "档号", "案卷题名", "年度", "起止日期",
        "保管期限", "页数", "密级", "开放状态", "责任者", "备注",
    ]  # fmt: skip
    assert 180 <= len(rows) <= 220
    fonds = rows[0]["全宗号"]
    for r in rows:
        assert re.fullmatch(rf"{fonds}-[123]-\d{{4}}", r["档号"])
        assert 1960 <= int(r["年度"]) <= 2005
        if r["密级"]:
            assert r["开放状态"] != "开放"
    status = [r["开放状态"] for r in rows]
    assert 0.07 <= status.count("控制使用") / len(rows) <= 0.15
    assert status.count("延期开放") >= 2
    assert status.count("未审核") >= 2
    assert 3 <= sum(bool(r["密级"]) for r in rows) <= 8
    assert any("★" in r["密级"] for r in rows)
    titles = [r["案卷题名"] for r in rows]
    assert len(set(titles)) == len(titles)
    assert sum("知识青年" in t or "知青" in t for t in titles) >= 5
    assert sum("退休" in t for t in titles) >= 5


def test_xlsx_catalogue_has_a_title_row_and_two_header_styles(out: Path) -> None:
    wb = load_workbook(only(out, "*.xlsx"))
    assert len(wb.worksheets) == 2
    new, old = wb.worksheets
    for ws in (new, old):
        merged = [str(r) for r in ws.merged_cells.ranges]
        assert merged and merged[0].startswith("A1:")
        assert "文件级目录" in ws["A1"].value
        assert ws["B1"].value is None
    assert [c.value for c in new[2]] == [
        "档号",
        "文号",
        "责任者",
        "题名",
        "日期",
        "页数",
        "密级",
        "保管期限",
        "开放标识",
        "备注",
    ]
    assert [c.value for c in old[2]] == ["DH", "TM", "ZRZ", "ND", "BGQX", "YS", "MJ", "开放标识"]
    rows = read_xlsx_catalogue(out)
    assert 140 <= len(rows) <= 160
    new_rows = list(new.iter_rows(min_row=3, values_only=True))
    assert all(re.fullmatch(r"\d{8}", row[4]) for row in new_rows)
    assert all(re.fullmatch(r"[JX]\d{3}-WS·\d{4}-(Y|D30|D10)-BGS-\d{4}", row[0]) for row in new_rows)
    codes = [str(r["档号"]) for r in rows]
    assert any(re.search(r"[０-９]", c) for c in codes)
    assert any(" · " in c or "· " in c for c in codes)
    assert any("永久" in c for c in codes)
    status = [r["开放标识"] for r in rows]
    assert {"开放", "控制", "未审核"} <= set(status)
    assert sum(bool(r["密级"]) for r in rows) >= 3


# --- gold set ------------------------------------------------------------------------


def test_gold_is_well_formed(out: Path, gold: list[dict]) -> None:
    on_disk = [json.loads(line) for line in (out / "gold.jsonl").read_text(encoding="utf-8").splitlines()]
    assert on_disk == gold
    assert len(gold) >= 70
    assert len({g["id"] for g in gold}) == len(gold)
    counts: dict[str, int] = {}
    for g in gold:
        assert set(g) == GOLD_KEYS
        counts[g["type"]] = counts.get(g["type"], 0) + 1
        assert g["role"] in ("reader", "staff", "admin")
        assert g["question"].strip()
        answered = g["type"] in ("figure", "catalogue", "guide")
        assert g["expect_status"] == ("answered" if answered else "no_evidence")
        if answered:
            assert g["expect_contains"] and g["expect_source"]
            assert (out / g["expect_source"]).is_file()
        else:
            assert g["expect_contains"] == [] and g["expect_source"] is None
    assert counts["figure"] >= 30
    assert counts["catalogue"] >= 12
    assert counts["unanswerable"] >= 10
    assert counts["restricted"] >= 12
    assert counts["guide"] >= 6
    figure_sources = {g["expect_source"] for g in gold if g["type"] == "figure"}
    assert {f"{y}年度部门整体支出绩效评价报告.pdf" for y in YEARS} <= figure_sources
    assert "2023年度工作总结.docx" in figure_sources
    assert "2022年馆藏档案数字化项目验收报告.pdf" in figure_sources


def test_figure_gold_occurs_on_its_page(out: Path, gold: list[dict]) -> None:
    cache: dict[str, list[str]] = {}
    for g in (g for g in gold if g["type"] == "figure"):
        (figure,) = g["expect_contains"]
        source = g["expect_source"]
        if source.endswith(".docx"):
            assert g["expect_page"] is None
            text = "\n".join(p.text for p in Document(str(out / source)).paragraphs)
            assert figure in text, g["id"]
            continue
        pages = cache.setdefault(source, pdf_pages(out / source))
        hits = [n for n, text in enumerate(pages, 1) if figure in text]
        assert hits and hits[0] == g["expect_page"], (g["id"], figure, hits)
        year = re.search(r"\d{4}", g["question"]).group(0)
        assert source.startswith(year), g["id"]  # the question names the report's year


def test_catalogue_gold_points_at_open_rows(out: Path, gold: list[dict]) -> None:
    index = catalogue_index(out)
    items = [g for g in gold if g["type"] == "catalogue"]
    forms = set()
    for g in items:
        assert g["role"] == "staff"
        title, status, secret = index[g["expect_archival_code"]]
        assert g["expect_contains"] == [title]
        assert status == "开放" and not secret
        assert norm_code(g["expect_archival_code"]) in norm_code(g["question"])
        query = g["question"]
        forms.add(
            "fullwidth" if re.search(r"[０-９]", query) else
            "yongjiu" if "永久" in query else
            "spaced" if " · " in query else
            "lower" if re.search(r"[a-z]{2}", query) else
            "unpadded" if not re.search(r"-\d{4}(?!\d)", query) else
            "plain"
        )  # fmt: skip
    assert {"plain", "fullwidth", "unpadded", "spaced", "yongjiu"} <= forms


def test_restricted_gold_names_rows_the_asker_may_not_see(out: Path, gold: list[dict]) -> None:
    index = catalogue_index(out)
    open_titles = {t for t, s, m in index.values() if s == "开放" and not m}
    items = [g for g in gold if g["type"] == "restricted"]
    assert sum(g["role"] == "reader" for g in items) >= 10
    assert 2 <= sum(g["role"] == "staff" for g in items) <= 3
    statuses = set()
    for g in items:
        code, title = g["forbidden"]
        row_title, status, secret = index[code]
        assert row_title == title and title not in open_titles
        statuses.add("classified" if secret else status)
        if g["role"] == "staff":
            assert secret  # staff may see 控制使用 rows, but not classified ones
        else:
            assert status != "开放" or secret
    assert {"控制使用", "延期开放", "未审核", "classified"} <= statuses


def test_unanswerable_gold_asks_for_what_is_not_there(out: Path, gold: list[dict]) -> None:
    index = {norm_code(code) for code in catalogue_index(out)}
    items = [g for g in gold if g["type"] == "unanswerable"]
    for g in items:
        m = re.search(r"档号(\S+?)是", g["question"])
        if m:
            assert norm_code(m.group(1)) not in index
        year = re.match(r"(\d{4})年", g["question"])
        if year:
            assert int(year.group(1)) not in YEARS or "外宾" in g["question"]
    assert any("停车位" in g["question"] for g in items)


def test_guide_gold_phrases_are_in_the_guide(out: Path, gold: list[dict]) -> None:
    text = (out / "新进人员入门指南.md").read_text(encoding="utf-8")
    for g in (g for g in gold if g["type"] == "guide"):
        assert g["expect_source"] == "新进人员入门指南.md"
        for phrase in g["expect_contains"]:
            assert phrase in text, (g["id"], phrase)


# --- other seeds, years and counties ---------------------------------------------------------


def test_another_seed_gives_another_archive(gold: list[dict], other_seed: tuple[Path, list[dict]]) -> None:
    other = {g["id"]: g for g in other_seed[1]}
    shared = [g for g in gold if g["type"] == "figure" and g["id"] in other]
    assert len(shared) >= 20
    changed = [g for g in shared if g["expect_contains"] != other[g["id"]]["expect_contains"]]
    assert len(changed) >= 0.8 * len(shared)
    mine = {g["expect_archival_code"] for g in gold if g["type"] == "catalogue"}
    theirs = {g["expect_archival_code"] for g in other_seed[1] if g["type"] == "catalogue"}
    assert mine != theirs


def test_another_seed_still_verifies(other_seed: tuple[Path, list[dict]]) -> None:
    out, gold = other_seed
    for g in (g for g in gold if g["type"] == "figure" and g["expect_page"]):
        pages = pdf_pages(out / g["expect_source"])
        assert g["expect_contains"][0] in pages[g["expect_page"] - 1], g["id"]


def test_other_years_and_county(tmp_path: Path) -> None:
    gold = build_corpus(tmp_path, seed=7, years=(2018, 2019), county="白石河县")
    assert (tmp_path / "2018年度部门整体支出绩效评价报告.pdf").is_file()
    assert (tmp_path / "2019年度工作总结.docx").is_file()
    assert not list(tmp_path.glob("2021*"))
    text = body_text(pdf_pages(tmp_path / "2019年度部门整体支出绩效评价报告.pdf"))
    assert "白石河县档案馆" in text and "青山县" not in text
    assert sum(g["type"] == "figure" for g in gold) >= 30
    assert any("2013年" in g["question"] for g in gold if g["type"] == "unanswerable")
