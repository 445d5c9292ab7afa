"""Backup pages: the copies dashboard, a data asset and its copies, infrastructures, alerts and
metrics tokens, for every persona (owner = editor of ET-A1, member = viewer of ET-A1,
outsider = editor of ET-A2, stranger = admin of GHT-B, ght_admin = admin of GHT-A)."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from pcra.backups import selectors, services
from pcra.backups.metrics import metrics_token_create
from pcra.backups.models import (
    Alert,
    BackupCopy,
    BackupInfrastructure,
    CollectionRun,
    DataAsset,
    MetricsToken,
    RestorePoint,
    Source,
    Verification,
)
from pcra.core import secrets
from pcra.core.models import AuditEntry
from pcra.core.testing import make_edge, make_node


def ago(hours: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(hours=hours)


def add_copy(asset, name, *, point_hours=2.0, verified_hours=1.0, ok=True,
             restore_days=None, **fields):
    """A copy reported by a tool pcra does not drive: one restore point, one verification."""
    fields.setdefault("engine", "veeam")
    fields.setdefault("media", "nas")
    fields.setdefault("frequency_hours", 24)
    copy = services.copy_create(data_asset=asset, name=name, **fields)
    if point_hours is not None:
        RestorePoint.objects.create(copy=copy, external_id=f"{name}-1", taken_at=ago(point_hours),
                                    source=Source.INGEST, size_bytes=5_000_000, file_count=12)
    if verified_hours is not None:
        Verification.objects.create(copy=copy, performed_at=ago(verified_hours),
                                    kind="integrite", result="ok" if ok else "echec",
                                    error_count=0 if ok else 3,
                                    errors=[] if ok else ["pack 3f2a: checksum mismatch"],
                                    duration_seconds=42, source=Source.INGEST)
    if restore_days is not None:
        Verification.objects.create(copy=copy, performed_at=ago(restore_days * 24),
                                    kind="restauration", result="ok", source=Source.INGEST)
    return copy


@pytest.fixture
def hospital(world):
    """ET-A1's DPI backed up on a NAS (site Nord) and on tape (site Sud, offline): all of
    3-2-1-1-0; its lab system with a single, failing copy; a PDMA of 24 h on the DPI."""
    w = world
    urg = make_node(org=w.et_a1, node_type="activity", code="URG", name="Urgences",
                    pdma_hours=24)
    dpi = make_node(org=w.et_a1, node_type="application", code="DPI-A1",
                    name="Dossier patient")
    lab = make_node(org=w.et_a1, node_type="application", code="LAB-A1", name="Laboratoire")
    make_edge(urg, dpi, 4)
    infra = services.infrastructure_create(top=w.ght_a, code="BKP-A1", name="Sauvegarde A1",
                                           organization=w.et_a1, separate_auth=True,
                                           admin_mfa=False)
    asset = services.data_asset_ensure(node=dpi, production_site="Nord")
    nas = add_copy(asset, "nas", media="nas", site="Nord", infrastructure=infra,
                   restore_days=5)
    tape = add_copy(asset, "bandes", media="bande", site="Sud", offline=True)
    lab_asset = services.data_asset_ensure(node=lab, production_site="Nord")
    lab_copy = add_copy(lab_asset, "lab-nas", ok=False, restore_days=5)
    alert = Alert.objects.create(data_asset=lab_asset, copy=lab_copy, kind="verification_failed",
                                 severity="critical", message="lab-nas: 3 errors",
                                 opened_at=ago(24 * 10), last_seen_at=ago(1))
    # ET-A2's data, never to be seen from ET-A1.
    other = make_node(org=w.et_a2, node_type="application", code="MAT-A2", name="Maternité")
    other_asset = services.data_asset_ensure(node=other)
    other_copy = add_copy(other_asset, "mat-nas")
    Alert.objects.create(data_asset=other_asset, copy=other_copy, kind="backup_missing",
                         severity="warning", message="MAT-A2 late", opened_at=ago(3),
                         last_seen_at=ago(1))
    w.urg, w.dpi, w.lab, w.infra, w.asset, w.nas, w.tape = urg, dpi, lab, infra, asset, nas, tape
    w.lab_asset, w.lab_copy, w.alert, w.other_asset = lab_asset, lab_copy, alert, other_asset
    return w


def _fr_reasons(asset) -> list[str]:
    with translation.override("fr"):
        report = selectors.asset_reports([asset])[0]
        return [v.render(gettext) for v in report.digits.as_dict().values()]


def _text(response) -> str:
    return response.content.decode()


def object_urls(w) -> dict[str, str]:
    """Every page of ET-A1's backup objects (reads and writes)."""
    return {
        "asset": reverse("backups:asset_detail", kwargs={"uuid": w.asset.uuid}),
        "asset_edit": reverse("backups:asset_edit", kwargs={"uuid": w.asset.uuid}),
        "asset_delete": reverse("backups:asset_delete", kwargs={"uuid": w.asset.uuid}),
        "copy_create": reverse("backups:copy_create", kwargs={"uuid": w.asset.uuid}),
        "copy_edit": reverse("backups:copy_edit", kwargs={"uuid": w.nas.uuid}),
        "copy_delete": reverse("backups:copy_delete", kwargs={"uuid": w.nas.uuid}),
        "copy_secret": reverse("backups:copy_secret", kwargs={"uuid": w.nas.uuid}),
        "copy_collect": reverse("backups:copy_collect", kwargs={"uuid": w.nas.uuid}),
        "copy_verify": reverse("backups:copy_verify", kwargs={"uuid": w.nas.uuid}),
        "verification_create": reverse("backups:verification_create",
                                       kwargs={"uuid": w.nas.uuid}),
        "infrastructure": reverse("backups:infrastructure_detail", kwargs={"uuid": w.infra.uuid}),
        "infrastructure_edit": reverse("backups:infrastructure_edit",
                                       kwargs={"uuid": w.infra.uuid}),
        "infrastructure_delete": reverse("backups:infrastructure_delete",
                                         kwargs={"uuid": w.infra.uuid}),
        "alert_acknowledge": reverse("backups:alert_acknowledge", kwargs={"uuid": w.alert.uuid}),
        "alert_resolve": reverse("backups:alert_resolve", kwargs={"uuid": w.alert.uuid}),
    }


READS = {"asset", "infrastructure"}


# --- Owner -------------------------------------------------------------------------------------


def test_dashboard_shows_each_asset_with_its_digits_and_reasons(client, hospital):
    w = hospital
    client.force_login(w.owner)
    response = client.get(reverse("backups:index"))
    assert response.status_code == 200
    body = _text(response)
    assert "DPI-A1" in body and "LAB-A1" in body
    assert "MAT-A2" not in body
    for reason in _fr_reasons(w.asset) + _fr_reasons(w.lab_asset):
        assert html.escape(reason) in body
    rows = selectors.asset_reports([w.asset, w.lab_asset])
    assert [r.digits.all_ok for r in rows] == [True, False]
    summary = response.context["summary"]
    assert (summary.assets, summary.copies, summary.all_digits, summary.critical,
            summary.warning) == (2, 3, 1, 1, 0)
    assert summary.all_digits_percent == 50
    by_code = {row.node.code: row for row in response.context["rows"]}
    assert set(by_code) == {"DPI-A1", "LAB-A1"}
    dpi = by_code["DPI-A1"]
    assert (dpi.open_alerts, by_code["LAB-A1"].open_alerts) == (0, 1)
    assert dpi.nominal.required_hours == 24
    assert dpi.nominal.state == "on-time"
    assert round(dpi.nominal.achieved_hours) == 2
    assert dpi.ransomware.state == "on-time"  # the offline tape survives
    assert dpi.verified_percent == 100
    assert by_code["LAB-A1"].verified_percent == 0


def test_dashboard_filters_search_and_htmx_partial(client, hospital):
    w = hospital
    client.force_login(w.owner)
    url = reverse("backups:index")
    problems = client.get(url, {"problems": "1"})
    assert [r.node.code for r in problems.context["rows"]] == ["LAB-A1"]
    search = client.get(url, {"q": "dossier"}, HTTP_HX_REQUEST="true")
    assert search.status_code == 200
    body = _text(search)
    assert body.lstrip().startswith('<div id="results"')
    assert "DPI-A1" in body and "LAB-A1" not in body
    assert search.context["summary"] is None
    assert list(client.get(url, {"org": "shared"}).context["rows"]) == []
    by_org = client.get(url, {"org": str(w.et_a1.uuid)})
    assert [r.node.code for r in by_org.context["rows"]] == ["DPI-A1", "LAB-A1"]


def test_asset_page_shows_digits_scenarios_copies_and_checklists(client, hospital):
    w = hospital
    client.force_login(w.owner)
    response = client.get(reverse("backups:asset_detail", kwargs={"uuid": w.asset.uuid}))
    assert response.status_code == 200
    body = _text(response)
    assert "DPI-A1" in body
    for reason in _fr_reasons(w.asset):
        assert html.escape(reason) in body
    scenarios = {s.key: s for s in response.context["scenarios"]}
    assert set(scenarios) == {"nominal", "ransomware", "site:Nord", "site:Sud"}
    assert scenarios["site:Sud"].state == "on-time"
    assert scenarios["nominal"].required_hours == 24
    copies = {c.copy.name: c for c in response.context["copies"]}
    assert set(copies) == {"nas", "bandes"}
    nas = copies["nas"]
    assert [p.external_id for p in nas.points] == ["nas-1"]
    assert [v.kind for v in nas.verifications] == ["integrite", "restauration"]
    hardening = {r.label: (r.status, r.source) for r in nas.hardening}
    with translation.override("fr"):
        assert hardening[gettext("Not in the production AD (separate authentication)")] == (
            "ok", "infrastructure")
        assert hardening[gettext("MFA for administrators")] == ("failed", "infrastructure")
        assert hardening[gettext("Encrypted")] == ("unknown", "")
    assert "Sauvegarde A1" in body
    # A reader who may write sees the buttons; a copy pcra does not drive has no "collect".
    assert reverse("backups:copy_edit", kwargs={"uuid": w.nas.uuid}) in body
    assert reverse("backups:copy_collect", kwargs={"uuid": w.nas.uuid}) not in body


def test_failed_verification_and_collection_errors_are_shown(client, hospital):
    w = hospital
    copy = services.copy_create(data_asset=w.lab_asset, name="restic-1", engine="restic",
                                media="disque", repository="/srv/restic/lab")
    CollectionRun.objects.create(copy=copy, kind="collect", started_at=ago(1), finished_at=ago(1),
                                 status="failed", error_code="wrong_password",
                                 error="The repository password is wrong.")
    client.force_login(w.owner)
    body = _text(client.get(reverse("backups:asset_detail", kwargs={"uuid": w.lab_asset.uuid})))
    assert "pack 3f2a: checksum mismatch" in body
    assert "The repository password is wrong." in body and "wrong_password" in body
    assert reverse("backups:copy_collect", kwargs={"uuid": copy.uuid}) in body
    assert "lab-nas: 3 errors" in body  # the open alert


def test_owner_creates_an_asset_from_a_component_not_an_activity(client, hospital):
    w = hospital
    srv = make_node(org=w.et_a1, node_type="component", code="SRV-A1", name="Serveur")
    client.force_login(w.owner)
    url = reverse("backups:asset_create")
    form = client.get(url).context["form"]
    choices = {value for _group, options in form.fields["node"].choices[1:]
               for value, _label in options}
    assert str(srv.uuid) in choices and str(w.urg.uuid) not in choices
    refused = client.post(url, {"node": str(w.urg.uuid)})
    assert refused.status_code == 200 and refused.context["form"].errors["node"]
    response = client.post(url, {"node": str(srv.uuid), "production_site": "Nord"})
    asset = DataAsset.objects.get(node=srv)
    assert response.status_code == 302
    assert response["Location"] == reverse("backups:asset_detail", kwargs={"uuid": asset.uuid})
    assert asset.production_site == "Nord"


def _copy_post(**overrides):
    data = {
        "name": "objet-s3", "engine": "autre", "repository": "s3://bucket/dpi", "media": "objet",
        "site": "Cloud-HDS", "offsite": "on", "immutable_days": "45", "encrypted": "true",
        "admin_mfa": "false", "separate_auth": "unknown", "segmented": "unknown",
        "named_admin_accounts": "unknown", "frequency_hours": "12,5", "retention_days": "90",
        "declared_last_success": "", "supervised": "on", "collect_interval_hours": "1",
        "verify_interval_hours": "24", "verify_slices": "7",
    }
    data.update(overrides)
    return data


def test_owner_adds_a_copy_with_every_field(client, hospital):
    w = hospital
    supplier = make_node(org=w.et_a1, node_type="component", code="HDS-A1", name="Hébergeur",
                         component_kind="saas")
    client.force_login(w.owner)
    url = reverse("backups:copy_create", kwargs={"uuid": w.asset.uuid})
    form = client.get(url).context["form"]
    assert list(form.fields["supplier"].queryset) == [supplier]
    assert list(form.fields["infrastructure"].queryset) == [w.infra]
    response = client.post(url, _copy_post(supplier=str(supplier.pk),
                                           infrastructure=str(w.infra.pk)))
    assert response.status_code == 302, response.context["form"].errors
    copy = BackupCopy.objects.get(data_asset=w.asset, name="objet-s3")
    assert (copy.engine, copy.repository, copy.media, copy.site, copy.offsite, copy.offline,
            copy.immutable_days, copy.encrypted, copy.admin_mfa, copy.separate_auth,
            copy.frequency_hours, copy.retention_days, copy.supplier, copy.infrastructure,
            copy.verify_slices) == (
        "autre", "s3://bucket/dpi", "objet", "Cloud-HDS", True, False, 45, True, False, None,
        Decimal("12.5"), 90, supplier, w.infra, 7)
    # Meaning is checked by the services: a password in the address is refused on its field.
    refused = client.post(url, _copy_post(name="other", repository="s3://u:pw@host/b"))
    assert refused.status_code == 200
    assert list(refused.context["form"].errors) == ["repository"]
    duplicate = client.post(url, _copy_post())
    assert list(duplicate.context["form"].errors) == ["name"]


def test_owner_edits_and_deletes_a_copy(client, hospital):
    w = hospital
    client.force_login(w.owner)
    url = reverse("backups:copy_edit", kwargs={"uuid": w.tape.uuid})
    assert client.get(url).context["form"]["media"].value() == "bande"
    response = client.post(url, _copy_post(name="bandes", engine="autre", media="bande",
                                           repository="", offline="on", offsite=""))
    assert response.status_code == 302
    w.tape.refresh_from_db()
    assert (w.tape.offline, w.tape.offsite, w.tape.immutable_days) == (True, False, 45)
    response = client.post(reverse("backups:copy_delete", kwargs={"uuid": w.tape.uuid}))
    assert response.status_code == 302
    assert set(w.asset.copies.values_list("name", flat=True)) == {"nas"}


def test_the_repository_password_is_stored_encrypted_and_never_shown(client, hospital):
    w = hospital
    copy = services.copy_create(data_asset=w.asset, name="restic", engine="restic",
                                media="disque", repository="/srv/restic/dpi")
    client.force_login(w.owner)
    client.cookies["django_language"] = "en"
    page = reverse("backups:asset_detail", kwargs={"uuid": w.asset.uuid})
    assert "✗ not stored" in _text(client.get(page))
    url = reverse("backups:copy_secret", kwargs={"uuid": copy.uuid})
    password = "Tr0ub4dor&3-horse"
    response = client.post(url, {"password": password})
    assert response.status_code == 302
    copy.refresh_from_db()
    assert copy.secret and password not in copy.secret
    assert secrets.decrypt(copy.secret) == password
    assert not BackupCopy.objects.filter(secret__contains=password).exists()
    for shown in (client.get(page), client.get(url)):
        body = _text(shown)
        assert password not in body and html.escape(password) not in body
    assert "✓ stored" in _text(client.get(page))


def test_collect_and_verify_now_run_the_engine_and_say_how_it_went(client, hospital):
    w = hospital
    copy = services.copy_create(data_asset=w.asset, name="restic", engine="restic",
                                media="disque", repository="/nonexistent/restic-repo")
    client.force_login(w.owner)
    for name, kind in (("backups:copy_collect", "collect"), ("backups:copy_verify", "verify")):
        url = reverse(name, kwargs={"uuid": copy.uuid})
        assert client.get(url).status_code == 200  # a confirmation page, without JavaScript
        response = client.post(url, follow=True)
        run = CollectionRun.objects.filter(copy=copy, kind=kind).get()
        # No password stored: the run fails with the engine's clear error, shown as a message.
        assert (run.status, run.error_code) == ("failed", "wrong_password")
        shown = [str(m) for m in response.context["messages"]]
        assert len(shown) == 1 and run.error in shown[0]
    # A copy pcra does not drive: nothing queued, a message says why.
    response = client.post(reverse("backups:copy_collect", kwargs={"uuid": w.nas.uuid}),
                           follow=True)
    assert not CollectionRun.objects.filter(copy=w.nas).exists()
    assert "Veeam" in str(list(response.context["messages"])[0])


def test_owner_records_a_verification(client, hospital):
    w = hospital
    client.force_login(w.owner)
    url = reverse("backups:verification_create", kwargs={"uuid": w.tape.uuid})
    when = timezone.localtime(ago(3)).replace(second=0, microsecond=0)
    response = client.post(url, {"performed_at": when.strftime("%Y-%m-%dT%H:%M"),
                                 "kind": "restauration", "result": "echec", "error_count": "2",
                                 "duration_seconds": "3600", "notes": "Bande illisible"})
    assert response.status_code == 302
    v = Verification.objects.filter(copy=w.tape, notes="Bande illisible").get()
    assert (v.performed_at, v.kind, v.result, v.error_count, v.duration_seconds, v.source) == (
        when, "restauration", "echec", 2, 3600.0, "manual")
    refused = client.post(url, {"performed_at": when.strftime("%Y-%m-%dT%H:%M"),
                                "kind": "integrite", "result": "echec", "error_count": "0"})
    assert list(refused.context["form"].errors) == ["error_count"]


def test_infrastructures_list_create_edit_delete(client, hospital):
    w = hospital
    client.force_login(w.owner)
    listing = client.get(reverse("backups:infrastructure_list"))
    assert listing.status_code == 200 and "BKP-A1" in _text(listing)
    form = client.get(reverse("backups:infrastructure_create")).context["form"]
    values = [v for v, _label in form.fields["organization"].choices]
    assert values == ["", str(w.et_a1.uuid)]  # an editor of ET-A1 cannot share on the GHT
    response = client.post(reverse("backups:infrastructure_create"), {
        "code": "BKP-2", "name": "Zone isolée", "organization": str(w.et_a1.uuid),
        "separate_auth": "true", "admin_mfa": "true", "segmented": "false",
        "named_admin_accounts": "unknown", "notes": ""})
    assert response.status_code == 302
    infra = BackupInfrastructure.objects.get(code="BKP-2")
    assert (infra.top, infra.organization, infra.separate_auth, infra.admin_mfa,
            infra.segmented, infra.named_admin_accounts) == (w.ght_a, w.et_a1, True, True,
                                                             False, None)
    detail = client.get(reverse("backups:infrastructure_detail", kwargs={"uuid": infra.uuid}))
    assert [r.status for r in detail.context["hardening"]] == ["ok", "ok", "failed", "unknown"]
    client.post(reverse("backups:infrastructure_edit", kwargs={"uuid": infra.uuid}), {
        "code": "BKP-2", "name": "Zone isolée", "organization": str(w.et_a1.uuid),
        "separate_auth": "true", "admin_mfa": "true", "segmented": "true",
        "named_admin_accounts": "true", "notes": "Bastion"})
    infra.refresh_from_db()
    assert (infra.segmented, infra.named_admin_accounts, infra.notes) == (True, True, "Bastion")
    blocked = client.post(reverse("backups:infrastructure_delete", kwargs={"uuid": w.infra.uuid}))
    assert blocked.status_code == 200 and BackupInfrastructure.objects.filter(pk=w.infra.pk)
    client.post(reverse("backups:infrastructure_delete", kwargs={"uuid": infra.uuid}))
    assert not BackupInfrastructure.objects.filter(pk=infra.pk).exists()


# --- Alerts ------------------------------------------------------------------------------------


def test_alerts_list_open_first_with_escalation(client, hospital):
    w = hospital
    resolved = Alert.objects.create(data_asset=w.asset, copy=w.nas, kind="backup_missing",
                                    severity="warning", message="old", opened_at=ago(100),
                                    last_seen_at=ago(90), resolved_at=ago(90))
    client.force_login(w.owner)
    url = reverse("backups:alerts")
    rows = client.get(url).context["rows"]
    assert [a.pk for a in rows] == [w.alert.pk]
    assert rows[0].escalation_due  # open for 10 days, beyond the 7-day escalation
    every = client.get(url, {"state": "all"})
    assert [a.pk for a in every.context["rows"]] == [w.alert.pk, resolved.pk]
    assert "MAT-A2" not in _text(every)
    assert [a.pk for a in client.get(url, {"state": "resolved"}).context["rows"]] == [
        resolved.pk]


def test_owner_acknowledges_then_resolves_an_alert(client, hospital):
    w = hospital
    client.force_login(w.owner)
    url = reverse("backups:alert_acknowledge", kwargs={"uuid": w.alert.uuid})
    response = client.post(url, {"next": reverse("backups:alerts")})
    assert response.status_code == 302 and response["Location"] == reverse("backups:alerts")
    w.alert.refresh_from_db()
    assert w.alert.acknowledged_by == w.owner and w.alert.resolved_at is None
    assert [a.pk for a in client.get(reverse("backups:alerts"),
                                     {"state": "acknowledged"}).context["rows"]] == [w.alert.pk]
    response = client.post(reverse("backups:alert_resolve", kwargs={"uuid": w.alert.uuid}),
                           {"resolution": "Pack réparé, vérification relancée"})
    assert response.status_code == 302
    w.alert.refresh_from_db()
    assert (w.alert.resolved_by, w.alert.resolution) == (w.owner,
                                                        "Pack réparé, vérification relancée")
    assert list(client.get(reverse("backups:alerts")).context["rows"]) == []


def test_refresh_opens_the_alerts_of_the_assets_the_user_may_change(client, hospital):
    w = hospital
    Alert.objects.all().delete()
    client.force_login(w.owner)
    response = client.post(reverse("backups:alerts_refresh"))
    assert response.status_code == 302
    opened = set(Alert.objects.filter(resolved_at__isnull=True)
                 .values_list("data_asset__node__code", "kind"))
    assert opened == {("LAB-A1", "verification_failed")}
    assert client.get(reverse("backups:alerts_refresh")).status_code == 405


# --- Metrics tokens ----------------------------------------------------------------------------


def test_token_is_shown_once_and_opens_metrics_until_revoked(client, hospital):
    w = hospital
    client.force_login(w.ght_admin)
    response = client.post(reverse("backups:token_create"),
                           {"organization": str(w.et_a1.uuid), "name": "prometheus-dsi"})
    assert response.status_code == 200
    raw = re.search(r"pcra_[A-Za-z0-9_\-]{20,}", _text(response)).group(0)
    assert "curl -H" in _text(response)
    token = MetricsToken.objects.get(name="prometheus-dsi")
    assert token.organization == w.et_a1 and raw not in token.token_hash
    listing = _text(client.get(reverse("backups:token_list")))
    assert "prometheus-dsi" in listing and raw not in listing
    client.logout()
    metrics = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert metrics.status_code == 200
    body = _text(metrics)
    assert 'pcra_backup_rule_ok{data_asset="DPI-A1",digit="three"} 1' in body
    assert "MAT-A2" not in body
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer pcra_wrong").status_code == 401
    assert client.get("/metrics").status_code == 401
    client.force_login(w.ght_admin)
    revoke = reverse("backups:token_revoke", kwargs={"uuid": token.uuid})
    assert client.get(revoke).status_code == 200
    assert client.post(revoke).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    client.logout()
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_only_administrators_manage_tokens(client, hospital):
    w = hospital
    token, _raw = metrics_token_create(organization=w.et_a1, name="scraper")
    revoke = reverse("backups:token_revoke", kwargs={"uuid": token.uuid})
    for user, expected in ((w.owner, 403), (w.member, 403), (w.outsider, 404),
                           (w.stranger, 404)):
        client.force_login(user)
        assert client.get(revoke).status_code == expected, user
        assert client.post(revoke).status_code == expected, user
        assert client.get(reverse("backups:token_list")).status_code in (403, 200)
        if user is not w.stranger:
            assert client.get(reverse("backups:token_create")).status_code == 403
    client.force_login(w.stranger)  # an admin of GHT-B: sees none of GHT-A's tokens
    listing = client.get(reverse("backups:token_list"))
    assert listing.status_code == 200 and list(listing.context["tokens"]) == []
    form = client.get(reverse("backups:token_create")).context["form"]
    assert str(w.et_a1.uuid) not in dict(form.fields["organization"].choices)
    token.refresh_from_db()
    assert token.revoked_at is None


# --- Other personas ----------------------------------------------------------------------------


def test_member_reads_every_page_but_every_write_is_refused(client, hospital):
    w = hospital
    client.force_login(w.member)
    for url, code in ((reverse("backups:index"), "DPI-A1"), (reverse("backups:alerts"), "LAB-A1"),
                      (reverse("backups:infrastructure_list"), "BKP-A1")):
        response = client.get(url)
        assert response.status_code == 200 and code in _text(response), url
    page = _text(client.get(reverse("backups:asset_detail", kwargs={"uuid": w.asset.uuid})))
    assert "DPI-A1" in page
    assert reverse("backups:copy_edit", kwargs={"uuid": w.nas.uuid}) not in page
    before = (AuditEntry.objects.count(), BackupCopy.objects.count(),
              Verification.objects.count(), CollectionRun.objects.count(),
              BackupInfrastructure.objects.count(), DataAsset.objects.count())
    for name, url in object_urls(w).items():
        if name in READS:
            assert client.get(url).status_code == 200, name
            continue
        assert client.get(url).status_code == 403, name
        assert client.post(url, _copy_post(password="x", resolution="x")).status_code == 403, name
    for url in (reverse("backups:asset_create"), reverse("backups:infrastructure_create"),
                reverse("backups:alerts_refresh"), reverse("backups:token_create")):
        assert client.post(url, {"node": str(w.dpi.uuid), "code": "X"}).status_code == 403, url
    w.alert.refresh_from_db()
    assert w.alert.acknowledged_at is None and w.alert.resolved_at is None
    assert before == (AuditEntry.objects.count(), BackupCopy.objects.count(),
                      Verification.objects.count(), CollectionRun.objects.count(),
                      BackupInfrastructure.objects.count(), DataAsset.objects.count())


@pytest.mark.parametrize("persona", ["outsider", "stranger"])
def test_other_establishments_get_404_and_see_nothing(client, hospital, persona):
    w = hospital
    client.force_login(getattr(w, persona))
    for name, url in object_urls(w).items():
        assert client.get(url).status_code == 404, name
        if name not in READS:
            assert client.post(url, _copy_post()).status_code == 404, name
    for url in (reverse("backups:index"), reverse("backups:alerts") + "?state=all",
                reverse("backups:infrastructure_list")):
        body = _text(client.get(url))
        for secret in ("DPI-A1", "LAB-A1", "BKP-A1", "lab-nas"):
            assert secret not in body, (url, secret)
    if persona == "outsider":
        form = client.get(reverse("backups:asset_create")).context["form"]
        assert str(w.dpi.uuid) not in form.nodes
        refused = client.post(reverse("backups:asset_create"), {"node": str(w.dpi.uuid)})
        assert refused.status_code == 200 and refused.context["form"].errors["node"]
    assert BackupCopy.objects.filter(data_asset=w.asset).count() == 2


def test_anonymous_is_sent_to_login(client, hospital):
    response = client.get(reverse("backups:index"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- Query counts ------------------------------------------------------------------------------


def _grow(w, n: int, prefix: str = "VM") -> None:
    """``n`` assets in ET-A1, each with two copies, a point, a verification and an alert."""
    for i in range(n):
        node = make_node(org=w.et_a1, node_type="component", code=f"{prefix}-{i:03d}")
        asset = services.data_asset_ensure(node=node)
        first = add_copy(asset, "nas", restore_days=3)
        add_copy(asset, "tape", media="bande", offline=True, site="Sud")
        Alert.objects.create(data_asset=asset, copy=first, kind="backup_missing",
                             severity="warning", message=f"{prefix}-{i:03d} late", opened_at=ago(5),
                             last_seen_at=ago(1))


def _count(client, url, **params) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx.captured_queries), len(response.context["rows"])


@pytest.mark.parametrize("url_name,params", [("backups:index", {}),
                                             ("backups:index", {"problems": "1"}),
                                             ("backups:alerts", {}),
                                             ("backups:alerts", {"state": "all"})])
def test_list_pages_run_a_constant_number_of_queries(client, world, url_name, params):
    w = world
    client.force_login(w.owner)
    url = reverse(url_name)
    _grow(w, 5)
    _count(client, url, **params)  # warm the caches (content types, sessions)
    few, rows_few = _count(client, url, **params)
    _grow(w, 45, prefix="VX")
    many, rows_many = _count(client, url, **params)
    assert (rows_few, rows_many) == (5, 50)
    assert many == few


def test_a_shared_assets_copy_does_not_name_another_establishments_infrastructure(client, world):
    infra = services.infrastructure_create(top=world.ght_a, code="BK-A1",
                                                  name="Serveur secret A1",
                                                  organization=world.et_a1)
    shared = make_node(org=world.ght_a, node_type="component", code="SHARED-FS")
    data = services.data_asset_ensure(node=shared)
    services.copy_create(data_asset=data, name="nas", engine="veeam", media="nas",
                                infrastructure=infra)
    url = reverse("backups:asset_detail", kwargs={"uuid": data.uuid})
    client.force_login(world.outsider)
    page = client.get(url).content.decode()
    assert "SHARED-FS" in page and "Serveur secret A1" not in page
    client.force_login(world.owner)
    assert "Serveur secret A1" in client.get(url).content.decode()
