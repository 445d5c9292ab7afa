from django.urls import path

from pcra.organizations import views

app_name = "organizations"
urlpatterns = [
    path("", views.organization_list, name="list"),
    path("new/", views.organization_create, name="create"),
    path("<uuid:uuid>/", views.organization_detail, name="detail"),
    path("<uuid:uuid>/edit/", views.organization_edit, name="edit"),
    path("<uuid:uuid>/delete/", views.organization_delete, name="delete"),
]
