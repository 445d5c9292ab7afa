from django.urls import path

from pcra.restoretests import views

app_name = "restoretests"

urlpatterns = [
    path("", views.index, name="index"),
    path("definitions/new/", views.definition_create, name="definition_create"),
    path("definitions/<uuid:uuid>/", views.definition_detail, name="definition_detail"),
    path("definitions/<uuid:uuid>/edit/", views.definition_edit, name="definition_edit"),
    path("definitions/<uuid:uuid>/delete/", views.definition_delete, name="definition_delete"),
    path("definitions/<uuid:uuid>/run/", views.definition_run, name="definition_run"),
    path("copies/<uuid:uuid>/run/", views.copy_run, name="copy_run"),
    path("runs/<uuid:uuid>/", views.run_detail, name="run_detail"),
    path("runs/<uuid:uuid>/progress.json", views.run_progress, name="run_progress"),
    path("runs/<uuid:uuid>/cancel/", views.run_cancel, name="run_cancel"),
    path("runs/<uuid:uuid>/signoff/", views.run_signoff, name="run_signoff"),
    path("runs/<uuid:uuid>/evidence.json", views.run_evidence, name="run_evidence"),
    path("runs/<uuid:uuid>/report.pdf", views.run_report, name="run_report"),
    path("agents/", views.agent_list, name="agent_list"),
    path("agents/new/", views.agent_create, name="agent_create"),
    path("agents/<uuid:uuid>/revoke/", views.agent_revoke, name="agent_revoke"),
]
