"""Pages of the continuity plans (CaRE D2 O1.c): the plans of a GHT with their coverage, one
plan version (printable, DOCX), its form and workflow, the reflex sheets, the crisis directory
(crisis cell and contact tree), and the crisis binder as PDF.

Every object comes from a selector scoped by the user (outside it: 404; readable but not
writable: 403 on writes; approving needs the administrator role on the plan's organization).
"""

from __future__ import annotations

import uuid as uuid_module

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from pcra.accounts.access import access_for
from pcra.core.crud import apply_errors
from pcra.inventory.models import NodeType
from pcra.inventory.selectors import nodes_visible_to
from pcra.organizations.models import Organization
from pcra.organizations.selectors import (
    chosen_top,
    organizations_visible_to,
    tops_visible_to,
)
from pcra.plans import coverage, selectors, services
from pcra.plans.forms import (
    ContactForm,
    PlanForm,
    ReflexSheetForm,
    ReflexStepFormSet,
    StepFormSet,
    formset_rows,
)
from pcra.plans.models import ContinuityPlan, PlanStatus, StepPhase
from pcra.plans.tree import tree_order

# --- Helpers ---------------------------------------------------------------------------------


def _top(request: HttpRequest) -> Organization:
    """The GHT the page is about: ``?top=<uuid>``, else the user's first one."""
    top = chosen_top(user=request.user,
                     wanted=request.GET.get("top") or request.POST.get("top"))
    if top is None:
        raise Http404
    return top


def _plan(request: HttpRequest, uuid) -> ContinuityPlan:
    return get_object_or_404(selectors.plans_visible_to(user=request.user), uuid=uuid)


def _organizations(user, top: Organization, *, writable: bool) -> list[Organization]:
    access = access_for(user)
    orgs = [o for o in organizations_visible_to(user=user)
            if o.pk == top.pk or o.root_id == top.pk]
    if writable:
        orgs = [o for o in orgs if access.can_write(o.pk)]
    return sorted(orgs, key=lambda o: (o.pk != top.pk, o.code))


def _url(name: str, top: Organization, anchor: str = "") -> str:
    return f"{reverse(name)}?top={top.uuid}{anchor}"


# --- Index -----------------------------------------------------------------------------------


@login_required
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    top = _top(request)
    tops = list(tops_visible_to(user=request.user).order_by("code"))
    visible = selectors.plans_visible_to(user=request.user).filter(top=top)
    current = list(selectors.current_versions(visible).prefetch_related(
        "activities", "establishments").order_by("code"))
    approved = {p.code: p for p in selectors.approved_versions(visible)}
    access = access_for(request.user)
    result = selectors.coverage_of_top(top_id=top.pk)
    # Codes of plans the user may not open are not named (a tick says the category is met).
    known = {p.code for p in visible}
    for row in [*result.entities, result]:
        plans_by = row.plans if hasattr(row, "plans") else row.categories
        for category, codes in plans_by.items():
            plans_by[category] = [c if c in known else "…" for c in codes]
    readable = {o.pk for o in _organizations(request.user, top, writable=False)}
    return render(request, "plans/index.html", {
        "top": top, "tops": tops,
        "rows": [{"plan": p, "approved": approved.get(p.code)} for p in current],
        "coverage": result, "mandatory": coverage.MANDATORY, "rule": coverage.RULE,
        "show_share": access.can_read(top.pk),
        "coverage_rows": [row for row in result.entities if row.entity.id in readable],
        "can_create": bool(_organizations(request.user, top, writable=True)),
        "binder_organizations": _organizations(request.user, top, writable=False),
        "kits": [k for k in selectors.kit_freshness(user=request.user)
                 if k.organization.top_id == top.pk],
    })


# --- One plan --------------------------------------------------------------------------------


def _content(plan: ContinuityPlan) -> dict:
    """What a version says: as approved, or as it stands (a draft, in review)."""
    if plan.snapshot is not None:
        return plan.snapshot
    return services.plan_content(plan)


@login_required
@require_safe
def plan_detail(request: HttpRequest, uuid) -> HttpResponse:
    plan = _plan(request, uuid)
    can_edit = selectors.can_edit(request.user, plan)
    versions = selectors.plan_versions(plan, user=request.user)
    return render(request, "plans/plan_detail.html", {
        "plan": plan, "content": _content(plan), "versions": versions,
        "newest": versions[0], "can_edit": can_edit,
        "can_approve": selectors.can_approve(request.user, plan),
        "phases": StepPhase, "statuses": PlanStatus,
    })


def _plan_form(request: HttpRequest, top: Organization, plan: ContinuityPlan | None
               ) -> HttpResponse:
    user = request.user
    activities = list(nodes_visible_to(user=user).filter(top=top, node_type=NodeType.ACTIVITY)
                      .order_by("code"))
    kwargs = {"organizations": _organizations(user, top, writable=True),
              "activities": activities,
              "establishments": [o for o in _organizations(user, top, writable=False)
                                 if o.pk != top.pk],
              "contacts": list(selectors.contacts_visible_to(user=user).filter(top=top)),
              "editing": plan is not None}
    initial = None
    step_initial = None
    if plan is not None:
        initial = {"title": plan.title, "scenarios": plan.scenarios, "manager": plan.manager,
                   "trigger_criteria": plan.trigger_criteria,
                   "trigger_authority": plan.trigger_authority, "resources": plan.resources,
                   "communication": plan.communication,
                   "return_to_normal": plan.return_to_normal, "review_due": plan.review_due,
                   "change_summary": plan.change_summary,
                   "activities": [str(a.uuid) for a in plan.activities.all()],
                   "establishments": [str(o.uuid) for o in plan.establishments.all()],
                   "contacts": [str(c.uuid) for c in plan.contacts.all()]}
        step_initial = [{"phase": s.phase, "when": s.when, "who": s.who, "action": s.action,
                         "where": s.where, "how": s.how, "ORDER": n}
                        for n, s in enumerate(plan.steps.order_by("phase", "position", "pk"),
                                              start=1)]
    post = request.POST if request.method == "POST" else None
    form = PlanForm(post, initial=initial, **kwargs)
    steps = StepFormSet(post, initial=step_initial, prefix="steps")
    if post is not None and form.is_valid() and steps.is_valid():
        values = form.values()
        if plan is not None:  # links the editor cannot see are kept, not dropped
            for name, shown in (("activities", form.activity_map),
                                ("establishments", form.establishment_map),
                                ("contacts", form.contact_map)):
                values[name] += [obj for obj in getattr(plan, name).all()
                                 if str(obj.uuid) not in shown]
        rows = formset_rows(steps, ("phase", "when", "who", "action", "where", "how"))
        try:
            with transaction.atomic():
                if plan is None:
                    organization = values.pop("organization")
                    if not access_for(user).can_write(organization.pk):
                        raise PermissionDenied
                    saved = services.plan_create(
                        top=top, organization=None if organization.pk == top.pk
                        else organization, **values)
                else:
                    saved = services.plan_update(plan=plan, **values)
                services.plan_set_steps(plan=saved, steps=rows)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Plan saved."))
            return redirect("plans:plan_detail", uuid=saved.uuid)
    title = (_("New continuity plan") if plan is None
             else _("%(title)s, version %(v)d") % {"title": plan.title, "v": plan.version})
    return render(request, "plans/plan_form.html", {
        "form": form, "steps": steps, "title": title, "top": top, "plan": plan,
        "cancel_url": (reverse("plans:plan_detail", kwargs={"uuid": plan.uuid}) if plan
                       else _url("plans:index", top))})


@login_required
@require_http_methods(["GET", "POST"])
def plan_create(request: HttpRequest) -> HttpResponse:
    top = _top(request)
    if not _organizations(request.user, top, writable=True):
        raise PermissionDenied
    return _plan_form(request, top, None)


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, uuid) -> HttpResponse:
    plan = _plan(request, uuid)
    if not selectors.can_edit(request.user, plan):
        raise PermissionDenied
    if plan.status != PlanStatus.DRAFT:
        messages.error(request, _("Only a draft can be changed: start a new version."))
        return redirect("plans:plan_detail", uuid=plan.uuid)
    return _plan_form(request, plan.top, plan)


ACTIONS = ("submit", "return_to_draft", "approve", "new_version", "delete")


def _action_texts(action: str) -> tuple[str, str]:
    """The title and the explanation of a workflow action's confirmation page."""
    return {
        "submit": (_("Submit for review"), _("The draft goes to review: it can no longer be "
                                             "changed unless it is returned to draft.")),
        "return_to_draft": (_("Return to draft"), _("The plan in review becomes a draft again "
                                                    "and can be changed.")),
        "approve": (_("Approve"), _("Approving freezes this version as it stands, with your "
                                    "name and the date; it replaces the version approved "
                                    "before in the crisis binder.")),
        "new_version": (_("Start a new version"), _("A new draft is made from this version; "
                                                    "the approved version stays in the binder "
                                                    "until the new one is approved.")),
        "delete": (_("Delete the draft"), _("The draft and its steps are deleted; approved "
                                            "versions stay in the plan's history.")),
    }[action]


@login_required
@require_http_methods(["GET", "POST"])
def plan_action(request: HttpRequest, uuid, action: str) -> HttpResponse:
    """A workflow action: GET asks for confirmation, POST does it."""
    plan = _plan(request, uuid)
    if action not in ACTIONS:
        raise Http404
    allowed = (selectors.can_approve(request.user, plan) if action == "approve"
               else selectors.can_edit(request.user, plan))
    if not allowed:
        raise PermissionDenied
    if request.method == "GET":
        title, explanation = _action_texts(action)
        return render(request, "plans/confirm.html", {
            "plan": plan, "title": title, "explanation": explanation, "action": action})
    user = request.user
    try:
        if action == "submit":
            services.plan_submit(plan=plan, user=user)
            message = _("Version %(v)d is submitted for review.")
        elif action == "return_to_draft":
            services.plan_return_to_draft(plan=plan, user=user)
            message = _("Version %(v)d is a draft again.")
        elif action == "approve":
            services.plan_approve(plan=plan, user=user)
            message = _("Version %(v)d is approved.")
        elif action == "new_version":
            plan = services.plan_new_version(plan=plan, user=user)
            message = _("Version %(v)d is a new draft.")
        else:
            top = plan.top
            services.plan_delete(plan=plan)
            messages.success(request, _("The draft was deleted."))
            others = ContinuityPlan.objects.filter(top=top, code=plan.code).order_by(
                "-version").first()
            if others is not None:
                return redirect("plans:plan_detail", uuid=others.uuid)
            return redirect(_url("plans:index", top))
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.success(request, message % {"v": plan.version})
    return redirect("plans:plan_detail", uuid=plan.uuid)


@login_required
@require_safe
def plan_docx(request: HttpRequest, uuid) -> HttpResponse:
    from pcra.plans.documents import DOCX_TYPE, plan_docx_bytes

    plan = _plan(request, uuid)
    data = plan_docx_bytes(_content(plan), status=plan.status)
    response = HttpResponse(data, content_type=DOCX_TYPE)
    response["Content-Disposition"] = (f'attachment; filename="pcra-{plan.code}-'
                                       f'v{plan.version}.docx"')
    return response


@login_required
@require_safe
def binder_pdf(request: HttpRequest) -> HttpResponse:
    """The crisis binder of an organization the user may read (``?organization=<uuid>``;
    without it, the highest organization the user reads)."""
    from pcra.plans.documents import binder_pdf_bytes

    readable = organizations_visible_to(user=request.user)
    if "organization" in request.GET:
        try:
            wanted = uuid_module.UUID(request.GET["organization"])
        except ValueError as exc:
            raise Http404 from exc
        organization = get_object_or_404(readable, uuid=wanted)
    else:  # the user's first organization, the highest first
        organization = min(readable, key=lambda o: (o.root_id is not None, o.kind != "EJ",
                                                    o.code), default=None)
        if organization is None:
            raise Http404
    content = selectors.binder(organization=organization, user=request.user)
    data = binder_pdf_bytes(content)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = (f'attachment; filename="classeur-crise-'
                                       f'{organization.code}.pdf"')
    return response


# --- Reflex sheets ---------------------------------------------------------------------------


@login_required
@require_safe
def sheet_list(request: HttpRequest) -> HttpResponse:
    top = _top(request)
    sheets = selectors.reflex_sheets_visible_to(user=request.user).filter(top=top)
    return render(request, "plans/sheets.html", {
        "top": top, "tops": list(tops_visible_to(user=request.user).order_by("code")),
        "sheets": sheets.prefetch_related("steps"),
        "can_write": access_for(request.user).can_write(None, top_id=top.pk),
        "can_create": bool(_organizations(request.user, top, writable=True))})


def _sheet(request: HttpRequest, uuid):
    return get_object_or_404(selectors.reflex_sheets_visible_to(user=request.user), uuid=uuid)


@login_required
@require_safe
def sheet_detail(request: HttpRequest, uuid) -> HttpResponse:
    sheet = _sheet(request, uuid)
    return render(request, "plans/sheet_detail.html", {
        "sheet": sheet, "steps": sheet.steps.order_by("position", "pk"),
        "can_edit": selectors.can_edit(request.user, sheet)})


@login_required
@require_POST
def sheet_defaults(request: HttpRequest) -> HttpResponse:
    top = _top(request)
    if not access_for(request.user).can_write(None, top_id=top.pk):
        raise PermissionDenied
    made = services.reflex_defaults(top=top)
    messages.success(request, _("%(n)d reflex sheets created.") % {"n": len(made)})
    return redirect(_url("plans:sheet_list", top))


def _sheet_form(request: HttpRequest, top: Organization, sheet) -> HttpResponse:
    orgs = _organizations(request.user, top, writable=True)
    post = request.POST if request.method == "POST" else None
    initial = step_initial = None
    if sheet is not None:
        initial = {"organization": str((sheet.organization or top).uuid), "code": sheet.code,
                   "title": sheet.title, "situation": sheet.situation,
                   "position": sheet.position}
        step_initial = [{"when": s.when, "who": s.who, "action": s.action, "ORDER": n}
                        for n, s in enumerate(sheet.steps.order_by("position", "pk"), start=1)]
    form = ReflexSheetForm(post, initial=initial, organizations=orgs)
    steps = ReflexStepFormSet(post, initial=step_initial, prefix="steps")
    if post is not None and form.is_valid() and steps.is_valid():
        values = form.values(top)
        rows = formset_rows(steps, ("when", "who", "action"))
        try:
            with transaction.atomic():
                if sheet is None:
                    saved = services.reflex_sheet_create(top=top, **values)
                else:
                    saved = services.reflex_sheet_update(sheet=sheet, **values)
                services.reflex_sheet_set_steps(sheet=saved, steps=rows)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Reflex sheet saved."))
            return redirect("plans:sheet_detail", uuid=saved.uuid)
    return render(request, "plans/sheet_form.html", {
        "form": form, "steps": steps, "top": top,
        "title": sheet.title if sheet else _("New reflex sheet"),
        "cancel_url": (reverse("plans:sheet_detail", kwargs={"uuid": sheet.uuid}) if sheet
                       else _url("plans:sheet_list", top))})


@login_required
@require_http_methods(["GET", "POST"])
def sheet_create(request: HttpRequest) -> HttpResponse:
    top = _top(request)
    if not _organizations(request.user, top, writable=True):
        raise PermissionDenied
    return _sheet_form(request, top, None)


@login_required
@require_http_methods(["GET", "POST"])
def sheet_edit(request: HttpRequest, uuid) -> HttpResponse:
    sheet = _sheet(request, uuid)
    if not selectors.can_edit(request.user, sheet):
        raise PermissionDenied
    return _sheet_form(request, sheet.top, sheet)


@login_required
@require_http_methods(["GET", "POST"])
def sheet_delete(request: HttpRequest, uuid) -> HttpResponse:
    sheet = _sheet(request, uuid)
    if not selectors.can_edit(request.user, sheet):
        raise PermissionDenied
    if request.method == "POST":
        top = sheet.top
        services.reflex_sheet_delete(sheet=sheet)
        messages.success(request, _("Reflex sheet deleted."))
        return redirect(_url("plans:sheet_list", top))
    return render(request, "core/confirm_delete.html", {
        "object": sheet, "title": _("Delete the reflex sheet %(title)s?") % {"title": sheet.title},
        "cancel_url": reverse("plans:sheet_detail", kwargs={"uuid": sheet.uuid})})


# --- Contacts --------------------------------------------------------------------------------


def contact_tree(contacts: list) -> list[tuple[int, object]]:
    """``(depth, contact)`` in the order of the contact tree."""
    return tree_order(contacts, key=lambda c: c.pk, parent=lambda c: c.alerted_by_id)


@login_required
@require_safe
def contact_list(request: HttpRequest) -> HttpResponse:
    top = _top(request)
    contacts = list(selectors.contacts_visible_to(user=request.user).filter(top=top))
    access = access_for(request.user)
    return render(request, "plans/contacts.html", {
        "top": top, "tops": list(tops_visible_to(user=request.user).order_by("code")),
        "cell": [c for c in contacts if c.crisis_role],
        "tree": contact_tree(contacts),
        "editable": {c.pk for c in contacts if access.can_write(c.organization_id,
                                                                 top_id=top.pk)},
        "can_create": bool(_organizations(request.user, top, writable=True))})


def _contact(request: HttpRequest, uuid):
    contact = get_object_or_404(selectors.contacts_visible_to(user=request.user), uuid=uuid)
    if not selectors.can_edit(request.user, contact):
        raise PermissionDenied
    return contact


def _contact_form(request: HttpRequest, top: Organization, contact) -> HttpResponse:
    orgs = _organizations(request.user, top, writable=True)
    others = [c for c in selectors.contacts_visible_to(user=request.user).filter(top=top)
              if contact is None or c.pk != contact.pk]
    initial = None
    if contact is not None:
        initial = {name: getattr(contact, name) for name in (
            "name", "function", "crisis_role", "phone", "mobile", "backup_phone", "email",
            "backup_email", "position", "notes")}
        initial["organization"] = str((contact.organization or top).uuid)
        initial["alerted_by"] = str(contact.alerted_by.uuid) if contact.alerted_by else ""
    form = ContactForm(request.POST if request.method == "POST" else None, initial=initial,
                       organizations=orgs, contacts=others)
    if request.method == "POST" and form.is_valid():
        values = form.values(top)
        hidden_caller = (contact is not None and contact.alerted_by is not None
                         and str(contact.alerted_by.uuid) not in form.contact_map)
        if hidden_caller and not form.cleaned_data["alerted_by"]:
            values["alerted_by"] = contact.alerted_by  # a caller the editor cannot see stays
        try:
            if contact is None:
                services.contact_create(top=top, **values)
            else:
                services.contact_update(contact=contact, **values)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Contact saved."))
            return redirect(_url("plans:contact_list", top))
    return render(request, "plans/form.html", {
        "form": form, "top": top,
        "title": contact.name if contact else _("New contact"),
        "cancel_url": _url("plans:contact_list", top)})


@login_required
@require_http_methods(["GET", "POST"])
def contact_create(request: HttpRequest) -> HttpResponse:
    top = _top(request)
    if not _organizations(request.user, top, writable=True):
        raise PermissionDenied
    return _contact_form(request, top, None)


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, uuid) -> HttpResponse:
    contact = _contact(request, uuid)
    return _contact_form(request, contact.top, contact)


@login_required
@require_http_methods(["GET", "POST"])
def contact_delete(request: HttpRequest, uuid) -> HttpResponse:
    contact = _contact(request, uuid)
    if request.method == "POST":
        top = contact.top
        services.contact_delete(contact=contact)
        messages.success(request, _("Contact deleted."))
        return redirect(_url("plans:contact_list", top))
    return render(request, "core/confirm_delete.html", {
        "object": contact, "title": _("Delete the contact %(name)s?") % {"name": contact.name},
        "cancel_url": _url("plans:contact_list", contact.top)})
