"""The restore-test journey in a real headless Chromium: define a test on a real restic copy,
run it, watch the progress bar move without a page reload until the result shows, sign it off
as the business referent, then the pages in English and the PDF report. A Content-Security-
Policy violation or a JavaScript error fails the test. Screenshots (and the report's first
page as a PNG) land in $PCRA_SCREENSHOT_DIR."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from pcra.core.testing import make_edge, make_node
from pcra.restoretests.tests.test_views import (
    PASSWORD,
    finished_run,
    restic_template,
)
from tests.browser.test_journeys import Console, browser, login  # noqa: F401 (fixture)
from tests.browser.test_journeys import shot as full_shot

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("live_db")]


@pytest.fixture
def restore_lab(world, tmp_path, settings):
    """ET-A1's lab system backed up by restic (a real repository) and tape; the Biology
    activity (referent "Dr Martin, biologiste") depends on it; an older failed run of another
    copy fills the list. Runs are queued, not run inline: the test drives the worker itself."""
    from pcra.backups import services

    settings.PCRA_RESTORE_SANDBOX_DIR = tmp_path / "sandbox"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    w = world
    w.member.first_name, w.member.last_name = "Claire", "Martin"
    w.member.save()
    bio = make_node(org=w.et_a1, node_type="activity", code="BIO", name="Biologie médicale",
                    owner="Dr Martin, biologiste")
    lab = make_node(org=w.et_a1, node_type="application", code="LAB", name="Laboratoire (SIL)")
    pacs = make_node(org=w.et_a1, node_type="application", code="PACS", name="Imagerie")
    make_edge(bio, lab, 4)
    asset = services.data_asset_ensure(node=lab, production_site="Nord")
    repo = tmp_path / "repo"
    shutil.copytree(restic_template(), repo)
    restic = services.copy_create(data_asset=asset, name="restic-nas", engine="restic",
                                  media="nas", repository=str(repo), site="Nord")
    services.copy_set_secret(copy=restic, password=PASSWORD)
    services.copy_create(data_asset=asset, name="bandes", engine="veeam", media="bande",
                         site="Sud", offline=True)
    pacs_asset = services.data_asset_ensure(node=pacs, production_site="Nord")
    pacs_copy = services.copy_create(data_asset=pacs_asset, name="pacs-borg", engine="borg",
                                     media="nas", repository="/srv/borg/pacs", site="Nord")
    services.copy_set_secret(copy=pacs_copy, password=PASSWORD)
    w.failed_run = finished_run(pacs_copy, status="failed")
    w.asset, w.restic = asset, restic
    return w


def shot(page, name):
    """A full-page screenshot from the top (a page scrolled by a form keeps its sticky header
    in the middle of the picture otherwise)."""
    page.evaluate("window.scrollTo(0, 0)")
    full_shot(page, name)


def element_shot(locator, name):
    folder = os.environ.get("PCRA_SCREENSHOT_DIR")
    if folder:
        locator.screenshot(path=str(Path(folder) / f"{name}.png"))


def save_report(page, run_url, name, tmp_path):
    """The run's PDF report: a real PDF, kept with the screenshots and its pages rendered as
    PNG (``pdftoppm -r 60``) for a look."""
    response = page.request.get(f"{run_url}report.pdf")
    assert response.ok and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
    folder = os.environ.get("PCRA_SCREENSHOT_DIR")
    pdf = Path(folder or tmp_path) / f"{name}.pdf"
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf.write_bytes(response.body())
    if folder:
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(Path(folder) / name)],
                       check=True)


def _progress_shots(page, run):
    """An ``on_progress`` for the worker that, in the restore and verification phases, records
    the progress, waits until the page shows it (its poll, no reload) and takes a screenshot."""
    from playwright.sync_api import expect

    from pcra.restoretests import services
    from pcra.restoretests.views.common import phase_label

    seen: list[tuple[str, str]] = []
    phases: list[str] = []
    main_thread = threading.current_thread()

    def on_progress(p):
        phases.append(p.phase)
        # Playwright is driven from this thread only (the runner also reports from the threads
        # that read the engine's output).
        if threading.current_thread() is not main_thread or p.phase in {s for s, _ in seen}:
            return
        if p.phase not in ("listing", "restoring", "verifying"):
            return
        services.run_progress(run, {"phase": p.phase, "bytes_done": p.bytes_done,
                                    "bytes_total": p.bytes_total, "files_done": p.files_done,
                                    "files_total": p.files_total})
        expect(page.locator(".run-progress .phase")).to_have_text(str(phase_label(p.phase)),
                                                                  timeout=10000)
        value = page.locator(".run-progress progress").get_attribute("value")
        page.wait_for_timeout(300)  # the bar's paint
        seen.append((p.phase, value))
        shot(page, f"restoretests-progress-{p.phase}-fr")

    return on_progress, seen, phases


def test_define_run_watch_progress_and_sign_off(browser, live_server, restore_lab,  # noqa: F811
                                                tmp_path):
    from playwright.sync_api import expect

    from pcra.restoretests import services
    from pcra.restoretests.models import RestoreTestDefinition, RestoreTestRun

    w = restore_lab
    page = browser.new_page(locale="fr-FR", viewport={"width": 1440, "height": 900})
    console = Console(page)
    login(page, live_server.url, "owner")

    # The asset page: a restore-test section under the restic copy only.
    page.goto(f"{live_server.url}/backups/assets/{w.asset.uuid}/")
    section = page.locator(f"#restore-tests-{w.restic.uuid}")
    expect(section).to_be_visible()
    assert page.locator(".restore-tests").count() == 1
    shot(page, "restoretests-asset-fr")
    section.locator("a[href*='/restore-tests/definitions/new/']").click()

    # Define the test: level 2, whole snapshot, monthly, validated by the lab's referent.
    page.wait_for_url(re.compile(r"/restore-tests/definitions/new/"))
    assert "Dr Martin, biologiste" in page.locator(".owners").inner_text()
    page.fill("#id_name", "Restauration mensuelle")
    page.check("input[name=level][value='2']")
    page.check("input[name=scope][value='full']")
    page.fill("#id_interval_days", "30")
    page.check("#id_functional_signoff")
    page.select_option("#id_referent", label="Claire Martin (member)")
    shot(page, "restoretests-definition-form-fr")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/restore-tests/definitions/[0-9a-f-]{36}/$"))
    definition = RestoreTestDefinition.objects.get(name="Restauration mensuelle")
    assert (definition.level, definition.interval_days, definition.referent_id) == (
        2, 30, w.member.pk)
    assert "Restauration mensuelle" in page.locator("h1").inner_text()
    shot(page, "restoretests-definition-fr")

    # Run now: queued; the page polls progress.json.
    page.locator("main .page-header form[action$='/run/'] button").click()
    page.wait_for_url(re.compile(r"/restore-tests/runs/[0-9a-f-]{36}/$"))
    run = RestoreTestRun.objects.get(definition=definition)
    expect(page.locator("[data-run-status]")).to_have_attribute("data-run-status", "queued")
    assert page.locator(".run-progress progress").get_attribute("value") is None
    page.evaluate("document.body.dataset.loadedOnce = 'yes'")
    shot(page, "restoretests-run-queued-fr")

    # The worker runs it (here, in this thread) while the page follows.
    on_progress, seen, phases = _progress_shots(page, run)
    run = services.execute_run(run, on_progress=on_progress)
    assert run.status == "passed", run.errors
    assert {"check", "restoring", "verifying", "cleanup"} <= set(phases), phases
    assert "restoring" in [phase for phase, _value in seen], seen
    values = [int(value) for _phase, value in seen]
    assert values == sorted(values) and 0 < values[-1] < 100, seen

    # The result replaces the progress without a reload.
    expect(page.locator(".figures-grid")).to_be_visible(timeout=10000)
    assert page.evaluate("document.body.dataset.loadedOnce") == "yes"
    expect(page.locator(".run-progress")).to_have_count(0)
    assert page.locator(".page-header .badge.run-passed").count() == 1
    figures = page.locator(".figures-grid").inner_text()
    assert str(run.files_verified) in figures
    assert run.report_sha256 in page.locator("#evidence").inner_text()
    shot(page, "restoretests-run-passed-fr")
    run_url = page.url

    # The referent (a viewer of ET-A1) validates the restored application.
    referent = browser.new_page(locale="fr-FR", viewport={"width": 1440, "height": 900})
    referent_console = Console(referent)
    login(referent, live_server.url, "member")
    referent.goto(run_url)
    referent.check("input[name=decision][value='validated']")
    referent.fill("#id_comment", "Comptes rendus ouverts et lisibles dans le SIL restauré.")
    referent.locator("#signoff button[type=submit]").click()
    referent.wait_for_url(re.compile(r"#signoff$"))
    expect(referent.locator(".signoff-record.validated")).to_contain_text("Comptes rendus")
    assert referent.locator(".page-header a[href$='/cancel/']").count() == 0
    shot(referent, "restoretests-run-signed-fr")
    assert run.signoff.decision == "validated"
    save_report(referent, run_url, "restoretests-report-fr", tmp_path)

    # The asset page now lists the definition and its run.
    page.goto(f"{live_server.url}/backups/assets/{w.asset.uuid}/")
    section = page.locator(f"#restore-tests-{w.restic.uuid}")
    assert "Restauration mensuelle" in section.inner_text()
    expect(section.locator("table.runs tbody tr")).to_have_count(1)
    element_shot(section, "restoretests-asset-section-fr")

    # The list of runs, then the same pages in English.
    page.goto(f"{live_server.url}/restore-tests/")
    rows = page.locator("#results table.runs tbody tr")
    expect(rows).to_have_count(2)
    assert "LAB" in rows.first.inner_text()
    page.fill("input[type=search]", "pacs")
    expect(rows).to_have_count(1)
    assert "PACS" in rows.first.inner_text()
    page.fill("input[type=search]", "")
    expect(rows).to_have_count(2)
    shot(page, "restoretests-index-fr")
    page.locator("form.langswitch button").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Restore tests"
    shot(page, "restoretests-index-en")
    page.goto(run_url)
    shot(page, "restoretests-run-en")
    page.goto(f"{live_server.url}/restore-tests/runs/{w.failed_run.uuid}/")
    assert "pack 3f2a: ciphertext verification failed" in page.locator(".error-box").inner_text()
    shot(page, "restoretests-run-failed-en")
    page.goto(f"{live_server.url}/restore-tests/definitions/new/?copy={w.restic.uuid}")
    # Level 3 shows the probe; a sample shows its size.
    expect(page.locator("#id_probe_command")).to_be_hidden()
    page.check("input[name=level][value='3']")
    page.check("input[name=scope][value='sample']")
    expect(page.locator("#id_probe_command")).to_be_visible()
    expect(page.locator("#id_sample_files")).to_be_visible()
    shot(page, "restoretests-definition-form-en")
    page.goto(f"{live_server.url}/restore-tests/definitions/new/")
    expect(page.locator("main table tbody tr")).to_have_count(2)
    shot(page, "restoretests-choose-copy-en")
    page.goto(f"{live_server.url}/restore-tests/copies/{w.restic.uuid}/run/")
    shot(page, "restoretests-run-form-en")

    save_report(page, run_url, "restoretests-report-en", tmp_path)
    assert console.problems == [] and referent_console.problems == []


def test_agents_page_register_and_revoke(browser, live_server, restore_lab):  # noqa: F811
    from playwright.sync_api import expect

    page = browser.new_page(locale="fr-FR", viewport={"width": 1440, "height": 900})
    console = Console(page)
    login(page, live_server.url, "ghtadmin")
    page.goto(f"{live_server.url}/restore-tests/agents/new/")
    page.select_option("#id_organization", label=f"ET-A1 – {restore_lab.et_a1.name}")
    page.fill("#id_name", "agent-zone-nord")
    page.fill("#id_description", "Zone de sauvegarde isolée, site Nord")
    page.locator("main form button[type=submit]").click()
    token = page.locator("#token").inner_text()
    assert token.startswith("pcra_agent_")
    assert f"--server {live_server.url} --token-file" in page.locator("pre.snippet").inner_text()
    shot(page, "restoretests-agent-created-fr")
    page.goto(f"{live_server.url}/restore-tests/agents/")
    expect(page.locator("main table tbody tr")).to_have_count(1)
    assert token not in page.content()
    shot(page, "restoretests-agents-fr")
    page.locator("main a[href$='/revoke/']").click()
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main table tbody tr.is-resolved")).to_have_count(1)
    assert console.problems == []
