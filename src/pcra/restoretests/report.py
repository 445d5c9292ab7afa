"""The restore-test report as a PDF (WeasyPrint), from ``restoretests/report_pdf.html``.

A4, the facts of the run page: the asset and its copy, the test's parameters, its result and
measurements, its steps, the probe, the errors, the functional validation, and the SHA-256 of
the JSON evidence record, so that the paper and the file can be matched; page numbers and the
print date in the footer."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language

import pcra
from pcra.restoretests.models import RestoreTestRun


def run_report_html(*, run: RestoreTestRun, context: dict) -> str:
    return render_to_string("restoretests/report_pdf.html", {
        **context, "printed_at": timezone.localtime(), "language": get_language() or "fr",
        "pcra_version": pcra.__version__})


def run_report_pdf(*, run: RestoreTestRun, context: dict, base_url: str | None = None) -> bytes:
    """The PDF bytes of the report of ``run``; ``context`` is the run page's (the caller has
    already checked that the user may read the run)."""
    from weasyprint import HTML

    return HTML(string=run_report_html(run=run, context=context), base_url=base_url).write_pdf()
