"""What the backups app asks of the other apps: a node that has backup copies, or that holds
copies as their supplier, is not deleted from under them."""

from __future__ import annotations

from django.utils.translation import gettext as _

from pcra.backups.models import BackupCopy, DataAsset


def node_delete_guard(node) -> str | None:
    if DataAsset.objects.filter(node=node, copies__isnull=False).exists():
        return _("%(code)s has backup copies: delete them first (Backups).") % {"code": node.code}
    if BackupCopy.objects.filter(supplier=node).exists():
        return _("%(code)s holds backup copies as their supplier: change those copies first.") % {
            "code": node.code}
    return None
