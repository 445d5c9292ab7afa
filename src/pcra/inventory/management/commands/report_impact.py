"""`pcra report_impact CODE... [--ght CODE] [--json]`: what the loss of some nodes stops.

The given nodes are lost together; the activities impacted are those that no longer work
(DESIGN §4.2: a node works when it is not lost and each group of its dependencies keeps a
working target; degraded-mode autonomy only delays an impact). With ``--json``:
``{"lost": [codes, sorted], "impacted_activities": [codes, sorted]}``.

Without ``--ght``, the codes are looked up in every GHT: the one GHT that holds them all is
used; none (an unknown code) or several (an ambiguity) is an error that says which.
"""

from __future__ import annotations

import json
from collections import defaultdict

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pcra.inventory.models import Node, NodeType
from pcra.inventory.selectors import load_graph
from pcra.organizations.models import Organization


def _codes_text(codes) -> str:
    return ", ".join(sorted(codes))


def resolve_nodes(codes: list[str], ght_code: str | None) -> tuple[Organization, dict[str, int]]:
    """The top organization and ``{code: node id}`` for ``codes``; CommandError if unclear."""
    if ght_code:
        ght = Organization.objects.filter(code=ght_code).first()
        if ght is None:
            raise CommandError(_("Unknown GHT: %(code)s.") % {"code": ght_code})
        top = ght if ght.root_id is None else ght.root
        found = dict(Node.objects.filter(top=top, code__in=codes).values_list("code", "id"))
        missing = [c for c in codes if c not in found]
        if missing:
            raise CommandError(_("Unknown node code(s) in %(ght)s: %(codes)s.")
                               % {"ght": top.code, "codes": _codes_text(missing)})
        return top, found
    by_top: dict[int, dict[str, int]] = defaultdict(dict)
    for top_id, code, pk in Node.objects.filter(code__in=codes).values_list("top_id", "code",
                                                                             "id"):
        by_top[top_id][code] = pk
    complete = sorted(top_id for top_id, found in by_top.items() if len(found) == len(codes))
    if len(complete) == 1:
        return Organization.objects.get(pk=complete[0]), by_top[complete[0]]
    if len(complete) > 1:
        tops = Organization.objects.filter(pk__in=complete).values_list("code", flat=True)
        raise CommandError(_("The codes %(codes)s exist in several GHTs (%(ghts)s): choose one "
                             "with --ght.") % {"codes": _codes_text(codes),
                                               "ghts": _codes_text(tops)})
    known = {code for found in by_top.values() for code in found}
    missing = [c for c in codes if c not in known]
    if missing:
        raise CommandError(_("Unknown node code(s): %(codes)s.")
                           % {"codes": _codes_text(missing)})
    names = dict(Organization.objects.filter(pk__in=by_top).values_list("pk", "code"))
    where = "; ".join(f"{names[top_id]}: {_codes_text(found)}"
                      for top_id, found in sorted(by_top.items(), key=lambda i: names[i[0]]))
    raise CommandError(_("No single GHT holds all of these codes (%(where)s); a loss is "
                         "computed within one GHT.") % {"where": where})


class Command(BaseCommand):
    help = ("List the activities impacted by the loss of the given nodes (applications, "
            "components) together.")

    def add_arguments(self, parser):
        parser.add_argument("codes", nargs="+", metavar="CODE",
                            help="codes of the nodes lost together")
        parser.add_argument("--ght", metavar="CODE",
                            help="GHT whose nodes the codes name (needed when several have them)")
        parser.add_argument("--json", action="store_true",
                            help='print {"lost": [...], "impacted_activities": [...]}')

    def handle(self, *args, **options):
        codes = list(dict.fromkeys(c.strip() for c in options["codes"] if c.strip()))
        if not codes:
            raise CommandError(_("Give at least one node code."))
        top, found = resolve_nodes(codes, options["ght"])
        graph = load_graph(top_id=top.pk)
        failed = graph.failed_nodes(found.values())
        impacted = graph.activities & failed
        if options["json"]:
            # The GHT's activity codes in one query (no IN list however large the loss).
            activity_codes = dict(Node.objects.filter(top=top, node_type=NodeType.ACTIVITY)
                                  .values_list("id", "code"))
            self.stdout.write(json.dumps({
                "lost": sorted(codes),
                "impacted_activities": sorted(activity_codes[pk] for pk in impacted)}))
            return
        self._write_text(top, codes, set(found.values()), failed, impacted)

    def _write_text(self, top, codes, lost, failed, impacted) -> None:
        self.stdout.write(_("Loss of %(codes)s in %(ght)s – %(name)s:")
                          % {"codes": _codes_text(codes), "ght": top.code, "name": top.name})
        if not impacted:
            self.stdout.write(_("No activity is impacted."))
        else:
            self.stdout.write(ngettext("%(n)d activity impacted:", "%(n)d activities impacted:",
                                       len(impacted)) % {"n": len(impacted)})
            rows = (Node.objects.filter(top=top, node_type=NodeType.ACTIVITY)
                    .values_list("id", "code", "name", "organization__code"))
            for _pk, code, name, org in sorted((r for r in rows if r[0] in impacted),
                                               key=lambda r: r[1]):
                self.stdout.write(f"  {code} – {name} ({org or top.code})")
        types = dict(Node.objects.filter(top=top).values_list("id", "node_type"))
        stopped = [types[pk] for pk in failed - impacted - lost]
        self.stdout.write(_("Also stopped with them: %(apps)d applications, %(comps)d "
                            "components.") % {"apps": stopped.count(NodeType.APPLICATION),
                                              "comps": stopped.count(NodeType.COMPONENT)})
