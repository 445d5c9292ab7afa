from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "pcra.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from pcra.core import checks, signals  # noqa: F401  (register checks and audit signals)
