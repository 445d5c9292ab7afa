"""Forms of the recovery app: they check the shape of what is typed; the services check its
meaning (CONVENTIONS: forms check shape, services meaning)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pcra.backups.forms import org_label
from pcra.inventory.models import ComponentKind, Node, NodeType
from pcra.organizations.models import Organization
from pcra.recovery.models import RecoveryTeam, ScenarioKind
from pcra.recovery.scheduler.model import MAX_SEED
from pcra.recovery.services import MAX_TIME_LIMIT_SECONDS


class ScenarioForm(forms.Form):
    organization = forms.ChoiceField(label=_("Organization"),
                                     help_text=_("The GHT for a scenario of the whole GHT, or "
                                                 "an establishment."))
    code = forms.SlugField(label=_("Code"), max_length=64,
                           help_text=_("Short name used by the command line, e.g. "
                                       "“rancongiciel-ch-nord”."))
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=ScenarioKind.choices)
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    scope = forms.MultipleChoiceField(
        label=_("Establishments hit"), required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Ransomware: the establishments whose IS is encrypted; none = all of the "
                    "scenario's organization."))
    site = forms.ChoiceField(label=_("Site lost"), required=False)
    supplier = forms.ChoiceField(label=_("Supplier that fails"), required=False)
    nodes = forms.MultipleChoiceField(
        label=_("Nodes lost"), required=False,
        widget=forms.SelectMultiple(attrs={"size": 14, "data-filterable": "true",
                                           "data-filter-placeholder": _("Filter by code or name")}),
        help_text=_("Hand-picked: the applications and components that are lost, by "
                    "establishment (Ctrl or ⌘ + click to choose several; the filter keeps "
                    "what is chosen)."))

    def __init__(self, *args, top: Organization, organizations: list[Organization],
                 nodes: list[Node], establishments: list[Organization], **kwargs):
        super().__init__(*args, **kwargs)
        self.top = top
        self.organizations = {str(o.uuid): o for o in organizations}
        self.fields["organization"].choices = [(str(o.uuid), org_label(o))
                                               for o in organizations]
        self.establishments = {str(o.uuid): o for o in establishments}
        self.fields["scope"].choices = [(str(o.uuid), org_label(o)) for o in establishments]
        self.node_map = {str(n.uuid): n for n in nodes}
        sites = sorted({n.code for n in nodes if n.component_kind == ComponentKind.SITE}
                       | {n.site.strip() for n in nodes if n.site.strip()})
        self.fields["site"].choices = [("", "---------"), *[(s, s) for s in sites]]
        self.fields["supplier"].choices = [("", "---------"), *[
            (str(n.uuid), str(n)) for n in nodes if n.is_supplier]]
        # Grouped by establishment; the GHT's shared nodes (no establishment) first.
        by_organization: dict[str, list[tuple[str, str]]] = {}
        for n in sorted(nodes, key=lambda n: (n.organization is not None,
                                              n.organization.code if n.organization else "",
                                              n.code)):
            if n.node_type != NodeType.ACTIVITY:
                owner = n.organization or top
                by_organization.setdefault(org_label(owner), []).append(
                    (str(n.uuid), f"{n.code} – {n.name}"))
        self.fields["nodes"].choices = list(by_organization.items())

    def clean_organization(self) -> Organization:
        try:
            return self.organizations[self.cleaned_data["organization"]]
        except KeyError:
            raise forms.ValidationError(_("Choose an organization from the list.")) from None

    def clean_scope(self) -> list[Organization]:
        return [self.establishments[u] for u in self.cleaned_data["scope"]
                if u in self.establishments]

    def clean_supplier(self) -> Node | None:
        value = self.cleaned_data["supplier"]
        return self.node_map.get(value) if value else None

    def clean_nodes(self) -> list[Node]:
        return [self.node_map[u] for u in self.cleaned_data["nodes"] if u in self.node_map]

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        org = data.pop("organization")
        data["organization"] = None if org.pk == self.top.pk else org
        return data


class PlanForm(forms.Form):
    time_limit_seconds = forms.IntegerField(
        label=_("Time limit (s)"), min_value=1, max_value=MAX_TIME_LIMIT_SECONDS, initial=10,
        help_text=_("How long the solver may search; the best plan found is kept."))
    seed = forms.IntegerField(label=_("Seed"), min_value=0, max_value=MAX_SEED, initial=0,
                              help_text=_("The same seed gives the same plan."))
    team_capacity = forms.IntegerField(
        label=_("Restores at once per team"), min_value=1, max_value=100, required=False,
        help_text=_("Empty = each team's declared capacity; try other values to see what one "
                    "more person changes."))


class TeamForm(forms.ModelForm):
    class Meta:
        model = RecoveryTeam
        fields = ["name", "capacity", "description"]
