"""Isolation crawl (DESIGN §5): every URL of the app, as users of two establishments and as a
viewer. Nothing of one establishment is reachable by another; a viewer cannot write.

The crawl walks the URL resolver, so a page added later is crawled without touching this file.
Each object URL is first shown reachable by the data's owner (so the crawl is not vacuous), then
unreachable by the others.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from pcra.core.models import AuditEntry
from pcra.core.testing import make_edge, make_node, make_user

SKIPPED_NAMESPACES = {"admin"}  # Django's admin: superusers only, guarded by Django itself
PUBLIC = {"accounts:login", "set_language"}
# Read by programs with a bearer token, never with a session: 401 without one (a session, even
# an all-powerful one, is no token).
TOKEN_AUTH = {"metrics", "restoretests_api:claim", "restoretests_api:progress",
              "restoretests_api:result"}
# A user's own account: every user may change their password and preferences.
SELF_SERVICE = {"accounts:logout", "accounts:profile", "accounts:password_change"}
# The business referent named on a restore test signs it off, even as a viewer (ET-A1's viewer
# is that referent in the crawl's data; junk posted there must still write nothing).
REFERENT_ACTIONS = {"restoretests:run_signoff"}
SECRET = "SECRETA1"  # appears in every name and code of ET-A1's data
SECRET2 = "SECRETA2"  # in ET-A2's data, which depends on ET-A1's


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            full_ns = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), full_ns)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield name, list(entry.pattern.converters)


def all_routes():
    seen = {}
    for name, params in _walk(get_resolver().url_patterns):
        if name.split(":")[0] in SKIPPED_NAMESPACES:
            continue
        seen[name] = params
    return sorted(seen.items())


@pytest.fixture
def data(world):
    """ET-A1's private graph, ET-A2's, a shared application and GHT-B's."""
    w = world
    shared = make_node(org=w.ght_a, node_type="application", code="DPI-SHARED", name="DPI")
    urg = make_node(org=w.et_a1, node_type="activity", code=f"URG-{SECRET}",
                    name=f"Urgences {SECRET}")
    app = make_node(org=w.et_a1, node_type="application", code=f"APP-{SECRET}",
                    name=f"Appli {SECRET}")
    srv = make_node(org=w.et_a1, node_type="component", code=f"SRV-{SECRET}",
                    name=f"Serveur {SECRET}")
    sup = make_node(org=w.et_a1, node_type="component", code=f"SUP-{SECRET}",
                    name=f"Fournisseur {SECRET}", component_kind="fournisseur")
    edges = [make_edge(urg, app, 4), make_edge(app, srv), make_edge(urg, shared),
             make_edge(app, sup)]
    mat = make_node(org=w.et_a2, node_type="activity", code=f"MAT-{SECRET2}",
                    name=f"Maternité {SECRET2}")
    make_edge(mat, shared)
    # Cross-establishment edges, as a GHT admin or an import makes them every day.
    make_edge(mat, app)
    lab = make_node(org=w.et_a2, node_type="application", code=f"LAB-{SECRET2}",
                    name=f"Labo {SECRET2}")
    make_edge(mat, lab)
    make_edge(lab, srv)
    make_node(org=w.et_b1, node_type="activity", code="URG-B", name="Urgences B")
    w.a2_admin = make_user("a2admin", [(w.et_a2, "admin")])
    w.a1_auditor = make_user("a1auditor", [(w.et_a1, "auditor")])
    w.et_a1.name = f"Hôpital {SECRET}"
    w.et_a1.save()
    import datetime as dt

    from pcra.impact.services import bia_set_levels, bia_start, campaign_create

    bia = bia_start(activity=urg)
    bia_set_levels(bia=bia, levels={("securite_patients", "h4"): 3})
    campaign = campaign_create(organization=w.et_a1, name=f"Campagne {SECRET}",
                               starts_on=dt.date(2026, 1, 1), due_on=dt.date(2026, 6, 30))
    private = {"node": [urg, app, srv, sup], "dependency": edges, "organization": [w.et_a1],
               "bia": [bia], "campaign": [campaign], **_backups(w, app, srv, lab),
               **_recovery(w), **_plans(w, urg, mat)}
    audit_ids = list(AuditEntry.objects.filter(organization_id=w.et_a1.pk)
                     .values_list("id", flat=True))
    return w, private, audit_ids


def _backups(w, app, srv, lab):
    """ET-A1's backups (a data asset with a copy pcra drives and one it does not, an
    infrastructure, a verification, an alert, a metrics token) and ET-A2's."""
    from django.utils import timezone

    from pcra.backups import services as backups
    from pcra.backups.metrics import metrics_token_create
    from pcra.backups.models import Alert, RestorePoint, Source

    now = timezone.now()
    infra = backups.infrastructure_create(top=w.ght_a, code=f"BKP-{SECRET}",
                                          name=f"Sauvegarde {SECRET}", organization=w.et_a1,
                                          admin_mfa=True)
    asset = backups.data_asset_ensure(node=app, production_site=f"Site {SECRET}")
    restic = backups.copy_create(data_asset=asset, name=f"restic-{SECRET}", engine="restic",
                                 media="disque", repository=f"/srv/restic/{SECRET}",
                                 infrastructure=infra)
    backups.copy_set_secret(copy=restic, password="not-this-one")
    tape = backups.copy_create(data_asset=asset, name=f"tape-{SECRET}", engine="veeam",
                               media="bande", offline=True)
    RestorePoint.objects.create(copy=tape, external_id=f"pt-{SECRET}", taken_at=now,
                                source=Source.INGEST)
    verification = backups.verification_record(copy=tape, performed_at=now, kind="restauration",
                                               result="ok", notes=f"Test {SECRET}")
    alert = Alert.objects.create(data_asset=asset, copy=restic, kind="backup_missing",
                                 severity="critical", message=f"{SECRET}: no restore point",
                                 opened_at=now, last_seen_at=now)
    token, _raw = metrics_token_create(organization=w.et_a1, name=f"prometheus-{SECRET}")
    backups.data_asset_ensure(node=srv)  # an asset without copies
    # ET-A2's, which ET-A1's users must never see.
    infra2 = backups.infrastructure_create(top=w.ght_a, code=f"BKP-{SECRET2}",
                                           name=f"Sauvegarde {SECRET2}", organization=w.et_a2)
    asset2 = backups.data_asset_ensure(node=lab)
    copy2 = backups.copy_create(data_asset=asset2, name=f"nas-{SECRET2}", engine="autre",
                                media="nas", infrastructure=infra2)
    Alert.objects.create(data_asset=asset2, copy=copy2, kind="backup_missing",
                         severity="warning", message=f"{SECRET2}: late", opened_at=now,
                         last_seen_at=now)
    metrics_token_create(organization=w.et_a2, name=f"prometheus-{SECRET2}")
    return {"data_asset": [asset], "backup_copy": [restic, tape], "infrastructure": [infra],
            "verification": [verification], "alert": [alert], "metrics_token": [token],
            **_restore_tests(w, restic)}


def _restore_tests(w, restic):
    """ET-A1's restore tests: an agent, a definition, a finished run with its evidence (a
    result as the runner reports it: the run itself is not what is crawled here)."""
    from pcra.restoretests import services as restore_tests

    agent, _token = restore_tests.agent_register(organization=w.et_a1, name=f"agent-{SECRET}",
                                                 description=f"Zone {SECRET}")
    definition = restore_tests.definition_create(
        copy=restic, name=f"Test {SECRET}", agent=agent, functional_signoff=True,
        referent=w.member)
    run = restore_tests.run_request(copy=restic, definition=definition, user=w.owner)
    restore_tests.run_start(run)
    run = restore_tests.run_finish(run, {
        "status": "passed", "errors": [], "error_code": "", "snapshot_id": f"snap-{SECRET}",
        "snapshot_time": None, "snapshot_bytes": 1000, "snapshot_files": 3,
        "bytes_restored": 1000, "files_restored": 3, "files_verified": 3,
        "duration_seconds": 2.0, "restore_seconds": 1.5, "throughput_bytes_per_second": 666.0,
        "extrapolated_full_seconds": 1.5, "probe": None,
        "level": 2, "scope": "full",
        "steps": [{"name": name, "ok": True, "duration_seconds": 0.5,
                   "detail": f"{name} in /sandbox/{SECRET}"}
                  for name in ("check", "listing", "space", "restore", "verify")],
        "sandbox_removed": True, "engine_version": "restic 0.14.0"})
    assert run.status == "passed"
    queued = restore_tests.run_request(copy=restic, definition=definition, enqueue=False)
    # ET-A2's agent, never to be seen from ET-A1.
    restore_tests.agent_register(organization=w.et_a2, name=f"agent-{SECRET2}")
    return {"restore_test_agent": [agent], "restore_test_definition": [definition],
            "restore_test_run": [run, queued]}


def _recovery(w):
    """ET-A1's ransomware scenario and its computed plan; a team of GHT-A (changed by GHT
    editors only: not found for anyone else)."""
    from pcra.recovery import services as recovery

    team = recovery.team_create(top=w.ght_a, name="Système", capacity=2)
    scenario = recovery.scenario_create(top=w.ght_a, code="r-a1", name=f"Rançongiciel {SECRET}",
                                        organization=w.et_a1, kind="ransomware")
    plan = recovery.plan_compute(recovery.plan_request(scenario=scenario, time_limit_seconds=2,
                                                       enqueue=False))
    assert plan.state == "done", plan.error
    return {"recovery_scenario": [scenario], "recovery_plan": [plan], "recovery_team": [team]}


def _plans(w, urg, mat):
    """ET-A1's continuity plan (approved, and its next draft), reflex sheet and contact;
    ET-A2's plan and contact, which ET-A1's users must never see."""
    from pcra.plans import services as plans

    caller = plans.contact_create(top=w.ght_a, organization=w.et_a1, name=f"Cadre {SECRET}",
                                  mobile="06 39 98 00 01", crisis_role="Coordination")
    plan = plans.plan_create(top=w.ght_a, organization=w.et_a1, code=f"pcra-{SECRET}".lower(),
                             activities=[urg], title=f"PCRA {SECRET}", contacts=[caller],
                             trigger_criteria="DPI", trigger_authority="Chef",
                             return_to_normal="Ressaisie")
    plans.plan_set_steps(plan=plan, steps=[{"phase": "degraded", "who": "IDE",
                                            "action": f"Papier {SECRET}"}])
    plans.plan_submit(plan=plan, user=w.owner)
    plans.plan_approve(plan=plan, user=w.ght_admin)
    draft = plans.plan_new_version(plan=plan)
    sheet = plans.reflex_sheet_create(top=w.ght_a, organization=w.et_a1,
                                      code=f"fiche-{SECRET}".lower(), title=f"Fiche {SECRET}",
                                      steps=[{"action": f"Agir {SECRET}"}])
    other = plans.contact_create(top=w.ght_a, organization=w.et_a2, name=f"Cadre {SECRET2}",
                                 phone="01 99 00 00 02")
    plans.plan_create(top=w.ght_a, organization=w.et_a2, code="pcra-a2", activities=[mat],
                      title=f"PCRA {SECRET2}", contacts=[other])
    return {"continuity_plan": [plan, draft], "reflex_sheet": [sheet], "contact": [caller]}


def _urls_for(name, params, private, audit_ids):
    """Every concrete URL of a route filled with ET-A1's private objects."""
    if not params:
        return [reverse(name)]
    if params == ["uuid"]:
        objs = [o for group in private.values() for o in group]
        return [reverse(name, kwargs={"uuid": o.uuid}) for o in objs]
    if params == ["pk"]:
        return [reverse(name, kwargs={"pk": i}) for i in audit_ids]
    if params == ["uuid", "action"]:  # a plan's workflow actions
        from pcra.plans.views import ACTIONS

        return [reverse(name, kwargs={"uuid": o.uuid, "action": action})
                for o in private["continuity_plan"] for action in ACTIONS]
    if params == ["run_id"]:  # the agent API: token only
        return [reverse(name, kwargs={"run_id": str(run.uuid)})
                for run in private["restore_test_run"]]
    if params == ["uuid", "username"]:
        objs = [o for group in private.values() for o in group]
        return [reverse(name, kwargs={"uuid": o.uuid, "username": username})
                for o in objs for username in ("owner", "member", "a1auditor")]
    pytest.fail(f"the crawl does not know how to fill {name} {params}: teach it")


def _text(response) -> str:
    content_type = response.get("Content-Type", "")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if "spreadsheet" in content_type or "zip" in content_type:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return " ".join(archive.read(n).decode("utf-8", "replace")
                            for n in archive.namelist())
    return body.decode("utf-8", "replace")


def _token_refused(client, url) -> bool:
    """A token route answers 401 to a session (even an all-powerful one) and to no one; a
    route that only takes POST may answer GET with 405, and then POST with 401."""
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url, data="{}", content_type="application/json")
    return response.status_code == 401 and SECRET not in _text(response)


def test_every_route_is_known_to_the_crawl():
    names = {name for name, _ in all_routes()}
    # A sanity floor: the crawl sees the main pages (it would be vacuous otherwise).
    assert {"core:home", "inventory:activity_list", "graph:spof", "audit:list",
            "workbook:export", "backups:index", "backups:asset_detail", "metrics"} <= names


def test_anonymous_users_are_sent_to_the_login_page(client, data):
    _, private, audit_ids = data
    for name, params in all_routes():
        if name in PUBLIC:
            continue
        for url in _urls_for(name, params, private, audit_ids)[:1]:
            if name in TOKEN_AUTH:
                assert _token_refused(client, url), (name, url)
                continue
            response = client.get(url)
            assert response.status_code == 302, (name, url, response.status_code)
            assert response["Location"].startswith(reverse("accounts:login")), (name, url)


def test_owner_reaches_every_object_route(client, data):
    """The positive control: each object route opens for the data's owner."""
    w, private, audit_ids = data
    opened = {}
    for name, params in all_routes():
        if not params or name in TOKEN_AUTH:
            continue
        # Audit pages and organization pages are for admins of the organization.
        client.force_login(w.ght_admin)
        statuses = [client.get(url).status_code
                    for url in _urls_for(name, params, private, audit_ids)]
        opened[name] = 200 in statuses
    assert opened and all(opened.values()), {k: v for k, v in opened.items() if not v}


@pytest.mark.parametrize("intruder", ["outsider", "a2_admin", "stranger"])
def test_nothing_of_an_establishment_is_reachable_from_another(client, data, intruder):
    """An intruder with every role on its own establishment (a2_admin, stranger) passes every
    role gate: ET-A1's objects must then be plain 404s."""
    w, private, audit_ids = data
    client.force_login(getattr(w, intruder))
    all_powerful = intruder != "outsider"
    for name, params in all_routes():
        if name in PUBLIC:
            continue
        for url in _urls_for(name, params, private, audit_ids):
            if name in TOKEN_AUTH:
                assert _token_refused(client, url), (name, url)
                continue
            response = client.get(url)
            if params:
                expected = (404,) if all_powerful else (403, 404)
                assert response.status_code in expected, (name, url, response.status_code)
            else:
                assert response.status_code in (200, 403, 405), (name, url)
            if response.status_code == 200:
                assert SECRET not in _text(response), (name, url)


def test_the_owner_never_sees_what_depends_on_it_from_elsewhere(client, data):
    """ET-A2's activity depends on ET-A1's application: ET-A1's users (editor, auditor) must
    still see nothing of ET-A2, on any page, nor in the refusal to delete."""
    w, private, audit_ids = data
    for user in (w.owner, w.a1_auditor):
        client.force_login(user)
        for name, params in all_routes():
            if name in PUBLIC or name in SELF_SERVICE:
                continue
            for url in _urls_for(name, params, private, audit_ids):
                response = client.get(url)
                if response.status_code == 200:
                    assert SECRET2 not in _text(response), (user, name, url)
                if name.endswith("_delete"):
                    response = client.post(url)
                    assert SECRET2 not in _text(response), (user, "POST", name, url)


def test_a_viewer_can_read_but_never_write(client, data):
    w, private, audit_ids = data
    client.force_login(w.member)
    before = AuditEntry.objects.count()
    write_words = ("create", "edit", "update", "delete", "import", "confirm", "verify", "new",
                   "add")
    checked_writes = 0
    for name, params in all_routes():
        if name in PUBLIC or name in SELF_SERVICE:
            continue
        for url in _urls_for(name, params, private, audit_ids):
            if name in TOKEN_AUTH:  # a session is no token, whatever its role
                assert _token_refused(client, url), (name, url)
                continue
            is_write = any(word in name.split(":")[-1] for word in write_words)
            response = client.post(url, {"name": "hacked", "code": "HACKED"})
            if is_write:
                # A write page refuses the viewer outright (405 only for the method the page
                # does not take at all).
                statuses = (client.get(url).status_code, response.status_code)
                assert set(statuses) <= {403, 404, 405} and statuses != (405, 405), (
                    name, url, statuses)
                checked_writes += 1
            elif name not in REFERENT_ACTIONS:
                assert response.status_code in (403, 404, 405), ("POST", name, url,
                                                                 response.status_code)
    assert checked_writes >= 10
    assert AuditEntry.objects.count() == before
