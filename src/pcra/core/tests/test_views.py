"""Dashboard, layout, navigation, languages and account pages."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from pcra.accounts.models import User
from pcra.core.crud import apply_errors, format_hours, format_number, optional_url
from pcra.core.templatetags.pcra_ui import can_read_audit
from pcra.core.testing import make_edge, make_node, make_user
from pcra.inventory.forms import DependencyForm


@pytest.fixture
def english_pages(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def mapped(world):
    """ET-A1: URG → DPI → SRV (shared), ADM (no dependency); ET-A2: LAB → SIL → SRV;
    ISO (shared, linked to nothing); GHT-B: B-ACT."""
    urg = make_node(org=world.et_a1, node_type="activity", code="URG")
    make_node(org=world.et_a1, node_type="activity", code="ADM", activity_kind="administratif")
    dpi = make_node(org=world.et_a1, node_type="application", code="DPI")
    srv = make_node(org=world.ght_a, node_type="component", code="SRV")
    make_node(org=world.ght_a, node_type="component", code="ISO", component_kind="fournisseur")
    lab = make_node(org=world.et_a2, node_type="activity", code="LAB",
                    activity_kind="plateau_technique")
    sil = make_node(org=world.et_a2, node_type="application", code="SIL")
    make_edge(urg, dpi)
    make_edge(dpi, srv)
    make_edge(lab, sil)
    make_edge(sil, srv)
    make_node(org=world.et_b1, node_type="activity", code="B-ACT")
    return world


def rows_of(response) -> dict[str, dict]:
    out = {}
    for section in response.context["sections"]:
        for row in section.rows:
            c = row.counts
            out[row.label or f"shared:{section.top.code}"] = {
                "activities": c.activities, "applications": c.applications,
                "components": c.components, "dependencies": c.dependencies,
                "without": c.activities_without_dependency, "isolated": c.isolated,
                "natures": c.natures,
            }
    return out


# --- dashboard ---------------------------------------------------------------------------------

def test_home_requires_login(client, db):
    response = client.get(reverse("core:home"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next=/"


def test_dashboard_counts_for_a_ght_admin(client, mapped, english_pages):
    client.force_login(mapped.ght_admin)
    response = client.get(reverse("core:home"))
    assert [s.top.code for s in response.context["sections"]] == ["GHT-A"]
    assert rows_of(response) == {
        "shared:GHT-A": {"activities": 0, "applications": 0, "components": 2,
                         "dependencies": 0, "without": 0, "isolated": 1, "natures": {}},
        "EJ-A": {"activities": 0, "applications": 0, "components": 0, "dependencies": 0,
                 "without": 0, "isolated": 0, "natures": {}},
        "ET-A1": {"activities": 2, "applications": 1, "components": 0, "dependencies": 2,
                  "without": 1, "isolated": 0, "natures": {"soins": 1, "administratif": 1}},
        "ET-A2": {"activities": 1, "applications": 1, "components": 0, "dependencies": 2,
                  "without": 0, "isolated": 0, "natures": {"plateau_technique": 1}},
    }
    grand = response.context["grand"]
    assert (grand.activities, grand.applications, grand.components, grand.suppliers,
            grand.dependencies, grand.activities_without_dependency, grand.isolated) == (
        3, 2, 2, 1, 4, 1, 1)
    html = response.content.decode()
    assert f'{reverse("inventory:activity_list")}?missing=deps' in html
    assert f'{reverse("inventory:activity_list")}?org={mapped.et_a1.uuid}' in html
    assert "<strong>1</strong> activity has no dependency declared" in html


def test_dashboard_of_a_viewer_shows_only_its_establishment(client, mapped, english_pages):
    client.force_login(mapped.member)
    response = client.get(reverse("core:home"))
    assert set(rows_of(response)) == {"shared:GHT-A", "ET-A1"}
    html = response.content.decode()
    assert "ET-A2" not in html and "GHT-B" not in html
    # edges are counted only when both ends are visible
    assert rows_of(response)["ET-A1"]["dependencies"] == 2
    assert rows_of(response)["shared:GHT-A"]["dependencies"] == 0


def test_dashboard_without_any_role(client, db, english_pages):
    client.force_login(make_user("nobody"))
    response = client.get(reverse("core:home"))
    assert response.context["sections"] == []
    assert "You do not have access to any establishment yet." in response.content.decode()


def test_dashboard_query_count_does_not_grow(client, world):
    client.force_login(world.ght_admin)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("core:home")).status_code == 200
        return len(ctx.captured_queries)

    hub = make_node(org=world.ght_a, node_type="component", code="HUB")
    for i in range(5):
        make_edge(make_node(org=world.et_a1, node_type="activity", code=f"A{i:02}"), hub)
    small = count()
    for i in range(5, 50):
        make_edge(make_node(org=world.et_a2, node_type="activity", code=f"A{i:02}"), hub)
        make_node(org=world.et_a1, node_type="application", code=f"P{i:02}")
    assert count() == small


# --- layout and navigation ---------------------------------------------------------------------

def test_navigation_links_and_audit_visibility(client, world, english_pages):
    client.force_login(world.ght_admin)
    html = client.get(reverse("core:home")).content.decode()
    for name in ("organizations:list", "inventory:activity_list", "inventory:application_list",
                 "inventory:component_list", "inventory:supplier_list",
                 "inventory:dependency_list"):
        assert f'href="{reverse(name)}"' in html
    assert 'class="active" aria-current="page"' in html
    for name in ("graph:index", "graph:spof", "workbook:import", "audit:list"):
        if optional_url(name):
            assert f'href="{optional_url(name)}"' in html
    assert can_read_audit(world.ght_admin) is True
    assert can_read_audit(world.owner) is False
    assert can_read_audit(world.member) is False
    auditor = make_user("auditor", [(world.et_a1, "auditor")])
    assert can_read_audit(auditor) is True
    if optional_url("audit:list"):
        client.force_login(world.owner)
        assert f'href="{optional_url("audit:list")}"' not in client.get(
            reverse("core:home")).content.decode()


def test_missing_urls_do_not_break_pages(db):
    assert optional_url("graph:does-not-exist") == ""
    assert optional_url("nowhere:index") == ""
    rendered = Template("{% load pcra_ui %}[{% maybe_url 'nowhere:x' %}]").render(Context())
    assert rendered == "[]"


def test_pages_have_no_inline_script_or_style(client, mapped, english_pages):
    client.force_login(mapped.ght_admin)
    for name in ("core:home", "organizations:list", "inventory:activity_list",
                 "inventory:dependency_list", "inventory:dependency_create"):
        response = client.get(reverse(name))
        html = response.content.decode()
        assert "style=" not in html and "<style" not in html, name
        assert "<script>" not in html and " on" + "click=" not in html, name
        assert response["Content-Security-Policy"].startswith("default-src 'self'")


def test_error_pages(client, world, english_pages):
    client.force_login(world.member)
    response = client.get(reverse("organizations:edit", kwargs={"uuid": world.et_a1.uuid}))
    assert response.status_code == 403
    assert "Not allowed" in response.content.decode()
    response = client.get(reverse("organizations:detail", kwargs={"uuid": world.et_a2.uuid}))
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


# --- languages ---------------------------------------------------------------------------------

def _catalogue() -> Path:
    return Path(django_settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.mo"


def test_french_is_the_default_and_english_a_switch(client, world, settings, monkeypatch):
    import importlib

    import pcra.settings as pcra_settings

    monkeypatch.delenv("PCRA_LANGUAGE", raising=False)
    assert importlib.reload(pcra_settings).LANGUAGE_CODE == "fr"
    settings.LANGUAGE_CODE = "fr"  # whatever a test-wide fixture may have chosen
    assert _catalogue().exists(), "run `pcra compilemessages` (make install does it)"
    response = client.get(reverse("accounts:login"))
    html = response.content.decode()
    assert '<html lang="fr">' in html
    assert "Connexion à pcra" in html
    client.force_login(world.ght_admin)
    html = client.get(reverse("core:home")).content.decode()
    assert "Tableau de bord" in html and "Établissements" in html and "Dépendances" in html
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get(reverse("core:home")).content.decode()
    assert '<html lang="en">' in html and "Dashboard" in html


def test_french_decimal_input(client, world, settings):
    settings.LANGUAGE_CODE = "fr"
    client.force_login(world.owner)
    client.post(reverse("inventory:activity_create"), {
        "code": "REA", "name": "Réanimation", "organization": str(world.et_a1.uuid),
        "activity_kind": "soins", "pdma_hours": "1,5"})
    assert str(world.et_a1.nodes.get(code="REA").pdma_hours) == "1.50"


def test_profile_saves_the_language_and_login_applies_it(client, world, english_pages):
    client.force_login(world.owner)
    response = client.get(reverse("accounts:profile"))
    html = response.content.decode()
    assert [m.organization.code for m in response.context["memberships"]] == ["ET-A1"]
    assert "Editor" in html
    response = client.post(reverse("accounts:profile"), {"language": "en"})
    assert response.status_code == 302
    assert response.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert User.objects.get(pk=world.owner.pk).language == "en"
    client.logout()
    client.cookies.clear()
    response = client.post(reverse("accounts:login"), {
        "username": "owner", "password": "correct horse battery 42"})
    assert response.status_code == 302
    assert response.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_password_change(client, world, english_pages):
    client.force_login(world.owner)
    response = client.post(reverse("accounts:password_change"), {
        "old_password": "correct horse battery 42",
        "new_password1": "a much longer passphrase 7", "new_password2": "a much longer passphrase 7"})
    assert response["Location"] == reverse("accounts:profile")
    assert User.objects.get(pk=world.owner.pk).check_password("a much longer passphrase 7")


# --- helpers -----------------------------------------------------------------------------------

def test_number_formats():
    with translation.override("fr"):
        assert format_hours(Decimal("0.50")) == "0,5\u00a0h"
        assert format_hours(Decimal("24.00")) == "24\u00a0h"
        assert format_number(Decimal("1234.25")) == "1234,25"
    with translation.override("en"):
        assert format_hours(Decimal("1.50")) == "1.5\u00a0h"
    assert format_hours(None) == ""


def test_apply_errors_maps_fields_and_keeps_unknown_ones(world):
    form = DependencyForm({}, user=world.owner)
    form.is_valid()
    apply_errors(form, ValidationError({"target": ["bad target"], "top": ["bad top"],
                                        "__all__": ["general"]}))
    assert "bad target" in form.errors["target"]
    assert form.non_field_errors() == ["GHT: bad top", "general"]
    form = DependencyForm({}, user=world.owner)
    form.is_valid()
    apply_errors(form, ValidationError("plain message"))
    assert form.non_field_errors() == ["plain message"]


def test_htmx_detection():
    from pcra.core.crud import is_htmx

    factory = RequestFactory()
    assert is_htmx(factory.get("/", headers={"HX-Request": "true"})) is True
    assert is_htmx(factory.get("/")) is False
    assert is_htmx(factory.get("/", headers={"HX-Request": "true", "HX-Boosted": "true"})) \
        is False


def test_french_by_default_whatever_the_browser_says(client, world):
    """The browser's Accept-Language is ignored; only the user's choice (cookie) counts."""
    from django.conf import settings

    client.force_login(world.owner)
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "fr"
    assert '<html lang="fr">' in response.content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="fr-FR")
    assert response["Content-Language"] == "en"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "xx"
    assert client.get("/")["Content-Language"] == "fr"
