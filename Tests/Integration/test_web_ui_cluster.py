"""The web UI of a node in `--search-through` mode, in headless Chromium: lines stored on
three nodes (RabbitMQ competing consumers) are one log view; search, the sidebar, context
and the live tail all span the cluster. Screenshots go where test_web_ui's go."""
import time
import uuid

import pytest

from test_search_through import broker_cluster, publish, wait_stored  # noqa: F401 (fixtures)
from test_web_ui import browser, js_errors, loaded, rows, shot, wait  # noqa: F401 (fixtures)

from selenium.webdriver.common.by import By  # noqa: E402


def test_one_log_view_over_three_nodes(broker_cluster, browser):  # noqa: F811
    members, front = broker_cluster
    node = members[0]
    marker = "ui" + uuid.uuid4().hex[:6]
    publish(marker, 90)
    wait_stored(front, marker, 90)
    # Each line is stored on one node (whichever consumed it); the view must show all 90.
    import pymysql
    shares = []
    for m in members:
        c = pymysql.connect(host="127.0.0.1", port=m.port, user="t", autocommit=True)
        cur = c.cursor()
        cur.execute("SELECT COUNT(*) FROM logs WHERE MATCH('%s')" % marker)
        shares.append(cur.fetchall()[0][0])
        c.close()
    assert sum(shares) == 90, shares
    print("lines per node:", shares)
    browser.get("http://127.0.0.1:%d/grep/logs/?q=%s" % (node.http_port, marker))
    wait(browser, lambda d: loaded(d) and len(rows(d)) == 90, what="every node's lines")
    numbers = sorted(int(r.find_element(By.CSS_SELECTOR, ".msg").text.split("n=")[1].split()[0]) for r in rows(browser))
    assert numbers == list(range(90))
    shot(browser, "cluster-01-search")
    # Context around a line holds lines stored on other nodes.
    target = rows(browser)[45]
    target_id = target.get_attribute("data-id")
    target.click()
    browser.find_element(By.CSS_SELECTOR, "body").send_keys("c")
    wait(browser, lambda d: ("ctx=%s" % target_id) in d.current_url and loaded(d), what="context mode")
    assert browser.find_element(By.CSS_SELECTOR, ".line.anchor").get_attribute("data-id") == target_id
    assert len(rows(browser)) > 20
    shot(browser, "cluster-02-context")
    # The live tail: lines published now appear, from whichever node stores them.
    fresh = "tail" + uuid.uuid4().hex[:6]
    browser.get("http://127.0.0.1:%d/grep/logs/?q=%s" % (node.http_port, fresh))
    wait(browser, lambda d: "0 lines shown" in d.find_element(By.CSS_SELECTOR, ".status").text, what="an empty result")
    browser.find_element(By.CSS_SELECTOR, "body").send_keys("t")
    wait(browser, lambda d: "tailing live" in d.find_element(By.CSS_SELECTOR, ".status").text, what="the tail to connect")
    time.sleep(0.5)
    publish(fresh, 12)
    wait(browser, lambda d: len(rows(d)) == 12, timeout=60, what="tailed lines")
    assert all(r.find_elements(By.TAG_NAME, "mark") for r in rows(browser))
    shot(browser, "cluster-03-live-tail")
    assert js_errors(browser) == []
