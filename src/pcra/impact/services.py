"""Writes of the BIA: scales, levels, lifecycle (draft → submitted → signed off), campaigns.

Keyword-only, atomic, validated; audited through the model signals.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pcra.core import audit
from pcra.core.models import AuditAction
from pcra.impact import defaults
from pcra.impact.models import (
    BiaCampaign,
    BiaStatus,
    BusinessImpactAnalysis,
    ImpactCriterion,
    ImpactHorizon,
    ImpactLevel,
    ImpactScale,
)
from pcra.inventory.models import Node, NodeType
from pcra.organizations.models import Organization

Cell = tuple[str, str]  # (criterion code, horizon code)


# --- scales ---------------------------------------------------------------------------------


@transaction.atomic
def scale_ensure(*, top: Organization) -> ImpactScale:
    """The GHT's scale, created with the defaults of DESIGN §4.3 the first time."""
    top_id = top.top_id
    scale = ImpactScale.objects.filter(top_id=top_id).first()
    if scale is not None:
        return scale
    # Labels are data the GHT may edit: stored in the installation's language (French by
    # default), whatever the language of the request that happens to create the scale.
    with translation.override(settings.LANGUAGE_CODE):
        return _scale_create(top_id)


def _scale_create(top_id: int) -> ImpactScale:
    scale = ImpactScale.objects.create(top_id=top_id, threshold=defaults.THRESHOLD,
                                       criticality_classes=defaults.CRITICALITY_CLASSES)
    for position, (code, label, descriptions) in enumerate(defaults.CRITERIA):
        ImpactCriterion.objects.create(scale=scale, code=code, label=str(label),
                                       position=position,
                                       level_descriptions=[str(d) for d in descriptions])
    for code, label, hours in defaults.HORIZONS:
        ImpactHorizon.objects.create(scale=scale, code=code, label=str(label),
                                     hours=Decimal(hours))
    return scale


@transaction.atomic
def scale_update(*, scale: ImpactScale, threshold: int | None = None,
                 criticality_classes: list | None = None) -> ImpactScale:
    if threshold is not None:
        if not 1 <= int(threshold) <= 4:
            raise ValidationError({"threshold": [_("The threshold is a level from 1 to 4.")]})
        scale.threshold = int(threshold)
    if criticality_classes is not None:
        scale.criticality_classes = _checked_classes(criticality_classes)
    scale.save()
    return scale


def _checked_classes(classes) -> list:
    out, previous = [], Decimal(0)
    for index, item in enumerate(classes):
        if not isinstance(item, (list, tuple)) or len(item) != 2 or not str(item[1]).strip():
            raise ValidationError({"criticality_classes": [
                _("Class %(n)d must be a pair [hours or empty, name].") % {"n": index + 1}]})
        bound, name = item
        if bound is None:
            if index != len(classes) - 1:
                raise ValidationError({"criticality_classes": [
                    _("Only the last class may have no upper bound.")]})
        else:
            bound = Decimal(str(bound))
            if bound <= previous:
                raise ValidationError({"criticality_classes": [
                    _("Class bounds must increase.")]})
            previous = bound
        out.append([float(bound) if bound is not None else None, str(name).strip()])
    return out


# --- BIA versions ---------------------------------------------------------------------------


def _check_activity(activity: Node) -> None:
    if activity.node_type != NodeType.ACTIVITY:
        raise ValidationError(_("A BIA is made for an activity."))


def bia_current(*, activity: Node) -> BusinessImpactAnalysis | None:
    return activity.bias.order_by("-version").first()


@transaction.atomic
def bia_start(*, activity: Node) -> BusinessImpactAnalysis:
    """The activity's draft BIA: the current one if it is a draft, else a new version copying
    the latest (a signed-off BIA is never changed)."""
    _check_activity(activity)
    Node.objects.select_for_update().filter(pk=activity.pk).first()  # one new version at a time
    current = bia_current(activity=activity)
    if current is not None and current.status == BiaStatus.DRAFT:
        return current
    if current is not None and current.status == BiaStatus.SUBMITTED:
        raise ValidationError(_("The BIA of %(code)s is submitted: return it to draft or sign "
                                "it off first.") % {"code": activity.code})
    version = (activity.bias.aggregate(v=Max("version"))["v"] or 0) + 1
    bia = BusinessImpactAnalysis.objects.create(activity=activity, version=version)
    if current is not None:
        copies = ImpactLevel.objects.bulk_create([
            ImpactLevel(bia=bia, criterion_id=c, horizon_id=h, level=lv)
            for c, h, lv in current.levels.values_list("criterion_id", "horizon_id", "level")])
        _audit_created(copies)
        bia.notes = current.notes
        bia.save(update_fields=["notes"])
    return bia


def _cells(bia: BusinessImpactAnalysis):
    scale = scale_ensure(top=bia.activity.top)
    criteria = {c.code: c for c in scale.criteria.all()}
    horizons = {h.code: h for h in scale.horizons.all()}
    return scale, criteria, horizons


@transaction.atomic
def bia_set_levels(*, bia: BusinessImpactAnalysis,
                   levels: dict[Cell, int | None]) -> BusinessImpactAnalysis:
    """Set (or clear, with None) impact levels of a draft BIA."""
    if bia.is_locked:
        raise ValidationError(_("This BIA is %(status)s: it can no longer be changed.")
                              % {"status": bia.get_status_display().lower()})
    _scale, criteria, horizons = _cells(bia)
    errors = []
    for (crit_code, hor_code), level in levels.items():
        if crit_code not in criteria:
            errors.append(_("Unknown criterion %(code)s.") % {"code": crit_code})
        if hor_code not in horizons:
            errors.append(_("Unknown horizon %(code)s.") % {"code": hor_code})
        if level is not None and (not isinstance(level, int) or isinstance(level, bool)
                                  or not 0 <= level <= 4):
            errors.append(_("A level is a whole number from 0 to 4, not %(value)s.")
                          % {"value": level})
    if errors:
        raise ValidationError(errors)
    existing = {(lv.criterion_id, lv.horizon_id): lv for lv in bia.levels.all()}
    created, updated = [], []
    for (crit_code, hor_code), level in levels.items():
        key = (criteria[crit_code].pk, horizons[hor_code].pk)
        current = existing.get(key)
        if level is None:
            if current is not None:
                current.delete()  # audited by the signals
        elif current is None:
            created.append(ImpactLevel(bia=bia, criterion_id=key[0], horizon_id=key[1],
                                       level=level))
        elif current.level != level:
            updated.append((current, audit.snapshot(current)))
            current.level = level
    # A grid is saved in a few statements (not one per cell), and audited all the same.
    _audit_created(ImpactLevel.objects.bulk_create(created))
    if updated:
        ImpactLevel.objects.bulk_update([lv for lv, _before in updated], ["level"])
        audit.record_many([audit.Change(AuditAction.UPDATE, lv, before, audit.snapshot(lv))
                           for lv, before in updated])
    bia.save(update_fields=["updated_at"])
    return bia


def _audit_created(levels: list[ImpactLevel]) -> None:
    audit.record_many([audit.Change(AuditAction.CREATE, lv, None, audit.snapshot(lv))
                       for lv in levels])


def bia_missing_cells(*, bia: BusinessImpactAnalysis) -> list[Cell]:
    _scale, criteria, horizons = _cells(bia)
    filled = set(bia.levels.values_list("criterion__code", "horizon__code"))
    return [(c, h) for c in criteria for h in horizons if (c, h) not in filled]


@transaction.atomic
def bia_submit(*, bia: BusinessImpactAnalysis, user) -> BusinessImpactAnalysis:
    if bia.status != BiaStatus.DRAFT:
        raise ValidationError(_("Only a draft can be submitted."))
    missing = bia_missing_cells(bia=bia)
    if missing:
        raise ValidationError(_("%(n)d cells of the grid are empty: fill every criterion at "
                                "every horizon before submitting.") % {"n": len(missing)})
    bia.status = BiaStatus.SUBMITTED
    bia.submitted_at = timezone.now()
    bia.submitted_by = user
    bia.save()
    return bia


@transaction.atomic
def bia_return_to_draft(*, bia: BusinessImpactAnalysis, user) -> BusinessImpactAnalysis:
    if bia.status != BiaStatus.SUBMITTED:
        raise ValidationError(_("Only a submitted BIA can be returned to draft."))
    bia.status = BiaStatus.DRAFT
    bia.submitted_at = None
    bia.submitted_by = None
    bia.save()
    return bia


@transaction.atomic
def bia_sign_off(*, bia: BusinessImpactAnalysis, user) -> BusinessImpactAnalysis:
    """Lock the submitted BIA, keeping what was signed: levels, PDMA, DMIA, who and when."""
    from pcra.impact.selectors import activity_dmia

    if bia.status != BiaStatus.SUBMITTED:
        raise ValidationError(_("Only a submitted BIA can be signed off."))
    activity = bia.activity
    levels = sorted(bia.levels.values_list("criterion__code", "horizon__code", "level"))
    dmia, source = activity_dmia(bia=bia, activity=activity)
    bia.status = BiaStatus.SIGNED_OFF
    bia.signed_off_at = timezone.now()
    bia.signed_off_by = user
    bia.signed_off_by_name = (user.get_full_name() or user.get_username()) if user else ""
    bia.signoff = {
        "activity": activity.code,
        "version": bia.version,
        "levels": [list(row) for row in levels],
        "pdma_hours": _num(activity.pdma_hours),
        "declared_dmia_hours": _num(activity.declared_dmia_hours),
        "declared_dmia_reason": activity.declared_dmia_reason,
        "dmia_hours": dmia,
        "dmia_source": source,
        "signed_off_at": bia.signed_off_at.isoformat(),
        "signed_off_by": bia.signed_off_by_name,
    }
    bia.save()
    return bia


def _num(value):
    return float(value) if value is not None else None


@transaction.atomic
def bia_set_notes(*, bia: BusinessImpactAnalysis, notes: str) -> None:
    if bia.is_locked:
        raise ValidationError(_("This BIA is %(status)s: it can no longer be changed.")
                              % {"status": bia.get_status_display().lower()})
    notes = (notes or "").strip()
    if bia.notes != notes:
        bia.notes = notes
        bia.save(update_fields=["notes", "updated_at"])


@transaction.atomic
def criteria_update(*, scale_id: int, changes: dict[int, tuple[str, list[str]]]) -> None:
    """Rename criteria and rewrite what their levels mean: {criterion id: (label, 5 texts)}."""
    for criterion in ImpactCriterion.objects.filter(scale_id=scale_id):
        if criterion.id not in changes:
            continue
        label, descriptions = changes[criterion.id]
        if not label:
            raise ValidationError(_("Every criterion needs a label."))
        if criterion.label != label or list(criterion.level_descriptions or []) != descriptions:
            criterion.label = label
            criterion.level_descriptions = descriptions
            criterion.save(update_fields=["label", "level_descriptions"])


# --- campaigns ------------------------------------------------------------------------------


@transaction.atomic
def campaign_create(*, organization: Organization, name: str, starts_on, due_on) -> BiaCampaign:
    campaign = BiaCampaign(organization=organization, name=(name or "").strip(),
                           starts_on=starts_on, due_on=due_on)
    _campaign_validate(campaign)
    campaign.save()
    return campaign


@transaction.atomic
def campaign_update(*, campaign: BiaCampaign, **fields) -> BiaCampaign:
    for name, value in fields.items():
        setattr(campaign, name, value)
    _campaign_validate(campaign)
    campaign.save()
    return campaign


@transaction.atomic
def campaign_delete(*, campaign: BiaCampaign) -> None:
    campaign.delete()


def _campaign_validate(campaign: BiaCampaign) -> None:
    errors: dict[str, list[str]] = {}
    if not campaign.name:
        errors["name"] = [_("A campaign needs a name.")]
    if campaign.starts_on and campaign.due_on and campaign.due_on < campaign.starts_on:
        errors["due_on"] = [_("The due date comes after the start.")]
    if errors:
        raise ValidationError(errors)
