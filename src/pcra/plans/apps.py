from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "pcra.plans"
    label = "plans"
    verbose_name = _("Continuity plans")

    def ready(self) -> None:
        from pcra.inventory.services import register_delete_guard
        from pcra.plans.guards import activity_delete_guard

        register_delete_guard(activity_delete_guard)
