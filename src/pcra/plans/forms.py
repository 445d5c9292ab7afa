"""Forms of the plans app: they check the shape of what is typed; the services check its
meaning (CONVENTIONS)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pcra.backups.forms import org_label
from pcra.inventory.models import Node
from pcra.organizations.models import Organization
from pcra.plans.models import Contact, PlanScenario, StepPhase

TEXTAREA = {"rows": 3}


class PlanForm(forms.Form):
    organization = forms.ChoiceField(
        label=_("Organization"),
        help_text=_("Who owns the plan: an establishment, its legal entity, or the GHT."))
    code = forms.SlugField(label=_("Code"), max_length=64,
                           help_text=_("Short name of the plan, kept across its versions, e.g. "
                                       "“pcra-urgences”."))
    title = forms.CharField(label=_("Title"), max_length=200)
    activities = forms.MultipleChoiceField(
        label=_("Activities"), widget=forms.SelectMultiple(attrs={
            "size": 8, "data-filterable": "true",
            "data-filter-placeholder": _("Filter by code or name")}),
        help_text=_("The activities this plan keeps going (Ctrl or ⌘ + click to choose "
                    "several)."))
    establishments = forms.MultipleChoiceField(
        label=_("Establishments where it applies"), required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Several establishments sharing an IS may share one plan when the degraded "
                    "modes apply alike; none = the establishments of its activities."))
    scenarios = forms.MultipleChoiceField(
        label=_("Scenarios covered"), choices=PlanScenario.choices,
        widget=forms.CheckboxSelectMultiple, initial=[PlanScenario.IS_DOWN],
        help_text=_("“Information system unavailable” is mandatory (CaRE D2)."))
    manager = forms.CharField(label=_("Plan manager"), max_length=200, required=False)
    trigger_criteria = forms.CharField(
        label=_("Triggering criteria"), required=False,
        widget=forms.Textarea(attrs=TEXTAREA),
        help_text=_("When the degraded mode starts: which signs, after how long."))
    trigger_authority = forms.CharField(
        label=_("Who triggers and decides"), required=False,
        widget=forms.Textarea(attrs=TEXTAREA),
        help_text=_("Who may trigger the degraded mode, who decides the return to normal, and "
                    "who replaces them."))
    resources = forms.CharField(
        label=_("Resources to have ready"), required=False,
        widget=forms.Textarea(attrs=TEXTAREA),
        help_text=_("Paper forms, printed patient lists, stand-alone phones, where they are "
                    "kept and who checks them."))
    communication = forms.CharField(
        label=_("Communication"), required=False, widget=forms.Textarea(attrs=TEXTAREA),
        help_text=_("Who informs whom (teams, patients, partners, ARS), by which channel."))
    return_to_normal = forms.CharField(
        label=_("Return to normal"), required=False, widget=forms.Textarea(attrs=TEXTAREA),
        help_text=_("How the service goes back to the IS: re-entering what was written on "
                    "paper, checks, who closes the degraded mode."))
    contacts = forms.MultipleChoiceField(
        label=_("Contacts"), required=False, widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("People of the crisis directory to call for this plan."))
    review_due = forms.DateField(label=_("Next review"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"},
                                                        format="%Y-%m-%d"))
    change_summary = forms.CharField(label=_("Changes in this version"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, organizations: list[Organization], activities: list[Node],
                 establishments: list[Organization], contacts: list[Contact],
                 editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization_map = {str(o.uuid): o for o in organizations}
        self.fields["organization"].choices = [(k, org_label(o))
                                               for k, o in self.organization_map.items()]
        self.activity_map = {str(a.uuid): a for a in activities}
        self.fields["activities"].choices = [
            (k, f"{a.code} – {a.name}") for k, a in self.activity_map.items()]
        self.establishment_map = {str(o.uuid): o for o in establishments}
        self.fields["establishments"].choices = [
            (k, org_label(o)) for k, o in self.establishment_map.items()]
        self.contact_map = {str(c.uuid): c for c in contacts}
        self.fields["contacts"].choices = [
            (k, f"{c.name}{' – ' + c.function if c.function else ''}")
            for k, c in self.contact_map.items()]
        if editing:  # the code and the owner are kept across versions
            del self.fields["organization"]
            del self.fields["code"]

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        if "organization" in data:
            data["organization"] = self.organization_map[data["organization"]]
        data["activities"] = [self.activity_map[k] for k in data["activities"]]
        data["establishments"] = [self.establishment_map[k] for k in data["establishments"]]
        data["contacts"] = [self.contact_map[k] for k in data["contacts"]]
        return data


class StepForm(forms.Form):
    phase = forms.ChoiceField(label=_("Phase"), choices=StepPhase.choices)
    when = forms.CharField(label=_("When"), max_length=200, required=False)
    who = forms.CharField(label=_("Who"), max_length=200, required=False)
    action = forms.CharField(label=_("Does what"), required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))
    where = forms.CharField(label=_("Where"), max_length=200, required=False)
    how = forms.CharField(label=_("How"), required=False,
                          widget=forms.Textarea(attrs={"rows": 2}))


StepFormSet = forms.formset_factory(StepForm, extra=3, can_delete=True, can_order=True)


class ReflexSheetForm(forms.Form):
    organization = forms.ChoiceField(label=_("Organization"),
                                     help_text=_("The GHT, or one of its establishments."))
    code = forms.SlugField(label=_("Code"), max_length=64)
    title = forms.CharField(label=_("Title"), max_length=200)
    situation = forms.CharField(label=_("When to use it"), required=False,
                                widget=forms.Textarea(attrs=TEXTAREA))
    position = forms.IntegerField(label=_("Order"), min_value=0, max_value=32767, initial=0)

    def __init__(self, *args, organizations: list[Organization], **kwargs):
        super().__init__(*args, **kwargs)
        self.organization_map = {str(o.uuid): o for o in organizations}
        self.fields["organization"].choices = [(k, org_label(o))
                                               for k, o in self.organization_map.items()]

    def values(self, top: Organization) -> dict:
        data = dict(self.cleaned_data)
        org = self.organization_map[data["organization"]]
        data["organization"] = None if org.pk == top.pk else org
        return data


class ReflexStepForm(forms.Form):
    when = forms.CharField(label=_("When"), max_length=100, required=False)
    who = forms.CharField(label=_("Who"), max_length=200, required=False)
    action = forms.CharField(label=_("Does what"), required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))


ReflexStepFormSet = forms.formset_factory(ReflexStepForm, extra=3, can_delete=True,
                                          can_order=True)


class ContactForm(forms.Form):
    organization = forms.ChoiceField(label=_("Organization"))
    name = forms.CharField(label=_("Name"), max_length=200)
    function = forms.CharField(label=_("Function"), max_length=200, required=False)
    crisis_role = forms.CharField(
        label=_("Role in the crisis cell"), max_length=100, required=False,
        help_text=_("E.g. crisis director, coordinator, log keeper, communication; empty = "
                    "not a member of the crisis cell."))
    phone = forms.CharField(label=_("Work phone"), max_length=40, required=False)
    mobile = forms.CharField(label=_("Mobile"), max_length=40, required=False)
    backup_phone = forms.CharField(
        label=_("Out-of-band phone"), max_length=40, required=False,
        help_text=_("A number that works when the hospital's IS and phones are down: personal "
                    "mobile, analogue line, satellite phone."))
    email = forms.EmailField(label=_("E-mail"), required=False)
    backup_email = forms.EmailField(label=_("Out-of-band e-mail"), required=False,
                                    help_text=_("An address outside the hospital's mail "
                                                "system."))
    alerted_by = forms.ChoiceField(label=_("Alerted by"), required=False,
                                   help_text=_("Who calls this person in the contact tree; "
                                               "empty = alerted first."))
    position = forms.IntegerField(label=_("Order"), min_value=0, max_value=32767, initial=0)
    notes = forms.CharField(label=_("Notes"), required=False,
                            widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, organizations: list[Organization], contacts: list[Contact],
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.organization_map = {str(o.uuid): o for o in organizations}
        self.fields["organization"].choices = [(k, org_label(o))
                                               for k, o in self.organization_map.items()]
        self.contact_map = {str(c.uuid): c for c in contacts}
        self.fields["alerted_by"].choices = [("", "---------")] + [
            (k, f"{c.name}{' – ' + c.crisis_role if c.crisis_role else ''}")
            for k, c in self.contact_map.items()]

    def values(self, top: Organization) -> dict:
        data = dict(self.cleaned_data)
        org = self.organization_map[data["organization"]]
        data["organization"] = None if org.pk == top.pk else org
        data["alerted_by"] = self.contact_map.get(data["alerted_by"] or "")
        return data


def formset_rows(formset, fields: tuple[str, ...]) -> list[dict]:
    """The rows of a valid step formset, in the order given (blank and deleted rows left
    out)."""
    rows = []
    for index, form in enumerate(formset.forms):
        data = form.cleaned_data
        if not data or data.get("DELETE"):
            continue
        row = {name: data.get(name) or "" for name in fields}
        if not any(row[name] for name in fields if name != "phase"):
            continue
        order = data.get("ORDER")
        rows.append((order if order is not None else 10_000 + index, index, row))
    return [row for _order, _index, row in sorted(rows, key=lambda r: (r[0], r[1]))]
