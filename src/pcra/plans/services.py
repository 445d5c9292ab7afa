"""Writes of the plans app: continuity plans and their workflow, steps, contacts, reflex sheets,
and the record of each offline kit exported.

A plan version goes draft → review (``plan_submit``) → approved (``plan_approve``, an
administrator of the plan's organization); review can go back to draft
(``plan_return_to_draft``). Approving freezes the version's whole content (``plan_content``)
in ``snapshot`` with its SHA-256 and supersedes the previously approved version of the same
plan, which stays readable in the history. ``plan_new_version`` starts the next draft from the
newest version. Only drafts change; the service refuses the rest.

Many-to-many changes (activities, establishments, contacts) are written to the audit log here,
since the model signals do not see them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from pcra.core import audit
from pcra.core.crud import assign_fields
from pcra.core.models import AuditAction
from pcra.inventory.models import Node, NodeType
from pcra.organizations.models import Organization
from pcra.organizations.selectors import organization_ids_below
from pcra.plans.models import (
    Contact,
    ContinuityPlan,
    KitExport,
    PlanScenario,
    PlanStatus,
    PlanStep,
    ReflexSheet,
    ReflexStep,
    StepPhase,
)

PLAN_FIELDS = ("title", "scenarios", "manager", "trigger_criteria", "trigger_authority",
               "resources", "communication", "return_to_normal", "review_due",
               "change_summary")
STEP_FIELDS = ("phase", "when", "who", "action", "where", "how")
CONTACT_FIELDS = ("organization", "name", "function", "crisis_role", "phone", "mobile",
                  "backup_phone", "email", "backup_email", "alerted_by", "position", "notes")
SHEET_FIELDS = ("organization", "code", "title", "situation", "position")
REFLEX_STEP_FIELDS = ("when", "who", "action")


#: Characters XML 1.0 (hence DOCX) cannot hold: C0 controls except tab, line feed and
#: carriage return. Word's manual line break (vertical tab) becomes a line feed.
_CONTROL = {code: None for code in range(32) if code not in (9, 10, 13)} | {11: "\n"}


def clean_text(value: str) -> str:
    """``value`` without the control characters documents cannot hold, trimmed."""
    return (value or "").translate(_CONTROL).strip()


def content_hash(data) -> str:
    """SHA-256 of the canonical JSON of ``data`` (the audit log's canonical form)."""
    return hashlib.sha256(audit.canonical(data).encode("utf-8")).hexdigest()


# --- Content ----------------------------------------------------------------------------------


def _organization_data(org: Organization | None) -> dict | None:
    if org is None:
        return None
    return {"code": org.code, "name": org.name, "kind": org.kind, "finess": org.finess}


def contact_data(contact: Contact) -> dict:
    return {"name": contact.name, "function": contact.function,
            "crisis_role": contact.crisis_role, "phone": contact.phone,
            "mobile": contact.mobile, "backup_phone": contact.backup_phone,
            "email": contact.email, "backup_email": contact.backup_email,
            "notes": contact.notes}


def plan_content(plan: ContinuityPlan) -> dict:
    """Everything a plan version says, as plain data: what approval freezes, and what the
    documents print (the snapshot for an approved version, this for a draft)."""
    activities = sorted(plan.activities.select_related("organization"), key=lambda n: n.code)
    establishments = sorted(plan.establishments.all(), key=lambda o: o.code)
    steps = list(plan.steps.order_by("phase", "position", "pk"))
    return {
        "code": plan.code,
        "version": plan.version,
        "title": plan.title,
        "organization": _organization_data(plan.organization),
        "activities": [{"code": a.code, "name": a.name, "kind": a.activity_kind,
                        "organization": a.organization.code if a.organization else "",
                        "owner": a.owner} for a in activities],
        "establishments": [_organization_data(o) for o in establishments],
        "scenarios": list(plan.scenarios),
        "manager": plan.manager,
        "trigger_criteria": plan.trigger_criteria,
        "trigger_authority": plan.trigger_authority,
        "resources": plan.resources,
        "communication": plan.communication,
        "return_to_normal": plan.return_to_normal,
        "review_due": plan.review_due.isoformat() if plan.review_due else None,
        "change_summary": plan.change_summary,
        "steps": [{name: getattr(s, name) for name in STEP_FIELDS} for s in steps],
        "contacts": [contact_data(c) for c in plan.contacts.order_by("position", "name")],
    }


# --- Validation -------------------------------------------------------------------------------


def _in_top(top: Organization, org: Organization | None) -> bool:
    return org is None or org.pk == top.pk or org.root_id == top.pk


def _check_plan(plan: ContinuityPlan, activities: Sequence[Node] | None,
                establishments: Sequence[Organization] | None,
                contacts: Sequence[Contact] | None) -> None:
    errors: dict[str, list[str]] = {}
    for name in ("title", "manager", "trigger_criteria", "trigger_authority", "resources",
                 "communication", "return_to_normal", "change_summary"):
        setattr(plan, name, clean_text(getattr(plan, name)))
    if not plan.title:
        errors["title"] = [_("Give the plan a title.")]
    scenarios = list(dict.fromkeys(plan.scenarios or []))
    unknown = [s for s in scenarios if s not in PlanScenario.values]
    if unknown:
        errors["scenarios"] = [_("Unknown scenario: %(value)s.") % {"value": ", ".join(
            map(str, unknown))}]
    elif PlanScenario.IS_DOWN not in scenarios:
        errors["scenarios"] = [_("A PCRA covers at least the scenario “information system "
                                 "unavailable” (CaRE D2).")]
    plan.scenarios = [s for s in PlanScenario.values if s in scenarios]
    if not _in_top(plan.top, plan.organization):
        errors["organization"] = [_("The organization is not part of this GHT.")]
    allowed = (organization_ids_below(plan.top_id, [plan.organization])
               if plan.organization is not None else None)
    if activities is not None:
        if not activities:
            errors["activities"] = [_("Choose at least one activity.")]
        for node in activities:
            if node.node_type != NodeType.ACTIVITY or node.top_id != plan.top_id:
                errors.setdefault("activities", []).append(
                    _("%(code)s is not an activity of this GHT.") % {"code": node.code})
    if establishments is not None:
        for org in establishments:
            if not _in_top(plan.top, org) or (allowed is not None and org.pk not in allowed):
                errors.setdefault("establishments", []).append(
                    _("%(code)s is not under the plan's organization.") % {"code": org.code})
    if contacts is not None:
        for contact in contacts:
            if contact.top_id != plan.top_id:
                errors.setdefault("contacts", []).append(
                    _("%(name)s is not a contact of this GHT.") % {"name": contact.name})
    if errors:
        raise ValidationError(errors)


def _require_draft(plan: ContinuityPlan) -> None:
    if plan.status != PlanStatus.DRAFT:
        raise ValidationError(_("Version %(v)d of this plan is %(status)s: only a draft can be "
                                "changed; start a new version to change it.")
                              % {"v": plan.version,
                                 "status": plan.get_status_display().lower()})


def _relations(plan: ContinuityPlan) -> dict:
    return {"activities": sorted(plan.activities.values_list("code", flat=True)),
            "establishments": sorted(plan.establishments.values_list("code", flat=True)),
            "contacts": sorted(plan.contacts.values_list("pk", flat=True))}


def _set_relations(plan: ContinuityPlan, activities, establishments, contacts) -> None:
    before = _relations(plan) if plan.pk else None
    if activities is not None:
        plan.activities.set(activities)
    if establishments is not None:
        plan.establishments.set(establishments)
    if contacts is not None:
        plan.contacts.set(contacts)
    after = _relations(plan)
    if before != after:
        audit.record_many([audit.Change(AuditAction.UPDATE, plan, before, after)])


# --- Plans ------------------------------------------------------------------------------------


@transaction.atomic
def plan_create(*, top: Organization, organization: Organization | None, code: str,
                activities: Sequence[Node], establishments: Sequence[Organization] = (),
                contacts: Sequence[Contact] = (), **fields) -> ContinuityPlan:
    """Version 1 of a new plan, as a draft."""
    code = (code or "").strip()
    plan = ContinuityPlan(top=top, organization=organization, code=code, version=1,
                          scenarios=[PlanScenario.IS_DOWN])
    assign_fields(plan, fields, PLAN_FIELDS)
    errors = {}
    if not code:
        errors["code"] = [_("Give the plan a short code.")]
    elif ContinuityPlan.objects.filter(top=top, code=code).exists():
        errors["code"] = [_("This GHT already has a plan %(code)s.") % {"code": code}]
    try:
        _check_plan(plan, list(activities), list(establishments), list(contacts))
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            plan.save()
    except IntegrityError as exc:  # the same code created at the same moment
        raise ValidationError({"code": [_("This GHT already has a plan %(code)s.")
                                        % {"code": code}]}) from exc
    _set_relations(plan, activities, establishments or _default_establishments(activities),
                   contacts)
    return plan


def _default_establishments(activities: Iterable[Node]) -> list[Organization]:
    return sorted({a.organization for a in activities if a.organization is not None},
                  key=lambda o: o.code)


@transaction.atomic
def plan_update(*, plan: ContinuityPlan, activities: Sequence[Node] | None = None,
                establishments: Sequence[Organization] | None = None,
                contacts: Sequence[Contact] | None = None, **fields) -> ContinuityPlan:
    plan = ContinuityPlan.objects.select_for_update().get(pk=plan.pk)
    _require_draft(plan)
    assign_fields(plan, fields, PLAN_FIELDS)
    activities = list(activities) if activities is not None else None
    establishments = list(establishments) if establishments is not None else None
    contacts = list(contacts) if contacts is not None else None
    _check_plan(plan, activities, establishments, contacts)
    plan.save()
    if establishments is not None and not establishments:
        establishments = _default_establishments(activities if activities is not None
                                                 else plan.activities.all())
    _set_relations(plan, activities, establishments, contacts)
    return plan


@transaction.atomic
def plan_set_steps(*, plan: ContinuityPlan, steps: Sequence[dict]) -> ContinuityPlan:
    """Replace the steps of a draft: ``steps`` in order, each with ``phase``, ``who`` and
    ``action`` (``when``, ``where``, ``how`` optional). Positions follow the order per phase."""
    plan = ContinuityPlan.objects.select_for_update().get(pk=plan.pk)
    _require_draft(plan)
    errors = []
    clean = []
    for number, step in enumerate(steps, start=1):
        unexpected = set(step) - set(STEP_FIELDS)
        if unexpected:
            raise TypeError(f"unexpected step field(s): {sorted(unexpected)}")
        row = {name: clean_text(step.get(name)) for name in STEP_FIELDS}
        row["phase"] = row["phase"] or StepPhase.DEGRADED
        if row["phase"] not in StepPhase.values:
            errors.append(_("Step %(n)d: unknown phase %(phase)s.") % {"n": number,
                                                                      "phase": row["phase"]})
        if not row["action"]:
            errors.append(_("Step %(n)d: say what is done.") % {"n": number})
        if not row["who"]:
            errors.append(_("Step %(n)d: say who does it.") % {"n": number})
        clean.append(row)
    if errors:
        raise ValidationError(errors)
    for old in list(plan.steps.all()):
        old.delete()  # audited by the signals
    positions: dict[str, int] = {}
    for row in clean:
        positions[row["phase"]] = positions.get(row["phase"], 0) + 1
        PlanStep.objects.create(plan=plan, position=positions[row["phase"]], **row)
    plan.save(update_fields=["updated_at"])
    return plan


@transaction.atomic
def plan_submit(*, plan: ContinuityPlan, user) -> ContinuityPlan:
    plan = ContinuityPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != PlanStatus.DRAFT:
        raise ValidationError(_("Only a draft can be submitted for review."))
    missing = []
    if not plan.activities.exists():
        missing.append(_("at least one activity"))
    if not plan.steps.filter(phase=StepPhase.DEGRADED).exists():
        missing.append(_("the degraded-mode steps"))
    if not (plan.return_to_normal.strip() or plan.steps.filter(phase=StepPhase.RETURN).exists()):
        missing.append(_("the return to normal"))
    if not plan.trigger_authority.strip():
        missing.append(_("who triggers and decides"))
    if not plan.trigger_criteria.strip():
        missing.append(_("the triggering criteria"))
    if missing:
        raise ValidationError(_("Before review, the plan needs: %(parts)s.")
                              % {"parts": ", ".join(map(str, missing))})
    plan.status = PlanStatus.REVIEW
    plan.submitted_at = timezone.now()
    plan.submitted_by = user
    plan.save()
    return plan


@transaction.atomic
def plan_return_to_draft(*, plan: ContinuityPlan, user) -> ContinuityPlan:
    plan = ContinuityPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != PlanStatus.REVIEW:
        raise ValidationError(_("Only a plan in review can go back to draft."))
    plan.status = PlanStatus.DRAFT
    plan.submitted_at = None
    plan.submitted_by = None
    plan.save()
    return plan


@transaction.atomic
def plan_approve(*, plan: ContinuityPlan, user, approved_by_name: str = "") -> ContinuityPlan:
    """Approve a version in review: its content is frozen with who and when; the version
    approved before it is superseded."""
    plan = ContinuityPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != PlanStatus.REVIEW:
        raise ValidationError(_("Only a plan in review can be approved."))
    now = timezone.now()
    name = approved_by_name or ((user.get_full_name() or user.get_username()) if user else "")
    content = plan_content(plan)
    content["approved_at"] = now.isoformat()
    content["approved_by"] = name
    for older in ContinuityPlan.objects.select_for_update().filter(
            top_id=plan.top_id, code=plan.code, status=PlanStatus.APPROVED).exclude(pk=plan.pk):
        older.status = PlanStatus.SUPERSEDED
        older.save()
    plan.status = PlanStatus.APPROVED
    plan.approved_at = now
    plan.approved_by = user
    plan.approved_by_name = name
    plan.snapshot = content
    plan.content_hash = content_hash(content)
    plan.save()
    return plan


def latest_version(*, top_id: int, code: str) -> ContinuityPlan | None:
    return ContinuityPlan.objects.filter(top_id=top_id, code=code).order_by("-version").first()


@transaction.atomic
def plan_new_version(*, plan: ContinuityPlan, user=None) -> ContinuityPlan:
    """The next draft of a plan, copying its newest version (content, steps, links)."""
    # One new version at a time: lock every version of the plan.
    versions = list(ContinuityPlan.objects.select_for_update().filter(
        top_id=plan.top_id, code=plan.code).order_by("-version"))
    newest = versions[0]
    if newest.status in (PlanStatus.DRAFT, PlanStatus.REVIEW):
        raise ValidationError(_("Version %(v)d of this plan is still %(status)s: finish it "
                                "first.") % {"v": newest.version,
                                             "status": newest.get_status_display().lower()})
    number = (ContinuityPlan.objects.filter(top_id=plan.top_id, code=plan.code)
              .aggregate(v=Max("version"))["v"] or 0) + 1
    draft = ContinuityPlan(top_id=newest.top_id, organization_id=newest.organization_id,
                           code=newest.code, version=number)
    for name in PLAN_FIELDS:
        setattr(draft, name, getattr(newest, name))
    draft.change_summary = ""
    try:
        with transaction.atomic():
            draft.save()
    except IntegrityError as exc:  # another new version was started at the same moment
        raise ValidationError(_("A new version of this plan was started at the same time: "
                                "open it from the plan's history.")) from exc
    _set_relations(draft, list(newest.activities.all()), list(newest.establishments.all()),
                   list(newest.contacts.all()))
    for step in newest.steps.order_by("phase", "position", "pk"):
        PlanStep.objects.create(plan=draft, position=step.position,
                                **{name: getattr(step, name) for name in STEP_FIELDS})
    return draft


@transaction.atomic
def plan_delete(*, plan: ContinuityPlan) -> None:
    """Delete a draft version (an approved or superseded version is evidence: kept)."""
    plan = ContinuityPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != PlanStatus.DRAFT:
        raise ValidationError(_("Only a draft can be deleted; approved versions are kept in "
                                "the plan's history."))
    for step in list(plan.steps.all()):
        step.delete()
    plan.delete()


# --- Contacts ---------------------------------------------------------------------------------


def _contact_save(contact: Contact) -> Contact:
    errors: dict[str, list[str]] = {}
    # Two edits of the tree at once could each pass the cycle check: one at a time per GHT.
    list(Contact.objects.select_for_update().filter(top_id=contact.top_id).values_list("pk"))
    for name in ("name", "function", "crisis_role", "phone", "mobile", "backup_phone",
                 "notes"):
        setattr(contact, name, clean_text(getattr(contact, name)))
    if not contact.name:
        errors["name"] = [_("Give the person's name.")]
    if not _in_top(contact.top, contact.organization):
        errors["organization"] = [_("The organization is not part of this GHT.")]
    if not (contact.phone or contact.mobile or contact.backup_phone or contact.email
            or contact.backup_email):
        errors["phone"] = [_("Give at least one way to reach this person.")]
    parent = contact.alerted_by
    if parent is not None:
        if parent.top_id != contact.top_id:
            errors["alerted_by"] = [_("That person is not in this GHT's directory.")]
        else:
            seen = {contact.pk} if contact.pk else set()
            chain = [contact.name]
            while parent is not None:
                chain.append(parent.name)
                if parent.pk in seen:
                    errors["alerted_by"] = [_("The contact tree would go round in a circle: "
                                              "%(chain)s.") % {"chain": " → ".join(chain)}]
                    break
                seen.add(parent.pk)
                parent = Contact.objects.filter(pk=parent.alerted_by_id).first()
    if errors:
        raise ValidationError(errors)
    contact.save()
    return contact


@transaction.atomic
def contact_create(*, top: Organization, **fields) -> Contact:
    contact = Contact(top=top)
    assign_fields(contact, fields, CONTACT_FIELDS)
    return _contact_save(contact)


@transaction.atomic
def contact_update(*, contact: Contact, **fields) -> Contact:
    """The contact changed (a fresh copy: the object given is left as it was)."""
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    assign_fields(contact, fields, CONTACT_FIELDS)
    return _contact_save(contact)


@transaction.atomic
def contact_delete(*, contact: Contact) -> None:
    """Delete a contact; the people it alerted are alerted by its own caller instead.
    Approved plans keep their copy of the contact (their snapshot)."""
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    for child in list(contact.alerts.all()):
        child.alerted_by = contact.alerted_by
        child.save()
    contact.delete()


# --- Reflex sheets ----------------------------------------------------------------------------


def _sheet_save(sheet: ReflexSheet) -> ReflexSheet:
    errors: dict[str, list[str]] = {}
    sheet.code = (sheet.code or "").strip()
    sheet.title = clean_text(sheet.title)
    sheet.situation = clean_text(sheet.situation)
    if not sheet.code:
        errors["code"] = [_("Give the sheet a short code.")]
    elif ReflexSheet.objects.filter(top_id=sheet.top_id, code=sheet.code).exclude(
            pk=sheet.pk).exists():
        errors["code"] = [_("This GHT already has a reflex sheet %(code)s.")
                          % {"code": sheet.code}]
    if not sheet.title:
        errors["title"] = [_("Give the sheet a title.")]
    if not _in_top(sheet.top, sheet.organization):
        errors["organization"] = [_("The organization is not part of this GHT.")]
    if errors:
        raise ValidationError(errors)
    sheet.save()
    return sheet


@transaction.atomic
def reflex_sheet_create(*, top: Organization, steps: Sequence[dict] = (), **fields
                        ) -> ReflexSheet:
    sheet = ReflexSheet(top=top)
    assign_fields(sheet, fields, SHEET_FIELDS)
    _sheet_save(sheet)
    if steps:
        reflex_sheet_set_steps(sheet=sheet, steps=steps)
    return sheet


@transaction.atomic
def reflex_sheet_update(*, sheet: ReflexSheet, **fields) -> ReflexSheet:
    sheet = ReflexSheet.objects.select_for_update().get(pk=sheet.pk)
    assign_fields(sheet, fields, SHEET_FIELDS)
    return _sheet_save(sheet)


@transaction.atomic
def reflex_sheet_set_steps(*, sheet: ReflexSheet, steps: Sequence[dict]) -> ReflexSheet:
    errors = []
    clean = []
    for number, step in enumerate(steps, start=1):
        unexpected = set(step) - set(REFLEX_STEP_FIELDS)
        if unexpected:
            raise TypeError(f"unexpected step field(s): {sorted(unexpected)}")
        row = {name: clean_text(step.get(name)) for name in REFLEX_STEP_FIELDS}
        if not row["action"]:
            errors.append(_("Step %(n)d: say what is done.") % {"n": number})
        clean.append(row)
    if errors:
        raise ValidationError(errors)
    for old in list(sheet.steps.all()):
        old.delete()
    for position, row in enumerate(clean, start=1):
        ReflexStep.objects.create(sheet=sheet, position=position, **row)
    sheet.save(update_fields=["updated_at"])
    return sheet


@transaction.atomic
def reflex_sheet_delete(*, sheet: ReflexSheet) -> None:
    for step in list(sheet.steps.all()):
        step.delete()
    sheet.delete()


def reflex_defaults(*, top: Organization, language: str | None = None) -> list[ReflexSheet]:
    """The default reflex sheets, created in the GHT when their code is missing (in
    ``language``, French by default): editable afterwards like any sheet."""
    from pcra.plans.defaults import reflex_sheets

    existing = set(ReflexSheet.objects.filter(top=top).values_list("code", flat=True))
    made = []
    for position, sheet in enumerate(reflex_sheets(language), start=1):
        if sheet["code"] in existing:
            continue
        made.append(reflex_sheet_create(top=top, organization=None, code=sheet["code"],
                                        title=sheet["title"], situation=sheet["situation"],
                                        position=position, steps=sheet["steps"]))
    return made


# --- Kits -------------------------------------------------------------------------------------


@transaction.atomic
def kit_record(*, organization: Organization, content_hash: str, files: dict[str, str],
               encrypted: bool, location: str, user=None) -> KitExport:
    return KitExport.objects.create(top_id=organization.top_id, organization=organization,
                                    content_hash=content_hash, files=files,
                                    encrypted=encrypted, location=location[:500],
                                    created_by=user)
