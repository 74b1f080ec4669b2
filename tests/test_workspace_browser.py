"""The workspace of issue 17 in a real browser, as an archivist uses it: example questions on an
empty conversation, a follow-up shown as it was understood, a conversation that survives a
reload and is resumed, renamed and deleted, a trend answer with its table and chart, a refusal
with its hint (after a reload too), the filter badge and a refusal under a filter, a citation
chip that opens the highlighted page of a scan or a DOCX paragraph in context, 👍/👎 with a
comment that ends up in the export, the 1366×768 layout, Chinese toasts and tooltips (zh-CN and
en-US browsers), upload progress per OCR page, the document library's delete (the deleted report
vanishes from answers) and the admin page. One server and one browser for the module (~2 min);
the tests run in file order, the deletion last. With UPDATE_SCREENSHOTS=1 (`make screenshots`)
the workspace pages are saved to docs/screenshots/.
"""

from __future__ import annotations

import csv
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec

from assistant.index import conversations
from assistant.models import NO_EVIDENCE_ANSWER, Role
from tests.app_server import App, running_app
from tests.scan_fixtures import REPORT_PAGE, SECOND_PAGE, page_image, save_pdf
from tests.test_ui_browser import (  # noqa: F401 - fixtures
    STAFF,
    ask,
    browser,
    chromium,
    log_in,
    shots,
    text_in,
    wait,
)
from tests.ui_fixtures import SCAN_FACT, SCAN_NAME, write_workspace_corpus

EARLIER_REPORT = "2022年档案馆工作总结.md"
EARLIER_TEXT = "# 2022年档案馆工作总结\n\n## 一、查阅利用\n\n2022年全年接待查档利用者1190人次，调阅档案3012卷次。\n"
FIRST_QUESTION = "2023年接待查档多少人次？"  # an example the index offers
ENGLISH = re.compile(r"[A-Za-z]{3,}")
ADMIN = ("管理员丙", "admin-pass-1")
DOCX_NAME = "2021年档案馆安全工作记录.docx"
DOCX_PARAGRAPHS = [
    "一、库房管理",
    "2021年库房温湿度每日记录两次，全年未发生安全事故。",
    "二、设备更新",
    "2021年更换库房除湿机6台，更换灭火器24具。",
    "三、安全培训",
    "2021年组织全馆安全培训3次。",
]
MULTI_PAGE_SCAN = "2020年工作总结（扫描件，三页）.pdf"


def write_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_heading("2021年档案馆安全工作记录", 0)
    for text in DOCX_PARAGRAPHS:
        if text.endswith("。"):
            document.add_paragraph(text)
        else:
            document.add_heading(text, 1)
    document.save(str(path))
    return path


def write_corpus(folder: Path) -> Path:
    """The workspace corpus (a report, a catalogue, a PDF, a scan), the year before's report and a DOCX."""
    write_workspace_corpus(folder)
    (folder / EARLIER_REPORT).write_text(EARLIER_TEXT, encoding="utf-8")
    write_docx(folder / DOCX_NAME)
    return folder


def tooltips(driver: WebDriver) -> list[str]:
    """The tooltips of what is shown, and the progress bars' text. Not aria-labels: Gradio's chat
    names its messages for screen readers in English ("user's message"), which no CSS reaches."""
    script = (
        "return [...document.querySelectorAll('[title], [aria-valuetext]')]"
        ".filter(e => e.offsetParent !== null)"
        ".map(e => [e.getAttribute('title'), e.getAttribute('aria-valuetext')]"
        ".filter(Boolean).join(' | '))"
    )
    return driver.execute_script(script)


def english_in(texts: list[str]) -> list[str]:
    """The texts with an English word (file names' extensions aside)."""
    return [text for text in texts if ENGLISH.search(re.sub(r"\.(pdf|docx|md|csv|png)\b", "", text))]


def toast_texts(driver: WebDriver) -> list[str]:
    """Each toast shown: its title as drawn (Gradio's own is hidden, ours drawn by CSS) and its text."""
    script = (
        "return [...document.querySelectorAll('.toast-body')].map(t => {"
        "const title = t.querySelector('.toast-title');"
        "const drawn = title ? getComputedStyle(title, '::before').content : '';"
        "const size = title ? getComputedStyle(title).fontSize : '';"
        "const text = t.querySelector(\"[data-testid='toast-text']\");"
        "return [size === '0px' ? drawn : (title ? title.innerText : ''), text ? text.innerText : ''].join(' ');})"
    )
    return driver.execute_script(script)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    users = [(*STAFF, Role.STAFF), (*ADMIN, Role.ADMIN)]
    root = tmp_path_factory.mktemp("workspace-browser")
    with running_app(root, users, corpus=write_corpus, ocr_workers=1) as running:
        yield running


@pytest.fixture(scope="module")
def staff(app: App, browser: WebDriver) -> WebDriver:  # noqa: F811 - the fixture imported above
    browser.set_window_size(1366, 768)
    log_in(browser, app.url, STAFF)
    return browser


def last_reply(driver: WebDriver) -> WebElement | None:
    """The newest message of the chat (None while the chat shows none)."""
    shown = driver.find_elements(By.CSS_SELECTOR, "#chat .message")
    return shown[-1] if shown else None


def reply_text(driver: WebDriver) -> str:
    reply = last_reply(driver)
    return reply.text if reply else ""


def click(driver: WebDriver, xpath: str, what: str) -> None:
    wait(driver).until(ec.element_to_be_clickable((By.XPATH, xpath)), what).click()


def conversation_labels(driver: WebDriver) -> list[str]:
    return [label.text for label in driver.find_elements(By.CSS_SELECTOR, "#conversations label")]


def test_examples_follow_ups_and_a_conversation_that_survives_a_reload(app: App, staff: WebDriver, shots: Path) -> None:  # noqa: F811
    # An empty conversation offers questions built from what the index holds; one click asks it.
    click(staff, f"//*[@id='chat']//button[contains(., '{FIRST_QUESTION}')]", "the example question")
    wait(staff).until(lambda d: "1234人次" in reply_text(d), "the example's answer")

    reply = ask(staff, "那2022年呢", "1190人次")
    assert "理解为：2022年接待查档多少人次" in reply_text(staff)  # how the follow-up was read
    assert "1190人次" in reply

    # The 1366×768 window: the question box in view without scrolling, the newest answer too.
    box = staff.find_element(By.CSS_SELECTOR, "#question textarea")
    bottom, height = staff.execute_script(
        "return [arguments[0].getBoundingClientRect().bottom, window.innerHeight]", box
    )
    assert bottom <= height, (bottom, height)
    staff.save_screenshot(str(shots / "workspace-1366x768.png"))

    staff.refresh()  # a reload opens the same conversation, listed in the side panel
    wait(staff).until(text_in("chat", "那2022年呢"), "the resumed conversation")
    assert "1190人次" in staff.find_element(By.ID, "chat").text
    assert any(label.startswith("2023年接待查档多少人次") for label in conversation_labels(staff))
    staff.save_screenshot(str(shots / "conversations.png"))

    click(staff, "//*[@id='new-chat']", "新对话")
    wait(staff).until(lambda d: "那2022年呢" not in d.find_element(By.ID, "chat").text, "an empty chat")
    click(staff, "//*[@id='conversations']//label[contains(., '2023年接待查档多少人次')]", "the stored conversation")
    wait(staff).until(text_in("chat", "那2022年呢"), "the conversation opened from the list")

    click(staff, "//*[@id='conv-actions']//button[contains(., '重命名或删除')]", "the conversation actions")
    shown = ec.visibility_of_element_located((By.CSS_SELECTOR, "#conv-title input, #conv-title textarea"))
    title = wait(staff).until(shown, "the title box in the opened accordion")  # it opens with a delay under load
    title.clear()
    title.send_keys("查档人次两年对比")
    click(staff, "//*[@id='rename']", "重命名")
    wait(staff).until(lambda d: any("查档人次两年对比" in t for t in conversation_labels(d)), "the new title")

    click(staff, "//*[@id='delete-chat']", "删除当前对话")
    click(staff, "//*[@id='confirm-delete-chat']", "确认删除")
    wait(staff).until(text_in("conv-note", "已删除该对话"), "the deletion")
    assert not any("查档人次两年对比" in t for t in conversation_labels(staff))


def test_a_trend_answer_shows_its_table_and_chart_and_a_refusal_its_hint(staff: WebDriver) -> None:
    ask(staff, "近两年接待查档人次有什么变化", "比2022年增加44人次")
    reply = last_reply(staff)
    assert reply is not None
    cells = [cell.text for cell in reply.find_elements(By.CSS_SELECTOR, "table td")]
    assert cells[:3] == ["2022", "1190人次", "[1]"] and cells[3:5] == ["2023", "1234人次"]
    chart = reply.find_element(By.CSS_SELECTOR, "img[src^='data:image/svg+xml']")
    wait(staff).until(lambda d: d.execute_script("return arguments[0].naturalWidth", chart) > 100, "the chart drawn")

    ask(staff, "2019年接待查档多少人次", NO_EVIDENCE_ANSWER)
    hint = "线索：馆藏资料中有2022、2023年的相关内容"
    assert hint in reply_text(staff)

    staff.refresh()  # the resumed conversation shows the refusal as it was first shown, hint and all
    wait(staff).until(lambda d: NO_EVIDENCE_ANSWER in reply_text(d), "the resumed refusal")
    assert hint in reply_text(staff)


def test_the_filter_badge_shows_and_a_refusal_under_a_filter_says_so(staff: WebDriver) -> None:
    click(staff, "//*[@id='filters']//button[contains(., '筛选条件')]", "the filters")
    fonds = wait(staff).until(ec.visibility_of_element_located((By.CSS_SELECTOR, "#fonds input, #fonds textarea")))
    fonds.send_keys("99")
    wait(staff).until(text_in("filter-badge", "已启用筛选：全宗 99"), "the badge")
    badge = staff.find_element(By.ID, "filter-badge")
    box = staff.find_element(By.CSS_SELECTOR, "#question textarea")
    assert badge.rect["y"] + badge.rect["height"] <= box.rect["y"]  # above the question box

    ask(staff, "2023年接待查档多少人次", NO_EVIDENCE_ANSWER)
    assert "本次检索启用了筛选条件（全宗 99）" in reply_text(staff) and "1234" not in reply_text(staff)

    fonds.clear()
    fonds.send_keys(" ")  # an emptied box: no filter, no badge
    wait(staff).until(lambda d: "已启用筛选" not in d.find_element(By.ID, "filter-badge").text, "the badge gone")
    ask(staff, "2023年接待查档多少人次", "1234人次")
    assert "筛选条件" not in reply_text(staff)


def test_a_citation_chip_opens_the_highlighted_page_of_a_scan(staff: WebDriver, shots: Path) -> None:  # noqa: F811
    ask(staff, "2021年举办档案展览几次", SCAN_FACT)
    click(staff, f"//*[@id='chat']//button[contains(., '[1] {SCAN_NAME} 第1页')]", "the citation chip")
    image = wait(staff).until(ec.visibility_of_element_located((By.CSS_SELECTOR, "#page img")), "the page image")
    wait(staff).until(lambda d: d.execute_script("return arguments[0].naturalWidth", image) > 500, "image loaded")
    assert "底色标出引用段落" in staff.find_element(By.ID, "page-caption").text
    staff.save_screenshot(str(shots / "source-scan.png"))


def test_a_docx_citation_opens_its_paragraph_in_context_without_a_page_preview(staff: WebDriver) -> None:
    ask(staff, "2021年更换库房除湿机几台", "6台")
    click(staff, f"//*[@id='chat']//button[contains(., '[1] {DOCX_NAME}')]", "the DOCX citation chip")
    wait(staff).until(text_in("page-caption", "没有页面图像"), "the paragraph in context")
    caption = staff.find_element(By.ID, "page-caption")
    assert [strong.text for strong in caption.find_elements(By.CSS_SELECTOR, "strong")] == [DOCX_PARAGRAPHS[3]]
    assert DOCX_PARAGRAPHS[1] in caption.text or DOCX_PARAGRAPHS[5] in caption.text  # a paragraph around it
    assert not staff.find_elements(By.CSS_SELECTOR, "#page img")  # no page image offered, none drawn
    assert staff.find_element(By.ID, "page").text.strip() == ""


def test_a_thumbs_down_with_a_comment_is_stored_and_exported(app: App, staff: WebDriver, tmp_path: Path) -> None:
    ask(staff, "2022年数字化扫描多少页", "8600")
    click(staff, "//*[@id='rate-down']", "👎")
    comment = wait(staff).until(
        ec.visibility_of_element_located((By.CSS_SELECTOR, "#feedback-text textarea, #feedback-text input")),
        "the comment box",
    )
    comment.send_keys("应当注明是验收报告里的数字")
    click(staff, "//*[@id='feedback-send']", "提交意见")
    wait(staff).until(text_in("conv-note", "已记录您的意见"), "the comment stored")

    out = tmp_path / "评价.csv"
    with closing(sqlite3.connect(app.index_dir / "assistant.sqlite3")) as conn:
        assert conversations.export_feedback_csv(conn, out) >= 1
    rows = [row for row in csv.reader(out.open(encoding="utf-8-sig")) if row[2] == STAFF[0]]
    assert rows[-1][3:5] == ["👎 没用", "应当注明是验收报告里的数字"] and rows[-1][6] == "2022年数字化扫描多少页"


def test_toasts_and_tooltips_are_in_chinese(staff: WebDriver) -> None:
    english = english_in(tooltips(staff))
    assert not english, english  # the chat's copy button, the answer's buttons, the inputs

    staff.find_element(By.ID, "ask").click()  # no question typed
    toast = wait(staff).until(
        ec.visibility_of_element_located((By.CSS_SELECTOR, ".toast-body, [data-testid='toast-body']")), "the toast"
    )
    wait(staff).until(lambda _: "请输入问题" in toast.text, "the toast's message")
    message = toast.find_element(By.CSS_SELECTOR, "[data-testid='toast-text']").text
    assert message == "请输入问题。" and not ENGLISH.search(message)
    # Gradio's own English title ("Error") is hidden and a Chinese one drawn by the page's CSS.
    title = toast.find_element(By.CSS_SELECTOR, ".toast-title")
    assert staff.execute_script("return getComputedStyle(arguments[0], '::before').content", title) == '"提示"'
    assert staff.execute_script("return getComputedStyle(arguments[0]).fontSize", title) == "0px"
    toast.find_element(By.CSS_SELECTOR, "[data-testid='toast-close']").click()

    click(staff, "//*[@id='new-chat']", "新对话")
    wait(staff).until(lambda d: "除湿机" not in d.find_element(By.ID, "chat").text, "an empty chat")
    click(staff, "//*[@id='rate-up']", "👍 with no answer yet")
    wait(staff).until(lambda d: any("请先提问" in t for t in toast_texts(d)), "the toast")
    assert not english_in(toast_texts(staff)), toast_texts(staff)


def test_upload_progress_moves_per_file_and_per_ocr_page(staff: WebDriver, shots: Path, tmp_path: Path) -> None:  # noqa: F811
    pages = [page_image(lines, seed=20 + n) for n, lines in enumerate((REPORT_PAGE, SECOND_PAGE, REPORT_PAGE[:2]))]
    scan = save_pdf(tmp_path / MULTI_PAGE_SCAN, pages)
    click(staff, "//button[@role='tab'][normalize-space()='文档库']", "文档库")
    chooser = wait(staff).until(ec.presence_of_element_located((By.CSS_SELECTOR, "#upload-files input[type=file]")))
    chooser.send_keys(str(scan))
    wait(staff).until(text_in("upload-files", MULTI_PAGE_SCAN[:8]), "the chosen file")
    # Every state of the progress bars as the browser draws it, in order.
    staff.execute_script(
        "window.__seen = [];"
        "const note = () => { for (const bar of document.querySelectorAll('[aria-valuetext]')) {"
        "  const said = bar.getAttribute('aria-valuetext');"
        "  if (said && window.__seen[window.__seen.length - 1] !== said) window.__seen.push(said); } };"
        "window.__watch = new MutationObserver(note);"
        "window.__watch.observe(document.body, {subtree: true, childList: true, attributes: true,"
        " attributeFilter: ['aria-valuetext']});"
    )
    click(staff, "//*[@id='upload']", "上传并导入")
    wait(staff).until(text_in("upload-result", f"✓ {MULTI_PAGE_SCAN}：已导入"), "the ingest")
    seen = staff.execute_script("window.__watch.disconnect(); return window.__seen;")
    pages_seen = [said for said in seen if said.startswith("文字识别")]
    assert pages_seen[-1] == "文字识别: 3 / 3 页" or "文字识别: 2 / 3 页" in pages_seen, seen
    # Gradio draws the same bar in more than one place, so a later state of one may come before
    # an earlier state of another: each count's first appearance is what moves forwards.
    counts = list(dict.fromkeys(int(said.split(": ")[1].split(" /")[0]) for said in pages_seen))
    assert counts == sorted(counts) and len(counts) >= 2, seen  # it moved, page by page, forwards
    assert any(said.startswith(("导入", "正在导入")) for said in seen), seen  # and per file
    assert not english_in(seen), seen
    staff.save_screenshot(str(shots / "library.png"))
    click(staff, "//button[@role='tab'][normalize-space()='对话']", "对话")


def test_a_report_deleted_in_the_library_vanishes_from_answers(app: App, staff: WebDriver) -> None:
    click(staff, "//button[@role='tab'][normalize-space()='文档库']", "文档库")
    row = f"//*[@id='library']//span[normalize-space()='{EARLIER_REPORT}']"  # the cell's text
    wait(staff).until(ec.visibility_of_element_located((By.XPATH, row)), "the listed report")
    staff.find_element(By.XPATH, row).click()
    wait(staff).until(text_in("lib-selected", EARLIER_REPORT), "the selected report")
    click(staff, "//*[@id='lib-delete']", "删除")
    click(staff, "//*[@id='lib-confirm-delete']", "确认删除")
    wait(staff).until(text_in("lib-result", f"已删除 {EARLIER_REPORT}"), "the deletion")
    wait(staff).until(lambda d: not d.find_elements(By.XPATH, row), "the report gone from the list")

    click(staff, "//button[@role='tab'][normalize-space()='对话']", "对话")
    ask(staff, "2022年接待查档多少人次", NO_EVIDENCE_ANSWER)
    assert EARLIER_REPORT not in staff.find_element(By.ID, "sources").text
    # The trend is drawn from the years left (an earlier test uploaded a 2020 scan): never 2022's.
    ask(staff, "近两年接待查档人次有什么变化", "接待查档人次：")
    reply = reply_text(staff)
    assert "1190" not in reply and "2022年" not in reply, reply
    assert EARLIER_REPORT not in staff.find_element(By.ID, "sources").text
    with closing(sqlite3.connect(app.index_dir / "assistant.sqlite3")) as conn:
        sentences = [row[0] for row in conn.execute("SELECT sentence FROM figures")]
    assert sentences and not [s for s in sentences if "1190" in s]  # gone from the figures table too


def test_the_admin_page_and_an_english_browser_see_chinese_only(app: App, staff: WebDriver, shots: Path) -> None:  # noqa: F811
    log_in(staff, app.url, ADMIN)
    click(staff, "//button[@role='tab'][normalize-space()='管理']", "管理")
    wait(staff).until(ec.visibility_of_element_located((By.ID, "admin-panel")), "the admin page")
    staff.save_screenshot(str(shots / "admin.png"))

    with chromium("en-US") as english:  # our text, and Gradio's on our pages, is Chinese whatever the locale
        english.set_window_size(1366, 768)
        log_in(english, app.url, STAFF, chinese_browser=False)
        ask(english, "2023年接待查档多少人次", "1234人次")
        english.find_element(By.ID, "ask").click()  # no question typed: a toast
        wait(english).until(lambda d: any("请输入问题" in t for t in toast_texts(d)), "the toast")
        shown = tooltips(english) + toast_texts(english)
        assert not english_in(shown), english_in(shown)
