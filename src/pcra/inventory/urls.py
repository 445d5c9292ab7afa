from django.urls import path

from pcra.inventory import views

app_name = "inventory"


def _node_urls(kind: str, prefix: str) -> list:
    extra = {"kind": kind}
    return [
        path(f"{prefix}/", views.node_list, extra, name=f"{kind}_list"),
        path(f"{prefix}/new/", views.node_create, extra, name=f"{kind}_create"),
        path(f"{prefix}/<uuid:uuid>/", views.node_detail, extra, name=f"{kind}_detail"),
        path(f"{prefix}/<uuid:uuid>/edit/", views.node_edit, extra, name=f"{kind}_edit"),
        path(f"{prefix}/<uuid:uuid>/delete/", views.node_delete, extra, name=f"{kind}_delete"),
    ]


urlpatterns = [
    *_node_urls("activity", "activities"),
    *_node_urls("application", "applications"),
    *_node_urls("component", "components"),
    *_node_urls("supplier", "suppliers"),
    path("nodes/<uuid:uuid>/", views.node_any, name="node"),
    path("dependencies/", views.dependency_list, name="dependency_list"),
    path("dependencies/new/", views.dependency_create, name="dependency_create"),
    path("dependencies/<uuid:uuid>/", views.dependency_detail, name="dependency_detail"),
    path("dependencies/<uuid:uuid>/edit/", views.dependency_edit, name="dependency_edit"),
    path("dependencies/<uuid:uuid>/delete/", views.dependency_delete, name="dependency_delete"),
]
