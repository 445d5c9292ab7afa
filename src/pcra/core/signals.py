"""Signal handlers that write the audit log for every registered model."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from pcra.core import audit
from pcra.core.models import AuditAction


@receiver(pre_save)
def _capture_before(sender, instance, raw=False, **kwargs):
    if raw or not audit.is_audited(sender) or instance._state.adding:
        return
    previous = sender._default_manager.filter(pk=instance.pk).first()
    instance._audit_before = audit.snapshot(previous) if previous is not None else None


@receiver(post_save)
def _record_save(sender, instance, created, raw=False, **kwargs):
    if raw or not audit.is_audited(sender):
        return
    after = audit.snapshot(instance)
    if created:
        audit.record(AuditAction.CREATE, instance, before=None, after=after)
        return
    before = getattr(instance, "_audit_before", None)
    if before == after:
        return
    audit.record(AuditAction.UPDATE, instance, before=before, after=after)


@receiver(post_delete)
def _record_delete(sender, instance, **kwargs):
    if not audit.is_audited(sender):
        return
    audit.record(AuditAction.DELETE, instance, before=audit.snapshot(instance), after=None)
