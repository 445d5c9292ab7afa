"""Forms of the membership pages (shape only; the services check meaning)."""

from __future__ import annotations

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from pcra.accounts.models import Role, User


def role_field(**kwargs) -> forms.ChoiceField:
    # The least powerful role is offered first: a stronger one is a deliberate choice.
    return forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.VIEWER,
                             help_text=_("A role on a GHT or a legal entity also covers the "
                                         "organizations below it."), **kwargs)


class ExistingMemberForm(forms.Form):
    """Give a role to a user who already has an account."""

    user = forms.ModelChoiceField(
        label=capfirst(User._meta.get_field("username").verbose_name),
        queryset=User.objects.filter(is_active=True), to_field_name="username",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none",
                                      "spellcheck": "false"}),
        error_messages={"invalid_choice": _("No active account has this username.")},
        help_text=_("The username of an existing account, as the person logs in with it."))
    role = role_field()


class NewUserForm(forms.Form):
    """Create an account (its one-time password is shown once) and give it a role."""

    username = User._meta.get_field("username").formfield()
    first_name = User._meta.get_field("first_name").formfield()
    last_name = User._meta.get_field("last_name").formfield()
    email = User._meta.get_field("email").formfield()
    role = role_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"})
        self.fields["email"].widget.attrs["autocomplete"] = "off"


class MembershipRoleForm(forms.Form):
    role = role_field()
