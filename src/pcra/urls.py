from django.contrib import admin
from django.urls import include, path

from pcra.backups.metrics import metrics_view

urlpatterns = [
    path("", include("pcra.core.urls")),
    path("accounts/", include("pcra.accounts.urls")),
    path("organizations/", include("pcra.organizations.urls")),
    path("inventory/", include("pcra.inventory.urls")),
    path("graph/", include("pcra.inventory.graph_urls")),
    path("bia/", include("pcra.impact.urls")),
    path("readiness/", include("pcra.impact.readiness_urls")),
    path("audit/", include("pcra.core.audit_urls")),
    path("workbook/", include("pcra.workbook.urls")),
    path("backups/", include("pcra.backups.urls")),
    path("restore-tests/", include("pcra.restoretests.urls")),
    path("recovery/", include("pcra.recovery.urls")),
    path("plans/", include("pcra.plans.urls")),
    path("api/agent/v1/", include("pcra.restoretests.api_urls")),
    path("metrics", metrics_view, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("django-admin/", admin.site.urls),
]
