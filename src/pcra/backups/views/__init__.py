"""Pages of the backups app (DESIGN §4.5, §4.6): the copies dashboard, data assets and their
copies, backup infrastructures, supervision alerts and the metrics tokens.

Every queryset comes from a selector scoped by the user: an object outside it is a 404; a user
who may read but not change it gets a 403 on writes.
"""

from pcra.backups.views.alerts import alert_acknowledge, alert_list, alert_resolve, alerts_refresh
from pcra.backups.views.assets import asset_create, asset_delete, asset_detail, asset_edit, index
from pcra.backups.views.copies import (
    copy_collect,
    copy_create,
    copy_delete,
    copy_edit,
    copy_secret,
    copy_verify,
    verification_create,
)
from pcra.backups.views.infrastructures import (
    infrastructure_create,
    infrastructure_delete,
    infrastructure_detail,
    infrastructure_edit,
    infrastructure_list,
)
from pcra.backups.views.tokens import token_create, token_list, token_revoke

__all__ = [
    "alert_acknowledge", "alert_list", "alert_resolve", "alerts_refresh", "asset_create",
    "asset_delete", "asset_detail", "asset_edit", "copy_collect", "copy_create", "copy_delete",
    "copy_edit", "copy_secret", "copy_verify", "index", "infrastructure_create",
    "infrastructure_delete", "infrastructure_detail", "infrastructure_edit",
    "infrastructure_list", "token_create", "token_list", "token_revoke", "verification_create",
]
