from django.urls import path

from pcra.recovery import views

app_name = "recovery"

urlpatterns = [
    path("", views.index, name="index"),
    path("scenarios/new/", views.scenario_create, name="scenario_create"),
    path("scenarios/defaults/", views.scenario_defaults, name="scenario_defaults"),
    path("scenarios/<uuid:uuid>/", views.scenario_detail, name="scenario_detail"),
    path("scenarios/<uuid:uuid>/edit/", views.scenario_edit, name="scenario_edit"),
    path("scenarios/<uuid:uuid>/delete/", views.scenario_delete, name="scenario_delete"),
    path("plans/<uuid:uuid>/", views.plan_detail, name="plan_detail"),
    path("plans/<uuid:uuid>/progress.json", views.plan_progress, name="plan_progress"),
    path("plans/<uuid:uuid>/runbook/", views.plan_runbook, name="plan_runbook"),
    path("plans/<uuid:uuid>/plan.pdf", views.plan_pdf, name="plan_pdf"),
    path("teams/new/", views.team_create, name="team_create"),
    path("teams/<uuid:uuid>/edit/", views.team_edit, name="team_edit"),
    path("teams/<uuid:uuid>/delete/", views.team_delete, name="team_delete"),
]
