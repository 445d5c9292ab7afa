"""Shared pieces of the backups commands: finding assets and copies from codes given on the
command line, and the JSON shape of the backup report."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.db.models import Q
from django.utils.translation import gettext as _

from pcra.backups import selectors
from pcra.backups.models import BackupCopy, DataAsset
from pcra.organizations.models import Organization


def organization_from(code: str | None) -> Organization | None:
    if not code:
        return None
    found = Organization.objects.filter(code=code).first()
    if found is None:
        raise CommandError(_("Unknown organization: %(code)s.") % {"code": code})
    return found


def assets_of(organization: Organization | None):
    """Data assets of an organization and everything below it (all of them without one)."""
    qs = DataAsset.objects.select_related("node", "node__organization", "node__top")
    if organization is None:
        return qs.order_by("node__code")
    if organization.root_id is None:  # a GHT (or an EJ outside a GHT): its whole graph
        qs = qs.filter(node__top_id=organization.pk)
    else:
        below = Organization.objects.filter(Q(pk=organization.pk) | Q(parent_id=organization.pk))
        qs = qs.filter(node__organization__in=below)
    return qs.order_by("node__code")


def find_copy(asset_code: str, copy_name: str, organization: Organization | None) -> BackupCopy:
    assets = [a for a in assets_of(organization) if a.node.code == asset_code] \
        if organization is not None else list(
            DataAsset.objects.select_related("node", "node__top").filter(node__code=asset_code))
    if not assets:
        raise CommandError(_("No data asset %(code)s.") % {"code": asset_code})
    if len(assets) > 1:
        raise CommandError(_("%(code)s exists in several GHTs (%(tops)s): choose one with "
                             "--organization.") % {
            "code": asset_code, "tops": ", ".join(sorted(a.node.top.code for a in assets))})
    copy = BackupCopy.objects.filter(data_asset=assets[0], name=copy_name).select_related(
        "data_asset__node").first()
    if copy is None:
        names = ", ".join(assets[0].copies.order_by("name").values_list("name", flat=True))
        raise CommandError(_("%(code)s has no copy named %(name)s (copies: %(names)s).") % {
            "code": asset_code, "name": copy_name, "names": names or "—"})
    return copy


def report_json(report: selectors.AssetReport) -> dict:
    return {
        "code": report.code,
        "digits": {key: {"ok": verdict.ok, "reason": verdict.render(_)}
                   for key, verdict in report.digits.as_dict().items()},
        "achieved_rpo_hours": {key: (None if hours is None else round(hours, 3))
                               for key, hours in report.achieved_rpo.items()},
        "required_rpo_hours": report.required_rpo_hours,
        "copies": [{
            "name": c.copy.name, "engine": c.copy.engine, "media": c.copy.media,
            "restore_points": c.point_count,
            "newest_point_age_hours": (None if c.newest_point_age_hours is None
                                       else round(c.newest_point_age_hours, 3)),
            "verified": c.verification.verified,
            "verified_share": round(c.verification.coverage, 4),
            "hardening": {r.key: r.status for r in c.hardening},
        } for c in report.copies],
    }
