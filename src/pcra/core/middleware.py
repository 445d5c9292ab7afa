"""Request middleware: the interface language, the audit actor and a strict
Content-Security-Policy."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers

from pcra.core.actor import _current, actor_for_user


class AuditActorMiddleware:
    """Makes the logged-in user the actor of every audit entry written during the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current.set(actor_for_user(getattr(request, "user", None)))
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)


class ContentSecurityPolicyMiddleware:
    """No inline scripts or styles, nothing loaded from elsewhere (CONVENTIONS 6)."""

    POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
              "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
              "form-action 'self'; frame-ancestors 'none'")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.POLICY)
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response


class LanguageMiddleware:
    """The interface speaks PCRA_LANGUAGE (French) unless the user chose otherwise.

    Unlike Django's LocaleMiddleware, the browser's Accept-Language is not consulted: a French
    hospital's workstation with an English browser still gets the French interface. The choice
    is the language cookie, set by the switch in the header and at login from the user's
    profile.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.languages = dict(settings.LANGUAGES)

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in self.languages:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response
