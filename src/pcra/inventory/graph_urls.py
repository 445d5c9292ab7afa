from django.urls import path

from pcra.inventory import graph_views as views

app_name = "graph"
urlpatterns = [
    path("", views.index, name="index"),
    path("node/<uuid:uuid>/", views.node, name="node"),
    path("node/<uuid:uuid>/data.json", views.node_data, name="node_data"),
    path("loss/", views.loss, name="loss"),
    path("spof/", views.spof, name="spof"),
]
