"""Forms of the restore-test pages. They check shape; the meaning rules come from the services
(``services.definition_rules``, per field, the same rules the services enforce on save)."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from pcra.accounts.access import access_for
from pcra.accounts.models import User
from pcra.backups.forms import OrganizationChoiceForm, org_label
from pcra.backups.models import BackupCopy
from pcra.core.crud import FilterForm
from pcra.inventory.forms import model_field
from pcra.restoretests import services
from pcra.restoretests.models import (
    Agent,
    Decision,
    Level,
    RestoreTestDefinition,
    RunState,
    Scope,
)


def user_label(user: User) -> str:
    full = user.get_full_name()
    return f"{full} ({user.username})" if full else user.username


# --- Definitions ------------------------------------------------------------------------------


def agents_for(copy: BackupCopy, *, current: Agent | None = None) -> list[Agent]:
    """The active agents that may run tests of ``copy`` (and the current one, even revoked,
    so that the form shows it with its error instead of silently dropping it)."""
    top_id = copy.data_asset.node.top_id
    candidates = (Agent.objects.select_related("organization")
                  .filter(Q(organization_id=top_id) | Q(organization__root_id=top_id))
                  .filter(revoked_at__isnull=True).order_by("name"))
    agents = [a for a in candidates if services.agent_serves(a, copy)]
    if current is not None and current not in agents:
        agents.insert(0, current)
    return agents


def referents_for(copy: BackupCopy, *, user, current: User | None = None) -> list[User]:
    """The users who may read the copy's establishment: members of its establishment or of an
    organization above it; for data shared across the GHT, members of the organizations the
    person filling the form sees (the other establishments' staff stay out of the list)."""
    node = copy.data_asset.node
    if node.organization_id is not None:
        org = node.organization
        org_ids = {org.pk, org.parent_id, org.root_id} - {None}
    else:
        org_ids = set(access_for(user).organization_ids) | {node.top_id}
    users = (User.objects.filter(is_active=True, memberships__organization_id__in=org_ids)
             .distinct().order_by("last_name", "first_name", "username"))
    found = [u for u in users
             if access_for(u).can_read(node.organization_id, top_id=node.top_id)]
    if current is not None and current not in found:
        found.insert(0, current)
    return found


class DefinitionForm(forms.Form):
    """Every field the services accept (``DEFINITION_FIELDS``); ``clean`` applies
    ``definition_rules`` so that each meaning error shows next to its field."""

    model = RestoreTestDefinition

    def __init__(self, *args, user, copy: BackupCopy,
                 definition: RestoreTestDefinition | None = None, **kwargs):
        if definition is not None and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(definition, name)
                                 for name in services.DEFINITION_FIELDS}
        super().__init__(*args, **kwargs)
        self.copy = copy
        self.definition = definition
        meta = RestoreTestDefinition._meta
        for name in services.DEFINITION_FIELDS:
            if name == "agent":
                agents = agents_for(copy, current=definition.agent if definition else None)
                field = forms.ModelChoiceField(
                    label=capfirst(meta.get_field(name).verbose_name), required=False,
                    queryset=Agent.objects.filter(pk__in=[a.pk for a in agents]),
                    empty_label=_("The pcra worker"), help_text=meta.get_field(name).help_text)
                field.label_from_instance = lambda a: (
                    f"{a.name} · {a.organization.code}"
                    + (f" ({a.description})" if a.description else ""))
            elif name == "referent":
                users = referents_for(copy, user=user,
                                      current=definition.referent if definition else None)
                field = forms.ModelChoiceField(
                    label=capfirst(meta.get_field(name).verbose_name), required=False,
                    queryset=User.objects.filter(pk__in=[u.pk for u in users])
                    .order_by("last_name", "first_name", "username"),
                    help_text=_("The person of the care service or business process who checks "
                                "that the restored application works. Users with access to "
                                "this establishment in pcra."))
                field.label_from_instance = user_label
            elif name == "level":
                field = forms.TypedChoiceField(label=_("Level"), choices=Level.choices,
                                               coerce=int, initial=Level.RESTORE,
                                               widget=forms.RadioSelect)
            elif name == "scope":
                field = forms.ChoiceField(label=_("Scope"), choices=Scope.choices,
                                          initial=Scope.FULL, widget=forms.RadioSelect)
            else:
                field = model_field(RestoreTestDefinition, name)
            self.fields[name] = field
        self.fields["name"].required = True
        self.fields["name"].label = _("Name")
        self.fields["name"].help_text = _("Unique for this copy, e.g. “monthly full restore”.")
        for name in ("probe_timeout_seconds", "timeout_seconds"):
            self.fields[name].required = False  # empty = the default
        self.fields["sample_files"].widget.attrs["min"] = 1
        self.fields["probe_command"].widget = forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "class": "mono"})
        self.fields["probe_expect"].widget.attrs.update({"spellcheck": "false",
                                                          "class": "mono"})
        self.fields["snapshot"].widget.attrs.update({"spellcheck": "false",
                                                      "placeholder": _("the newest")})
        if definition is None:
            self.fields["enabled"].initial = True

    def service_fields(self) -> dict:
        data = {name: self.cleaned_data.get(name) for name in services.DEFINITION_FIELDS}
        for name in ("name", "snapshot", "probe_command", "probe_expect"):
            data[name] = (data[name] or "").strip()
        for name, default in (("probe_timeout_seconds", 300), ("timeout_seconds", 4 * 3600)):
            if data[name] is None:
                data[name] = default
        return data

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        data = self.service_fields()
        probe = RestoreTestDefinition(copy=self.copy, **data)
        for field, messages in services.definition_rules(probe).items():
            for message in messages:
                self.add_error(None if field == "__all__" else field, message)
        others = self.copy.restore_tests.filter(name=data["name"])
        if self.definition is not None:
            others = others.exclude(pk=self.definition.pk)
        if data["name"] and others.exists():
            self.add_error("name", _("This copy already has a restore test with this name."))
        return cleaned


# --- Runs -------------------------------------------------------------------------------------


class RunForm(forms.Form):
    """An ad-hoc test of a copy: its level, and for a probe its command."""

    level = forms.TypedChoiceField(label=_("Level"), choices=Level.choices, coerce=int,
                                   initial=Level.RESTORE, widget=forms.RadioSelect)
    snapshot = model_field(RestoreTestDefinition, "snapshot")
    probe_command = model_field(RestoreTestDefinition, "probe_command")
    probe_expect = model_field(RestoreTestDefinition, "probe_expect")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["snapshot"].widget.attrs.update({"spellcheck": "false",
                                                      "placeholder": _("the newest")})
        self.fields["probe_command"].widget = forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "class": "mono"})
        self.fields["probe_expect"].widget.attrs.update({"spellcheck": "false",
                                                          "class": "mono"})

    def overrides(self) -> dict:
        return {name: (self.cleaned_data.get(name) or "").strip()
                for name in ("snapshot", "probe_command", "probe_expect")}


class SignoffForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=Decision.choices,
                                 widget=forms.RadioSelect)
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was checked in the restored application; required for a refusal: "
                    "what does not work."))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == Decision.REFUSED and not (cleaned.get("comment")
                                                                or "").strip():
            self.add_error("comment", _("Say what does not work."))
        return cleaned


class RunFilterForm(FilterForm):
    q = forms.CharField(label=_("Search"), required=False,
                        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off",
                                                      "placeholder": _("Code, name or copy")}))
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All")), *RunState.choices])
    org = forms.ChoiceField(label=_("Establishment"), required=False)
    asset = forms.ChoiceField(label=_("Application or component"), required=False)

    def __init__(self, *args, organizations, assets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].choices = [
            ("", _("All")), ("shared", _("Shared across the GHT")),
            *[(str(o.uuid), org_label(o)) for o in organizations]]
        self.fields["asset"].choices = [
            ("", _("All")), *[(str(a.uuid), f"{a.node.code} – {a.node.name}") for a in assets]]

    def filter_definitions(self, queryset):
        """Runs and definitions alike (both hang on a copy): search, establishment, asset."""
        data = self.values()
        if q := data.get("q", "").strip():
            queryset = queryset.filter(Q(copy__data_asset__node__code__icontains=q)
                                       | Q(copy__data_asset__node__name__icontains=q)
                                       | Q(copy__name__icontains=q))
        if (org := data.get("org")) == "shared":
            queryset = queryset.filter(copy__data_asset__node__organization__isnull=True)
        elif org:
            queryset = queryset.filter(copy__data_asset__node__organization__uuid=org)
        if asset := data.get("asset"):
            queryset = queryset.filter(copy__data_asset__uuid=asset)
        return queryset

    def filter_runs(self, queryset):
        queryset = self.filter_definitions(queryset)
        if status := self.values().get("status"):
            queryset = queryset.filter(status=status)
        return queryset


# --- Agents -----------------------------------------------------------------------------------


class AgentForm(OrganizationChoiceForm):
    organization_help = _("The agent runs the restore tests of this organization and of what "
                          "is below it.")
    name = forms.CharField(label=_("Name"), max_length=100,
                           help_text=_("How it is known, e.g. “agent-zone-sauvegarde-nord”."))
    description = forms.CharField(label=_("Location"), max_length=200, required=False,
                                  help_text=_("Where it runs (backup zone, site)."))
