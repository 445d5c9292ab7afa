"""Prometheus ``/metrics``: the backup state in the text exposition format, behind a bearer
token (``Authorization: Bearer <token>``) scoped to one organization and what is below it.

Tokens are random (32 bytes, URL-safe); only their SHA-256 is stored and the token is shown
once. A missing, unknown or revoked token gets 401 and nothing else.
"""

from __future__ import annotations

import secrets as pysecrets

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from pcra.backups import selectors
from pcra.backups.models import Alert, MetricsToken
from pcra.core.secrets import token_digest

TOKEN_PREFIX = "pcra_"


@transaction.atomic
def metrics_token_create(*, organization, name: str, user=None) -> tuple[MetricsToken, str]:
    """A new token and its clear value (shown once, never stored)."""
    raw = TOKEN_PREFIX + pysecrets.token_urlsafe(32)
    token = MetricsToken.objects.create(organization=organization, name=name.strip() or "metrics",
                                        token_hash=token_digest(raw), created_by=user)
    return token, raw


@transaction.atomic
def metrics_token_revoke(*, token: MetricsToken) -> MetricsToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save()
    return token


def token_from(request: HttpRequest) -> MetricsToken | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    token = (MetricsToken.objects.select_related("organization")
             .filter(token_hash=token_digest(value.strip()), revoked_at__isnull=True).first())
    if token is not None:
        MetricsToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render_metrics(organization) -> str:
    from pcra.backups.commandline import assets_of

    now = timezone.now()
    assets = list(assets_of(organization))
    reports = selectors.asset_reports(assets, now=now)
    lines: list[str] = []

    def family(name: str, kind: str, help_text: str, samples):
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            text = ",".join(f'{k}="{_label(str(v))}"' for k, v in labels.items())
            lines.append(f"{name}{{{text}}} {value}")

    def copy_labels(report, copy_report):
        return {"data_asset": report.code, "copy": copy_report.copy.name,
                "engine": copy_report.copy.engine}

    family("pcra_backup_newest_restore_point_age_seconds", "gauge",
           "Age of the newest restore point of a copy.",
           [(copy_labels(r, c), round(c.newest_point_age_hours * 3600))
            for r in reports for c in r.copies if c.newest_point_age_hours is not None])
    family("pcra_backup_restore_points", "gauge", "Restore points listed for a copy.",
           [(copy_labels(r, c), c.point_count) for r in reports for c in r.copies])
    family("pcra_backup_verified", "gauge",
           "1 when every slice of the copy was read without error within the window.",
           [(copy_labels(r, c), int(c.verification.verified)) for r in reports for c in r.copies])
    family("pcra_backup_verified_ratio", "gauge",
           "Share of the copy's data read without error within the verification window.",
           [(copy_labels(r, c), round(c.verification.coverage, 4))
            for r in reports for c in r.copies])
    family("pcra_backup_rule_ok", "gauge", "1 when a digit of 3-2-1-1-0 holds for the asset.",
           [({"data_asset": r.code, "digit": key}, int(v.ok))
            for r in reports for key, v in r.digits.as_dict().items()])
    family("pcra_backup_achieved_rpo_seconds", "gauge",
           "Age of the newest verified restore point surviving the scenario.",
           [({"data_asset": r.code, "scenario": key}, round(hours * 3600))
            for r in reports for key, hours in r.achieved_rpo.items() if hours is not None])
    family("pcra_backup_required_rpo_seconds", "gauge", "PDMA required by the BIA.",
           [({"data_asset": r.code}, round(r.required_rpo_hours * 3600))
            for r in reports if r.required_rpo_hours is not None])
    counts: dict[tuple[str, str], int] = {}
    for kind, severity in (Alert.objects.filter(data_asset__in=assets, resolved_at__isnull=True)
                           .values_list("kind", "severity")):
        counts[(kind, severity)] = counts.get((kind, severity), 0) + 1
    family("pcra_backup_alerts_open", "gauge", "Open backup alerts.",
           [({"kind": kind, "severity": severity}, n) for (kind, severity), n in
            sorted(counts.items())])
    return "\n".join(lines) + "\n"


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    token = token_from(request)
    if token is None:
        response = HttpResponse("unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="pcra"'
        return response
    return HttpResponse(render_metrics(token.organization),
                        content_type="text/plain; version=0.0.4; charset=utf-8")
