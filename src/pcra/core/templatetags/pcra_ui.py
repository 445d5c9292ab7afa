"""Template tags of the pcra interface: navigation, optional URLs, durations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from pcra.accounts.access import access_for
from pcra.accounts.models import AUDIT_ROLES
from pcra.core.crud import format_hours, format_number, optional_url

register = template.Library()


@dataclass(frozen=True)
class NavItem:
    label: Any
    url: str
    icon: str
    active: bool = False


# (section title, [(label, url name, icon, audit only)]); the import/export link stays
# highlighted on every page under /workbook/.
NAV = [
    (_("Mapping"), [
        (_("Dashboard"), "core:home", "home", False),
        (_("Establishments"), "organizations:list", "org", False),
        (_("Activities"), "inventory:activity_list", "activity", False),
        (_("Applications"), "inventory:application_list", "application", False),
        (_("Components"), "inventory:component_list", "component", False),
        (_("Suppliers"), "inventory:supplier_list", "supplier", False),
        (_("Dependencies"), "inventory:dependency_list", "dependency", False),
    ]),
    (_("Analysis"), [
        (_("Dependency graph"), "graph:index", "graph", False),
        (_("Single points of failure"), "graph:spof", "spof", False),
    ]),
    (_("Business impact"), [
        (_("Impact analysis (BIA)"), "impact:index", "warning", False),
        (_("BIA campaigns"), "impact:campaign_list", "audit", False),
        (_("Impact scale"), "impact:scale", "edit", False),
        # Shown once its page exists (built with the readiness report).
        (_("Readiness"), "readiness:index", "spof", False),
        (_("Impact heatmap"), "readiness:heatmap", "graph", False),
    ]),
    (_("Backups"), [
        (_("Backup copies"), "backups:index", "application", False),
        (_("Backup alerts"), "backups:alerts", "warning", False),
        (_("Restore tests"), "restoretests:index", "audit", False),
    ]),
    (_("Recovery"), [
        (_("Recovery plan (PRI)"), "recovery:index", "graph", False),
    ]),
    (_("Continuity plans"), [
        (_("PCRA and crisis binder"), "plans:index", "audit", False),
        (_("Reflex sheets"), "plans:sheet_list", "warning", False),
        (_("Crisis directory"), "plans:contact_list", "user", False),
    ]),
    (_("Data"), [
        (_("Import / export"), "workbook:import", "workbook", False),
        (_("Audit log"), "audit:list", "audit", True),
    ]),
]


def can_read_audit(user) -> bool:
    access = access_for(user)
    return access.is_superuser or any(role in AUDIT_ROLES for role in access.roles.values())


@register.simple_tag(takes_context=True)
def main_nav(context) -> list[tuple[Any, list[NavItem]]]:
    """The sections of the side navigation; links whose page does not exist yet are left out."""
    request = context.get("request")
    user = context.get("user")
    path = request.path if request is not None else ""
    auditor = can_read_audit(user) if user is not None else False
    sections = []
    for title, entries in NAV:
        items = []
        for label, name, icon, audit_only in entries:
            if audit_only and not auditor:
                continue
            url = optional_url(name)
            if not url and name == "workbook:import":
                url = optional_url("workbook:export")
            if not url:
                continue
            prefix = url.rstrip("/").rsplit("/", 1)[0] + "/" if icon == "workbook" else url
            active = path == url if url == "/" else path.startswith(prefix)
            items.append(NavItem(label, url, icon, active))
        if items:
            sections.append((title, items))
    # The most specific link wins (graph:spof under graph:index, for example).
    flat = [item for _title, items in sections for item in items if item.active]
    if len(flat) > 1:
        best = max(flat, key=lambda item: len(item.url))
        sections = [(t, [NavItem(i.label, i.url, i.icon, i is best) for i in items])
                    for t, items in sections]
    return sections


@register.simple_tag
def bia_summary(node: Any) -> Any:
    """The BIA summary of an activity (None for other nodes), for the activity's sheet.

    The node was read through a selector scoped by the user; the BIA follows the node."""
    if getattr(node, "node_type", None) != "activity":
        return None
    from pcra.impact.views import activity_summary

    return activity_summary(node)


@register.simple_tag
def maybe_url(name: str, *args: Any, **kwargs: Any) -> str:
    """Like ``{% url %}`` but "" when the URL does not exist (yet)."""
    return optional_url(name, *args, **kwargs)


@register.filter
def hours(value: Any) -> str:
    """4 → "4 h", 1.5 → "1,5 h" in French; empty stays empty."""
    return format_hours(value)


@register.filter
def decimal(value: Any) -> str:
    """A number without useless decimals, localised."""
    return format_number(value)


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """``mapping[key]``, 0 when missing (for counts)."""
    try:
        return mapping.get(key, 0)
    except AttributeError:
        return 0
