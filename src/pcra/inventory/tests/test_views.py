"""Inventory pages: who sees and changes what, what the pages show, and what they cost.

Personas (pcra.core.testing): owner = editor ET-A1, member = viewer ET-A1, outsider = editor
ET-A2, stranger = admin GHT-B, ght_admin = admin GHT-A.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pcra.core.testing import make_edge, make_node, make_user
from pcra.inventory.models import Dependency, Node

CODE_LINK = re.compile(r'class="code">([^<]+)</a>')


@pytest.fixture(autouse=True)
def english_pages(settings):
    """Assertions read the English source strings (French is tested in core)."""
    settings.LANGUAGE_CODE = "en"


def codes(response) -> list[str]:
    return CODE_LINK.findall(response.content.decode())


def results(response) -> str:
    html = response.content.decode()
    return html[html.index('<div id="results"'):]


@pytest.fixture
def graph(world):
    """URG (activity, ET-A1) → DPI (application, ET-A1) → SRV (component, shared GHT-A);
    LAB (activity, ET-A2) → SIL (application, ET-A2) → SRV."""
    urg = make_node(org=world.et_a1, node_type="activity", code="URG", name="Urgences")
    dpi = make_node(org=world.et_a1, node_type="application", code="DPI",
                    name="Dossier patient", hosting="local")
    srv = make_node(org=world.ght_a, node_type="component", code="SRV", name="Serveur")
    lab = make_node(org=world.et_a2, node_type="activity", code="LAB", name="Laboratoire",
                    activity_kind="plateau_technique")
    sil = make_node(org=world.et_a2, node_type="application", code="SIL", name="SIL")
    return {
        "urg": urg, "dpi": dpi, "srv": srv, "lab": lab, "sil": sil,
        "urg_dpi": make_edge(urg, dpi, 4),
        "dpi_srv": make_edge(dpi, srv, None, "vm"),
        "lab_sil": make_edge(lab, sil),
        "sil_srv": make_edge(sil, srv),
    }


def url(name: str, node=None) -> str:
    return reverse(f"inventory:{name}", kwargs={"uuid": node.uuid} if node is not None else None)


# --- anonymous ------------------------------------------------------------------------------------

def test_anonymous_is_sent_to_login_everywhere(client, graph):
    urls = [url("activity_list"), url("activity_detail", graph["urg"]),
            url("activity_create"), url("activity_edit", graph["urg"]),
            url("activity_delete", graph["urg"]), url("dependency_list"),
            url("dependency_create"), url("dependency_detail", graph["urg_dpi"]),
            url("node", graph["urg"])]
    for target in urls:
        response = client.get(target)
        assert response.status_code == 302, target
        assert response["Location"] == f"{reverse('accounts:login')}?next={target}"


# --- lists ----------------------------------------------------------------------------------------

def test_lists_show_only_what_the_user_may_see(client, world, graph):
    client.force_login(world.member)
    assert codes(client.get(url("activity_list"))) == ["URG"]
    assert codes(client.get(url("application_list"))) == ["DPI"]
    assert codes(client.get(url("component_list"))) == ["SRV"]
    client.force_login(world.outsider)
    assert codes(client.get(url("activity_list"))) == ["LAB"]
    assert codes(client.get(url("component_list"))) == ["SRV"]  # shared across GHT-A
    client.force_login(world.stranger)
    assert codes(client.get(url("activity_list"))) == []
    assert codes(client.get(url("component_list"))) == []
    client.force_login(world.ght_admin)
    assert codes(client.get(url("activity_list"))) == ["LAB", "URG"]


def test_superuser_sees_everything(client, world, graph):
    make_node(org=world.et_b1, node_type="activity", code="B-ACT")
    admin = make_user("root")
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    assert codes(client.get(url("activity_list"))) == ["B-ACT", "LAB", "URG"]


def test_list_shows_columns_of_the_type(client, world, graph):
    client.force_login(world.owner)
    html = client.get(url("activity_list")).content.decode()
    row = html[html.index('class="code">URG'):]
    row = row[:row.index("</tr>")]
    assert "Urgences" in row
    assert "ET-A1" in row
    assert '<span class="badge nature-soins">Care service</span>' in row
    # shared component shows its GHT
    html = client.get(url("component_list")).content.decode()
    assert "Shared · GHT-A" in html
    assert '<span class="badge ckind-serveur">Server</span>' in html


def test_search_and_filters(client, world, graph):
    client.force_login(world.ght_admin)
    make_node(org=world.et_a1, node_type="activity", code="ADM", name="Admissions",
              activity_kind="administratif")
    assert codes(client.get(url("activity_list"), {"q": "urg"})) == ["URG"]
    assert codes(client.get(url("activity_list"), {"q": "admis"})) == ["ADM"]
    assert codes(client.get(url("activity_list"), {"org": str(world.et_a2.uuid)})) == ["LAB"]
    assert codes(client.get(url("activity_list"),
                            {"activity_kind": "administratif"})) == ["ADM"]
    # data quality: ADM has no dependency
    assert codes(client.get(url("activity_list"), {"missing": "deps"})) == ["ADM"]
    assert codes(client.get(url("component_list"), {"org": "shared"})) == ["SRV"]
    assert codes(client.get(url("application_list"), {"hosting": "local"})) == ["DPI"]
    # an invalid filter value is ignored, not an error
    assert codes(client.get(url("activity_list"), {"org": "nope"})) == ["ADM", "LAB", "URG"]
    isolated = make_node(org=world.et_a1, node_type="component", code="ALONE")
    assert codes(client.get(url("component_list"), {"missing": "links"})) == [isolated.code]


def test_htmx_search_returns_the_results_partial(client, world, graph):
    client.force_login(world.ght_admin)
    response = client.get(url("activity_list"), {"q": "lab"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="results"')
    assert "<html" not in html and "<nav" not in html.replace('<nav class="pagination"', "")
    assert codes(response) == ["LAB"]
    assert "HX-Request" in response["Vary"]
    # a history restore asks for the whole page
    response = client.get(url("activity_list"), {"q": "lab"},
                          headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in response.content.decode()


def test_pagination_keeps_filters(client, world, settings):
    settings.PCRA_PAGE_SIZE = 2
    for i in range(5):
        make_node(org=world.et_a1, node_type="application", code=f"APP{i}")
    client.force_login(world.owner)
    first = client.get(url("application_list"), {"q": "APP"})
    assert codes(first) == ["APP0", "APP1"]
    assert 'href="?q=APP&amp;page=2"' in first.content.decode()
    assert codes(client.get(url("application_list"), {"q": "APP", "page": 3})) == ["APP4"]


def test_suppliers_are_components_of_kind_supplier(client, world, graph):
    make_node(org=world.ght_a, node_type="component", code="EDITEUR",
              component_kind="fournisseur")
    client.force_login(world.owner)
    assert codes(client.get(url("supplier_list"))) == ["EDITEUR"]
    assert codes(client.get(url("component_list"))) == ["EDITEUR", "SRV"]


def test_dependency_list(client, world, graph):
    client.force_login(world.member)
    response = client.get(url("dependency_list"))
    # source and target codes of the visible edges (both ends visible to ET-A1)
    assert codes(response) == ["DPI", "SRV", "URG", "DPI"]
    client.force_login(world.ght_admin)
    assert codes(client.get(url("dependency_list"), {"q": "SIL"})) == ["LAB", "SIL", "SIL",
                                                                       "SRV"]
    assert codes(client.get(url("dependency_list"), {"grouped": "yes"})) == ["DPI", "SRV"]
    assert codes(client.get(url("dependency_list"),
                            {"source_type": "activity", "org": str(world.et_a2.uuid)})) == [
        "LAB", "SIL"]


# --- detail ---------------------------------------------------------------------------------------

def test_detail_shows_fields_dependencies_and_dependents(client, world, graph):
    dpi = graph["dpi"]
    Node.objects.filter(pk=dpi.pk).update(attributes={"Éditeur contact": "hotline 24/7"})
    client.force_login(world.owner)
    response = client.get(url("application_detail", dpi))
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["node"] == dpi
    assert [e.target.code for e in response.context["dependencies"]] == ["SRV"]
    assert [e.source.code for e in response.context["dependents"]] == ["URG"]
    assert f'href="{url("component_detail", graph["srv"])}">SRV</a>' in html
    assert f'href="{url("activity_detail", graph["urg"])}">URG</a>' in html
    assert "<td class=\"nowrap\">Éditeur contact</td><td>hotline 24/7</td>" in html
    assert "4\u00a0h" in html  # URG → DPI autonomy
    assert '<span class="badge">vm</span>' in html
    assert f'href="{url("application_edit", dpi)}"' in html
    assert f'href="{reverse("graph:node", kwargs={"uuid": dpi.uuid})}"' in html


def test_detail_hides_edges_to_invisible_nodes_but_counts_them(client, world, graph):
    make_edge(graph["urg"], graph["sil"])  # ET-A1 activity needs an ET-A2 application
    client.force_login(world.member)
    response = client.get(url("activity_detail", graph["urg"]))
    assert [e.target.code for e in response.context["dependencies"]] == ["DPI"]
    assert response.context["hidden_dependencies"] == 1
    assert "And 1 dependency in an establishment you cannot see." in response.content.decode()


def test_detail_read_only_user_sees_no_write_buttons(client, world, graph):
    client.force_login(world.member)
    html = client.get(url("activity_detail", graph["urg"])).content.decode()
    assert url("activity_edit", graph["urg"]) not in html
    assert url("activity_delete", graph["urg"]) not in html
    assert "Add a dependency" not in html


def test_detail_outside_scope_or_wrong_type_is_404(client, world, graph):
    client.force_login(world.outsider)
    assert client.get(url("activity_detail", graph["urg"])).status_code == 404
    client.force_login(world.stranger)
    assert client.get(url("component_detail", graph["srv"])).status_code == 404
    client.force_login(world.owner)
    assert client.get(url("activity_detail", graph["dpi"])).status_code == 404


def test_node_page_of_any_type(client, world, graph):
    sup = make_node(org=world.ght_a, node_type="component", code="SUP",
                    component_kind="fournisseur")
    client.force_login(world.owner)
    response = client.get(url("node", graph["dpi"]))
    assert (response.status_code, response.context["node"], response.context["kind"].slug) == (
        200, graph["dpi"], "application")
    assert client.get(url("node", sup)).context["kind"].slug == "supplier"
    client.force_login(world.stranger)
    assert client.get(url("node", graph["dpi"])).status_code == 404


# --- writes: permissions --------------------------------------------------------------------------

@pytest.mark.parametrize("action", ["edit", "delete"])
def test_reader_gets_403_on_writes(client, world, graph, action):
    urg = graph["urg"]
    client.force_login(world.member)
    assert client.get(url(f"activity_{action}", urg)).status_code == 403
    assert client.post(url(f"activity_{action}", urg), {"name": "x"}).status_code == 403
    # an editor of another establishment looking at a shared component
    client.force_login(world.outsider)
    assert client.get(url(f"component_{action}", graph["srv"])).status_code == 403
    assert client.post(url(f"component_{action}", graph["srv"])).status_code == 403
    assert Node.objects.filter(pk=urg.pk, name="Urgences").exists()
    assert Node.objects.filter(pk=graph["srv"].pk).exists()


@pytest.mark.parametrize("action", ["edit", "delete"])
def test_writes_outside_scope_are_404(client, world, graph, action):
    client.force_login(world.outsider)
    assert client.get(url(f"activity_{action}", graph["urg"])).status_code == 404
    assert client.post(url(f"activity_{action}", graph["urg"])).status_code == 404


def test_viewer_cannot_create(client, world):
    client.force_login(world.member)
    for kind in ("activity", "application", "component", "supplier"):
        assert client.get(url(f"{kind}_create")).status_code == 403
        assert client.post(url(f"{kind}_create"), {"code": "X"}).status_code == 403
    assert client.get(url("dependency_create")).status_code == 403
    assert client.post(url("dependency_create")).status_code == 403
    assert Node.objects.filter(code="X").count() == 0


def test_403_page_is_the_pcra_page(client, world, graph):
    client.force_login(world.member)
    response = client.get(url("activity_edit", graph["urg"]))
    assert response.status_code == 403
    assert "Your role does not allow this action." in response.content.decode()


# --- create, edit, delete nodes ---------------------------------------------------------------

def choice_values(form, name="organization") -> list[str]:
    out = []
    for value, label in form.fields[name].choices:
        if isinstance(label, (list, tuple)):
            out.extend(v for v, _ in label)
        elif value:
            out.append(value)
    return out


def test_editor_creates_an_activity_in_its_establishment(client, world):
    client.force_login(world.owner)
    form = client.get(url("activity_create")).context["form"]
    assert choice_values(form) == [str(world.et_a1.uuid)]  # no "shared" for activities
    response = client.post(url("activity_create"), {
        "code": "REA", "name": "Réanimation", "organization": str(world.et_a1.uuid),
        "activity_kind": "soins", "owner": "Dr X", "pdma_hours": "1.5",
        "declared_dmia_hours": "", "declared_dmia_reason": "", "description": "",
    })
    node = Node.objects.get(code="REA")
    assert response.status_code == 302
    assert response["Location"] == url("activity_detail", node)
    assert (node.node_type, node.top_id, node.organization_id, node.owner) == (
        "activity", world.ght_a.id, world.et_a1.id, "Dr X")
    assert str(node.pdma_hours) == "1.50"


def test_shared_choice_needs_write_on_the_ght(client, world):
    client.force_login(world.owner)
    form = client.get(url("component_create")).context["form"]
    assert choice_values(form) == [str(world.et_a1.uuid)]
    response = client.post(url("component_create"), {
        "code": "SAN", "name": "Baie SAN", "organization": f"shared:{world.ght_a.uuid}",
        "component_kind": "stockage"})
    assert response.status_code == 200
    assert response.context["form"].errors["organization"] == [
        f"Select a valid choice. shared:{world.ght_a.uuid} is not one of the available "
        "choices."]
    client.force_login(world.ght_admin)
    form = client.get(url("component_create")).context["form"]
    assert choice_values(form) == [f"shared:{world.ght_a.uuid}", str(world.ej_a.uuid),
                                   str(world.et_a1.uuid), str(world.et_a2.uuid)]
    response = client.post(url("component_create"), {
        "code": "SAN", "name": "Baie SAN", "organization": f"shared:{world.ght_a.uuid}",
        "component_kind": "stockage", "site": "DC1"})
    node = Node.objects.get(code="SAN")
    assert response["Location"] == url("component_detail", node)
    assert (node.organization_id, node.top_id, node.site) == (None, world.ght_a.id, "DC1")


def test_user_of_two_ghts_gets_choices_grouped_by_ght(client, world):
    both = make_user("both", [(world.ght_a, "admin"), (world.ght_b, "editor")])
    client.force_login(both)
    form = client.get(url("application_create")).context["form"]
    groups = [group for group, options in form.fields["organization"].choices
              if isinstance(options, list)]
    assert groups == [str(world.ght_a), str(world.ght_b)]
    response = client.post(url("application_create"), {
        "code": "GAM", "name": "GAM", "organization": f"shared:{world.ght_b.uuid}"})
    node = Node.objects.get(code="GAM")
    assert response.status_code == 302
    assert (node.top_id, node.organization_id) == (world.ght_b.id, None)


def test_supplier_create_sets_the_kind(client, world):
    client.force_login(world.ght_admin)
    client.post(url("supplier_create"), {"code": "ACME", "name": "Acme Santé",
                                         "organization": f"shared:{world.ght_a.uuid}"})
    assert Node.objects.get(code="ACME").component_kind == "fournisseur"


def test_service_errors_show_on_the_form(client, world, graph):
    client.force_login(world.owner)
    response = client.post(url("activity_create"), {
        "code": "URG", "name": "Doublon", "organization": str(world.et_a1.uuid),
        "activity_kind": "soins", "declared_dmia_hours": "4"})
    errors = response.context["form"].errors
    assert response.status_code == 200
    assert errors["code"] == ["The code URG is already used in this GHT."]
    assert errors["declared_dmia_reason"] == ["A declared DMIA needs a written justification."]
    assert "The code URG is already used in this GHT." in response.content.decode()
    assert Node.objects.filter(code="URG").count() == 1


def test_form_checks_shape(client, world):
    client.force_login(world.owner)
    response = client.post(url("application_create"), {
        "code": "", "name": "X", "organization": str(world.et_a1.uuid),
        "restore_hours_estimate": "-2"})
    errors = response.context["form"].errors
    assert errors["code"] == ["This field is required."]
    assert errors["restore_hours_estimate"] == [
        "Ensure this value is greater than or equal to 0."]


def test_edit_node(client, world, graph):
    dpi = graph["dpi"]
    client.force_login(world.owner)
    form = client.get(url("application_edit", dpi)).context["form"]
    assert form.initial["organization"] == str(world.et_a1.uuid)
    assert form.initial["code"] == "DPI"
    response = client.post(url("application_edit", dpi), {
        "code": "DPI", "name": "DPI v2", "organization": str(world.et_a1.uuid),
        "vendor": "Éditeur", "hosting": "saas", "restore_hours_estimate": "12"})
    dpi.refresh_from_db()
    assert response["Location"] == url("application_detail", dpi)
    assert (dpi.name, dpi.vendor, dpi.hosting, str(dpi.restore_hours_estimate)) == (
        "DPI v2", "Éditeur", "saas", "12.00")


def test_edit_cannot_move_a_node_to_another_ght(client, world, graph):
    both = make_user("both", [(world.ght_a, "admin"), (world.ght_b, "admin")])
    client.force_login(both)
    form = client.get(url("application_edit", graph["dpi"])).context["form"]
    assert str(world.et_b1.uuid) not in choice_values(form)


def test_delete_refused_while_something_depends_on_it(client, world, graph):
    client.force_login(world.ght_admin)
    response = client.get(url("component_delete", graph["srv"]))
    assert [label for label, _ in response.context["blockers"]] == [str(graph["dpi"]),
                                                                   str(graph["sil"])]
    response = client.post(url("component_delete", graph["srv"]))
    assert response.status_code == 200
    assert response.context["errors"] == [
        "SRV cannot be deleted: DPI, SIL depend on it. Remove those dependencies first."]
    assert "SRV cannot be deleted: DPI, SIL depend on it." in response.content.decode()
    assert Node.objects.filter(pk=graph["srv"].pk).exists()


def test_delete_node_and_its_outgoing_edges(client, world, graph):
    client.force_login(world.owner)
    response = client.post(url("activity_delete", graph["urg"]))
    assert response["Location"] == url("activity_list")
    assert not Node.objects.filter(code="URG").exists()
    assert not Dependency.objects.filter(pk=graph["urg_dpi"].pk).exists()


# --- dependencies -------------------------------------------------------------------------------

def test_dependency_form_choices(client, world, graph):
    client.force_login(world.outsider)
    form = client.get(url("dependency_create")).context["form"]
    # sources: nodes the outsider may change (ET-A2); targets: visible non-activities
    assert {form.nodes[v].code for v in choice_values(form, "source")} == {"LAB", "SIL"}
    assert {form.nodes[v].code for v in choice_values(form, "target")} == {"SIL", "SRV"}


def test_dependency_create_and_redirect_to_the_source(client, world, graph):
    client.force_login(world.owner)
    new = make_node(org=world.et_a1, node_type="application", code="PACS")
    response = client.get(url("dependency_create"), {"source": str(graph["urg"].uuid)})
    assert response.context["form"]["source"].value() == str(graph["urg"].uuid)
    response = client.post(url("dependency_create"), {
        "source": str(graph["urg"].uuid), "target": str(new.uuid),
        "degraded_autonomy_hours": "2", "redundancy_group": " img "})
    edge = Dependency.objects.get(source=graph["urg"], target=new)
    assert response["Location"] == url("activity_detail", graph["urg"])
    assert (str(edge.degraded_autonomy_hours), edge.redundancy_group) == ("2.00", "img")


def test_dependency_cycle_error_is_shown_on_the_form(client, world):
    a = make_node(org=world.et_a1, node_type="application", code="A")
    b = make_node(org=world.et_a1, node_type="application", code="B")
    c = make_node(org=world.et_a1, node_type="component", code="C")
    make_edge(a, b)
    make_edge(b, c)
    client.force_login(world.owner)
    response = client.post(url("dependency_create"), {"source": str(c.uuid),
                                                      "target": str(a.uuid)})
    assert response.status_code == 200
    assert response.context["form"].errors["target"] == [
        "This dependency would close a cycle: C → A → B → C"]
    assert "This dependency would close a cycle: C → A → B → C" in response.content.decode()
    assert not Dependency.objects.filter(source=c).exists()


def test_dependency_source_must_be_writable(client, world, graph):
    client.force_login(world.outsider)
    response = client.post(url("dependency_create"), {"source": str(graph["urg"].uuid),
                                                      "target": str(graph["srv"].uuid)})
    assert response.status_code == 200
    assert "source" in response.context["form"].errors
    assert not Dependency.objects.filter(source=graph["urg"], target=graph["srv"]).exists()


def test_dependency_detail_edit_delete(client, world, graph):
    edge = graph["dpi_srv"]
    client.force_login(world.owner)
    response = client.get(url("dependency_detail", edge))
    assert response.status_code == 200
    assert "DPI → SRV" in response.content.decode()
    response = client.post(url("dependency_edit", edge), {
        "source": str(graph["dpi"].uuid), "target": str(graph["srv"].uuid),
        "degraded_autonomy_hours": "8", "redundancy_group": ""})
    edge.refresh_from_db()
    assert response["Location"] == url("dependency_detail", edge)
    assert (str(edge.degraded_autonomy_hours), edge.redundancy_group) == ("8.00", "")
    response = client.post(url("dependency_delete", edge))
    assert response["Location"] == url("application_detail", graph["dpi"])
    assert not Dependency.objects.filter(pk=edge.pk).exists()


def test_dependency_permissions(client, world, graph):
    edge = graph["dpi_srv"]
    client.force_login(world.member)
    assert client.get(url("dependency_detail", edge)).status_code == 200
    assert client.get(url("dependency_edit", edge)).status_code == 403
    assert client.post(url("dependency_delete", edge)).status_code == 403
    client.force_login(world.outsider)  # sees SRV but not DPI: the edge is invisible
    assert client.get(url("dependency_detail", edge)).status_code == 404
    assert client.post(url("dependency_delete", edge)).status_code == 404
    assert Dependency.objects.filter(pk=edge.pk).exists()


# --- query counts ---------------------------------------------------------------------------------

def count_queries(client, target: str, data=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(target, data or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _fill(world, n: int, offset: int = 0) -> None:
    hub = Node.objects.filter(code="HUB").first() or make_node(
        org=world.ght_a, node_type="component", code="HUB")
    for i in range(offset, n):
        act = make_node(org=world.et_a1, node_type="activity", code=f"ACT{i:03}")
        app = make_node(org=world.et_a1 if i % 2 else world.et_a2, node_type="application",
                        code=f"APP{i:03}")
        sup = make_node(org=world.ght_a, node_type="component", code=f"SUP{i:03}",
                        component_kind="fournisseur")
        make_edge(act, app, i)
        make_edge(app, hub)
        make_edge(app, sup, None, "g")


LIST_PAGES = ["activity_list", "application_list", "component_list", "supplier_list",
              "dependency_list"]


@pytest.mark.parametrize("name", LIST_PAGES)
def test_list_query_count_does_not_grow_with_rows(client, world, name):
    client.force_login(world.ght_admin)
    _fill(world, 5)
    small = count_queries(client, url(name))
    _fill(world, 50, offset=5)
    large = count_queries(client, url(name))
    assert small == large
    assert count_queries(client, url(name), {"q": "0"}) == large  # filters cost nothing more


def test_detail_query_count_does_not_grow_with_dependencies(client, world):
    client.force_login(world.ght_admin)
    hub = make_node(org=world.ght_a, node_type="component", code="HUB")
    for i in range(5):
        make_edge(make_node(org=world.et_a1, node_type="application", code=f"A{i:03}"), hub)
    small = count_queries(client, url("component_detail", hub))
    for i in range(5, 50):
        make_edge(make_node(org=world.et_a2, node_type="application", code=f"A{i:03}"), hub)
    large = count_queries(client, url("component_detail", hub))
    assert small == large
    app = Node.objects.get(code="A000")
    small = count_queries(client, url("application_detail", app))
    for i in range(50):
        make_edge(app, make_node(org=world.ght_a, node_type="component", code=f"C{i:03}"))
    assert count_queries(client, url("application_detail", app)) == small


def test_dependency_form_query_count_does_not_grow_with_nodes(client, world):
    client.force_login(world.ght_admin)
    _fill(world, 5)
    small = count_queries(client, url("dependency_create"))
    _fill(world, 30, offset=5)
    assert count_queries(client, url("dependency_create")) == small


def test_node_owned_by_the_ght_organization_keeps_its_owner_on_edit(client, world):
    from pcra.inventory.services import node_create

    node = node_create(top=world.ght_a, node_type="application", code="GHTAPP", name="App",
                       organization=world.ght_a)
    client.force_login(world.ght_admin)
    form = client.get(url("application_edit", node)).context["form"]
    assert form.initial["organization"] in choice_values(form)
    response = client.post(url("application_edit", node), {
        "code": "GHTAPP", "name": "App 2", "organization": str(world.ght_a.uuid)})
    node.refresh_from_db()
    assert (response.status_code, node.name, node.organization_id) == (302, "App 2",
                                                                      world.ght_a.id)


def test_counts_include_edges_to_nodes_the_user_cannot_see(client, world, graph):
    make_edge(graph["urg"], graph["sil"])
    client.force_login(world.member)
    html = client.get(url("activity_list")).content.decode()
    row = html[html.index('class="code">URG'):]
    assert '<td class="num">2</td>' in row[:row.index("</tr>")]
