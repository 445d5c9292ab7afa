"""Forms of the BIA pages. They check shape only (a level is a digit 0–4, a date is a date);
the services check meaning (a locked BIA, a declared DMIA without justification…)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pcra.core.crud import FilterForm
from pcra.impact import defaults
from pcra.impact.models import BiaCampaign, BiaStatus
from pcra.impact.selectors import MISSING, ScaleData
from pcra.inventory.forms import model_field
from pcra.inventory.models import ActivityKind, Node
from pcra.organizations.models import Organization

LEVEL_CHOICES = "01234"


def cell_name(criterion_id: int, horizon_id: int) -> str:
    """The name of a cell of the grid in forms (ids, not codes: codes may hold hyphens)."""
    return f"lvl-{criterion_id}-{horizon_id}"


def org_label(org: Organization) -> str:
    return f"{org.code} – {org.name}"


# --- The grid ------------------------------------------------------------------------------


class LevelField(forms.Field):
    """One cell: empty (not assessed) or a whole number from 0 to 4."""

    def __init__(self, *, cell_label: str, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.cell_label = cell_label

    def to_python(self, value: Any) -> int | None:
        text = "" if value is None else str(value).strip()
        if text == "":
            return None
        if len(text) != 1 or text not in LEVEL_CHOICES:
            raise forms.ValidationError(
                _("%(cell)s: “%(value)s” is not a level. Enter a whole number from 0 to 4, "
                  "or leave the cell empty."),
                code="level", params={"cell": self.cell_label, "value": text[:20]})
        return int(text)


class BiaGridForm(forms.Form):
    """The impact levels of a draft BIA (and its notes). Only the cells present in the data
    are changed: a plain submit sends the whole grid, an HTMX save may send part of it."""

    notes = forms.CharField(label=_("Notes"), required=False,
                            widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, scale: ScaleData, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scale = scale
        self.cells: dict[str, tuple[str, str]] = {}
        for criterion in scale.criteria:
            for horizon in scale.horizons:
                name = cell_name(criterion.id, horizon.id)
                self.fields[name] = LevelField(
                    label=f"{criterion.label} – {horizon.label}",
                    cell_label=f"{criterion.label}, {horizon.label}")
                self.cells[name] = (criterion.code, horizon.code)

    def levels(self) -> dict[tuple[str, str], int | None]:
        """{(criterion code, horizon code): level or None} of the cells that were sent."""
        return {self.cells[name]: self.cleaned_data[name]
                for name in self.cells if name in self.data}

    @property
    def has_notes(self) -> bool:
        return "notes" in self.data

    def cell_errors(self) -> list[str]:
        return [str(message) for name in self.cells
                for message in self.errors.get(name, [])]

    def raw(self) -> dict[str, str]:
        """The values as sent (shown again in the grid when they are refused)."""
        return {name: str(self.data.get(name, "")) for name in self.cells if name in self.data}


# --- PDMA and declared DMIA ------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """24.00 → 24, 0.50 → 0.5 (shown in the form without useless zeros)."""
    if isinstance(value, Decimal):
        return value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()
    return value



class ObjectivesForm(forms.Form):
    """The activity's PDMA and declared DMIA (saved through ``node_update``, so that the lock
    of a submitted or signed-off BIA applies)."""

    model = Node
    FIELDS = ("pdma_hours", "declared_dmia_hours", "declared_dmia_reason")

    def __init__(self, *args: Any, activity: Node, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {name: _plain(getattr(activity, name))
                                      for name in self.FIELDS})
        super().__init__(*args, **kwargs)
        for name in self.FIELDS:
            self.fields[name] = model_field(Node, name)
        self.fields["declared_dmia_reason"].required = False

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["declared_dmia_reason"] = (data.get("declared_dmia_reason") or "").strip()
        return data


# --- Filters of the list ---------------------------------------------------------------------

STATUS_CHOICES = [("", _("All")), (MISSING, _("No BIA")), *BiaStatus.choices]


class BiaFilterForm(FilterForm):
    q = forms.CharField(label=_("Search"), required=False,
                        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off",
                                                      "placeholder": _("Code or name")}))
    org = forms.ChoiceField(label=_("Establishment"), required=False)
    status = forms.ChoiceField(label=_("BIA status"), required=False, choices=STATUS_CHOICES)
    activity_kind = forms.ChoiceField(label=_("Nature"), required=False,
                                      choices=[("", _("All")), *ActivityKind.choices])

    def __init__(self, *args: Any, organizations: list[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organizations = {str(o.uuid): o for o in organizations}
        self.fields["org"].choices = [("", _("All")),
                                      *[(str(o.uuid), org_label(o)) for o in organizations]]

    def organization_ids(self) -> set[int] | None:
        """The chosen organization and the ones below it (None: no choice)."""
        org = self.organizations.get(self.values().get("org", ""))
        if org is None:
            return None
        ids = {org.id}
        for other in self.organizations.values():
            if other.parent_id in ids or (other.parent is not None
                                          and other.parent.parent_id in ids):
                ids.add(other.id)
        return ids

    def filter(self, rows: list) -> list:
        data = self.values()
        if q := data.get("q", "").strip().lower():
            rows = [r for r in rows
                    if q in r.activity.code.lower() or q in r.activity.name.lower()]
        if status := data.get("status"):
            rows = [r for r in rows if r.status == status]
        if kind := data.get("activity_kind"):
            rows = [r for r in rows if r.activity.activity_kind == kind]
        return rows


# --- Campaigns --------------------------------------------------------------------------------


class CampaignForm(forms.Form):
    model = BiaCampaign

    organization = forms.ChoiceField(
        label=_("Organization"),
        help_text=_("The campaign covers every activity of this organization and of the "
                    "organizations below it."))
    name = forms.CharField(label=_("Name"), max_length=200)
    starts_on = forms.DateField(label=_("Start"),
                                widget=forms.DateInput(attrs={"type": "date"},
                                                       format="%Y-%m-%d"))
    due_on = forms.DateField(label=_("Due date"),
                             widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args: Any, organizations: list[Organization],
                 campaign: BiaCampaign | None = None, **kwargs: Any) -> None:
        if campaign is not None:
            kwargs.setdefault("initial", {
                "organization": str(campaign.organization.uuid), "name": campaign.name,
                "starts_on": campaign.starts_on, "due_on": campaign.due_on})
        super().__init__(*args, **kwargs)
        self.organizations = {str(o.uuid): o for o in organizations}
        self.fields["organization"].choices = [
            ("", "---------"), *[(key, org_label(o)) for key, o in self.organizations.items()]]
        for name in ("starts_on", "due_on"):
            self.fields[name].input_formats = ["%Y-%m-%d", "%d/%m/%Y"]

    def clean_organization(self) -> Organization:
        try:
            return self.organizations[self.cleaned_data["organization"]]
        except KeyError:
            raise forms.ValidationError(
                _("Choose an organization you administer from the list.")) from None


# --- Scale ------------------------------------------------------------------------------------


class ScaleForm(forms.Form):
    """Threshold, criticality classes and what each level means per criterion."""

    threshold = forms.TypedChoiceField(
        label=_("Threshold level"), coerce=int,
        choices=[(n, f"{n} – {label}") for n, label in defaults.LEVELS if n >= 1],
        help_text=_("The DMIA is the earliest horizon at which a criterion reaches this "
                    "level."))
    EXTRA_CLASSES = 1

    def __init__(self, *args: Any, scale: ScaleData, **kwargs: Any) -> None:
        initial = {"threshold": scale.threshold}
        for index, (bound, name) in enumerate(scale.classes):
            initial[f"class-{index}-bound"] = bound
            initial[f"class-{index}-name"] = name
        for criterion in scale.criteria:
            initial[f"crit-{criterion.id}-label"] = criterion.label
            for level, text in enumerate(criterion.descriptions):
                initial[f"crit-{criterion.id}-{level}"] = text
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.scale = scale
        self.class_rows = []
        for index in range(len(scale.classes) + self.EXTRA_CLASSES):
            bound = forms.DecimalField(label=_("Up to (hours)"), required=False, min_value=0,
                                       max_digits=10, decimal_places=2, localize=True,
                                       widget=forms.TextInput(attrs={"inputmode": "decimal"}))
            name = forms.CharField(label=_("Class"), required=False, max_length=40)
            self.fields[f"class-{index}-bound"] = bound
            self.fields[f"class-{index}-name"] = name
            self.class_rows.append((f"class-{index}-bound", f"class-{index}-name"))
        self.criterion_rows = []
        for criterion in scale.criteria:
            label = f"crit-{criterion.id}-label"
            self.fields[label] = forms.CharField(label=_("Label"), max_length=100)
            names = []
            for level, level_label in defaults.LEVELS:
                name = f"crit-{criterion.id}-{level}"
                self.fields[name] = forms.CharField(
                    label=f"{level} – {level_label}", required=False, max_length=500,
                    widget=forms.Textarea(attrs={"rows": 3}))
                names.append(name)
            self.criterion_rows.append((criterion, label, names))

    def bound_class_rows(self) -> list:
        return [(self[bound], self[name]) for bound, name in self.class_rows]

    def bound_criterion_rows(self) -> list:
        return [(criterion, self[label], [self[n] for n in names])
                for criterion, label, names in self.criterion_rows]

    def classes(self) -> list:
        """[[bound or None, name], …] of the filled rows, in order."""
        out = []
        for bound, name in self.class_rows:
            text = (self.cleaned_data.get(name) or "").strip()
            if text:
                value = self.cleaned_data.get(bound)
                out.append([value, text])
        return out

    def criteria(self) -> dict[int, tuple[str, list[str]]]:
        """{criterion id: (label, [five descriptions])}."""
        return {criterion.id: (self.cleaned_data[label].strip(),
                               [(self.cleaned_data[n] or "").strip() for n in names])
                for criterion, label, names in self.criterion_rows}

