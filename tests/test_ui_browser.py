"""The real app in a real browser: login, ask, sources, page image, modes, upload, and what a reader sees.

The app runs in this process on a free loopback port over a temporary index; Debian's chromium
drives it headless. Screenshots go to docs/screenshots/ when UPDATE_SCREENSHOTS=1, else to tmp.
"""

from __future__ import annotations

import csv
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from gradio.utils import get_upload_folder
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from assistant.models import NO_EVIDENCE_ANSWER, Role
from tests.app_server import App, running_app
from tests.ui_fixtures import (
    OPEN_CODE,
    PDF_NAME,
    RESTRICTED_CODE,
    RESTRICTED_TITLE,
    UPLOAD_NAME,
    write_corpus,
    write_upload,
)

ROOT = Path(__file__).resolve().parent.parent
STAFF = ("馆员乙", "staff-pass-1")
READER = ("读者甲", "reader-pass-1")
WAIT = 30


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    users = [(*STAFF, Role.STAFF), (*READER, Role.READER)]
    with running_app(tmp_path_factory.mktemp("ui-browser"), users) as running:
        yield running


@contextmanager
def chromium(language: str = "zh-CN") -> Iterator[WebDriver]:
    """Headless Chromium whose browser language is `language` (archivists' browsers are zh-CN)."""
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        f"--lang={language}",
    ):
        options.add_argument(arg)
    profile = tempfile.TemporaryDirectory(prefix="chromium-profile-")
    options.add_argument(f"--user-data-dir={profile.name}")
    primary = language.split("-")[0]
    options.add_experimental_option("prefs", {"intl.accept_languages": f"{language},{primary}"})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # to see any CSP violation
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        profile.cleanup()


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with chromium("zh-CN") as driver:
        yield driver


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        folder = ROOT / "docs" / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    return tmp_path_factory.mktemp("screenshots")


class Waiter:
    """WebDriverWait whose timeout says what was awaited and what the page showed instead."""

    def __init__(self, driver: WebDriver) -> None:
        self.driver = driver

    def until(self, condition: Callable[[WebDriver], Any], what: str = "") -> Any:
        try:
            return WebDriverWait(self.driver, WAIT).until(condition)
        except TimeoutException:
            body = self.driver.find_element(By.TAG_NAME, "body").text
            pytest.fail(f"timed out waiting for {what or condition}; the page showed:\n{body[-1500:]}")


def wait(driver: WebDriver) -> Waiter:
    return Waiter(driver)


def text_in(element_id: str, text: str) -> Callable[[WebDriver], bool]:
    return ec.text_to_be_present_in_element((By.ID, element_id), text)


def log_in(
    driver: WebDriver, url: str, user: tuple[str, str], screenshot: Path | None = None, chinese_browser: bool = True
) -> None:
    """Log in through Gradio's login page. Before login Gradio sends the page no custom
    translations, so that page alone follows the browser's language: Chinese in a zh browser."""
    driver.delete_all_cookies()
    driver.get(url)
    form = ec.visibility_of_element_located((By.CSS_SELECTOR, "input[type=password]"))
    password = wait(driver).until(form, "the login form")
    if chinese_browser:
        assert "用户名" in driver.find_element(By.TAG_NAME, "body").text  # Gradio's login page, in Chinese
    name = driver.find_element(By.CSS_SELECTOR, "input[type=text]")
    name.send_keys(user[0])
    password.send_keys(user[1])
    wait(driver).until(lambda _: name.get_attribute("value") == user[0], "the typed user name")
    if screenshot:
        driver.save_screenshot(str(screenshot))
    driver.find_element(By.XPATH, "//button[normalize-space()='登录']" if chinese_browser else "//button").click()
    wait(driver).until(text_in("who", user[0]), f"{user[0]} logged in")
    wait(driver).until(lambda d: d.find_element(By.ID, "status-line").text.strip(), "the status line")


def ask(driver: WebDriver, question: str, expect: str) -> str:
    """Ask and wait until the last reply contains `expect`; return the chat's text."""
    box = driver.find_element(By.CSS_SELECTOR, "#question textarea")
    box.send_keys(question)
    driver.find_element(By.ID, "ask").click()
    wait(driver).until(text_in("chat", question), f"question {question!r} in the chat")
    wait(driver).until(lambda d: expect in last_message(d), f"{expect!r} in the reply")
    return driver.find_element(By.ID, "chat").text


def last_message(driver: WebDriver) -> str:
    """The newest chat message's text ('' while the chat shows none, as after switching tabs)."""
    shown = driver.find_elements(By.CSS_SELECTOR, "#chat .message")
    return shown[-1].text if shown else ""


def fetch(driver: WebDriver, url: str) -> tuple[int, str]:
    """GET a URL from inside the logged-in page (its cookies), as (status, text)."""
    return tuple(
        driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch(arguments[0]).then(async r => done([r.status, await r.text()])).catch(e => done([0, String(e)]));",
            url,
        )
    )


def file_route(app: App, path: Path) -> str:
    return f"{app.url}gradio_api/file={path}"


def test_staff_asks_opens_a_source_switches_mode_and_uploads(
    app: App, browser: WebDriver, shots: Path, tmp_path: Path
) -> None:
    started = time.time()
    log_in(browser, app.url, STAFF, shots / "login.png")
    assert "馆员" in browser.find_element(By.ID, "who").text
    assert "文档 3 个" in browser.find_element(By.ID, "status-line").text

    ask(browser, "2022年数字化扫描多少页", "8600")
    assert f"{PDF_NAME}\n[1] 第1页" in browser.find_element(By.ID, "sources").text  # the file, its citations under it
    browser.save_screenshot(str(shots / "chat.png"))

    browser.find_element(By.XPATH, "//*[@id='pick']//label[contains(., '第1页')]").click()
    image = wait(browser).until(ec.visibility_of_element_located((By.CSS_SELECTOR, "#page img")), "the page image")
    wait(browser).until(lambda d: d.execute_script("return arguments[0].naturalWidth", image) > 800, "image loaded")
    assert "底色标出引用段落" in browser.find_element(By.ID, "page-caption").text
    browser.save_screenshot(str(shots / "source-page.png"))

    browser.find_element(By.XPATH, "//*[@id='mode']//label[contains(., '起草')]").click()
    ask(browser, "2023年接待查档多少人次", "1234人次")
    assert "【起草】" in browser.find_elements(By.CSS_SELECTOR, "#chat .message")[-1].text

    browser.find_element(By.ID, "export").click()
    wait(browser).until(text_in("exported", ".docx"), "the exported files")
    links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#exported a[href]")]
    markdown = next(link for link in links if link.endswith(".md"))
    status, text = fetch(browser, markdown)
    assert status == 200
    assert "- 模式：起草" in text and "1234人次" in text and "## 出处" in text

    browser.find_element(By.XPATH, "//button[@role='tab'][normalize-space()='文档库']").click()
    upload = write_upload(tmp_path / "incoming")
    browser.find_element(By.CSS_SELECTOR, "#upload-files input[type=file]").send_keys(str(upload))
    wait(browser).until(text_in("upload-files", UPLOAD_NAME[:8]), "the chosen file")
    browser.find_element(By.ID, "upload").click()
    wait(browser).until(text_in("upload-result", f"✓ {UPLOAD_NAME}：已导入"), "ingest")
    assert "访问级别：未审核" in browser.find_element(By.ID, "upload-result").text  # the safe default
    wait(browser).until(text_in("status-line", "文档 4 个"), "the new count")
    # Gradio's cached copy of the upload is gone: no logged-in user can fetch it by its path.
    assert not [p for p in Path(get_upload_folder()).rglob(UPLOAD_NAME) if p.stat().st_mtime >= started]

    browser.find_element(By.XPATH, "//button[@role='tab'][normalize-space()='对话']").click()
    browser.find_element(By.XPATH, "//*[@id='mode']//label[contains(., '问答')]").click()
    ask(browser, "2024年消防演练组织了几次", "3次")
    assert UPLOAD_NAME in browser.find_element(By.ID, "sources").text

    ask(browser, RESTRICTED_CODE, RESTRICTED_TITLE)  # staff are cleared for 控制使用
    assert RESTRICTED_CODE in browser.find_element(By.ID, "sources").text


def test_reader_sees_no_restricted_record_and_no_upload(app: App, browser: WebDriver) -> None:
    log_in(browser, app.url, READER)
    assert "读者" in browser.find_element(By.ID, "who").text
    assert not browser.find_elements(By.ID, "upload-panel")
    assert not browser.find_elements(By.CSS_SELECTOR, "input[type=file]")
    assert not browser.find_elements(By.ID, "library") and "文档库" not in browser.find_element(By.ID, "tabs").text

    # The staff member's upload went in as 未审核 (the default): not for readers.
    ask(browser, "2024年消防演练组织了几次", NO_EVIDENCE_ANSWER)
    assert UPLOAD_NAME not in browser.find_element(By.TAG_NAME, "body").text

    ask(browser, OPEN_CODE, OPEN_CODE)  # open records are shown to readers
    ask(browser, "劳动模范评选的请示", NO_EVIDENCE_ANSWER)
    ask(browser, f"{RESTRICTED_CODE}是什么档案", NO_EVIDENCE_ANSWER)
    page = browser.find_element(By.TAG_NAME, "body").text
    assert RESTRICTED_TITLE not in page
    assert page.count(RESTRICTED_CODE) == 1  # only inside the reader's own question
    assert RESTRICTED_CODE not in browser.find_element(By.ID, "sources").text

    # The file route serves no source, upload or index file, only what an answer produced.
    for path in (app.corpus / PDF_NAME, app.index_dir / "assistant.sqlite3", app.index_dir / "users.json"):
        assert path.is_file()
        status, _ = fetch(browser, file_route(app, path))
        assert status == 403, path


# ---- record text is text, and the page runs under a strict policy (finding 17) -----------------

HOSTILE_TITLES = {
    "39-9-0001": "![x](http://127.0.0.1:9/leak.png)",
    "39-9-0002": '<img src=x onerror="window.__xss=1">',
    "39-9-0003": "见 http://evil.example.com/a 与 www.evil.cn",
    "39-9-0004": "[点此](javascript:window.__xss=2) <script>window.__xss=3</script>",
}


def write_hostile_corpus(folder: Path) -> Path:
    """The usual corpus plus a catalogue whose titles are markup, links and script."""
    write_corpus(folder)
    with (folder / "恶意题名目录.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["档号", "题名", "年度", "开放状态"])
        for code, title in HOSTILE_TITLES.items():
            writer.writerow([code, title, "1980", "开放"])
    return folder


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    users = [(*STAFF, Role.STAFF), (*READER, Role.READER)]
    with running_app(tmp_path_factory.mktemp("ui-hostile"), users, corpus=write_hostile_corpus) as running:
        yield running


def headers_of(driver: WebDriver, url: str) -> dict[str, str]:
    script = (
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(r => done(Object.fromEntries(r.headers.entries()))).catch(e => done({}));"
    )
    return driver.execute_async_script(script, url)


def test_catalogue_titles_show_as_text_under_a_strict_policy(hostile_app: App, browser: WebDriver) -> None:
    log_in(browser, hostile_app.url, READER)
    ask(browser, " ".join(HOSTILE_TITLES), "39-9-0004")
    chat, sources = browser.find_element(By.ID, "chat"), browser.find_element(By.ID, "sources")
    shown = chat.text + "\n" + sources.text
    for title in HOSTILE_TITLES.values():
        assert title in shown  # every character of the title, as text
    for panel in (chat, sources):
        assert not panel.find_elements(By.CSS_SELECTOR, "img, a[href], script, iframe"), panel.get_attribute(
            "innerHTML"
        )
    assert browser.execute_script("return window.__xss === undefined")

    for url in (hostile_app.url, f"{hostile_app.url}config"):
        headers = headers_of(browser, url)
        assert headers.get("x-frame-options") == "DENY" and headers.get("x-content-type-options") == "nosniff"
        assert "frame-ancestors 'none'" in headers.get("content-security-policy", ""), url
    assert "script-src 'self' 'nonce-" in headers_of(browser, hostile_app.url)["content-security-policy"]

    # The whole module ran under that policy (login, asking, page images, export, upload): nothing was refused.
    refused = [
        entry["message"] for entry in browser.get_log("browser") if "Content Security Policy" in entry["message"]
    ]
    assert refused == [], "\n".join(refused)
