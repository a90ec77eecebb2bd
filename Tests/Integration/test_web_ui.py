"""The web UI in a real headless Chromium (Debian's chromium + chromium-driver, through
Selenium): the index list, the log view, search, a sidebar filter, context with n/N, the
back button, a live tail while lines arrive, the keyboard, and hostile log lines that must
show as text and run nothing. Each step leaves a screenshot in the folder printed first.
"""
import json
import os
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

from servers import ROOT, AlcoServer

selenium = pytest.importorskip("selenium")
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

SHOTS = os.environ.get("ALCO_SCREENSHOTS", os.path.join(ROOT, "artifacts", "browser"))
HOSTILE_LINE = 'login failed <script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> for bob'
HOSTILE_FIELD = '<img src=y onerror="window.__pwned = 3">'


def post(server, path, body, content_type="application/x-ndjson"):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (server.http_port, path), data=body.encode(),
                                 headers={"Content-Type": content_type}, method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def get(server, path, **params):
    url = "http://127.0.0.1:%d%s?%s" % (server.http_port, path, urllib.parse.urlencode(params, doseq=True))
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())


def lines(n, start, word="request", **fields):
    out = []
    for i in range(n):
        t = start + i
        rec = {"@timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06dZ" % (i % 1000000),
               "message": "%s %d handled by worker in %d ms" % (word, i, 10 + i % 90),
               "host": "web%02d" % (i % 3 + 1), "levelname": ["INFO", "WARNING", "ERROR"][i % 3],
               "request_id": "req-%04d" % (i // 2)}
        rec.update(fields)
        out.append(json.dumps(rec))
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def server():
    s = AlcoServer(indexes=("web",), extra_args=("--patterns",))
    start = int(time.time()) - 3600
    post(s, "/api/v1/ingest/web", lines(300, start))
    # Every third line says "timeout": the search and context steps look for it.
    post(s, "/api/v1/ingest/web", lines(60, start + 400, word="upstream timeout"))
    post(s, "/api/v1/ingest/web", json.dumps({"@timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000001Z", time.gmtime(start + 500)),
                                              "message": HOSTILE_LINE, "host": HOSTILE_FIELD, "levelname": "ERROR"}) + "\n")
    post(s, "/api/v1/ingest/web", lines(40, start + 600))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser():
    os.makedirs(SHOTS, exist_ok=True)
    print("\nbrowser screenshots: %s" % SHOTS)
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,900"):
        options.add_argument(arg)
    options.binary_location = "/usr/bin/chromium"
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def shot(driver, name):
    driver.save_screenshot(os.path.join(SHOTS, name + ".png"))


def wait(driver, condition, timeout=15, what="the page"):
    return WebDriverWait(driver, timeout).until(lambda d: condition(d), message="waiting for " + what)


def rows(driver):
    return driver.find_elements(By.CSS_SELECTOR, ".lines .line")


def loaded(driver):
    """The log view finished its last load (rows present, nothing pending)."""
    status = driver.find_element(By.CSS_SELECTOR, ".status").text
    return rows(driver) and "loading" not in status


def js_errors(driver):
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def test_index_list(server, browser):
    browser.get("http://127.0.0.1:%d/" % server.http_port)
    link = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "a.index-link"), what="the index list")
    assert [a.text for a in link] == ["web"]
    cells = browser.find_elements(By.CSS_SELECTOR, "table.indexes tbody td")
    assert cells[3].text == "401"  # lines
    assert browser.find_elements(By.CSS_SELECTOR, "svg.sparkline polyline")
    shot(browser, "01-index-list")
    link[0].click()
    wait(browser, lambda d: d.current_url.endswith("/grep/web/"), what="the log view URL")


def test_log_view_shows_newest_lines(server, browser):
    browser.get("http://127.0.0.1:%d/grep/web/" % server.http_port)
    wait(browser, loaded, what="lines")
    shown = rows(browser)
    assert len(shown) == 200  # one page, newest at the bottom
    newest = get(server, "/api/v1/search", index="web", limit=1)["hits"][0]
    assert shown[-1].get_attribute("data-id") == newest["id"]
    assert "more above" in browser.find_element(By.CSS_SELECTOR, ".status").text
    assert browser.find_elements(By.CSS_SELECTOR, ".histogram svg rect.bar")
    shot(browser, "02-log-view")
    # Scrolling to the top loads the older lines above.
    def scrolled_to_oldest(d):
        d.execute_script("document.querySelector('.lines').scrollTop = 0")
        return len(rows(d)) == 401 and "more above" not in d.find_element(By.CSS_SELECTOR, ".status").text
    wait(browser, scrolled_to_oldest, what="older lines on scroll")
    assert js_errors(browser) == []


def test_search_marks_hits(server, browser):
    box = browser.find_element(By.CSS_SELECTOR, "input.search")
    box.clear()
    box.send_keys("timeout" + Keys.ENTER)
    wait(browser, lambda d: "q=timeout" in d.current_url and loaded(d) and len(rows(d)) == 60, what="search results")
    for r in rows(browser):
        marks = r.find_elements(By.TAG_NAME, "mark")
        assert [m.text.lower() for m in marks] == ["timeout"]
    shot(browser, "03-search")


def test_filter_from_sidebar(server, browser):
    box = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".field-box[data-field='host'] .value-row"), what="host values")
    web02 = next(li for li in box if li.find_element(By.CSS_SELECTOR, ".value-text").text == "web02")
    assert web02.find_element(By.CSS_SELECTOR, ".count").text == "20"
    web02.click()
    wait(browser, lambda d: "field=host%3Aweb02" in d.current_url and loaded(d) and len(rows(d)) == 20, what="filtered lines")
    assert [c.text for c in browser.find_elements(By.CSS_SELECTOR, ".chip")] == ["host = web02×"]
    # Show host as a column: every line says web02.
    browser.find_element(By.CSS_SELECTOR, ".field-box[data-field='host'] input[type=checkbox]").click()
    wait(browser, lambda d: "cols=host" in d.current_url, what="the column in the URL")
    assert {c.text for c in browser.find_elements(By.CSS_SELECTOR, ".line .col")} == {"web02"}
    shot(browser, "04-sidebar-filter")
    # Ctrl-click adds web03 as an alternative.
    box = browser.find_elements(By.CSS_SELECTOR, ".field-box[data-field='host'] .value-row")
    web03 = next((li for li in box if li.find_element(By.CSS_SELECTOR, ".value-text").text == "web03"), None)
    if web03 is None:  # the sidebar counts lines that match: refresh with the filter off
        browser.find_element(By.CSS_SELECTOR, ".chip .x").click()
        wait(browser, lambda d: "field=" not in d.current_url and loaded(d), what="the filter removed")
        box = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".field-box[data-field='host'] .value-row"), what="host values")
        web03 = next(li for li in box if li.find_element(By.CSS_SELECTOR, ".value-text").text == "web03")
        web03.click()
        wait(browser, lambda d: "field=host%3Aweb03" in d.current_url and loaded(d), what="web03 lines")
        box = browser.find_elements(By.CSS_SELECTOR, ".field-box[data-field='host'] .value-row")
    assert js_errors(browser) == []


def test_context_and_next_hit(server, browser):
    browser.get("http://127.0.0.1:%d/grep/web/?q=timeout" % server.http_port)
    wait(browser, lambda d: loaded(d) and len(rows(d)) == 60, what="search results")
    target = rows(browser)[30]
    target_id = target.get_attribute("data-id")
    target.click()  # select it (and open its details)
    browser.find_element(By.CSS_SELECTOR, "body").send_keys("c")
    wait(browser, lambda d: ("ctx=%s" % target_id) in d.current_url and loaded(d), what="context mode")
    banner = browser.find_element(By.CSS_SELECTOR, ".banner")
    assert banner.is_displayed() and "context" in banner.text
    anchor = browser.find_element(By.CSS_SELECTOR, ".line.anchor")
    assert anchor.get_attribute("data-id") == target_id
    # Every line around it, not only hits: the ones without "timeout" are there, unmarked.
    all_rows = rows(browser)
    plain = [r for r in all_rows if "hit" not in r.get_attribute("class").split()]
    assert plain and all(not r.find_elements(By.TAG_NAME, "mark") for r in plain)
    assert any("timeout" in r.text for r in all_rows if "hit" in r.get_attribute("class").split())
    shot(browser, "05-context")
    # n goes to the next hit, like less after /pattern.
    body = browser.find_element(By.CSS_SELECTOR, "body")
    body.send_keys("n")
    selected = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".line.selected.hit"), what="the next hit")
    assert int(selected[0].get_attribute("data-id")) > int(target_id)
    body.send_keys("N")
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, ".line.selected").get_attribute("data-id") == target_id, what="the previous hit")
    shot(browser, "06-context-next-hit")
    # The back button returns to the results.
    browser.back()
    wait(browser, lambda d: "ctx=" not in d.current_url and loaded(d) and len(rows(d)) == 60, what="results after back")
    assert not browser.find_element(By.CSS_SELECTOR, ".banner").is_displayed()
    assert js_errors(browser) == []


def test_live_tail(server, browser):
    browser.get("http://127.0.0.1:%d/grep/web/?q=fresh" % server.http_port)
    wait(browser, lambda d: "0 lines shown" in d.find_element(By.CSS_SELECTOR, ".status").text, what="an empty result")
    browser.find_element(By.CSS_SELECTOR, "body").send_keys("t")
    wait(browser, lambda d: "tail=1" in d.current_url and "tailing live" in d.find_element(By.CSS_SELECTOR, ".status").text,
         what="the tail to connect")
    for batch in range(3):
        post(server, "/api/v1/ingest/web", lines(5, int(time.time()), word="fresh batch%d" % batch))
        wait(browser, lambda d: len(rows(d)) == 5 * (batch + 1), what="tailed lines of batch %d" % batch)
    texts = [r.find_element(By.CSS_SELECTOR, ".msg").text for r in rows(browser)]
    assert texts[0].startswith("fresh batch0 0") and texts[-1].startswith("fresh batch2 4")
    assert all(r.find_elements(By.TAG_NAME, "mark") for r in rows(browser))
    shot(browser, "07-live-tail")
    browser.find_element(By.CSS_SELECTOR, "body").send_keys("t")
    wait(browser, lambda d: "tail=1" not in d.current_url, what="the tail to stop")
    assert js_errors(browser) == []


def test_hostile_lines_are_text(server, browser):
    browser.get("http://127.0.0.1:%d/grep/web/?q=bob" % server.http_port)
    wait(browser, lambda d: loaded(d) and len(rows(d)) == 1, what="the hostile line")
    row = rows(browser)[0]
    assert row.find_element(By.CSS_SELECTOR, ".msg").text == HOSTILE_LINE
    row.click()  # details: the hostile field value too
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".details pre"), what="details")
    values = [p.text for p in browser.find_elements(By.CSS_SELECTOR, ".details pre")]
    assert HOSTILE_FIELD in values
    # The sidebar lists the hostile host value, as text.
    wait(browser, lambda d: any(v.text == HOSTILE_FIELD for v in d.find_elements(By.CSS_SELECTOR, ".value-text")),
         what="the hostile value in the sidebar")
    time.sleep(0.5)  # give any injected handler the chance to run
    assert browser.execute_script("return window.__pwned === undefined")
    assert browser.find_elements(By.CSS_SELECTOR, "#app img") == []
    assert browser.find_elements(By.CSS_SELECTOR, "#app script") == []
    shot(browser, "08-hostile-line")
    assert js_errors(browser) == []


def test_keyboard(server, browser):
    browser.get("http://127.0.0.1:%d/grep/web/?q=timeout" % server.http_port)
    wait(browser, lambda d: loaded(d) and len(rows(d)) == 60, what="results")
    body = browser.find_element(By.CSS_SELECTOR, "body")
    last = rows(browser)[-1].get_attribute("data-id")
    assert browser.find_element(By.CSS_SELECTOR, ".line.selected").get_attribute("data-id") == last
    body.send_keys("k")
    body.send_keys("k")
    assert browser.find_element(By.CSS_SELECTOR, ".line.selected").get_attribute("data-id") == rows(browser)[-3].get_attribute("data-id")
    body.send_keys("j")
    assert browser.find_element(By.CSS_SELECTOR, ".line.selected").get_attribute("data-id") == rows(browser)[-2].get_attribute("data-id")
    body.send_keys("g")
    assert browser.find_element(By.CSS_SELECTOR, ".line.selected").get_attribute("data-id") == rows(browser)[0].get_attribute("data-id")
    body.send_keys("G")
    assert browser.find_element(By.CSS_SELECTOR, ".line.selected").get_attribute("data-id") == last
    body.send_keys(Keys.ENTER)
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".line.selected .details"), what="details on Enter")
    body.send_keys("/")
    assert browser.switch_to.active_element.get_attribute("class") == "search"
    # Inline @field=value filters become filters in the URL.
    box = browser.switch_to.active_element
    box.clear()
    box.send_keys("timeout @levelname=ERROR" + Keys.ENTER)
    wait(browser, lambda d: "field=levelname%3AERROR" in d.current_url and loaded(d), what="the inline filter")
    expected = get(server, "/api/v1/search", index="web", q="timeout", field="levelname:ERROR", limit=1000)["hits"]
    assert len(rows(browser)) == len(expected) > 0
    shot(browser, "09-keyboard-inline-filter")
    assert js_errors(browser) == []


def test_histogram_drag_zooms_and_shortcut_saves(server, browser):
    from selenium.webdriver.common.action_chains import ActionChains
    browser.get("http://127.0.0.1:%d/grep/web/" % server.http_port)
    chart = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".histogram svg.histo"), what="the histogram")[0]
    wait(browser, loaded, what="lines")
    width = chart.size["width"]
    # Drag over the first fifth of the histogram: the range narrows to it, in the URL too.
    ActionChains(browser).move_to_element_with_offset(chart, -width // 2 + 5, 0).click_and_hold() \
        .move_by_offset(width // 5, 0).release().perform()
    wait(browser, lambda d: "since=" in d.current_url and "until=" in d.current_url and loaded(d), what="the zoomed range")
    assert browser.find_element(By.CSS_SELECTOR, "select.range").get_attribute("value") == "custom"
    import datetime
    query = urllib.parse.parse_qs(urllib.parse.urlparse(browser.current_url).query)
    since = datetime.datetime.fromisoformat(query["since"][0].replace("Z", "+00:00"))
    until = datetime.datetime.fromisoformat(query["until"][0].replace("Z", "+00:00"))
    times = [datetime.datetime.fromisoformat(r.find_element(By.CSS_SELECTOR, ".time").get_attribute("title")) for r in rows(browser)]
    assert times and all(since <= t <= until for t in times)
    assert until - since < datetime.timedelta(minutes=30)
    shot(browser, "10-histogram-zoom")
    # Save the view as a shortcut with a default field; the shortcut link filters on it.
    browser.find_element(By.CSS_SELECTOR, "button.save").click()
    alert = WebDriverWait(browser, 5).until(lambda d: d.switch_to.alert)
    alert.send_keys("by_request")
    alert.accept()
    alert = WebDriverWait(browser, 5).until(lambda d: d.switch_to.alert)
    alert.send_keys("request_id")
    alert.accept()
    wait(browser, lambda d: "saved shortcut by_request" in d.find_element(By.CSS_SELECTOR, ".status").text, what="the save")
    saved = get(server, "/api/v1/shortcuts")
    assert [s["name"] for s in saved] == ["by_request"] and saved[0]["default_field"] == "request_id"
    browser.get("http://127.0.0.1:%d/grep/shortcut/by_request/req-0003/" % server.http_port)
    wait(browser, lambda d: "field=request_id%3Areq-0003" in d.current_url.replace(":", "%3A") and loaded(d), what="the shortcut view")
    assert browser.find_elements(By.CSS_SELECTOR, ".chip")
    shot(browser, "11-shortcut")
    assert js_errors(browser) == []


def test_alco_links_show_the_filtered_view(server, browser):
    """Links and shortcuts in ALCO's form (its Backbone router's) open the same filtered view,
    rewritten to alco's own form."""
    base = "http://127.0.0.1:%d/grep/web/" % server.http_port
    browser.get(base + "?" + urllib.parse.urlencode({"search": "upstream timeout", "levelname": "ERROR,WARNING",
                                                      "columns": "host,levelname"}))
    # Of the 60 "upstream timeout" lines, levels cycle INFO, WARNING, ERROR: 40 are kept.
    wait(browser, lambda d: "q=" in d.current_url and loaded(d) and len(rows(d)) == 40, what="ALCO's search and filter")
    query = urllib.parse.parse_qs(urllib.parse.urlparse(browser.current_url).query)
    assert query["q"] == ['@logline "upstream timeout"']
    assert sorted(query["field"]) == ["levelname:ERROR", "levelname:WARNING"]
    assert query["cols"] == ["host,levelname"] and "search" not in query
    assert all("timeout" in r.text for r in rows(browser))
    shot(browser, "10-alco-link")
    # ALCO's start_ts ("YYYY-MM-DD HH:MM:SS", the index's zone: UTC here) bounds the view.
    last = get(server, "/api/v1/search", index="web", q="request", limit=40)["hits"]
    first_us = min(int(h["id"]) for h in last) // 1000
    start_ts = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(first_us // 1_000_000))
    browser.get(base + "?" + urllib.parse.urlencode({"search": "request", "start_ts": start_ts}))
    wait(browser, lambda d: "since=" in d.current_url and loaded(d) and len(rows(d)) == 40, what="ALCO's start_ts")
    assert js_errors(browser) == []


def test_index_list_says_when_lines_arrive_older_than_retention(server, browser):
    """Lines sent with a time the retention no longer keeps are stored, then dropped at the
    next maintenance: the index list says how many, since when, and what keeps them."""
    post(server, "/api/v1/indexes", json.dumps({"name": "late", "retention_days": 30}), content_type="application/json")
    try:
        old = int(time.time()) - 40 * 86400
        post(server, "/api/v1/ingest/late", lines(7, old) + lines(3, int(time.time()) - 60))
        described = get(server, "/api/v1/indexes/late")
        assert described["outside_retention"]["lines"] == 7
        assert described["outside_retention"]["retention_days_needed"] == 42
        browser.get("http://127.0.0.1:%d/" % server.http_port)
        row = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "tr.late-arrivals"), what="the retention warning")
        assert len(row) == 1
        text = row[0].text
        assert text.startswith("7 lines arrived older than the 30-day retention keeps")
        assert "retention_days\": 42" in text and "alco index alter late --retention-days 42" in text
        shot(browser, "12-late-arrivals")
        assert js_errors(browser) == []
    finally:
        urllib.request.urlopen(urllib.request.Request(
            "http://127.0.0.1:%d/api/v1/indexes/late" % server.http_port, method="DELETE"), timeout=30).read()


def test_patterns_panel_filters_hides_and_goes_back(server, browser):
    """The patterns of the current search in the sidebar: click keeps one, alt-click hides one
    (the noise), and the back button undoes each."""
    base = "http://127.0.0.1:%d/grep/web/" % server.http_port
    browser.get(base)
    wait(browser, lambda d: loaded(d) and d.find_elements(By.CSS_SELECTOR, ".pattern-row"), what="the patterns panel")
    panel = {r.find_element(By.CSS_SELECTOR, ".value-text").text: r for r in browser.find_elements(By.CSS_SELECTOR, ".pattern-row")}
    assert panel["request <*> handled by worker in <*> ms"].find_element(By.CSS_SELECTOR, ".count").text == "340"
    assert panel["upstream timeout <*> handled by worker in <*> ms"].find_element(By.CSS_SELECTOR, ".count").text == "60"
    shot(browser, "13-patterns-panel")
    panel["upstream timeout <*> handled by worker in <*> ms"].click()
    wait(browser, lambda d: "pattern=" in d.current_url and loaded(d) and len(rows(d)) == 60, what="one pattern's lines")
    assert all("upstream timeout" in r.text for r in rows(browser))
    assert "upstream timeout" in browser.find_element(By.CSS_SELECTOR, ".pattern-chip").text
    browser.back()
    wait(browser, lambda d: "pattern=" not in d.current_url and loaded(d) and len(rows(d)) == 200, what="back to every line")
    # Alt-click, found and sent in one step: the panel re-renders as the page's loads finish.
    alt_click = """const row = [...document.querySelectorAll('.pattern-row')].find(r => r.textContent.startsWith('request <*>'));
        if (row) row.dispatchEvent(new MouseEvent('click', { bubbles: true, altKey: true }));
        return !!row;"""
    wait(browser, lambda d: d.execute_script(alt_click), what="the panel again")
    # Other tests here add lines of their own: what is checked is that none of the hidden
    # pattern's lines is left, and that the others are.
    import re
    noise = re.compile(r"\brequest \d+ handled by worker in \d+ ms")

    def hidden(d):
        shown = rows(d)
        return "not_pattern=" in d.current_url and loaded(d) and not any(noise.search(r.text) for r in shown) \
            and sum("upstream timeout" in r.text for r in shown) == 60
    wait(browser, hidden, what="the noise hidden")
    assert browser.find_element(By.CSS_SELECTOR, ".pattern-chip.negated").text.startswith("hidden")
    shot(browser, "14-pattern-hidden")
    browser.back()
    wait(browser, lambda d: "not_pattern=" not in d.current_url and loaded(d) and len(rows(d)) == 200, what="back again")
    assert js_errors(browser) == []
