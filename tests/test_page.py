"""The search page at /, in headless Chromium (Debian's chromium and chromedriver, driven by Selenium)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_web import Server

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER), reason="Debian's chromium and chromium-driver are not installed (.ci/run installs them)"
)


@pytest.fixture(scope="module")
def page_server(site) -> Iterator[Server]:
    running = Server(site / "index", "--workers", "1")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="postsearch-chromium-")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1200,900", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def wait(driver, condition, timeout: float = 10):
    """Wait for the condition, looking again when the page re-rendered what it was looking at."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(condition)


def open_page(driver, server: Server) -> object:
    from selenium.webdriver.common.by import By

    driver.get(server.base + "/")
    return wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, "input.ps-input"))


def hit_of(driver, query: str):
    """The first hit's title, marked words and section links once the page shows the results of query, else None."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    try:
        if driver.execute_script("return document.querySelector('input').value") != query:
            return None
        first = driver.find_elements(By.CSS_SELECTOR, ".ps-hit")[0]
        marks = [mark.text.lower() for mark in first.find_elements(By.CSS_SELECTOR, ".ps-snippet mark")]
        if "bisect" not in marks:
            return None
        links = [link.get_attribute("href") for link in first.find_elements(By.CSS_SELECTOR, ".ps-section a")]
        return first.find_element(By.CSS_SELECTOR, "h2 a").text, marks, links
    except (StaleElementReferenceException, IndexError):
        return None


def test_typing_shows_completions_then_grouped_results_with_marks(browser, page_server):
    from selenium.webdriver.common.by import By

    box = open_page(browser, page_server)
    # the list shows while typing and closes once results are shown: record every completion it showed
    browser.execute_script(
        "window.seen = []; var list = document.querySelector('.ps-completions');"
        "new MutationObserver(function () { if (!list.hidden) list.querySelectorAll('.ps-option')"
        ".forEach(function (o) { window.seen.push(o.textContent); }); }).observe(list, {childList: true});"
    )
    box.send_keys("git bis")
    shown = wait(browser, lambda d: d.execute_script("return window.seen.length ? window.seen : null"))
    assert any("Git bisect" in option for option in shown)
    box.send_keys("ect")
    # "git bis" already shows results (the word being typed is a prefix): wait for those of "git bisect"
    first_hit = wait(browser, lambda d: hit_of(d, "git bisect"))
    title, marks, crumbs = first_hit
    assert title == "Git bisect finds the commit that broke it"
    assert marks and set(marks) <= {"git", "bisect"}
    assert crumbs and all("#" in href for href in crumbs)
    assert "matching post" in browser.find_element(By.CSS_SELECTOR, ".ps-status").text


def test_results_stay_in_view_once_shown(browser, page_server):
    """Completions that come back after the results never open the list over them."""
    import time

    box = open_page(browser, page_server)
    browser.execute_script(
        "window.reopened = 0; window.rendered = false; var list = document.querySelector('.ps-completions');"
        "new PerformanceObserver(function () { window.rendered = true; }).observe({type: 'mark'});"
        "new MutationObserver(function () { if (window.rendered && !list.hidden) window.reopened++; })"
        ".observe(list, {attributes: true, childList: true});"
    )
    box.send_keys("vim macros")
    wait(browser, lambda d: d.execute_script("return window.rendered"))
    time.sleep(0.6)  # longer than completions take to come back
    assert browser.execute_script("return [window.reopened, document.querySelector('.ps-completions').hidden]") == [0, True]


def test_keyboard_slash_arrows_escape_and_enter_follow_a_section_link(browser, page_server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = open_page(browser, page_server)
    browser.find_element(By.TAG_NAME, "body").send_keys("/")
    assert browser.switch_to.active_element == box
    box.send_keys("readiness probe")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".ps-hit"))
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, ".ps-completions").get_attribute("hidden"))  # closed by the results
    box.send_keys(Keys.ARROW_DOWN)  # into the results: the first post's title
    title = browser.switch_to.active_element
    assert title.get_attribute("class").startswith("ps-nav") and "#" not in title.get_attribute("href")
    title.send_keys(Keys.ARROW_DOWN)  # its first section
    section = browser.switch_to.active_element
    target = section.get_attribute("href")
    assert "#" in target and section != title
    section.send_keys(Keys.ENTER)
    # the browser takes the text directive (:~:text=..., the words the link lands on) out of the address
    wait(browser, lambda d: d.current_url == target.split(":~:")[0])


def test_did_you_mean_and_filters(browser, page_server):
    from selenium.webdriver.common.by import By

    box = open_page(browser, page_server)
    box.send_keys("bisetc ")  # a finished word (a space after it): a word being typed is never corrected
    wait(browser, lambda d: "Showing results for" in d.find_element(By.CSS_SELECTOR, ".ps-status").text)
    browser.get(page_server.base + "/?q=s*")  # the page searches what its address says
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".ps-filter"))
    everything = browser.find_element(By.CSS_SELECTOR, ".ps-status").text
    before = len(browser.find_elements(By.CSS_SELECTOR, ".ps-hit"))
    browser.find_elements(By.CSS_SELECTOR, ".ps-filter")[0].click()
    wait(browser, lambda d: any(b.get_attribute("aria-pressed") == "true" for b in d.find_elements(By.CSS_SELECTOR, ".ps-filter")))
    status = browser.find_element(By.CSS_SELECTOR, ".ps-status").text
    after = browser.find_elements(By.CSS_SELECTOR, ".ps-hit")
    assert 0 < len(after) < before and status != everything, status
    browser.get(page_server.base + "/?q=s*")
    wait(browser, lambda d: [b for b in d.find_elements(By.CSS_SELECTOR, ".ps-filter") if b.text.startswith("year: ")])
    year = next(b for b in browser.find_elements(By.CSS_SELECTOR, ".ps-filter") if b.text.startswith("year: "))
    chosen = browser.execute_script("return arguments[0].firstChild.textContent", year).removeprefix("year: ")
    count = year.find_element(By.CSS_SELECTOR, ".ps-count").text
    year.click()
    wait(browser, lambda d: f"year={chosen}" in d.current_url)  # a year filter lives in the address too
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, ".ps-status").text.startswith((f"{count} matching", "1 matching")))
    dates = [t.get_attribute("datetime") for t in browser.find_elements(By.CSS_SELECTOR, ".ps-hit time")]
    assert dates and all(d.startswith(chosen) for d in dates)


def test_hostile_posts_show_their_text_and_run_nothing(browser, page_server):
    from selenium.webdriver.common.by import By

    box = open_page(browser, page_server)
    browser.execute_script("window.__pwned = undefined;")
    box.send_keys("zanzibar")
    hit = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".ps-hit"))[0]
    title = hit.find_element(By.CSS_SELECTOR, "h2")
    assert title.text.startswith('<img src=x onerror="window.__pwned=1">')
    links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, ".ps-hit a")]
    assert links and all(link.startswith(page_server.base + "/") for link in links)  # no javascript: link
    assert "#<script>window.__pwned=1</script>" in hit.find_element(By.CSS_SELECTOR, ".ps-meta").text
    assert hit.find_elements(By.CSS_SELECTOR, "img, script, b") == []
    assert browser.execute_script("return window.__pwned;") is None


def test_the_address_holds_the_query_and_back_restores_the_previous_one(browser, page_server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = open_page(browser, page_server)
    box.send_keys("bisect")
    wait(browser, lambda d: "q=bisect" in d.current_url)  # replaced while typing
    box.send_keys(Keys.ENTER)
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".ps-hit"))
    assert browser.find_element(By.CSS_SELECTOR, ".ps-completions").get_attribute("hidden")  # results shown: list closed
    box.clear()
    box.send_keys("vim", Keys.ENTER)
    wait(browser, lambda d: "q=vim" in d.current_url)
    browser.back()
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "input.ps-input").get_attribute("value") == "bisect")
    wait(browser, lambda d: hit_of(d, "bisect"))
    browser.get(browser.current_url)  # the address alone brings the same results back
    wait(browser, lambda d: hit_of(d, "bisect"))
    box = browser.find_element(By.CSS_SELECTOR, "input.ps-input")
    box.send_keys(Keys.ESCAPE)  # no list open: Escape clears the query and the results
    wait(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, ".ps-hit") and box.get_attribute("value") == "")


def test_one_short_snippet_a_section_and_more_on_demand(browser, page_server):
    from selenium.webdriver.common.by import By

    box = open_page(browser, page_server)
    box.send_keys("the ")
    more = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".ps-more"))[0]
    snippet = more.find_element(By.XPATH, "..").find_element(By.CSS_SELECTOR, ".ps-snippet")
    short = snippet.text
    assert len(short) <= 220 and more.get_attribute("aria-expanded") == "false"
    more.click()
    wait(browser, lambda d: len(snippet.text) > len(short) and more.get_attribute("aria-expanded") == "true")
    more.click()
    wait(browser, lambda d: snippet.text == short)
    every = [s.text for s in browser.find_elements(By.CSS_SELECTOR, ".ps-snippet")]
    assert every and all(len(text) <= 220 for text in every)  # one line each, about 160 characters


def test_ctrl_k_opens_the_box_from_anywhere_on_the_page(browser, page_server):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = open_page(browser, page_server)
    browser.find_element(By.TAG_NAME, "h1").click()
    assert browser.switch_to.active_element != box
    ActionChains(browser).key_down(Keys.CONTROL).send_keys("k").key_up(Keys.CONTROL).perform()
    wait(browser, lambda d: d.switch_to.active_element == box)


def test_recent_searches_are_kept_in_the_browser_and_offered_in_an_empty_box(browser, page_server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = open_page(browser, page_server)
    browser.execute_script("window.localStorage.clear();")
    for query in ("bisect", "readiness probe"):
        box.clear()
        box.send_keys(query, Keys.ENTER)
        wait(browser, lambda d, q=query: f"q={q.replace(' ', '+')}" in d.current_url)
    stored = browser.execute_script("return JSON.parse(window.localStorage.getItem('postsearch:recent'))")
    assert stored == ["readiness probe", "bisect"]  # newest first
    box = open_page(browser, page_server)
    box.click()
    options = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".ps-option"))
    assert [o.text.split("\n")[-1] for o in options] == ["readiness probe", "bisect"]
    options[1].click()
    wait(browser, lambda d: hit_of(d, "bisect"))


def test_nothing_found_says_what_to_try(browser, page_server):
    from selenium.webdriver.common.by import By

    box = open_page(browser, page_server)
    box.send_keys('"zqxv wobblefrump" ')
    status = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, ".ps-status") if d.find_elements(By.CSS_SELECTOR, ".ps-empty li") else None)
    assert "No post matches" in status.text and "fewer words" in status.text and "quotes" in status.text
    assert browser.find_elements(By.CSS_SELECTOR, ".ps-hit") == []


AXE = Path(__file__).resolve().parent.parent / ".tools" / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(driver) -> list[tuple[str, str, int]]:
    """axe-core's audit of the page as it is now: (rule, impact, elements) for each violation."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    found = driver.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "axe.run(document).then(function (r) { done(r.violations.map(function (v) { return [v.id, v.impact, v.nodes.length]; })); });"
    )
    return [tuple(v) for v in found]


@pytest.mark.skipif(not AXE.exists(), reason="npm's axe-core is not installed in .tools (.ci/run installs it)")
def test_axe_core_finds_no_violation_in_any_state_of_the_page(browser, page_server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = open_page(browser, page_server)
    states = {"empty": axe_violations(browser)}
    browser.execute_script("window.localStorage.setItem('postsearch:recent', JSON.stringify(['bisect', 'git']));")
    box = open_page(browser, page_server)
    box.click()  # the list of recent searches opens: the combobox's listbox, as completions show it
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".ps-option"))
    states["list open"] = axe_violations(browser)
    box.send_keys("bisect ")
    wait(browser, lambda d: hit_of(d, "bisect "))
    states["results"] = axe_violations(browser)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys('"zqxv wobblefrump" ')
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".ps-empty li"))
    states["nothing found"] = axe_violations(browser)
    browser.set_window_size(390, 844)  # a phone
    browser.get(page_server.base + "/?q=git")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".ps-hit"))
    states["phone, from the address"] = axe_violations(browser)
    browser.set_window_size(1200, 900)
    assert all(found == [] for found in states.values()), states


EMBEDDING_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A blog</title></head>
<body><header><h1>A blog</h1></header>
<main><p>A post's text, and the search box below.</p>
<div id="postsearch" data-api="{api}/"></div></main>
<script src="{api}/postsearch.js" defer></script></body></html>
"""


@pytest.fixture
def embedding_site(site, tmp_path) -> Iterator[str]:
    """A site's own page on another origin embedding the box, against a server that lets that origin call it."""
    import threading
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    host = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(tmp_path)))
    origin = f"http://127.0.0.1:{host.server_address[1]}"
    api = Server(site / "index", "--workers", "1", "--cors-origin", origin)
    (tmp_path / "blog.html").write_text(EMBEDDING_PAGE.format(api=api.base))
    threading.Thread(target=host.serve_forever, daemon=True).start()
    yield f"{origin}/blog.html"
    host.shutdown()
    api.stop()


@pytest.mark.skipif(not AXE.exists(), reason="npm's axe-core is not installed in .tools (.ci/run installs it)")
def test_the_box_embedded_in_another_sites_page_opens_with_ctrl_k_searches_and_passes_axe(browser, embedding_site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(embedding_site)
    box = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "input.ps-input"))
    states = {"embedded, empty": axe_violations(browser)}
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.CONTROL, "k")
    assert browser.switch_to.active_element == box
    box.send_keys("bisect ")
    wait(browser, lambda d: hit_of(d, "bisect "))
    states["embedded, results"] = axe_violations(browser)
    assert all(found == [] for found in states.values()), states
