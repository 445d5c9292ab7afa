"""Continuity plans in a real headless Chromium: an editor writes a PCRA, an administrator
approves it, the binder PDF downloads; the offline kit opens from a file with the network
cut, is searched, and asks nothing of the network."""

from __future__ import annotations

import subprocess

import pytest

from pcra.core.testing import make_node
from tests.browser.test_journeys import Console, browser, login, shot  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("live_db")]


def test_write_approve_and_print_a_plan(browser, live_server, world, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    from pcra.plans.models import ContinuityPlan, PlanStatus

    urg = make_node(org=world.et_a1, node_type="activity", code="URG", name="Urgences")
    page = browser.new_page(locale="fr-FR")
    console = Console(page)
    login(page, live_server.url, "owner")
    page.goto(f"{live_server.url}/plans/")
    page.get_by_role("link", name="Nouveau plan").click()
    page.select_option("#id_organization", str(world.et_a1.uuid))
    page.fill("#id_code", "pcra-urg")
    page.fill("#id_title", "PCRA des urgences")
    page.select_option("#id_activities", str(urg.uuid))
    page.check("input[name=scenarios][value=personnel]")
    page.fill("#id_trigger_criteria", "DPI indisponible plus de 15 minutes")
    page.fill("#id_trigger_authority", "Le médecin senior ; à défaut le cadre de garde")
    page.fill("#id_steps-0-ORDER", "1")
    page.fill("#id_steps-0-when", "T+0")
    page.fill("#id_steps-0-who", "Médecin senior")
    page.fill("#id_steps-0-action", "Déclarer le mode dégradé")
    page.fill("#id_steps-1-ORDER", "2")
    page.select_option("#id_steps-1-phase", "return")
    page.fill("#id_steps-1-who", "Cadre de santé")
    page.fill("#id_steps-1-action", "Ressaisir les dossiers papier")
    shot(page, "plan-form-fr")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("h1")).to_have_text("PCRA des urgences")
    page.get_by_role("button", name="Soumettre en relecture").click()
    expect(page.locator(".messages")).to_contain_text("soumise en relecture")
    assert page.get_by_role("button", name="Approuver").count() == 0  # an editor
    page.get_by_role("button", name="Se déconnecter").click()

    login(page, live_server.url, "ghtadmin")
    plan = ContinuityPlan.objects.get()
    page.goto(f"{live_server.url}/plans/{plan.uuid}/")
    page.get_by_role("button", name="Approuver").click()
    expect(page.locator(".messages")).to_contain_text("approuvée")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED
    shot(page, "plan-approved-fr")
    page.goto(f"{live_server.url}/plans/")
    assert "pcra-urg" in page.locator("#coverage").inner_text()
    page.select_option("#binder-org", str(world.et_a1.uuid))
    with page.expect_download() as download:
        page.get_by_role("button", name="Télécharger le PDF").click()
    path = tmp_path / "binder.pdf"
    download.value.save_as(path)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "PCRA des urgences" in text and "Ressaisir les dossiers papier" in text
    assert console.problems == []


def test_offline_kit_opens_without_network_and_is_searched(browser, world, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    from pcra.plans import documents, services
    from pcra.plans.tests.factories import approve, ready_plan

    approve(ready_plan(world, title="PCRA des urgences"), world.ght_admin)
    services.reflex_defaults(top=world.ght_a, language="fr")
    services.contact_create(top=world.ght_a, name="Directrice de garde",
                            mobile="06 39 98 10 01", backup_phone="01 99 00 99 00",
                            crisis_role="Directrice de crise")
    kit = documents.write_kit(out_dir=tmp_path, organization=world.et_a1)
    html = kit.path / "classeur-crise-ET-A1.html"
    context = browser.new_context(offline=True, locale="fr-FR")
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    console = Console(page)
    page.goto(html.as_uri())
    assert page.title().startswith("Classeur de crise")
    items = page.locator("[data-search]")
    total = items.count()
    assert total == 5 + 1 + 1  # five reflex sheets, the directory, one plan (no PRI yet)
    page.fill("#search", "telephonie")  # without its accent: found all the same
    expect(page.locator("#search-status")).to_have_text(f"2 parties sur {total} correspondent")
    assert page.locator("[data-search]:visible h2").all_inner_texts() == [
        "Perte de la téléphonie", "Perte du réseau informatique"]  # the latter cites it
    page.fill("#search", "01 99 00 99 00")
    expect(page.locator("#search-status")).to_have_text(f"1 parties sur {total} correspondent")
    assert "Directrice de garde" in page.locator("[data-search]:visible").inner_text()
    page.fill("#search", "zzz introuvable")
    expect(page.locator("#no-result")).to_be_visible()
    page.fill("#search", "")
    expect(items.filter(has=page.locator(":visible"))).to_have_count(total)
    shot(page, "offline-kit-fr")
    assert requests == [html.as_uri()]  # nothing but the file itself
    assert console.problems == []
    context.close()
