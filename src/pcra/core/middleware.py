"""Request middleware: the audit actor and a strict Content-Security-Policy."""

from __future__ import annotations

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
