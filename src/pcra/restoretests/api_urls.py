"""The agent protocol, mounted at ``/api/agent/v1/`` (docs/agent.md)."""

from django.urls import path, re_path

from pcra.restoretests import api

app_name = "restoretests_api"
urlpatterns = [
    path("claim/", api.claim, name="claim"),
    path("runs/<str:run_id>/progress/", api.progress, name="progress"),
    path("runs/<str:run_id>/result/", api.result, name="result"),
    re_path(r"", api.not_found),  # every answer of the API is JSON, a wrong address too
]
