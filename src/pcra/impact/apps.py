from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImpactConfig(AppConfig):
    name = "pcra.impact"
    label = "impact"
    verbose_name = _("Business impact analysis")

    def ready(self) -> None:
        from pcra.impact import locks  # noqa: F401  (registers the BIA lock on activity fields)
