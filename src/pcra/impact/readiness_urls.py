from django.urls import path

from pcra.impact import readiness_views as views

app_name = "readiness"
urlpatterns = [
    path("", views.index, name="index"),
    path("activity/<uuid:uuid>/", views.activity, name="activity"),
    path("heatmap/", views.heatmap, name="heatmap"),
    path("report/<uuid:uuid>.pdf", views.report_pdf, name="report_pdf"),
]
