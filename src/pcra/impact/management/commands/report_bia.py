"""`pcra report_bia [--ght CODE] [--organization CODE] [--json]`: the BIA of every activity.

For each activity of the GHT (or of one of its organizations and those below it), sorted by
code: its DMIA (from the effective BIA version: the latest signed-off one, else the current
one; a declared DMIA overrides the computed one), where the DMIA comes from, its PDMA, its
criticality class and the status of its current BIA version (``missing`` without BIA). The
values are those of ``pcra.impact.selectors`` (the pages show the same).

With ``--json``::

    {"activities": [{"code": "URG", "dmia_hours": 1.0, "dmia_source": "computed",
                     "pdma_hours": 0.5, "status": "signed_off"}, ...]}

``dmia_hours`` is null when the activity is not critical; ``status`` is ``missing``,
``draft``, ``submitted`` or ``signed_off``. Without ``--ght`` the GHT is the one of
``--organization``, or the only one there is. Unknown codes, or several GHTs and no ``--ght``,
are errors (exit code 1).
"""

from __future__ import annotations

import json
from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pcra.impact import rules, selectors
from pcra.impact.models import BiaStatus
from pcra.organizations.models import Organization


def resolve(ght_code: str | None, org_code: str | None) -> tuple[Organization, Organization]:
    """(the GHT, the organization whose activities are reported: the GHT itself when no
    ``org_code``); CommandError when unclear."""
    top = None
    if ght_code:
        found = Organization.objects.filter(code=ght_code).first()
        if found is None:
            raise CommandError(_("Unknown GHT: %(code)s.") % {"code": ght_code})
        top = found if found.root_id is None else found.root
    organization = None
    if org_code:
        organization = Organization.objects.filter(code=org_code).first()
        if organization is None:
            raise CommandError(_("Unknown organization: %(code)s.") % {"code": org_code})
        if top is not None and organization.top_id != top.pk:
            raise CommandError(_("%(org)s is not part of %(ght)s.")
                               % {"org": org_code, "ght": top.code})
        if top is None:
            top = organization if organization.root_id is None else organization.root
    if top is None:
        tops = list(Organization.objects.filter(root__isnull=True).order_by("code"))
        if not tops:
            raise CommandError(_("There is no GHT yet."))
        if len(tops) > 1:
            raise CommandError(_("Several GHTs exist (%(codes)s): choose one with --ght.")
                               % {"codes": ", ".join(t.code for t in tops)})
        top = tops[0]
    return top, organization or top


def organization_ids(top: Organization, organization: Organization) -> set[int] | None:
    """The organization and everything below it (None: the whole GHT)."""
    if organization.pk == top.pk:
        return None
    children: dict[int, list[int]] = {}
    for pk, parent_id in Organization.objects.filter(root=top).values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, stack = set(), [organization.pk]
    while stack:
        current = stack.pop()
        found.add(current)
        stack.extend(children.get(current, ()))
    return found


def _hours(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:g} h"


def _status_label(status: str) -> str:
    if status == selectors.MISSING:
        return _("missing")
    return str(BiaStatus(status).label).lower()


class Command(BaseCommand):
    help = ("List the activities of a GHT with their DMIA (computed or declared), PDMA, "
            "criticality class and BIA status.")

    def add_arguments(self, parser):
        parser.add_argument("--ght", metavar="CODE", help="the GHT (needed when there are "
                                                          "several)")
        parser.add_argument("--organization", metavar="CODE",
                            help="only the activities of this organization and those below it")
        parser.add_argument("--json", action="store_true",
                            help='print {"activities": [{"code", "dmia_hours", "dmia_source", '
                                 '"pdma_hours", "status"}, ...]}')

    def handle(self, *args, **options):
        top, organization = resolve((options["ght"] or "").strip() or None,
                                    (options["organization"] or "").strip() or None)
        ids = organization_ids(top, organization)
        rows = [r for r in selectors.bia_rows_of_top(top_id=top.pk)
                if ids is None or r.activity.organization_id in ids]
        rows.sort(key=lambda r: r.activity.code)
        if options["json"]:
            self.stdout.write(json.dumps({"activities": [
                {"code": r.activity.code, "dmia_hours": r.dmia_hours,
                 "dmia_source": r.dmia_source, "pdma_hours": r.pdma_hours, "status": r.status}
                for r in rows]}))
            return
        self._write_table(organization, rows)

    def _write_table(self, organization: Organization, rows) -> None:
        self.stdout.write(_("BIA of the activities of %(code)s – %(name)s:")
                          % {"code": organization.code, "name": organization.name})
        if not rows:
            self.stdout.write(_("No activity."))
            return
        sources = {"computed": _("computed"), "declared": _("declared")}
        table = [[_("Code"), _("Name"), _("DMIA"), _("Source"), _("PDMA"), _("Class"),
                  _("Status")]]
        for r in rows:
            table.append([
                r.activity.code, r.activity.name, _hours(r.dmia_hours),
                sources.get(r.dmia_source, r.dmia_source), _hours(r.pdma_hours),
                _("not critical") if r.criticality == rules.NON_CRITICAL else r.criticality,
                _status_label(r.status)])
        widths = [max(len(str(line[i])) for line in table) for i in range(len(table[0]))]
        for index, line in enumerate(table):
            self.stdout.write("  ".join(str(cell).ljust(width)
                                        for cell, width in zip(line, widths, strict=True))
                              .rstrip())
            if index == 0:
                self.stdout.write("  ".join("-" * width for width in widths))
        counts = Counter(r.status for r in rows)
        self.stdout.write(ngettext(
            "%(n)d activity: %(signed)d signed off, %(submitted)d submitted, %(draft)d in "
            "draft, %(missing)d without BIA.",
            "%(n)d activities: %(signed)d signed off, %(submitted)d submitted, %(draft)d in "
            "draft, %(missing)d without BIA.", len(rows))
                          % {"n": len(rows), "signed": counts[BiaStatus.SIGNED_OFF],
                             "submitted": counts[BiaStatus.SUBMITTED],
                             "draft": counts[BiaStatus.DRAFT],
                             "missing": counts[selectors.MISSING]})
