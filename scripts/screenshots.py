"""Capture the main pages of a running pcra server, in French and in English.

Usage::

    PCRA_DATA_DIR=… .venv/bin/pcra serve --port 8011 &
    .venv/bin/python scripts/screenshots.py [OUTPUT_DIR] [--base-url URL]
        [--username admin] [--password …]

The password defaults to $PCRA_SCREENSHOT_PASSWORD, else to the one ``pcra ensure_admin``
keeps in $PCRA_DATA_DIR/admin_password.txt. Pages whose URL does not exist yet (graph,
workbook, audit) are skipped. Detail pages are found by following the first link of each list.
Besides the desktop captures, the dashboard is captured on a phone-sized screen and one list
with the print stylesheet.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

# (file name, path, css selector of the first link to follow for a detail page or None)
LISTS = [
    ("organizations", "/organizations/", "#results td a.code"),
    ("activities", "/inventory/activities/", "#results td a.code"),
    ("applications", "/inventory/applications/", "#results td a.code"),
    ("components", "/inventory/components/", "#results td a.code"),
    ("suppliers", "/inventory/suppliers/", "#results td a.code"),
    ("dependencies", "/inventory/dependencies/", "#results td.arrow a"),
]
PAGES = [
    ("activity-new", "/inventory/activities/new/"),
    ("dependency-new", "/inventory/dependencies/new/"),
    ("organization-new", "/organizations/new/"),
    ("profile", "/accounts/profile/"),
    ("graph", "/graph/"),
    ("spof", "/graph/spof/"),
    ("workbook", "/workbook/import/"),
    ("audit", "/audit/"),
]


def default_password() -> str:
    if os.environ.get("PCRA_SCREENSHOT_PASSWORD"):
        return os.environ["PCRA_SCREENSHOT_PASSWORD"]
    data_dir = Path(os.environ.get("PCRA_DATA_DIR", "var"))
    secret = data_dir / "admin_password.txt"
    return secret.read_text().strip() if secret.exists() else ""


def shot(page: Page, out: Path, name: str) -> None:
    page.screenshot(path=str(out / f"{name}.png"), full_page=True)
    print(f"  {out / name}.png")


def capture(base: str, out: Path, username: str, password: str, language: str,
            browser) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 900},
                                  locale="fr-FR" if language == "fr" else "en-GB")
    host = base.split("://", 1)[1].split("/", 1)[0].split(":")[0]
    context.add_cookies([{"name": "django_language", "value": language, "domain": host,
                          "path": "/"}])
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(f"{page.url}: {msg.text}")
            if msg.type == "error" and "404" not in msg.text else None)

    page.goto(f"{base}/accounts/login/")
    shot(page, out, f"{language}-login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state("networkidle")
    if "/accounts/login/" in page.url:
        sys.exit(f"login failed as {username!r}")
    shot(page, out, f"{language}-home")

    for name, path, first_link in LISTS:
        page.goto(base + path)
        shot(page, out, f"{language}-{name}")
        link = page.locator(first_link).first
        if first_link and link.count():
            link.click()
            page.wait_for_load_state("networkidle")
            shot(page, out, f"{language}-{name}-detail")

    # Live search: type in the search box and let HTMX replace the results.
    page.goto(base + "/inventory/applications/")
    with page.expect_response(lambda r: "/inventory/applications/?" in r.url):
        page.fill("input[name=q]", "lab")
    page.wait_for_timeout(300)
    shot(page, out, f"{language}-applications-search")

    # The cycle error on the dependency form: declare "B depends on A" where A depends on B.
    page.goto(base + "/inventory/dependencies/?source_type=application")
    page.locator("#results td.arrow a").first.click()
    page.wait_for_load_state("networkidle")
    edit = page.locator("a[href$='/edit/']").first
    if edit.count():
        edit.click()
        source = page.locator("select[name=source]").input_value()
        target = page.locator("select[name=target]").input_value()
        page.goto(f"{base}/inventory/dependencies/new/?source={target}&target={source}")
        page.click("form.form button[type=submit]")
        page.wait_for_load_state("networkidle")
        shot(page, out, f"{language}-dependency-cycle-error")

    for name, path in PAGES:
        response = page.goto(base + path)
        if response is None or response.status == 404:
            continue
        shot(page, out, f"{language}-{name}")

    # A delete confirmation; submitted only when the service will refuse it (something
    # depends on the node), so that the script never deletes anything.
    page.goto(base + "/inventory/components/")
    page.locator("#results td a.code").first.click()
    page.wait_for_load_state("networkidle")
    delete = page.locator("a[href$='/delete/']").first
    if delete.count():
        delete.click()
        page.wait_for_load_state("networkidle")
        if page.locator("ul.blockers li").count():
            page.click("form button.danger")
            page.wait_for_load_state("networkidle")
            shot(page, out, f"{language}-component-delete-refused")
        else:
            shot(page, out, f"{language}-component-delete-confirm")

    if language == "fr":
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(base + "/")
        shot(page, out, f"{language}-home-phone")
        page.set_viewport_size({"width": 1366, "height": 900})
        page.emulate_media(media="print")
        page.goto(base + "/inventory/activities/")
        shot(page, out, f"{language}-activities-print")
        page.emulate_media(media="screen")
    if errors:
        print(f"  console errors ({language}):", *errors, sep="\n    ")
    context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output", nargs="?", default="screenshots")
    parser.add_argument("--base-url", default="http://127.0.0.1:8011")
    parser.add_argument("--username", default="admin")
    parser.add_argument("--password", default=None)
    parser.add_argument("--languages", default="fr,en")
    args = parser.parse_args()
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    password = args.password if args.password is not None else default_password()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            for language in args.languages.split(","):
                print(f"[{language}]")
                capture(args.base_url.rstrip("/"), out, args.username, password, language,
                        browser)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
