from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RestoreTestsConfig(AppConfig):
    name = "pcra.restoretests"
    label = "restoretests"
    verbose_name = _("Restore tests")
