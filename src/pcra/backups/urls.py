from django.urls import path

from pcra.backups import views

app_name = "backups"

urlpatterns = [
    path("", views.index, name="index"),
    path("assets/new/", views.asset_create, name="asset_create"),
    path("assets/<uuid:uuid>/", views.asset_detail, name="asset_detail"),
    path("assets/<uuid:uuid>/edit/", views.asset_edit, name="asset_edit"),
    path("assets/<uuid:uuid>/delete/", views.asset_delete, name="asset_delete"),
    path("assets/<uuid:uuid>/copies/new/", views.copy_create, name="copy_create"),
    path("copies/<uuid:uuid>/edit/", views.copy_edit, name="copy_edit"),
    path("copies/<uuid:uuid>/delete/", views.copy_delete, name="copy_delete"),
    path("copies/<uuid:uuid>/password/", views.copy_secret, name="copy_secret"),
    path("copies/<uuid:uuid>/collect/", views.copy_collect, name="copy_collect"),
    path("copies/<uuid:uuid>/verify/", views.copy_verify, name="copy_verify"),
    path("copies/<uuid:uuid>/verifications/new/", views.verification_create,
         name="verification_create"),
    path("infrastructures/", views.infrastructure_list, name="infrastructure_list"),
    path("infrastructures/new/", views.infrastructure_create, name="infrastructure_create"),
    path("infrastructures/<uuid:uuid>/", views.infrastructure_detail,
         name="infrastructure_detail"),
    path("infrastructures/<uuid:uuid>/edit/", views.infrastructure_edit,
         name="infrastructure_edit"),
    path("infrastructures/<uuid:uuid>/delete/", views.infrastructure_delete,
         name="infrastructure_delete"),
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts/refresh/", views.alerts_refresh, name="alerts_refresh"),
    path("alerts/<uuid:uuid>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path("alerts/<uuid:uuid>/resolve/", views.alert_resolve, name="alert_resolve"),
    path("tokens/", views.token_list, name="token_list"),
    path("tokens/new/", views.token_create, name="token_create"),
    path("tokens/<uuid:uuid>/revoke/", views.token_revoke, name="token_revoke"),
]
