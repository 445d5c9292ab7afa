"""Forms of the backup pages. They check shape only; the services check meaning
(``services.copy_rules`` is shared with the workbook import)."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from pcra.accounts.access import access_for
from pcra.backups.models import (
    BackupCopy,
    BackupInfrastructure,
    DataAsset,
    Verification,
    VerificationKind,
    VerificationResult,
)
from pcra.backups.selectors import infrastructures_visible_to
from pcra.backups.services import COPY_FIELDS, INFRASTRUCTURE_FIELDS
from pcra.core.crud import FilterForm
from pcra.inventory.forms import model_field, owner_choices, owner_value
from pcra.inventory.models import ComponentKind, Node, NodeType
from pcra.inventory.selectors import nodes_visible_to
from pcra.organizations.models import Organization

_FILTERABLE = {
    "data-filterable": "true",
    "data-filter-placeholder": _("Type a code or a name to filter the list…"),
}


def org_label(org: Organization) -> str:
    return f"{org.code} – {org.name}"


def _datetime_field(label, *, required: bool, help_text="") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label, required=required, help_text=help_text,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M",
                       "%d/%m/%Y %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))


# --- Data assets ----------------------------------------------------------------------------


class AssetCreateForm(forms.Form):
    """Choose the application or component whose data is backed up (never an activity)."""

    node = forms.ChoiceField(label=_("Application or component"))
    production_site = model_field(DataAsset, "production_site")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        access = access_for(user)
        nodes = (nodes_visible_to(user=user).exclude(node_type=NodeType.ACTIVITY)
                 .order_by("node_type", "code"))
        several_tops = len(access.top_ids) > 1 or access.is_superuser
        labels = dict(NodeType.choices)
        groups: dict[str, list] = {}
        self.nodes: dict[str, Node] = {}
        for node in nodes:
            if not access.can_write(node.organization_id, top_id=node.top_id):
                continue
            label = f"{node.code} – {node.name}"
            if several_tops:
                label += f" [{node.top.code}]"
            self.nodes[str(node.uuid)] = node
            groups.setdefault(str(labels[node.node_type]), []).append((str(node.uuid), label))
        self.fields["node"].choices = [("", "---------"), *groups.items()]
        self.fields["node"].widget.attrs.update(_FILTERABLE)

    def clean_node(self) -> Node:
        try:
            return self.nodes[self.cleaned_data["node"]]
        except KeyError:
            raise forms.ValidationError(_("Choose an application or a component from the "
                                          "list.")) from None


class AssetForm(forms.Form):
    model = DataAsset

    production_site = model_field(DataAsset, "production_site")
    notes = model_field(DataAsset, "notes")

    def __init__(self, *args, asset: DataAsset, **kwargs):
        kwargs.setdefault("initial", {"production_site": asset.production_site,
                                      "notes": asset.notes})
        super().__init__(*args, **kwargs)
        self.fields["notes"].widget = forms.Textarea(attrs={"rows": 3})
        self.fields["production_site"].widget.attrs["placeholder"] = asset.node.site


class AssetFilterForm(FilterForm):
    q = forms.CharField(label=_("Search"), required=False,
                        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off",
                                                      "placeholder": _("Code or name")}))
    org = forms.ChoiceField(label=_("Establishment"), required=False)
    problems = forms.ChoiceField(label=_("State"), required=False, choices=[
        ("", _("All")), ("1", _("Only problems"))])

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].choices = [
            ("", _("All")), ("shared", _("Shared across the GHT")),
            *[(str(o.uuid), org_label(o)) for o in organizations],
        ]

    @property
    def only_problems(self) -> bool:
        return self.values().get("problems") == "1"

    def filter(self, queryset):
        data = self.values()
        if q := data.get("q", "").strip():
            queryset = queryset.filter(Q(node__code__icontains=q) | Q(node__name__icontains=q)
                                       | Q(copies__name__icontains=q)).distinct()
        if (org := data.get("org")) == "shared":
            queryset = queryset.filter(node__organization__isnull=True)
        elif org:
            queryset = queryset.filter(node__organization__uuid=org)
        return queryset


# --- Copies ---------------------------------------------------------------------------------

_COPY_WIDGETS = {
    "repository": forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
}


class CopyForm(forms.Form):
    """Every field of a copy the services accept (``COPY_FIELDS``), with the supplier and the
    infrastructure offered from the asset's GHT."""

    model = BackupCopy

    def __init__(self, *args, user, asset: DataAsset, copy: BackupCopy | None = None, **kwargs):
        if copy is not None and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(copy, name) for name in COPY_FIELDS}
        super().__init__(*args, **kwargs)
        top_id = asset.node.top_id
        for name in COPY_FIELDS:
            if name == "infrastructure":
                field = forms.ModelChoiceField(
                    label=capfirst(BackupCopy._meta.get_field(name).verbose_name), required=False,
                    queryset=infrastructures_visible_to(user=user).filter(top_id=top_id)
                    .order_by("code"))
            elif name == "supplier":
                meta = BackupCopy._meta.get_field(name)
                field = forms.ModelChoiceField(
                    label=capfirst(meta.verbose_name), required=False, help_text=meta.help_text,
                    queryset=nodes_visible_to(user=user).filter(
                        top_id=top_id, node_type=NodeType.COMPONENT,
                        component_kind__in=(ComponentKind.SUPPLIER, ComponentKind.SAAS))
                    .order_by("code"))
                field.label_from_instance = lambda node: f"{node.code} – {node.name}"
            elif name == "declared_last_success":
                meta = BackupCopy._meta.get_field(name)
                field = _datetime_field(capfirst(meta.verbose_name), required=False,
                                        help_text=meta.help_text)
            else:
                field = model_field(BackupCopy, name)
                if name in _COPY_WIDGETS:
                    field.widget = _COPY_WIDGETS[name]
            self.fields[name] = field
        for required in ("name", "engine", "media"):
            self.fields[required].required = True
        self.fields["name"].label = _("Name")
        self.fields["name"].help_text = _("Unique for this data asset, e.g. “nas-nightly” or "
                                          "“tape-weekly”.")
        for defaulted in ("immutable_days", "collect_interval_hours", "verify_interval_hours",
                          "verify_slices"):
            self.fields[defaulted].required = False  # empty = the default
        self.fields["site"].widget.attrs["placeholder"] = asset.site

    def service_fields(self) -> dict:
        data = {name: self.cleaned_data.get(name) for name in COPY_FIELDS}
        for name in ("repository", "site", "name"):
            data[name] = (data[name] or "").strip()
        for name in ("immutable_days",):
            if data[name] is None:
                data[name] = 0
        for name, default in (("collect_interval_hours", 1), ("verify_interval_hours", 24),
                              ("verify_slices", 7)):
            if data[name] is None:
                data[name] = default
        return data


class CopySecretForm(forms.Form):
    password = forms.CharField(
        label=_("Repository password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=False),
        help_text=_("Stored encrypted; it is never shown again, here or anywhere else."))


# --- Verifications --------------------------------------------------------------------------


class VerificationForm(forms.Form):
    """A verification done outside pcra (a restore test, a vendor's integrity check)."""

    model = Verification

    performed_at = _datetime_field(_("Date"), required=True)
    kind = forms.ChoiceField(label=_("Type"), choices=VerificationKind.choices)
    result = forms.ChoiceField(label=_("Result"), choices=VerificationResult.choices)
    error_count = forms.IntegerField(label=_("Errors"), min_value=0, initial=0)
    duration_seconds = forms.FloatField(label=_("Duration (s)"), min_value=0, required=False)
    notes = forms.CharField(label=_("Comment"), required=False,
                            widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {
            "performed_at": timezone.localtime().replace(second=0, microsecond=0),
            "error_count": 0})
        super().__init__(*args, **kwargs)


# --- Infrastructures ------------------------------------------------------------------------


class InfrastructureForm(forms.Form):
    model = BackupInfrastructure

    def __init__(self, *args, user, infrastructure: BackupInfrastructure | None = None,
                 **kwargs):
        if infrastructure is not None and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(infrastructure, name)
                                 for name in INFRASTRUCTURE_FIELDS if name != "organization"}
            kwargs["initial"]["organization"] = owner_value(_OwnerOf(infrastructure))
        super().__init__(*args, **kwargs)
        choices, self.owners = owner_choices(
            user=user, node_type=NodeType.COMPONENT,
            top_id=infrastructure.top_id if infrastructure is not None else None,
            current_id=infrastructure.organization_id if infrastructure is not None else None)
        for name in INFRASTRUCTURE_FIELDS:
            if name == "organization":
                self.fields[name] = forms.ChoiceField(
                    label=_("Establishment"), choices=choices,
                    help_text=_("Where the infrastructure belongs; a shared one serves the "
                                "whole GHT."))
            else:
                self.fields[name] = model_field(BackupInfrastructure, name)
        self.fields["notes"].widget = forms.Textarea(attrs={"rows": 3})
        for required in ("code", "name"):
            self.fields[required].required = True

    def clean_organization(self):
        try:
            return self.owners[self.cleaned_data["organization"]]
        except KeyError:
            raise forms.ValidationError(_("Choose an establishment from the list.")) from None

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        owner = data.pop("organization")
        data["organization"] = owner.organization
        data["notes"] = data.get("notes") or ""
        return data

    @property
    def top(self) -> Organization:
        return self.cleaned_data["organization"].top


class _OwnerOf:
    """What ``owner_value`` reads of a node, for an infrastructure."""

    def __init__(self, infrastructure: BackupInfrastructure):
        self.organization_id = infrastructure.organization_id
        self.organization = infrastructure.organization
        self.top = infrastructure.top


# --- Alerts and tokens ----------------------------------------------------------------------

ALERT_STATES = [
    ("open", _("Open")),
    ("acknowledged", _("Acknowledged")),
    ("resolved", _("Resolved")),
    ("all", _("All")),
]


class AlertFilterForm(FilterForm):
    state = forms.ChoiceField(label=_("State"), required=False, choices=ALERT_STATES)
    q = forms.CharField(label=_("Search"), required=False,
                        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off",
                                                      "placeholder": _("Code or message")}))

    @property
    def chosen_state(self) -> str:
        return self.values().get("state") or "open"

    def filter(self, queryset):
        state = self.chosen_state
        if state == "open":
            queryset = queryset.filter(resolved_at__isnull=True)
        elif state == "acknowledged":
            queryset = queryset.filter(resolved_at__isnull=True, acknowledged_at__isnull=False)
        elif state == "resolved":
            queryset = queryset.filter(resolved_at__isnull=False)
        if q := self.values().get("q", "").strip():
            queryset = queryset.filter(Q(data_asset__node__code__icontains=q)
                                       | Q(message__icontains=q) | Q(copy__name__icontains=q))
        return queryset


class AlertResolveForm(forms.Form):
    resolution = forms.CharField(label=_("Resolution"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 3}),
                                 help_text=_("What was done. If the problem is still there, the "
                                             "next check opens a new alert."))


class OrganizationChoiceForm(forms.Form):
    """A form whose object (a token, an agent) belongs to one of the organizations the user
    administers; ``organization_help`` says what that organization gives it."""

    organization_help = ""
    organization = forms.ChoiceField(label=_("Organization"))

    def __init__(self, *args, organizations: list[Organization], **kwargs):
        super().__init__(*args, **kwargs)
        self.organizations = {str(o.uuid): o for o in organizations}
        self.fields["organization"].choices = [
            ("", "---------"), *[(str(o.uuid), org_label(o)) for o in organizations]]
        self.fields["organization"].help_text = self.organization_help

    def clean_organization(self) -> Organization:
        try:
            return self.organizations[self.cleaned_data["organization"]]
        except KeyError:
            raise forms.ValidationError(_("Choose an organization from the list.")) from None


class TokenForm(OrganizationChoiceForm):
    organization_help = _("The token reads the backups of this organization and of what is "
                          "below it.")
    name = forms.CharField(label=_("Name"), max_length=100,
                           help_text=_("What reads it, e.g. “prometheus-dsi”."))
