from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecoveryConfig(AppConfig):
    name = "pcra.recovery"
    label = "recovery"
    verbose_name = _("Recovery plan")
