"""Core models: the append-only, hash-chained audit log (DESIGN §5)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    CREATE = "create", _("created")
    UPDATE = "update", _("updated")
    DELETE = "delete", _("deleted")


class AppendOnlyError(RuntimeError):
    """Raised on any attempt to change or remove an audit entry."""


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):  # noqa: D102
        raise AppendOnlyError("audit entries cannot be updated")

    def delete(self):  # noqa: D102
        raise AppendOnlyError("audit entries cannot be deleted")


class AuditEntry(models.Model):
    """One change to an audited object.

    ``data`` is the canonical JSON of the entry (who, when, what, before, after) and ``hash`` is
    SHA-256(prev_hash + data): changing, inserting or removing any entry breaks the chain, which
    ``pcra verify_audit`` detects. The indexed columns repeat fields of ``data`` for queries;
    the verifier checks that they agree.
    """

    timestamp = models.DateTimeField(_("timestamp"), db_index=True)
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True)
    actor_label = models.CharField(_("actor"), max_length=200)
    action = models.CharField(_("action"), max_length=10, choices=AuditAction.choices)
    model = models.CharField(_("object type"), max_length=100, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, db_index=True)
    object_repr = models.CharField(_("object"), max_length=300)
    organization_id = models.BigIntegerField(_("organization id"), null=True, blank=True,
                                             db_index=True)
    data = models.TextField(_("canonical data"))
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.model} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("audit entries cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit entries cannot be deleted")

    @property
    def payload(self) -> dict:
        import json

        return json.loads(self.data)


class AuditHead(models.Model):
    """Single row holding the hash of the newest entry; locked while appending.

    It also lets the verifier notice entries removed from the end of the chain.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    count = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("audit chain head")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audithead_singleton")]

    def __str__(self) -> str:
        return f"audit head ({self.count} entries)"
