"""Issue 15 item 4: the clinician page in a real headless browser, used as a person would.

Debian's chromium driven by Selenium through Debian's chromium-driver (both from apt, the same
version; nothing is downloaded: the driver and the browser are given by path). One case fixture is
entered with the mouse-free WebDriver calls and submitted; every guideline's answer and a source
quote must be on screen. Then the same with the keyboard only: Tab from field to field (in the order
of the field table), choose values with the arrow keys, submit with Enter; a bad value brings the
form back with the focus on the field to correct. A screenshot of the answered page is kept in the
test's folder and in out/clinician-page.png (docs/clinician-page.png, the README's picture, is made by
`make docs-page`: tests/test_page_ward.py). With CI set, a missing browser fails the test instead of skipping it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
from pathlib import Path

import pytest

from rnetkg import serve
from rnetkg.fields import FIELDS

pytestmark = [pytest.mark.server, pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
CASE = ROOT / "tests" / "fixtures" / "cases" / "initial-15mm-lvi.json"
CHROMIUM = os.environ.get("RNETKG_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("RNETKG_CHROMEDRIVER", "/usr/bin/chromedriver")


def _missing(why: str):
    if os.environ.get("CI"):
        pytest.fail(f"{why} (CI is set: .ci/run installs Debian's chromium and chromium-driver)")
    pytest.skip(why)


@pytest.fixture(scope="module")
def server(request):
    if serve.find_oxigraph() is None:
        _missing("the oxigraph server binary is not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handle = serve.start_server(f"127.0.0.1:{port}")
    request.addfinalizer(handle.stop)
    return handle


@pytest.fixture(scope="module")
def browser():
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            _missing(f"{path} not found: apt-get install chromium chromium-driver")
    try:
        from selenium import webdriver
    except ImportError:
        _missing("selenium is not installed (pip install -e '.[test]')")
    from selenium.webdriver.chrome.service import Service

    profile_dir = tempfile.mkdtemp(prefix="rnetkg-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--no-first-run",
                "--disable-sync", "--disable-extensions", "--window-size=1280,1900", f"--user-data-dir={profile_dir}"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()  # stops chromedriver and the browser it started
        shutil.rmtree(profile_dir, ignore_errors=True)


def expected() -> tuple[dict, dict]:
    data = json.loads(CASE.read_text(encoding="utf-8"))
    return data["profile"], data["expect"]


def option_text(field: str, value) -> str:
    if FIELDS[field].kind == "boolean":
        return "yes" if value else "no"
    return str(value).replace("_", " ")


def submit(driver, action) -> None:
    """Run ``action`` (a click or a key press that submits the form) and wait for the new page."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    old = driver.find_element(By.TAG_NAME, "html")
    action()
    wait = WebDriverWait(driver, 20)
    wait.until(EC.staleness_of(old))
    wait.until(lambda d: d.execute_script("return document.readyState") == "complete")


def check_answer(driver, expect: dict) -> None:
    from selenium.webdriver.common.by import By

    # issue 23: the summary first, one line per guideline; the full explanation folded, opened here
    for key, want in expect.items():
        row = driver.find_element(By.CSS_SELECTOR, f"tr[data-glance='{key}']")
        assert row.is_displayed() and want["status"].replace("_", " ") in row.text.lower()
    fold = driver.find_element(By.ID, "fold-guidelines")
    assert fold.get_attribute("open") is None
    driver.execute_script("arguments[0].open = true", fold)
    sections = driver.find_elements(By.CSS_SELECTOR, "section[data-guideline]")
    keys = [s.get_attribute("data-guideline") for s in sections]
    assert [k for k in keys if k in expect] == list(expect)  # the fixture names the guidelines it is about
    for s in sections:
        key = s.get_attribute("data-guideline")
        if key not in expect:
            continue
        assert s.is_displayed()
        header = s.find_element(By.TAG_NAME, "header").text
        assert key in header and expect[key]["status"] in header.lower()  # shown, not only in an attribute
        assert s.get_attribute("data-status") == expect[key]["status"]
        assert s.get_attribute("data-modalities").split() == expect[key]["modalities"]
    quote = driver.find_element(By.CSS_SELECTOR, "div[data-rec='enets-2023/rec-10-20mm'] blockquote.quote")
    driver.execute_script("arguments[0].scrollIntoView()", quote)
    assert quote.is_displayed() and "For lesions 10-20 mm" in quote.text


def test_fill_the_form_for_a_case_and_see_every_answer(server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    profile, expect = expected()
    browser.get(server.url)
    assert "rectal NET guidelines" in browser.title
    for name, value in profile.items():
        el = browser.find_element(By.NAME, name)
        if el.tag_name == "select":
            Select(el).select_by_visible_text(option_text(name, value))
        else:
            el.clear()
            el.send_keys(str(value))
    submit(browser, browser.find_element(By.CSS_SELECTOR, "form#case-form button[type=submit]").click)
    assert browser.find_element(By.ID, "report").get_attribute("data-profile") == profile["id"]
    check_answer(browser, expect)
    # the form keeps the case, for a change and a second answer
    assert browser.find_element(By.NAME, "size_mm").get_attribute("value") == str(profile["size_mm"])
    browser.execute_script("window.scrollTo(0, 0)")
    shot = tmp_path / "clinician-page.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 20_000
    (ROOT / "out").mkdir(exist_ok=True)
    shutil.copyfile(shot, ROOT / "out" / "clinician-page.png")


def _tab_to(driver, name: str, limit: int = 40, back: bool = False):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    seen = []
    for _ in range(limit):
        if back:
            ActionChains(driver).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
        else:
            ActionChains(driver).send_keys(Keys.TAB).perform()
        active = driver.switch_to.active_element
        seen.append(active.get_attribute("name") or active.tag_name)
        if active.get_attribute("name") == name:
            return active, seen
    raise AssertionError(f"Tab never reached {name}: {seen}")


def test_keyboard_only(server, browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    profile, expect = expected()
    browser.get(server.url)
    visited = []
    for f in FIELDS.values():
        active, seen = _tab_to(browser, f.name)
        visited += [n for n in seen if n in FIELDS]
        value = profile.get(f.name)
        if value is None:
            continue
        if active.tag_name == "select":
            texts = [o.text for o in active.find_elements(By.TAG_NAME, "option")]
            keys = [Keys.HOME] + [Keys.ARROW_DOWN] * texts.index(option_text(f.name, value))
            ActionChains(browser).send_keys(*keys).perform()
            chosen = browser.switch_to.active_element.find_element(By.CSS_SELECTOR, "option:checked").text
            assert chosen == option_text(f.name, value)
        else:
            ActionChains(browser).send_keys(str(value)).perform()
    assert visited == list(FIELDS), "Tab goes through the fields in the order of the field table"
    button, _ = _tab_to_button(browser)
    assert button.text == "Compare the guidelines"
    submit(browser, ActionChains(browser).send_keys(Keys.ENTER).perform)
    check_answer(browser, expect)

    # issue 23: the answer's heading has the focus; Shift+Tab goes back up to the form
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 10).until(lambda d: d.switch_to.active_element.get_attribute("id") == "answer")
    # a bad value, submitted with Enter from its own field: the form comes back focused on that field
    _tab_to(browser, "ki67_percent", back=True)
    ActionChains(browser).key_down(Keys.CONTROL).send_keys("a").key_up(Keys.CONTROL).send_keys("12x").perform()
    submit(browser, ActionChains(browser).send_keys(Keys.ENTER).perform)
    from selenium.webdriver.support.ui import WebDriverWait

    # autofocus runs once the page is rendered: wait for it rather than race it
    WebDriverWait(browser, 10).until(lambda d: d.switch_to.active_element.get_attribute("name") == "ki67_percent")
    active = browser.switch_to.active_element
    assert active.get_attribute("name") == "ki67_percent" and active.get_attribute("aria-invalid") == "true"
    assert active.get_attribute("value") == "12x"
    assert "ki67_percent: must be a number (0-100), got '12x'" in browser.find_element(By.ID, "errors").text
    assert not browser.find_elements(By.ID, "report")
    assert browser.find_element(By.NAME, "size_mm").get_attribute("value") == str(profile["size_mm"])


def _tab_to_button(driver, limit: int = 10):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    for _ in range(limit):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        active = driver.switch_to.active_element
        if active.tag_name == "button":
            return active, None
    raise AssertionError("Tab never reached the submit button")
