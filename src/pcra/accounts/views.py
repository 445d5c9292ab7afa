"""Account pages: log in (applying the user's preferred language), profile, password."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pcra.accounts.services import user_set_language


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
