"""The BIA report of an organization as a PDF (WeasyPrint), from ``report_bia_pdf.html``.

A4: a title page (organization, date), the activities × horizons heatmap, one table per
activity (levels grid, DMIA and its source, PDMA, status, sign-off) and a sign-off block; page
numbers in the footer. The activities are those the user may see in the organization and below.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone

from pcra.impact.management.commands.report_bia import organization_ids
from pcra.impact.readiness_views import ReadinessRow, readiness_rows
from pcra.impact.views import dmia_source_label
from pcra.organizations.models import Organization


@dataclass
class ReportActivity:
    """One activity of the report: its readiness and its levels grid."""

    r: ReadinessRow

    @property
    def grid(self) -> list[tuple]:
        """(criterion, [level or None per horizon]) in the scale's order."""
        levels = self.r.row.levels
        return [(c, [levels.get((c.code, h.code)) for h in self.r.scale.horizons])
                for c in self.r.scale.criteria]

    @property
    def dmia_source(self) -> str:
        return dmia_source_label(self.r.row.dmia_source)

    @property
    def status_label(self) -> str:
        current = self.r.row.current
        return current.get_status_display() if current is not None else ""

    @property
    def signed(self):
        """The signed-off version in force, or None."""
        effective = self.r.row.effective
        return effective if effective is not None and effective.signed_off_at else None


def report_context(*, organization: Organization, user) -> dict:
    ids = organization_ids(Organization(pk=organization.top_id), organization)
    rows = [r for r in readiness_rows(user=user, organization_ids=ids)
            if r.activity.top_id == organization.top_id]
    rows.sort(key=lambda r: (r.activity.organization.code, r.activity.code))
    scale = rows[0].scale if rows else None
    return {"organization": organization, "today": timezone.localdate(), "rows": rows,
            "activities": [ReportActivity(r) for r in rows],
            "horizons": scale.horizons if scale else (), "scale": scale}


def bia_report_html(*, organization: Organization, user) -> str:
    return render_to_string("impact/report_bia_pdf.html",
                            report_context(organization=organization, user=user))


def bia_report_pdf(*, organization: Organization, user, base_url: str | None = None) -> bytes:
    """The PDF bytes of the BIA report of ``organization`` as ``user`` may see it."""
    from weasyprint import HTML

    html = bia_report_html(organization=organization, user=user)
    return HTML(string=html, base_url=base_url).write_pdf()
