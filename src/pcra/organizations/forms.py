"""Forms of the organization pages (shape only; ``organization_validate`` checks meaning)."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pcra.accounts.access import access_for
from pcra.accounts.models import Role
from pcra.core.crud import FilterForm
from pcra.inventory.forms import model_field
from pcra.organizations.models import Organization, OrganizationKind


def admin_parent_queryset(user, *, current: Organization | None = None):
    """GHT and EJ on which the user is an administrator (possible parents).

    When editing, the current parent stays a choice even if the user cannot see it (the
    administrator of an establishment keeps its EJ without seeing the EJ's other data).
    """
    access = access_for(user)
    admin_ids = {org for org, role in access.roles.items() if role == Role.ADMIN}
    allowed = Q(id__in=admin_ids)
    if current is not None and current.parent_id:
        allowed |= Q(id=current.parent_id)
    qs = Organization.objects.filter(allowed, kind__in=[OrganizationKind.GHT,
                                                        OrganizationKind.EJ])
    if current is not None:
        qs = qs.exclude(id=current.id)
    return qs.order_by("code")


class ParentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organization) -> str:
        return f"{obj.code} – {obj.name} ({obj.get_kind_display()})"


class OrganizationForm(forms.Form):
    model = Organization

    def __init__(self, *args, user, organization: Organization | None = None, **kwargs):
        if organization is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "code": organization.code, "name": organization.name,
                "kind": organization.kind, "parent": organization.parent,
                "finess": organization.finess,
                "activity_weight": organization.activity_weight,
            }
        super().__init__(*args, **kwargs)
        access = access_for(user)
        self.fields["code"] = model_field(Organization, "code")
        self.fields["name"] = model_field(Organization, "name")
        self.fields["kind"] = model_field(Organization, "kind")
        self.fields["parent"] = ParentChoiceField(
            label=_("Parent"), queryset=admin_parent_queryset(user, current=organization),
            to_field_name="uuid",
            help_text=_("A legal entity (EJ) belongs to a GHT or to none; an establishment "
                        "(ET) belongs to an EJ."))
        # Only a superuser creates a top organization; an existing top stays one.
        self.fields["parent"].required = not access.is_superuser and not (
            organization is not None and organization.parent_id is None)
        self.fields["finess"] = model_field(Organization, "finess", max_length=20)
        self.fields["finess"].widget.attrs["inputmode"] = "numeric"
        self.fields["activity_weight"] = model_field(Organization, "activity_weight")
        self.fields["activity_weight"].required = False

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["finess"] = data.get("finess") or ""
        if data.get("activity_weight") is None:
            data["activity_weight"] = 0
        return data


class OrganizationFilterForm(FilterForm):
    q = forms.CharField(label=_("Search"), required=False,
                        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off",
                                                      "placeholder": _("Code, name or FINESS")}))
    kind = forms.ChoiceField(label=_("Type"), required=False,
                             choices=[("", _("All")), *OrganizationKind.choices])

    def filter(self, queryset):
        data = self.values()
        if q := (data.get("q") or "").strip():
            queryset = queryset.filter(Q(code__icontains=q) | Q(name__icontains=q)
                                       | Q(finess__icontains=q))
        if kind := data.get("kind"):
            queryset = queryset.filter(kind=kind)
        return queryset
