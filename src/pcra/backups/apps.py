from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackupsConfig(AppConfig):
    name = "pcra.backups"
    label = "backups"
    verbose_name = _("Backups")

    def ready(self) -> None:
        from pcra.backups.guards import node_delete_guard
        from pcra.inventory.services import register_delete_guard

        register_delete_guard(node_delete_guard)
