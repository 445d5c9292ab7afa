"""The recovery plan as a PDF (WeasyPrint), from ``recovery/report_pdf.html``: A4 landscape,
the summary, the activities against their DMIA, the Gantt chart (the same SVG as the page) and
the runbook of every team, with a box to tick per step; page numbers and the print date."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language

import pcra


def plan_pdf_bytes(request, context: dict) -> bytes:
    """The PDF bytes of a plan; ``context`` is the plan page's plus ``teams`` (the runbook),
    built for the requesting user (who has been checked)."""
    from weasyprint import HTML

    html = render_to_string("recovery/report_pdf.html", {
        **context, "printed_at": timezone.localtime(), "language": get_language() or "fr",
        "pcra_version": pcra.__version__}, request=request)
    return HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
