"""The backups journey in a real headless Chromium: the copies dashboard, a data asset with its
copies, acknowledging an alert, and the dashboard in English. A Content-Security-Policy
violation or a JavaScript error fails the test. Screenshots land in $PCRA_SCREENSHOT_DIR."""

from __future__ import annotations

import re

import pytest

from pcra.backups.tests.test_views import add_copy, ago
from pcra.core.testing import make_edge, make_node
from tests.browser.test_journeys import Console, browser, login, shot  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("live_db")]


@pytest.fixture
def backups(world):
    from pcra.backups import services
    from pcra.backups.models import Alert, CollectionRun

    w = world
    urg = make_node(org=w.et_a1, node_type="activity", code="URG", name="Urgences",
                    pdma_hours=24)
    dpi = make_node(org=w.et_a1, node_type="application", code="DPI", name="Dossier patient")
    pacs = make_node(org=w.et_a1, node_type="application", code="PACS", name="Imagerie")
    make_edge(urg, dpi, 4)
    make_edge(urg, pacs, 8)
    infra = services.infrastructure_create(top=w.ght_a, code="BKP-1", name="Serveur Veeam",
                                           organization=w.et_a1, separate_auth=True,
                                           admin_mfa=False, segmented=True)
    asset = services.data_asset_ensure(node=dpi, production_site="Nord")
    add_copy(asset, "nas-veeam", media="nas", site="Nord", infrastructure=infra,
             restore_days=12)
    add_copy(asset, "bandes", media="bande", site="Sud", offline=True, encrypted=True)
    restic = services.copy_create(data_asset=asset, name="restic-objet", engine="restic",
                                  media="objet", repository="s3:https://s3.local/dpi",
                                  site="Cloud", immutable_days=30)
    CollectionRun.objects.create(copy=restic, kind="collect", started_at=ago(1),
                                 finished_at=ago(1), status="failed",
                                 error_code="wrong_password",
                                 error="No password is stored for DPI / restic-objet.")
    pacs_asset = services.data_asset_ensure(node=pacs, production_site="Nord")
    pacs_copy = add_copy(pacs_asset, "nas-pacs", media="nas", site="Nord", ok=False,
                         point_hours=40)
    Alert.objects.create(data_asset=pacs_asset, copy=pacs_copy, kind="verification_failed",
                         severity="critical", message="nas-pacs: 3 erreurs à la vérification",
                         opened_at=ago(24 * 9), last_seen_at=ago(1))
    Alert.objects.create(data_asset=pacs_asset, copy=pacs_copy, kind="backup_missing",
                         severity="warning", message="nas-pacs: point le plus récent il y a 40 h",
                         opened_at=ago(5), last_seen_at=ago(1))
    return w


def test_dashboard_asset_and_acknowledging_an_alert(browser, live_server, backups):  # noqa: F811
    from playwright.sync_api import expect

    page = browser.new_page(locale="fr-FR", viewport={"width": 1440, "height": 900})
    console = Console(page)
    login(page, live_server.url, "owner")

    page.goto(f"{live_server.url}/backups/")
    assert page.locator("h1").inner_text() == "Copies de sauvegarde"
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(2)
    assert page.locator("#results .digit").count() == 10
    assert page.locator("#results .digit-ko").count() >= 1
    shot(page, "backups-dashboard-fr")

    # Live search (HTMX) then the asset page.
    page.fill("input[type=search]", "dossier")
    expect(rows).to_have_count(1)
    page.click("#results tbody a:has-text('DPI')")
    page.wait_for_url(re.compile(r"/backups/assets/"))
    main = page.locator("main").inner_text()
    for text in ("nas-veeam", "bandes", "restic-objet", "Rançongiciel", "wrong_password"):
        assert text.lower() in main.lower(), text
    assert page.locator(".copy-card").count() == 3
    shot(page, "backups-asset-fr")
    page.locator("main a.button", has_text="Ajouter une copie").click()
    page.wait_for_url(re.compile(r"/copies/new/"))
    assert page.locator("select[name=engine]").is_visible()
    shot(page, "backups-copy-form-fr")

    page.goto(f"{live_server.url}/backups/infrastructures/")
    assert "BKP-1" in page.locator("main").inner_text()
    shot(page, "backups-infrastructures-fr")

    # Acknowledge the critical alert from the alerts page.
    page.goto(f"{live_server.url}/backups/alerts/")
    first = page.locator("#results tbody tr").first
    assert "Critique" in first.inner_text()
    first.locator("button", has_text="Acquitter").click()
    page.wait_for_url(re.compile(r"/backups/alerts/"))
    expect(page.locator(".messages")).to_contain_text("Alerte acquittée")
    expect(page.locator("#results tbody tr").first).to_contain_text("owner")
    shot(page, "backups-alerts-fr")

    page.locator("form.langswitch button").click()
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/backups/")
    assert page.locator("h1").inner_text() == "Backup copies"
    shot(page, "backups-dashboard-en")
    assert console.problems == []
