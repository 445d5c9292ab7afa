"""Forms of the inventory pages. They check shape only; services check meaning."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.core.validators import MinValueValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pcra.accounts.access import access_for
from pcra.core.crud import FilterForm
from pcra.inventory.models import (
    ActivityKind,
    ComponentKind,
    Dependency,
    Hosting,
    Node,
    NodeType,
)
from pcra.inventory.selectors import nodes_visible_to
from pcra.organizations.models import Organization, OrganizationKind
from pcra.organizations.selectors import organizations_visible_to, tops_visible_to

SHARED_PREFIX = "shared:"

_WIDGETS = {
    "description": forms.Textarea(attrs={"rows": 3}),
    "declared_dmia_reason": forms.Textarea(attrs={"rows": 2}),
}


def model_field(model, name: str, **overrides) -> forms.Field:
    """The form field Django derives from the model field (label, help text, max length)."""
    field = model._meta.get_field(name).formfield(**overrides)
    if isinstance(field, forms.DecimalField):
        # Localised input ("1,5" in French); the widget becomes a text input.
        field.localize = True
        field.widget = forms.TextInput(attrs={"inputmode": "decimal"})
        field.widget.is_localized = True
        field.validators.append(MinValueValidator(0))
    if name in _WIDGETS:
        field.widget = _WIDGETS[name]
    return field


@dataclass(frozen=True)
class Owner:
    """Where a node belongs: an organization, or shared across ``top`` (organization None)."""

    organization: Organization | None
    top: Organization


def _org_label(org: Organization) -> str:
    return f"{org.code} – {org.name}"


def owner_choices(*, user, node_type: str, top_id: int | None = None,
                  current_id: int | None = None) -> tuple[list, dict[str, Owner]]:
    """Grouped choices for the "establishment" of a node, and what each value stands for.

    The organizations are those where the user may write (EJ and ET; an activity never
    belongs to a GHT). "Shared across the GHT" is offered, except for activities, only to
    users who may write on the GHT itself. With several GHTs, the choices are grouped by GHT.
    A node an import attached to the GHT organization itself keeps that choice.
    """
    access = access_for(user)
    tops = list(tops_visible_to(user=user).order_by("code")) if not access.is_superuser else list(
        Organization.objects.filter(root__isnull=True).order_by("code"))
    if top_id is not None:
        tops = [t for t in tops if t.id == top_id]
    writable = [
        org for org in organizations_visible_to(user=user).order_by("code")
        if (org.kind != OrganizationKind.GHT or org.id == current_id) and access.can_write(org.id)
    ]
    mapping: dict[str, Owner] = {}
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    for top in tops:
        options: list[tuple[str, str]] = []
        if node_type != NodeType.ACTIVITY and access.can_write(None, top_id=top.id):
            value = f"{SHARED_PREFIX}{top.uuid}"
            mapping[value] = Owner(None, top)
            options.append((value, str(_("Shared across %(top)s") % {"top": top.code})))
        for org in writable:
            if org.top_id == top.id:
                value = str(org.uuid)
                mapping[value] = Owner(org, top)
                indent = "\u2003" if org.kind == OrganizationKind.ET and org.parent_id else ""
                options.append((value, indent + _org_label(org)))
        if options:
            groups.append((_org_label(top), options))
    if len(groups) == 1:
        return [("", "---------"), *groups[0][1]], mapping
    return [("", "---------"), *groups], mapping


def owner_value(node: Node) -> str:
    if node.organization_id is None:
        return f"{SHARED_PREFIX}{node.top.uuid}"
    return str(node.organization.uuid)


class NodeForm(forms.Form):
    """Create or edit an activity, application, component or supplier."""

    model = Node

    def __init__(self, *args, user, node_type: str, field_names: tuple[str, ...],
                 node: Node | None = None, **kwargs):
        if node is not None and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(node, name) for name in field_names
                                 if name != "organization"}
            kwargs["initial"]["organization"] = owner_value(node)
        super().__init__(*args, **kwargs)
        choices, self.owners = owner_choices(
            user=user, node_type=node_type, top_id=node.top_id if node is not None else None,
            current_id=node.organization_id if node is not None else None)
        for name in field_names:
            if name == "organization":
                self.fields[name] = forms.ChoiceField(
                    label=_("Establishment"), choices=choices,
                    help_text=_("Where the node belongs; shared nodes serve the whole GHT.")
                    if node_type != NodeType.ACTIVITY else "")
            else:
                self.fields[name] = model_field(Node, name)
        for required in ("code", "name", "activity_kind", "component_kind"):
            if required in self.fields:
                self.fields[required].required = True

    def clean_organization(self) -> Owner:
        value = self.cleaned_data["organization"]
        try:
            return self.owners[value]
        except KeyError:
            raise forms.ValidationError(_("Choose an establishment from the list.")) from None

    def service_fields(self) -> dict:
        """Keyword arguments for ``node_create``/``node_update`` (without ``top``)."""
        data = dict(self.cleaned_data)
        owner: Owner = data.pop("organization")
        data["organization"] = owner.organization
        for name in ("description", "owner", "declared_dmia_reason", "vendor", "hosting",
                     "site", "recovery_team"):
            if name in data and data[name] is None:
                data[name] = ""
        return data

    @property
    def top(self) -> Organization:
        return self.cleaned_data["organization"].top


# --- Filters ------------------------------------------------------------------------------------

MISSING_CHOICES = [
    ("", _("All")),
    ("deps", _("Without any dependency")),
    ("links", _("Linked to nothing")),
]


class NodeFilterForm(FilterForm):
    """The GET form above a node list: search, establishment and type-specific filters."""

    q = forms.CharField(label=_("Search"), required=False,
                        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off",
                                                      "placeholder": _("Code or name")}))
    org = forms.ChoiceField(label=_("Establishment"), required=False)
    activity_kind = forms.ChoiceField(label=_("Nature"), required=False,
                                      choices=[("", _("All")), *ActivityKind.choices])
    hosting = forms.ChoiceField(label=_("Hosting"), required=False,
                                choices=[("", _("All")), *Hosting.choices])
    component_kind = forms.ChoiceField(label=_("Component type"), required=False,
                                       choices=[("", _("All")), *ComponentKind.choices])
    missing = forms.ChoiceField(label=_("Data quality"), required=False, choices=MISSING_CHOICES)
    ght = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, organizations, filters: tuple[str, ...], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].choices = [
            ("", _("All")), ("shared", _("Shared across the GHT")),
            *[(str(o.uuid), _org_label(o)) for o in organizations],
        ]
        for name in ("activity_kind", "hosting", "component_kind", "missing"):
            if name not in filters:
                del self.fields[name]

    def filter(self, queryset):
        """Apply the valid filters to ``queryset`` (invalid values are ignored)."""
        data = self.values()
        if q := data.get("q", "").strip():
            queryset = queryset.filter(Q(code__icontains=q) | Q(name__icontains=q))
        if (org := data.get("org")) == "shared":
            queryset = queryset.filter(organization__isnull=True)
        elif org:
            queryset = queryset.filter(organization__uuid=org)
        if ght := data.get("ght"):
            queryset = queryset.filter(top__uuid=ght)
        for name in ("activity_kind", "hosting", "component_kind"):
            if name in data:
                queryset = queryset.filter(**{name: data[name]})
        if data.get("missing") == "deps":
            queryset = queryset.filter(n_dependencies=0)
        elif data.get("missing") == "links":
            queryset = queryset.filter(n_dependencies=0, n_dependents=0)
        return queryset


class DependencyFilterForm(FilterForm):
    q = forms.CharField(label=_("Search"), required=False,
                        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off",
                                                      "placeholder": _("Code or name")}))
    org = forms.ChoiceField(label=_("Source establishment"), required=False)
    source_type = forms.ChoiceField(label=_("Source type"), required=False,
                                    choices=[("", _("All")), *NodeType.choices])
    target_type = forms.ChoiceField(label=_("Target type"), required=False,
                                    choices=[("", _("All")), *NodeType.choices])
    grouped = forms.ChoiceField(label=_("Redundancy"), required=False, choices=[
        ("", _("All")), ("yes", _("In a redundancy group")), ("no", _("Without group"))])

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].choices = [
            ("", _("All")), ("shared", _("Shared across the GHT")),
            *[(str(o.uuid), _org_label(o)) for o in organizations],
        ]

    def filter(self, queryset):
        data = self.values()
        if q := data.get("q", "").strip():
            queryset = queryset.filter(
                Q(source__code__icontains=q) | Q(source__name__icontains=q)
                | Q(target__code__icontains=q) | Q(target__name__icontains=q))
        if (org := data.get("org")) == "shared":
            queryset = queryset.filter(source__organization__isnull=True)
        elif org:
            queryset = queryset.filter(source__organization__uuid=org)
        if "source_type" in data:
            queryset = queryset.filter(source__node_type=data["source_type"])
        if "target_type" in data:
            queryset = queryset.filter(target__node_type=data["target_type"])
        if data.get("grouped") == "yes":
            queryset = queryset.exclude(redundancy_group="")
        elif data.get("grouped") == "no":
            queryset = queryset.filter(redundancy_group="")
        return queryset


# --- Dependencies -------------------------------------------------------------------------------

def _node_option(node: Node, several_tops: bool) -> str:
    label = f"{node.code} – {node.name}"
    return f"{label} [{node.top.code}]" if several_tops else label


class DependencyForm(forms.Form):
    """Source and target among the visible nodes (the source one the user may change)."""

    model = Dependency

    source = forms.ChoiceField(label=_("Source (depends on the target)"))
    target = forms.ChoiceField(label=_("Depends on"))

    def __init__(self, *args, user, edge: Dependency | None = None, **kwargs):
        if edge is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "source": str(edge.source.uuid), "target": str(edge.target.uuid),
                "degraded_autonomy_hours": edge.degraded_autonomy_hours,
                "redundancy_group": edge.redundancy_group,
            }
        super().__init__(*args, **kwargs)
        self.fields["degraded_autonomy_hours"] = model_field(Dependency,
                                                             "degraded_autonomy_hours")
        self.fields["redundancy_group"] = model_field(Dependency, "redundancy_group")
        access = access_for(user)
        nodes = list(nodes_visible_to(user=user).order_by("node_type", "code"))
        several_tops = len({n.top_id for n in nodes}) > 1
        self.nodes = {str(n.uuid): n for n in nodes}
        labels = dict(NodeType.choices)
        sources: dict[str, list] = {}
        targets: dict[str, list] = {}
        for node in nodes:
            option = (str(node.uuid), _node_option(node, several_tops))
            group = str(labels[node.node_type])
            if access.can_write(node.organization_id, top_id=node.top_id):
                sources.setdefault(group, []).append(option)
            if node.node_type != NodeType.ACTIVITY:
                targets.setdefault(group, []).append(option)
        self.fields["source"].choices = [("", "---------"), *sources.items()]
        self.fields["target"].choices = [("", "---------"), *targets.items()]
        for name in ("source", "target"):
            self.fields[name].widget.attrs.update({
                "data-filterable": "true",
                "data-filter-placeholder": _("Type a code or a name to filter the list…"),
            })

    def clean_source(self) -> Node:
        return self.nodes[self.cleaned_data["source"]]

    def clean_target(self) -> Node:
        return self.nodes[self.cleaned_data["target"]]
