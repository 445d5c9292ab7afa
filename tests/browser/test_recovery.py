"""The recovery-plan journey in a real headless Chromium: from the scenarios, ask for the plan
of a ransomware attack on an establishment, watch the page follow the computation (done here by
the worker's code in a thread) and show the plan — Gantt chart drawn, activities against their
DMIA, why each task starts then —, then the runbook per team and the PDF. A Content-Security-
Policy violation or a JavaScript error fails the test. Screenshots (and the PDF's first page as
a PNG) land in $PCRA_SCREENSHOT_DIR."""

from __future__ import annotations

import os
import re
import subprocess
import threading
from pathlib import Path

import pytest

from pcra.recovery.tests.test_views import ght  # noqa: F401 (fixture)
from tests.browser.test_journeys import Console, browser, login  # noqa: F401 (fixture)
from tests.browser.test_journeys import shot as full_shot

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("live_db")]


def test_ask_for_a_plan_watch_it_computed_read_gantt_runbook_and_pdf(
        browser, live_server, ght, settings, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    from pcra.recovery import services
    from pcra.recovery.models import PlanState, RecoveryPlan

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    page = browser.new_page(locale="fr-FR", viewport={"width": 1440, "height": 900})
    console = Console(page)
    login(page, live_server.url, "owner")
    page.goto(f"{live_server.url}/recovery/")
    assert "Ransomware A1" in page.locator("main").inner_text()
    full_shot(page, "recovery-index-fr")
    page.get_by_role("link", name="Ransomware A1").click()
    page.wait_for_url(re.compile(r"/recovery/scenarios/[0-9a-f-]{36}/$"))
    assert "DPI-A1" in page.locator("main").inner_text()
    page.fill("#id_time_limit_seconds", "5")
    full_shot(page, "recovery-scenario-fr")
    page.locator("main form button[type=submit]").click()

    # Queued: the page shows its progress and follows the computation without a reload.
    page.wait_for_url(re.compile(r"/recovery/plans/[0-9a-f-]{36}/$"))
    expect(page.locator(".plan-progress progress")).to_be_visible()
    plan = RecoveryPlan.objects.get()
    assert plan.state == PlanState.QUEUED
    worker = threading.Thread(target=services.plan_compute, args=(plan,))
    worker.start()
    worker.join(timeout=120)
    expect(page.locator(".gantt svg")).to_be_visible(timeout=20000)
    plan.refresh_from_db()
    assert plan.state == PlanState.DONE

    main = page.locator("main").inner_text()
    assert "URG-A1" in main and "Diagramme de Gantt" in main
    bars = page.locator(".gantt .bar rect")
    assert bars.count() == 3  # the restores of VM-A1 and DPI-A1, the line of URG-A1
    assert page.locator(".gantt .bar.activity").count() == 1
    assert "attend VM-A1 – VM A1" in main  # why DPI-A1 starts when it does
    full_shot(page, "recovery-plan-fr")
    page.locator(".gantt-card").screenshot(path=str(tmp_path / "gantt.png"))
    assert (tmp_path / "gantt.png").stat().st_size > 5000

    page.get_by_role("link", name="Fiche de reprise par équipe").first.click()
    page.wait_for_url(re.compile(r"/runbook/$"))
    runbook = page.locator("main").inner_text()
    assert "Système" in runbook and "T0 +" in runbook
    full_shot(page, "recovery-runbook-fr")

    pdf = page.request.get(f"{live_server.url}/recovery/plans/{plan.uuid}/plan.pdf")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    path = tmp_path / "plan.pdf"
    path.write_bytes(pdf.body())
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Plan de reprise : Ransomware A1" in text and "Fiche de reprise par équipe" in text
    folder = os.environ.get("PCRA_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "3", str(path),
                        str(Path(folder) / "recovery-plan-pdf")], check=True)
    assert console.problems == []
