"""Key user journeys in a real headless Chromium (Debian's /usr/bin/chromium via Playwright).

Each journey watches the browser console: a Content-Security-Policy violation or a JavaScript
error fails the test. Screenshots land in $PCRA_SCREENSHOT_DIR when it is set.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from pcra.core.testing import make_edge, make_node

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("live_db")]

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse battery 42"


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make install`")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()


class Console:
    def __init__(self, page):
        self.problems: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.problems.append(f"pageerror: {exc}"))

    def _on_console(self, message):
        if message.type == "error" or "Content Security Policy" in message.text:
            self.problems.append(message.text)


def shot(page, name):
    folder = os.environ.get("PCRA_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def login(page, base, username):
    page.goto(f"{base}/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


@pytest.fixture
def graph(world):
    w = world
    dpi = make_node(org=w.ght_a, node_type="application", code="DPI", name="Dossier patient")
    vm1 = make_node(org=w.ght_a, node_type="component", code="VM-DPI-1", name="VM DPI 1")
    vm2 = make_node(org=w.ght_a, node_type="component", code="VM-DPI-2", name="VM DPI 2")
    san = make_node(org=w.ght_a, node_type="component", code="SAN", name="Baie de stockage",
                    component_kind="stockage")
    urg = make_node(org=w.et_a1, node_type="activity", code="URG", name="Urgences")
    rea = make_node(org=w.et_a1, node_type="activity", code="REA", name="Réanimation")
    make_edge(urg, dpi, 4)
    make_edge(rea, dpi, 2)
    make_edge(dpi, vm1, group="vm")
    make_edge(dpi, vm2, group="vm")
    make_edge(vm1, san)
    make_edge(vm2, san)
    return w


def test_find_an_activity_see_its_graph_and_what_a_loss_impacts(browser, live_server, graph):
    from playwright.sync_api import expect

    page = browser.new_page(locale="fr-FR")
    console = Console(page)
    login(page, live_server.url, "ghtadmin")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("link", name=re.compile("Activités")).first.is_visible()
    shot(page, "home-fr")

    # Live search in the activity list (HTMX): typing filters the table without a reload.
    page.goto(f"{live_server.url}/inventory/activities/")
    rows = page.locator("#results tbody tr")
    assert rows.count() == 2
    page.fill("input[type=search]", "Réa")
    expect(rows).to_have_count(1)  # (CSP forbids the eval behind wait_for_function)
    assert "REA" in page.locator("#results tbody").inner_text()
    shot(page, "activities-search-fr")

    # The activity's graph: drawn by Cytoscape (a canvas), and listed as a table.
    page.click("#results tbody a:has-text('REA')")
    page.locator("main a[href*='/graph/node/']").first.click()
    page.wait_for_url(re.compile(r"/graph/node/"))
    expect(page.locator("#graph canvas").first).to_be_attached(timeout=15000)
    body = page.locator("main").inner_text()
    for code in ["DPI", "VM-DPI-1", "VM-DPI-2", "SAN"]:
        assert code in body
    shot(page, "graph-rea-fr")

    # The storage array is the single point of failure behind both activities.
    page.goto(f"{live_server.url}/graph/spof/")
    spof = page.locator("main").inner_text()
    assert "SAN" in spof and "VM-DPI-1" not in spof
    shot(page, "spof-fr")
    assert console.problems == []


def test_a_dependency_that_closes_a_cycle_is_refused_on_the_form(browser, live_server, graph):
    page = browser.new_page(locale="fr-FR")
    console = Console(page)
    login(page, live_server.url, "ghtadmin")
    page.goto(f"{live_server.url}/inventory/dependencies/new/")
    for field, code in (("source", "SAN"), ("target", "DPI")):
        option = page.locator(f"select[name={field}] option", has_text=re.compile(rf"^{code}\b"))
        page.select_option(f"select[name={field}]", value=option.first.get_attribute("value"))
    page.locator("main form button[type=submit]").last.click()
    error = page.locator(".errorlist, .field-error, .errors").first
    error.wait_for()
    assert "SAN → DPI → VM-DPI-1 → SAN" in page.locator("main").inner_text()
    shot(page, "dependency-cycle-fr")
    assert console.problems == []


def test_switching_to_english(browser, live_server, graph):
    page = browser.new_page(locale="fr-FR")
    console = Console(page)
    login(page, live_server.url, "ghtadmin")
    page.locator("form.langswitch button").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("link", name=re.compile("Activities")).first.is_visible()
    shot(page, "home-en")
    assert console.problems == []
