from django.contrib import admin
from django.urls import include, path

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
    path("i18n/", include("django.conf.urls.i18n")),
    path("django-admin/", admin.site.urls),
]
