"""Account pages: log in (applying the user's preferred language), profile, password; and the
members of an organization, managed by its administrators (or those of an organization above
it): add an existing account or a new one, change a member's role, remove a membership.

Membership pages answer 404 to whoever cannot see the organization and 403 to whoever sees it
without the administrator role on it.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from pcra.accounts import services
from pcra.accounts.access import access_for, reset_access
from pcra.accounts.forms import ExistingMemberForm, MembershipRoleForm, NewUserForm
from pcra.accounts.models import Membership, Role, User
from pcra.accounts.selectors import memberships_managed_by
from pcra.accounts.services import user_set_language
from pcra.core.crud import apply_errors
from pcra.organizations.models import Organization
from pcra.organizations.selectors import organizations_visible_to


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=gettext_lazy("Language of the interface"),
                                 choices=settings.LANGUAGES)


def _remember_language(response: HttpResponse, language: str) -> HttpResponse:
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language,
                        max_age=settings.LANGUAGE_COOKIE_AGE, path=settings.LANGUAGE_COOKIE_PATH,
                        samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
    return response


class LoginView(auth_views.LoginView):
    """Django's login, then the interface switches to the user's preferred language."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        language = form.get_user().language
        if language:
            translation.activate(language)
            _remember_language(response, language)
        return response


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = LanguageForm(request.POST or None,
                        initial={"language": user.language or translation.get_language()})
    if request.method == "POST" and form.is_valid():
        language = form.cleaned_data["language"]
        user_set_language(user=user, language=language)
        translation.activate(language)
        messages.success(request, _("Your preferred language is saved."))
        return _remember_language(redirect("accounts:profile"), language)
    memberships = user.memberships.select_related("organization").order_by("organization__code")
    return render(request, "accounts/profile.html",
                  {"memberships": memberships, "language_form": form})


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):
        messages.success(self.request, _("Your password has been changed."))
        return super().form_valid(form)


# --- Members of an organization -------------------------------------------------------------

def _administered(request: HttpRequest, uuid) -> Organization:
    """The organization, if the user administers it (404 when unseen, 403 when not admin)."""
    org = get_object_or_404(organizations_visible_to(user=request.user), uuid=uuid)
    if access_for(request.user).role_on(org.pk) != Role.ADMIN:
        raise PermissionDenied
    return org


def _membership(request: HttpRequest, org: Organization, username: str) -> Membership:
    return get_object_or_404(memberships_managed_by(user=request.user), organization=org,
                             user__username=username)


def _is_self(request: HttpRequest, membership: Membership) -> bool:
    """The membership is the user's own (a superuser's rights do not depend on it)."""
    return membership.user_id == request.user.pk and not request.user.is_superuser


def _members_url(org: Organization) -> str:
    return reverse("organizations:detail", kwargs={"uuid": org.uuid}) + "#members"


def _after_change(request: HttpRequest, org: Organization) -> HttpResponse:
    """Back to the members, or to the list when the user no longer sees the organization
    (they removed their own role)."""
    reset_access(request.user)
    if access_for(request.user).can_read(org.pk):
        return redirect(_members_url(org))
    return redirect("organizations:list")


@login_required
@require_http_methods(["GET", "POST"])
def membership_add(request: HttpRequest, uuid) -> HttpResponse:
    org = _administered(request, uuid)
    which = request.POST.get("form") if request.method == "POST" else None
    existing = ExistingMemberForm(request.POST if which == "existing" else None,
                                  prefix="existing")
    new = NewUserForm(request.POST if which == "new" else None, prefix="new")
    if which == "existing" and existing.is_valid():
        try:
            membership = services.membership_add(organization=org, **existing.cleaned_data)
        except ValidationError as exc:
            apply_errors(existing, exc)
        else:
            messages.success(request, _("Role of %(user)s on %(org)s: %(role)s.") % {
                "user": membership.user.get_username(),
                "role": membership.get_role_display(), "org": org.code})
            return redirect(_members_url(org))
    elif which == "new" and new.is_valid():
        data = dict(new.cleaned_data)
        role = data.pop("role")
        try:
            with transaction.atomic():
                user, password = services.user_create(**data)
                membership = services.membership_add(organization=org, user=user, role=role)
        except ValidationError as exc:
            apply_errors(new, exc)
        else:
            # The password is shown on this page only: it is not kept anywhere (not in the
            # session, not in a message), and the page must not be cached.
            details = [(capfirst(User._meta.get_field(name).verbose_name), value)
                       for name, value in (("username", user.username),
                                           ("first_name", user.first_name),
                                           ("last_name", user.last_name),
                                           ("email", user.email)) if value]
            response = render(request, "accounts/user_created.html", {
                "org": org, "membership": membership, "details": details,
                "password": password,
                "login_url": request.build_absolute_uri(reverse("accounts:login"))})
            add_never_cache_headers(response)
            return response
    return render(request, "accounts/membership_add.html", {
        "org": org, "existing_form": existing, "new_form": new, "which": which,
        "cancel_url": _members_url(org)})


@login_required
@require_http_methods(["GET", "POST"])
def membership_edit(request: HttpRequest, uuid, username: str) -> HttpResponse:
    org = _administered(request, uuid)
    membership = _membership(request, org, username)
    form = MembershipRoleForm(request.POST or None, initial={"role": membership.role})
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_change_role(membership=membership, role=form.cleaned_data["role"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Role of %(user)s on %(org)s: %(role)s.") % {
                "user": username, "role": membership.get_role_display(), "org": org.code})
            return _after_change(request, org)
    return render(request, "accounts/membership_edit.html", {
        "org": org, "membership": membership, "form": form,
        "is_self": _is_self(request, membership), "cancel_url": _members_url(org)})


@login_required
@require_http_methods(["GET", "POST"])
def membership_delete(request: HttpRequest, uuid, username: str) -> HttpResponse:
    org = _administered(request, uuid)
    membership = _membership(request, org, username)
    errors: list[str] = []
    if request.method == "POST":
        try:
            services.membership_remove(membership=membership)
        except ValidationError as exc:
            errors = list(exc.messages)
        else:
            messages.success(request, _("%(user)s no longer has a role on %(org)s.") % {
                "user": username, "org": org.code})
            return _after_change(request, org)
    return render(request, "accounts/membership_delete.html", {
        "org": org, "membership": membership, "errors": errors,
        "is_self": _is_self(request, membership), "cancel_url": _members_url(org)})
