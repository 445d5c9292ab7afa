"""Small declarative pieces shared by the list, detail and form pages of several entities.

List pages are described by :class:`Column` objects (what a cell shows and how), paginated
with ``settings.PCRA_PAGE_SIZE`` and answer an HTMX request (live search, pagination) with the
results partial of the same page. Services raise ``ValidationError``; :func:`apply_errors`
puts their messages on the form fields they name, so forms check shape and services meaning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme


def assign_fields(instance, fields: dict, allowed: tuple[str, ...]) -> None:
    """Set ``fields`` on ``instance`` (the services' keyword arguments); a name outside
    ``allowed`` is a programming error."""
    unexpected = sorted(set(fields) - set(allowed))
    if unexpected:
        raise TypeError(f"unexpected field(s) for {type(instance).__name__}: {unexpected}")
    for name, value in fields.items():
        setattr(instance, name, value)


def is_htmx(request: HttpRequest) -> bool:
    """True for an HTMX request that wants a fragment (not a boosted or history request)."""
    headers = request.headers
    return (headers.get("HX-Request") == "true" and headers.get("HX-Boosted") != "true"
            and headers.get("HX-History-Restore-Request") != "true")


def paginate(request: HttpRequest, queryset, per_page: int | None = None) -> Page:
    paginator = Paginator(queryset, per_page or settings.PCRA_PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def render_list(request: HttpRequest, template: str, partial: str,
                context: dict[str, Any]) -> HttpResponse:
    """The whole page, or only its results partial for an HTMX request (same URL, so caches
    must tell the two apart: ``Vary: HX-Request``)."""
    response = render(request, partial if is_htmx(request) else template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def apply_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Attach a service's ValidationError to the form: per field when the form has it."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            if field in form.fields:
                form.add_error(field, errors)
            elif field == NON_FIELD_ERRORS:
                form.add_error(None, errors)
            else:
                form.add_error(None, [
                    ValidationError("%(field)s: %(msg)s",
                                    params={"field": _field_label(form, field), "msg": m})
                    for error in errors for m in error.messages])
    else:
        form.add_error(None, exc)


def _field_label(form: forms.BaseForm, name: str) -> str:
    model = getattr(form, "model", None)
    if model is not None:
        try:
            return str(model._meta.get_field(name).verbose_name)
        except Exception:  # noqa: BLE001 - any unknown name keeps its raw form
            pass
    return name


def optional_url(name: str, *args: Any, **kwargs: Any) -> str:
    """``reverse(name)``, or "" while another part of pcra has not defined that URL yet."""
    try:
        return reverse(name, args=args or None, kwargs=kwargs or None)
    except NoReverseMatch:
        return ""


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The ``next`` parameter when it points inside pcra, else ``fallback``."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return candidate
    return fallback


class FilterForm(forms.Form):
    """The GET form above a list. Invalid values are ignored rather than reported."""

    def values(self) -> dict[str, Any]:
        if not self.is_bound:
            return {}
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in ("", None)}


# --- Declarative columns ---------------------------------------------------------------------

Renderer = Callable[[Any], Any]


@dataclass(frozen=True)
class Column:
    """One column of a list page: a header and a function from the row to the cell content.

    ``render`` returns text (escaped on output) or a SafeString made with ``format_html``;
    ``css`` is a class name put on the header and the cells (``num`` right-aligns numbers).
    """

    key: str
    label: Any
    render: Renderer
    css: str = ""

    def cell(self, obj: Any) -> Any:
        value = self.render(obj)
        if value is None or value == "":
            return format_html('<span class="muted">{}</span>', "—")
        return value


def attr(name: str) -> Renderer:
    """A renderer reading a (dotted) attribute, calling ``get_X_display`` for choices."""

    def _render(obj: Any) -> Any:
        value: Any = obj
        for part in name.split("."):
            if value is None:
                return None
            display = getattr(value, f"get_{part}_display", None)
            value = display() if callable(display) and getattr(value, part, "") else getattr(
                value, part, None)
        return value

    return _render


def format_number(value: Any) -> str:
    """12 → "12", 0.50 → "0,5" in French: localised, without useless zeros."""
    if value is None or value == "":
        return ""
    if not isinstance(value, Decimal):
        try:
            value = Decimal(str(value))
        except ArithmeticError:
            return str(value)
    value = value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()
    return number_format(value, use_l10n=True)


def format_hours(value: Any) -> str:
    """A duration in hours: "4 h", "0,5 h"; empty when unknown."""
    text = format_number(value)
    return f"{text}\u00a0h" if text else ""


def hours(name: str) -> Renderer:
    def _render(obj: Any) -> Any:
        return format_hours(getattr(obj, name, None))

    return _render


def number(name: str) -> Renderer:
    def _render(obj: Any) -> Any:
        return format_number(getattr(obj, name, None))

    return _render


def badge(name: str, css_prefix: str) -> Renderer:
    """A choice shown as a coloured badge (``badge <prefix>-<value>``)."""

    def _render(obj: Any) -> Any:
        value = getattr(obj, name, "")
        if not value:
            return None
        return format_html('<span class="badge {}-{}">{}</span>', css_prefix, value,
                           getattr(obj, f"get_{name}_display")())

    return _render


def bound_columns(columns: tuple[Column, ...], rows: Any) -> list[tuple[Any, list[Any]]]:
    """``[(row, [cell, …]), …]`` ready for a template loop."""
    return [(row, [(column, column.cell(row)) for column in columns]) for row in rows]

